"""Stylising a clip without flicker (Ruder, Dosovitskiy & Brox, GCPR 2016).

Stylise each frame on its own and tiny changes between frames send the
optimiser (or the network) to different local patterns: the clip flickers.
Ruder et al. tie frame ``t`` to the stylised frame ``t-1`` warped along the
optical flow ``ω``:

* **initialisation**: frame ``t`` starts from ``ω(x_{t-1})`` instead of the
  photo, so the optimiser stays near the previous frame's solution;
* **short-term temporal loss**, added to the objective of notebook 6:

      L_temporal(x) = ½ Σ_p c(p) (x(p) - ω(x_{t-1})(p))²                (eq. 7)

  where ``c`` (:func:`style_lib.video.flow.consistency_mask`) is 0 at
  occlusions and motion boundaries, where the warped frame is wrong; this
  library also multiplies in how well the photos agree along the flow
  (:func:`style_lib.video.flow.tie_masks`, after Lai et al. 2018), so that a
  turning body is not tied to a wrongly moved previous result.
  (The paper divides by the pixel count D; we use the sum, like the content
  loss of eq. 1, so one weight fits every frame size.)

For the fast networks of notebooks 08-10 there is no optimiser to tie; the
cheap fix is to blend each output with the previous output warped to it,
where the flow is reliable (:func:`stylize_clip_fast`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from ..errors import SettingsError
from ..pixel.optimize import Stylizer
from ..progress import progress_bar
from ..settings import check_steps, check_weight
from . import flow as flows_lib

__all__ = ["DEFAULT_TEMPORAL_WEIGHT", "DEFAULT_BLEND", "WARP_INTERPOLATION", "ClipResult",
           "TemporalStylizer", "stylize_clip", "stylize_clip_fast"]

#: λ of the temporal term (sum form, eq. 7), for the library's default α, β.
DEFAULT_TEMPORAL_WEIGHT = 300.0
#: how a previous result is warped onto the next frame (see :func:`style_lib.video.flow.warp`).
WARP_INTERPOLATION = "cubic"
#: how much of the warped previous output the fast method keeps, where reliable.
DEFAULT_BLEND = 0.6


@dataclass
class ClipResult:
    """Stylised frames ``(T, H, W, 3)`` float32 in ``[0, 255]`` and how they were made.

    ``seconds`` holds the wall time of each frame; ``interrupted`` is True
    when Ctrl-C stopped the run (``frames`` then holds the frames finished).
    """

    frames: np.ndarray
    seconds: list[float] = field(default_factory=list)
    method: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def seconds_per_frame(self) -> float:
        """Mean wall time per frame after the first (the first also builds the targets)."""
        later = self.seconds[1:] or self.seconds
        return float(np.mean(later)) if later else float("nan")


class TemporalStylizer(Stylizer):
    """A :class:`~style_lib.pixel.optimize.Stylizer` for a clip: the painting's targets are
    computed once; each frame sets the photo, the warped previous result and its mask.

    ``J_t(x) = α L_content + β L_style + γ L_TV + λ L_temporal`` (eq. 7);
    everything that changes between frames is a variable, so the compiled
    step is traced once for the whole clip.
    """

    def __init__(self, first_frame: np.ndarray, style, **kwargs):
        super().__init__(first_frame, style, **kwargs)
        self.previous = tf.Variable(tf.zeros((1,) + self.shape), trainable=False)
        self.reliable = tf.Variable(tf.zeros((1,) + self.shape[:2] + (1,)),
                                    trainable=False)
        self.temporal_weight = self.objective.add_term("temporal", self._temporal, 0.0)

    def _temporal(self, images: tf.Tensor) -> tf.Tensor:
        """``L_temporal`` (eq. 7) of the pictures ``(B, H, W, 3)``."""
        return 0.5 * tf.reduce_sum(self.reliable * tf.square(images - self.previous))

    def set_frame(self, frame: np.ndarray, previous: np.ndarray | None = None,
                  mask: np.ndarray | None = None, temporal_weight: float = 0.0) -> None:
        """Make ``frame`` ``(H, W, 3)`` the photo; ``previous`` the warped previous
        stylised frame and ``mask`` ``(H, W)`` where it is reliable (None: no
        temporal term)."""
        frame = np.asarray(frame, np.float32)
        if frame.shape != self.shape:
            raise SettingsError(f"a frame of shape {frame.shape} in a clip of "
                                f"{self.shape} frames. Fix: give frames of one size.")
        self.set_content(frame)
        if previous is None:
            self.reliable.assign(tf.zeros_like(self.reliable))
            self.temporal_weight.assign(0.0)
            return
        self.previous.assign(np.asarray(previous, np.float32)[np.newaxis])
        m = np.ones(self.shape[:2], np.float32) if mask is None else mask
        self.reliable.assign(np.asarray(m, np.float32)[np.newaxis, ..., np.newaxis])
        self.temporal_weight.assign(check_weight("temporal_weight", temporal_weight))

    def temporal_loss(self, image: np.ndarray) -> float:
        """``L_temporal`` of an image ``(H, W, 3)`` against the current frame's previous one."""
        diff = np.asarray(image, np.float32)[np.newaxis] - self.previous.numpy()
        return float(0.5 * np.sum(self.reliable.numpy() * diff ** 2))


