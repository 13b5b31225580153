"""Checkers for the slider app's exercises (notebook 07, exercises 1 and 2).

Exercise 1 reads the app's loss terms (``style_share(stylizer, image)``);
exercise 2 writes a callback that moves the style-weight slider
(``on_strength(change)``). Both are checked on stand-ins with known numbers,
so the checks run in a second, whatever the app is doing.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import _Case, _Checker, _match_mistakes, _Mismatch


def check_style_share(fn: Callable) -> bool:
    """Check ``fn(stylizer, image) -> beta * L_style / J`` on stand-in stylizers.

    ``stylizer.loss_terms(image)`` gives ``"total"`` (J, weighted) and the
    unweighted ``"content"``, ``"style"`` and ``"tv"``; ``stylizer.weights()``
    gives ``"content_weight"``, ``"style_weight"`` (beta) and ``"tv_weight"``.
    Returns True if every share is right.
    """
    chk = _Checker(fn, "style_share", "beta * L_style / J",
                   shapes="the share is one number, a fraction between 0 and 1")
    rng = np.random.default_rng(8)
    try:
        for beta, gamma in [(1e3, 1e-2), (10.0, 5.0), (1e5, 0.0)]:
            image = rng.uniform(0, 255, (6, 8, 3)).astype(np.float32)
            stylizer = _StandInStylizer(image, rng, beta, gamma)
            case = _Case((image,), "NumPy", label=f"a stylizer with β = {beta:g}, "
                                                   f"γ = {gamma:g}")
            out = chk.invoke((stylizer, image), f"calling {chk.name} on {case.label}",
                             "call stylizer.loss_terms(image) and stylizer.weights() "
                             "as the exercise describes.")
            if stylizer.other_image:
                raise chk.fail(f"{chk.name} asked for the loss terms of another image.",
                               "use the `image` argument, not app.current_image: "
                               "stylizer.loss_terms(image).")
            got = chk.value(out, case)
            chk.compare(got, np.float64(stylizer.share), case,
                        lambda g, w, c, s=stylizer: _diagnose_share(g, s))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} returns β L_style / J, the style term's share of J.")


class _StandInStylizer:
    """``loss_terms`` and ``weights`` of a Stylizer, with known numbers."""

    def __init__(self, image: np.ndarray, rng: np.random.Generator, beta: float,
                 gamma: float):
        self.image, self.other_image = image, False
        self.w = {"content_weight": 1.0, "style_weight": beta, "tv_weight": gamma}
        self.c, self.s, self.tv = (float(v) for v in rng.uniform(1.0, 5.0, 3) *
                                   np.array([1e9, 1e9 / beta, 1e7]))
        self.total = self.c + beta * self.s + gamma * self.tv
        self.share = beta * self.s / self.total

    def loss_terms(self, image: Any) -> dict[str, float]:
        if np.shape(image) != self.image.shape or \
                not np.array_equal(np.asarray(image), self.image):
            self.other_image = True
        return {"total": self.total, "content": self.c, "style": self.s, "tv": self.tv}

    def weights(self) -> dict[str, float]:
        return dict(self.w)


def _diagnose_share(got: np.ndarray, s: _StandInStylizer) -> str | None:
    beta = s.w["style_weight"]
    case = _Case((np.zeros(1),), "NumPy")
    return _match_mistakes(got, case, [
        (lambda _: s.s / s.total, "multiply the style loss by β (stylizer.weights()"
                                  "['style_weight']): J holds β L_style, not L_style."),
        (lambda _: 100 * s.share, "return a fraction between 0 and 1, not a "
                                  "percentage (the notebook prints it with :.0%)."),
        (lambda _: beta * s.s / (s.c + s.s + s.tv),
         "divide by J, terms['total']: the other terms are unweighted, so their "
         "sum is not J."),
        (lambda _: beta * s.s / (s.c + beta * s.s),
         "divide by J, terms['total']: it includes the smoothing term γ L_TV too."),
        (lambda _: s.c / s.total, "that is the content term's share: use "
                                  "terms['style'] and β."),
        (lambda _: 1 - s.share, "that is the share of everything but the style "
                                "term: β L_style / J itself is asked for."),
    ])


def check_strength_callback(fn: Callable, style_weight_slider: Any) -> bool:
    """Check ``fn(change)`` sets ``style_weight_slider.value`` to ``10 ** (1 + 4 s)``.

    ``change`` is what ``strength.observe`` passes: ``change["new"]`` (or
    ``change.new``) is the strength ``s`` in ``[0, 1]``. The slider is left
    at the value for ``s = 0.5``, the default beta ``1e3``.
    """
    chk = _Checker(fn, "strength_callback", "beta = 10 ** (1 + 4 s)")
    try:
        for s in (0.25, 0.75, 0.5):
            before = style_weight_slider.value
            chk.invoke((_Change(s),), f"calling {chk.name} with strength {s}",
                       'read the strength as change["new"], then set '
                       "app.style_weight_slider.value.")
            got, want = float(style_weight_slider.value), 10 ** (1 + 4 * s)
            if math.isclose(got, want, rel_tol=0.05):
                chk.ok(f"strength {s}: β = {got:.3g}")
                continue
            raise chk.fail(f"strength {s} gave β = {got:.3g}, expected {want:.3g}.",
                           _diagnose_strength(got, before, s))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} sets β = 10^(1 + 4 s); s = 0.5 gives the default 1e3.")


class _Change(dict):
    """What ``observe`` passes: ``change["new"]`` and ``change.new`` both work."""

    def __init__(self, new: float):
        super().__init__(new=new, old=0.5, name="value", type="change", owner=None)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _diagnose_strength(got: float, before: float, s: float) -> str:
    """Hint for a wrong beta; the log slider rounds to notches 10^0.1 apart."""
    def near(x: float) -> bool:
        return math.isclose(got, x, rel_tol=0.13)
    if got == before:
        return ("the style slider did not move: inside on_strength set "
                "app.style_weight_slider.value = ..., not a variable of your own.")
    if near(1 + 4 * s):
        return f"you set the exponent 1 + 4 s = {1 + 4 * s:g}; β is 10 ** (1 + 4 * s)."
    if near(10 ** (4 * s)):
        return "β = 10 ** (1 + 4 * s): the 1 in the exponent is missing."
    if near(10 ** (1 + 4 * (1 - s))):
        return "the slider runs backwards: use s, not 1 - s."
    return f"β must be 10 ** (1 + 4 * s) = {10 ** (1 + 4 * s):.3g} for s = {s}."
