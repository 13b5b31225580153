"""The precomputed figures of notebook 06: committed, credited, named, and remade by their command."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

from style_lib.io import data
from style_lib import figures
from style_lib.errors import ImageError, SettingsError


def _credits() -> str:
    return (figures.IMAGES / "CREDITS.md").read_text(encoding="utf-8")


def test_the_gallery_is_committed_credited_and_named():
    assert "## The gallery" in _credits() and "CC BY 3.0" in _credits()
    for name in figures.GALLERY:
        assert name in data.NAMES and name in _credits()
        with Image.open(figures.gallery_path(name)) as img:
            assert img.size == (512, 384)
    assert sorted(p.name for p in (figures.IMAGES / "gallery").iterdir()) == sorted(
        f"tubingen-{name}.jpg" for name in figures.GALLERY)
    with pytest.raises(data.UnknownImageError, match="not in the gallery"):
        figures.gallery_path("the_kiss")


def test_the_ratio_grid_is_committed_credited_and_complete():
    assert "## The ratio grid" in _credits()
    paths = [figures.ratio_grid_path(layer, ratio) for layer in figures.RATIO_GRID_LAYERS
             for ratio in figures.RATIO_GRID_RATIOS]
    assert len(set(paths)) == 8
    assert sorted(p.name for p in (figures.IMAGES / "ratio_grid").iterdir()) == sorted(
        p.name for p in paths)
    for path in paths:
        with Image.open(path) as img:
            assert max(img.size) == figures.RATIO_GRID_SIZE and img.size == (256, 192)


def test_ratio_grid_settings_are_the_papers_and_refuse_what_is_not_in_the_grid():
    settings = figures.ratio_grid_settings("conv2_2", 1e-3)
    assert settings["content_layers"] == ["conv2_2"] and settings["init"] == "noise"
    assert settings["content_weight"] / settings["style_weight"] == pytest.approx(1e-3)
    with pytest.raises(SettingsError, match="Fix: pick a layer"):
        figures.ratio_grid_settings("conv3_1", 1e-3)
    with pytest.raises(SettingsError, match="not in the ratio grid"):
        figures.ratio_grid_path("conv4_2", 5e-3)


def test_make_ratio_grid_writes_eight_pictures_and_keeps_existing_ones(tmp_path):
    written = figures.make_ratio_grid(tmp_path, steps=2, size=32, quiet=True)
    assert [p.name for p in written] == [figures.ratio_grid_path(layer, ratio).name
                                         for layer in figures.RATIO_GRID_LAYERS
                                         for ratio in figures.RATIO_GRID_RATIOS]
    for path in written:
        with Image.open(path) as img:
            assert max(img.size) == 32
    before = written[3].read_bytes()
    with pytest.raises(ImageError, match="overwrite"):      # refused before any run
        figures.make_ratio_grid(tmp_path, steps=2, size=32, quiet=True)
    assert written[3].read_bytes() == before


def test_the_command_fails_in_one_line(tmp_path):
    missing = tmp_path / "no_such_folder"
    run = subprocess.run([sys.executable, "-m", "style_lib.figures", "ratio-grid", "-o",
                          str(missing), "-q"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "is not a folder" in run.stderr
    assert "Traceback" not in run.stderr and not missing.exists()


def test_the_class_size_clips_are_committed_credited_and_as_long_as_promised():
    """Notebook 12's clips for a projector: at least 384 px wide per panel, at least 4 s,
    three labelled panels, and the judge's verdict beside each (the bar notebook 12 checks)."""
    import json
    from style_lib.video import io
    assert "## Notebook 12's clips at class size" in _credits()
    for key in figures.VIDEO_CLIP_NAMES:
        verdict = json.loads(figures.video_clip_path(key + ".json").read_text())
        frames, height, width = verdict["shape"][:3]
        assert width >= 384 and frames / verdict["fps"] >= 4
        video, fps = io.read_video(figures.video_clip_path(key + ".mp4"))
        assert video.shape[0] == frames and fps == pytest.approx(verdict["fps"])
        assert video.shape[2] >= 3 * width and video.shape[1] > height     # 3 panels, labels
        temporal = verdict["temporal"]
        assert temporal["relative_error"] <= 0.5 and temporal["worst_distance_ratio"] <= 1.15
        assert temporal["worst_moving_layout"] >= 0.8       # the subject is kept (issue 32)
        assert temporal["worst_layout"] >= 0.8
    with pytest.raises(ImageError, match="video-clips"):
        figures.video_clip_path("missing.mp4")


def test_make_video_clips_writes_both_clips_and_verdicts_and_keeps_existing_ones(tmp_path):
    import json
    written = figures.make_video_clips(tmp_path, quiet=True, side=64, frames=3, steps=2)
    assert sorted(p.name for p in written) == ["bunny.json", "bunny.mp4", "camera.json",
                                               "camera.mp4"]
    verdict = json.loads((tmp_path / "camera.json").read_text())
    assert verdict["shape"][:3] == [3, 36, 64] and set(verdict) >= {"alone", "temporal"}
    before = (tmp_path / "camera.mp4").read_bytes()
    with pytest.raises(SettingsError, match="--overwrite"):
        figures.make_video_clips(tmp_path, quiet=True, side=64, frames=3, steps=2)
    assert (tmp_path / "camera.mp4").read_bytes() == before
