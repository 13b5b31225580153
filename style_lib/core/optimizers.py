"""Three optimisers for any function that gives a value and a gradient.

They know nothing of images or style: :func:`minimize` takes ``fun(x) ->
(value, gradient, aux)`` (``aux`` is passed through to the callback, e.g. the
loss terms), a start ``x0`` and optional box bounds, and returns the best
``x`` it evaluated.

* ``"gd"``: the normalised gradient step of the Hvass-Labs TensorFlow
  tutorial #15, ``x <- clip(x - η g / std(g))``: every step moves the same
  distance, whatever the gradient's size.
* ``"adam"``: Adam (Kingma & Ba 2015), projected onto the bounds.
* ``"lbfgs"``: limited-memory BFGS (Nocedal & Wright, *Numerical
  Optimization*, algorithm 7.4/7.5). It keeps the last ``m`` steps
  ``s_k = x_{k+1} - x_k`` and gradient changes ``y_k = g_{k+1} - g_k``
  ("secant pairs"); they tell how the gradient bends along the directions
  travelled, i.e. an estimate of the inverse Hessian ``H``. The *two-loop
  recursion* (:func:`two_loop`) computes the direction ``-H g`` from the
  pairs in ``O(m n)`` without ever forming ``H``. A step of length 1 along
  it is tried first; if the value does not drop enough (Armijo), the step
  is shortened. Projection onto the bounds (pixels in ``[0, 255]``) is
  applied to every step, and the pairs use the step actually taken.

Every evaluation counts as a step (L-BFGS: function evaluations, as
SciPy's ``maxfun``); the callback sees each one and may stop the run.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from ..errors import SettingsError
from ..settings import OPTIMIZERS

__all__ = ["Minimum", "minimize", "two_loop", "METHODS", "OPTIONS"]

#: the optimiser names (one list: :data:`style_lib.settings.OPTIMIZERS`).
METHODS = OPTIMIZERS
#: The keyword options of :func:`minimize` beyond the function and the start.
OPTIONS = ("bounds", "step_size", "learning_rate", "history_size", "first_step")

#: ``fun(x) -> (value (scalar), gradient (like x), aux)``.
ValueAndGradient = Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor, Any]]
#: ``callback(evaluation, x, value, aux) -> True to stop``.
Callback = Callable[[int, tf.Tensor, float, Any], Any]


@dataclass
class Minimum:
    """What :func:`minimize` found: the best ``x`` evaluated and its value."""

    x: tf.Tensor
    value: float
    evaluations: int
    stopped: bool = False          # the callback asked to stop early
    interrupted: bool = False      # Ctrl-C: ``x`` is the best so far


class _Stop(Exception):
    """Ends a run from inside an optimiser's loop."""


