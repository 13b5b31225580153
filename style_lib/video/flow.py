"""Optical flow for video style transfer: estimate, warp, check, picture, measure.

Conventions. A flow is float32 ``(H, W, 2)``: ``[..., 0]`` is the x (column)
displacement and ``[..., 1]`` the y (row) displacement, in pixels. The flow
``flow_ab`` "from a to b" pairs each pixel ``p`` of frame a with ``p +
flow_ab(p)`` in frame b, so ``a(p) ≈ b(p + flow_ab(p))`` and
``warp(b, flow_ab) ≈ a``: *backward* warping, which looks every output pixel
up in the other frame and so leaves no holes.

Ruder, Dosovitskiy & Brox (GCPR 2016) warp the stylised frame ``t-1`` onto
frame ``t`` with the flow from ``t`` to ``t-1`` and trust it only where
:func:`consistency_mask` says the flow is reliable. :func:`clip_flows` gives
both for a whole clip. A flow can pass both of Ruder et al.'s tests and still
be wrong: on a turning body the previous frame, warped, does not look like the
current one. :func:`photo_agreement` (Lai et al., ECCV 2018, eq. 2) asks the
photos themselves, and :func:`tie_masks` multiplies it in: what the temporal
methods tie to. :func:`flicker` measures how much a stylised clip changes where
it should not.

NumPy and OpenCV only (``cv2``: DIS and Farnebäck flow, ``remap``).
"""
from __future__ import annotations

import numpy as np

from ..errors import SettingsError

__all__ = ["METHODS", "INTERPOLATIONS", "optical_flow", "warp", "disoccluded", "motion_boundary",
           "outside_frame", "consistency_mask", "flow_to_color", "flicker",
           "relative_flicker", "check_clip_flows", "clip_flows", "endpoint_error",
           "PHOTO_ALPHA", "photo_agreement", "tie_masks"]

#: The optical-flow estimators :func:`optical_flow` knows.
METHODS = ("dis", "farneback")
#: How sharply :func:`photo_agreement` falls with the photos' difference (Lai et al.'s alpha).
PHOTO_ALPHA = 50.0


# --------------------------------------------------------------------------- checks


def _frame(frame, what: str) -> np.ndarray:
    arr = np.asarray(frame)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise SettingsError(f"{what} must be an (H, W, 3) RGB frame, got shape "
                            f"{arr.shape}. Fix: pass one frame of the clip, e.g. frames[t].")
    return arr


