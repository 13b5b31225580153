"""The stylisation loop: optimisers, targets cache, interrupts, bad settings."""
import numpy as np
import pytest

from style_lib import settings
from style_lib.core import losses
from style_lib.io import data, images
from style_lib.pixel import optimize
from style_lib.errors import ImageError, SettingsError

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def pair64():
    rng = np.random.default_rng(1)
    content = rng.uniform(0, 255, (48, 64, 3)).astype(np.float32)
    content[:, :32] *= 0.3            # some structure: a dark half
    style = np.tile(np.linspace(0, 255, 16, dtype=np.float32)[:, None, None],
                    (4, 64, 3))        # stripes
    style[..., 1] = style[::-1, :, 1]
    return content, style


@pytest.fixture
def stylizer64(pair64):
    content, style = pair64
    return optimize.Stylizer(content, style, size=64, weights="imagenet",
                             verbose=False)


@pytest.mark.parametrize("optimizer", settings.OPTIMIZERS)
def test_every_optimiser_lowers_the_objective(stylizer64, optimizer):
    result = stylizer64.run(steps=8, optimizer=optimizer, progress=False)
    h = result.history
    assert len(h["total"]) == 8
    assert result.best_loss < 0.8 * h["total"][0]
    assert result.image.shape == (48, 64, 3)
    assert 0 <= result.image.min() and result.image.max() <= 255
    assert np.all(np.diff(h["seconds"]) >= 0)
    assert result.settings["optimizer"] == optimizer


def test_the_total_is_the_weighted_sum_of_the_terms(stylizer64):
    stylizer64.set_weights(content_weight=2.0, style_weight=30.0, tv_weight=0.5)
    terms = stylizer64.loss_terms(stylizer64.initial_image("noise"))
    assert terms["total"] == pytest.approx(
        2 * terms["content"] + 30 * terms["style"] + 0.5 * terms["tv"], rel=1e-5)


def test_gd_is_the_hvass_labs_recipe_step(stylizer64):
    """One step is x - 10 * g / std(g), clipped to [0, 255]."""
    import tensorflow as tf
    x0 = stylizer64.initial_image("noise", seed=3)
    (_, grad) = stylizer64._terms_and_grad(tf.constant(x0[None]))
    expected = np.clip(x0 - 10 * grad.numpy()[0] / (grad.numpy().std() + 1e-8), 0, 255)
    seen = []
    stylizer64.run(steps=2, optimizer="gd", init=x0, progress=False,
                   callback=lambda p: seen.append(p.image.copy()))
    np.testing.assert_allclose(seen[1], expected, rtol=1e-4, atol=1e-3)


def test_noise_init_is_seeded_and_grey_centred(stylizer64):
    a, b = stylizer64.initial_image("noise", 5), stylizer64.initial_image("noise", 5)
    np.testing.assert_array_equal(a, b)
    assert abs(a.mean() - 128) < 3
    assert not np.array_equal(a, stylizer64.initial_image("noise", 6))


def test_weight_changes_reuse_targets_and_the_compiled_step(stylizer64):
    stylizer64.run(steps=2, progress=False)
    traces = stylizer64.traces
    for w in (1e2, 1e3, 1e5):
        stylizer64.set_weights(style_weight=w)
        stylizer64.run(steps=2, progress=False)
    assert stylizer64.targets_computed == 1
    assert stylizer64.traces == traces


def test_stylize_caches_targets_across_calls(pair64):
    optimize.clear_cache()
    content, style = pair64
    kw = dict(size=48, steps=2, weights="imagenet", progress=False)
    optimize.stylize(content, style, style_weight=1e3, **kw)
    optimize.stylize(content, style, style_weight=1e5, tv_weight=0, **kw)
    assert optimize.cache_stats == {"hits": 1, "misses": 1}
    (stylizer,) = optimize._CACHE.values()
    assert stylizer.targets_computed == 1
    assert stylizer.weights()["style_weight"] == 1e5


