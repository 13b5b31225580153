"""Checkers for video style transfer's flow tools (notebook 12, exercises 1 and 2).

``warp(image, flow)``: backward warping, ``out(p) = image(p + flow(p))`` with
bilinear interpolation, for ``image`` ``(H, W, C)`` and ``flow`` ``(H, W,
2)`` (``flow[..., 0]`` the x / column displacement, ``flow[..., 1]`` the y /
row one). ``consistency_mask(forward, backward)``: Ruder et al.'s ``(H, W)``
mask of frame t, 0 at disocclusions, motion boundaries and where ``p +
backward(p)`` leaves the frame, else 1. Both work on NumPy arrays (OpenCV
or NumPy code), so the cases are NumPy only.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..video.flow import (consistency_mask, disoccluded, motion_boundary,
                          outside_frame, warp)
from .engine import TOLERANCE, _Case, _Checker, _Mismatch, rel_error

#: Pixels at the border left out of the warp comparison: implementations may
#: treat positions outside the image differently (replicate, zeros, mirror).
BORDER = 2
#: Share of pixels on which a mask must agree with the library's.
AGREEMENT = 0.99


def check_warp(fn: Callable) -> bool:
    """Check ``fn(image, flow) -> warped`` against :func:`style_lib.video.flow.warp`.

    ``image`` ``(H, W, C)`` float32, ``flow`` ``(H, W, 2)`` small sub-pixel
    displacements; the result ``(H, W, C)`` is compared away from the
    :data:`BORDER`-pixel border. Returns True if everything agrees.
    """
    chk = _Checker(fn, "warp", "style_lib.video.flow.warp",
                   shapes="image (H, W, C), flow (H, W, 2) -> warped (H, W, C)")
    rng = np.random.default_rng(12)
    try:
        for (h, w, c) in [(18, 26, 3), (23, 17, 3), (16, 20, 4)]:
            image = _smooth_image(rng, h, w, c)
            flow = _smooth_flow(rng, h, w, 1.8)
            case = _Case((image, flow), "NumPy",
                         f"image {image.shape}, flow {flow.shape} (x, y) up to 1.8 px")
            got = chk.value(chk.call(case), case)
            want = warp(image, flow).astype(np.float64)
            cropped = got.shape == want.shape       # compare the interior only
            if cropped:
                got, want = _interior(got), _interior(want)
            chk.compare(got, want, case,
                        lambda g, w_, cs, cropped=cropped: _diagnose_warp(g, cs, cropped))
        image = _smooth_image(rng, 12, 15, 3)
        same = chk.run(image, np.zeros((12, 15, 2), np.float32), kind="NumPy")
        chk.prop(same.shape == image.shape and rel_error(same, image) < TOLERANCE,
                 "a zero flow gives the image back",
                 "with a zero flow the result is not the image itself.",
                 "out(p) = image(p + 0) = image(p): add the flow to the pixel "
                 "grid (x = column index, y = row index) and sample there.")
        shift = np.zeros((12, 15, 2), np.float32)
        shift[..., 0] = 1.0
        moved = chk.run(image, shift, kind="NumPy")
        chk.prop(moved.shape == image.shape and
                 rel_error(moved[:, :-1], image[:, 1:]) < TOLERANCE,
                 "a flow of (1, 0) everywhere shows each pixel's right-hand neighbour",
                 "with flow (1, 0) everywhere, out[y, x] is not image[y, x + 1].",
                 "flow[..., 0] is the x (column) displacement: out[y, x] = "
                 "image[y + flow[y, x, 1], x + flow[y, x, 0]].")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} warps backward with bilinear interpolation, like "
                       "style_lib.video.flow.warp.")


def _smooth_image(rng: np.random.Generator, h: int, w: int, c: int) -> np.ndarray:
    """A smooth random image ``(h, w, c)`` in ``[20, 235]``: a few sinusoids."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.zeros((h, w, c))
    for k in range(c):
        for _ in range(3):
            period = rng.uniform(7.0, 16.0)
            angle = rng.uniform(0, 2 * np.pi)
            phase = rng.uniform(0, 2 * np.pi)
            out[..., k] += np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle))
                                  / period + phase)
    out = (out - out.min()) / (out.max() - out.min())
    return (20 + 215 * out).astype(np.float32)


