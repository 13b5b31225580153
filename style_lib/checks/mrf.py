"""Checkers for the MRF loss's parts (notebook 11, exercises 1 and 2).

``extract_patches(features, size)``: every ``size x size`` patch of
``features`` ``(h, w, C)``, stride 1, no padding, as ``(n, size, size, C)``
in row-major order of the top-left corners.
``normalized_cross_correlation(features, style_patches)``: the cosine of
every picture patch with every painting patch, ``(h-k+1, w-k+1, n)``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import mrf
from .engine import TOLERANCE, _Case, _Checker, _Mismatch, rel_error


def check_extract_patches(fn: Callable) -> bool:
    """Check ``fn(features, size) -> patches`` against :func:`style_lib.core.mrf.extract_patches`.

    ``features`` ``(h, w, C)``; the result ``(n, size, size, C)`` with
    ``n = (h - size + 1) (w - size + 1)``, stride 1, patch ``i`` at corner
    ``(i // nw, i % nw)``. Returns True if everything agrees.
    """
    chk = _Checker(fn, "extract_patches", "style_lib.core.mrf.extract_patches",
                   shapes="features (h, w, C) -> patches (n, size, size, C), "
                          "n = (h - size + 1) * (w - size + 1)")
    rng = np.random.default_rng(11)
    try:
        for shape, size, kind in [((5, 6, 2), 3, "NumPy"), ((7, 4, 3), 3, "tf.Tensor"),
                                  ((6, 6, 4), 2, "NumPy"), ((4, 5, 1), 1, "tf.Tensor")]:
            x = rng.standard_normal(shape).astype(np.float32)
            case = _Case((x,), kind, f"{kind} features {shape}, size {size}")
            got = chk.value(chk.call(case, *case.args(), size), case)
            chk.compare(got, extract_patches_np(x, size), case,
                        lambda g, w, c, x=x, size=size: _diagnose_patches(g, w, x, size))
        x = np.zeros((5, 5, 1), np.float32)
        x[2, 2] = 1.0
        got = chk.value(chk.call(_Case((x,), "NumPy"), x, 3), _Case((x,), "NumPy"))
        chk.prop(got.shape[0] == 9 and float(got.sum()) == 9.0,
                 "a single bright cell lies in all 9 patches that cover it",
                 "a single bright cell does not appear in exactly 9 patches.",
                 "patches overlap: with stride 1 each cell away from the border "
                 "is in size x size patches.")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} cuts out every patch like "
                       "style_lib.core.mrf.extract_patches.")


def extract_patches_np(x: np.ndarray, size: int) -> np.ndarray:
    """The reference: ``(n, size, size, C)`` patches of ``x`` ``(h, w, C)``."""
    h, w = x.shape[:2]
    return np.stack([x[r:r + size, c:c + size] for r in range(h - size + 1)
                     for c in range(w - size + 1)]).astype(np.float64)


def _diagnose_patches(got, want, x, size) -> str | None:
    h, w = x.shape[:2]
    if got.size == want.size and got.shape != want.shape:
        return (f"you have the right numbers in shape {got.shape}: reshape to "
                f"(n, {size}, {size}, C) with tf.reshape.")
    if got.shape == want.shape:
        nh, nw = h - size + 1, w - size + 1
        by_column = want.reshape(nh, nw, *want.shape[1:]).transpose(
            1, 0, 2, 3, 4).reshape(want.shape)
        if rel_error(got, by_column) < TOLERANCE:
            return ("the patches are in column-major order: loop over rows "
                    "(r) outside and columns (c) inside, so patch i has its "
                    "corner at (i // nw, i % nw).")
        if rel_error(got, want.transpose(0, 2, 1, 3)) < TOLERANCE:
            return "each patch is transposed: index x[r:r+size, c:c+size]."
    if got.ndim >= 1 and got.shape[0] == h * w:
        return ("you have one patch per cell: that is 'SAME' padding. Keep "
                "only patches that lie wholly inside ('VALID'): h - size + 1 "
                "rows of corners.")
    return None


def check_normalized_cross_correlation(fn: Callable) -> bool:
    """Check ``fn(features, style_patches) -> ncc`` against
    :func:`style_lib.core.mrf.normalized_cross_correlation`.

    ``features`` ``(h, w, C)``, ``style_patches`` ``(n, k, k, C)``; the
    result ``(h - k + 1, w - k + 1, n)``: entry ``[r, c, j]`` is
    ``<P, Q_j> / (|P| |Q_j|)`` for the picture patch ``P`` at ``(r, c)``.
    Returns True if everything agrees.
    """
    chk = _Checker(fn, "normalized_cross_correlation",
                   "style_lib.core.mrf.normalized_cross_correlation",
                   shapes="features (h, w, C), style_patches (n, k, k, C) -> "
                          "(h - k + 1, w - k + 1, n)")
    rng = np.random.default_rng(12)
    try:
        for shape, n, k, kind in [((6, 7, 3), 5, 3, "NumPy"),
                                  ((5, 5, 4), 8, 3, "tf.Tensor"),
                                  ((4, 6, 2), 3, 2, "NumPy")]:
            x = np.abs(rng.standard_normal(shape)).astype(np.float32)
            q = np.abs(rng.standard_normal((n, k, k, shape[2]))).astype(np.float32)
            q[0] *= 10.0                              # one loud painting patch
            case = _Case((x, q), kind)
            got = chk.value(chk.call(case), case)
            want = mrf.normalized_cross_correlation(
                x, mrf.patch_bank(q)).numpy().astype(np.float64)
            chk.compare(got, want, case,
                        lambda g, w, c, x=x, q=q: _diagnose_ncc(g, w, x, q))
        x = np.abs(rng.standard_normal((6, 6, 3))).astype(np.float32)
        q = np.abs(rng.standard_normal((4, 3, 3, 3))).astype(np.float32)
        a = chk.run(x, q, kind="NumPy")
        b = chk.run(3 * x, 0.5 * q, kind="NumPy")
        chk.prop(rel_error(a, b) < TOLERANCE and np.all(np.abs(a) <= 1 + 1e-4),
                 "between -1 and 1, and unchanged when either side is scaled",
                 "scaling the features or the patches changes the result.",
                 "divide by the lengths of both patches: it is a cosine.")
        nn = np.argmax(a, axis=-1)
        brute = mrf.nearest_patches_brute_force(x, mrf.patch_bank(q))
        chk.prop(np.array_equal(nn, brute),
                 "its argmax is the brute-force nearest patch (eq. 3)",
                 "the argmax does not give the brute-force nearest patch.",
                 "entry [r, c, j] must compare the patch at (r, c) with painting "
                 "patch j.")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes eq. 3's cosines like "
                       "style_lib.core.mrf.normalized_cross_correlation.")


def _diagnose_ncc(got, want, x, q) -> str | None:
    if got.shape != want.shape:
        if got.size == want.size:
            return (f"the right numbers in shape {got.shape}: the painting "
                    f"patches belong on the last axis, {want.shape}.")
        return None
    k = q.shape[1]
    patches = extract_patches_np(x, k).reshape(-1, q[0].size)
    p_len = np.linalg.norm(patches, axis=1).reshape(want.shape[:2] + (1,))
    q_len = np.linalg.norm(q.reshape(len(q), -1), axis=1)
    if rel_error(got, want * p_len * q_len) < TOLERANCE:
        return ("these are plain dot products: divide by the length of the "
                "picture patch and of the painting patch.")
    if rel_error(got, want * p_len) < TOLERANCE:
        return ("you divided by the painting patches' lengths only: divide by "
                "the picture patch's length too (a box sum of the squared "
                "features, or np.linalg.norm of each patch).")
    if rel_error(got, want * q_len) < TOLERANCE:
        return ("you divided by the picture patches' lengths only: divide each "
                "painting patch by its length too.")
    return None
