"""The stylisation loop: find an image whose VGG16 features match a photo's
content and a painting's style (Gatys, Ecker & Bethge 2016, eq. 7).

``J(x) = a * L_content(x) + b * L_style(x) + c * L_tv(x)``

* :class:`Stylizer` holds one content/style pair at one size. It computes
  the content features and style Grams **once**; weights are TF variables,
  so changing them reuses the same compiled step function.
* :func:`stylize` is the one-call interface (it keeps a small cache of
  stylizers, so a second call with other weights reuses the targets).

Optimisers: ``"lbfgs"`` (SciPy L-BFGS in float64 on ``J(clip(x))``, so pixels stay in ``[0, 255]``;
the default, fastest to a good image), ``"adam"`` and ``"gd"`` (the seed
notebook's recipe: ``x -= step_size * g / std(g)``, then clip).
"""
from __future__ import annotations

import hashlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from . import config
from .errors import ImageError, SettingsError
from .losses import content_loss, gram_matrix, style_layer_loss, \
    total_variation_loss
from .vgg import LAYERS, FeatureExtractor, layer_info

DEFAULT_CONTENT_LAYERS: tuple[str, ...] = ("conv4_2",)
DEFAULT_STYLE_LAYERS: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1",
                                         "conv4_1", "conv5_1")
DEFAULT_SIZE = 256
DEFAULT_STEPS = 150
DEFAULT_CONTENT_WEIGHT = 1.0
DEFAULT_STYLE_WEIGHT = 1e4
DEFAULT_TV_WEIGHT = 1e-2
OPTIMIZERS = ("lbfgs", "adam", "gd")
NOISE_STD = 20.0          # init="noise": mid-grey 128 plus N(0, 20^2)
MAX_SIZE = 4096


# ------------------------------------------------------------- results ---

@dataclass
class Progress:
    """What a callback sees after each step. ``image`` is ``(H, W, 3)``."""

    step: int
    steps: int
    total: float
    content: float
    style: float
    tv: float
    seconds: float
    image: np.ndarray


@dataclass
class StyleResult:
    """Result of a run: the best image seen and the per-step history.

    ``image`` is ``(H, W, 3)`` float32 in ``[0, 255]``; ``history`` maps
    ``"step"``, ``"total"``, ``"content"``, ``"style"``, ``"tv"`` and
    ``"seconds"`` (since the start) to equal-length lists.
    """

    image: np.ndarray
    history: dict[str, list[float]]
    settings: dict[str, Any]
    weights_source: str = ""
    interrupted: bool = False
    stopped: bool = False
    best_loss: float = math.inf

    @property
    def final_loss(self) -> float:
        """The total loss at the last recorded step."""
        return self.history["total"][-1] if self.history["total"] else math.inf


def _new_history() -> dict[str, list[float]]:
    return {k: [] for k in ("step", "total", "content", "style", "tv",
                            "seconds")}


class _Stop(Exception):
    """Raised inside an optimiser to end a run early (callback or budget)."""


# ------------------------------------------------------------- helpers ---

def check_weight(name: str, value: float) -> float:
    """Return ``value`` as float, or raise if it is negative, NaN or inf."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(value) or value < 0:
        raise SettingsError(
            f"{name} must be a finite number >= 0, got {value}. Fix: use 0 to "
            f"switch the term off, or a positive value such as 1e-3 ... 1e4.")
    return value


def check_size(size: int) -> int:
    """Return ``size`` (longest side in pixels) after a sanity check."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
            or not 16 <= size <= MAX_SIZE:
        raise SettingsError(
            f"size must be a whole number of pixels from 16 to {MAX_SIZE}, got "
            f"{size!r}. Fix: 256 is a good start; 512 for a print.")
    return int(size)


def resize_image(image, size: int) -> np.ndarray:
    """Return ``image`` ``(H, W, 3)`` resized so its longest side is ``size``."""
    image = np.asarray(image, np.float32)
    if image.ndim == 4:
        image = image[0]
    if image.ndim != 3 or image.shape[-1] != 3:
        raise SettingsError(f"expected an RGB image of shape (H, W, 3), got "
                            f"{image.shape}. Fix: load it with "
                            "style_lib.images.load_image.")
    h, w = image.shape[:2]
    scale = size / max(h, w)
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    if new == (h, w):
        return image
    out = tf.image.resize(image, new, method="lanczos3", antialias=True)
    return np.clip(out.numpy(), 0, 255).astype(np.float32)


