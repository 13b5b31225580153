"""Large prints: coarse-to-fine."""

import numpy as np
import pytest

from style_lib.io import data
from style_lib.pixel import large, memory
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
    assert result.image.shape == data.as_image(content, 64).shape
    assert [max(r.image.shape[:2]) for r in result.stages] == [24, 48, 64]
    assert [len(r.history["step"]) for r in result.stages] == [4, 3, 2]
    assert len(result.seconds) == 3 and result.total_seconds > 0
    assert result.memory_estimate == memory.estimate_memory(64, 64 / 48)
    np.testing.assert_allclose(firsts[0], data.as_image(content, 24),
                               atol=1e-3)
    for k in (1, 2):
        prev = result.stages[k - 1].image
        want = large.upscale(prev, result.stages[k].image.shape[:2])
        np.testing.assert_allclose(firsts[k], want, atol=1e-3)
        assert result.stages[k].settings["init"] == "array"


def test_coarse_to_fine_checks_memory_before_starting(monkeypatch, pair):
    content, style = pair
    monkeypatch.setattr(memory, "available_memory", lambda: int(0.5 * GB))
    monkeypatch.setattr(large, "stylize",
                        lambda *a, **k: pytest.fail("should refuse first"))
    with pytest.raises(SettingsError, match="largest size that fits"):
        large.coarse_to_fine(content, style, sizes=(256, 1024, 2048))


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": (64, 32)}, "sizes must increase"),
    ({"sizes": ()}, "at least one size"),
    ({"sizes": (32, 64), "size": 64}, "not size="),
    ({"sizes": (32, 64), "steps": 0}, "steps must be a whole number"),
])
def test_coarse_to_fine_bad_settings(pair, kwargs, message):
    content, style = pair
    with pytest.raises(SettingsError, match=message):
        large.coarse_to_fine(content, style, weights="imagenet", **kwargs)


def test_coarse_to_fine_with_colour_preservation(pair):
    from style_lib.core import color
    content, style = pair
    result = large.coarse_to_fine(content, style, sizes=(32, 64), steps=(3, 2),
                                  weights="imagenet", progress=False,
                                  verbose=False, preserve_color="luminance")
    base = data.as_image(content, 64)
    np.testing.assert_allclose(color.rgb_to_yiq(result.image)[..., 1:],
                               color.rgb_to_yiq(base)[..., 1:], atol=2e-3)


def test_stylize_in_seconds_is_the_measured_recipe(pair):
    """Half size first, then full size from its upscale; 4x beta, recoloured start."""
    from style_lib import settings
    from style_lib.pixel import recipes
    content, style = pair
    result = recipes.stylize_in_seconds(content, style, size=64, steps=3,
                                        coarse_steps=2, precision="bfloat16",
                                        weights="imagenet", progress=False)
    assert [max(r.image.shape[:2]) for r in result.stages] == [32, 64]
    assert [len(r.history["step"]) for r in result.stages] == [2, 3]
    first, last = result.stages
    assert first.settings["init"] == "recoloured" and last.settings["init"] == "array"
    assert last.settings["precision"] == "bfloat16"
    h, w = result.image.shape[:2]
    assert last.settings["style_weight"] == pytest.approx(
        recipes.STYLE_BOOST * settings.default_style_weight(h, w))
    single = recipes.stylize_in_seconds(content, style, size=64, steps=2, coarse_steps=0,
                                        precision="float32", weights="imagenet",
                                        progress=False)
    assert len(single.stages) == 1 and single.stages[0].settings["precision"] == "float32"
    with pytest.raises(SettingsError, match="style_boost"):
        recipes.stylize_in_seconds(content, style, size=64, style_boost=-1)