def minimize(fun: ValueAndGradient, x0, *, method: str = "lbfgs",
             steps: int = 100, callback: Callback | None = None,
             bounds: tuple[float, float] | None = (0.0, 255.0),
             step_size: float = 10.0, learning_rate: float = 5.0,
             history_size: int = 10, first_step: float = 5.0) -> Minimum:
    """Minimise ``fun`` from ``x0``; return a :class:`Minimum`.

    Args:
      fun: ``x -> (value, gradient, aux)``; ``x`` keeps ``x0``'s shape.
      x0: the start, any shape (e.g. ``(1, H, W, 3)`` pixels).
      method: ``"lbfgs"``, ``"adam"`` or ``"gd"``.
      steps: evaluations of ``fun``.
      callback: called after every evaluation; return True to stop.
      bounds: ``(low, high)`` box every ``x`` is projected onto, or None.
      step_size: ``gd``: distance per step in units of ``std(g)``.
      learning_rate: ``adam``.
      history_size: ``lbfgs``: secant pairs kept (``m``).
      first_step: ``lbfgs``: the first step's length in units of ``std(g)``.
    Ctrl-C ends the run and returns the best ``x`` so far
    (``interrupted=True``).
    """
    if method not in METHODS:
        raise SettingsError(f"optimizer must be one of {METHODS}, not {method!r}.")
    for name, value in (("step_size", step_size), ("learning_rate", learning_rate),
                        ("first_step", first_step)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(value) or value <= 0:
            raise SettingsError(f"{name} must be a finite number > 0, got {value!r}; "
                                f"a step of 0, below 0 or NaN would go nowhere (or "
                                f"uphill). Fix: leave it out for the default.")
    if isinstance(history_size, bool) or not isinstance(history_size, (int, np.integer)) \
            or history_size < 1:
        raise SettingsError(f"history_size must be a whole number >= 1, got "
                            f"{history_size!r} (L-BFGS keeps that many steps). Fix: 5 ... 20, or leave it out.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise SettingsError(f"steps must be a whole number >= 1, got {steps!r}. "
                            f"Fix: e.g. steps=100.")
    x0 = tf.convert_to_tensor(x0, tf.float32)
    best = {"value": math.inf, "x": x0, "n": 0}

    def evaluate(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        value, grad, aux = fun(x)
        best["n"] += 1
        v = float(value)
        if v < best["value"]:
            best["value"], best["x"] = v, x
        if callback is not None and callback(best["n"], x, v, aux):
            raise _Stop
        if best["n"] >= steps:
            raise _Stop
        return value, grad

    project = _projection(bounds)
    stopped = interrupted = False
    try:
        if method == "gd":
            _gd(evaluate, x0, project, step_size)
        elif method == "adam":
            _adam(evaluate, x0, project, learning_rate)
        else:
            _lbfgs(evaluate, x0, project, history_size, first_step)
    except _Stop:
        stopped = best["n"] < steps
    except KeyboardInterrupt:
        interrupted = True
    return Minimum(best["x"], best["value"], best["n"], stopped, interrupted)


def _projection(bounds) -> Callable[[tf.Tensor], tf.Tensor]:
    if bounds is None:
        return lambda x: x
    low, high = (float(b) for b in bounds)
    return lambda x: tf.clip_by_value(x, low, high)


# ------------------------------------------------------------ gd, adam ---

def _gd(evaluate, x, project, step_size: float) -> None:
    eta = tf.constant(step_size, tf.float32)
    while True:
        _, g = evaluate(x)
        x = project(_normalised_step(x, g, eta))


@tf.function
def _normalised_step(x, g, eta):
    """``x - η g / std(g)`` (the Hvass-Labs tutorial #15 step)."""
    return x - eta * g / (tf.math.reduce_std(g) + 1e-8)


def _adam(evaluate, x, project, learning_rate: float) -> None:
    m = tf.zeros_like(x)
    v = tf.zeros_like(x)
    lr = tf.constant(learning_rate, tf.float32)
    t = 0
    while True:
        _, g = evaluate(x)
        t += 1
        x, m, v = _adam_step(x, g, m, v, lr, tf.constant(t, tf.float32))
        x = project(x)


@tf.function
def _adam_step(x, g, m, v, lr, t, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step (bias-corrected moments)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * tf.square(g)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return x - lr * m_hat / (tf.sqrt(v_hat) + eps), m, v


# ---------------------------------------------------------------- lbfgs ---

def _lbfgs(evaluate, x, project, history_size: int, first_step: float) -> None:
    """L-BFGS: one evaluation per step, Armijo backtracking only when a step fails.

    Dot products of the curvature test accumulate in float64; the stored
    pairs are float32.
    """
    m = history_size
    n = int(np.prod(x.shape))
    s_mem = tf.zeros((m, n), tf.float32)
    y_mem = tf.zeros((m, n), tf.float32)
    rho = tf.zeros((m,), tf.float64)
    f, g = evaluate(x)
    g = tf.reshape(g, (-1,))
    gamma = tf.constant(first_step, tf.float32) / (tf.math.reduce_std(g) + 1e-8)
    have_pairs = False
    while True:
        d = two_loop(g, s_mem, y_mem, rho, gamma) if have_pairs else -gamma * g
        t = 1.0
        for _ in range(20):
            x_new = project(x + t * tf.reshape(d, tf.shape(x)))
            step = tf.reshape(x_new - x, (-1,))
            f_new, g_new = evaluate(x_new)
            if float(f_new) <= float(f) + 1e-4 * float(_dot(g, step)):
                break
            t *= 0.25                      # Armijo failed: shorter step
        g_new = tf.reshape(g_new, (-1,))
        y = g_new - g
        ys = _dot(y, step)
        if float(ys) > 1e-10:              # curvature condition: keep the pair
            s_mem = tf.concat([s_mem[1:], step[tf.newaxis]], 0)
            y_mem = tf.concat([y_mem[1:], y[tf.newaxis]], 0)
            rho = tf.concat([rho[1:], [1.0 / ys]], 0)
            gamma = tf.cast(ys / _dot(y, y), tf.float32)
            have_pairs = True
        x, f, g = x_new, f_new, g_new


def _dot(a, b) -> tf.Tensor:
    """Return ``sum(a * b)`` accumulated in float64."""
    return tf.reduce_sum(tf.cast(a, tf.float64) * tf.cast(b, tf.float64))


@tf.function
def two_loop(g: tf.Tensor, s_mem: tf.Tensor, y_mem: tf.Tensor, rho: tf.Tensor,
             gamma: tf.Tensor) -> tf.Tensor:
    """Return the L-BFGS direction ``-H g`` from the stored secant pairs.

    Args:
      g: the gradient, flat ``(n,)``.
      s_mem, y_mem: ``(m, n)`` steps and gradient changes, newest last.
      rho: ``(m,)`` the numbers ``1 / (y_k . s_k)`` (float64); unused slots
        hold 0 and change nothing.
      gamma: the scale of the initial inverse Hessian ``H_0 = gamma I``.

    First loop (newest to oldest) removes from ``q = -g`` its components
    along the ``y_k``; the middle applies ``H_0``; the second loop (oldest to
    newest) adds back the components along the ``s_k``. float32 here
    (float64 casts of every vector measured 3x slower).
    """
    m = s_mem.shape[0]
    rho = tf.cast(rho, tf.float32)
    q = -g
    alphas = []
    for i in reversed(range(m)):
        a = rho[i] * tf.reduce_sum(s_mem[i] * q)
        q -= a * y_mem[i]
        alphas.append(a)
    r = q * gamma
    for i, a in zip(range(m), reversed(alphas)):
        b = rho[i] * tf.reduce_sum(y_mem[i] * r)
        r += s_mem[i] * (a - b)
    return r
