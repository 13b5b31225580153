"""The machinery every checker shares: how a check runs and how it hints.

A checker builds one :class:`_Checker` around the student's function and
then, inside ``try: ... except _Mismatch: return False``:

1. **Cases.** It calls the function on seeded random inputs (:class:`_Case`)
   of both ranks, ``(1, H, W, C)`` and ``(H, W, C)``, passed both as NumPy
   arrays and as ``tf.Tensor`` objects, and compares each result with a
   float64 NumPy reference (:meth:`_Checker.compare`), printing the
   relative error (:func:`rel_error`; below :data:`TOLERANCE` is equal).
2. **Properties.** It checks what the maths guarantees whatever the inputs
   (a Gram matrix is symmetric, a loss is zero when both sides agree, ...)
   with :meth:`_Checker.prop`.
3. **Gradients.** :meth:`_Checker.gradient` records the function on a
   ``tf.GradientTape``: a gradient must exist (the optimiser needs it),
   agree with the library function's and with a central finite difference
   along a random direction.

(The VGG16 shape and receptive-field checkers take layer names, not arrays:
they only use :meth:`_Checker.invoke` and compare whole numbers.)

Every step prints a ``✓`` line. The first step that fails prints ``✗``, what
went wrong and a hint, and raises :class:`_Mismatch`, which the checker turns
into ``False``; a wrong answer never raises out of a checker (only a ``fn``
that is not callable raises ``TypeError``). The hints:

* when ``fn`` raises, :meth:`_Checker.exception_hint` reads the error and
  what passed so far (works for 4-D but not 3-D inputs, NumPy code on a
  ``tf.Tensor``, mismatched shapes, ...);
* when a value differs, the exercise's ``diagnose(got, want, case)`` comes
  first; it usually tries :func:`_match_factor` (the result is the
  reference times a known factor: forgot the 1/2, divided by M twice, ...)
  and :func:`_match_mistakes` (the result is what a known wrong formula, a
  NumPy function of the case's arrays, gives). Without a hint from it,
  :meth:`_Checker.compare` says when only one rank fails, else
  :func:`_factor_hint` says when the result is right up to a constant.

This module knows nothing of particular exercises: the checkers in the other
modules of :mod:`style_lib.checks` import it, never the other way round.
"""
from __future__ import annotations

import reprlib
import signal
import textwrap
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

#: Largest relative error that counts as "the same" (float32 arithmetic).
TOLERANCE = 1e-4

#: The shapes of the Gram matrix's maths, for shape-mismatch hints.
GRAM_SHAPES = "F is (M, N) = (H*W, C), the Gram F^T F is (N, N)"


