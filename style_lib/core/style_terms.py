"""The style term of the objective, made in one place for every kind of style loss.

A kind of style loss is two things: the painting's *targets* per style layer
(computed once) and the *layer loss* ``E_l(features, target)`` that compares
a picture's features with them. :func:`make_style_term` makes both for

* ``"gram"``: Gram matrices (Gatys et al.; with ``style_masks`` the guided
  Gram of a region of the painting, :mod:`style_lib.core.spatial`);
* ``"mrf"``: patch banks and the nearest-patch loss (Li & Wand, :mod:`style_lib.core.mrf`).

A new kind (e.g. the channel means and standard deviations of adaptive
instance normalisation) is one more maker in :data:`MAKERS`; the objective,
the optimiser and the training loop stay as they are.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SettingsError
from .gradients import style_layer_loss_eq6
from .mrf import MRFSettings, mrf_layer_loss, mrf_targets
from .objective import StyleLayerLoss, style_targets
from .vgg import FeatureExtractor

__all__ = ["StyleTerm", "make_style_term", "MAKERS"]


@dataclass
class StyleTerm:
    """What :class:`~style_lib.core.objective.StyleObjective` needs for its style term.

    ``targets``: ``[style][layer]`` (Gram matrices ``(N, N)`` or patch banks);
    ``layer_loss``: ``(features (h, w, N), target) -> E_l``.
    """

    targets: list[list[Any]]
    layer_loss: StyleLayerLoss


def _gram(extractor: FeatureExtractor, styles: Sequence[np.ndarray],
          layers: Sequence[str], *, style_masks=None, layer_loss=style_layer_loss_eq6,
          mrf=None) -> StyleTerm:
    return StyleTerm(style_targets(extractor, styles, layers, style_masks), layer_loss)


def _mrf(extractor: FeatureExtractor, styles: Sequence[np.ndarray],
         layers: Sequence[str], *, style_masks=None, layer_loss=None,
         mrf: MRFSettings | None = None) -> StyleTerm:
    if style_masks is not None:
        raise SettingsError("masks work with Gram matrices only. Fix: leave out "
                            "style_masks, or use style_loss='gram'.")
    return StyleTerm(mrf_targets(extractor, styles, layers, mrf or MRFSettings()),
                     mrf_layer_loss)


#: kind of style loss -> its maker ``(extractor, styles, layers, **options) -> StyleTerm``.
MAKERS: dict[str, Callable[..., StyleTerm]] = {"gram": _gram, "mrf": _mrf}


def make_style_term(kind: str, extractor: FeatureExtractor, styles: Sequence[np.ndarray],
                    layers: Sequence[str], *, style_masks=None,
                    layer_loss: StyleLayerLoss = style_layer_loss_eq6,
                    mrf: MRFSettings | None = None) -> StyleTerm:
    """Return the :class:`StyleTerm` of ``kind`` (a key of :data:`MAKERS`) for the
    paintings ``styles`` (each ``(h, w, 3)`` in ``[0, 255]``) at ``layers``."""
    if kind not in MAKERS:
        raise SettingsError(f"style_loss must be one of {sorted(MAKERS)}, not {kind!r}.")
    return MAKERS[kind](extractor, styles, layers, style_masks=style_masks,
                        layer_loss=layer_loss, mrf=mrf)
