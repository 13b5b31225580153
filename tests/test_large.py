"""Large prints: memory estimate, refusal, coarse-to-fine."""
import re

import numpy as np
import pytest

from style_lib import large, optimize
from style_lib.errors import SettingsError

GB = 2**30


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(2)
    content = rng.uniform(0, 255, (48, 64, 3)).astype(np.float32)
    content[:, :32] *= 0.4
    style = np.tile(np.linspace(0, 255, 16, dtype=np.float32)[:, None, None],
                    (4, 64, 3))
    return content, style


def test_image_shape_follows_the_longest_side():
    assert large.image_shape(1024, 4 / 3) == (768, 1024)
    assert large.image_shape(1024, 0.75) == (1024, 768)
    assert large.image_shape(256, 1.0) == (256, 256)


def test_activation_bytes_counts_vgg_layers():
    # conv1_1 only: input twice (RGB and VGG input) plus 64 channels, float32
    assert large.activation_bytes(64, 1.0, ["conv1_1"]) == 4 * 64 * 64 * (6 + 64)
    assert large.activation_bytes(256, layers=["conv5_1"]) > \
        large.activation_bytes(256, layers=["conv3_1"])


def test_estimate_is_monotone_in_size():
    sizes = [16, 64, 128, 256, 300, 512, 1000, 1024, 2048, 4096]
    for optimizer in ("lbfgs", "adam", "gd"):
        est = [large.estimate_memory(s, optimizer=optimizer) for s in sizes]
        assert all(a < b for a, b in zip(est, est[1:])), optimizer
    assert large.estimate_memory(512, optimizer="lbfgs") > \
        large.estimate_memory(512, optimizer="adam")
    assert large.estimate_memory(256, include_base=False) == \
        large.estimate_memory(256) - large.BASE_BYTES


@pytest.mark.parametrize("size", [128, 256])
def test_estimate_is_within_1_5x_of_the_measured_peak(size):
    measured = large.measure_peak_rss(size, steps=2)
    estimate = large.estimate_memory(size)
    assert measured["peak"] >= measured["base"] > 0
    assert 1 / 1.5 < estimate / measured["peak"] < 1.5, (estimate, measured)


def test_max_size_that_fits_is_the_boundary():
    for available in (0.6 * GB, 2 * GB, 6 * GB):
        n = large.max_size_that_fits(available)
        assert 16 < n < 4096
        assert large.estimate_memory(n, include_base=False) <= \
            large.MARGIN * available
        assert large.estimate_memory(n + 1, include_base=False) > \
            large.MARGIN * available
    assert large.max_size_that_fits(1000) == 0
    assert large.max_size_that_fits(10**15) == 4096


def test_refusal_names_a_size_that_fits(monkeypatch):
    monkeypatch.setattr(large, "available_memory", lambda: int(1.5 * GB))
    with pytest.raises(SettingsError, match="largest size that fits is") as err:
        large.check_memory(4096)
    fits = int(re.search(r"fits is (\d+) px", str(err.value)).group(1))
    assert 256 < fits < 4096
    assert "1.5 GB is available" in str(err.value)
    assert large.check_memory(fits) <= large.MARGIN * 1.5 * GB


def test_stylize_refuses_huge_sizes_before_any_work(monkeypatch, pair):
    content, style = pair
    monkeypatch.setattr(large, "available_memory", lambda: int(1 * GB))
    monkeypatch.setattr(optimize, "get_stylizer",
                        lambda *a, **k: pytest.fail("should refuse first"))
    with pytest.raises(SettingsError, match="largest size that fits"):
        optimize.stylize(content, style, size=2048, steps=1, weights="imagenet")


def test_available_memory_is_positive():
    assert large.available_memory() > 0


def test_default_sizes_and_stage_steps():
    assert large.default_sizes(1024) == (256, 512, 1024)
    assert large.default_sizes(800) == (400, 800)
    assert large.default_sizes(200) == (200,)
    assert large._stage_steps(40, 3) == (40, 20, 10)
    assert large._stage_steps([5, 3], 2) == (5, 3)
    with pytest.raises(SettingsError, match="2 values for 3 sizes"):
        large._stage_steps([5, 3], 3)


def test_coarse_to_fine_sizes_and_each_stage_starts_from_the_last(pair):
    content, style = pair
    firsts = {}
    stage = {"k": 0}

    def first_image(p):
        firsts.setdefault(stage["k"], p.image.copy())

    result = large.coarse_to_fine(
        content, style, sizes=(24, 48, 64), steps=(4, 3, 2), weights="imagenet",
        progress=False, verbose=False, callback=first_image,
        on_stage=lambda k, r: stage.update(k=k + 1))
    assert result.image.shape == optimize.as_image(content, 64).shape
    assert [max(r.image.shape[:2]) for r in result.stages] == [24, 48, 64]
    assert [len(r.history["step"]) for r in result.stages] == [4, 3, 2]
    assert len(result.seconds) == 3 and result.total_seconds > 0
    assert result.memory_estimate == large.estimate_memory(64, 64 / 48)
    np.testing.assert_allclose(firsts[0], optimize.as_image(content, 24),
                               atol=1e-3)
    for k in (1, 2):
        prev = result.stages[k - 1].image
        want = large.upscale(prev, result.stages[k].image.shape[:2])
        np.testing.assert_allclose(firsts[k], want, atol=1e-3)
        assert result.stages[k].settings["init"] == "array"


def test_coarse_to_fine_checks_memory_before_starting(monkeypatch, pair):
    content, style = pair
    monkeypatch.setattr(large, "available_memory", lambda: int(0.5 * GB))
    monkeypatch.setattr(optimize, "stylize",
                        lambda *a, **k: pytest.fail("should refuse first"))
    with pytest.raises(SettingsError, match="largest size that fits"):
        large.coarse_to_fine(content, style, sizes=(256, 1024, 2048))


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": (64, 32)}, "sizes must increase"),
    ({"sizes": ()}, "at least one size"),
    ({"sizes": (32, 64), "size": 64}, "not size="),
    ({"sizes": (32, 64), "steps": 0}, "steps must be whole numbers"),
])
def test_coarse_to_fine_bad_settings(pair, kwargs, message):
    content, style = pair
    with pytest.raises(SettingsError, match=message):
        large.coarse_to_fine(content, style, weights="imagenet", **kwargs)


def test_coarse_to_fine_with_colour_preservation(pair):
    from style_lib import color
    content, style = pair
    result = large.coarse_to_fine(content, style, sizes=(32, 64), steps=(3, 2),
                                  weights="imagenet", progress=False,
                                  verbose=False, preserve_color="luminance")
    base = optimize.as_image(content, 64)
    np.testing.assert_allclose(color.rgb_to_yiq(result.image)[..., 1:],
                               color.rgb_to_yiq(base)[..., 1:], atol=2e-3)