def rel_error(x: Any, y: Any) -> float:
    """Return ``max|x - y| / max(max|x|, max|y|)``: 0 = identical, 1 = unrelated.

    ``x`` and ``y``: numbers, arrays or tensors of the same (broadcastable)
    shape, compared in float64.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    scale = max(float(np.max(np.abs(x), initial=0.0)),
                float(np.max(np.abs(y), initial=0.0)), 1e-30)
    return float(np.max(np.abs(x - y), initial=0.0) / scale)


class _Checker:
    """Shared machinery: calling, printing, comparing, gradient checks."""

    def __init__(self, fn: Callable, what: str, reference: str, *,
                 shapes: str = ""):
        if not callable(fn):
            raise TypeError(
                f"pass your function itself, e.g. check_{what}(my_fn) -- got "
                f"{type(fn).__name__} {reprlib.repr(fn)}, which is not "
                "callable.")
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.reference = reference
        self.shapes = shapes       # the maths' shapes, for the shape-mismatch hint
        self.passed_kinds: set[tuple[str, int]] = set()
        print(f"Checking {self.name} against {reference}:")

    # -- printing -------------------------------------------------------
    @staticmethod
    def ok(message: str) -> None:
        print(f"  ✓ {message}")

    def fail(self, message: str, hint: str | None = None) -> _Mismatch:
        print(f"  ✗ {message}")
        if hint:
            print(textwrap.fill(hint, width=78, initial_indent="    Hint: ",
                                subsequent_indent="          "))
        print(f"✗ {self.name} is not right yet.")
        return _Mismatch(message)

    def success(self, summary: str) -> bool:
        print(f"✓ All checks passed: {summary}")
        return True

    # -- calling ----------------------------------------------------------
    def call(self, case: _Case, *args) -> Any:
        """Call fn on a case; on an exception print a hint and raise _Mismatch."""
        return self.invoke(args or case.args(),
                           f"calling {self.name} on {case.describe()}",
                           lambda err: self.exception_hint(err, case))

    def invoke(self, args: tuple, described: str,
               hint: str | Callable[[Exception], str]) -> Any:
        """Call ``fn(*args)``; on an exception print a hint, raise _Mismatch.

        A call that takes longer than :data:`TIME_LIMIT` seconds is stopped
        (in the main thread, where a notebook runs it), so an endless loop
        does not hang the checker.
        """
        try:
            with _time_limit(TIME_LIMIT):
                return self.fn(*args)
        except _TooSlow:
            raise self.fail(f"{described} did not finish within {TIME_LIMIT:g} s.",
                            "look for a loop that never ends (a while loop "
                            "whose condition never changes), or a loop over "
                            "every pixel in Python: use whole-tensor "
                            "operations.") from None
        except NotImplementedError:
            raise self.fail(f"{self.name} is not implemented yet.",
                            "replace `raise NotImplementedError` with your "
                            "code, run that cell, then run the check again."
                            ) from None
        except Exception as err:  # noqa: BLE001 - any student error is reported
            line = _student_line(err)
            raise self.fail(
                f"{described} raised {type(err).__name__}: {_short(err)}{line}",
                hint(err) if callable(hint) else hint) from None

    def rank_hint(self, case: _Case) -> str | None:
        """The rank hint, only when no input of this rank has passed and one
        of the other rank has."""
        ranks = {r for _, r in self.passed_kinds}
        if case.rank in ranks or not ranks:
            return None
        return (f"it works for {7 - case.rank}-D inputs but not for "
                f"{case.rank}-D ones. Count axes from the end: the channels "
                "are axis -1 (x.shape[-1]), the rows axis -3, the columns "
                "axis -2, so tf.reshape(x, (-1, C)) and x[..., 1:, :, :] "
                "work for both (H, W, C) and (1, H, W, C).")

    def exception_hint(self, err: Exception, case: _Case) -> str:
        text = str(err)
        kinds = {k for k, _ in self.passed_kinds}
        rank = self.rank_hint(case)
        if rank:
            return rank
        if case.kind == "tf.Tensor" and (_numpy_on_tensor(err) or
                                         (kinds and case.kind not in kinds)):
            return ("it fails on a tf.Tensor. Use TensorFlow functions "
                    "(tf.reshape, tf.transpose, tf.matmul, tf.reduce_sum): "
                    "tensors have no .reshape/.T/.sum, and NumPy code stops "
                    "gradients.")
        if case.kind == "NumPy" and kinds and case.kind not in kinds:
            return ("it works on tf.Tensors but not on NumPy arrays. Start "
                    "with x = tf.convert_to_tensor(x, tf.float32).")
        if "Incompatible shapes" in text or "Matrix size-incompatible" in text \
                or "must be equal" in text:
            return ("shapes do not match. Print the shape of every "
                    "intermediate (e.g. print(x.shape)) and compare with the "
                    "maths" + (f": {self.shapes}." if self.shapes else "."))
        if "values to unpack" in text:
            return ("you unpacked x.shape into the wrong number of names; "
                    "inputs may be (H, W, C) or (1, H, W, C): use "
                    "x.shape[-1] for C instead of unpacking.")
        if _student_line(err):
            return ("the line named above failed: print the shapes and "
                    "types of what it uses, on a tiny input.")
        return ("the error happened inside a function your code called: "
                "print the shapes and types of what you pass to it.")

    def run(self, *arrays: np.ndarray, kind: str = "tf.Tensor") -> np.ndarray:
        """Call fn on ``arrays`` (as ``kind``) and return its value as NumPy."""
        case = _Case(tuple(arrays), kind)
        return self.value(self.call(case), case)

    # -- values -------------------------------------------------------------
    def value(self, out: Any, case: _Case) -> np.ndarray:
        """Return fn's output as float64 NumPy, or fail with a hint."""
        if out is None:
            raise self.fail(f"{self.name} returned None on {case.describe()}.",
                            "did you forget the `return` statement?")
        if isinstance(out, (tuple, list)) and out and not np.isscalar(out[0]):
            raise self.fail(f"{self.name} returned a {type(out).__name__} of "
                            f"{len(out)} items.", "return one tensor.")
        try:
            raw = np.asarray(out.numpy() if hasattr(out, "numpy") else out)
            if np.iscomplexobj(raw):
                raise self.fail(f"{self.name} returned complex numbers on "
                                f"{case.describe()}.",
                                "a loss and its pieces are real: look for a "
                                "complex dtype or a square root of a negative "
                                "number.")
            arr = np.asarray(raw, np.float64)
        except (TypeError, ValueError) as err:
            raise self.fail(f"{self.name} returned {type(out).__name__}, which "
                            f"is not a number or tensor ({err}).",
                            "return a tf.Tensor.") from None
        if not np.all(np.isfinite(arr)):
            raise self.fail(f"{self.name} returned NaN or infinity on "
                            f"{case.describe()}.",
                            "look for a division by zero or a log/sqrt of 0.")
        return arr

    def compare(self, got: np.ndarray, want: np.ndarray, case: _Case,
                diagnose: Callable[[np.ndarray, np.ndarray, _Case], str | None]
                ) -> None:
        err = rel_error(got, want) if got.shape == want.shape else np.inf
        if err < TOLERANCE:
            self.ok(f"{case.describe()}: relative error {err:.1e}")
            self.passed_kinds.add((case.kind, case.rank))
            return
        hint = diagnose(got, want, case) or self.rank_hint(case)
        if hint is None and got.shape == want.shape:
            hint = _factor_hint(got, want)
        shown = f"relative error {err:.2g}" if np.isfinite(err) else \
            f"shape {got.shape}, expected {want.shape}"
        raise self.fail(f"{case.describe()}: {shown}",
                        hint or "compare your code with the formula term by "
                                "term on a tiny example you can work by hand.")

    # -- gradients ------------------------------------------------------------
    def gradient(self, args: Sequence[np.ndarray], wrt: int,
                 reference: Callable, project: np.ndarray | None = None,
                 expect_no_gradient: bool = False) -> None:
        """Check d(fn)/d(args[wrt]) against ``reference`` and finite differences.

        ``project``: weights R to turn a matrix output into the scalar
        ``sum(R * out)``.
        """
        rng = np.random.default_rng(7)
        tensors = [tf.constant(a) for a in args]

        def scalar(f, ts):
            out = f(*ts)
            if isinstance(out, tf.Tensor) and project is not None:
                out = tf.reduce_sum(tf.reshape(out, project.shape) * project)
            return out

        with tf.GradientTape() as tape:
            tape.watch(tensors[wrt])
            try:
                out = scalar(self.fn, tensors)
            except Exception as err:  # noqa: BLE001
                raise self.fail(
                    f"calling {self.name} while recording gradients raised "
                    f"{type(err).__name__}: {_short(err)}",
                    "make the function work on tf.Tensors with TensorFlow "
                    "ops only.") from None
        if not isinstance(out, (tf.Tensor, tf.Variable)):
            raise self.fail(
                f"{self.name} returns a {type(out).__module__}."
                f"{type(out).__name__}, not a tf.Tensor, so no gradient can "
                "flow back to the image.",
                "the values are right, but the optimiser needs TensorFlow "
                "ops to differentiate: use tf.reduce_sum, tf.matmul, "
                "tf.reshape ... instead of np.sum, np.dot, .numpy() or "
                "float().")
        grad = tape.gradient(out, tensors[wrt])
        if grad is None:
            raise self.fail(
                f"no gradient flows from the result of {self.name} back to "
                "its input.",
                "something between input and output left TensorFlow "
                "(.numpy(), np.* functions, float()) or cut the graph "
                "(tf.stop_gradient). Use tf.* operations throughout.")
        with tf.GradientTape() as tape:
            tape.watch(tensors[wrt])
            want_out = scalar(reference, tensors)
        want = tape.gradient(want_out, tensors[wrt]).numpy()
        err = rel_error(grad.numpy(), want)
        if err > 1e-3:
            raise self.fail(
                f"the values are right but the gradient is not (relative "
                f"error {err:.2g}).",
                "did you use tf.stop_gradient, tf.round or a cast to an "
                "integer somewhere? Those block or change the gradient.")
        # Directional finite difference of fn itself.
        d = rng.standard_normal(args[wrt].shape).astype(np.float32)
        h = 1e-2 * float(np.std(args[wrt]) or 1.0) / float(np.std(d))

        def at(sign):
            ts = list(tensors)
            ts[wrt] = tf.constant(args[wrt] + sign * h * d)
            return float(np.sum(np.asarray(scalar(self.fn, ts), np.float64)))
        fd = (at(+1) - at(-1)) / (2 * h)
        analytic = float(np.sum(grad.numpy().astype(np.float64) * d))
        fd_err = abs(fd - analytic) / max(abs(fd), abs(analytic), 1e-12)
        if fd_err > 2e-2:
            raise self.fail(
                f"the gradient disagrees with finite differences (relative "
                f"error {fd_err:.2g}).",
                "a custom gradient or a non-smooth operation may be "
                "involved; write the formula with plain tf operations.")
        self.ok(f"gradient matches style_lib (relative error {err:.1e}) "
                f"and finite differences ({fd_err:.1e})")

    def prop(self, ok: bool, message: str, failure: str, hint: str) -> None:
        if ok:
            self.ok(message)
        else:
            raise self.fail(failure, hint)


