"""The objective: one picture or a batch, losses as parts, weights as variables."""
import numpy as np
import pytest
import tensorflow as tf

from style_lib.core import gradients, losses, objective, vgg
from style_lib.errors import SettingsError

RNG = np.random.default_rng(3)
CONTENT = ("conv2_2",)
STYLE = ("conv1_1", "conv2_1", "conv3_1")


@pytest.fixture(scope="module")
def extractor():
    return vgg.FeatureExtractor(CONTENT + STYLE, "imagenet", verbose=False)


def images(n, h=32, w=40):
    return tf.constant(RNG.uniform(0, 255, (n, h, w, 3)).astype(np.float32))


def make(extractor, **kwargs):
    paintings = [RNG.uniform(0, 255, (36, 36, 3)).astype(np.float32) for _ in range(2)]
    targets = objective.style_targets(extractor, paintings, STYLE)
    obj = objective.StyleObjective(extractor, content_layers=CONTENT,
                                   style_layers=STYLE, targets=targets, **kwargs)
    obj.set_weights(content_weight=2.0, style_weight=1e3, tv_weight=0.5,
                    blend_weights=[1.0, 3.0], layer_weights=[0.2, 0.3, 0.5])
    return obj


def test_a_batch_is_the_sum_of_its_images(extractor):
    obj = make(extractor)
    x, photos = images(3), images(3)
    targets = obj.content_targets(photos)
    batch = obj.terms(x, targets)
    single = [obj.terms(x[i:i + 1], [t[i:i + 1] for t in targets]) for i in range(3)]
    for field in batch._fields:
        assert np.asarray(getattr(batch, field)) == pytest.approx(
            sum(np.asarray(getattr(s, field)) for s in single), rel=1e-4)
    assert float(batch.total) == pytest.approx(
        2.0 * float(batch.content) + 1e3 * float(batch.style) + 0.5 * float(batch.tv),
        rel=1e-5)


def test_the_style_term_is_its_layers_weighted(extractor):
    """``style_per_layer`` holds each layer's E_l: with w_l they make ``style``."""
    obj = make(extractor)
    w = np.array([0.1, 0.2, 0.3, 0.4][:len(obj.style_layers)], np.float32)
    obj.set_weights(layer_weights=list(w / w.sum()))
    x = images(2)
    terms = obj.terms(x, obj.content_targets(images(2)))
    per_layer = np.asarray(terms.style_per_layer)
    assert per_layer.shape == (len(obj.style_layers),) and np.all(per_layer > 0)
    assert float(terms.style) == pytest.approx(float(np.sum(w / w.sum() * per_layer)), rel=1e-5)


def test_one_photo_serves_a_whole_batch(extractor):
    obj = make(extractor)
    x, photo = images(2), images(1)
    targets = obj.content_targets(photo)
    both = obj.terms(x, targets)
    first = obj.terms(x[:1], targets)
    second = obj.terms(x[1:], targets)
    assert float(both.content) == pytest.approx(
        float(first.content) + float(second.content), rel=1e-5)


def test_the_notebooks_style_loss_gives_the_same_value_and_gradient(extractor):
    fast, plain = make(extractor), make(extractor,
                                        style_layer_loss=losses.style_layer_loss)
    plain.targets = fast.targets                 # the same paintings
    x = images(1)
    targets = fast.content_targets(images(1))
    out = []
    for obj in (fast, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            terms = obj.terms(x, targets)
        out.append((float(terms.total), tape.gradient(terms.total, x).numpy()))
    assert fast.style_layer_loss is gradients.style_layer_loss_eq6
    assert out[0][0] == pytest.approx(out[1][0], rel=1e-5)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-3,
                               atol=1e-4 * np.abs(out[1][1]).max())


def test_blend_weights_mix_the_styles(extractor):
    obj = make(extractor)
    x = images(1)
    targets = obj.content_targets(x)
    style = []
    for blend in ([1, 0], [0, 1], [1, 3]):
        obj.set_weights(blend_weights=blend)
        style.append(float(obj.terms(x, targets).style))
    assert style[2] == pytest.approx(0.25 * style[0] + 0.75 * style[1], rel=1e-5)


