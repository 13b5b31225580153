"""Stylise one picture by optimising its pixels (Gatys, Ecker & Bethge 2016).

The thin layer users call; the parts it joins are elsewhere:

* the objective ``J = α L_content + β L_style + γ L_TV``:
  :class:`style_lib.core.objective.StyleObjective`;
* the optimisers (gd, adam, lbfgs), which know nothing of style:
  :func:`style_lib.core.optimizers.minimize`;
* the checks of what a user passes (once each) and the defaults:
  :mod:`style_lib.settings`; the memory check: :mod:`style_lib.pixel.memory`.

:class:`Stylizer` holds one content/style pair at one size: the targets are
computed once, the weights are variables, so changing them reuses the same
compiled step. :func:`stylize` is the one call (with a small cache of
stylizers); :func:`synthesize_texture` is the same with no content at all.
Colour preservation wraps :func:`stylize` from outside (pre- and
post-processing, :mod:`style_lib.core.color`), as does coarse-to-fine
(:mod:`style_lib.pixel.large`).
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from ..core import color, spatial
from .. import session
from ..io.data import as_image
from ..errors import ImageError, SettingsError
from ..progress import progress_bar
from ..core.gradients import style_layer_loss_eq6
from . import finish
from .memory import check_memory
from ..core.mrf import check_cost
from ..core.objective import LossTerms, StyleObjective
from ..core.optimizers import OPTIONS, minimize
from ..core.style_terms import make_style_term
from ..settings import DEFAULT_STEPS, MAX_SIZE, MIN_SIZE, MAX_WEIGHT, \
    MRF_STYLE_WEIGHT, StyleSettings, as_style_settings, check_seed, check_sides, \
    default_init, default_style_weight
from ..core.vgg import FeatureExtractor, layer_info, resolve_precision

__all__ = ["Progress", "StyleResult", "Stylizer", "clear_cache", "get_stylizer",
           "stylize", "synthesize_texture"]

NOISE_STD = 20.0          # init="noise": mid-grey 128 plus N(0, 20^2)
HISTORY_KEYS = ("step", "total", "content", "style", "tv", "seconds")


# ------------------------------------------------------------- results ---

@dataclass
class Progress:
    """What a callback sees after each step: unweighted terms, ``image`` ``(H, W, 3)``,
    ``style_per_layer`` ``(L,)`` each style layer's ``E_l``."""

    step: int
    steps: int
    total: float
    content: float
    style: float
    tv: float
    seconds: float
    image: np.ndarray
    style_per_layer: np.ndarray | None = None


@dataclass
class StyleResult:
    """Result of a run: the best image seen and the per-step history.

    ``image`` is ``(H, W, 3)`` float32 in ``[0, 255]``; ``history`` maps
    ``"step"``, ``"total"``, ``"content"``, ``"style"``, ``"tv"`` (the
    unweighted terms: ``total = α content + β style + γ tv``) and
    ``"seconds"`` (since the start) to equal-length lists; a run
    ``until="finished"`` adds ``"relative"`` (style distance / the photo's) and
    ``"layout"``, sets ``finished`` and keeps the finished picture (or the one
    nearest to finished) as ``image``, with its ``relative`` and ``layout``.
    """

    image: np.ndarray
    history: dict[str, list[float]]
    settings: dict[str, Any]
    weights_source: str = ""
    interrupted: bool = False
    stopped: bool = False
    best_loss: float = math.inf
    finished: bool | None = None
    relative: float | None = None
    layout: float | None = None

    @property
    def final_loss(self) -> float:
        """The total loss at the last recorded step."""
        return self.history["total"][-1] if self.history["total"] else math.inf


# ----------------------------------------------------------- stylizer ---

