"""The stylisation loop: find an image whose VGG16 features match a photo's
content and a painting's style (Gatys, Ecker & Bethge 2016, eq. 7).

``J(x) = a * L_content(x) + b * L_style(x) + c * L_tv(x)``

* :class:`Stylizer` holds one content/style pair at one size. It computes
  the content features and style Grams **once**; weights are TF variables,
  so changing them reuses the same compiled step function.
* :func:`stylize` is the one-call interface (it keeps a small cache of
  stylizers, so a second call with other weights reuses the targets).

Optimisers: ``"lbfgs"`` (L-BFGS in TensorFlow, pixels projected to
``[0, 255]``; the default, fastest to a good image), ``"adam"`` and ``"gd"`` (the seed
notebook's recipe: ``x -= step_size * g / std(g)``, then clip).
"""
from __future__ import annotations

import hashlib
import math
import os
import sys
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
#: ``b`` for a 256 x 192 picture (canonical VGG16, equal layer weights). The
#: content loss (eq. 1) is a sum over the positions of a layer, so it grows with
#: the pixel count while the Gram-based style loss does not: the default ``b``
#: grows with the pixel count too (:func:`default_style_weight`), so a picture
#: looks the same at 256 and at 512 px.
DEFAULT_STYLE_WEIGHT = 1e3
REFERENCE_PIXELS = 256 * 192
DEFAULT_TV_WEIGHT = 1e-2
OPTIMIZERS = ("lbfgs", "adam", "gd")
DEFAULT_OPTIMIZER = "lbfgs"
NOISE_STD = 20.0          # init="noise": mid-grey 128 plus N(0, 20^2)
MAX_SIZE = 4096


def default_style_weight(height: int, width: int) -> float:
    """Return the default ``b`` for a ``height x width`` output.

    ``DEFAULT_STYLE_WEIGHT`` (1e3) at 256 x 192 px, proportional to the pixel
    count: 4e3 at 512 x 384.
    """
    return DEFAULT_STYLE_WEIGHT * height * width / REFERENCE_PIXELS


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


