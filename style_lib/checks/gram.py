"""Checkers for the Gram matrix ``G = F^T F / M`` (notebook 03) and the guided
Gram ``(F*m)^T (F*m) / sum(m^2)`` (notebook 08, exercise 2).

Notebook 03 checks its own ``gram_matrix``, exercise 1 (``einsum``) and
exercise 2 (batches, ``batch=True``).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import losses
from .engine import (GRAM_SHAPES, TOLERANCE, _Case, _Checker, _gram_np, _match_factor,
                     _match_mistakes, _Mismatch, _relu_features, _sizes,
                     rel_error)


def check_gram_matrix(fn: Callable, *, batch: bool = False) -> bool:
    """Check ``fn(features) -> Gram matrix`` against ``losses.gram_matrix``.

    Expected: ``(H, W, C) -> (C, C)`` and ``(1, H, W, C) -> (C, C)`` or
    ``(1, C, C)``, with ``G = F^T F / M``, ``F`` the ``(M, C)`` features
    and ``M = H * W``. With ``batch=True`` also ``(B, H, W, C) -> (B, C, C)``.
    Returns True if everything agrees.
    """
    chk = _Checker(fn, "gram_matrix", "style_lib.core.losses.gram_matrix", shapes=GRAM_SHAPES)
    rng = np.random.default_rng(0)
    shapes = [((1, 6, 5, 4), "tf.Tensor"), ((7, 3, 8), "NumPy"),
              ((1, 4, 9, 5), "NumPy"), ((5, 5, 6), "tf.Tensor")]
    if batch:
        shapes += [((2, 4, 5, 3), "tf.Tensor"), ((3, 3, 4, 6), "NumPy")]
    try:
        for shape, kind in shapes:
            case = _Case((_relu_features(rng, shape),), kind)
            got = chk.value(chk.call(case), case)
            want = _gram_np(case.arrays[0])
            if case.rank == 4 and shape[0] == 1 and got.ndim == 2:
                want = want[0]          # (C, C) for a batch of one is fine
            chk.compare(got, want, case, _diagnose_gram)
        x = _relu_features(rng, (1, 6, 7, 5))
        g = chk.run(x)
        g = g.reshape(g.shape[-2:])
        eig = np.linalg.eigvalsh((g + g.T) / 2)
        chk.prop(np.allclose(g, g.T, rtol=1e-5, atol=1e-6) and
                 eig.min() >= -1e-5 * max(1.0, eig.max()) and g.shape == (5, 5),
                 "symmetric, positive semi-definite, shape (C, C)",
                 "the Gram matrix is not symmetric / PSD.",
                 "G[i, j] and G[j, i] both correlate channels i and j: "
                 "compute F^T F with the same F on both sides.")
        perm = rng.permutation(42)
        shuffled = x.reshape(1, 42, 5)[:, perm].reshape(1, 6, 7, 5)
        gs = chk.run(shuffled).reshape(5, 5)
        chk.prop(rel_error(gs, g) < TOLERANCE,
                 "unchanged when the spatial positions are shuffled",
                 "the Gram changes when positions are shuffled.",
                 "every position must contribute in the same way: sum over "
                 "all positions, without weighting by where they are.")
        g2 = chk.run(2 * x).reshape(5, 5)
        chk.prop(rel_error(g2, 4 * g) < TOLERANCE,
                 "doubling the features gives 4x the Gram (it is quadratic)",
                 "doubling the features does not give 4x the Gram.",
                 "each entry is a sum of products of two features.")
        tiled = np.tile(x, (1, 2, 2, 1))
        gt = chk.run(tiled, kind="NumPy").reshape(5, 5)
        chk.prop(rel_error(gt, g) < TOLERANCE,
                 "the same for a 2x2 tiling of the features (divides by M)",
                 "the Gram of a 2x2 tiling differs from the original's.",
                 "divide by the number of positions M = H*W, so that the "
                 "Gram does not depend on the image size.")
        chk.gradient([x], 0, losses.gram_matrix,
                     project=rng.standard_normal((5, 5)).astype(np.float32))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes G = F^T F / M like "
                       "style_lib.core.losses.gram_matrix.")


def _gram_shape_hint(got, want, case: _Case) -> str | None:
    """Hint for a Gram of the wrong shape: F F^T, not (C, C), a stray batch axis."""
    s = _sizes(case.arrays[0])
    m, n = s["M"], s["N"]
    if got.shape[-2:] == (m, m) and m != n:
        return (f"your Gram matrix is {m}x{m} (positions x positions): you "
                f"computed F F^T instead of F^T F. With F reshaped to (M, N) = "
                f"(H*W, C), the Gram is tf.transpose(F) @ F, which is "
                f"{n}x{n}.")
    if got.ndim >= 2 and got.shape[-2:] != (n, n):
        return (f"the Gram matrix must be (C, C) = ({n}, {n}), one entry "
                f"per pair of channels; yours is {got.shape}.")
    if got.shape != want.shape and case.rank == 3:
        return (f"for features (H, W, C) return (C, C) = {want.shape}; yours "
                f"is {got.shape}: drop the batch axis you added.")
    if got.shape != want.shape:
        return (f"expected shape {want.shape}, got {got.shape}. For a batch "
                "of one, (C, C) or (1, C, C) are both fine.")
    return None


def _diagnose_gram(got, want, case: _Case) -> str | None:
    """Hint for a wrong Gram: F F^T, wrong shape, not symmetric, a factor."""
    s = _sizes(case.arrays[0])
    m, n = s["M"], s["N"]
    shape = _gram_shape_hint(got, want, case)
    if shape:
        return shape
    if not np.allclose(got, np.swapaxes(got, -1, -2), rtol=1e-4, atol=1e-6):
        return ("your matrix is not symmetric, but G[i, j] and G[j, i] both "
                "measure how channels i and j fire together. Use the same F "
                "on both sides of F^T F.")
    return _match_factor(got, want, [
        (m, f"too large by a factor M = H*W = {m}: divide by the number of "
            "positions M."),
        (1 / n, f"too small by a factor N = C = {n}: you divided by N*M (the "
                "convention of neural-style and CS231n); the paper (and "
                "style_lib) divides by M only."),
        (m / n, f"you divided by the number of channels N = {n}; divide by "
                f"the number of positions M = H*W = {m} instead."),
        (1 / m, f"too small by a factor M = {m}: you divided by M twice."),
        (1 / (m * m), "you divided by M^2; divide by M once (the M^2 of "
                      "eq. 4 belongs in the style loss, not here)."),
    ]) or _match_mistakes(got, case, _gram_mistakes(case.arrays[0]))


def _gram_mistakes(x: np.ndarray):
    """Known wrong Grams for features shaped like ``x``, with their hints."""
    c = x.shape[-1]
    m = x.shape[-3] * x.shape[-2]

    def scrambled(a):
        f = np.asarray(a, np.float64).reshape(c, m)   # reshape, no transpose
        return f @ f.T / m

    def centred(a):
        f = np.asarray(a, np.float64).reshape(m, c)
        f = f - f.mean(axis=0)
        return f.T @ f / m

    return [
        (scrambled, "you reshaped (H, W, C) straight to (C, H*W): that mixes "
                    "values of different channels. Reshape to (M, N) = "
                    "(H*W, C) so channels stay last (tf.reshape(x, (-1, C))), "
                    "then compute F^T F (tf.transpose(F) @ F) / M."),
        (centred, "you subtracted the mean of each channel (a covariance "
                  "matrix). The paper's Gram uses the raw features: F^T F / M."),
    ]


# ------------------------------------------------------------ guided Gram ---

def _guided_gram_np(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reference guided Gram in float64: ``(F*m)^T (F*m) / sum(m^2)``, (C, C)."""
    x = np.asarray(x, np.float64)
    c = x.shape[-1]
    f = x.reshape(-1, c) * np.asarray(mask, np.float64).reshape(-1, 1)
    return f.T @ f / np.sum(np.square(mask, dtype=np.float64))