def _frames(frames) -> np.ndarray:
    arr = np.asarray(frames, np.float32)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.shape[0] < 1:
        raise SettingsError(f"frames must be (T, H, W, 3), got shape {arr.shape}.")
    return arr


def _flows_and_masks(frames: np.ndarray, flows, masks):
    """DIS flows and the masks to tie to (:func:`~style_lib.video.flow.tie_masks`) when
    ``flows`` is None; given flows and masks as they are (masks default to all 1)."""
    if flows is None:
        flows, masks = flows_lib.clip_flows(frames)
        return flows, flows_lib.tie_masks(frames, flows, masks)
    flows = np.asarray(flows, np.float32)
    masks = np.ones(flows.shape[:3], np.float32) if masks is None else \
        np.asarray(masks, np.float32)
    if flows.shape != (len(frames) - 1,) + frames.shape[1:3] + (2,):
        raise SettingsError(f"flows must be (T-1, H, W, 2) = "
                            f"{(len(frames) - 1,) + frames.shape[1:3] + (2,)}, "
                            f"got {flows.shape}.")
    return flows, masks


def stylize_clip(frames, style, *, temporal: bool = True,
                 flows=None, masks=None, steps: int = 40, first_steps: int | None = None,
                 temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT,
                 fresh_where_unreliable: bool = True, interpolation: str = WARP_INTERPOLATION,
                 callback: Callable[[int, np.ndarray], Any] | None = None,
                 progress: bool | None = None, **stylizer_options) -> ClipResult:
    """Stylise ``frames`` ``(T, H, W, 3)`` by pixel optimisation, frame after frame.

    Args:
      frames: the clip at the size to stylise (the longest side is the size).
      style: a painting (image, path or demo name).
      temporal: False stylises every frame on its own from its photo (the
        flickering baseline); True starts from the warped previous result and
        adds eq. 7's temporal term.
      flows, masks: ``(T-1, H, W, 2)`` flows from frame t to t-1 and their
        ``(T-1, H, W)`` reliability masks in ``[0, 1]``, used as given; None:
        estimated with DIS (:func:`style_lib.video.flow.clip_flows`), the masks
        checked against the photos (:func:`style_lib.video.flow.tie_masks`).
      steps: L-BFGS steps per frame; ``first_steps`` for frame 0 (default
        ``2 * steps``: it starts from the photo).
      temporal_weight: λ of eq. 7.
      fresh_where_unreliable: start frame t from the warped previous result
        where the flow is reliable and from the photo where it is not (a
        disocclusion is painted afresh, as the temporal term leaves it free);
        False: from the warped previous result everywhere (Ruder et al.'s start).
      interpolation: how the previous result is warped (``"cubic"``: each
        frame's start is warped again, and bilinear blurs add up, frame after frame).
      callback: called with ``(t, stylised frame)`` after each frame.
      **stylizer_options: content/style/tv weights, layers, ``precision``, ...
        (see :class:`~style_lib.pixel.optimize.Stylizer` and ``stylize``).
    """
    frames = _frames(frames)
    steps = check_steps(steps)
    first_steps = check_steps(2 * steps if first_steps is None else first_steps)
    check_weight("temporal_weight", temporal_weight)
    if interpolation not in flows_lib.INTERPOLATIONS:
        raise SettingsError(f"unknown interpolation {interpolation!r}. Fix: use one of "
                            f"{', '.join(repr(m) for m in flows_lib.INTERPOLATIONS)}.")
    if temporal:
        flows, masks = _flows_and_masks(frames, flows, masks)
    weights = {k: stylizer_options.pop(k) for k in
               ("content_weight", "style_weight", "tv_weight")
               if k in stylizer_options}
    stylizer = TemporalStylizer(frames[0], style, size=max(frames.shape[1:3]),
                                verbose=False, **stylizer_options)
    if stylizer.shape != frames.shape[1:]:
        raise SettingsError(f"frames of {frames.shape[1:3]} became "
                            f"{stylizer.shape[:2]}. Fix: give frames whose longest "
                            f"side is even-sized and >= 16 px.")
    stylizer.set_weights(**weights)          # checked there, once

    def stylise(t: int, frame: np.ndarray, out: list[np.ndarray]) -> np.ndarray | None:
        if t == 0 or not temporal:      # from its photo, with the first frame's steps
            stylizer.set_frame(frame)
            init, n = "content", first_steps
        else:
            warped = np.clip(flows_lib.warp(out[-1], flows[t - 1], interpolation), 0.0, 255.0)
            stylizer.set_frame(frame, warped, masks[t - 1], temporal_weight)
            c = masks[t - 1][..., np.newaxis]
            init = c * warped + (1.0 - c) * frame if fresh_where_unreliable else warped
            n = steps
        result = stylizer.run(steps=n, init=init, progress=False)
        return None if result.interrupted else result.image

    settings = {"temporal": temporal, "steps": steps, "first_steps": first_steps,
                "temporal_weight": temporal_weight if temporal else 0.0,
                "fresh_where_unreliable": fresh_where_unreliable, "interpolation": interpolation,
                **stylizer.weights()}
    return _frame_by_frame(frames, stylise, "optimize" + (" temporal" if temporal else ""),
                           settings, callback, progress)