def as_image(image, size: int | None = None) -> np.ndarray:
    """Return an ``(H, W, 3)`` float32 array from an array, path or demo name."""
    if isinstance(image, (str,)) or hasattr(image, "__fspath__"):
        from . import data, images
        if isinstance(image, str) and image in data.NAMES:
            image = data.load(image)
        elif isinstance(image, str) and not os.path.exists(image) \
                and not os.path.splitext(image)[1]:
            import difflib
            close = difflib.get_close_matches(image, data.NAMES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ImageError(
                f"{image!r} is neither an image file nor a demo image.{hint} "
                f"Demo names: {', '.join(data.NAMES)}.")
        else:
            image = images.load_image(image)
    elif isinstance(image, tf.Tensor):
        image = image.numpy()
    image = np.asarray(image, np.float32)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 3 or image.shape[-1] != 3:
        raise SettingsError(f"expected an RGB image of shape (H, W, 3), got "
                            f"{image.shape}.")
    if not np.isfinite(image).all():
        raise SettingsError("the image holds NaN or infinite values.")
    return resize_image(image, size) if size else image


def _digest(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()[:16]


def _layer_list(layers: Sequence[str] | str, what: str) -> tuple[str, ...]:
    if isinstance(layers, str):
        layers = [layers]
    layers = tuple(layers)
    if not layers:
        raise SettingsError(f"{what} must name at least one VGG16 layer.")
    for name in layers:
        layer_info(name)          # raises a clear error for unknown names
    return layers


# ----------------------------------------------------------- stylizer ---

class Stylizer:
    """The objective for one content/style pair at one size, targets cached.

    Args:
      content: ``(H, W, 3)`` RGB in ``[0, 255]`` (or a path / demo name).
      style: one image, or a list of images for a blend of styles.
      size: longest side of the output in pixels.
      style_scale: style image size relative to ``size`` (neural-style's
        ``-style_scale``); one value, or one per style.
    """

    def __init__(self, content, style, *, size: int = DEFAULT_SIZE,
                 content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
                 style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
                 weights: str = "auto", pooling: str = "max",
                 style_scale: float | Sequence[float] = 1.0,
                 verbose: bool = True):
        self.size = check_size(size)
        self.content_layers = _layer_list(content_layers, "content_layers")
        self.style_layers = _layer_list(style_layers, "style_layers")
        styles = list(style) if isinstance(style, (list, tuple)) else [style]
        if not styles:
            raise SettingsError("style needs at least one image.")
        scales = list(style_scale) if isinstance(style_scale, (list, tuple)) \
            else [style_scale] * len(styles)
        if len(scales) != len(styles):
            raise SettingsError(f"got {len(scales)} style scales for "
                                f"{len(styles)} styles; give one per style.")
        self.content = as_image(content, self.size)
        self.styles = []
        for image, scale in zip(styles, scales):
            scale = check_weight("style_scale", scale)
            if scale == 0:
                raise SettingsError("style_scale must be > 0.")
            self.styles.append(as_image(image, check_size(
                max(16, round(self.size * scale)))))
        self.extractor = FeatureExtractor(
            list(dict.fromkeys(self.content_layers + self.style_layers)),
            weights, pooling=pooling, verbose=verbose)
        self.weights_source = self.extractor.weights_source
        self.shape = self.content.shape
        self.targets_computed = 0
        self._compute_targets()
        # Weights are variables: changing them never retraces the step.
        self.content_weight = tf.Variable(DEFAULT_CONTENT_WEIGHT, dtype=tf.float32,
                                          trainable=False)
        self.style_weight = tf.Variable(DEFAULT_STYLE_WEIGHT, dtype=tf.float32,
                                        trainable=False)
        self.tv_weight = tf.Variable(DEFAULT_TV_WEIGHT, dtype=tf.float32,
                                     trainable=False)
        n = len(self.style_layers)
        self.layer_weights = tf.Variable(np.full(n, 1.0 / n, np.float32),
                                         trainable=False)
        self.blend_weights = tf.Variable(
            np.full(len(self.styles), 1.0 / len(self.styles), np.float32),
            trainable=False)
        spec = tf.TensorSpec((1,) + self.shape, tf.float32)
        self._terms = tf.function(self._terms_py, input_signature=[spec])
        self._terms_and_grad = tf.function(self._terms_and_grad_py,
                                           input_signature=[spec])
        self.traces = 0

    # -- targets ------------------------------------------------------------
    def _compute_targets(self) -> None:
        feats = self.extractor(self.content[np.newaxis])
        self.content_targets = [tf.constant(feats[name])
                                for name in self.content_layers]
        self.style_targets = []
        for style in self.styles:
            feats = self.extractor(style[np.newaxis])
            self.style_targets.append([tf.constant(gram_matrix(feats[name]))
                                       for name in self.style_layers])
        self.targets_computed += 1

    # -- weights ------------------------------------------------------------
    def set_weights(self, *, content_weight: float | None = None,
                    style_weight: float | None = None,
                    tv_weight: float | None = None,
                    layer_weights: Mapping[str, float] | Sequence[float] | None = None,
                    blend_weights: Sequence[float] | None = None) -> None:
        """Change loss weights in place (no recompilation, targets kept)."""
        for name, value, var in (("content_weight", content_weight,
                                  self.content_weight),
                                 ("style_weight", style_weight, self.style_weight),
                                 ("tv_weight", tv_weight, self.tv_weight)):
            if value is not None:
                var.assign(check_weight(name, value))
        if layer_weights is not None:
            self.layer_weights.assign(self._vector(
                layer_weights, self.style_layers, "layer_weights"))
        if blend_weights is not None:
            vec = self._vector(blend_weights, [f"style {i}" for i in
                                               range(len(self.styles))],
                               "blend_weights")
            if vec.sum() <= 0:
                raise SettingsError("blend_weights must not all be 0.")
            self.blend_weights.assign(vec / vec.sum())

    @staticmethod
    def _vector(values, names: Sequence[str], what: str) -> np.ndarray:
        if isinstance(values, Mapping):
            unknown = [k for k in values if k not in names]
            if unknown:
                raise SettingsError(f"{what} names {unknown}, which are not "
                                    f"among {list(names)}.")
            values = [values.get(n, 0.0) for n in names]
        values = [check_weight(what, v) for v in values]
        if len(values) != len(names):
            raise SettingsError(f"{what} has {len(values)} values for "
                                f"{len(names)} entries ({list(names)}).")
        return np.asarray(values, np.float32)

    def weights(self) -> dict[str, Any]:
        """Return the current loss weights as plain Python numbers."""
        return {"content_weight": float(self.content_weight.numpy()),
                "style_weight": float(self.style_weight.numpy()),
                "tv_weight": float(self.tv_weight.numpy()),
                "layer_weights": dict(zip(self.style_layers,
                                          self.layer_weights.numpy().tolist())),
                "blend_weights": self.blend_weights.numpy().tolist()}

    # -- the objective ---------------------------------------------------------
    def _terms_py(self, image: tf.Tensor):
        """Return (total, content, style, tv) for ``image`` ``(1, H, W, 3)``."""
        self.traces += 1
        feats = self.extractor(image)
        c = tf.add_n([content_loss(feats[name], target) for name, target in
                      zip(self.content_layers, self.content_targets)])
        s = tf.constant(0.0)
        for b, targets in enumerate(self.style_targets):
            per_style = tf.add_n([
                self.layer_weights[i] * style_layer_loss(feats[name], target)
                for i, (name, target) in enumerate(zip(self.style_layers,
                                                       targets))])
            s += self.blend_weights[b] * per_style
        tv = total_variation_loss(image)
        total = (self.content_weight * c + self.style_weight * s
                 + self.tv_weight * tv)
        return total, c, s, tv

    def _terms_and_grad_py(self, image: tf.Tensor):
        with tf.GradientTape() as tape:
            tape.watch(image)
            terms = self._terms_py(image)
        return terms, tape.gradient(terms[0], image)

    def loss_terms(self, image) -> dict[str, float]:
        """Return the loss terms of an image ``(H, W, 3)`` as floats."""
        image = tf.convert_to_tensor(np.asarray(image, np.float32)
                                     .reshape((1,) + self.shape))
        total, c, s, tv = (float(t) for t in self._terms(image))
        return {"total": total, "content": c, "style": s, "tv": tv}

    def initial_image(self, init="content", seed: int = 0) -> np.ndarray:
        """Return the start image ``(H, W, 3)``: content, noise, style or array."""
        if isinstance(init, str):
            if init == "content":
                return self.content.copy()
            if init == "noise":
                rng = np.random.default_rng(seed)
                noise = 128.0 + NOISE_STD * rng.standard_normal(self.shape)
                return np.clip(noise, 0, 255).astype(np.float32)
            if init == "style":
                style = tf.image.resize(self.styles[0], self.shape[:2],
                                        method="bilinear", antialias=True)
                return np.clip(style.numpy(), 0, 255).astype(np.float32)
            raise SettingsError(f"init must be 'content', 'noise', 'style' or an "
                                f"image array, not {init!r}.")
        image = as_image(init)
        if image.shape != self.shape:
            image = np.clip(tf.image.resize(image, self.shape[:2], antialias=True)
                            .numpy(), 0, 255).astype(np.float32)
        return image

    # -- the loop ----------------------------------------------------------------
    def run(self, *, steps: int = DEFAULT_STEPS, optimizer: str = "lbfgs",
            init="content", seed: int = 0, callback: Callable[[Progress], Any]
            | None = None, progress: bool | None = None, step_size: float = 10.0,
            learning_rate: float = 5.0) -> StyleResult:
        """Optimise the image and return a :class:`StyleResult`.

        Args:
          steps: gradient evaluations (L-BFGS: function evaluations).
          optimizer: ``"lbfgs"``, ``"adam"`` or ``"gd"``.
          init: ``"content"``, ``"noise"``, ``"style"`` or ``(H, W, 3)`` array.
          callback: called with a :class:`Progress` after every step; return
            ``True`` to stop early (the best image so far is kept).
          progress: show a progress bar (default: when ``steps >= 20``).
          step_size: ``gd`` only: pixels moved per step, in units of std(g).
          learning_rate: ``adam`` only.
        """
        if optimizer not in OPTIMIZERS:
            raise SettingsError(f"optimizer must be one of {OPTIMIZERS}, not "
                                f"{optimizer!r}.")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) \
                or steps < 1:
            raise SettingsError(f"steps must be a whole number >= 1, got {steps!r}.")
        x0 = self.initial_image(init, seed)
        history = _new_history()
        best = {"loss": math.inf, "image": x0}
        bar = _progress_bar(steps, progress)
        start = time.perf_counter()

        def record(x: np.ndarray | tf.Tensor, terms) -> None:
            """Book-keeping after each evaluation; may raise _Stop."""
            total, c, s, tv = (float(t) for t in terms)
            step = len(history["step"]) + 1
            seconds = time.perf_counter() - start
            for key, value in zip(history, (step, total, c, s, tv, seconds)):
                history[key].append(value)
            if total < best["loss"]:
                best["loss"] = total
                best["image"] = x.copy() if isinstance(x, np.ndarray) else x
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total:.3g}", refresh=False)
            if callback is not None:
                image = x.numpy() if isinstance(x, tf.Tensor) else x
                if callback(Progress(step, steps, total, c, s, tv, seconds,
                                     np.asarray(image).reshape(self.shape))):
                    raise _Stop
            if step >= steps:
                raise _Stop

        interrupted = stopped = False
        try:
            run = {"lbfgs": self._run_lbfgs, "adam": self._run_adam,
                   "gd": self._run_gd}[optimizer]
            run(x0, record, step_size=step_size, learning_rate=learning_rate)
        except _Stop:
            stopped = len(history["step"]) < steps
        except KeyboardInterrupt:
            interrupted = True
            print(f"Interrupted after {len(history['step'])} steps: returning "
                  "the best image so far.")
        finally:
            if bar is not None:
                bar.close()
        image = best["image"]
        image = image.numpy() if isinstance(image, tf.Tensor) else image
        image = np.clip(np.asarray(image, np.float32).reshape(self.shape), 0, 255)
        settings = {"optimizer": optimizer, "steps": steps, "size": self.size,
                    "content_layers": self.content_layers,
                    "style_layers": self.style_layers,
                    "init": init if isinstance(init, str) else "array",
                    "seed": seed, **self.weights()}
        return StyleResult(image=image, history=history, settings=settings,
                           weights_source=self.weights_source,
                           interrupted=interrupted, stopped=stopped,
                           best_loss=best["loss"])

    def _run_gd(self, x0, record, *, step_size: float, **_) -> None:
        x = tf.constant(x0[np.newaxis])
        step_size = tf.constant(step_size, tf.float32)
        while True:
            terms, grad = self._terms_and_grad(x)
            record(x, terms)
            x = _gd_update(x, grad, step_size)

    def _run_adam(self, x0, record, *, learning_rate: float, **_) -> None:
        x = tf.constant(x0[np.newaxis])
        m = tf.zeros_like(x)
        v = tf.zeros_like(x)
        lr = tf.constant(learning_rate, tf.float32)
        t = 0
        while True:
            terms, grad = self._terms_and_grad(x)
            record(x, terms)
            t += 1
            x, m, v = _adam_update(x, grad, m, v, lr, tf.constant(t, tf.float32))

    def _run_lbfgs(self, x0, record, **_) -> None:
        from scipy.optimize import minimize
        shape = (1,) + self.shape
        # L-BFGS works on u = x / 255 (its first step has unit length, which
        # in pixel units would barely move the image) and on J / J(x0), so
        # the numbers it sees are near 1; float64 on its side. The box
        # [0, 255] is kept by evaluating J(clip(x)) with the gradient zeroed
        # outside the box: measured faster than L-BFGS-B's own bounds, which
        # stall when many pixels sit on a bound.
        scale = {"value": None}

        def fun(u: np.ndarray):
            u = u.reshape(shape)
            x = np.clip(u, 0.0, 1.0) * 255.0
            terms, grad = self._terms_and_grad(tf.constant(x, tf.float32))
            record(x, terms)
            if scale["value"] is None:
                scale["value"] = 1.0 / max(float(terms[0]), 1e-12)
            grad = grad.numpy().astype(np.float64)
            grad[(u < 0.0) | (u > 1.0)] = 0.0
            return (float(terms[0]) * scale["value"],
                    grad.ravel() * (255.0 * scale["value"]))

        minimize(fun, x0.astype(np.float64).ravel() / 255.0, jac=True,
                 method="L-BFGS-B",
                 options={"maxiter": 10**6, "maxfun": 10**6, "maxcor": 10,
                          "ftol": 0.0, "gtol": 0.0})
        raise _Stop          # converged before the budget: keep the best


