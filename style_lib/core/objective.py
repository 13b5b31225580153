"""The objective of style transfer, for one image or a batch.

    J(x) = α Σ_c L_content(x) + β Σ_s b_s Σ_l w_l E_l(x) + γ L_TV(x)

(the paper's eq. 7 with a total-variation term; ``c`` runs over the content
layers, ``s`` over the styles blended with weights ``b_s``, ``l`` over the
style layers with weights ``w_l``). :class:`StyleObjective` holds the
painting's targets and the weights and evaluates the terms; it does not
know how ``x`` is found. Two ways to minimise it use it unchanged:

* over the pixels of one picture (Gatys et al.; :mod:`style_lib.pixel.optimize`
  with :mod:`style_lib.core.optimizers`), the content targets fixed;
* over the weights of a network that maps photos to pictures (Johnson et
  al.), the content targets being each batch's photos.

The loss functions are parts you can swap (as in pystiche):
``style_layer_loss`` defaults to the hand-written eq. 6 gradient of
:mod:`style_lib.core.gradients`; pass :func:`style_lib.core.losses.style_layer_loss`
for the notebooks' version (same values, same gradients). A mask per style
(spatial control, :mod:`style_lib.core.spatial`) turns that style's term into
the guided-Gram variant.

Extension points (what the video and training code use, and what a new
method plugs into): :meth:`StyleObjective.add_term` adds a weighted term
(the temporal loss of notebook 12 is one), :meth:`StyleObjective.set_style_targets`
swaps the painting (what training does per batch), and
:mod:`style_lib.core.style_terms` makes the style term itself (Gram, masked
Gram, MRF patches).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from ..errors import SettingsError
from .gradients import style_layer_loss_eq6
from .losses import content_loss, gram_matrix, total_variation_loss
from ..settings import DEFAULT_CONTENT_WEIGHT, DEFAULT_STYLE_WEIGHT, \
    DEFAULT_TV_WEIGHT, check_vector, check_weight
from .spatial import downsample_mask, guided_gram, guided_style_layer_loss
from .vgg import FeatureExtractor, layer_info

__all__ = ["LossTerms", "StyleObjective", "style_targets"]

StyleLayerLoss = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
#: An extra term: the pictures ``(B, H, W, 3)`` -> a scalar, summed over the batch.
ExtraTerm = Callable[[tf.Tensor], tf.Tensor]


class LossTerms(NamedTuple):
    """The objective's value and its unweighted terms (scalars, summed over a batch).

    ``total = α content + β style + γ tv``; ``style_per_layer`` ``(L,)`` holds
    each style layer's ``E_l`` (blend-weighted over the styles, summed over the
    batch): ``style = Σ_l w_l style_per_layer[l]`` without masks. A run watches
    it to tell how far each layer's Gram matrix still is from the painting's
    (:mod:`style_lib.pixel.finish`).
    """

    total: tf.Tensor
    content: tf.Tensor
    style: tf.Tensor
    tv: tf.Tensor
    style_per_layer: tf.Tensor


def style_targets(extractor: FeatureExtractor, styles: Sequence[np.ndarray],
                  style_layers: Sequence[str],
                  style_masks: Sequence[np.ndarray | None] | None = None
                  ) -> list[list[tf.Tensor]]:
    """Return the Gram targets ``[style][layer] -> (N, N)`` of the paintings.

    Args:
      extractor: computes the features at (at least) ``style_layers``.
      styles: the paintings, each ``(h, w, 3)`` in ``[0, 255]``.
      style_masks: optional ``(h, w)`` mask per painting (None = all of it):
        the target is then the guided Gram of the masked region.
    """
    targets = []
    for k, style in enumerate(styles):
        feats = extractor(np.asarray(style, np.float32)[np.newaxis])
        mask = style_masks[k] if style_masks is not None else None
        if mask is None:
            targets.append([tf.constant(gram_matrix(feats[name]))
                            for name in style_layers])
        else:
            targets.append([tf.constant(guided_gram(feats[name], downsample_mask(
                mask, layer_info(name).stride))) for name in style_layers])
    return targets


class StyleObjective:
    """``J`` for fixed style targets; the weights are variables.

    Changing a weight with :meth:`set_weights` never retraces a compiled
    function that calls :meth:`terms`.

    Args:
      extractor: a :class:`~style_lib.core.vgg.FeatureExtractor` computing every
        content and style layer.
      content_layers: layers of the content term (may be empty: texture
        synthesis, the content term is then 0).
      style_layers: layers of the style term.
      targets: ``[style][layer]`` Gram matrices, from :func:`style_targets`.
      masks: per style, None or an ``(H, W)`` mask of the *output*: that
        style's term then compares guided Grams of the masked region, and
        the blend weights are rescaled to average 1 (each style paints its
        own region with the full β).
      style_layer_loss: ``(features, target_gram) -> E_l`` for one image.
    """

    def __init__(self, extractor: FeatureExtractor, *,
                 content_layers: Sequence[str], style_layers: Sequence[str],
                 targets: Sequence[Sequence[tf.Tensor]],
                 masks: Sequence[np.ndarray | None] | None = None,
                 style_layer_loss: StyleLayerLoss = style_layer_loss_eq6):
        self.extractor = extractor
        self.content_layers = tuple(content_layers)
        self.style_layers = tuple(style_layers)
        self.targets = [list(t) for t in targets]
        if not self.targets:
            raise SettingsError("the objective needs at least one style.")
        self.style_layer_loss = style_layer_loss
        self.layer_masks = None
        if masks is not None:
            self.layer_masks = [None if m is None else [
                tf.constant(downsample_mask(m, layer_info(name).stride))
                for name in self.style_layers] for m in masks]
        self.content_weight = tf.Variable(DEFAULT_CONTENT_WEIGHT, dtype=tf.float32,
                                          trainable=False, name="alpha")
        self.style_weight = tf.Variable(DEFAULT_STYLE_WEIGHT, dtype=tf.float32,
                                        trainable=False, name="beta")
        self.tv_weight = tf.Variable(DEFAULT_TV_WEIGHT, dtype=tf.float32,
                                     trainable=False, name="gamma")
        n = len(self.style_layers)
        self.layer_weights = tf.Variable(np.full(n, 1.0 / n, np.float32),
                                         trainable=False, name="w_l")
        self.blend_weights = tf.Variable(
            np.full(len(self.targets), 1.0 / len(self.targets), np.float32),
            trainable=False, name="b_s")
        self.extra_terms: dict[str, tuple[ExtraTerm, tf.Variable]] = {}

    # -- extension points ------------------------------------------------------
    def add_term(self, name: str, term: ExtraTerm, weight: float | tf.Variable = 1.0
                 ) -> tf.Variable:
        """Add ``weight * term(images)`` to ``J``; return the weight's variable.

        ``term`` maps the pictures ``(B, H, W, 3)`` to a scalar; it may read
        variables that change between runs (e.g. the previous video frame):
        a compiled step then never retraces. Its value is in
        :attr:`LossTerms.total` only.
        """
        if name in self.extra_terms or name in LossTerms._fields:
            raise SettingsError(f"the objective already has a term {name!r}.")
        if not isinstance(weight, tf.Variable):
            weight = tf.Variable(check_weight(name, weight), dtype=tf.float32,
                                 trainable=False, name=name)
        self.extra_terms[name] = (term, weight)
        return weight

    def set_style_targets(self, targets: Sequence[tf.Tensor], style: int = 0) -> None:
        """Assign ``targets`` ``[layer]`` to painting ``style``'s targets, in place.

        The targets must have been given as ``tf.Variable`` s (as training
        does: one painting per batch, no retracing).
        """
        current = self.targets[style]
        if len(targets) != len(current) or not all(isinstance(t, tf.Variable)
                                                   for t in current):
            raise SettingsError("set_style_targets needs one target per style layer and "
                                "an objective made with tf.Variable targets.")
        for variable, value in zip(current, targets):
            variable.assign(value)

    @property
    def n_styles(self) -> int:
        """How many paintings are blended."""
        return len(self.targets)

    # -- weights ------------------------------------------------------------
    def set_weights(self, *, content_weight: float | None = None,
                    style_weight: float | None = None,
                    tv_weight: float | None = None,
                    layer_weights: Mapping[str, float] | Sequence[float] | None = None,
                    blend_weights: Sequence[float] | None = None) -> None:
        """Change α, β, γ, ``w_l`` or ``b_s`` in place (``b_s`` normalised to sum 1),
        each checked here (this is the door for live changes: sliders, training)."""
        self.assign_weights(
            **{name: check_weight(name, value) for name, value in
               (("content_weight", content_weight), ("style_weight", style_weight),
                ("tv_weight", tv_weight)) if value is not None},
            layer_weights=None if layer_weights is None else
            check_vector(layer_weights, self.style_layers, "layer_weights"),
            blend_weights=None if blend_weights is None else
            check_vector(blend_weights, [f"style {i}" for i in range(self.n_styles)],
                         "blend_weights"))

    def assign_weights(self, *, content_weight: float | None = None,
                       style_weight: float | None = None, tv_weight: float | None = None,
                       layer_weights: Sequence[float] | None = None,
                       blend_weights: Sequence[float] | None = None) -> None:
        """:meth:`set_weights` for values checked already (a
        :class:`~style_lib.settings.StyleSettings`): ``layer_weights`` one per
        style layer, ``blend_weights`` one per style (normalised here)."""
        for value, var in ((content_weight, self.content_weight),
                           (style_weight, self.style_weight), (tv_weight, self.tv_weight)):
            if value is not None:
                var.assign(value)
        if layer_weights is not None:
            self.layer_weights.assign(np.asarray(layer_weights, np.float32))
        if blend_weights is not None:
            vec = np.asarray(blend_weights, np.float32)
            if len(vec) != self.n_styles:
                raise SettingsError(f"blend_weights has {len(vec)} values for "
                                    f"{self.n_styles} styles. Fix: give one value per style.")
            if vec.sum() <= 0:
                raise SettingsError("blend_weights must not all be 0.")
            self.blend_weights.assign(vec / vec.sum())

    def weights(self) -> dict[str, Any]:
        """Return the current weights as plain Python numbers."""
        return {"content_weight": float(self.content_weight.numpy()),
                "style_weight": float(self.style_weight.numpy()),
                "tv_weight": float(self.tv_weight.numpy()),
                "layer_weights": dict(zip(self.style_layers,
                                          self.layer_weights.numpy().tolist())),
                "blend_weights": self.blend_weights.numpy().tolist()}

    # -- the terms ------------------------------------------------------------
    def content_targets(self, images: tf.Tensor) -> list[tf.Tensor]:
        """Return the content features ``[(B, h, w, N)]`` of photos ``(B, H, W, 3)``."""
        if not self.content_layers:
            return []
        feats = self.extractor(images)
        return [feats[name] for name in self.content_layers]

    def terms(self, images: tf.Tensor,
              content_targets: Sequence[tf.Tensor]) -> LossTerms:
        """Return :class:`LossTerms` of ``images`` ``(B, H, W, 3)`` in ``[0, 255]``.

        ``content_targets`` (from :meth:`content_targets`) has one entry per
        content layer, with a batch of ``B`` or of 1 (one photo for all).
        Every term is summed over the batch, image by image.
        """
        feats = self.extractor(images)
        batch = images.shape[0]
        if batch is None:
            raise SettingsError("the objective needs a batch of known size.")
        c = tf.constant(0.0)
        for name, target in zip(self.content_layers, content_targets):
            if target.shape[0] == batch:
                c += content_loss(feats[name], target)
            else:           # one photo for the whole batch
                c += tf.add_n([content_loss(feats[name][i], target[0])
                               for i in range(batch)])
        per_image = [self._style_terms(feats, i) for i in range(batch)]
        s = tf.add_n([total for total, _ in per_image])
        per_layer = tf.add_n([layers for _, layers in per_image])
        tv = total_variation_loss(images)
        total = (self.content_weight * c + self.style_weight * s
                 + self.tv_weight * tv)
        for term, weight in self.extra_terms.values():
            total += weight * term(images)
        return LossTerms(total, c, s, tv, per_layer)

    def _style_terms(self, feats: Mapping[str, tf.Tensor], i: int
                     ) -> tuple[tf.Tensor, tf.Tensor]:
        """``Σ_s b_s Σ_l w_l E_l`` of image ``i`` of the batch, and ``(L,)``
        ``Σ_s b_s E_l`` (each layer's part before ``w_l``)."""
        total = tf.constant(0.0)
        layers = tf.zeros(len(self.style_layers))
        for k, targets in enumerate(self.targets):
            masks = self.layer_masks[k] if self.layer_masks is not None else None
            per_layer = []
            for j, (name, target) in enumerate(zip(self.style_layers, targets)):
                f = feats[name][i]
                per_layer.append(self.style_layer_loss(f, target) if masks is None
                                 else guided_style_layer_loss(f, masks[j], target))
            e = tf.stack(per_layer)
            total += self.blend_weights[k] * tf.reduce_sum(self.layer_weights * e)
            layers += self.blend_weights[k] * e
        if self.layer_masks is not None:
            total *= float(self.n_styles)    # blend weights average 1, not sum 1
        return total, layers
