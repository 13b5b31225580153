"""Checker for luminance-only colour transfer (notebook 08, exercise 1).

The exercise writes it in YUV; any colour space whose first channel is the
luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` gives the same RGB, because the
chroma pairs (I, Q) and (U, V) are linear in each other.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import color
from .engine import TOLERANCE, _Case, _Checker, _Mismatch, rel_error


def check_combine_luminance(fn: Callable) -> bool:
    """Check ``fn(stylised, content) -> RGB`` against ``color.combine_luminance``.

    Expected: an ``(H, W, 3)`` image with the luminance of ``stylised`` and
    the colours (chroma) of ``content``, both ``(H, W, 3)`` in ``[0, 255]``.
    Only pixels whose result stays inside ``[0, 255]`` are compared, so
    clipping is up to you. Returns True if everything agrees.
    """
    chk = _Checker(fn, "combine_luminance", "style_lib.core.color.combine_luminance",
                   shapes="stylised, content and the result are all (H, W, 3)")
    rng = np.random.default_rng(1)
    try:
        for shape, kind in [((8, 8, 3), "NumPy"), ((5, 7, 3), "tf.Tensor"),
                            ((6, 4, 3), "NumPy")]:
            # other greys *and* other colours, so neither input passes as the answer
            content = rng.uniform(60, 200, shape).astype(np.float32)
            stylised = rng.uniform(60, 200, shape).astype(np.float32)
            case = _Case((stylised, content), kind)
            got = chk.value(chk.call(case), case)
            want = _combine_np(stylised, content)
            inside = np.all((want >= 0) & (want <= 255), axis=-1)
            if got.shape == want.shape:
                got, want = got[inside], want[inside]
            chk.compare(got, want, case,
                        lambda g, w, c, inside=inside: _diagnose_combine(g, w, c, inside))
        x = rng.uniform(30, 220, (6, 6, 3)).astype(np.float32)
        same = chk.run(x, x, kind="NumPy")
        chk.prop(rel_error(same, x) < TOLERANCE,
                 "combining an image with itself gives the image back",
                 "combining an image with itself does not give it back.",
                 "converting to the colour space and back must be exact: check "
                 "the inverse formulas (B from Y and U, R from Y and V, then G "
                 "from Y).")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} keeps the stylised image's luminance and the "
                       "content's colours.")


def _combine_np(stylised: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Reference: the stylised image's Y with the content's I, Q, unclipped RGB."""
    yiq = np.concatenate([color.rgb_to_yiq(np.asarray(stylised, np.float64))[..., :1],
                          color.rgb_to_yiq(np.asarray(content, np.float64))[..., 1:]], axis=-1)
    return np.asarray(color.yiq_to_rgb(yiq), np.float64)


def _diagnose_combine(got, want, case: _Case, inside: np.ndarray) -> str | None:
    """Hint: a returned input, the wrong luminance, the wrong colours, a shape."""
    stylised, content = (np.asarray(a, np.float64) for a in case.arrays)
    if got.shape != want.shape:
        return (f"return an (H, W, 3) image like the inputs, {stylised.shape}; "
                f"yours is {got.shape}.")
    if rel_error(got, stylised[inside]) < TOLERANCE:
        return ("that is the stylised image unchanged: its chroma (U, V) must "
                "be replaced by the content's.")
    if rel_error(got, content[inside]) < TOLERANCE:
        return ("that is the content image: keep its chroma (U, V), but take "
                "the luminance Y from the stylised image.")
    def close(x, y):
        return rel_error(x, y) < 1e-3
    yiq_got = color.rgb_to_yiq(got[:, np.newaxis])[:, 0]
    yiq_s, yiq_c = color.rgb_to_yiq(stylised)[inside], color.rgb_to_yiq(content)[inside]
    y_ok, iq_ok = close(yiq_got[:, 0], yiq_s[:, 0]), close(yiq_got[:, 1:], yiq_c[:, 1:])
    if close(yiq_got[:, 0], yiq_c[:, 0]) or close(yiq_got[:, 1:], yiq_s[:, 1:]):
        return ("the inputs are swapped: the luminance Y must come from "
                "`stylised` and the colours (U, V) from `content`.")
    if not y_ok and not iq_ok:
        return ("neither the luminance nor the colours come out right, so "
                "the way back to RGB is off: check the inverse (B = Y + "
                "U/0.492, R = Y + V/0.877, then G = (Y - 0.299 R - 0.114 B) "
                "/ 0.587).")
    if not y_ok:
        return ("the luminance is not the stylised image's: Y must come from "
                "`stylised`, with the weights 0.299, 0.587, 0.114 for R, G, B.")
    return ("the luminance is right but the colours are not the content's: U "
            "and V must come from `content`; check the inverse (B = Y + "
            "U/0.492, R = Y + V/0.877, then G from Y).")
