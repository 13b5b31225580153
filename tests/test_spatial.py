"""Spatial control (guided Grams, masks) and several styles at once."""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from style_lib import settings
from style_lib.core import losses, spatial
from style_lib.pixel import optimize
from style_lib.errors import SettingsError
from style_lib.core.vgg import layer_info

RNG = np.random.default_rng(3)
SHALLOW = ("conv1_1", "conv2_1", "conv3_1")


def features(h=12, w=10, c=8, seed=0):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.normal(size=(1, h, w, c)), 0).astype(np.float32)


# ------------------------------------------------------ guided Gram ---

def test_mask_of_ones_gives_the_ordinary_gram():
    f = features()
    np.testing.assert_allclose(spatial.guided_gram(f, np.ones((12, 10))),
                               losses.gram_matrix(f), rtol=1e-5)


def test_features_outside_the_mask_do_not_matter():
    f = features()
    mask = np.zeros((12, 10), np.float32)
    mask[:, :4] = 1.0
    mask[:, 4] = 0.5
    g = spatial.guided_gram(f, mask).numpy()
    changed = f.copy()
    changed[0, :, 5:] = RNG.uniform(0, 50, changed[0, :, 5:].shape)
    np.testing.assert_array_equal(spatial.guided_gram(changed, mask).numpy(), g)
    target = losses.gram_matrix(features(seed=1))
    assert spatial.guided_style_layer_loss(changed, mask, target).numpy() == \
        spatial.guided_style_layer_loss(f, mask, target).numpy()


def test_binary_mask_gives_the_gram_of_the_region():
    f = features()
    mask = np.zeros((12, 10), np.float32)
    mask[3:9, 2:7] = 1.0
    region = f[0, 3:9, 2:7]
    np.testing.assert_allclose(spatial.guided_gram(f, mask),
                               losses.gram_matrix(region), rtol=1e-5)


def test_downsampled_masks_match_the_feature_maps(pair):
    content, style = pair
    s = optimize.Stylizer(content[:37, :50], style, size=50, weights="imagenet",
                          verbose=False, style_layers=settings.DEFAULT_STYLE_LAYERS)
    feats = s.extractor(s.content[None])
    mask = np.ones(s.content.shape[:2], np.float32)
    for name in s.style_layers:
        small = spatial.downsample_mask(mask, layer_info(name).stride)
        assert small.shape == tuple(feats[name].shape[1:3]), name
        np.testing.assert_allclose(small, 1.0)


def test_as_mask_reads_files_thresholds_and_resizes(tmp_path):
    arr = np.zeros((20, 30), np.uint8)
    arr[:8] = 255
    Image.fromarray(arr).save(tmp_path / "mask.png")
    m = spatial.as_mask(tmp_path / "mask.png", (10, 15), threshold=0.5)
    assert m.shape == (10, 15) and set(np.unique(m)) == {0.0, 1.0}
    assert m[:3].min() == 1.0 and m[5:].max() == 0.0
    assert spatial.as_mask(arr).max() == 1.0          # uint8 -> [0, 1]
    with pytest.raises(SettingsError, match="lie in \\[0, 1\\]"):
        spatial.as_mask(arr.astype(np.float32))


def test_sky_mask_of_tubingen(demo_images):
    from style_lib.io import data
    img = data.load("tubingen", max_size=128)
    m = spatial.sky_mask(img)
    assert m.shape == img.shape[:2] and 0 <= m.min() and m.max() <= 1
    assert m[:10, 40:90].mean() > 0.9          # top centre: sky
    assert m[-40:].max() == 0.0                # river and houses: not sky
    assert 0.2 < m.mean() < 0.5


# -------------------------------------------------- masks in Stylizer ---

@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(1)
    content = rng.uniform(0, 255, (48, 64, 3)).astype(np.float32)
    content[:, :32] *= 0.3
    style = np.tile(np.linspace(0, 255, 16, dtype=np.float32)[:, None, None],
                    (4, 64, 3))
    style[..., 1] = style[::-1, :, 1]
    return content, style


