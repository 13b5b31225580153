"""Tests for style_lib.video.judge: a clip judged with what the method did not use.

The case the judge exists for: a clip that follows the flow blindly (every
frame the first one warped along) is perfectly steady by the methods' own
flicker measure and loses its subject; the judge must score its layout badly.
"""
from __future__ import annotations

import numpy as np
import pytest

from style_lib.core import quality
from style_lib.errors import SettingsError
from style_lib.video import clips, flow, judge

_CACHE: dict[str, object] = {}


@pytest.fixture
def clip(demo_images) -> clips.Clip:
    if "clip" not in _CACHE:
        from style_lib.io import data
        photo = data.load("tubingen", max_size=200)
        _CACHE["clip"] = clips.synthetic_clip(photo, frames=4, size=(72, 96), pan=(3.0, 1.5))
    return _CACHE["clip"]


def _follow_the_flow(frames: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """Frame 0, then each frame the previous result warped along the flow."""
    out = [frames[0]]
    for f in flows:
        out.append(flow.warp(out[-1], f))
    return np.stack(out)


def test_the_warping_error_is_zero_for_a_still_clip_and_grows_with_noise(clip):
    still = np.repeat(clip.frames[:1], 4, axis=0)
    zero = np.zeros(clip.true_flows.shape, np.float32)
    ones = np.ones(zero.shape[:3], np.float32)
    assert judge.warping_error(still, zero, ones) == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(0)
    errors = [judge.warping_error(np.clip(still + rng.normal(0, s, still.shape), 0, 255), zero, ones)
              for s in (2.0, 8.0)]
    assert 0 < errors[0] < errors[1]
    # Lai et al.'s units: RGB in [0, 1], squared differences summed over the channels
    assert errors[1] == pytest.approx(2 * 3 * (8.0 / 255) ** 2, rel=0.15)


def test_the_warping_error_ignores_the_masked_pixels(clip):
    frames = clip.frames.copy()
    flows, masks, _ = judge.judge_flows(clip)
    base = judge.warping_error(frames, flows, masks)
    frames[1:, :10] = 0.0                     # damage a strip, then mask it out
    masks = masks.copy()
    masks[:, :10] = 0.0
    assert judge.warping_error(frames, flows, masks) == pytest.approx(
        judge.warping_error(clip.frames, flows, masks), rel=1e-6)
    assert base >= 0


def test_a_synthetic_clip_is_judged_with_its_exact_flow_a_real_one_with_farneback(clip):
    flows, masks, name = judge.judge_flows(clip)
    np.testing.assert_array_equal(flows, clip.true_flows)
    assert "exact" in name and masks.shape == flows.shape[:3]
    assert 0.5 < masks.mean() < 1.0           # only where the flow leaves the frame
    real = clips.Clip(clip.frames, 12.0, "real", "")
    flows, masks, name = judge.judge_flows(real)
    assert "Farnebäck" in name and judge.JUDGE_FLOW_METHOD == "farneback"
    np.testing.assert_allclose(flows, flow.clip_flows(real.frames, method="farneback")[0])


def test_the_input_clip_follows_its_exact_flow_closely(clip):
    flows, masks, _ = judge.judge_flows(clip)
    shuffled = clip.frames[[0, 2, 1, 3]]
    assert judge.warping_error(clip.frames, flows, masks) < \
        0.25 * judge.warping_error(shuffled, flows, masks)


def test_a_clip_that_follows_the_flow_blindly_is_steady_but_loses_its_subject(clip):
    """The failure the circular measure rewards: steady by the method's own flow, but
    every frame is frame 0 dragged along; the judge's layout catches it."""
    dis_flows, dis_masks = flow.clip_flows(clip.frames)
    blind = _follow_the_flow(clip.frames, dis_flows)
    assert flow.flicker(blind, dis_flows, dis_masks) < 0.5 * flow.flicker(clip.frames, dis_flows, dis_masks)
    blurred = blind.copy()
    blurred[1:] = blurred[1:].mean(axis=(1, 2), keepdims=True)    # the subject fades to a blob
    layouts = [quality.layout_correlation(f, p) for f, p in zip(blurred, clip.frames)]
    assert layouts[0] > 0.99 and max(layouts[1:]) < 0.2


def test_the_clip_judge_reports_per_frame_quality_against_the_frames_alone(clip):
    clip_judge = judge.ClipJudge(clip, "starry_night", weights="imagenet")
    photos = clip_judge(clip.frames)
    assert photos.layouts.shape == photos.distances.shape == (4,)
    assert photos.worst_layout > 0.99
    assert photos.warping_error == pytest.approx(clip_judge.input_error)
    faded = clip.frames.copy()
    faded[2:] = faded[2:].mean(axis=(1, 2), keepdims=True)
    verdict = clip_judge(faded)
    assert verdict.worst_layout < 0.5 < photos.worst_layout
    ratios = verdict.distance_ratios(photos)
    assert ratios[0] == pytest.approx(1.0) and ratios.shape == (4,)
    with pytest.raises(SettingsError, match="do not match"):
        clip_judge(clip.frames[:2])


def test_bad_shapes_are_refused_in_one_line(clip):
    flows, masks, _ = judge.judge_flows(clip)
    with pytest.raises(SettingsError, match="judge_flows"):
        judge.warping_error(clip.frames, flows[:1], masks[:1])
    with pytest.raises(SettingsError, match="T >= 2"):
        judge.warping_error(clip.frames[:1], flows[:0], masks[:0])


def test_the_moving_layout_sees_a_moving_subject_fade_that_the_whole_frame_layout_misses(clip):
    """A subject the size of a fifth of the frame turned into a flat blob: the 32-px
    layout of the whole frame stays high, the moving part's layout falls to 0."""
    frame = clip.frames[1]
    mask = np.zeros(frame.shape[:2], bool)
    mask[20:50, 30:60] = True                       # the "subject"
    faded = frame.copy()
    faded[mask] = faded[mask].mean(axis=0)
    assert quality.layout_correlation(faded, frame) > 0.8
    assert judge.moving_layout(faded, frame, mask) < 0.1
    assert judge.moving_layout(frame, frame, mask) > 0.99
    flow_field = np.zeros(frame.shape[:2] + (2,), np.float32)
    flow_field[mask] = (2.0, 0.0)
    assert np.array_equal(judge.moving_mask(flow_field), mask)      # only what moves
    assert judge.moving_mask(np.zeros_like(flow_field)).all()      # nothing moves: all of it
    rng = np.random.default_rng(0)
    everywhere = rng.uniform(1, 3, flow_field.shape).astype(np.float32)
    assert judge.moving_mask(everywhere).mean() == pytest.approx(judge.MOVING_SHARE, abs=0.01)