@dataclass
class _Case:
    """One set of inputs: arrays (NumPy) plus how to pass them (np or tf)."""

    arrays: tuple[np.ndarray, ...]
    kind: str                          # "NumPy" or "tf.Tensor"
    label: str | None = None           # overrides describe()

    def args(self) -> tuple:
        if self.kind == "tf.Tensor":
            return tuple(tf.constant(a) for a in self.arrays)
        return tuple(a.copy() for a in self.arrays)

    def describe(self) -> str:
        if self.label:
            return self.label
        shapes = ", ".join(str(tuple(a.shape)) for a in self.arrays)
        return f"{self.kind} input {shapes}"

    @property
    def rank(self) -> int:
        return self.arrays[0].ndim


class _Mismatch(Exception):
    """Internal: a check failed; the message and hint are already printed."""


class _TooSlow(Exception):
    """Internal: the student's function ran past :data:`TIME_LIMIT`."""


#: Seconds one call of a student's function may take before it is stopped.
TIME_LIMIT = 30.0


@contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_TooSlow` inside the block after ``seconds`` (main thread
    on Unix only; elsewhere no limit)."""
    if not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _student_line(err: Exception) -> str:
    """`` (line N: code)`` of the deepest frame outside style_lib, or ''."""
    import traceback
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if "style_lib" not in f.filename.replace("\\", "/").split("/")[-3:-1]
              and "site-packages" not in f.filename and f.line]
    if not frames:
        return ""
    last = frames[-1]
    return f" (at line {last.lineno} of {last.name}: {last.line.strip()})"


# ------------------------------------------- inputs and NumPy references ---

def _relu_features(rng: np.random.Generator, shape) -> np.ndarray:
    """Random ReLU-like features: about half at 0.01, the rest larger."""
    return np.maximum(rng.standard_normal(shape), 0.0).astype(np.float32) \
        + 0.01


def _gram_np(x: np.ndarray) -> np.ndarray:
    """Reference Gram in float64, (C, C) or (B, C, C).

    Shared by the Gram and the style-loss checkers (eq. 4 is built on it).
    """
    x = np.asarray(x, np.float64)
    m = x.shape[-3] * x.shape[-2]
    flat = x.reshape(x.shape[:-3] + (m, x.shape[-1]))
    return np.swapaxes(flat, -1, -2) @ flat / m


def _sizes(x: np.ndarray) -> dict[str, int]:
    """The paper's sizes of a ``(..., H, W, C)`` array: H, W, M, N = C, K."""
    h, w, c = x.shape[-3:]
    return {"H": h, "W": w, "M": h * w, "N": c, "K": int(x.size)}


# ------------------------------------------------------------- hints ---

def _match_factor(got, want, factors: Sequence[tuple[float, str]]) -> str | None:
    """Return the hint of the first factor ``k`` with ``got == k * want``."""
    ratio = _scalar_ratio(got, want)
    if ratio is None:
        return None
    for k, hint in factors:
        if abs(ratio / k - 1.0) < 1e-3:
            return hint
    return None


def _match_mistakes(got, case: _Case, mistakes) -> str | None:
    """Return the hint of the first known mistake that reproduces ``got``."""
    for wrong, hint in mistakes:
        try:
            want = np.asarray(wrong(*case.arrays), np.float64)
        except Exception:  # noqa: BLE001 - a mistake may not apply here
            continue
        if want.shape == got.shape and rel_error(got, want) < TOLERANCE:
            return hint
    return None


def _factor_hint(got: np.ndarray, want: np.ndarray) -> str | None:
    """A generic hint when an array ``got`` is ``want`` times one constant.

    Only for results with several entries: any two numbers differ by "a
    constant", so for a scalar it would say nothing (and mislead).
    """
    ratio = _scalar_ratio(got, want)
    if ratio is None or got.size < 2:
        return None
    return (f"your result is {ratio:.4g} times the expected one everywhere, so "
            "the formula is right up to a constant: check the normalising "
            "factors.")


def _numpy_on_tensor(err: Exception) -> bool:
    """True if ``err`` is NumPy-style code meeting a tf.Tensor (not any TF error
    whose message happens to print a tensor's ``numpy=`` value)."""
    text = str(err)
    return (isinstance(err, AttributeError) and "Tensor" in text) or \
        "Cannot convert a symbolic" in text or "non-writable" in text or \
        "does not support item assignment" in text


def _scalar_ratio(got: np.ndarray, want: np.ndarray) -> float | None:
    """Return ``k`` if ``got == k * want`` everywhere, else None."""
    if got.shape != want.shape or not np.any(want):
        return None
    flat_g, flat_w = got.ravel(), want.ravel()
    i = int(np.argmax(np.abs(flat_w)))
    ratio = flat_g[i] / flat_w[i]
    if ratio == 0 or rel_error(got, ratio * want) > 1e-3:
        return None
    return float(ratio)


def _short(err: Exception, limit: int = 200) -> str:
    """The exception's message on one line, cut after ``limit`` characters."""
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[:limit] + " ..."
