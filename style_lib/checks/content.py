"""Checkers for the content loss: eq. 1 and its gradient through the ReLU, eq. 2
(notebook 02)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import losses
from .engine import (_Case, _Checker, _match_factor, _match_mistakes,
                     _Mismatch, _relu_features, _sizes)


def check_content_loss(fn: Callable) -> bool:
    """Check ``fn(features, target) -> scalar`` against ``losses.content_loss``.

    Expected: ``1/2 * sum((F - P)**2)`` (paper eq. 1) over all elements, for
    inputs of shape ``(1, H, W, C)`` or ``(H, W, C)``. Returns True if
    everything agrees.
    """
    chk = _Checker(fn, "content_loss", "style_lib.core.losses.content_loss")
    rng = np.random.default_rng(1)
    shapes = [((1, 6, 5, 4), "tf.Tensor"), ((7, 3, 8), "NumPy"),
              ((1, 4, 9, 5), "NumPy"), ((5, 5, 6), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            case = _Case((_relu_features(rng, shape),
                          _relu_features(rng, shape)), kind)
            got = chk.value(chk.call(case), case)
            chk.compare(got, _content_np(*case.arrays), case, _diagnose_content)
        f = _relu_features(rng, (1, 5, 6, 4))
        p = _relu_features(rng, (1, 5, 6, 4))

        def val(a, b):
            return float(chk.run(a, b))
        base = val(f, p)
        chk.prop(abs(val(f, f)) <= 1e-6 * base, "zero when F = P",
                 "the loss is not zero when the features equal the target.",
                 "the loss measures F - P; if they are equal every term is 0.")
        chk.prop(abs(val(p, f) - base) <= 1e-5 * base and base >= 0,
                 "non-negative and symmetric in F and P",
                 "loss(F, P) differs from loss(P, F) or is negative.",
                 "squaring (F - P) makes the order irrelevant and the loss "
                 ">= 0.")
        chk.prop(abs(val(2 * f, 2 * p) - 4 * base) <= 1e-5 * base,
                 "quadratic: doubling F and P gives 4x the loss",
                 "doubling F and P does not give 4x the loss.",
                 "the loss must be quadratic in F - P.")
        chk.gradient([f, p], 0, losses.content_loss)
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes 1/2 * sum((F - P)**2) like "
                       "style_lib.core.losses.content_loss.")


def _content_np(f, p) -> np.ndarray:
    """Reference eq. 1 in float64, shape ``()``."""
    return np.asarray(0.5 * np.sum((np.float64(f) - np.float64(p)) ** 2))


def _diagnose_content(got, want, case: _Case) -> str | None:
    """Hint for a wrong content loss: not a scalar, a factor, a known mistake."""
    s = _sizes(case.arrays[0])
    if got.shape != ():
        return (f"your loss has shape {got.shape}; a loss must be one number "
                "(shape ()). Sum over every axis: tf.reduce_sum(x) without "
                "an axis argument.")
    k, m, n = s["K"], s["M"], s["N"]
    return _match_factor(got, want, [
        (2.0, "twice the expected value: did you forget the 1/2 in eq. 1?"),
        (0.5, "half the expected value: did you halve twice?"),
        (2.0 / k, f"you averaged (tf.reduce_mean) over all K = {k} numbers; "
                  "eq. 1 sums them and halves: 1/2 * tf.reduce_sum((F-P)**2)."),
        (1.0 / k, f"you divided by the number of elements K = {k}; eq. 1 "
                  "only halves the sum."),
        (2.0 / m, f"you divided by the number of positions M = H*W = {m}; "
                  "eq. 1 only halves the sum."),
        (1.0 / m, f"you divided by the number of positions M = H*W = {m}; "
                  "eq. 1 only halves the sum."),
        (2.0 / n, f"you divided by the number of channels N = {n}; eq. 1 "
                  "only halves the sum."),
        (1.0 / n, f"you divided by the number of channels N = {n}; eq. 1 "
                  "only halves the sum."),
    ]) or _match_mistakes(got, case, _CONTENT_MISTAKES)


#: Known wrong content losses ``(f, p) -> value`` and their hints.
_CONTENT_MISTAKES = [
    (lambda f, p: np.sqrt(np.sum((np.float64(f) - p) ** 2)),
     "you computed the norm ||F - P|| (a square root of the sum). Eq. 1 "
     "uses half the squared norm: 1/2 * sum((F - P)**2), no square root."),
    (lambda f, p: 0.5 * np.sqrt(np.sum((np.float64(f) - p) ** 2)),
     "you took a square root; eq. 1 is 1/2 * sum((F - P)**2)."),
    (lambda f, p: np.sum(np.abs(np.float64(f) - p)),
     "you summed |F - P| (an L1 loss); eq. 1 squares the differences."),
    (lambda f, p: 0.5 * np.sum(np.abs(np.float64(f) - p)),
     "you summed |F - P| (an L1 loss); eq. 1 squares the differences."),
    (lambda f, p: 0.5 * np.sum(np.float64(f) ** 2 - np.float64(p) ** 2),
     "you took the difference of squares F**2 - P**2; eq. 1 squares the "
     "difference: (F - P)**2."),
    (lambda f, p: 0.5 * (np.sum(np.float64(f)) - np.sum(p)) ** 2,
     "you squared the difference of the sums; square each difference "
     "F - P first, then sum."),
]


def check_content_gradient(fn: Callable) -> bool:
    """Check ``fn(z, target) -> dL/dz`` (paper eq. 2) for ``F = relu(z)``.

    Expected: ``F - P`` where ``z > 0`` and 0 elsewhere, the shape of ``z``,
    for ``(1, H, W, C)`` and ``(H, W, C)`` inputs; compared with TensorFlow's
    automatic differentiation of ``content_loss(relu(z), P)``.
    """
    chk = _Checker(fn, "content_gradient",
                   "the gradient tf.GradientTape gives for content_loss(relu(z), P)")
    rng = np.random.default_rng(2)
    shapes = [((1, 4, 5, 6), "tf.Tensor"), ((6, 3, 4), "NumPy"),
              ((1, 5, 4, 3), "NumPy"), ((3, 6, 5), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            z = rng.standard_normal(shape).astype(np.float32)       # both signs
            case = _Case((z, _relu_features(rng, shape)), kind)
            got = chk.value(chk.call(case), case)
            chk.compare(got, _autodiff_content_gradient(*case.arrays), case,
                        _diagnose_content_gradient)
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} is eq. 2: F - P where the ReLU fires, 0 "
                       "where it does not, exactly what automatic "
                       "differentiation computes.")


def _autodiff_content_gradient(z, p) -> np.ndarray:
    """The reference: TensorFlow's gradient of eq. 1 through the ReLU."""
    import tensorflow as tf
    z = tf.constant(z, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = 0.5 * tf.reduce_sum((tf.nn.relu(z) - p) ** 2)   # eq. 1 in float64
    return tape.gradient(loss, z).numpy()


def _diagnose_content_gradient(got, want, case: _Case) -> str | None:
    """Hint for a wrong eq. 2: the ReLU forgotten, z for F, the sign, a factor."""
    if got.shape != want.shape:
        return (f"your gradient has shape {got.shape}; it must have the shape "
                f"of z, {want.shape}: one number per pre-activation.")
    relu = lambda z: np.maximum(z, 0.0)           # noqa: E731
    return _match_mistakes(got, case, [
        (lambda z, p: relu(z) - p,
         "that is F - P everywhere. Where z < 0 the ReLU outputs 0 whatever z "
         "is, so the loss does not change with z there: the gradient is 0."),
        (lambda z, p: z - p,
         "you used z in place of F and forgot the ReLU: F = relu(z), and the "
         "gradient is 0 where z < 0."),
        (lambda z, p: np.where(z > 0, p - relu(z), 0.0),
         "the sign is flipped: the gradient of 1/2 (F - P)^2 is F - P, "
         "pointing uphill; the optimiser subtracts it."),
    ]) or _match_factor(got, want, [
        (2.0, "twice the expected value: the 1/2 of eq. 1 cancels the 2 from "
              "differentiating the square."),
        (0.5, "half the expected value: the 1/2 of eq. 1 cancels the 2 from "
              "differentiating the square; do not halve again."),
    ])
