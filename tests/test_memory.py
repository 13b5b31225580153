"""The memory a run needs: estimate, measurement, refusal."""
import re

import numpy as np
import pytest

from style_lib.pixel import memory, optimize
from style_lib.errors import SettingsError

GB = 2**30


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(2)
    content = rng.uniform(0, 255, (48, 64, 3)).astype(np.float32)
    style = rng.uniform(0, 255, (16, 64, 3)).astype(np.float32)
    return content, style


def test_image_shape_follows_the_longest_side():
    assert memory.image_shape(1024, 4 / 3) == (768, 1024)
    assert memory.image_shape(1024, 0.75) == (1024, 768)
    assert memory.image_shape(256, 1.0) == (256, 256)


def test_activation_bytes_counts_vgg_layers():
    # conv1_1 only: input twice (RGB and VGG input) plus 64 channels, float32
    assert memory.activation_bytes(64, 1.0, ["conv1_1"]) == 4 * 64 * 64 * (6 + 64)
    assert memory.activation_bytes(256, layers=["conv5_1"]) > \
        memory.activation_bytes(256, layers=["conv3_1"])


def test_estimate_is_monotone_in_size():
    sizes = [16, 64, 128, 256, 300, 512, 1000, 1024, 2048, 4096]
    for optimizer in ("lbfgs", "adam", "gd"):
        est = [memory.estimate_memory(s, optimizer=optimizer) for s in sizes]
        assert all(a < b for a, b in zip(est, est[1:])), optimizer
    assert memory.estimate_memory(512, optimizer="lbfgs") > \
        memory.estimate_memory(512, optimizer="adam")
    assert memory.estimate_memory(256, include_base=False) == \
        memory.estimate_memory(256) - memory.BASE_BYTES


@pytest.mark.parametrize("size", [128, 256])
def test_estimate_is_within_1_5x_of_the_measured_peak(size):
    measured = memory.measure_peak_rss(size, steps=2)
    estimate = memory.estimate_memory(size)
    assert measured["peak"] >= measured["base"] > 0
    assert 1 / 1.5 < estimate / measured["peak"] < 1.5, (estimate, measured)


def test_max_size_that_fits_is_the_boundary():
    for available in (0.6 * GB, 2 * GB, 6 * GB):
        n = memory.max_size_that_fits(available)
        assert 16 < n < 4096
        assert memory.estimate_memory(n, include_base=False) <= \
            memory.MARGIN * available
        assert memory.estimate_memory(n + 1, include_base=False) > \
            memory.MARGIN * available
    assert memory.max_size_that_fits(1000) == 0
    assert memory.max_size_that_fits(10**15) == 4096


def test_refusal_names_a_size_that_fits(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: int(1.5 * GB))
    with pytest.raises(SettingsError, match="largest size that fits is") as err:
        memory.check_memory(4096)
    fits = int(re.search(r"fits is (\d+) px", str(err.value)).group(1))
    assert 256 < fits < 4096
    assert "1.5 GB is available" in str(err.value)
    assert memory.check_memory(fits) <= memory.MARGIN * 1.5 * GB


def test_stylize_refuses_huge_sizes_before_any_work(monkeypatch, pair):
    content, style = pair
    monkeypatch.setattr(memory, "available_memory", lambda: int(1 * GB))
    monkeypatch.setattr(optimize, "FeatureExtractor",
                        lambda *a, **k: pytest.fail("should refuse first"))
    with pytest.raises(SettingsError, match="largest size that fits"):
        optimize.stylize(content, style, size=2048, steps=1, weights="imagenet")


def test_available_memory_is_positive():
    assert memory.available_memory() > 0
