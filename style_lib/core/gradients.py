"""The style loss with its gradient written by hand (the paper's eq. 6).

Automatic differentiation of ``E = 1/(4 N^2) sum((F^T F / M - A)**2)`` runs
the Gram's matrix product backwards: two ``(M, N) x (N, N)``-sized products.
The paper gives the derivative in closed form (eq. 6, here with the Gram
normalised by ``M``)::

    dE/dF = F (G - A) / (N^2 M)          (F: (M, N), G and A symmetric)

one product instead of two. :func:`style_layer_loss_eq6` returns the same
value as :func:`style_lib.core.losses.style_layer_loss` and this gradient
(notebook 5 checks it against ``tf.GradientTape``); ``stylize`` uses it
(measured ~1.5x cheaper for the whole style loss per step on CPU).
"""
from __future__ import annotations

import tensorflow as tf

from .losses import _one_image

__all__ = ["style_layer_loss_eq6"]


def style_layer_loss_eq6(features: tf.Tensor, target_gram: tf.Tensor) -> tf.Tensor:
    """Return ``E_l`` of eq. 4 (a scalar) with the hand-written gradient of eq. 6.

    Args:
      features: ``(1, H, W, N)`` or ``(H, W, N)`` generated features.
      target_gram: ``(N, N)`` Gram of the painting.
    """
    features = _one_image(features, "style_layer_loss_eq6")
    return _loss_with_eq6_gradient(features,
                                   tf.convert_to_tensor(target_gram, tf.float32))


@tf.custom_gradient
def _loss_with_eq6_gradient(features, target_gram):
    shape = tf.shape(features)
    n = shape[-1]
    flat = tf.reshape(features, (-1, n))                          # (M, N)
    m_f = tf.cast(tf.shape(flat)[0], tf.float32)
    n_f = tf.cast(n, tf.float32)
    diff = tf.matmul(flat, flat, transpose_a=True) / m_f - target_gram   # G - A
    loss = tf.reduce_sum(tf.square(diff)) / (4.0 * n_f * n_f)

    def grad(upstream):
        # diff is symmetric (both Grams are), so dE/dF = F diff / (N^2 M).
        d_features = tf.reshape(tf.matmul(flat, diff), shape) * (
            upstream / (n_f * n_f * m_f))
        d_target = tf.reshape(-upstream * diff / (2.0 * n_f * n_f),
                              tf.shape(target_gram))
        return d_features, d_target

    return loss, grad