def test_callback_can_stop_and_keeps_the_best_image(stylizer64):
    seen = []
    result = stylizer64.run(steps=50, optimizer="adam", progress=False,
                            callback=lambda p: seen.append(p.total) or p.step >= 3)
    assert result.stopped and not result.interrupted
    assert len(result.history["step"]) == 3 == len(seen)
    assert result.best_loss == min(seen)


def test_ctrl_c_returns_the_best_image_so_far(stylizer64, capsys):
    def interrupt(progress):
        if progress.step == 4:
            raise KeyboardInterrupt
    result = stylizer64.run(steps=50, optimizer="lbfgs", progress=False,
                            callback=interrupt)
    assert result.interrupted
    assert result.image.shape == (48, 64, 3) and np.isfinite(result.image).all()
    assert result.best_loss == min(result.history["total"])
    assert "best image so far" in capsys.readouterr().out


def test_blend_of_two_styles_interpolates_the_style_loss(pair64):
    content, style = pair64
    s = optimize.Stylizer(content, [style, style[::-1, ::-1]], size=48,
                          weights="imagenet", verbose=False)
    x = s.initial_image("noise")
    s.set_weights(blend_weights=[1, 0])
    a = s.loss_terms(x)["style"]
    s.set_weights(blend_weights=[0, 1])
    b = s.loss_terms(x)["style"]
    s.set_weights(blend_weights=[1, 3])
    assert s.loss_terms(x)["style"] == pytest.approx(0.25 * a + 0.75 * b, rel=1e-4)


@pytest.mark.parametrize("kwargs, message", [
    ({"style_weight": -1}, "style_weight must be a finite number >= 0"),
    ({"content_weight": float("nan")}, "content_weight must be a finite"),
    ({"tv_weight": float("inf")}, "tv_weight must be a finite"),
    ({"style_layers": ["conv1_1", "conv6_1"]}, "Unknown VGG16 layer 'conv6_1'"),
    ({"content_layers": []}, "at least one"),
    ({"optimizer": "sgd"}, "optimizer must be one of"),
    ({"steps": 0}, "steps must be a whole number"),
    ({"size": 100000}, "size must be a whole number of pixels"),
    ({"size": 8}, "size must be"),
    ({"init": "zeros"}, "init must be"),
    ({"layer_weights": {"conv9_1": 1}}, "not among"),
    ({"layer_weights": [1, 1]}, "has 2 values for 5"),
])
def test_bad_settings_are_refused_with_the_fix(pair64, kwargs, message):
    content, style = pair64
    options = dict(size=32, steps=1, weights="imagenet", progress=False) | kwargs
    with pytest.raises(SettingsError, match=message):
        optimize.stylize(content, style, **options)


def test_unknown_demo_name_suggests_one(demo_images):
    with pytest.raises(ImageError, match="Did you mean 'starry_night'"):
        optimize.stylize("tubingen", "starry_nite", size=32, steps=1)


def test_real_pair_moves_the_grams_toward_the_style(demo_images):
    """128 px tubingen + starry_night: the style term falls, the image changes."""
    optimize.clear_cache()
    result = optimize.stylize("tubingen", "starry_night", size=128, steps=25,
                              weights="imagenet", progress=False)
    (stylizer,) = optimize._CACHE.values()
    content = stylizer.content
    assert result.image.shape == content.shape == (96, 128, 3)
    feats = stylizer.extractor(result.image[None])
    start = stylizer.extractor(content[None])
    for name, target in zip(stylizer.style_layers, stylizer.style_targets[0]):
        before = losses.style_layer_loss(start[name], target).numpy()
        after = losses.style_layer_loss(feats[name], target).numpy()
        assert after < 0.5 * before, name
    assert np.abs(result.image - content).mean() > 5
    assert result.weights_source.startswith("imagenet")


def test_resize_keeps_aspect_and_range():
    img = RNG.uniform(0, 255, (300, 200, 3)).astype(np.float32)
    out = images.resize_image(img, 60)
    assert out.shape == (60, 40, 3)
    assert out.min() >= 0 and out.max() <= 255