def check_optimizer(name: str) -> str:
    """Return ``name`` if it is one of :data:`OPTIMIZERS`, else raise."""
    if name not in OPTIMIZERS:
        raise SettingsError(f"optimizer must be one of {OPTIMIZERS}, not "
                            f"{name!r}.")
    return name


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
      masks: spatial control (see :mod:`style_lib.spatial`): one mask per
        style (``(H, W)`` in ``[0, 1]``, a file, or None = everywhere); the
        style's loss then uses the guided Gram of the masked features. With
        masks each style paints its own region, so the blend weights are
        rescaled to average 1 (equal weights: every region gets the full
        ``style_weight``). None: the ordinary loss, unchanged.
      style_masks: optional masks on the style images (one per style, None
        = the whole painting) for guided style targets.
    """

    def __init__(self, content, style, *, size: int = DEFAULT_SIZE,
                 content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
                 style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
                 weights: str = "auto", pooling: str = "max",
                 style_scale: float | Sequence[float] = 1.0,
                 verbose: bool = True, masks=None, style_masks=None):
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
        from . import spatial
        self.masks = spatial.prepare_masks(masks, len(self.styles),
                                           self.content.shape[:2])
        self.style_masks = None
        if style_masks is not None:
            given = list(style_masks) if isinstance(style_masks, (list, tuple)) \
                else [style_masks]
            if len(given) != len(self.styles):
                raise SettingsError(f"got {len(given)} style_masks for "
                                    f"{len(self.styles)} styles.")
            prepared = [spatial.prepare_masks([m], 1, st.shape[:2], "style_masks")
                        for m, st in zip(given, self.styles)]
            if any(p is not None for p in prepared):
                self.style_masks = [None if p is None else p[0] for p in prepared]
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
        self.style_weight = tf.Variable(default_style_weight(*self.shape[:2]),
                                        dtype=tf.float32, trainable=False)
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
        if self.masks is not None or self.style_masks is not None:
            self._compute_guided_targets()
        self.targets_computed += 1

    def _compute_guided_targets(self) -> None:
        """Masks at each style layer's resolution; guided style targets."""
        from .spatial import downsample_mask, guided_gram
        self._layer_masks = None
        if self.masks is not None:
            self._layer_masks = [None if m is None else [
                tf.constant(downsample_mask(m, layer_info(name).stride))
                for name in self.style_layers] for m in self.masks]
        for b, mask in enumerate(self.style_masks or []):
            if mask is not None:
                feats = self.extractor(self.styles[b][np.newaxis])
                self.style_targets[b] = [
                    tf.constant(guided_gram(feats[name], downsample_mask(
                        mask, layer_info(name).stride)))
                    for name in self.style_layers]

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
            if self.masks is not None and self.masks[b] is not None:
                s += self.blend_weights[b] * self._guided_style_loss(
                    feats, b, targets)
                continue
            per_style = tf.add_n([
                self.layer_weights[i] * style_layer_loss(feats[name], target)
                for i, (name, target) in enumerate(zip(self.style_layers,
                                                       targets))])
            s += self.blend_weights[b] * per_style
        if self.masks is not None:
            s *= float(len(self.styles))    # blend weights average 1, not sum 1
        tv = total_variation_loss(image)
        total = (self.content_weight * c + self.style_weight * s
                 + self.tv_weight * tv)
        return total, c, s, tv

    def _guided_style_loss(self, feats, b: int, targets) -> tf.Tensor:
        """Style ``b``'s loss with guided Grams (its mask at each layer)."""
        from .spatial import guided_style_layer_loss
        return tf.add_n([
            self.layer_weights[i] * guided_style_layer_loss(
                feats[name], self._layer_masks[b][i], target)
            for i, (name, target) in enumerate(zip(self.style_layers, targets))])

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
    def run(self, *, steps: int = DEFAULT_STEPS,
            optimizer: str = DEFAULT_OPTIMIZER,
            init="content", seed: int = 0, callback: Callable[[Progress], Any]
            | None = None, progress: bool | None = None, step_size: float = 10.0,
            learning_rate: float = 5.0, history_size: int = 10,
            first_step: float = 5.0) -> StyleResult:
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
          history_size: ``lbfgs`` only: curvature pairs kept.
          first_step: ``lbfgs`` only: first step in units of std(g), like gd.
        """
        check_optimizer(optimizer)
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
            run(x0, record, step_size=step_size, learning_rate=learning_rate,
                history_size=history_size, first_step=first_step)
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

    def _run_lbfgs(self, x0, record, *, history_size: int = 10,
                   first_step: float = 5.0, **_) -> None:
        """L-BFGS in TensorFlow: two-loop recursion on the device, one
        evaluation per step, Armijo backtracking only when a step fails.

        The image stays in ``[0, 255]`` by projection; the curvature pairs
        use the step actually taken. Dot products accumulate in float64.
        """
        m = history_size
        n = int(np.prod(self.shape))
        s_mem = tf.zeros((m, n), tf.float32)
        y_mem = tf.zeros((m, n), tf.float32)
        rho = tf.zeros((m,), tf.float64)
        x = tf.constant(x0[np.newaxis])
        terms, grad = self._terms_and_grad(x)
        record(x, terms)
        f, g = terms[0], tf.reshape(grad, (-1,))
        gamma = tf.constant(first_step, tf.float32) / (tf.math.reduce_std(g) + 1e-8)
        have_pairs = False
        while True:
            if have_pairs:
                d = _two_loop(g, s_mem, y_mem, rho, gamma)
            else:
                d = -gamma * g
            t = 1.0
            for _ in range(20):
                x_new, step = _project_step(x, d, tf.constant(t, tf.float32))
                terms, grad = self._terms_and_grad(x_new)
                record(x_new, terms)
                f_new = terms[0]
                if float(f_new) <= float(f) + 1e-4 * float(_dot(g, step)):
                    break
                t *= 0.25                      # Armijo failed: shorter step
            g_new = tf.reshape(grad, (-1,))
            y = g_new - g
            ys = _dot(y, step)
            if float(ys) > 1e-10:
                s_mem = tf.concat([s_mem[1:], step[tf.newaxis]], 0)
                y_mem = tf.concat([y_mem[1:], y[tf.newaxis]], 0)
                rho = tf.concat([rho[1:], [1.0 / ys]], 0)
                gamma = tf.cast(ys / _dot(y, y), tf.float32)
                have_pairs = True
            x, f, g = x_new, f_new, g_new


def _dot(a, b):
    """Return ``sum(a * b)`` accumulated in float64."""
    return tf.reduce_sum(tf.cast(a, tf.float64) * tf.cast(b, tf.float64))


@tf.function
def _project_step(x, d, t):
    """Return (clip(x + t d, 0, 255), the step actually taken, flat)."""
    new = tf.clip_by_value(x + t * tf.reshape(d, tf.shape(x)), 0.0, 255.0)
    return new, tf.reshape(new - x, (-1,))


@tf.function
def _two_loop(g, s_mem, y_mem, rho, gamma):
    """L-BFGS direction ``-H g`` from the stored pairs (newest last).

    float32 here (float64 casts of every vector measured 3x slower); the
    curvature scalars ``rho`` were accumulated in float64. Unused slots
    have ``rho = 0`` and change nothing.
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


