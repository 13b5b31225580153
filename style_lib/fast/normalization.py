"""Instance normalisation, plain and conditional (one γ, β per style).

Plain (Ulyanov et al. 2016), for features ``x`` of shape ``(B, H, W, C)``::

    IN(x) = γ (x - μ) / sqrt(σ² + ε) + β,   μ, σ² per picture and channel

Conditional (Dumoulin, Shlens & Kudlur 2016): the network holds ``N``
styles, each with its own ``γ_s, β_s`` (rows of ``Γ, Β``, shape ``(N, C)``);
everything else is shared. A picture comes with style weights ``w``
(``(N,)``, summing to 1; one-hot picks one style) and uses::

    γ = wᵀ Γ,   β = wᵀ Β

so mixing the weights blends the styles continuously.
"""
from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["InstanceNormalization", "ConditionalInstanceNormalization", "normalise"]


def normalise(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: float) -> tf.Tensor:
    """Return ``γ (x - μ) / sqrt(σ² + ε) + β`` per picture and channel.

    Args:
      x: ``(B, H, W, C)``, any float dtype (the statistics are float32).
      gamma, beta: ``(C,)`` for every picture, or ``(B, C)`` per picture.
    Returns:
      ``(B, H, W, C)`` in ``x``'s dtype.
    """
    gamma, beta = tf.cast(gamma, tf.float32), tf.cast(beta, tf.float32)
    if x.shape[0] == 1:
        # One picture: batch normalisation's statistics over (B, H, W) are
        # this picture's over (H, W), and its fused kernel does the whole
        # layer in one pass, statistics in float32 even for bfloat16 input
        # (about 10% of the float32 forward pass at 512 px; its epsilon is
        # at least 1.001e-5).
        if gamma.shape.rank == 2:
            gamma, beta = gamma[0], beta[0]
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, gamma, beta, epsilon=epsilon, is_training=True, exponential_avg_factor=1.0)
        return y
    if gamma.shape.rank == 2:
        gamma, beta = gamma[:, None, None, :], beta[:, None, None, :]
    dtype = x.dtype
    x = tf.cast(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    y = (x - mean) * tf.math.rsqrt(var + epsilon)
    return tf.cast(y * gamma + beta, dtype)


@keras.saving.register_keras_serializable("style_lib")
class InstanceNormalization(keras.layers.Layer):
    """``γ (x - μ) / sqrt(σ² + ε) + β`` with ``μ, σ²`` per picture and channel.

    Input and output ``(B, H, W, C)``; ``γ, β`` are ``(C,)``. The mean and
    variance run over ``H, W`` only (batch normalisation also runs over
    ``B``). Computed in float32 whatever the layer's compute dtype.
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        c = input_shape[-1]
        self.gamma = self.add_weight(shape=(c,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(c,), initializer="zeros", name="beta")

    def call(self, x):
        return normalise(x, self.gamma, self.beta, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable("style_lib")
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Instance normalisation with ``γ, β`` mixed from ``N`` styles.

    ``call(x, style)``: ``x`` ``(B, H, W, C)``, ``style`` ``(B, N)`` weights
    (one row per picture); returns ``(B, H, W, C)``. Weights ``gamma`` and
    ``beta`` are ``(N, C)``: row ``s`` is style ``s``'s.
    """

    def __init__(self, num_styles: int, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.num_styles, self.epsilon = int(num_styles), float(epsilon)

    def build(self, x_shape, style_shape=None):
        c = x_shape[-1]
        self.gamma = self.add_weight(shape=(self.num_styles, c), initializer="ones",
                                     name="gamma")
        self.beta = self.add_weight(shape=(self.num_styles, c), initializer="zeros",
                                    name="beta")

    def call(self, x, style):
        style = tf.cast(style, tf.float32)
        gamma = tf.matmul(style, tf.cast(self.gamma, tf.float32))        # (B, C)
        beta = tf.matmul(style, tf.cast(self.beta, tf.float32))
        return normalise(x, gamma, beta, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "num_styles": self.num_styles,
                "epsilon": self.epsilon}