@tf.function
def _gd_update(x, grad, step_size):
    """The seed's normalised step ``x - step_size * g / std(g)``, clipped."""
    std = tf.math.reduce_std(grad) + 1e-8
    return tf.clip_by_value(x - step_size * grad / std, 0.0, 255.0)


@tf.function
def _adam_update(x, grad, m, v, lr, t, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step on the pixels, clipped to ``[0, 255]``."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * tf.square(grad)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    x = tf.clip_by_value(x - lr * m_hat / (tf.sqrt(v_hat) + eps), 0.0, 255.0)
    return x, m, v


def _progress_bar(steps: int, progress: bool | None):
    if progress is None:
        progress = steps >= 20
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=steps, desc="stylize", unit="step", leave=False)


# -------------------------------------------------------------- stylize ---

_CACHE: OrderedDict[tuple, Stylizer] = OrderedDict()
_CACHE_SIZE = 4
cache_stats = {"hits": 0, "misses": 0}


def get_stylizer(content, style, *, size: int = DEFAULT_SIZE,
                 content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
                 style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
                 weights: str = "auto", pooling: str = "max",
                 style_scale: float | Sequence[float] = 1.0,
                 verbose: bool = True) -> Stylizer:
    """Return a cached :class:`Stylizer` for these images and layers."""
    size = check_size(size)
    content = as_image(content)
    styles = [as_image(s) for s in (style if isinstance(style, (list, tuple))
                                    else [style])]
    key = (_digest(content), tuple(_digest(s) for s in styles), size,
           tuple(content_layers), tuple(style_layers), str(weights), pooling,
           tuple(style_scale) if isinstance(style_scale, (list, tuple))
           else style_scale)
    if key in _CACHE:
        cache_stats["hits"] += 1
        _CACHE.move_to_end(key)
        return _CACHE[key]
    cache_stats["misses"] += 1
    stylizer = Stylizer(content, styles if len(styles) > 1 else styles[0],
                        size=size, content_layers=content_layers,
                        style_layers=style_layers, weights=weights,
                        pooling=pooling, style_scale=style_scale,
                        verbose=verbose)
    _CACHE[key] = stylizer
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return stylizer


