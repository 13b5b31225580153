"""Checker for adaptive instance normalisation (notebook 13, exercise 1)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .engine import _Case, _Checker, _match_mistakes, _Mismatch


def check_adain(fn: Callable) -> bool:
    """Check ``fn(content, style) -> (B, h, w, C)`` against ``style_lib.adain.adain``.

    Expected: per picture and per channel, ``σ(s) (c − μ(c)) / σ(c) + μ(s)``
    with means and standard deviations over the positions ``h, w`` and
    ``σ = sqrt(variance + 1e-5)``, for ``(B, h, w, C)`` inputs (NumPy or
    tf.Tensor; the style may have other ``h, w``). Returns True if it agrees.
    """
    chk = _Checker(fn, "adain", "style_lib.adain.adain")
    rng = np.random.default_rng(13)
    shapes = [((1, 6, 5, 4), (1, 7, 3, 4), "tf.Tensor"),
              ((2, 4, 4, 3), (2, 5, 6, 3), "NumPy"),
              ((1, 3, 8, 6), (1, 3, 8, 6), "tf.Tensor")]
    try:
        for c_shape, s_shape, kind in shapes:
            scale = rng.uniform(0.5, 3.0, c_shape[-1])
            content = rng.normal(2.0, 1.5, c_shape) * scale
            style = rng.normal(-1.0, 0.7, s_shape) * scale[::-1] + 4.0
            case = _Case((content.astype(np.float32), style.astype(np.float32)), kind)
            got = chk.value(chk.call(case), case)
            chk.compare(got, _adain_np(*case.arrays), case, _diagnose_adain)
        c = rng.normal(0, 1, (1, 5, 5, 3)).astype(np.float32)
        out = chk.run(c, c)
        chk.prop(np.allclose(out, c, atol=1e-3), "AdaIN(c, c) = c",
                 "a picture in its own style changed.",
                 "with s = c, σ(s)/σ(c) = 1 and μ(s) − μ(c) = 0.")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} gives the content the style's channel means and "
                       "standard deviations, like style_lib.adain.adain.")


def _stats(x: np.ndarray, axes=(1, 2), eps: float = 1e-5):
    x = np.float64(x)
    return x.mean(axis=axes, keepdims=True), np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def _adain_np(c, s, eps: float = 1e-5) -> np.ndarray:
    (cm, cs), (sm, ss) = _stats(c, eps=eps), _stats(s, eps=eps)
    return ss * (np.float64(c) - cm) / cs + sm


def _diagnose_adain(got, want, case: _Case) -> str | None:
    if got.shape != want.shape:
        return (f"your result has shape {got.shape}; AdaIN keeps the content's shape "
                f"{want.shape}.")

    def over(axes):
        def wrong(c, s):
            (cm, cs), (sm, ss) = _stats(c, axes), _stats(s, axes)
            return ss * (np.float64(c) - cm) / cs + sm
        return wrong

    def swapped(c, s):
        return _adain_np(s, c) if s.shape == c.shape else None

    def variance(c, s):
        cm, cv = np.float64(c).mean((1, 2), keepdims=True), np.float64(c).var((1, 2), keepdims=True)
        sm, sv = np.float64(s).mean((1, 2), keepdims=True), np.float64(s).var((1, 2), keepdims=True)
        return sv * (np.float64(c) - cm) / cv + sm

    def no_shift(c, s):
        (cm, cs), (sm, ss) = _stats(c), _stats(s)
        return ss * (np.float64(c) - cm) / cs

    return _match_mistakes(got, case, [
        (over((0, 1, 2)), "your means and deviations are over the whole batch (axes 0, 1, 2); "
                          "AdaIN takes them per picture: axes=[1, 2]."),
        (over((1, 2, 3)), "your means and deviations mix the channels (axes 1, 2, 3); AdaIN "
                          "takes one per channel: axes=[1, 2], keepdims=True."),
        (swapped, "content and style are swapped: normalise the content, then give it the "
                  "style's deviation and mean."),
        (variance, "you used the variance where the standard deviation belongs: "
                   "σ = sqrt(variance + 1e-5)."),
        (no_shift, "the style's mean μ(s) is missing: add it after scaling by σ(s)."),
    ])