class Stylizer:
    """The objective for one content/style pair at one size, targets cached.

    Args:
      content: ``(H, W, 3)`` RGB in ``[0, 255]``, a path or a demo name; None
        for a texture (then ``content_layers`` must be empty and the output
        has the first style's shape at ``size``).
      style: one image, or a list of images for a blend of styles.
      settings: a :class:`~style_lib.settings.StyleSettings` (checked when it was
        made); ``**changes``: its fields by name instead (or on top). A stylizer
        uses ``size``, the layers, ``weights``, ``pooling``, ``style_scale``
        (the style image's size relative to ``size``, neural-style's
        ``-style_scale``), ``precision``, ``style_loss`` and ``mrf``.
      masks: spatial control (:mod:`style_lib.core.spatial`): one mask per style
        (``(H, W)`` in ``[0, 1]``, a file, or None = everywhere).
      style_masks: optional masks on the style images (guided targets).
      style_layer_loss: ``(features, gram) -> E_l``; default the eq. 6
        gradient of :mod:`style_lib.core.gradients` (same values and gradients as
        :func:`style_lib.core.losses.style_layer_loss`, one product cheaper). With
        ``style_loss="mrf"`` the layer loss is :func:`style_lib.core.mrf.mrf_layer_loss`.

    ``precision`` is what VGG16 computes in: ``"float32"`` (exact), ``"bfloat16"``
    (about twice as fast where the hardware has it; losses stay float32) or
    ``"auto"`` (:func:`style_lib.core.vgg.fast_precision`); ``style_loss`` ``"gram"``
    (Gatys et al.) or ``"mrf"`` (patches, Li & Wand; :mod:`style_lib.core.mrf`).
    """

    def __init__(self, content, style, settings: StyleSettings | None = None, *,
                 verbose: bool = True, masks=None, style_masks=None,
                 style_layer_loss=style_layer_loss_eq6, **changes):
        settings = as_style_settings(settings, **changes)   # the one check
        self.settings = settings
        self.size, self.style_loss, self.mrf = (settings.size, settings.style_loss,
                                                settings.mrf)
        self.content_layers, self.style_layers = (settings.content_layers,
                                                  settings.style_layers)
        if content is not None and not self.content_layers:
            raise SettingsError("content_layers must name at least one VGG16 layer.")
        if content is None and self.content_layers:
            raise SettingsError("a texture has no content: pass content_layers=() "
                                "or give a content image.")
        weights, pooling, precision = (settings.weights, settings.pooling,
                                       settings.precision)
        style_scale = settings.style_scale
        self.styles = self._load_styles(style, style_scale)
        self.content = (as_image(self.styles[0], self.size) if content is None
                        else as_image(content, self.size))
        self.has_content = content is not None
        self.shape = self.content.shape
        layers = self.content_layers + self.style_layers
        h, w = self.shape[:2]
        need = max(layer_info(name).stride for name in layers)
        check_sides(self.shape, layers, f"the picture at size={self.size}",
                    f"use size >= {math.ceil(self.size * need / min(h, w))}")
        for k, style in enumerate(self.styles):
            check_sides(style.shape, self.style_layers, f"style image {k + 1} (at "
                        f"style_scale x size)", "use a larger style_scale or size")
        check_memory(self.size, self.shape[1] / self.shape[0],  # before any
                     self.content_layers + self.style_layers)    # large tensor
        if self.mrf is not None and (masks is not None or style_masks is not None):
            raise SettingsError("masks work with Gram matrices only. Fix: leave out "
                                "masks and style_masks, or use style_loss='gram'.")
        self.masks = spatial.prepare_masks(masks, len(self.styles), self.shape[:2])
        style_masks = self._load_style_masks(style_masks)
        self.extractor = FeatureExtractor(
            list(dict.fromkeys(self.content_layers + self.style_layers)),
            weights, pooling=pooling, precision=precision, verbose=verbose)
        self.weights_source = self.extractor.weights_source
        self.precision = self.extractor.precision
        term = make_style_term(self.style_loss, self.extractor, self.styles,
                               self.style_layers, style_masks=style_masks,
                               layer_loss=style_layer_loss, mrf=self.mrf)
        if self.mrf is not None:
            check_cost(self.shape, self.style_layers, term.targets, self.mrf)
        self.objective = StyleObjective(
            self.extractor, content_layers=self.content_layers,
            style_layers=self.style_layers, targets=term.targets,
            masks=self.masks, style_layer_loss=term.layer_loss)
        # variables: set_content swaps the photo without retracing (video frames)
        self.content_targets = [tf.Variable(t, trainable=False) for t in
                                self.objective.content_targets(self.content[np.newaxis])]
        self.targets_computed = 1
        self.objective.assign_weights(style_weight=self.default_style_weight())
        spec = tf.TensorSpec((1,) + self.shape, tf.float32)
        self._terms = tf.function(self._terms_py, input_signature=[spec])
        self._terms_and_grad = tf.function(self._terms_and_grad_py,
                                           input_signature=[spec])
        self.traces = 0

    def _load_styles(self, style, style_scale) -> list[np.ndarray]:
        styles = style_list(style)
        scales = list(style_scale) if isinstance(style_scale, (list, tuple)) \
            else [style_scale] * len(styles)
        if len(scales) != len(styles):
            raise SettingsError(f"got {len(scales)} style scales for "
                                f"{len(styles)} styles; give one per style.")
        out = []
        for image, scale in zip(styles, scales):
            side = max(MIN_SIZE, round(self.size * scale))
            if side > MAX_SIZE:
                raise SettingsError(
                    f"style_scale {scale:g} at size {self.size} would make the style "
                    f"image {side} px, above the {MAX_SIZE} px limit. Fix: use "
                    f"style_scale <= {MAX_SIZE / self.size:.3g} (1 = the picture's size).")
            out.append(as_image(image, side))
        return out

    def _load_style_masks(self, style_masks):
        if style_masks is None:
            return None
        given = list(style_masks) if isinstance(style_masks, (list, tuple)) \
            else [style_masks]
        if len(given) != len(self.styles):
            raise SettingsError(f"got {len(given)} style_masks for "
                                f"{len(self.styles)} styles.")
        prepared = [spatial.prepare_masks([m], 1, st.shape[:2], "style_masks")
                    for m, st in zip(given, self.styles)]
        if all(p is None for p in prepared):
            return None
        return [None if p is None else p[0] for p in prepared]

    # -- weights (the objective's) ---------------------------------------------
    def default_style_weight(self) -> float:
        """β when none is given: :func:`~style_lib.settings.default_style_weight`
        for Gram matrices (grows with the pixel count), ``MRF_STYLE_WEIGHT``
        for patches."""
        return MRF_STYLE_WEIGHT if self.mrf is not None else \
            default_style_weight(*self.shape[:2])

    def set_weights(self, **weights) -> None:
        """Change α, β, γ, ``layer_weights`` or ``blend_weights`` in place
        (no recompilation, targets kept); see :meth:`StyleObjective.set_weights`."""
        self.objective.set_weights(**weights)

    def apply_settings(self, settings: StyleSettings) -> None:
        """Set the objective's weights from checked ``settings``: None means the
        default (β: :meth:`default_style_weight`; ``w_l`` ``1/L``; ``b_s`` equal),
        never a cached stylizer's previous value."""
        n = len(self.style_layers)
        self.objective.assign_weights(
            content_weight=settings.content_weight,
            style_weight=(self.default_style_weight() if settings.style_weight is None
                          else settings.style_weight),
            tv_weight=settings.tv_weight,
            layer_weights=([1.0 / n] * n if settings.layer_weights is None
                           else settings.layer_weights),
            blend_weights=([1.0] * len(self.styles) if settings.blend_weights is None
                           else settings.blend_weights))

    def weights(self) -> dict[str, Any]:
        """Return the current loss weights as plain Python numbers."""
        return self.objective.weights()

    @property
    def style_targets(self) -> list[list[Any]]:
        """``[style][layer]`` targets: Gram matrices, or MRF patch banks."""
        return self.objective.targets

    @property
    def style_weight(self) -> tf.Variable:
        """β, a variable."""
        return self.objective.style_weight

    @property
    def blend_weights(self) -> tf.Variable:
        """``b_s``, one per style, summing to 1."""
        return self.objective.blend_weights

    def set_content(self, image) -> None:
        """Make ``image`` ``(H, W, 3)`` (this stylizer's shape) the photo: its
        content targets are assigned in place, nothing is retraced. For a
        sequence of photos (video frames); a stylizer from :func:`get_stylizer`
        is shared by its cache, so take your own :class:`Stylizer` for this."""
        image = np.asarray(image, np.float32)
        if image.shape != self.shape:
            raise SettingsError(f"a photo of shape {image.shape} for a stylizer of "
                                f"{self.shape}. Fix: give photos of one size.")
        self.content = image
        for variable, target in zip(self.content_targets,
                                    self.objective.content_targets(image[np.newaxis])):
            variable.assign(target)

    # -- the objective of this picture ------------------------------------------
    def _terms_py(self, image: tf.Tensor) -> LossTerms:
        self.traces += 1
        return self.objective.terms(image, self.content_targets)

    def _terms_and_grad_py(self, image: tf.Tensor):
        with tf.GradientTape() as tape:
            tape.watch(image)
            terms = self._terms_py(image)
        return terms, tape.gradient(terms.total, image)

    def loss_terms(self, image) -> dict[str, float]:
        """Return the loss terms of an image ``(H, W, 3)`` as floats."""
        image = tf.convert_to_tensor(np.asarray(image, np.float32)
                                     .reshape((1,) + self.shape))
        terms = self._terms(image)._asdict()
        return {k: float(v) for k, v in terms.items() if k != "style_per_layer"}

    def style_per_layer(self, image) -> np.ndarray:
        """Return ``(L,)``: each style layer's ``E_l`` for an image ``(H, W, 3)``
        (through the run's own compiled step, so a run after it traces nothing)."""
        image = tf.convert_to_tensor(np.asarray(image, np.float32)
                                     .reshape((1,) + self.shape))
        return np.asarray(self._terms_and_grad(image)[0].style_per_layer)

    def style_proxy(self) -> finish.StyleProxy:
        """The judge's style distance for this pair (:class:`~style_lib.pixel.finish.StyleProxy`),
        for one painting matched by Gram matrices, without masks."""
        if self.style_loss != "gram" or len(self.styles) != 1 or self.masks is not None:
            raise SettingsError("until='finished' judges one painting by its Gram "
                                "matrices. Fix: one style, style_loss='gram', no masks "
                                "(or leave out until).")
        return finish.StyleProxy(self.style_layers, self.style_targets[0],
                                 self.style_per_layer(self.content))

    def initial_image(self, init="content", seed: int = 0) -> np.ndarray:
        """Return the start image ``(H, W, 3)``: content, noise, style or array."""
        return self._initial_image(init, check_seed(seed) if isinstance(init, str) else seed)

    def _initial_image(self, init, seed: int) -> np.ndarray:
        if isinstance(init, str):
            if init == "content" and self.has_content:
                return self.content.copy()
            if init == "recoloured" and self.has_content:
                # the photo in the painting's colours: about twice as fast to a
                # finished picture (benchmarks/RESULTS.md, section 6)
                return color.match_histogram(self.content, self.styles[0])
            if init == "noise":
                rng = np.random.default_rng(seed)
                noise = 128.0 + NOISE_STD * rng.standard_normal(self.shape)
                return np.clip(noise, 0, 255).astype(np.float32)
            if init == "style":
                style = tf.image.resize(self.styles[0], self.shape[:2],
                                        method="bilinear", antialias=True)
                return np.clip(style.numpy(), 0, 255).astype(np.float32)
            choices = "'content', 'recoloured', " if self.has_content else ""
            raise SettingsError(f"init must be {choices}'noise', 'style' or an "
                                f"image array, not {init!r}. Fix: leave it out for "
                                f"the default.")
        image = as_image(init)
        if image.shape != self.shape:
            image = np.clip(tf.image.resize(image, self.shape[:2], antialias=True)
                            .numpy(), 0, 255).astype(np.float32)
        return image

    # -- the run ---------------------------------------------------------------
    def run(self, settings: StyleSettings | None = None, *,
            callback: Callable[[Progress], Any] | None = None,
            progress: bool | None = None, **options) -> StyleResult:
        """Optimise the image and return a :class:`StyleResult`.

        A run uses five settings (of a :class:`~style_lib.settings.StyleSettings`;
        pass one, or give them by name; the defaults otherwise):

        - ``steps``: evaluations of the objective (L-BFGS: function
          evaluations); None = 150 (20 in quick mode).
        - ``optimizer``: ``"lbfgs"``, ``"adam"`` or ``"gd"``.
        - ``init``: ``"content"``, ``"recoloured"`` (the photo in the first
          painting's colours), ``"noise"``, ``"style"`` or an ``(H, W, 3)`` array;
          None: ``"content"`` (``"recoloured"`` with ``until="finished"``).
        - ``seed``: for ``init="noise"``.
        - ``until``: None, or ``"finished"``: stop as soon as the picture is
          finished (:mod:`style_lib.pixel.finish`: β starts at
          ``START_BOOST`` x the default unless ``style_weight`` is given, and
          it and ``w_l`` are balanced by measure; ``steps`` caps the run,
          default 300). One painting, Gram matrices, no masks.

        Args:
          callback: called with a :class:`Progress` after every step; return
            ``True`` to stop early (the best image so far is kept).
          progress: show a progress bar (default: when ``steps >= 20``).
          **options: the settings above by name, and optimiser options:
            ``step_size`` (gd), ``learning_rate`` (adam), ``history_size``,
            ``first_step`` (lbfgs); see :func:`style_lib.core.optimizers.minimize`.
        """
        fields, optimizer_options = StyleSettings.split(options)
        if settings is None or fields:          # the door: checked here, once
            settings = as_style_settings(settings, **fields)
        if settings.until == "finished":
            return self._run_until_finished(settings, callback, progress, optimizer_options)
        _check_run(self.weights(), optimizer_options)
        steps = session.pick(full=DEFAULT_STEPS, quick=20) if settings.steps is None \
            else settings.steps
        optimizer, seed = settings.optimizer, settings.seed
        init = default_init(None) if settings.init is None else settings.init
        x0 = self._initial_image(init, seed)
        history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        bar = progress_bar(steps, progress, desc="stylize")
        start = time.perf_counter()

        def fun(x):
            terms, grad = self._terms_and_grad(x)
            return terms.total, grad, terms

        def record(n: int, x, total: float, terms: LossTerms) -> bool:
            if n == 1:
                _check_start(total, terms, self.weights())
            values = (n, total, float(terms.content), float(terms.style),
                      float(terms.tv), time.perf_counter() - start)
            for key, value in zip(HISTORY_KEYS, values):
                history[key].append(value)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total:.3g}", refresh=False)
            return bool(callback is not None and callback(Progress(
                n, steps, *values[1:], np.asarray(x).reshape(self.shape),
                np.asarray(terms.style_per_layer))))

        try:
            found = minimize(fun, x0[np.newaxis], method=optimizer, steps=steps,
                             callback=record, **optimizer_options)
        finally:
            if bar is not None:
                bar.close()
        if found.interrupted:
            print(f"Interrupted after {found.evaluations} steps: returning the "
                  "best image so far." if found.evaluations else
                  "Interrupted before the first step: returning the start image.")
        image = np.clip(np.asarray(found.x, np.float32).reshape(self.shape), 0, 255)
        settings = {"optimizer": optimizer, "steps": steps, "size": self.size,
                    "content_layers": self.content_layers,
                    "style_layers": self.style_layers,
                    "init": init if isinstance(init, str) else "array",
                    "seed": seed, "precision": self.precision,
                    "style_loss": self.style_loss, **self.weights()}
        if self.mrf is not None:
            settings["mrf"] = dataclasses.asdict(self.mrf)
        return StyleResult(image=image, history=history, settings=settings,
                           weights_source=self.weights_source,
                           interrupted=found.interrupted, stopped=found.stopped,
                           best_loss=found.value)


    def _run_until_finished(self, settings: StyleSettings,
                            callback: Callable[[Progress], Any] | None,
                            progress: bool | None, options: dict) -> StyleResult:
        """:meth:`run` with ``until="finished"``: runs of L-BFGS, re-weighted between
        them by :class:`~style_lib.pixel.finish.Balance`, until the picture is
        finished or ``steps`` (default :data:`~style_lib.pixel.finish.MAX_STEPS`) are used."""
        steps = session.pick(full=finish.MAX_STEPS, quick=20) if settings.steps is None \
            else settings.steps
        proxy = self.style_proxy()
        if settings.style_weight is None:   # the user's β, else the fast recipe's
            self.set_weights(style_weight=finish.START_BOOST * self.default_style_weight())
        balance = finish.Balance()
        history: dict[str, list[float]] = {k: [] for k in (*HISTORY_KEYS, "relative",
                                                           "layout")}
        state: dict[str, Any] = {"action": "", "score": math.inf, "image": None, "n": 0,
                                 "lowest": math.inf, "layers": None}
        bar = progress_bar(steps, progress, desc="until finished")
        start = time.perf_counter()

        def watch(p: Progress) -> bool:
            state["n"] += 1
            n, relative = state["n"], proxy.relative(p.style_per_layer)
            layout = finish.layout_correlation(p.image, self.content)
            values = (n, p.total, p.content, p.style, p.tv, time.perf_counter() - start,
                      relative, layout)
            for key, value in zip(history, values):
                history[key].append(float(value))
            if p.total < state["lowest"]:   # the picture this run returns, and its E_l
                state.update(lowest=p.total, layers=p.style_per_layer)
            far = finish.score(relative, layout, balance.goal)
            if far < state["score"] or far == 0.0:     # nearest to finished, or finished
                state.update(score=far, image=p.image.copy(), relative=relative,
                             layout=layout)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(style=f"{relative:.2f}", layout=f"{layout:.2f}",
                                refresh=False)
            if callback is not None and callback(dataclasses.replace(
                    p, step=n, steps=steps, seconds=values[5])):
                state["action"] = "stop"
                return True
            state["action"] = balance.observe(relative, layout)
            return bool(state["action"]) or n >= steps

        init = default_init("finished") if settings.init is None else settings.init
        x = self._initial_image(init, settings.seed)
        run: StyleResult | None = None
        interrupted = False
        try:
            layers = self.style_per_layer(x)
            while state["n"] < steps:
                state.update(action="", lowest=math.inf)
                self.set_weights(layer_weights=list(proxy.layer_weights(layers)))
                run = self.run(settings.replace(until=None, steps=steps - state["n"],
                                                init=x), callback=watch, progress=False,
                               **({"first_step": finish.RESTART_STEP, **options}
                                  if run is not None else options))
                interrupted = run.interrupted
                if interrupted or state["action"] not in ("lower", "raise"):
                    break
                factor = balance.factor(state["action"])
                self.set_weights(style_weight=float(self.style_weight.numpy()) * factor)
                balance.changed(factor)
                x, layers = run.image, state["layers"]   # E_l seen by its step: no new pass
        except KeyboardInterrupt:           # between two runs: keep what we have
            interrupted = True
            print("Interrupted: returning the picture nearest to finished so far.")
        finally:
            if bar is not None:
                bar.close()
        return StyleResult(
            image=state["image"] if state["image"] is not None else x, history=history,
            settings={**(run.settings if run is not None else {}), "steps": steps,
                      "until": "finished", "init": init if isinstance(init, str) else "array",
                      "optimizer": settings.optimizer, "size": self.size,
                      "precision": self.precision, **self.weights()},
            weights_source=self.weights_source, interrupted=interrupted,
            stopped=state["action"] == "stop", best_loss=min(history["total"], default=math.inf),
            finished=state["action"] == "finished", relative=state.get("relative"),
            layout=state.get("layout"))