def _smooth_flow(rng: np.random.Generator, h: int, w: int, limit: float) -> np.ndarray:
    """A smooth flow ``(h, w, 2)`` with components in ``(-limit, limit)``, rarely whole."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, 2))
    for k in range(2):
        out[..., k] = 0.5 * rng.uniform(-1, 1) + 0.5 * np.sin(
            x / rng.uniform(3, 6) + y / rng.uniform(3, 6) + rng.uniform(0, 6))
    return (limit * out / max(np.abs(out).max(), 1e-9) * 0.999).astype(np.float32)


def _interior(a: np.ndarray) -> np.ndarray:
    return a[BORDER:-BORDER, BORDER:-BORDER]


def _diagnose_warp(got: np.ndarray, case: _Case, cropped: bool) -> str | None:
    """Hints: the wrong shape, forward warping, x and y swapped, nearest pixel.

    ``got``: the interior of the result when ``cropped``, else all of it."""
    image, flow = case.arrays
    if not cropped:
        if got.shape == image.shape[:2]:
            return (f"return one value per channel, the image's shape {image.shape}; "
                    f"yours is {got.shape} (did cv2.remap or a sum drop the channel axis?).")
        if got.shape == (image.shape[1], image.shape[0], image.shape[2]):
            return (f"rows and columns are swapped ({got.shape}): build the grid with "
                    f"y, x = np.mgrid[0:H, 0:W] (rows first).")
        return f"return the image's shape {image.shape}; yours is {got.shape}."

    def close(f):
        return rel_error(got, _interior(warp(image, f))) < 1e-3
    if close(-flow):
        return ("you warped forward (the flow's sign is flipped): backward warping looks "
                "each output pixel p up at p + flow(p), out(p) = image(p + flow(p)), "
                "so add the flow to the grid, do not subtract it.")
    if close(flow[..., ::-1]):
        return ("x and y are swapped: flow[..., 0] is the x (column) displacement and "
                "flow[..., 1] the y (row) one; cv2.remap takes the x map first.")
    if close(-flow[..., ::-1]):
        return ("x and y are swapped and the sign is flipped: sample image at "
                "(x + flow[..., 0], y + flow[..., 1]).")
    if close(np.round(flow)):
        return ("you rounded the positions to the nearest pixel: interpolate "
                "bilinearly between the four neighbours instead (cv2.INTER_LINEAR, or "
                "weights (1-a)(1-b), a(1-b), (1-a)b, ab).")
    if close(np.floor(flow)):
        return ("you truncated the positions to whole pixels (int / astype(int)): "
                "interpolate bilinearly between the four neighbours (cv2.INTER_LINEAR, "
                "or weights (1-a)(1-b), a(1-b), (1-a)b, ab).")
    return None


# --------------------------------------------------------------------------- the mask


def check_consistency_mask(fn: Callable) -> bool:
    """Check ``fn(forward, backward) -> mask`` against
    :func:`style_lib.video.flow.consistency_mask`.

    ``backward`` ``(H, W, 2)``: the flow from frame t to frame t-1;
    ``forward``: from t-1 to t. The result ``(H, W)`` of 0 (unreliable) and 1
    must agree with the library's on at least :data:`AGREEMENT` of the
    pixels. Returns True if everything agrees.
    """
    chk = _Checker(fn, "consistency_mask", "style_lib.video.flow.consistency_mask",
                   shapes="forward (H, W, 2), backward (H, W, 2) -> mask (H, W)")
    rng = np.random.default_rng(13)
    try:
        for h, w, side in [(40, 56, 14), (48, 44, 16), (36, 60, 12)]:
            forward, backward = _moving_square_flows(rng, h, w, side)
            case = _Case((forward, backward), "NumPy",
                         f"flows {backward.shape} of a {side}-px square moving over a "
                         f"panning background")
            got = chk.value(chk.call(case), case)
            want = consistency_mask(forward, backward).astype(np.float64)
            _compare_masks(chk, got, want, case)
        still = np.zeros((20, 24, 2), np.float32)
        got = chk.run(still, still, kind="NumPy")
        chk.prop(got.shape == (20, 24) and bool(np.all(got == 1)),
                 "without any motion every pixel is reliable",
                 "with zero flows not every pixel is marked 1 (reliable).",
                 "zero flows agree perfectly: both tests are false everywhere "
                 "(0 > 0.5 and 0 > 0.002 are false), so c = 1.")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} finds disocclusions, motion boundaries and pixels "
                       "that leave the frame, like style_lib.video.flow.consistency_mask.")


def _moving_square_flows(rng: np.random.Generator, h: int, w: int,
                         side: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact flows of a square moving over a background that pans by a sub-pixel
    amount: ``(forward t-1 -> t, backward t -> t-1)``, each ``(h, w, 2)``."""
    background = np.array([rng.uniform(1.1, 1.6), -rng.uniform(0.5, 0.9)])
    move = np.array([rng.integers(4, 6), -rng.integers(2, 4)])          # (x, y)
    top, left = (h - side) // 2 + 1, (w - side) // 2 - 2
    forward = np.empty((h, w, 2), np.float32)
    forward[:] = background
    forward[top:top + side, left:left + side] = move
    backward = np.empty((h, w, 2), np.float32)
    backward[:] = -background
    backward[top + move[1]:top + move[1] + side, left + move[0]:left + move[0] + side] = -move
    return forward, backward


