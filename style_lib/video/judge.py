"""Judging a stylised clip with what the method did not use.

A temporal method ties each frame to the previous one along an optical flow
(DIS, :func:`style_lib.video.flow.clip_flows`). Measuring its steadiness with
that same flow and mask is circular: a clip that follows the flow blindly,
even one whose moving subject has faded into a blur, scores as steady as
can be. So the judge measures two things, each with tools the method never saw:

* **Warping error** (Lai et al., ECCV 2018, "Learning Blind Video Temporal
  Consistency", Sec. 5.1; their ``evaluate_WarpError.py``): with RGB in ``[0, 1]``,

      E_warp = 1/(T-1) Σ_t  Σ_p M_t(p) ‖V_t(p) - ω(V_{t-1})(p)‖²  /  Σ_p M_t(p)

  where ``ω`` warps along a flow the method did not use and ``M_t`` is 0 where
  that flow is occluded. Lai et al. warp frame t+1 onto t; we warp t-1 onto t
  (the same pairs, the other way round), so the known flows of a synthetic
  clip serve as they are. :func:`judge_flows` gives the flows: the exact
  ones of a synthetic clip (masked only where they leave the frame), or
  Farnebäck's (a different estimator from the method's DIS) for a real clip.
* **Per-frame quality**: each stylised frame's style distance to the
  painting (:class:`style_lib.core.quality.Judge`, by default with HED's
  VGG16, a network no method here optimises), the correlation of its
  layout with its own photo frame (:func:`~style_lib.core.quality.layout_correlation`,
  32 px, the whole frame) and the same correlation over the frame's
  **moving part** only (:func:`moving_layout`, 96 px): a moving subject
  is a small part of most frames, and when it fades into a blur the
  32-px layout of the whole frame hardly moves. A steady clip that loses its
  subject loses moving layout; one that loses its strokes loses style distance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.color import luminance
from ..core.quality import Judge, layout_correlation
from ..errors import SettingsError
from . import flow as flows_lib
from .clips import Clip

__all__ = ["JUDGE_FLOW_METHOD", "MOVING_SHARE", "MOVING_SIZE", "judge_flows", "warping_error",
           "moving_mask", "moving_layout", "ClipVerdict", "ClipJudge"]

#: The optical flow the judge uses for a real clip: not the methods' DIS.
JUDGE_FLOW_METHOD = "farneback"
#: The share of a frame's pixels, those that move most, taken as its moving part.
MOVING_SHARE = 0.2
#: Pixels that move less than this (px per frame) are never the moving part.
STILL = 0.25
#: The longest side (px) at which the moving part's layout is compared.
MOVING_SIZE = 96


def judge_flows(clip: Clip) -> tuple[np.ndarray, np.ndarray, str]:
    """Flows ``(T-1, H, W, 2)`` (entry ``t-1`` from frame t to t-1), their masks
    ``(T-1, H, W)`` and a line saying which flow it is, for judging ``clip``.

    A synthetic clip's exact flows are used, masked where they point outside
    the frame (a camera move over a still photo occludes nothing else); a real
    clip gets Farnebäck's flow and Ruder et al.'s consistency mask.
    """
    if clip.true_flows is not None:
        flows = np.asarray(clip.true_flows, np.float32)
        masks = np.stack([~flows_lib.outside_frame(f) for f in flows]).astype(np.float32)
        return flows, masks, "the clip's exact flow"
    flows, masks = flows_lib.clip_flows(clip.frames, method=JUDGE_FLOW_METHOD)
    return flows, masks, "Farnebäck's flow (the methods use DIS)"


def warping_error(frames, flows, masks) -> float:
    """Lai et al.'s warping error of ``frames`` ``(T, H, W, 3)`` in ``[0, 255]``.

    ``flows`` ``(T-1, H, W, 2)``, ``flows[t-1]`` the flow from frame t to t-1,
    and ``masks`` ``(T-1, H, W)``, 1 where it is not occluded. The mean over
    t >= 1 of the squared RGB difference (in ``[0, 1]`` units, summed over the
    channels) between frame t and frame t-1 warped onto it, averaged over the
    unoccluded pixels. 0 for a clip that follows the flow exactly.
    """
    s, flows, masks = flows_lib.check_clip_flows(
        frames, flows, masks, fix="use judge_flows(clip) of the same clip")
    s = s / 255.0
    errors = []
    for t in range(1, len(s)):
        m = masks[t - 1][..., np.newaxis]
        diff = m * (s[t] - flows_lib.warp(s[t - 1], flows[t - 1]))
        errors.append(float(np.sum(diff ** 2)) / max(float(m.sum()), 1.0))
    return float(np.mean(errors))


def moving_mask(flow) -> np.ndarray:
    """The moving part of a frame: boolean ``(H, W)``, the :data:`MOVING_SHARE`
    of its pixels whose flow ``(H, W, 2)`` is longest, leaving out those that
    move less than :data:`STILL` px; the whole frame when (almost) nothing moves."""
    magnitude = np.linalg.norm(np.asarray(flow, np.float32), axis=-1)
    mask = magnitude >= max(float(np.quantile(magnitude, 1.0 - MOVING_SHARE)), STILL)
    return mask if mask.mean() >= 0.01 else np.ones_like(mask)


def moving_layout(picture, photo, mask) -> float:
    """Luminance correlation of ``picture`` and ``photo`` (``(H, W, 3)``,
    ``[0, 255]``) over ``mask`` ``(H, W)``, both shrunk to :data:`MOVING_SIZE` px:
    near 1 while the moving subject is recognisable; 0 when it is a flat blob."""
    import tensorflow as tf
    h, w = np.asarray(photo).shape[:2]
    scale = min(1.0, MOVING_SIZE / max(h, w))
    size = (max(1, round(h * scale)), max(1, round(w * scale)))

    def small(x) -> np.ndarray:
        return tf.image.resize(np.asarray(x, np.float32), size, method="area").numpy()
    keep = small(np.asarray(mask, np.float32)[..., np.newaxis])[..., 0] > 0.5
    a = luminance(small(picture))[keep]
    b = luminance(small(photo))[keep]
    if a.size < 2 or np.ptp(a) < 1e-3 or np.ptp(b) < 1e-3:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


@dataclass(frozen=True)
class ClipVerdict:
    """A stylised clip judged: its warping error and each frame's quality.

    ``distances`` ``(T,)``: each frame's style distance to the painting
    (mean relative Gram distance, 0 = the painting's statistics);
    ``layouts`` ``(T,)``: each frame's layout correlation with its photo;
    ``moving_layouts`` ``(T,)``: the same over the frame's moving part.
    """

    warping_error: float
    distances: np.ndarray
    layouts: np.ndarray
    moving_layouts: np.ndarray

    @property
    def worst_moving_layout(self) -> float:
        return float(np.min(self.moving_layouts))

    @property
    def worst_layout(self) -> float:
        return float(np.min(self.layouts))

    @property
    def worst_distance(self) -> float:
        return float(np.max(self.distances))

    def measures(self, alone: "ClipVerdict") -> dict[str, float]:
        """The verdict in five numbers, against ``alone`` (the frames stylised alone):
        warping error, as a ratio to alone's, worst layout, worst moving layout and
        the worst style-distance ratio (what notebook 12, its curve and the bench report)."""
        return {"warping_error": self.warping_error,
                "relative_error": self.warping_error / max(alone.warping_error, 1e-12),
                "worst_layout": self.worst_layout,
                "worst_moving_layout": self.worst_moving_layout,
                "worst_distance_ratio": float(self.distance_ratios(alone).max())}

    def distance_ratios(self, baseline: "ClipVerdict") -> np.ndarray:
        """``(T,)``: each frame's style distance over the baseline's same frame
        (the frames stylised alone): 1.15 = 15 % farther from the painting."""
        return self.distances / np.maximum(baseline.distances, 1e-12)


class ClipJudge:
    """Judges stylised versions of one clip after one painting.

    Args:
      clip: the photo clip (:class:`~style_lib.video.clips.Clip`).
      painting: the painting (image, path or demo name).
      weights: the network that measures style: ``"hed"`` (default: HED's
        VGG16, which no method here optimises) or ``"imagenet"``.
    """

    def __init__(self, clip: Clip, painting, *, weights: str = "hed"):
        self.clip = clip
        frames = np.asarray(clip.frames, np.float32)
        self.flows, self.masks, self.flow_name = judge_flows(clip)
        self.judge = Judge(frames[0], painting, size=max(frames.shape[1:3]), weights=weights)
        self.input_error = warping_error(frames, self.flows, self.masks)
        self.moving = [moving_mask(self.flows[max(t - 1, 0)]) for t in range(len(frames))]

    def __call__(self, stylised) -> ClipVerdict:
        """Judge stylised frames ``(T, H, W, 3)`` of the clip, in ``[0, 255]``."""
        s = np.asarray(stylised, np.float32)
        if s.shape != self.clip.frames.shape:
            raise SettingsError(f"stylised frames {s.shape} do not match the clip's "
                                f"{self.clip.frames.shape}. Fix: judge the clip they were made from.")
        return ClipVerdict(
            warping_error(s, self.flows, self.masks),
            np.array([self.judge.distance(frame) for frame in s]),
            np.array([layout_correlation(frame, photo)
                      for frame, photo in zip(s, self.clip.frames)]),
            np.array([moving_layout(frame, photo, mask)
                      for frame, photo, mask in zip(s, self.clip.frames, self.moving)]))