def style_list(style) -> list:
    """``style`` as a list of images (one image, or a list/tuple of them)."""
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if not styles:
        raise SettingsError("style is an empty list: give at least one style image "
                            "(a file, a demo name such as 'starry_night', or an array).")
    return styles


def _check_run(weights: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """Refuse a run that cannot do anything: all weights 0, unknown options."""
    if not any(weights[k] for k in ("content_weight", "style_weight", "tv_weight")):
        raise SettingsError("content_weight, style_weight and tv_weight are all 0, so "
                            "there is nothing to optimise. Fix: give style_weight > 0.")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        close = difflib.get_close_matches(
            unknown[0], [*OPTIONS, *(f.name for f in dataclasses.fields(StyleSettings))], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SettingsError(f"unknown optimizer option {unknown[0]!r}.{hint} Options: "
                            f"{', '.join(OPTIONS)} (see style_lib.core.optimizers.minimize).")


def _check_start(total: float, terms: LossTerms, weights: Mapping[str, Any]) -> None:
    """Refuse a start whose loss is not a finite number (a weight too large)."""
    if math.isfinite(total):
        return
    weighted = {name: weights[f"{name}_weight"] * float(getattr(terms, name))
                for name in ("content", "style", "tv")}
    name = max(weighted, key=lambda k: abs(weighted[k]) if abs(weighted[k])
               <= MAX_WEIGHT else math.inf) + "_weight"
    raise SettingsError(
        f"the loss is {total} at the start: {name}={weights[name]:g} is too large for "
        f"32-bit floats (at most about {MAX_WEIGHT:.0e}). Fix: use a smaller {name}, "
        f"e.g. 1e-3 ... 1e6.")


# -------------------------------------------------------------- stylize ---

_CACHE: OrderedDict[tuple, Stylizer] = OrderedDict()
_CACHE_SIZE = 4
cache_stats = {"hits": 0, "misses": 0}


def _digest(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()[:16]


def _at_least_min_side(image: np.ndarray, what: str) -> np.ndarray:
    """``image``, or ImageError if a side is below the 16 px that files must have too
    (enlarging a 2 x 2 array to 256 px paints a blur, not a photo)."""
    from ..io.images import MIN_SIDE
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ImageError(f"the {what} image is only {w}×{h} px; images must be at least "
                         f"{MIN_SIDE} px on each side (as for files). Fix: a larger image.")
    return image


def get_stylizer(content, style, settings: StyleSettings | None = None, *,
                 verbose: bool = True, masks=None, style_masks=None,
                 **changes) -> Stylizer:
    """Return a cached :class:`Stylizer` for these images and settings.

    Arguments as for :class:`Stylizer`; the cache key is the images' digests
    and :meth:`StyleSettings.stylizer_key <style_lib.settings.StyleSettings.stylizer_key>`.
    """
    settings = as_style_settings(settings, **changes)
    content = None if content is None else _at_least_min_side(as_image(content), "content")
    styles = [_at_least_min_side(as_image(s), "style") for s in style_list(style)]
    key = (None if content is None else _digest(content),
           tuple(_digest(s) for s in styles), resolve_precision(settings.precision),
           settings.stylizer_key())
    if masks is not None or style_masks is not None:
        key += (spatial.masks_key(masks), spatial.masks_key(style_masks))
    if key in _CACHE:
        cache_stats["hits"] += 1
        _CACHE.move_to_end(key)
        return _CACHE[key]
    cache_stats["misses"] += 1
    stylizer = Stylizer(content, styles if len(styles) > 1 else styles[0], settings,
                        verbose=verbose, masks=masks, style_masks=style_masks)
    _CACHE[key] = stylizer
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return stylizer


def clear_cache() -> None:
    """Forget cached stylizers (and their targets)."""
    _CACHE.clear()
    cache_stats.update(hits=0, misses=0)


def stylize(content, style, settings: StyleSettings | None = None, *,
            callback: Callable[[Progress], Any] | None = None,
            progress: bool | None = None, masks=None, style_masks=None,
            **options) -> StyleResult:
    """Return a :class:`StyleResult` whose ``.image`` has the content of
    ``content`` painted in the style of ``style``.

    The settings are a :class:`~style_lib.settings.StyleSettings`, checked once
    here: pass one as ``settings``, or its fields by name (on top of it), e.g.
    ``stylize("tubingen", "starry_night", size=512, style_weight=1e4)``.
    Keywords that are not settings are optimiser options.

    Args:
      content: ``(H, W, 3)`` RGB in ``[0, 255]``, a path, or a demo name.
      style: same, or a list of styles blended with ``blend_weights``.
      size: longest side of the output in pixels.
      steps: optimiser steps (default 150; fewer in quick mode).
      content_weight, style_weight, tv_weight: α, β, γ in ``J``.
        ``style_weight=None``: :func:`~style_lib.settings.default_style_weight`
        for the output's size (1e3 at 256 x 192 px).
      layer_weights: ``w_l`` per style layer (default ``1/L`` each).
      init: ``"content"``, ``"recoloured"`` (the photo recoloured to the
        painting's colour statistics), ``"noise"``, ``"style"`` or an array
        (default the photo; recoloured with ``until="finished"``).
      until: ``"finished"``: stop as soon as the picture is finished (style
        distance at most 0.3 x the photo's, layout correlation at least 0.9,
        :mod:`style_lib.core.quality`), adapting β and ``w_l`` on the way
        (:mod:`style_lib.pixel.finish`); ``result.finished`` says whether it got there.
      callback: called with a :class:`Progress` each step; ``True`` stops.
      weights: VGG16 weights, see :func:`style_lib.core.vgg.load_vgg16`.
      blend_weights: one weight per style (normalised to sum 1).
      style_scale: size of each style image relative to ``size``.
      preserve_color: keep the content's colours (:mod:`style_lib.core.color`):
        ``"luminance"`` stylises the luminance only and puts the content's
        chroma back (callbacks then see grey images); ``"histogram"``
        recolours the styles to the content's mean and covariance first.
      masks: one mask per style (spatial control, :mod:`style_lib.core.spatial`).
      style_masks: optional masks on the style images.
      precision: ``"float32"``, ``"bfloat16"`` or ``"auto"`` (see
        :class:`Stylizer`).
      style_loss: ``"gram"`` (Gram matrices, Gatys et al.) or ``"mrf"``
        (every feature patch like its nearest painting patch, Li & Wand;
        :mod:`style_lib.core.mrf`). ``style_layers=None`` and
        ``style_weight=None`` take that loss's defaults.
      mrf: patch settings for ``style_loss="mrf"``
        (:class:`~style_lib.core.mrf.MRFSettings` or a dict: ``patch_size``,
        ``stride``, ``rotations``, ``scales``).
      **optimizer_options: see :func:`style_lib.core.optimizers.minimize`.
    """
    fields, optimizer_options = StyleSettings.split(options)
    settings = as_style_settings(settings, **fields)        # the one check
    if settings.preserve_color is not None:
        return _stylize_preserving_color(content, style, settings, callback, progress,
                                         masks, style_masks, optimizer_options)
    return _stylize_checked(content, style, settings, callback, progress, masks,
                            style_masks, optimizer_options)


def _stylize_checked(content, style, settings: StyleSettings, callback, progress,
                     masks, style_masks, optimizer_options) -> StyleResult:
    """:func:`stylize` with checked settings (colours already handled)."""
    stylizer = get_stylizer(content, style, settings, masks=masks,
                            style_masks=style_masks)
    stylizer.apply_settings(settings)
    return stylizer.run(settings, callback=callback, progress=progress,
                        **optimizer_options)


def synthesize_texture(style, settings: StyleSettings | None = None, *,
                       callback: Callable[[Progress], Any] | None = None,
                       progress: bool | None = None, **options) -> StyleResult:
    """Return a texture: an image whose Gram matrices (or, with
    ``style_loss="mrf"``, whose patches) match the painting's.

    The style loss alone (``J = β L_style + γ L_TV``, no content image, no
    content layer), from noise by default: ``style_weight`` 1, ``tv_weight`` 0
    and ``init="noise"`` unless given. The output has the painting's shape
    with longest side ``size``. Arguments as for :func:`stylize`.
    """
    fields, optimizer_options = StyleSettings.split(options)
    fields = {"style_weight": 1.0, "tv_weight": 0.0, "init": "noise", **fields,
              "content_layers": (), "content_weight": 0.0}
    settings = as_style_settings(settings, **fields)
    return _stylize_checked(None, style, settings, callback, progress, None, None,
                            optimizer_options)


def _stylize_preserving_color(content, style, settings: StyleSettings, callback,
                              progress, masks, style_masks,
                              optimizer_options) -> StyleResult:
    """``stylize`` with ``preserve_color``: pre- and post-processing only."""
    mode = settings.preserve_color
    content_image = as_image(content, settings.size)
    styles = [as_image(s) for s in style_list(style)]
    content_in, styles_in = color.preserve_inputs(content_image, styles, mode)
    init = settings.init
    if mode == "luminance" and init is not None and not isinstance(init, str):
        init = color.gray3(color.luminance(as_image(init)))
    result = _stylize_checked(content_in, styles_in if len(styles_in) > 1 else
                              styles_in[0], settings.replace(init=init), callback,
                              progress, masks, style_masks, optimizer_options)
    if mode == "luminance":
        result.image = color.combine_luminance(result.image, content_image)
    result.settings["preserve_color"] = mode
    return result