@tf.function
def _gd_update(x, grad, step_size):
    """The Hvass-Labs tutorial #15 normalised step ``x - step_size * g / std(g)``, clipped."""
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
    """A tqdm bar, or None. Never in a log: a bar needs a terminal or a notebook,
    else it writes hundreds of carriage-return updates into the file."""
    if progress is None:
        progress = steps >= 20
    if not progress or not _live_output():
        return None
    from tqdm.auto import tqdm
    return tqdm(total=steps, desc="stylize", unit="step", leave=False)


def _live_output() -> bool:
    """True in a Jupyter kernel or when stderr is a terminal."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# -------------------------------------------------------------- stylize ---

_CACHE: OrderedDict[tuple, Stylizer] = OrderedDict()
_CACHE_SIZE = 4
cache_stats = {"hits": 0, "misses": 0}


def get_stylizer(content, style, *, size: int = DEFAULT_SIZE,
                 content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
                 style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
                 weights: str = "auto", pooling: str = "max",
                 style_scale: float | Sequence[float] = 1.0,
                 verbose: bool = True, masks=None,
                 style_masks=None) -> Stylizer:
    """Return a cached :class:`Stylizer` for these images and layers."""
    size = check_size(size)
    content = as_image(content)
    styles = [as_image(s) for s in (style if isinstance(style, (list, tuple))
                                    else [style])]
    key = (_digest(content), tuple(_digest(s) for s in styles), size,
           tuple(content_layers), tuple(style_layers), str(weights), pooling,
           tuple(style_scale) if isinstance(style_scale, (list, tuple))
           else style_scale)
    if masks is not None or style_masks is not None:
        from .spatial import masks_key
        key += (masks_key(masks), masks_key(style_masks))
    if key in _CACHE:
        cache_stats["hits"] += 1
        _CACHE.move_to_end(key)
        return _CACHE[key]
    cache_stats["misses"] += 1
    stylizer = Stylizer(content, styles if len(styles) > 1 else styles[0],
                        size=size, content_layers=content_layers,
                        style_layers=style_layers, weights=weights,
                        pooling=pooling, style_scale=style_scale,
                        verbose=verbose, masks=masks, style_masks=style_masks)
    _CACHE[key] = stylizer
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return stylizer


def clear_cache() -> None:
    """Forget cached stylizers (and their targets)."""
    _CACHE.clear()
    cache_stats.update(hits=0, misses=0)


def stylize(content, style, *, size: int = DEFAULT_SIZE,
            steps: int | None = None, optimizer: str = DEFAULT_OPTIMIZER,
            content_weight: float = DEFAULT_CONTENT_WEIGHT,
            style_weight: float | None = None,
            tv_weight: float = DEFAULT_TV_WEIGHT,
            content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
            style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
            layer_weights: Mapping[str, float] | Sequence[float] | None = None,
            blend_weights: Sequence[float] | None = None,
            style_scale: float | Sequence[float] = 1.0,
            init="content", seed: int = 0,
            callback: Callable[[Progress], Any] | None = None,
            progress: bool | None = None, weights: str = "auto",
            pooling: str = "max", preserve_color: str | None = None,
            masks=None, style_masks=None, **run_options) -> StyleResult:
    """Return a :class:`StyleResult` whose ``.image`` has the content of
    ``content`` painted in the style of ``style``.

    Args:
      content: ``(H, W, 3)`` RGB in ``[0, 255]``, a path, or a demo name.
      style: same, or a list of styles blended with ``blend_weights``.
      size: longest side of the output in pixels.
      steps: optimiser steps (default 150; fewer in quick mode).
      content_weight, style_weight, tv_weight: ``a``, ``b``, ``c`` in ``J``.
        ``style_weight=None``: :func:`default_style_weight` for the output's
        size (1e3 at 256 x 192 px).
      layer_weights: ``w_l`` per style layer (default ``1/L`` each).
      init: ``"content"``, ``"noise"``, ``"style"`` or an array.
      callback: called with a :class:`Progress` each step; ``True`` stops.
      weights: VGG16 weights, see :func:`style_lib.vgg.load_vgg16`.
      blend_weights: one weight per style (normalised to sum 1).
      style_scale: size of each style image relative to ``size``.
      preserve_color: keep the content's colours (:mod:`style_lib.color`):
        ``"luminance"`` stylises the luminance only and puts the content's
        chroma back (callbacks then see grey images); ``"histogram"``
        recolours the styles to the content's mean and covariance first.
      masks: one mask per style (spatial control, :mod:`style_lib.spatial`).
      style_masks: optional masks on the style images.
    """
    from .color import check_preserve_color
    if check_preserve_color(preserve_color) is not None:
        return _stylize_preserving_color(
            content, style, preserve_color, size=size, steps=steps,
            optimizer=optimizer, content_weight=content_weight,
            style_weight=style_weight, tv_weight=tv_weight,
            content_layers=content_layers, style_layers=style_layers,
            layer_weights=layer_weights, blend_weights=blend_weights,
            style_scale=style_scale, init=init, seed=seed, callback=callback,
            progress=progress, weights=weights, pooling=pooling, masks=masks,
            style_masks=style_masks, **run_options)
    if check_size(size) > MEMORY_CHECK_SIZE:
        from .large import check_memory
        shape = as_image(content).shape
        check_memory(size, shape[1] / shape[0],
                     tuple(content_layers) + tuple(style_layers),
                     optimizer=optimizer)
    for name, value in (("content_weight", content_weight),
                        ("style_weight", style_weight), ("tv_weight", tv_weight)):
        if value is not None:
            check_weight(name, value)
    check_optimizer(optimizer)
    if steps is None:
        steps = config.pick(full=DEFAULT_STEPS, quick=20)
    stylizer = get_stylizer(content, style, size=size,
                            content_layers=content_layers,
                            style_layers=style_layers, weights=weights,
                            pooling=pooling, style_scale=style_scale,
                            masks=masks, style_masks=style_masks)
    n = len(stylizer.style_layers)
    if style_weight is None:
        style_weight = default_style_weight(*stylizer.shape[:2])
    stylizer.set_weights(content_weight=content_weight,
                         style_weight=style_weight, tv_weight=tv_weight,
                         layer_weights=layer_weights if layer_weights is not None
                         else [1.0 / n] * n,
                         blend_weights=blend_weights if blend_weights is not None
                         else [1.0] * len(stylizer.styles))
    return stylizer.run(steps=steps, optimizer=optimizer, init=init, seed=seed,
                        callback=callback, progress=progress, **run_options)


#: ``stylize`` checks the memory before runs larger than this (px).
MEMORY_CHECK_SIZE = 1024


def _stylize_preserving_color(content, style, mode: str, *, size: int,
                              init="content", **kwargs) -> StyleResult:
    """``stylize`` with ``preserve_color``: pre- and post-processing only."""
    from . import color
    size = check_size(size)
    content_image = as_image(content, size)
    styles = [as_image(s) for s in (style if isinstance(style, (list, tuple))
                                    else [style])]
    content_in, styles_in = color.preserve_inputs(content_image, styles, mode)
    if mode == "luminance" and not isinstance(init, str):
        init = color.gray3(color.luminance(as_image(init)))
    result = stylize(content_in, styles_in if len(styles_in) > 1 else
                     styles_in[0], size=size, init=init, **kwargs)
    if mode == "luminance":
        result.image = color.combine_luminance(result.image, content_image)
    result.settings["preserve_color"] = mode
    return result


__all__ = ["DEFAULT_CONTENT_LAYERS", "DEFAULT_STYLE_LAYERS", "LAYERS", "default_style_weight",
           "OPTIMIZERS", "Progress", "StyleResult", "Stylizer", "as_image",
           "check_optimizer", "check_weight", "clear_cache", "get_stylizer", "resize_image",
           "stylize"]