def left_half(shape=(48, 64)):
    m = np.zeros(shape, np.float32)
    m[:, : shape[1] // 2] = 1.0
    return m


def test_no_masks_keeps_the_ordinary_path(pair):
    content, style = pair
    plain = optimize.Stylizer(content, style, size=64, weights="imagenet",
                              verbose=False)
    nones = optimize.Stylizer(content, style, size=64, weights="imagenet",
                              verbose=False, masks=[None])
    ones = optimize.Stylizer(content, style, size=64, weights="imagenet",
                             verbose=False, masks=[np.ones((48, 64))])
    assert plain.masks is None and nones.masks is None
    x = plain.initial_image("noise", seed=2)
    a, b, c = (s.loss_terms(x) for s in (plain, nones, ones))
    assert a == b
    assert c["style"] == pytest.approx(a["style"], rel=1e-4)
    assert c["content"] == a["content"]


def test_pixels_outside_the_mask_leave_that_style_loss_alone(pair):
    """Mask on the left half; pixels changed on the far right (beyond the
    receptive fields of conv1_1..conv3_1 at the mask's edge)."""
    content, style = pair
    s = optimize.Stylizer(content, style, size=64, weights="imagenet",
                          verbose=False, style_layers=SHALLOW,
                          masks=[left_half()])
    x = s.initial_image("noise", seed=4)
    y = x.copy()
    y[:, 48:] = RNG.uniform(0, 255, y[:, 48:].shape)
    tx, ty = s.loss_terms(x), s.loss_terms(y)
    assert ty["style"] == pytest.approx(tx["style"], rel=1e-6)
    assert ty["content"] != tx["content"]
    # and the style gradient is zero there
    s.set_weights(content_weight=0, tv_weight=0)
    _, grad = s._terms_and_grad(tf.constant(x[None]))
    assert np.abs(grad.numpy()[0, :, 48:]).max() == 0.0
    assert np.abs(grad.numpy()[0, :, :24]).max() > 0.0


def test_two_regions_count_fully(pair):
    """masks [m, 1-m], equal blend: style loss = E_1(m) + E_2(1-m)."""
    content, style = pair
    other = style[::-1, ::-1].copy()
    m = left_half()
    both = optimize.Stylizer(content, [style, other], size=64, weights="imagenet",
                             verbose=False, masks=[m, 1 - m])
    one = optimize.Stylizer(content, style, size=64, weights="imagenet",
                            verbose=False, masks=[m])
    two = optimize.Stylizer(content, other, size=64, weights="imagenet",
                            verbose=False, masks=[1 - m])
    x = both.initial_image("noise", seed=5)
    assert both.loss_terms(x)["style"] == pytest.approx(
        one.loss_terms(x)["style"] + two.loss_terms(x)["style"], rel=1e-5)


def test_style_masks_make_guided_targets(pair):
    content, style = pair
    top = np.zeros(style.shape[:2], np.float32)
    top[: style.shape[0] // 2] = 1
    s = optimize.Stylizer(content, style, size=64, weights="imagenet",
                          verbose=False, style_masks=[top])
    plain = optimize.Stylizer(content, style, size=64, weights="imagenet",
                              verbose=False)
    feats = s.extractor(s.styles[0][None])
    want = spatial.guided_gram(feats["conv1_1"], spatial.downsample_mask(
        spatial.resize_mask(top, s.styles[0].shape[:2]), 1))
    np.testing.assert_allclose(s.style_targets[0][0], want, rtol=1e-5)
    assert not np.allclose(s.style_targets[0][0], plain.style_targets[0][0])


@pytest.mark.parametrize("masks, message", [
    ([left_half(), left_half()], "got 2 masks for 1 styles"),
    ([np.zeros((48, 64))], "is empty"),
    ([np.full((48, 64), 2.0)], "must lie in"),
])
def test_bad_masks_are_refused(pair, masks, message):
    content, style = pair
    with pytest.raises(SettingsError, match=message):
        optimize.stylize(content, style, size=32, steps=1, weights="imagenet",
                         masks=masks, progress=False)


def test_stylize_with_masks_caches_per_mask_and_runs(pair):
    content, style = pair
    optimize.clear_cache()
    r1 = optimize.stylize(content, style, size=64, steps=4, weights="imagenet",
                          masks=[left_half()], progress=False)
    optimize.stylize(content, style, size=64, steps=1, weights="imagenet",
                     masks=[1 - left_half()], progress=False)
    optimize.stylize(content, style, size=64, steps=1, weights="imagenet",
                     masks=[left_half()], progress=False)
    assert optimize.cache_stats == {"hits": 1, "misses": 2}
    assert r1.best_loss < r1.history["total"][0]


# ---------------------------------------------------- several styles ---

def test_blend_weights_are_normalised(pair):
    content, style = pair
    s = optimize.Stylizer(content, [style, style[::-1]], size=32,
                          weights="imagenet", verbose=False)
    np.testing.assert_allclose(s.blend_weights.numpy(), [0.5, 0.5])
    s.set_weights(blend_weights=[2, 6])
    np.testing.assert_allclose(s.blend_weights.numpy(), [0.25, 0.75])
    with pytest.raises(SettingsError, match="must not all be 0"):
        s.set_weights(blend_weights=[0, 0])
    with pytest.raises(SettingsError, match="has 3 values for 2"):
        s.set_weights(blend_weights=[1, 2, 3])


def test_style_scale_changes_the_style_size_and_grams(pair):
    content, style = pair
    s = optimize.Stylizer(content, [style, style], size=64, weights="imagenet",
                          verbose=False, style_scale=[1.0, 0.5])
    assert max(s.styles[0].shape[:2]) == 64
    assert max(s.styles[1].shape[:2]) == 32
    for a, b in zip(*s.style_targets):
        assert a.shape == b.shape
        assert not np.allclose(a, b, rtol=1e-2)
    with pytest.raises(SettingsError, match="got 3 style scales for 2"):
        optimize.Stylizer(content, [style, style], size=64, weights="imagenet",
                          verbose=False, style_scale=[1, 1, 1])


def test_blended_losses_equal_a_blended_gram_up_to_a_constant(pair):
    """sum_b w_b |G - A_b|^2 = |G - sum_b w_b A_b|^2 + const: the gradient
    is that of matching the weighted mean Gram (neural-style's blend)."""
    content, style = pair
    other = style[::-1, ::-1].copy()
    s = optimize.Stylizer(content, [style, other], size=48, weights="imagenet",
                          verbose=False)
    s.set_weights(blend_weights=[1, 3], content_weight=0, tv_weight=0)
    x = tf.constant(s.initial_image("noise", seed=1)[None])
    terms, grad = s._terms_and_grad(x)
    style_loss = terms.style
    with tf.GradientTape() as tape:
        tape.watch(x)
        feats = s.extractor(x)
        mean_loss = tf.add_n([
            s.objective.layer_weights[i] * losses.style_layer_loss(
                feats[name], 0.25 * a + 0.75 * b)
            for i, (name, a, b) in enumerate(zip(s.style_layers,
                                                 *s.style_targets))])
    mean_grad = tape.gradient(mean_loss, x) * s.style_weight
    np.testing.assert_allclose(grad.numpy(), mean_grad.numpy(), rtol=1e-3,
                               atol=1e-3 * np.abs(grad.numpy()).max())
    assert float(style_loss) >= float(mean_loss)
