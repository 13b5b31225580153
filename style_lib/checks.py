"""Exercise checkers: test your own function against style_lib, with hints.

Each ``check_*(fn)``

1. calls ``fn`` on seeded random inputs -- NumPy arrays and tf.Tensors,
   ``(1, H, W, C)`` and ``(H, W, C)`` -- and compares the result with the
   library's function, printing the relative error;
2. checks properties the maths guarantees (a Gram matrix is symmetric, a
   loss is zero when the two sides agree, ...);
3. checks that gradients flow through ``fn`` and agree with the library's
   (the optimiser needs them) and with finite differences.

It prints ``✓ ...`` lines and returns True when everything agrees. When
something is wrong it prints what failed and a specific hint, and returns
False. It never raises because an answer is wrong; it raises ``TypeError``
only when ``fn`` is not a function.

Checkers and the signature each expects:

* :func:`check_gram_matrix` -- ``gram_matrix(features) -> (C, C)``
* :func:`check_content_loss` -- ``content_loss(features, target) -> scalar``
* :func:`check_style_loss` -- ``style_layer_loss(features, target_gram)``
  (one layer, eq. 4), or ``style_loss(features_by_layer, targets_by_layer)``
  (dicts, eq. 5 with weights ``1/L``), detected automatically
* :func:`check_total_variation` -- ``total_variation_loss(image) -> scalar``
* :func:`check_preprocess` -- ``preprocess(images) -> VGG input``
* :func:`check_feature_shape` -- ``feature_shape(layer, height, width)``
* :func:`check_receptive_field` -- ``receptive_field(layer) -> int``
"""
from __future__ import annotations

import inspect
import reprlib
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from . import losses, vgg

__all__ = ["check_gram_matrix", "check_content_loss", "check_style_loss",
           "check_total_variation", "check_preprocess", "check_feature_shape",
           "check_receptive_field", "rel_error"]

#: Largest relative error that counts as "the same" (float32 arithmetic).
TOLERANCE = 1e-4


class _Mismatch(Exception):
    """Internal: a check failed; the message and hint are already printed."""