def clear_cache() -> None:
    """Forget cached stylizers (and their targets)."""
    _CACHE.clear()
    cache_stats.update(hits=0, misses=0)


def stylize(content, style, *, size: int = DEFAULT_SIZE,
            steps: int | None = None, optimizer: str = "lbfgs",
            content_weight: float = DEFAULT_CONTENT_WEIGHT,
            style_weight: float = DEFAULT_STYLE_WEIGHT,
            tv_weight: float = DEFAULT_TV_WEIGHT,
            content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
            style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
            layer_weights: Mapping[str, float] | Sequence[float] | None = None,
            blend_weights: Sequence[float] | None = None,
            style_scale: float | Sequence[float] = 1.0,
            init="content", seed: int = 0,
            callback: Callable[[Progress], Any] | None = None,
            progress: bool | None = None, weights: str = "auto",
            pooling: str = "max", **run_options) -> StyleResult:
    """Return a :class:`StyleResult` whose ``.image`` has the content of
    ``content`` painted in the style of ``style``.

    Args:
      content: ``(H, W, 3)`` RGB in ``[0, 255]``, a path, or a demo name.
      style: same, or a list of styles blended with ``blend_weights``.
      size: longest side of the output in pixels.
      steps: optimiser steps (default 150; fewer in quick mode).
      content_weight, style_weight, tv_weight: ``a``, ``b``, ``c`` in ``J``.
      layer_weights: ``w_l`` per style layer (default ``1/L`` each).
      init: ``"content"``, ``"noise"``, ``"style"`` or an array.
      callback: called with a :class:`Progress` each step; ``True`` stops.
      weights: VGG16 weights, see :func:`style_lib.vgg.load_vgg16`.
    """
    for name, value in (("content_weight", content_weight),
                        ("style_weight", style_weight), ("tv_weight", tv_weight)):
        check_weight(name, value)
    if optimizer not in OPTIMIZERS:
        raise SettingsError(f"optimizer must be one of {OPTIMIZERS}, not "
                            f"{optimizer!r}.")
    if steps is None:
        steps = config.pick(full=DEFAULT_STEPS, quick=20)
    stylizer = get_stylizer(content, style, size=size,
                            content_layers=content_layers,
                            style_layers=style_layers, weights=weights,
                            pooling=pooling, style_scale=style_scale)
    n = len(stylizer.style_layers)
    stylizer.set_weights(content_weight=content_weight,
                         style_weight=style_weight, tv_weight=tv_weight,
                         layer_weights=layer_weights if layer_weights is not None
                         else [1.0 / n] * n,
                         blend_weights=blend_weights if blend_weights is not None
                         else [1.0] * len(stylizer.styles))
    return stylizer.run(steps=steps, optimizer=optimizer, init=init, seed=seed,
                        callback=callback, progress=progress, **run_options)


__all__ = ["DEFAULT_CONTENT_LAYERS", "DEFAULT_STYLE_LAYERS", "LAYERS",
           "OPTIMIZERS", "Progress", "StyleResult", "Stylizer", "as_image",
           "check_weight", "clear_cache", "get_stylizer", "resize_image",
           "stylize"]