def stylize_clip_fast(model, frames, *, temporal: bool = True, flows=None, masks=None,
                      blend: float = DEFAULT_BLEND, style=None,
                      precision: str = "float32",
                      callback: Callable[[int, np.ndarray], Any] | None = None,
                      progress: bool | None = None) -> ClipResult:
    """Stylise ``frames`` ``(T, H, W, 3)`` with a fast network, frame by frame.

    With ``temporal``, each output is blended with the previous output warped
    to it where the flow is reliable: ``y_t = c (b ω(y_{t-1}) + (1-b) f(x_t))
    + (1-c) f(x_t)``, ``b = blend`` in ``[0, 1)``. Blending damps the
    flicker; a larger ``b`` damps more and smears moving edges more.
    """
    from ..fast.network import stylize_fast
    return stylize_clip_one_pass(
        lambda frame: stylize_fast(model, frame, style=style, precision=precision), frames,
        method="fast", temporal=temporal, flows=flows, masks=masks, blend=blend,
        settings={"precision": precision}, callback=callback, progress=progress)


def stylize_clip_adain(model, frames, painting, *, alpha: float = 1.0,
                       temporal: bool = True, flows=None, masks=None,
                       blend: float = DEFAULT_BLEND,
                       callback: Callable[[int, np.ndarray], Any] | None = None,
                       progress: bool | None = None) -> ClipResult:
    """Stylise ``frames`` ``(T, H, W, 3)`` in any ``painting`` with an
    :class:`~style_lib.adain.model.AdaIN` model (notebook 13), frame by frame,
    blended along the flow as :func:`stylize_clip_fast` does. The painting's
    statistics are computed once for the clip."""
    return stylize_clip_one_pass(
        lambda frame: model(frame, painting, alpha=alpha), frames, method="adain",
        temporal=temporal, flows=flows, masks=masks, blend=blend,
        settings={"alpha": alpha, "precision": model.precision}, callback=callback,
        progress=progress)


def stylize_clip_one_pass(paint: Callable[[np.ndarray], np.ndarray], frames, *,
                          method: str, temporal: bool = True, flows=None, masks=None,
                          blend: float = DEFAULT_BLEND, settings: dict[str, Any] | None = None,
                          callback: Callable[[int, np.ndarray], Any] | None = None,
                          progress: bool | None = None) -> ClipResult:
    """Any one-pass method ``paint(frame) -> picture`` over a clip; with
    ``temporal``, ``y_t = c (b ω(y_{t-1}) + (1-b) f(x_t)) + (1-c) f(x_t)``."""
    frames = _frames(frames)
    blend = float(blend)
    if not 0.0 <= blend < 1.0:
        raise SettingsError(f"blend must be in [0, 1), not {blend:g}. Fix: e.g. 0.6.")
    if temporal:
        flows, masks = _flows_and_masks(frames, flows, masks)

    def stylise(t: int, frame: np.ndarray, out: list[np.ndarray]) -> np.ndarray:
        y = paint(frame)
        if temporal and t > 0:
            c = masks[t - 1][..., np.newaxis]
            warped = flows_lib.warp(out[-1], flows[t - 1], WARP_INTERPOLATION)
            y = c * (blend * warped + (1 - blend) * y) + (1 - c) * y
        return np.clip(y, 0, 255).astype(np.float32)

    return _frame_by_frame(frames, stylise, method + (" temporal" if temporal else ""),
                           {"temporal": temporal, "blend": blend if temporal else 0.0,
                            **(settings or {})}, callback, progress)


def _frame_by_frame(frames: np.ndarray,
                    stylise: Callable[[int, np.ndarray, list[np.ndarray]], np.ndarray | None],
                    method: str, settings: dict[str, Any],
                    callback: Callable[[int, np.ndarray], Any] | None,
                    progress: bool | None) -> ClipResult:
    """The loop both methods share: ``stylise(t, frame, done_so_far)`` per frame
    (None = interrupted), timing, progress bar, callback; Ctrl-C keeps the
    finished frames."""
    out: list[np.ndarray] = []
    seconds: list[float] = []
    interrupted = False
    bar = progress_bar(len(frames), True if progress is None else progress, desc="frames")
    if bar is not None:
        bar.set_description("frames")
        bar.unit = "frame"
    try:
        for t, frame in enumerate(frames):
            start = time.perf_counter()
            image = stylise(t, frame, out)
            if image is None:
                interrupted = True
                break
            out.append(image)
            seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.update(1)
            if callback is not None:
                callback(t, image)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    done = np.stack(out) if out else np.zeros((0,) + frames.shape[1:], np.float32)
    return ClipResult(done, seconds, method, settings, interrupted)