def rel_error(x: Any, y: Any) -> float:
    """Return ``max|x - y| / max(max|x|, max|y|)``: 0 = identical, 1 = unrelated."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    scale = max(float(np.max(np.abs(x), initial=0.0)),
                float(np.max(np.abs(y), initial=0.0)), 1e-30)
    return float(np.max(np.abs(x - y), initial=0.0) / scale)


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


def _relu_features(rng: np.random.Generator, shape) -> np.ndarray:
    """Random ReLU-like features: about half at 0.01, the rest larger."""
    return np.maximum(rng.standard_normal(shape), 0.0).astype(np.float32) \
        + 0.01


class _Checker:
    """Shared machinery: calling, printing, comparing, gradient checks."""

    def __init__(self, fn: Callable, what: str, reference: str):
        if not callable(fn):
            raise TypeError(
                f"pass your function itself, e.g. check_{what}(my_fn) -- got "
                f"{type(fn).__name__} {reprlib.repr(fn)}, which is not "
                "callable.")
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.reference = reference
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
        """Call ``fn(*args)``; on an exception print a hint, raise _Mismatch."""
        try:
            return self.fn(*args)
        except NotImplementedError:
            raise self.fail(f"{self.name} is not implemented yet.",
                            "replace `raise NotImplementedError` with your "
                            "code, run that cell, then run the check again."
                            ) from None
        except Exception as err:  # noqa: BLE001 - any student error is reported
            raise self.fail(
                f"{described} raised {type(err).__name__}: {_short(err)}",
                hint(err) if callable(hint) else hint) from None

    def exception_hint(self, err: Exception, case: _Case) -> str:
        text = str(err)
        other_rank = {(k, r) for k, r in self.passed_kinds if r != case.rank}
        other_kind = {(k, r) for k, r in self.passed_kinds if k != case.kind}
        if other_rank:
            return (f"it works for {7 - case.rank}-D inputs but "
                    f"not for {case.rank}-D ones. Count axes from the end: "
                    "the channels are axis -1 (x.shape[-1]), the rows axis -3, "
                    "so tf.reshape(x, (-1, C)) and x[..., 1:, :, :] work for "
                    "both (H, W, C) and (1, H, W, C).")
        if case.kind == "tf.Tensor" and ("numpy" in text or "attribute" in text
                                         or other_kind):
            return ("it fails on a tf.Tensor. Use TensorFlow functions "
                    "(tf.reshape, tf.transpose, tf.matmul, tf.reduce_sum): "
                    "tensors have no .reshape/.T/.sum, and NumPy code stops "
                    "gradients.")
        if case.kind == "NumPy" and other_kind:
            return ("it works on tf.Tensors but not on NumPy arrays. Start "
                    "with x = tf.convert_to_tensor(x, tf.float32).")
        if "Incompatible shapes" in text or "Matrix size-incompatible" in text \
                or "must be equal" in text:
            return ("shapes do not match. Print the shape of every "
                    "intermediate (e.g. print(F.shape)) and compare with the "
                    "maths: F is (M, N) = (H*W, C), the Gram F^T F is (N, N).")
        if "values to unpack" in text:
            return ("you unpacked x.shape into the wrong number of names; "
                    "inputs may be (H, W, C) or (1, H, W, C): use "
                    "x.shape[-1] for C instead of unpacking.")
        return "read the error message above; it names the line that failed."

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
            arr = np.asarray(out.numpy() if hasattr(out, "numpy") else out,
                             np.float64)
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
        hint = diagnose(got, want, case)
        if hint is None and any(r != case.rank for _, r in self.passed_kinds):
            hint = (f"it works for {7 - case.rank}-D inputs but not for "
                    f"{case.rank}-D ones. Count axes from the end: channels "
                    "are axis -1 (x.shape[-1]), rows axis -3, columns axis "
                    "-2, so tf.reshape(x, (-1, C)) and x[..., 1:, :, :] work "
                    "for both (H, W, C) and (1, H, W, C).")
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


def _short(err: Exception, limit: int = 200) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _scalar_ratio(got: np.ndarray, want: np.ndarray) -> float | None:
    if got.shape != want.shape or not np.any(want):
        return None
    flat_g, flat_w = got.ravel(), want.ravel()
    i = int(np.argmax(np.abs(flat_w)))
    ratio = flat_g[i] / flat_w[i]
    if ratio == 0 or rel_error(got, ratio * want) > 1e-3:
        return None
    return float(ratio)


def _factor_hint(got: np.ndarray, want: np.ndarray) -> str | None:
    ratio = _scalar_ratio(got, want)
    if ratio is None:
        return None
    return (f"your result is {ratio:.4g} times the expected one everywhere, so "
            "the formula is right up to a constant: check the normalising "
            "factors.")


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


def _sizes(x: np.ndarray) -> dict[str, int]:
    h, w, c = x.shape[-3:]
    return {"H": h, "W": w, "M": h * w, "N": c, "K": int(x.size)}


# ------------------------------------------------------------ gram ---

def _gram_np(x: np.ndarray) -> np.ndarray:
    """Reference Gram in float64, (C, C) or (B, C, C)."""
    x = np.asarray(x, np.float64)
    m = x.shape[-3] * x.shape[-2]
    flat = x.reshape(x.shape[:-3] + (m, x.shape[-1]))
    return np.swapaxes(flat, -1, -2) @ flat / m


def _gram_mistakes(x: np.ndarray):
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


def check_gram_matrix(fn: Callable, *, batch: bool = False) -> bool:
    """Check ``fn(features) -> Gram matrix`` against ``losses.gram_matrix``.

    Expected: ``(H, W, C) -> (C, C)`` and ``(1, H, W, C) -> (C, C)`` or
    ``(1, C, C)``, with ``G = F^T F / M``, ``F`` the ``(M, C)`` features
    and ``M = H * W``. With ``batch=True`` also ``(B, H, W, C) -> (B, C, C)``.
    Returns True if everything agrees.
    """
    chk = _Checker(fn, "gram_matrix", "style_lib.losses.gram_matrix")
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
                       "style_lib.losses.gram_matrix.")


def _diagnose_gram(got, want, case: _Case) -> str | None:
    s = _sizes(case.arrays[0])
    m, n = s["M"], s["N"]
    if got.shape[-2:] == (m, m):
        return (f"your Gram matrix is {m}x{m} (positions x positions): you "
                f"computed F F^T instead of F^T F. With F reshaped to (M, N) = "
                f"(H*W, C), the Gram is tf.transpose(F) @ F, which is "
                f"{n}x{n}.")
    if got.ndim >= 2 and got.shape[-2:] != (n, n):
        return (f"the Gram matrix must be (C, C) = ({n}, {n}), one entry "
                f"per pair of channels; yours is {got.shape}.")
    if got.shape != want.shape:
        return (f"expected shape {want.shape}, got {got.shape}. For a batch "
                "of one, (C, C) or (1, C, C) are both fine.")
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


# ------------------------------------------------------- content loss ---

def _content_np(f, p) -> np.ndarray:
    return np.asarray(0.5 * np.sum((np.float64(f) - np.float64(p)) ** 2))


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


def check_content_loss(fn: Callable) -> bool:
    """Check ``fn(features, target) -> scalar`` against ``losses.content_loss``.

    Expected: ``1/2 * sum((F - P)**2)`` (paper eq. 1) over all elements, for
    inputs of shape ``(1, H, W, C)`` or ``(H, W, C)``. Returns True if
    everything agrees.
    """
    chk = _Checker(fn, "content_loss", "style_lib.losses.content_loss")
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
                       "style_lib.losses.content_loss.")


def _diagnose_content(got, want, case: _Case) -> str | None:
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


# --------------------------------------------------------- style loss ---

def _style_layer_np(f, a) -> np.ndarray:
    g = _gram_np(f)
    n = g.shape[-1]
    return np.asarray(np.sum((g - np.float64(a)) ** 2) / (4.0 * n * n))


def _style_mistakes(f: np.ndarray, a: np.ndarray):
    n = f.shape[-1]
    m = f.shape[-3] * f.shape[-2]

    def raw_gram(x, t):
        x = np.asarray(x, np.float64).reshape(-1, n)
        return np.sum((x.T @ x - t) ** 2) / (4.0 * n * n)

    def squared_after_sum(x, t):
        return np.sum(_gram_np(x) - np.float64(t)) ** 2 / (4.0 * n * n)

    def abs_diff(x, t):
        return np.sum(np.abs(_gram_np(x) - np.float64(t))) / (4.0 * n * n)

    def content_like(x, t):
        return 0.5 * np.sum((_gram_np(x) - np.float64(t)) ** 2)

    return [
        (raw_gram, f"your Gram is not divided by M = H*W = {m}, but "
                   "target_gram (from style_lib) is. Use the Gram of "
                   "notebook 03: F^T F / M."),
        (squared_after_sum, "you squared the sum of differences; square "
                            "each difference (G - A) first, then sum."),
        (abs_diff, "you summed |G - A|; eq. 4 squares the differences."),
        (content_like, "you used the content loss's 1/2 on the Grams; "
                       "eq. 4 divides the sum by 4 N^2."),
    ]


def _diagnose_style(got, want, case: _Case) -> str | None:
    if got.shape != ():
        return (f"your loss has shape {got.shape}; a loss must be one number "
                "(shape ()). Use tf.reduce_sum without an axis argument.")
    s = _sizes(case.arrays[0])
    m, n = s["M"], s["N"]
    return _match_factor(got, want, [
        (4.0, "4 times the expected value: did you forget the 1/4 in "
              "1/(4 N^2), or use tf.reduce_mean (which divides by N^2 but "
              "not by 4)?"),
        (float(n * n), f"too large by N^2 = {n * n}: divide the sum by "
                       "4 N^2, with N the number of channels."),
        (4.0 * n * n, "the sum is not normalised: eq. 4 divides it by 4 N^2 "
                      f"(N = {n} channels here)."),
        (1.0 / (m * m), f"too small by M^2 = {m * m}: the paper's 1/M^2 is "
                        "already inside G = F^T F / M; don't divide again."),
        (1.0 / m, f"too small by M = {m}: is your Gram divided by M twice?"),
        (1.0 / (n * n), "too small by N^2: you divided by N^4 instead of "
                        "4 N^2 (or by 4 N^2 twice)."),
        (0.25, "a quarter of the expected value: did you divide by 4 twice?"),
    ]) or _match_mistakes(got, case, _style_mistakes(*case.arrays))


def _accepts(fn: Callable, n: int) -> bool:
    try:
        inspect.signature(fn).bind(*range(n))
        return True
    except (TypeError, ValueError):
        return False


def _looks_multi_layer(fn: Callable) -> bool:
    """Guess from the parameter names whether fn takes dicts of layers."""
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return any(k in name for name in names[:2]
               for k in ("by_layer", "layers", "dict", "targets"))


def check_style_loss(fn: Callable, *, multi_layer: bool | None = None) -> bool:
    """Check a style loss against ``style_lib.losses``.

    Two signatures are accepted (``multi_layer=None`` guesses from the
    parameter names, e.g. ``features_by_layer``):

    * ``style_layer_loss(features, target_gram) -> scalar`` -- one layer,
      eq. 4: ``1/(4 N^2) * sum((G - A)**2)`` with ``G = F^T F / M``;
      ``features`` ``(1, H, W, N)`` or ``(H, W, N)``, ``target_gram``
      ``(N, N)``.
    * ``style_loss(features_by_layer, targets_by_layer) -> scalar`` -- eq. 5
      with the default weights ``w_l = 1/L`` (dicts layer name -> tensor).
      If it takes a third argument, it is called with ``layer_weights``
      (dict layer name -> weight) as well.
    Returns True if everything agrees.
    """
    if multi_layer is None:
        multi_layer = _looks_multi_layer(fn)
    if multi_layer:
        return _check_multi_layer_style(fn)
    chk = _Checker(fn, "style_loss", "style_lib.losses.style_layer_loss")
    rng = np.random.default_rng(2)
    shapes = [((1, 6, 5, 4), "tf.Tensor"), ((7, 3, 8), "NumPy"),
              ((1, 4, 9, 5), "NumPy"), ((5, 5, 6), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            f = _relu_features(rng, shape)
            a = _gram_np(_relu_features(rng, (1,) + shape[-3:]))[0]
            case = _Case((f, a.astype(np.float32)), kind)
            got = chk.value(chk.call(case), case)
            chk.compare(got, _style_layer_np(*case.arrays), case,
                        _diagnose_style)
        f = _relu_features(rng, (1, 6, 7, 5))
        a = _gram_np(_relu_features(rng, (1, 6, 7, 5)))[0].astype(np.float32)

        def val(x, t):
            return float(chk.run(x, t))
        base = val(f, a)
        own = _gram_np(f)[0].astype(np.float32)
        chk.prop(abs(val(f, own)) <= 1e-6 * base and base >= 0,
                 "zero when the Gram matches the target, positive otherwise",
                 "the loss is not zero when the Gram equals target_gram.",
                 "compare the Gram of the features with target_gram: "
                 "sum((G - A)**2), not the features themselves.")
        perm = rng.permutation(42)
        shuffled = f.reshape(1, 42, 5)[:, perm].reshape(1, 6, 7, 5)
        chk.prop(abs(val(shuffled, a) - base) <= 1e-4 * base,
                 "unchanged when the spatial positions are shuffled",
                 "the loss changes when positions are shuffled.",
                 "the style loss must depend on the features only through "
                 "their Gram matrix.")
        chk.gradient([f, a], 0, losses.style_layer_loss)
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes 1/(4 N^2) sum((G - A)^2) like "
                       "style_lib.losses.style_layer_loss.")


def _check_multi_layer_style(fn: Callable) -> bool:
    chk = _Checker(fn, "style_loss", "style_lib.losses.style_loss")
    print("  (a multi-layer style_loss(features_by_layer, targets_by_layer))")
    rng = np.random.default_rng(3)
    layers = {"conv1_1": (1, 8, 6, 3), "conv2_1": (1, 4, 3, 5),
              "conv3_1": (1, 2, 2, 7)}
    feats = {k: _relu_features(rng, s) for k, s in layers.items()}
    targets = {k: _gram_np(_relu_features(rng, s))[0].astype(np.float32)
               for k, s in layers.items()}
    weights = {"conv1_1": 0.5, "conv2_1": 0.3, "conv3_1": 0.2}
    with_weights = _accepts(fn, 3)
    try:
        runs = [("NumPy", None)] + [("tf.Tensor", None)] + \
            ([("tf.Tensor", weights)] if with_weights else [])
        for kind, w in runs:
            conv = (lambda v: tf.constant(v)) if kind == "tf.Tensor" else \
                (lambda v: v.copy())
            args = ({k: conv(v) for k, v in feats.items()},
                    {k: conv(v) for k, v in targets.items()})
            if w is not None:
                args = args + (dict(w),)
            case = _Case((feats["conv1_1"],), kind,
                         label=f"{kind} dicts of 3 layers"
                         + (" with layer_weights" if w else ""))
            got = chk.value(chk.call(case, *args), case)
            per_layer = {k: float(_style_layer_np(feats[k], targets[k]))
                         for k in layers}
            use = w or {k: 1.0 / len(layers) for k in layers}
            want = np.asarray(sum(use[k] * per_layer[k] for k in layers))

            def diagnose(g, wv, c, per_layer=per_layer, w=w):
                if g.shape != ():
                    return "return one number: add the layers' losses up."
                if w is None and abs(g / sum(per_layer.values()) - 1) < 1e-3:
                    return ("you added the layers with weight 1; eq. 5 with "
                            "the default w_l = 1/L averages them "
                            f"(L = {len(layers)} here).")
                return ("check each layer with check_style_loss on your "
                        "one-layer function first, then the weighted sum "
                        "sum_l w_l E_l.")
            chk.compare(got, want, case, diagnose)
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes sum_l w_l E_l like "
                       "style_lib.losses.style_loss.")


# ---------------------------------------------------- total variation ---

def _tv_np(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]
    return np.asarray(np.sum(dy ** 2) + np.sum(dx ** 2))


def _tv_parts(x):
    x = np.asarray(x, np.float64)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]
    return dy, dx


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
]


def check_total_variation(fn: Callable) -> bool:
    """Check ``fn(image) -> scalar`` against ``losses.total_variation_loss``.

    Expected: ``sum((x[i+1, j] - x[i, j])**2) + sum((x[i, j+1] - x[i, j])**2)``
    over all channels, for ``(1, H, W, 3)`` and ``(H, W, 3)`` images.
    Returns True if everything agrees.
    """
    chk = _Checker(fn, "total_variation_loss",
                   "style_lib.losses.total_variation_loss")
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
                       "style_lib.losses.total_variation_loss.")


def _diagnose_tv(got, want, case: _Case) -> str | None:
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


# --------------------------------------------------------- preprocess ---

_PRE_MISTAKES = [
    (lambda x: np.float64(x) - vgg.BGR_MEAN,
     "you subtracted the mean but kept the RGB order. VGG16 expects BGR: "
     "flip the channels first with x[..., ::-1], then subtract BGR_MEAN "
     "(which is in B, G, R order)."),
    (lambda x: np.float64(x)[..., ::-1] - vgg.BGR_MEAN[::-1],
     "you flipped the channels but subtracted the mean in R, G, B order; "
     "after the flip channel 0 is blue, so subtract BGR_MEAN as it is."),
    (lambda x: np.float64(x)[..., ::-1],
     "you flipped RGB to BGR but forgot to subtract the ImageNet mean "
     "vgg.BGR_MEAN."),
    (lambda x: np.float64(x)[..., ::-1] / 255.0 - vgg.BGR_MEAN,
     "VGG16 (Caffe weights) expects values in [0, 255], not [0, 1]: don't "
     "divide by 255."),
    (lambda x: (np.float64(x) - np.mean(x, axis=(-3, -2), keepdims=True)
                )[..., ::-1],
     "subtract the fixed ImageNet mean vgg.BGR_MEAN, not this image's own "
     "mean: the network was trained with the fixed one."),
    (lambda x: np.float64(x)[..., ::-1, :] - vgg.BGR_MEAN,
     "you flipped the image left-right instead of its channels: the "
     "channels are the last axis, x[..., ::-1]."),
    (lambda x: np.float64(x)[..., ::-1, :, :] - vgg.BGR_MEAN,
     "you flipped the image upside down instead of its channels: the "
     "channels are the last axis, x[..., ::-1]."),
]


def _diagnose_pre(got, want, case: _Case) -> str | None:
    if got.shape != want.shape:
        return (f"the output must have the input's shape {want.shape}; "
                f"yours is {got.shape}.")
    return _match_mistakes(got, case, _PRE_MISTAKES) or _match_factor(
        got, want, [(1 / 255.0, "don't divide by 255: VGG16 (Caffe) "
                                "works on [0, 255].")])


def check_preprocess(fn: Callable) -> bool:
    """Check ``fn(images) -> VGG input`` against ``style_lib.vgg.preprocess``.

    Expected: RGB in ``[0, 255]`` -> BGR minus ``vgg.BGR_MEAN``, same
    shape, for ``(1, H, W, 3)`` and ``(H, W, 3)``. Returns True if everything
    agrees.
    """
    chk = _Checker(fn, "preprocess", "style_lib.vgg.preprocess")
    rng = np.random.default_rng(5)
    shapes = [((1, 6, 5, 3), "tf.Tensor"), ((7, 4, 3), "NumPy"),
              ((2, 5, 4, 3), "NumPy"), ((6, 6, 3), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            case = _Case(((255 * rng.random(shape)).astype(np.float32),), kind)
            got = chk.value(chk.call(case), case)
            want = np.asarray(vgg.preprocess(case.arrays[0]), np.float64)
            chk.compare(got, want, case, _diagnose_pre)
        grey = np.full((1, 4, 4, 3), 100.0, np.float32)
        out = chk.run(grey, kind="NumPy")
        chk.prop(np.allclose(out[0, 0, 0], 100.0 - vgg.BGR_MEAN, atol=1e-3),
                 f"a grey pixel (100, 100, 100) becomes "
                 f"{np.round(100.0 - vgg.BGR_MEAN, 2)}",
                 "a grey pixel does not become 100 - BGR_MEAN.",
                 "subtract vgg.BGR_MEAN from the BGR pixel.")
        x = (255 * rng.random((1, 4, 5, 3))).astype(np.float32)
        chk.gradient([x], 0, vgg.preprocess,
                     project=rng.standard_normal(x.shape).astype(np.float32))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} turns RGB [0, 255] into BGR minus the "
                       "ImageNet mean, like style_lib.vgg.preprocess.")


# ---------------------------------------------------- shapes and fields ---

def check_feature_shape(fn: Callable) -> bool:
    """Check ``fn(layer, height, width) -> (h, w, channels)`` for VGG16.

    ``layer`` is a paper name (``"conv3_1"``, ``"pool2"``); the answer is the
    shape of that layer's feature maps for a ``height x width`` image (the
    convolutions keep the size, each 2x2 pool halves it, rounding down).
    Checked for all 18 layers at several image sizes, odd ones included.
    """
    chk = _Checker(fn, "feature_shape", "style_lib.vgg.LAYERS")
    sizes = [(256, 256), (224, 320), (97, 131), (64, 48)]
    try:
        for h, w in sizes:
            for layer in vgg.LAYERS:
                want = (h // layer.stride, w // layer.stride, layer.filters)
                call = f"{chk.name}({layer.name!r}, {h}, {w})"
                out = chk.invoke((layer.name, h, w), call,
                                 "vgg.layer_info(name) gives the block's "
                                 "filters and stride.")
                try:
                    got = tuple(out)
                    ok = len(got) == 3 and all(float(g) == int(g) for g in got)
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    raise chk.fail(f"{call} returned "
                                   f"{out!r}; expected a tuple of 3 whole "
                                   "numbers (h, w, channels).",
                                   "use // for the halving so the sizes stay "
                                   "integers.")
                got = tuple(int(g) for g in got)
                if got != want:
                    raise chk.fail(
                        f"{call} = {got}, expected "
                        f"{want}.", _feature_shape_hint(layer, got, want, h, w))
            chk.ok(f"all 18 layers for a {h}x{w} image")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} knows every VGG16 layer's output shape.")


def _feature_shape_hint(layer, got, want, h, w) -> str:
    if got[2] != want[2]:
        return (f"{layer.name} has {layer.filters} filters (channels): blocks "
                "1..5 have 64, 128, 256, 512, 512.")
    if got[:2] == (want[1], want[0]):
        return "height and width are swapped: return (h, w, channels)."
    if got[:2] == (-(-h // layer.stride), -(-w // layer.stride)):
        return ("for odd sizes pooling rounds down (a 2x2 pool with stride 2 "
                "drops the last row/column): use // (floor division).")
    n_pools = int(np.log2(layer.stride))
    return (f"{layer.name} comes after {n_pools} pooling layer(s), each "
            f"halving the size, so the maps are image size // {layer.stride}"
            "; the 3x3 convolutions ('same' padding) keep the size.")


def _rf_no_jump(name: str) -> int:
    field = 1
    for layer in vgg.LAYERS:
        field += 2 if layer.kind == "conv" else 1
        if layer.name == name:
            return field
    raise KeyError(name)


def _rf_no_pool(name: str) -> int:
    field, jump = 1, 1
    for layer in vgg.LAYERS:
        if layer.kind == "conv":
            field += 2 * jump
        else:
            jump *= 2
        if layer.name == name:
            return field
    raise KeyError(name)


def check_receptive_field(fn: Callable) -> bool:
    """Check ``fn(layer) -> int``: receptive field in pixels of a VGG16 layer.

    ``layer`` is a paper name (``"conv1_1"`` ... ``"pool5"``). Rule: start at
    1 pixel with a jump of 1; each 3x3 convolution adds ``2 * jump``; each
    2x2 pool adds ``jump`` and then doubles the jump. Checked for all 18
    layers against ``vgg.layer_info(layer).receptive_field``.
    """
    chk = _Checker(fn, "receptive_field", "style_lib.vgg.LAYERS")
    try:
        for layer in vgg.LAYERS:
            got = chk.invoke((layer.name,), f"{chk.name}({layer.name!r})",
                             "walk through vgg.LAYERS in order until you "
                             "reach the layer.")
            try:
                ok = float(got) == layer.receptive_field
            except (TypeError, ValueError):
                ok = False
            if not ok:
                if got == _rf_no_jump(layer.name):
                    hint = ("after each pool, one step on the feature map is "
                            "2x more pixels (the jump doubles), so a 3x3 conv "
                            "adds 2 * jump pixels, not 2.")
                elif got == _rf_no_pool(layer.name):
                    hint = ("a 2x2 pool also widens the field: it adds 1 * "
                            "jump pixels before the jump doubles.")
                else:
                    hint = ("follow the rule: field = 1, jump = 1; conv: "
                            "field += 2 * jump; pool: field += jump, then "
                            "jump *= 2.")
                raise chk.fail(f"{chk.name}({layer.name!r}) = {got!r}, "
                               f"expected {layer.receptive_field}.", hint)
        chk.ok("all 18 layers, conv1_1 (3 px) to pool5 "
               f"({vgg.layer_info('pool5').receptive_field} px)")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} gives every VGG16 layer's receptive field.")
