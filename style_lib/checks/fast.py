"""Checkers for instance normalisation (notebook 09, exercise 1) and its
conditional form (notebook 10, exercise 1).

``instance_norm(x, gamma, beta)``: for ``x`` ``(B, H, W, C)``, each picture
``b`` and channel ``c`` is normalised by its own mean and variance over
``H, W``, ``(x - μ) / sqrt(σ² + ε)`` with ``ε = 1e-5``, then scaled by
``gamma[c]`` and shifted by ``beta[c]``. ``conditional_instance_norm(x,
style, gammas, betas)``: the same with ``gamma = style @ gammas`` and
``beta = style @ betas`` per picture (``style`` ``(B, N)``, ``gammas``
``(N, C)``).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .engine import TOLERANCE, _Case, _Checker, _Mismatch, rel_error

EPSILON = 1e-5


def check_instance_norm(fn: Callable) -> bool:
    """Check ``fn(x, gamma, beta) -> y`` against :class:`style_lib.fast.network.InstanceNormalization`.

    ``x`` is ``(B, H, W, C)``, ``gamma`` and ``beta`` are ``(C,)``, ``y`` has
    the shape of ``x``. Returns True if everything agrees.
    """
    chk = _Checker(fn, "instance_norm", "style_lib.fast.network.InstanceNormalization",
                   shapes="x and the result are (B, H, W, C); gamma and beta are (C,)")
    rng = np.random.default_rng(9)
    try:
        for shape, kind in [((2, 6, 5, 3), "NumPy"), ((3, 4, 7, 2), "tf.Tensor")]:
            x = rng.normal(0, 1, shape) * rng.uniform(0.5, 20, (shape[0], 1, 1, shape[3])) \
                + rng.uniform(-50, 50, (shape[0], 1, 1, shape[3]))
            gamma = rng.uniform(0.5, 2.0, shape[-1])
            beta = rng.uniform(-1.0, 1.0, shape[-1])
            case = _Case(tuple(np.asarray(a, np.float32) for a in (x, gamma, beta)), kind)
            got = chk.value(chk.call(case), case)
            want = instance_norm_np(x, gamma, beta)
            chk.compare(got, want, case, lambda g, w, c: _diagnose(g, w, c))
        x = rng.normal(5, 3, (2, 5, 5, 4)).astype(np.float32)
        ones, zeros = np.ones(4, np.float32), np.zeros(4, np.float32)
        both = chk.run(x, ones, zeros, kind="NumPy")
        alone = chk.run(x[:1], ones, zeros, kind="NumPy")
        chk.prop(rel_error(both[:1], alone) < TOLERANCE,
                 "a picture's result does not depend on the other pictures of the batch",
                 "the first picture's result changes when a second picture is in the batch.",
                 "take the mean and variance over the height and width only (axes 1 "
                 "and 2), not over the batch: that would be batch normalisation.")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} normalises each picture and channel on its own.")


def _norm_np(x: np.ndarray, axes: tuple[int, ...], gamma, beta,
             eps: float = EPSILON) -> np.ndarray:
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * np.asarray(gamma, np.float64) + np.asarray(beta, np.float64)


def instance_norm_np(x, gamma, beta, eps: float = EPSILON) -> np.ndarray:
    """Reference: normalise over ``H, W`` (axes 1, 2) per picture and channel."""
    return _norm_np(x, (1, 2), gamma, beta, eps)


def _diagnose(got: np.ndarray, want: np.ndarray, case: _Case) -> str | None:
    """Hint: batch norm, layer norm, gamma/beta forgotten, another epsilon."""
    x, gamma, beta = (np.asarray(a, np.float64) for a in case.arrays)
    if got.shape != want.shape:
        return f"return the shape of x, {x.shape}; yours is {got.shape}."

    def close(y):
        return rel_error(got, y) < 1e-3
    if close(_norm_np(x, (0, 1, 2), gamma, beta)):
        return ("you took the mean and variance over the batch too (axes 0, 1, 2): that "
                "is batch normalisation. Use axes 1 and 2 only.")
    if close(_norm_np(x, (1, 2, 3), gamma, beta)):
        return ("you normalised over the channels as well (axes 1, 2, 3): that is layer "
                "normalisation. Each channel gets its own mean: axes 1 and 2.")
    if close(instance_norm_np(x, np.ones_like(gamma), np.zeros_like(beta))):
        return "the normalisation is right; now scale by gamma and add beta."
    if close(_norm_np(x, (1, 2), gamma, beta, eps=0.0)) or close(
            _norm_np(x, (1, 2), gamma, beta, eps=1e-3)):
        return "use epsilon = 1e-5 inside the square root: sqrt(variance + 1e-5)."
    return None


def conditional_instance_norm_np(x, style, gammas, betas, eps: float = EPSILON) -> np.ndarray:
    """Reference: ``γ = style @ gammas``, ``β = style @ betas`` per picture, then IN."""
    style = np.asarray(style, np.float64)
    gamma = (style @ np.asarray(gammas, np.float64))[:, None, None, :]       # (B, 1, 1, C)
    beta = (style @ np.asarray(betas, np.float64))[:, None, None, :]
    return _norm_np(x, (1, 2), 1.0, 0.0, eps) * gamma + beta


def check_conditional_instance_norm(fn: Callable) -> bool:
    """Check ``fn(x, style, gammas, betas) -> y`` (notebook 10, exercise 1).

    ``x`` is ``(B, H, W, C)``, ``style`` ``(B, N)`` weights (each row sums to
    1), ``gammas`` and ``betas`` ``(N, C)``; ``y`` has the shape of ``x``.
    Compared with :class:`style_lib.fast.normalization.ConditionalInstanceNormalization`.
    """
    chk = _Checker(fn, "conditional_instance_norm",
                   "style_lib.fast.normalization.ConditionalInstanceNormalization",
                   shapes="x and the result are (B, H, W, C); style is (B, N); gammas and "
                          "betas are (N, C)")
    rng = np.random.default_rng(10)
    try:
        for (b, h, w, c, n), kind in [((2, 5, 6, 3, 4), "NumPy"), ((3, 4, 4, 2, 3), "tf.Tensor")]:
            x = rng.normal(0, 1, (b, h, w, c)) * rng.uniform(0.5, 10, (b, 1, 1, c)) \
                + rng.uniform(-20, 20, (b, 1, 1, c))
            style = rng.dirichlet(np.ones(n), size=b)          # a different blend per picture
            gammas = rng.uniform(0.5, 2.0, (n, c))
            betas = rng.uniform(-1.0, 1.0, (n, c))
            case = _Case(tuple(np.asarray(a, np.float32) for a in (x, style, gammas, betas)), kind)
            got = chk.value(chk.call(case), case)
            chk.compare(got, conditional_instance_norm_np(x, style, gammas, betas), case,
                        lambda g, w_, cs: _diagnose_conditional(g, w_, cs))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} mixes each picture's γ and β from its style weights.")


def _diagnose_conditional(got: np.ndarray, want: np.ndarray, case: _Case) -> str | None:
    """Hints: one style only, weights ignored, batch statistics, γ/β not applied."""
    x, style, gammas, betas = (np.asarray(a, np.float64) for a in case.arrays)
    if got.shape != want.shape:
        return f"return the shape of x, {x.shape}; yours is {got.shape}."

    def close(y):
        return rel_error(got, y) < 1e-3
    b = x.shape[0]
    if close(instance_norm_np(x, gammas[0], betas[0])):
        return ("you used the first style's gamma and beta for every picture. Mix them: "
                "gamma = style @ gammas, one (C,) row per picture.")
    if close(instance_norm_np(x, gammas.mean(0), betas.mean(0))):
        return ("you averaged the styles' gamma and beta, ignoring the weights: use "
                "style @ gammas (each picture's own weights).")
    first = np.tile(style[:1], (b, 1))
    if close(conditional_instance_norm_np(x, first, gammas, betas)):
        return "every picture used the first picture's weights: each row of style is one picture's."
    if close(instance_norm_np(x, np.ones(x.shape[-1]), np.zeros(x.shape[-1]))):
        return "the normalisation is right; now scale by the mixed gamma and add the mixed beta."
    if close(_norm_np(x, (0, 1, 2), 1.0, 0.0) * (style @ gammas)[:, None, None, :]
             + (style @ betas)[:, None, None, :]):
        return ("you took the mean and variance over the batch too: normalise each picture "
                "on its own (axes 1 and 2).")
    return None