def _flow(flow, what: str = "flow", shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(flow, np.float32)
    if arr.ndim != 3 or arr.shape[-1] != 2:
        raise SettingsError(f"{what} must be (H, W, 2) (x then y displacement), got "
                            f"shape {arr.shape}. Fix: pass one flow field, e.g. flows[t - 1].")
    if shape is not None and arr.shape[:2] != tuple(shape[:2]):
        raise SettingsError(f"{what} is {arr.shape[:2]} pixels but the image is "
                            f"{tuple(shape[:2])}. Fix: estimate the flow on frames of "
                            f"the image's size.")
    return arr


def _grey(frame: np.ndarray):
    """An RGB frame ``(H, W, 3)`` (uint8, or float in [0, 255]) as grey uint8 ``(H, W)``."""
    import cv2
    if frame.dtype != np.uint8:
        frame = np.clip(np.rint(np.asarray(frame, np.float32)), 0, 255).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


# --------------------------------------------------------------------------- estimate


def optical_flow(frame_a, frame_b, method: str = "dis") -> np.ndarray:
    """The flow ``(H, W, 2)`` from ``frame_a`` to ``frame_b``: ``a(p) ≈ b(p + flow(p))``.

    Frames: ``(H, W, 3)`` RGB, uint8 or float in ``[0, 255]``, of one shape;
    the flow is estimated on their grey versions. ``method``: ``"dis"``
    (OpenCV's Dense Inverse Search, preset MEDIUM: fast and accurate) or
    ``"farneback"`` (polynomial expansion, Farnebäck 2003: smoother, blurs
    motion boundaries).
    """
    import cv2
    if method not in METHODS:
        raise SettingsError(f"unknown optical-flow method {method!r}. Fix: use one of "
                            f"{', '.join(repr(m) for m in METHODS)}.")
    a = _frame(frame_a, "frame_a")
    b = _frame(frame_b, "frame_b")
    if a.shape != b.shape:
        raise SettingsError(f"frame_a is {a.shape} but frame_b is {b.shape}. Fix: give "
                            f"two frames of the same clip (same size).")
    grey_a, grey_b = _grey(a), _grey(b)
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        flow = dis.calc(grey_a, grey_b, None)
    else:
        flow = cv2.calcOpticalFlowFarneback(grey_a, grey_b, None, pyr_scale=0.5,
                                            levels=4, winsize=15, iterations=3,
                                            poly_n=5, poly_sigma=1.2, flags=0)
    return np.asarray(flow, np.float32)


# --------------------------------------------------------------------------- warp


#: The interpolations :func:`warp` offers, as OpenCV's flags (cv2.INTER_LINEAR, cv2.INTER_CUBIC).
INTERPOLATIONS = {"linear": 1, "cubic": 2}


def warp(image, flow, interpolation: str = "linear") -> np.ndarray:
    """Backward warping: ``out(p) = image(p + flow(p))``.

    ``image``: ``(H, W)`` or ``(H, W, C)`` (any C); ``flow``: ``(H, W, 2)``.
    Positions outside the image take the nearest border pixel
    (``cv2.BORDER_REPLICATE``). Returns float32 of ``image``'s shape.
    With ``flow`` from frame t to frame t-1, ``warp(frame_{t-1}, flow)``
    looks like frame t. ``interpolation``: ``"linear"`` (bilinear: a mild
    blur at fractional positions) or ``"cubic"`` (bicubic: sharper, for a
    picture that is warped again and again, whose bilinear blurs add up;
    it can overshoot the input's range by a little).
    """
    import cv2
    if interpolation not in INTERPOLATIONS:
        raise SettingsError(f"unknown interpolation {interpolation!r}. Fix: use one of "
                            f"{', '.join(repr(m) for m in INTERPOLATIONS)}.")
    mode = INTERPOLATIONS[interpolation]
    img = np.asarray(image, np.float32)
    if img.ndim not in (2, 3):
        raise SettingsError(f"image must be (H, W) or (H, W, C), got shape {img.shape}. "
                            f"Fix: warp one frame at a time.")
    f = _flow(flow, shape=img.shape)
    h, w = img.shape[:2]
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = grid_x + f[..., 0]
    map_y = grid_y + f[..., 1]

    def remap(channels: np.ndarray) -> np.ndarray:
        return cv2.remap(np.ascontiguousarray(channels), map_x, map_y, mode,
                         borderMode=cv2.BORDER_REPLICATE)

    if img.ndim == 2:
        return remap(img).astype(np.float32, copy=False)
    # cv2.remap takes at most 4 channels at once and drops a single channel's axis.
    parts = [remap(img[..., i:i + 4]).reshape(h, w, -1) for i in range(0, img.shape[2], 4)]
    return np.concatenate(parts, axis=-1).astype(np.float32, copy=False)


# --------------------------------------------------------------------------- reliability

#: Sundaram, Brox & Keutzer (ECCV 2010), used by Ruder et al. (2016).
DISOCCLUSION_FACTOR, DISOCCLUSION_OFFSET = 0.01, 0.5
MOTION_BOUNDARY_FACTOR, MOTION_BOUNDARY_OFFSET = 0.01, 0.002


def disoccluded(forward, backward) -> np.ndarray:
    """Bool ``(H, W)``: True where the forward-backward check fails on frame t.

    ``w_tilde(p) = forward(p + backward(p))`` (:func:`warp` of ``forward`` by
    ``backward``) should be ``-backward(p)``; pixels with
    ``|w_tilde + backward|² > 0.01 (|w_tilde|² + |backward|²) + 0.5`` were
    hidden in frame t-1 (or the flow is wrong there).
    """
    backward = _flow(backward, "backward")
    forward = _flow(forward, "forward", backward.shape)
    w_tilde = warp(forward, backward)
    gap = np.sum((w_tilde + backward) ** 2, axis=-1)
    size = np.sum(w_tilde ** 2, axis=-1) + np.sum(backward ** 2, axis=-1)
    return gap > DISOCCLUSION_FACTOR * size + DISOCCLUSION_OFFSET


def motion_boundary(backward) -> np.ndarray:
    """Bool ``(H, W)``: True where ``|∇u|² + |∇v|² > 0.01 |backward|² + 0.002``.

    ``u, v`` are the two components of ``backward`` ``(H, W, 2)``; the
    gradients are central differences (``np.gradient``, one-sided at the
    border). Near an edge between two motions the flow is blurred and wrong.
    """
    backward = _flow(backward, "backward")
    du_y, du_x = np.gradient(backward[..., 0])
    dv_y, dv_x = np.gradient(backward[..., 1])
    grad = du_x ** 2 + du_y ** 2 + dv_x ** 2 + dv_y ** 2
    return grad > MOTION_BOUNDARY_FACTOR * np.sum(backward ** 2, axis=-1) + MOTION_BOUNDARY_OFFSET


def outside_frame(flow) -> np.ndarray:
    """Bool ``(H, W)``: True where ``p + flow(p)`` lies outside the frame
    (x not in ``[0, W-1]`` or y not in ``[0, H-1]``): nothing to warp from."""
    flow = _flow(flow)
    h, w = flow.shape[:2]
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    x = grid_x + flow[..., 0]
    y = grid_y + flow[..., 1]
    return (x < 0) | (x > w - 1) | (y < 0) | (y > h - 1)


def consistency_mask(forward, backward) -> np.ndarray:
    """Ruder et al.'s reliability mask ``c`` of frame t: float32 ``(H, W)`` of 0 and 1.

    ``backward``: the flow from frame t to frame t-1 (the one that warps
    frame t-1 onto frame t); ``forward``: the flow from frame t-1 to frame t;
    both ``(H, W, 2)``. A pixel is unreliable (0) when any of these holds
    (Ruder, Dosovitskiy & Brox 2016, Sec. 3.3, the two inequalities before
    the temporal loss, eq. 7; thresholds from Sundaram et al. 2010):

    * disocclusion (forward-backward check, :func:`disoccluded`), with
      ``w_tilde(p) = forward(p + backward(p))``::

          |w_tilde + backward|² > 0.01 (|w_tilde|² + |backward|²) + 0.5

    * motion boundary (:func:`motion_boundary`), ``u, v`` the components of
      ``backward``::

          |∇u|² + |∇v|² > 0.01 |backward|² + 0.002

    * ``p + backward(p)`` falls outside the frame (:func:`outside_frame`).
    """
    backward = _flow(backward, "backward")
    forward = _flow(forward, "forward", backward.shape)
    bad = disoccluded(forward, backward) | motion_boundary(backward) | outside_frame(backward)
    return (~bad).astype(np.float32)


def photo_agreement(frame, previous, backward, alpha: float = PHOTO_ALPHA) -> np.ndarray:
    """How far to trust the flow where the photos disagree: float32 ``(H, W)`` in ``(0, 1]``.

    ``frame`` and ``previous``: photo frames t and t-1 ``(H, W, 3)`` in
    ``[0, 255]``; ``backward``: the flow from t to t-1 ``(H, W, 2)``. With RGB
    in ``[0, 1]`` (Lai et al., "Learning Blind Video Temporal Consistency",
    ECCV 2018, eq. 2, ``alpha = 50``)::

        M(p) = exp(-alpha |frame(p) - warp(previous, backward)(p)|²)

    1 where the previous photo, moved along the flow, is the current photo; near 0
    where the flow carries the wrong thing (a limb that turned, a shadow that moved),
    which the round trip of :func:`consistency_mask` can miss.
    """
    frame, previous = _frame(frame, "frame"), _frame(previous, "previous")
    backward = _flow(backward, "backward", frame.shape)
    if previous.shape != frame.shape:
        raise SettingsError(f"previous is {previous.shape[:2]} pixels but frame is "
                            f"{frame.shape[:2]}. Fix: pass two frames of one clip.")
    if not (isinstance(alpha, (int, float)) and np.isfinite(alpha) and alpha >= 0):
        raise SettingsError(f"alpha must be a number >= 0, not {alpha!r}. Fix: e.g. "
                            f"{PHOTO_ALPHA:g} (Lai et al.).")
    moved = warp(np.asarray(previous, np.float32) / 255.0, backward)
    difference = np.sum((np.asarray(frame, np.float32) / 255.0 - moved) ** 2, axis=-1)
    return np.exp(-alpha * difference).astype(np.float32)


def tie_masks(frames, flows, masks, alpha: float = PHOTO_ALPHA) -> np.ndarray:
    """The masks a temporal method ties to: ``(T-1, H, W)`` float32 in ``[0, 1]``.

    ``masks`` (Ruder et al.'s :func:`consistency_mask` of each flow, from
    :func:`clip_flows`) times :func:`photo_agreement` of each pair of frames:
    trusted only where the flow passes the round trip *and* carries what the
    photo shows. ``frames`` ``(T, H, W, 3)``, ``flows`` ``(T-1, H, W, 2)``
    (entry ``t-1`` from frame t to t-1).
    """
    s, flows, masks = check_clip_flows(frames, flows, masks)
    return np.stack([masks[t - 1] * photo_agreement(s[t], s[t - 1], flows[t - 1], alpha)
                     for t in range(1, len(s))]).astype(np.float32)


# --------------------------------------------------------------------------- picture


def flow_to_color(flow, max_magnitude: float | None = None) -> np.ndarray:
    """The usual colour-wheel picture of a flow: uint8 RGB ``(H, W, 3)``.

    Hue is the direction (opposite directions get hues 180° apart),
    saturation the length relative to ``max_magnitude`` (default: the
    longest vector; longer ones are clipped). Zero motion is white.
    """
    import cv2
    f = _flow(flow)
    mag = np.hypot(f[..., 0], f[..., 1])
    if max_magnitude is None:
        max_magnitude = float(mag.max(initial=0.0))
    elif not np.isfinite(max_magnitude) or max_magnitude <= 0:
        raise SettingsError(f"max_magnitude must be a positive number of pixels, not "
                            f"{max_magnitude!r}. Fix: e.g. max_magnitude=5.0, or None.")
    angle = (np.degrees(np.arctan2(f[..., 1], f[..., 0])) + 360.0) % 360.0
    hsv = np.empty(f.shape[:2] + (3,), np.float32)
    hsv[..., 0] = angle                                           # [0, 360)
    hsv[..., 1] = np.clip(mag / max(max_magnitude, 1e-12), 0.0, 1.0)
    hsv[..., 2] = 1.0
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- measure


def endpoint_error(flow, reference, mask=None) -> float:
    """Mean endpoint error ``|flow - reference|`` in pixels, over ``mask == 1`` if given."""
    f = _flow(flow)
    r = _flow(reference, "reference", f.shape)
    err = np.hypot(*(f - r).transpose(2, 0, 1))
    if mask is not None:
        err = err[np.asarray(mask) > 0.5]
    return float(err.mean()) if err.size else float("nan")


def _clip(frames, what: str) -> np.ndarray:
    arr = np.asarray(frames, np.float32)
    if arr.ndim != 4 or arr.shape[-1] != 3 or len(arr) < 2:
        raise SettingsError(f"{what} must be (T, H, W, 3) with T >= 2, got shape "
                            f"{arr.shape}. Fix: pass a whole clip, e.g. clip.frames.")
    return arr


def check_clip_flows(frames, flows, masks, fix: str = "use clip_flows(frames) on the same clip"
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``frames`` ``(T, H, W, 3)``, ``flows`` ``(T-1, H, W, 2)`` and ``masks``
    ``(T-1, H, W)`` as float32 arrays, or raise SettingsError naming the shapes
    they must have (``fix``: how to get matching ones)."""
    s = _clip(frames, "frames")
    flows = np.asarray(flows, np.float32)
    masks = np.asarray(masks, np.float32)
    want = (len(s) - 1,) + s.shape[1:3]
    if flows.shape != want + (2,) or masks.shape != want:
        raise SettingsError(f"for {len(s)} frames of {s.shape[1:3]} px, flows must be "
                            f"{want + (2,)} and masks {want}; got {flows.shape} and "
                            f"{masks.shape}. Fix: {fix}.")
    return s, flows, masks


def flicker(frames, flows, masks) -> float:
    """How much a clip changes where the flow says it should not (0..255 units).

    ``frames`` ``(T, H, W, 3)``; ``flows`` ``(T-1, H, W, 2)``, ``flows[t-1]``
    the flow from frame t to frame t-1; ``masks`` ``(T-1, H, W)``, its
    reliability (:func:`consistency_mask`). The mean over t >= 1 of the mean,
    over the reliable pixels, of ``|s_t - warp(s_{t-1}, flows[t-1])|``
    averaged over the channels. Frames with no reliable pixel are skipped.
    """
    s, flows, masks = check_clip_flows(frames, flows, masks)
    per_frame = []
    for t in range(1, len(s)):
        reliable = masks[t - 1] > 0.5
        if not reliable.any():
            continue
        diff = np.abs(s[t] - warp(s[t - 1], flows[t - 1])).mean(axis=-1)
        per_frame.append(float(diff[reliable].mean()))
    if not per_frame:
        raise SettingsError("every mask is empty: there is no reliable pixel to measure "
                            "flicker on. Fix: check the masks (consistency_mask) or pass "
                            "masks of ones.")
    return float(np.mean(per_frame))


def relative_flicker(stylised, clip_frames, flows, masks) -> float:
    """``flicker(stylised) / flicker(clip_frames)``: 1 = as steady as the input clip.

    Both ``(T, H, W, 3)``; ``flows`` and ``masks`` belong to ``clip_frames``
    (see :func:`flicker`).
    """
    base = flicker(clip_frames, flows, masks)
    if base <= 0.0:
        raise SettingsError("the input clip has zero flicker (its frames are exact "
                            "warps of each other), so a ratio means nothing. Fix: "
                            "compare flicker() values instead.")
    return flicker(stylised, flows, masks) / base


def clip_flows(frames, method: str = "dis") -> tuple[np.ndarray, np.ndarray]:
    """Flows and reliability masks of a clip ``(T, H, W, 3)``.

    Returns ``backward_flows`` ``(T-1, H, W, 2)``, entry ``t-1`` the flow from
    frame t to frame t-1 (to warp frame t-1 onto frame t), and ``masks``
    ``(T-1, H, W)``, their :func:`consistency_mask` (which also needs the
    flow from t-1 to t, estimated here and then dropped).
    """
    s = _clip(frames, "frames")
    flows: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    for t in range(1, len(s)):
        backward = optical_flow(s[t], s[t - 1], method)
        forward = optical_flow(s[t - 1], s[t], method)
        flows.append(backward)
        masks.append(consistency_mask(forward, backward))
    return np.stack(flows), np.stack(masks)