def check_guided_gram(fn: Callable) -> bool:
    """Check ``fn(features, mask) -> (C, C)`` against ``spatial.guided_gram``.

    Expected: ``(F*m)^T (F*m) / sum(m^2)`` for features ``(H, W, C)`` or
    ``(1, H, W, C)`` (``(1, C, C)`` is fine for the latter) and a mask
    ``(H, W)`` of weights in ``[0, 1]``. Returns True if everything agrees.
    """
    from ..core import spatial
    chk = _Checker(fn, "guided_gram", "style_lib.core.spatial.guided_gram",
                   shapes=GRAM_SHAPES + "; the mask (H, W) becomes (H*W, 1) or (H, W, 1)")
    rng = np.random.default_rng(6)
    shapes = [((1, 6, 5, 4), "tf.Tensor"), ((7, 3, 8), "NumPy"),
              ((1, 4, 9, 5), "NumPy"), ((5, 5, 6), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            mask = rng.random(shape[-3:-1]).astype(np.float32)
            case = _Case((_relu_features(rng, shape), mask), kind)
            got = chk.value(chk.call(case), case)
            want = _guided_gram_np(*case.arrays)
            if case.rank == 4 and got.shape == (1,) + want.shape:
                got = got[0]            # (1, C, C) for a batch of one is fine
            chk.compare(got, want, case, _diagnose_guided)
        x = _relu_features(rng, (1, 6, 7, 5))

        def run(features, mask):
            return chk.run(features, mask).reshape(5, 5)
        ones = np.ones((6, 7), np.float32)
        chk.prop(rel_error(run(x, ones), _gram_np(x)[0]) < TOLERANCE,
                 "a mask of ones gives the ordinary Gram matrix",
                 "with a mask of ones the result is not the ordinary Gram F^T F / M.",
                 "with m = 1 everywhere, sum(m^2) = M: the guided Gram must "
                 "reduce to notebook 3's Gram.")
        half = np.zeros((6, 7), np.float32)
        half[:, :3] = rng.random((6, 3)) + 0.5
        changed = x.copy()
        changed[0, :, 3:] = 99.0
        chk.prop(rel_error(run(changed, half), run(x, half)) < TOLERANCE,
                 "features where the mask is 0 do not matter",
                 "changing the features where the mask is 0 changes the result.",
                 "multiply the features by the mask before the product, on "
                 "both sides: (F*m)^T (F*m).")
        soft = rng.random((6, 7)).astype(np.float32)
        chk.prop(rel_error(run(x, 3 * soft), run(x, soft)) < TOLERANCE,
                 "scaling the mask by 3 changes nothing (divides by sum(m^2))",
                 "scaling the mask by 3 changes the result.",
                 "divide by sum(m^2), the squared mask's total, so that only "
                 "where the mask is large matters, not how large it is.")
        chk.gradient([x, soft], 0, spatial.guided_gram,
                     project=rng.standard_normal((5, 5)).astype(np.float32))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes (F*m)^T (F*m) / sum(m^2) like "
                       "style_lib.core.spatial.guided_gram.")


def _diagnose_guided(got, want, case: _Case) -> str | None:
    """Hint for a wrong guided Gram: shape, the plain Gram, a normalisation."""
    shape = _gram_shape_hint(got, want, case)
    if shape:
        return shape
    x, mask = case.arrays
    mask = np.asarray(mask, np.float64)
    m, s1, s2 = mask.size, mask.sum(), np.square(mask).sum()
    return _match_factor(got, want, [
        (s2 / m, "you divided by M = H*W; divide by sum(m^2), the squared "
                 "mask's total (M only when the mask is all ones)."),
        (s2 / s1, "you divided by sum(m); divide by sum(m^2): the mask enters "
                  "the product twice, so its square counts."),
        (s2, "you did not divide at all: divide by sum(m^2)."),
    ]) or _match_mistakes(got, case, [
        (lambda f, k: _gram_np(f).reshape(want.shape),
         "that is the ordinary Gram matrix: the mask is not used. Multiply "
         "the features by the mask, (H, W, 1) against (H, W, C)."),
        (_once,
         "the mask is applied on one side only, (F*m)^T F: multiply both "
         "sides, (F*m)^T (F*m)."),
    ])


def _once(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mistake (F*m)^T F / sum(m^2)."""
    x = np.asarray(x, np.float64)
    f = x.reshape(-1, x.shape[-1])
    fm = f * np.asarray(mask, np.float64).reshape(-1, 1)
    return fm.T @ f / np.sum(np.square(mask, dtype=np.float64))