def _compare_masks(chk: _Checker, got: np.ndarray, want: np.ndarray, case: _Case) -> None:
    """Pass when ``got`` is ``(H, W)`` of 0/1 agreeing with ``want`` on AGREEMENT of it."""
    if got.shape != want.shape:
        hint = (f"return one number per pixel, shape {want.shape}; yours is {got.shape}"
                + (" (drop the last axis, e.g. mask[..., 0])." if got.shape[:2] == want.shape
                   else "."))
        raise chk.fail(f"{case.describe()}: shape {got.shape}, expected {want.shape}", hint)
    if not np.all((got == 0) | (got == 1)):
        raise chk.fail(f"{case.describe()}: values other than 0 and 1 (from "
                       f"{got.min():.3g} to {got.max():.3g})",
                       "return 1 where the flow is reliable and 0 elsewhere, e.g. "
                       "(~unreliable).astype(np.float32).")
    agree = float(np.mean(got == want))
    if agree >= AGREEMENT:
        chk.ok(f"{case.describe()}: agrees on {100 * agree:.1f}% of the pixels")
        chk.passed_kinds.add((case.kind, case.rank))
        return
    raise chk.fail(f"{case.describe()}: agrees on only {100 * agree:.1f}% of the pixels "
                   f"({100 * (1 - want.mean()):.1f}% should be 0, yours "
                   f"{100 * (1 - got.mean()):.1f}%)",
                   _diagnose_mask(got, case) or
                   "compare your inequalities with the two in the text, term by term; "
                   "show the mask (plt.imshow) next to the library's.")


def _diagnose_mask(got: np.ndarray, case: _Case) -> str | None:
    """Hints: all reliable, 0/1 flipped, the flows swapped, a test left out."""
    forward, backward = case.arrays
    occluded = disoccluded(forward, backward)
    boundary = motion_boundary(backward)
    outside = outside_frame(backward)
    unwarped = _unwarped_check(forward, backward)

    def close(bad):
        return float(np.mean(got == (~bad).astype(np.float64))) >= AGREEMENT
    if np.all(got == 1):
        return ("everything is marked reliable: mark 0 where the forward-backward check "
                "fails (disocclusions), at motion boundaries and where p + backward(p) "
                "leaves the frame.")
    if close(~(occluded | boundary | outside)):
        return ("0 and 1 are the wrong way round: c is 1 where the flow is reliable "
                "and 0 at disocclusions, motion boundaries and outside the frame.")
    swapped = (disoccluded(backward, forward) | motion_boundary(forward)
               | outside_frame(forward))
    if close(swapped):
        return ("forward and backward are swapped: the mask belongs to frame t, so warp "
                "the forward flow (t-1 -> t) with the backward flow (t -> t-1), "
                "w_tilde = warp(forward, backward), and take the gradients of backward.")
    if close(occluded | outside) or close(occluded):
        return ("only the disocclusion test: add the motion boundaries, "
                "|grad u|^2 + |grad v|^2 > 0.01 |backward|^2 + 0.002 (np.gradient of "
                "each component of backward).")
    if close(boundary | outside) or close(boundary):
        return ("only the motion-boundary test: add the disocclusions, "
                "|w_tilde + backward|^2 > 0.01 (|w_tilde|^2 + |backward|^2) + 0.5 with "
                "w_tilde = warp(forward, backward).")
    if close(occluded | boundary):
        return ("also mark 0 the pixels whose p + backward(p) falls outside the frame: "
                "there is nothing there to warp from.")
    if close(unwarped | boundary | outside) or close(unwarped | boundary):
        return ("you compared forward(p) with backward(p) at the same pixel: warp the "
                "forward flow first, w_tilde = warp(forward, backward), since the pixel "
                "p of frame t came from p + backward(p) in frame t-1.")
    return None


def _unwarped_check(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """The disocclusion test with ``w_tilde = forward`` (not warped): a common slip."""
    f = forward.astype(np.float64)
    b = backward.astype(np.float64)
    gap = np.sum((f + b) ** 2, axis=-1)
    return gap > 0.01 * (np.sum(f ** 2, axis=-1) + np.sum(b ** 2, axis=-1)) + 0.5