def test_no_content_layers_is_a_texture(extractor):
    paintings = [RNG.uniform(0, 255, (36, 36, 3)).astype(np.float32)]
    obj = objective.StyleObjective(
        extractor, content_layers=(), style_layers=STYLE,
        targets=objective.style_targets(extractor, paintings, STYLE))
    terms = obj.terms(images(2), obj.content_targets(images(2)))
    assert float(terms.content) == 0.0 and float(terms.style) > 0


def test_weights_are_checked_and_never_retrace(extractor):
    obj = make(extractor)
    traces = []

    @tf.function
    def total(x, t):
        traces.append(1)
        return obj.terms(x, t).total

    x = images(1)
    targets = obj.content_targets(x)
    first = float(total(x, targets))
    obj.set_weights(style_weight=0.0, tv_weight=0.0)
    second = float(total(x, targets))
    assert len(traces) == 1 and second < first
    with pytest.raises(SettingsError, match="finite number >= 0"):
        obj.set_weights(style_weight=-1)
    with pytest.raises(SettingsError, match="not among"):
        obj.set_weights(layer_weights={"conv9_9": 1.0})
    with pytest.raises(SettingsError, match="must not all be 0"):
        obj.set_weights(blend_weights=[0, 0])


# ------------------------------------------------------- extension points ---

def test_an_extra_term_adds_its_weighted_value_to_the_total(extractor):
    obj = make(extractor)
    x, photos = images(2), images(2)
    targets = obj.content_targets(photos)
    before = float(obj.terms(x, targets).total)
    weight = obj.add_term("brightness", lambda pictures: tf.reduce_mean(pictures), 3.0)
    after = obj.terms(x, targets)
    assert float(after.total) == pytest.approx(before + 3.0 * float(tf.reduce_mean(x)),
                                               rel=1e-5)
    weight.assign(0.0)                                   # a variable: no retracing needed
    assert float(obj.terms(x, targets).total) == pytest.approx(before, rel=1e-6)
    with pytest.raises(SettingsError, match="already has a term 'brightness'"):
        obj.add_term("brightness", lambda pictures: 0.0)
    with pytest.raises(SettingsError, match="already has a term 'style'"):
        obj.add_term("style", lambda pictures: 0.0)


def test_set_style_targets_swaps_the_painting_in_place(extractor):
    paintings = [RNG.uniform(0, 255, (36, 36, 3)).astype(np.float32) for _ in range(2)]
    grams = objective.style_targets(extractor, paintings, STYLE)
    held = [tf.Variable(g, trainable=False) for g in grams[0]]
    obj = objective.StyleObjective(extractor, content_layers=CONTENT, style_layers=STYLE,
                                   targets=[held])
    x = images(1)
    first = float(obj.terms(x, obj.content_targets(x)).style)
    obj.set_style_targets(grams[1])
    assert all(np.allclose(h.numpy(), g.numpy()) for h, g in zip(held, grams[1]))
    assert float(obj.terms(x, obj.content_targets(x)).style) != pytest.approx(first)
    constant = make(extractor)                            # targets are constants there
    with pytest.raises(SettingsError, match="tf.Variable targets"):
        constant.set_style_targets(grams[1])


def test_the_style_term_factory_knows_its_kinds(extractor):
    from style_lib.core import style_terms
    painting = [RNG.uniform(0, 255, (36, 36, 3)).astype(np.float32)]
    gram = style_terms.make_style_term("gram", extractor, painting, STYLE)
    assert [tuple(t.shape) for t in gram.targets[0]] == [(64, 64), (128, 128), (256, 256)]
    with pytest.raises(SettingsError, match="style_loss must be one of"):
        style_terms.make_style_term("adain", extractor, painting, STYLE)


def test_set_content_changes_the_photo_without_retracing(demo_images):
    from style_lib.pixel import optimize
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0, 255, (32, 32, 3)).astype(np.float32) for _ in range(2))
    stylizer = optimize.Stylizer(a, "starry_night", size=32, weights="imagenet",
                                 verbose=False)
    terms_a = stylizer.loss_terms(a)
    stylizer.set_content(b)
    assert stylizer.loss_terms(b)["content"] == pytest.approx(0.0, abs=1e-3)
    assert stylizer.loss_terms(a)["content"] > terms_a["content"]
    assert stylizer.traces == 1
    with pytest.raises(SettingsError, match="photos of one size"):
        stylizer.set_content(np.zeros((16, 16, 3), np.float32))