def test_default_style_weight_grows_with_the_pixel_count():
    """Eq. 1 sums over positions, the Gram loss does not: b must follow the pixel count."""
    assert settings.default_style_weight(192, 256) == settings.DEFAULT_STYLE_WEIGHT == 1e3
    assert settings.default_style_weight(384, 512) == pytest.approx(4e3)
    content = np.full((30, 40, 3), 100.0, np.float32)
    style = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    for size in (32, 64):
        result = optimize.stylize(content, style, size=size, steps=1, weights="imagenet",
                                  progress=False)
        h, w = result.image.shape[:2]
        assert result.settings["style_weight"] == pytest.approx(
            settings.default_style_weight(h, w), rel=1e-6)


def test_synthesize_texture_needs_no_content():
    painting = data.load("starry_night", max_size=64)
    result = optimize.synthesize_texture(painting, size=48, steps=12, progress=False,
                                         weights="imagenet")
    h = result.history
    assert result.image.shape[:2] == data.as_image(painting, 48).shape[:2]
    assert set(h["content"]) == {0.0}
    assert h["style"][-1] < 0.5 * h["style"][0]
    assert result.settings["content_layers"] == ()
    with pytest.raises(SettingsError, match="a texture has no content"):
        optimize.Stylizer(None, painting, size=32, content_layers=["conv4_2"],
                          verbose=False)
    with pytest.raises(SettingsError, match="init must be 'noise'"):
        optimize.synthesize_texture(painting, size=32, steps=2, init="content")


@pytest.mark.parametrize("shape, size, match", [
    ((30, 40, 3), 16, r"16x12 px.*at least 16 px.*conv5_1.*size >= 22"),   # 4:3 at the minimum
    ((16, 300, 3), 64, r"64x3 px.*Fix: use size >= "),                   # a thin strip
])
def test_pictures_too_small_for_vgg_are_one_clear_error(shape, size, match):
    content = np.full(shape, 120.0, np.float32)
    with pytest.raises(SettingsError, match=match):
        optimize.stylize(content, np.full((64, 64, 3), 90.0, np.float32), size=size,
                         steps=1, weights="imagenet")


def test_a_small_style_scale_is_one_clear_error():
    with pytest.raises(SettingsError, match=r"style image 1 .*larger style_scale"):
        optimize.stylize(np.full((48, 64, 3), 120.0, np.float32),
                         np.full((48, 64, 3), 90.0, np.float32), size=64,
                         style_scale=0.1, steps=1, weights="imagenet")   # 16x12 px


def test_a_negative_seed_is_one_clear_error():
    with pytest.raises(SettingsError, match="seed must be a whole number >= 0"):
        optimize.stylize(np.full((48, 64, 3), 120.0, np.float32),
                         np.full((64, 64, 3), 90.0, np.float32), size=32, steps=1,
                         init="noise", seed=-1, weights="imagenet")


def test_recoloured_init_is_the_photo_in_the_paintings_colours():
    from style_lib.core import color
    from style_lib.core.quality import Judge
    stylizer = optimize.Stylizer("tubingen", "starry_night", size=64, verbose=False)
    x0 = stylizer.initial_image("recoloured")
    mean, _ = color.channel_stats(x0)
    painting_mean, _ = color.channel_stats(stylizer.styles[0])
    np.testing.assert_allclose(mean, painting_mean, atol=3.0)      # the painting's palette
    judge = Judge(stylizer.content, stylizer.styles[0], size=64)
    assert judge.layout(x0) > 0.9                                   # the photo's scene
    result = stylizer.run(steps=2, init="recoloured", progress=False)
    assert result.settings["init"] == "recoloured"


def test_a_texture_has_no_photo_to_recolour():
    with pytest.raises(SettingsError, match="'noise', 'style' or an"):
        optimize.synthesize_texture("starry_night", size=32, steps=1, init="recoloured")
