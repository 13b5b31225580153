"""Checker for the total-variation loss (notebook 06, exercise 1).

The exercise builds it on ``tf.image.image_gradients``; any formulation must
give ``sum(dy**2) + sum(dx**2)``, the squared (not the L1) variant.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import losses
from .engine import _Case, _Checker, _match_factor, _match_mistakes, _Mismatch


def check_total_variation(fn: Callable) -> bool:
    """Check ``fn(image) -> scalar`` against ``losses.total_variation_loss``.

    Expected: ``sum((x[i+1, j] - x[i, j])**2) + sum((x[i, j+1] - x[i, j])**2)``
    over all channels, for ``(1, H, W, 3)`` and ``(H, W, 3)`` images.
    Returns True if everything agrees.
    """
    chk = _Checker(fn, "total_variation", "style_lib.core.losses.total_variation_loss",
                   shapes="the row differences x[..., 1:, :, :] - x[..., :-1, :, :] are "
                          "(H-1, W, 3), the column differences (H, W-1, 3)")
    rng = np.random.default_rng(4)
    shapes = [((1, 6, 5, 3), "tf.Tensor"), ((7, 4, 3), "NumPy"),
              ((1, 5, 9, 3), "NumPy"), ((6, 6, 3), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            case = _Case(((255 * rng.random(shape)).astype(np.float32),), kind)
            got = chk.value(chk.call(case), case)
            chk.compare(got, _tv_np(case.arrays[0]), case, _diagnose_tv)
        x = (255 * rng.random((1, 6, 7, 3))).astype(np.float32)

        def val(a):
            return float(chk.run(a))
        base = val(x)
        const = np.full((1, 6, 7, 3), 77.0, np.float32)
        chk.prop(abs(val(const)) <= 1e-6 * base, "zero on a constant image",
                 "the loss is not zero on a constant image.",
                 "use differences of neighbouring pixels only, not the "
                 "pixel values themselves.")
        chk.prop(abs(val(x + 30.0) - base) <= 1e-4 * base,
                 "unchanged when a constant is added to every pixel",
                 "adding a constant to every pixel changes the loss.",
                 "the loss should only see differences between neighbours.")
        chk.prop(abs(val(x[:, :, ::-1].copy()) - base) <= 1e-4 * base,
                 "unchanged when the image is mirrored",
                 "mirroring the image changes the loss.",
                 "treat both directions alike: dy and dx over all pixels.")
        chk.gradient([x / 255.0], 0, losses.total_variation_loss)
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes sum(dy^2) + sum(dx^2) like "
                       "style_lib.core.losses.total_variation_loss.")


def _tv_np(x) -> np.ndarray:
    """Reference loss in float64, shape ``()``."""
    x = np.asarray(x, np.float64)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]
    return np.asarray(np.sum(dy ** 2) + np.sum(dx ** 2))


def _diagnose_tv(got, want, case: _Case) -> str | None:
    """Hint for a wrong loss: not a scalar, batch axis, a factor, a mistake."""
    if got.shape != ():
        return (f"your loss has shape {got.shape}; a loss must be one number "
                "(shape ()). Use tf.reduce_sum without an axis argument.")
    if want > 0 and abs(got) < 1e-6 * want:
        return ("your loss is 0 for an image that is not constant. For a "
                "(1, H, W, 3) image axis 0 is the batch: rows are axis -3 "
                "and columns axis -2, e.g. x[..., 1:, :, :] - x[..., :-1, :, :].")
    return _match_factor(got, want, [
        (2.0, "twice the expected value: the loss has no factor 2 (or did "
              "you count a direction twice?)."),
        (0.5, "half the expected value: this loss has no 1/2."),
    ]) or _match_mistakes(got, case, _TV_MISTAKES)


def _tv_parts(x):
    """The vertical and horizontal differences ``(dy, dx)`` in float64."""
    x = np.asarray(x, np.float64)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]
    return dy, dx


#: Known wrong total variations ``image -> value`` and their hints.
_TV_MISTAKES = [
    (lambda x: sum(np.sum(np.abs(d)) for d in _tv_parts(x)),
     "you summed absolute differences (that is tf.image.total_variation, "
     "an L1 version); this course squares them: sum(dy**2) + sum(dx**2)."),
    (lambda x: np.sum(_tv_parts(x)[0] ** 2),
     "you only used vertical differences (rows); add the horizontal ones "
     "x[..., :, 1:, :] - x[..., :, :-1, :] too."),
    (lambda x: np.sum(_tv_parts(x)[1] ** 2),
     "you only used horizontal differences (columns); add the vertical "
     "ones x[..., 1:, :, :] - x[..., :-1, :, :] too."),
    (lambda x: sum(np.mean(d ** 2) for d in _tv_parts(x)),
     "you averaged (tf.reduce_mean) the squared differences; sum them."),
    (lambda x: np.sqrt(sum(np.sum(d ** 2) for d in _tv_parts(x))),
     "you took a square root of the sum; the loss is the plain sum of "
     "squared differences."),
    (lambda x: np.sum(np.sqrt(_tv_parts(x)[0][..., :, :-1, :] ** 2
                              + _tv_parts(x)[1][..., :-1, :, :] ** 2)),
     "you computed the isotropic TV sqrt(dx^2 + dy^2); this course uses "
     "sum(dy**2) + sum(dx**2) (no square root)."),
    (lambda x: sum(np.sum((np.roll(np.float64(x), 1, axis=ax) - x) ** 2)
                   for ax in (-3, -2)),
     "you included the difference between the last and the first row/column "
     "(tf.roll wraps around). Use slicing: x[..., 1:, :, :] - "
     "x[..., :-1, :, :] and x[..., :, 1:, :] - x[..., :, :-1, :]."),
    (lambda x: 2 * np.sum(_tv_parts(x)[0] ** 2),
     "you counted the vertical differences (rows) twice and left out the "
     "horizontal ones: the second term is x[..., :, 1:, :] - x[..., :, :-1, :]."),
    (lambda x: 2 * np.sum(_tv_parts(x)[1] ** 2),
     "you counted the horizontal differences (columns) twice and left out "
     "the vertical ones: the first term is x[..., 1:, :, :] - x[..., :-1, :, :]."),
    (lambda x: _skipping(x, -3) + np.sum(_tv_parts(x)[1] ** 2),
     "your vertical differences skip the first row (an off-by-one crop): "
     "x[..., 1:, :, :] - x[..., :-1, :, :] pairs every row with the next."),
    (lambda x: np.sum(_tv_parts(x)[0] ** 2) + _skipping(x, -2),
     "your horizontal differences skip the first column (an off-by-one "
     "crop): x[..., :, 1:, :] - x[..., :, :-1, :] pairs every column with "
     "the next."),
]


def _skipping(x, axis: int) -> float:
    """Sum of squared differences along ``axis`` that leave out the first pair."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, 0)
    return float(np.sum((x[2:] - x[1:-1]) ** 2))
