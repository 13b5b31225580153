"""Checker for the style loss, eq. 4 and 5 (notebook 04, exercises 1 and 2).

:func:`check_style_loss` checks a one-layer loss (eq. 4, exercise 1) or a
loss over dicts of layers (eq. 5, exercise 2), and tells them apart by
trying the function on dicts (its parameter names do not decide).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from ..core import losses
from .engine import (GRAM_SHAPES, _Case, _Checker, _gram_np, _match_factor,
                     _match_mistakes, _Mismatch, _relu_features, _sizes)


def check_style_loss(fn: Callable, *, multi_layer: bool | None = None) -> bool:
    """Check a style loss against ``style_lib.core.losses``.

    Two signatures are accepted (``multi_layer=None`` tries ``fn`` on dicts
    of layers first, and checks it as a one-layer loss if that fails):

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
        multi_layer = _takes_dicts(fn)
    if multi_layer:
        return _check_multi_layer_style(fn)
    chk = _Checker(fn, "style_loss", "style_lib.core.losses.style_layer_loss",
                   shapes=GRAM_SHAPES + "; the target Gram A is (N, N) too")
    print("  (a one-layer style_layer_loss(features, target_gram); for eq. 5 over "
          "dicts of layers call check_style_loss(fn, multi_layer=True))")
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
                       "style_lib.core.losses.style_layer_loss.")


# ----------------------------------------------------------- one layer ---

def _style_layer_np(f, a) -> np.ndarray:
    """Reference eq. 4 in float64, shape ``()``."""
    g = _gram_np(f)
    n = g.shape[-1]
    return np.asarray(np.sum((g - np.float64(a)) ** 2) / (4.0 * n * n))


def _diagnose_style(got, want, case: _Case) -> str | None:
    """Hint for a wrong eq. 4: not a scalar, a factor, a known mistake."""
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


def _style_mistakes(f: np.ndarray, a: np.ndarray):
    """Known wrong eq. 4 losses for inputs shaped like ``f``, with hints."""
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


# ---------------------------------------------------------- all layers ---

def _takes_dicts(fn: Callable) -> bool:
    """Whether ``fn`` returns one finite number for dicts of layers (a quiet
    trial call; a one-layer loss fails on dicts)."""
    rng = np.random.default_rng(11)
    feats = {k: _relu_features(rng, (1, 4, 4, 3)) for k in ("a", "b")}
    targets = {k: _gram_np(v)[0].astype(np.float32) for k, v in feats.items()}
    try:
        out = fn(feats, targets)
        value = np.asarray(out.numpy() if hasattr(out, "numpy") else out)
    except Exception:               # noqa: BLE001 - any failure: not a dict loss
        return False
    return value.shape == () and np.isrealobj(value) and bool(np.isfinite(value))


def _check_multi_layer_style(fn: Callable) -> bool:
    """Check eq. 5 on dicts of 3 layers: default weights 1/L, and given ones."""
    chk = _Checker(fn, "style_loss", "style_lib.core.losses.style_loss",
                   shapes=GRAM_SHAPES + " at each layer")
    print("  (a multi-layer style_loss(features_by_layer, targets_by_layer))")
    rng = np.random.default_rng(3)
    layers = {"conv1_1": (1, 8, 6, 3), "conv2_1": (1, 4, 3, 5),
              "conv3_1": (1, 2, 2, 7)}
    feats = {k: _relu_features(rng, s) for k, s in layers.items()}
    targets = {k: _gram_np(_relu_features(rng, s))[0].astype(np.float32)
               for k, s in layers.items()}
    # The features also hold a content layer, as the extractor's do; weights
    # that do not sum to 1, as the paper's balanced ones.
    feats["conv4_2"] = _relu_features(rng, (1, 2, 2, 9))
    weights = {"conv1_1": 2.0, "conv2_1": 0.5, "conv3_1": 1.0}
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
            got = chk.value(chk.invoke(
                args, f"calling {chk.name} on {case.describe()}",
                lambda err, case=case: _multi_layer_exception_hint(chk, err, case)),
                case)
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
                if w is not None:
                    total = sum(w.values())
                    renormalised = sum(w[k] / total * per_layer[k] for k in layers)
                    if abs(g / renormalised - 1) < 1e-3:
                        return ("you divided the weights by their sum; eq. 5 uses "
                                "w_l as given (they need not add up to 1).")
                return ("check each layer with check_style_loss on your "
                        "one-layer function first, then the weighted sum "
                        "sum_l w_l E_l over the layers of targets_by_layer.")
            chk.compare(got, want, case, diagnose)
        _check_multi_layer_gradients(chk, feats, targets, layers)
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} computes sum_l w_l E_l like "
                       "style_lib.core.losses.style_loss.")


def _multi_layer_exception_hint(chk: _Checker, err: Exception, case: _Case) -> str:
    """The hint for an exception: a KeyError on a layer the style does not use."""
    if isinstance(err, KeyError) and "conv4_2" in str(err):
        return ("loop over the layers of targets_by_layer: the features can hold "
                "more layers than the style uses (here conv4_2, a content layer).")
    return chk.exception_hint(err, case)


def _check_multi_layer_gradients(chk: _Checker, feats, targets, layers) -> None:
    """Every style layer's features must get the library's gradient, the
    content layer none: a float() or stop_gradient would starve the optimiser."""
    tensors = {k: tf.constant(v) for k, v in feats.items()}
    with tf.GradientTape(persistent=True) as tape:
        for t in tensors.values():
            tape.watch(t)
        got = chk.invoke((tensors, {k: tf.constant(v) for k, v in targets.items()}),
                         "calling it under tf.GradientTape",
                         "it must accept tf.Tensors and use TensorFlow operations.")
        if not tf.is_tensor(got):
            raise chk.fail("it returned a Python number, so no gradient flows "
                           "to the features.",
                           "keep the result a tensor: no float() or .numpy() "
                           "inside the loss.")
        want = losses.style_loss({k: tensors[k] for k in layers},
                                 {k: tf.constant(v) for k, v in targets.items()})
    for name in layers:
        g = tape.gradient(got, tensors[name])
        if g is None:
            raise chk.fail(f"no gradient reaches the features of {name}.",
                           "a float(), .numpy() or tf.stop_gradient on that "
                           "layer's loss cuts the tape; the optimiser would "
                           "get no direction from it.")
        ref = tape.gradient(want, tensors[name])
        if not np.allclose(g.numpy(), ref.numpy(), rtol=1e-3, atol=1e-6):
            raise chk.fail(f"the gradient for {name} differs from the library's.",
                           "the value is right but the gradient is not: is "
                           "part of the loss computed outside TensorFlow?")
    extra = tape.gradient(got, tensors["conv4_2"])
    if extra is not None and np.any(extra.numpy()):
        raise chk.fail("the content layer conv4_2 (in features_by_layer, not in "
                       "targets_by_layer) changed the loss.",
                       "loop over the layers of targets_by_layer: the features "
                       "can hold more layers than the style uses.")
    del tape
    chk.ok("gradients reach every style layer, as the library's do")


def _accepts(fn: Callable, n: int) -> bool:
    """Whether ``fn`` can be called with ``n`` positional arguments."""
    try:
        inspect.signature(fn).bind(*range(n))
        return True
    except (TypeError, ValueError):
        return False
