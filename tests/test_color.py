"""Colour preservation: YIQ, luminance-only transfer, histogram matching."""
import numpy as np
import pytest

from style_lib.core import color
from style_lib.io import data
from style_lib.pixel import optimize
from style_lib.errors import SettingsError

RNG = np.random.default_rng(7)


def random_image(h=24, w=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (h, w, 3)).astype(np.float32)


def test_rgb_yiq_round_trip_is_exact():
    img = random_image()
    back = color.yiq_to_rgb(color.rgb_to_yiq(img))
    np.testing.assert_allclose(back, img, atol=1e-3)
    np.testing.assert_allclose(color.RGB_TO_YIQ @ color.YIQ_TO_RGB, np.eye(3),
                               atol=1e-12)


def test_grey_pixels_have_no_chroma_and_y_is_the_grey_level():
    grey = np.full((4, 5, 3), 77.0, np.float32)
    yiq = color.rgb_to_yiq(grey)
    np.testing.assert_allclose(yiq[..., 0], 77.0, rtol=1e-6)
    np.testing.assert_allclose(yiq[..., 1:], 0.0, atol=1e-4)
    assert color.luminance(grey).shape == (4, 5)
    g3 = color.gray3(yiq[..., 0])
    assert g3.shape == (4, 5, 3) and (g3[..., 0] == g3[..., 2]).all()


def test_match_luminance_copies_mean_and_std():
    style_y = RNG.uniform(0, 60, (30, 20))
    content_y = RNG.normal(140, 35, (24, 32))
    out = color.match_luminance(style_y, content_y)
    assert out.mean() == pytest.approx(content_y.mean(), abs=1e-3)
    assert out.std() == pytest.approx(content_y.std(), rel=1e-4)


def test_luminance_inputs_are_grey_and_matched():
    content, style = random_image(seed=1), random_image(40, 30, seed=2) * 0.3
    c_grey, (s_grey,) = color.luminance_inputs(content, [style])
    for g in (c_grey, s_grey):
        assert (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()
    np.testing.assert_allclose(c_grey[..., 0], color.luminance(content),
                               atol=1e-4)
    assert s_grey[..., 0].mean() == pytest.approx(
        color.luminance(content).mean(), abs=1.0)


@pytest.mark.parametrize("stylised", ["random", "white", "black"])
def test_combine_luminance_keeps_the_content_chroma_exactly(stylised):
    content = random_image(seed=3)
    result = {"random": random_image(seed=4),
              "white": np.full_like(content, 255.0),
              "black": np.zeros_like(content)}[stylised]
    out = color.combine_luminance(result, content)
    assert out.min() >= 0 and out.max() <= 255
    np.testing.assert_allclose(color.rgb_to_yiq(out)[..., 1:],
                               color.rgb_to_yiq(content)[..., 1:], atol=2e-3)
    if stylised == "random":        # Y comes from the result where possible
        y_out, y_res = color.luminance(out), color.luminance(result)
        assert np.mean(np.abs(y_out - y_res) < 1e-2) > 0.3


@pytest.mark.parametrize("method", color.METHODS)
def test_histogram_matching_copies_mean_and_covariance(method):
    content = random_image(seed=5) @ np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.1],
                                               [0.0, 0.3, 0.4]], np.float32)
    style = random_image(40, 36, seed=6) * [0.2, 0.9, 0.5]
    out = color.match_histogram(style, content, method, clip=False)
    mu_c, cov_c = color.channel_stats(content)
    mu_o, cov_o = color.channel_stats(out)
    np.testing.assert_allclose(mu_o, mu_c, atol=1e-3)
    np.testing.assert_allclose(cov_o, cov_c, rtol=1e-4, atol=1e-2)
    assert out.shape == style.shape


def test_the_two_methods_differ_but_both_match():
    content, style = random_image(seed=8), random_image(seed=9)[..., ::-1] * 0.5
    a = color.match_histogram(style, content, "pca", clip=False)
    b = color.match_histogram(style, content, "cholesky", clip=False)
    assert np.abs(a - b).max() > 1.0


def test_histogram_matching_real_images_clipped(demo_images):
    from style_lib.io import data
    content = data.load("tubingen", max_size=128)
    style = data.load("starry_night", max_size=128)
    out = color.match_histogram(style, content)
    assert out.min() >= 0 and out.max() <= 255
    mu_c, cov_c = color.channel_stats(content)
    mu_o, cov_o = color.channel_stats(out)
    np.testing.assert_allclose(mu_o, mu_c, atol=3.0)
    assert np.abs(cov_o - cov_c).max() < 0.1 * np.abs(cov_c).max()


def test_flat_style_image_does_not_crash():
    flat = np.full((10, 10, 3), 100.0, np.float32)
    for method in color.METHODS:
        out = color.match_histogram(flat, random_image(seed=10), method)
        assert np.isfinite(out).all()


def test_bad_method_and_mode_are_refused():
    with pytest.raises(SettingsError, match="method must be one of"):
        color.match_histogram(random_image(), random_image(), "lab")
    with pytest.raises(SettingsError, match="preserve_color must be"):
        optimize.stylize(random_image(), random_image(), size=32, steps=1,
                         preserve_color="colour", weights="imagenet")


@pytest.fixture(scope="module")
def pair():
    content = random_image(36, 48, seed=11)
    content[:, :24] *= [1.0, 0.4, 0.2]          # a reddish half
    style = np.tile(np.linspace(0, 255, 12, dtype=np.float32)[:, None, None],
                    (3, 48, 3)) * [0.3, 0.5, 1.0]
    return content, style.astype(np.float32)


def test_stylize_luminance_keeps_chroma_and_changes_luminance(pair):
    content, style = pair
    result = optimize.stylize(content, style, size=48, steps=6,
                              preserve_color="luminance", weights="imagenet",
                              progress=False, style_weight=1e6)
    assert result.settings["preserve_color"] == "luminance"
    base = data.as_image(content, 48)
    assert result.image.shape == base.shape
    np.testing.assert_allclose(color.rgb_to_yiq(result.image)[..., 1:],
                               color.rgb_to_yiq(base)[..., 1:], atol=2e-3)
    assert np.abs(color.luminance(result.image) - color.luminance(base)).mean() > 1


def test_stylize_luminance_stylises_grey_images(pair):
    content, style = pair
    seen = []
    optimize.clear_cache()
    optimize.stylize(content, style, size=48, steps=2, weights="imagenet",
                     preserve_color="luminance", progress=False,
                     init=content, callback=lambda p: seen.append(p.image))
    (stylizer,) = optimize._CACHE.values()
    for img in (stylizer.content, stylizer.styles[0], seen[0]):
        assert np.abs(img[..., 0] - img[..., 2]).max() < 1e-3


def test_stylize_histogram_recolours_the_style(pair):
    content, style = pair
    optimize.clear_cache()
    result = optimize.stylize(content, style, size=48, steps=2, weights="imagenet",
                              preserve_color="histogram", progress=False)
    (stylizer,) = optimize._CACHE.values()
    mu_c, _ = color.channel_stats(data.as_image(content, 48))
    mu_s, _ = color.channel_stats(stylizer.styles[0])
    np.testing.assert_allclose(mu_s, mu_c, atol=6.0)
    assert result.settings["preserve_color"] == "histogram"
