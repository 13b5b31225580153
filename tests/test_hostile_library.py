"""The library's public functions under hostile input.

Each bad call raises the library's own error (:class:`style_lib.errors.
StyleLibError`, also the matching built-in type) with a message naming the
problem, never a raw ``IndexError``/``TypeError`` from deep inside, and never
returns a black, white or unchanged picture without a word.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from style_lib.core import optimizers
from style_lib.io import data, images
from style_lib.pixel import large, memory, optimize
from style_lib.errors import ImageError, SettingsError, StyleLibError

QUICK = dict(size=32, steps=2, progress=False, weights="imagenet")


@pytest.fixture
def photo(demo_images) -> np.ndarray:
    return data.as_image("chelsea", 48)


def stylize(content, style="starry_night", **kwargs):
    return optimize.stylize(content, style, **{**QUICK, **kwargs})


def case(name, call, error, message):
    return pytest.param(call, error, message, id=name)


HOSTILE = [
    # -- pictures that are not 0..255 RGB ------------------------------------------
    case("pixels in 0..1", lambda c: stylize(c / 255), ImageError, "in 0..1"),
    case("boolean mask as picture", lambda c: stylize(c > 128), ImageError, "boolean array"),
    case("pixels x1000", lambda c: stylize(c * 1000), ImageError, "expects 0..255"),
    case("mean-subtracted pixels", lambda c: stylize(c - 128), ImageError,
         "VGG-preprocessed"),
    case("16-bit pixels", lambda c: stylize((c * 257).astype(np.uint16)), ImageError,
         "divide by 257"),
    case("string array", lambda c: stylize(np.full((32, 32, 3), "a")), ImageError,
         "dtype <U1"),
    case("empty array", lambda c: stylize(np.zeros((0, 0, 3))), ImageError,
         "the image is empty"),
    case("grey array", lambda c: stylize(c[..., 0]), SettingsError, "np.stack"),
    case("RGBA array", lambda c: stylize(np.dstack([c, c[..., :1]])), SettingsError,
         "image[..., :3]"),
    case("NaN pixels", lambda c: stylize(np.where(c > 100, np.nan, c)), SettingsError,
         "NaN"),
    case("a number as picture", lambda c: stylize(42), ImageError, "got int 42"),
    case("a dict as picture", lambda c: stylize({}), ImageError, "got dict"),
    case("ragged list", lambda c: stylize([[1, 2], [3]]), ImageError,
         "NumPy cannot read"),
    case("style pixels in 0..1", lambda c: stylize(c, c / 255), ImageError, "in 0..1"),
    # -- styles ----------------------------------------------------------------------
    case("empty style list", lambda c: stylize(c, []), SettingsError,
         "style is an empty list"),
    case("texture of an empty list", lambda c: optimize.synthesize_texture([], **QUICK),
         SettingsError, "style is an empty list"),
    case("nested style list", lambda c: stylize(c, [["starry_night"]]), ImageError,
         "dtype <U12"),
    case("style scale far too large", lambda c: stylize(c, style_scale=1000),
         SettingsError, "above the 4096 px limit"),
    # -- weights and optimiser settings ------------------------------------------------
    case("weights=None", lambda c: stylize(c, weights=None), SettingsError,
         "untrained network"),
    case("weights a number", lambda c: stylize(c, weights=42), SettingsError,
         "weights must be"),
    case("style weight overflows", lambda c: stylize(c, style_weight=1e38),
         SettingsError, "the loss is inf at the start"),
    case("all weights 0", lambda c: stylize(c, content_weight=0, style_weight=0,
                                            tv_weight=0), SettingsError,
         "nothing to optimise"),
    case("learning rate NaN", lambda c: stylize(c, optimizer="adam",
                                                learning_rate=float("nan")),
         SettingsError, "learning_rate must be a finite number > 0"),
    case("negative gd step", lambda c: stylize(c, optimizer="gd", step_size=-1),
         SettingsError, "step_size must be a finite number > 0"),
    case("L-BFGS without history", lambda c: stylize(c, history_size=0),
         SettingsError, "history_size must be"),
    case("misspelt optimizer option", lambda c: stylize(c, learning_rat=1),
         SettingsError, "Did you mean 'learning_rate'?"),
    case("size as float", lambda c: stylize(c, size=32.0), SettingsError,
         "size must be a whole number"),
    case("size as text", lambda c: stylize(c, size="256"), SettingsError,
         "size must be a whole number"),
    case("steps as float", lambda c: stylize(c, steps=2.5), SettingsError,
         "steps must be a whole number"),
    case("negative seed", lambda c: stylize(c, seed=-1, init="noise"), SettingsError,
         "seed must be a whole number"),
    case("unknown init", lambda c: stylize(c, init="photo"), SettingsError,
         "init must be"),
    case("blend weights count", lambda c: stylize(c, ["starry_night", "the_scream"],
                                                  blend_weights=[1]), SettingsError,
         "blend_weights has 1 values"),
    case("unknown layer", lambda c: stylize(c, style_layers=["conv9"]), SettingsError,
         "Unknown VGG16 layer"),
    case("masks count", lambda c: stylize(c, masks=[None, None]), SettingsError,
         "give one per style"),
    case("preserve colour True", lambda c: stylize(c, preserve_color=True),
         SettingsError, "preserve_color must be"),
    # -- other public functions -----------------------------------------------------
    case("save pixels in 0..1", lambda c: images.save_image(c / 255, "never.png"),
         ImageError, "in 0..1"),
    case("save to None", lambda c: images.save_image(c, None), SettingsError,
         "Expected an output file path"),
    case("save over existing without overwrite",
         lambda c: images.save_image(c, "exists.png", overwrite=False), ImageError,
         "already exists and is kept"),
    case("save over an input", lambda c: images.save_image(c, "exists.png",
                                                          inputs=["exists.png"]),
         ImageError, "would overwrite the input image"),
    case("load None", lambda c: images.load_image(None), SettingsError,
         "Expected a file path"),
    case("resize to 0 px", lambda c: images.resize_image(c, 0), SettingsError,
         "size must be a whole number"),
    case("coarse to fine backwards", lambda c: large.coarse_to_fine(
        c, "starry_night", sizes=(64, 32), steps=2), SettingsError, "must increase"),
    case("memory of 0 px", lambda c: memory.estimate_memory(0), SettingsError,
         "size must be a whole number"),
    case("unknown demo image", lambda c: data.path("monalisa"), ImageError,
         "Unknown demo image"),
    case("minimize with NaN step", lambda c: optimizers.minimize(
        lambda x: (0.0, x, None), np.zeros(3), method="gd", step_size=float("nan")),
         SettingsError, "step_size"),
]


#: Words with which a message tells the reader what to do.
FIXES = ("Fix:", "Did you mean", "give ", "pass ", "choose ", "Valid names", "Use ")


def test_the_table_is_long_enough():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize("call, error, message", HOSTILE)
def test_a_hostile_call_raises_the_library_error(call, error, message, photo,
                                                 tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.full((40, 40, 3), 7, np.uint8)).save("exists.png")
    before = Path("exists.png").read_bytes()
    with pytest.raises(StyleLibError) as raised:
        call(photo)
    assert isinstance(raised.value, error), repr(raised.value)
    text = str(raised.value)
    assert message in text, text
    assert "\n" not in text
    assert any(fix in text for fix in FIXES), f"no fix in: {text}"
    assert Path("exists.png").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.png"]


def test_good_unusual_inputs_still_work(photo, demo_images):
    """What the checks must not refuse: a list holding a Path, a tuple of names,
    uint8 and integer arrays, a batch of one, values a hair outside 0..255."""
    for style in ([data.path("starry_night")], ("starry_night", "the_scream")):
        assert stylize(photo, style).image.shape == (21, 32, 3)
    for content in (photo.astype(np.uint8), photo.astype(np.int64), photo[None],
                    np.clip(photo, 0, 255) * 1.002 - 0.2):
        assert data.as_image(content).shape == photo.shape
    black = np.zeros_like(photo)            # all 0 is a black picture, not 0..1
    assert data.as_image(black).max() == 0


# ------------------------------------------------------ damaged demo cache ---

@pytest.fixture
def private_cache(tmp_path, demo_images, monkeypatch) -> Path:
    """A cache holding a good copy of tubingen (from the mirror), separate
    from the session's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("STYLE_LIB_CACHE", str(cache))
    data.path("tubingen")
    return cache


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["truncated", "replaced by another picture"])
def test_a_damaged_cached_demo_image_is_fetched_again(damage, private_cache):
    path = data.cache_path("tubingen")
    good, good_pixels = _digest(path), data.load("tubingen")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:500])
    else:
        Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(path, format="JPEG")
    assert np.array_equal(data.load("tubingen"), good_pixels)
    assert _digest(path) == good


def test_a_damaged_cache_without_a_source_says_what_to_delete(private_cache,
                                                             monkeypatch):
    path = data.cache_path("tubingen")
    path.write_bytes(path.read_bytes()[:500])
    damaged = path.read_bytes()
    monkeypatch.delenv("STYLE_LIB_IMAGE_MIRROR")        # offline, no mirror
    with pytest.raises(ImageError) as raised:
        data.load("tubingen")
    assert "damaged" in str(raised.value) and f"delete {path}" in str(raised.value)
    assert path.read_bytes() == damaged                  # nothing else destroyed


def test_the_sidecar_records_the_downloaded_size(private_cache):
    meta = json.loads(data.cache_path("tubingen").with_suffix(".json").read_text())
    with Image.open(data.cache_path("tubingen")) as img:
        assert (meta["width"], meta["height"]) == img.size
