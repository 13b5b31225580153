"""The losses of Gatys, Ecker & Bethge (CVPR 2016), exactly as the notebooks write them.

Each function here is the one a notebook defines (``gram_matrix`` in
notebook 3, ``content_loss`` in 2, ``style_layer_loss`` and ``style_loss``
in 4, ``total_variation_loss`` in 5): the same operations, so the same value
*and* the same gradient (``tests/test_notebook_definitions.py`` compares
both); only a check of the input's shape is added. They are per image: a
batch is the objective's business (:mod:`style_lib.core.objective` sums them
image by image). A faster style loss with a hand-written gradient (the
paper's eq. 6) has its own name in :mod:`style_lib.core.gradients`.

Notation (paper, section 2): a layer with ``N`` filters gives feature maps
of size ``M = H * W``; ``F`` is the ``(M, N)`` matrix of the generated
image's features, ``P`` the content image's, ``A`` the style image's Gram.

* content loss (eq. 1):   ``L = 1/2 * sum((F - P)**2)``
* Gram matrix (eq. 3):    ``G = F^T F / M``  (normalised by ``M`` here)
* style layer (eq. 4):    ``E = 1/(4 N^2) * sum((G - A)**2)``
  which equals the paper's ``1/(4 N^2 M^2) * sum((G' - A')**2)`` with
  unnormalised Grams ``G' = F^T F``.
* style loss (eq. 5):     ``L = sum_l w_l E_l``

How other implementations relate (same ``F``; only constants differ, so
their style weights mean different things):

* TF tutorial: Gram ``/ M`` (like ours); style layer ``mean((G-A)**2)``
  = 4x ours; content ``mean((F-P)**2)`` = ``2/(M N)`` x ours.
* Keras example: Gram unnormalised; style layer
  ``sum((G'-A')**2) / (4 * 3**2 * S**2)`` with ``S`` the *image's* pixel
  count and 3 channels (a known quirk), so ``(M/S)^2 (N/3)^2`` x ours;
  content ``sum((F-P)**2)`` = 2x ours.
* neural-style (J. Johnson): Gram ``F^T F / (N M)``, style = MSE of Grams
  = ``4/N^2`` x ours; content = MSE = ``2/(M N)`` x ours.
* CS231n: Gram ``F^T F / (N M)``, style ``sum((G-A)**2)`` = 4x ours;
  content ``sum((F-P)**2)`` = 2x ours.
"""
from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf

from ..errors import SettingsError


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Return the Gram matrix ``F^T F / M``, shape ``(N, N)`` (notebook 3).

    Args:
      features: one image's feature maps, ``(H, W, N)`` or ``(1, H, W, N)``.
    Returns:
      ``(N, N)``, symmetric and positive semi-definite.
    """
    features = _one_image(features, "gram_matrix")
    f = tf.reshape(features, (-1, features.shape[-1]))     # (M, N)
    m = tf.cast(tf.shape(f)[0], tf.float32)
    return tf.matmul(f, f, transpose_a=True) / m


def content_loss(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Return ``1/2 * sum((F - P)**2)`` (paper eq. 1), a scalar (notebook 2).

    Args:
      features: F, the generated image's features, e.g. ``(1, H, W, N)``.
      target: P, the photo's features, same shape.
    """
    diff = tf.convert_to_tensor(features, tf.float32) - tf.convert_to_tensor(
        target, tf.float32)
    return 0.5 * tf.reduce_sum(tf.square(diff))


def style_layer_loss(features: tf.Tensor, target_gram: tf.Tensor) -> tf.Tensor:
    """Return ``E_l = 1/(4 N^2) * sum((G - A)**2)`` (eq. 4), a scalar (notebook 4).

    Args:
      features: the generated image's features F, ``(1, H, W, N)`` or ``(H, W, N)``.
      target_gram: A, the painting's Gram matrix at the same layer, ``(N, N)``.

    Its gradient is whatever ``tf.GradientTape`` makes of these operations;
    :func:`style_lib.core.gradients.style_layer_loss_eq6` is the same loss with the
    paper's eq. 6 written by hand (one matrix product cheaper).
    """
    gram = gram_matrix(features)                                  # (N, N)
    target_gram = tf.convert_to_tensor(target_gram, tf.float32)
    n = tf.cast(tf.shape(gram)[-1], tf.float32)
    return tf.reduce_sum(tf.square(gram - target_gram)) / (4.0 * n * n)


def style_loss(features_by_layer: Mapping[str, tf.Tensor],
               targets_by_layer: Mapping[str, tf.Tensor],
               layer_weights: Mapping[str, float] | None = None) -> tf.Tensor:
    """Return ``sum_l w_l E_l`` over the layers of ``targets_by_layer`` (eq. 5).

    Args:
      features_by_layer: layer name -> the generated image's features, ``(1, H, W, N)``.
      targets_by_layer: layer name -> the painting's Gram matrix, ``(N, N)``.
      layer_weights: layer name -> ``w_l``; default ``1/L`` for each of the
        ``L`` layers. Layers missing from ``layer_weights`` get weight 0.
    """
    layers = list(targets_by_layer)
    missing = [name for name in layers if name not in features_by_layer]
    if missing:
        raise SettingsError(f"no features for style layers {missing}; have "
                            f"{sorted(features_by_layer)}. Fix: extract the "
                            "features at every layer that has a target.")
    if layer_weights is None:
        layer_weights = {name: 1.0 / len(layers) for name in layers}
    return tf.add_n([layer_weights.get(name, 0.0)
                     * style_layer_loss(features_by_layer[name], targets_by_layer[name])
                     for name in layers])


def total_variation_loss(image: tf.Tensor) -> tf.Tensor:
    """Return the sum of squared differences of neighbouring pixels, a scalar (notebook 6).

    ``sum((x[i+1, j] - x[i, j])**2) + sum((x[i, j+1] - x[i, j])**2)`` over
    all channels. Args: image ``(H, W, 3)`` or ``(B, H, W, 3)`` (summed
    over the batch).
    """
    x = tf.convert_to_tensor(image, tf.float32)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]      # rows are axis -3
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]      # columns are axis -2
    return tf.reduce_sum(tf.square(dy)) + tf.reduce_sum(tf.square(dx))


def _one_image(features, what: str) -> tf.Tensor:
    """Return ``features`` as float32 after checking it is one image's maps."""
    features = tf.convert_to_tensor(features, tf.float32)
    rank = features.shape.rank
    if rank == 4 and features.shape[0] not in (1, None):
        raise SettingsError(
            f"{what} takes one image's features, got a batch of {features.shape[0]} "
            f"{tuple(features.shape)}. Fix: call it for each image (features[i]).")
    if rank not in (3, 4):
        raise SettingsError(
            f"{what} expects (H, W, N) or (1, H, W, N) features, got shape "
            f"{tuple(features.shape)}; pass the output of a conv layer.")
    return features


__all__ = ["content_loss", "gram_matrix", "style_layer_loss", "style_loss",
           "total_variation_loss"]
