"""The image transformation network of Johnson, Alahi & Fei-Fei (ECCV 2016).

One forward pass turns a photo into a stylised picture. The layout is the
paper's supplementary Table 1, with the two changes every later
implementation made:

* instance normalisation instead of batch normalisation (Ulyanov, Vedaldi
  & Lempitsky 2016): each picture is normalised by its *own* mean and
  variance per channel, so its contrast does not depend on the rest of
  the batch;
* upsample-then-convolve instead of transposed ("fractionally strided")
  convolutions: a stride-2 transposed 3x3 convolution covers some output
  pixels with two kernel taps and others with one, which paints a
  checkerboard (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard
  Artifacts", Distill 2016). ``upsample="transposed"`` builds the original
  for comparison.

Shapes for an input ``(B, H, W, 3)`` (``H``, ``W`` multiples of 4; other
sizes are padded by :func:`stylize_fast`), width multiplier ``w``:

===================  ==========================  =====================
layer                output                      kernel, stride
===================  ==========================  =====================
``conv_in``          ``(B, H, W, 32w)``          9x9, 1
``down1``            ``(B, H/2, W/2, 64w)``      3x3, 2
``down2``            ``(B, H/4, W/4, 128w)``     3x3, 2
``res1`` ... ``res5``  ``(B, H/4, W/4, 128w)``   two 3x3, 1 each
``up1``              ``(B, H/2, W/2, 64w)``      x2, then 3x3, 1
``up2``              ``(B, H, W, 32w)``          x2, then 3x3, 1
``conv_out``         ``(B, H, W, 3)``            9x9, 1; no norm
===================  ==========================  =====================

Every convolution pads by reflection (no dark borders) and is followed by
instance normalisation and ReLU, except ``conv_out``, whose output goes
through Johnson's scaled tanh to ``[0, 255]``.
"""
from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..errors import ImageError, SettingsError, WeightsError

__all__ = ["InstanceNormalization", "ReflectionConv", "ResidualBlock", "Upsample",
           "ScaledTanh",
           "build_transform_net", "stylize_fast", "save_model", "load_model",
           "load_pretrained", "pretrained_names", "PRETRAINED_DIR",
           "MULTIPLE"]

#: Input sides must be multiples of this (two stride-2 stages).
MULTIPLE = 4


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
        gamma, beta = tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32)
        if x.shape[0] == 1:
            # One picture: batch normalisation's statistics over (B, H, W)
            # are this picture's over (H, W), and its fused kernel does the
            # whole layer in one pass, statistics in float32 even for
            # bfloat16 input (about 10% of the float32 forward pass at 512 px;
            # its epsilon is at least 1.001e-5).
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, epsilon=self.epsilon, is_training=True,
                exponential_avg_factor=1.0)
            return y
        dtype = x.dtype
        x = tf.cast(x, tf.float32)
        mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        y = (x - mean) * tf.math.rsqrt(var + self.epsilon)
        return tf.cast(y * gamma + beta, dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable("style_lib")
class ReflectionConv(keras.layers.Layer):
    """Reflection padding, then a ``k x k`` convolution with stride ``s``.

    ``(B, H, W, C_in) -> (B, H / s, W / s, filters)``; with ``norm``,
    instance normalisation follows, and with ``relu``, a ReLU.
    """

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, *,
                 norm: bool = True, relu: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.norm, self.relu = bool(norm), bool(relu)
        self.pad = self.kernel_size // 2
        self.conv = keras.layers.Conv2D(self.filters, self.kernel_size, strides=self.strides,
                                        padding="valid", dtype=self.dtype_policy,
                                        name="conv")
        self.instance_norm = (InstanceNormalization(dtype=self.dtype_policy, name="norm")
                              if self.norm else None)

    def build(self, input_shape):
        padded = (input_shape[0], None, None, input_shape[-1])
        self.conv.build(padded)
        if self.instance_norm is not None:
            self.instance_norm.build((input_shape[0], None, None, self.filters))

    def call(self, x):
        p = self.pad
        x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
        x = self.conv(x)
        if self.instance_norm is not None:
            x = self.instance_norm(x)
        return tf.nn.relu(x) if self.relu else x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "norm": self.norm, "relu": self.relu}


@keras.saving.register_keras_serializable("style_lib")
class ResidualBlock(keras.layers.Layer):
    """``x + IN(conv(ReLU(IN(conv(x)))))``: ``(B, h, w, C) -> (B, h, w, C)``.

    Johnson's blocks learn a correction to their input; with the identity
    path, a block that has learnt nothing passes the picture through.
    """

    def __init__(self, filters: int, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv1 = ReflectionConv(filters, 3, dtype=self.dtype_policy, name="conv1")
        self.conv2 = ReflectionConv(filters, 3, relu=False, dtype=self.dtype_policy,
                                    name="conv2")

    def build(self, input_shape):
        self.conv1.build(input_shape)
        self.conv2.build(input_shape)

    def call(self, x):
        return x + self.conv2(self.conv1(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable("style_lib")
class Upsample(keras.layers.Layer):
    """Double the height and width: ``(B, h, w, C) -> (B, 2h, 2w, filters)``.

    ``mode="resize"``: nearest-neighbour x2, then a reflection-padded 3x3
    convolution (every output pixel sees the same number of taps).
    ``mode="transposed"``: a stride-2 transposed 3x3 convolution, the
    original design, which leaves a checkerboard.
    """

    def __init__(self, filters: int, mode: str = "resize", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("resize", "transposed"):
            raise SettingsError(f"upsample must be 'resize' or 'transposed', not {mode!r}.")
        self.filters, self.mode = int(filters), mode
        if mode == "resize":
            self.conv = ReflectionConv(filters, 3, dtype=self.dtype_policy, name="conv")
        else:
            self.conv = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                                     dtype=self.dtype_policy, name="conv")
            self.instance_norm = InstanceNormalization(dtype=self.dtype_policy, name="norm")

    def build(self, input_shape):
        if self.mode == "resize":
            self.conv.build(input_shape)
        else:
            self.conv.build(input_shape)
            self.instance_norm.build((input_shape[0], None, None, self.filters))

    def call(self, x):
        if self.mode == "resize":
            size = tf.shape(x)[1:3] * 2
            return self.conv(tf.image.resize(x, size, method="nearest"))
        return tf.nn.relu(self.instance_norm(self.conv(x)))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "mode": self.mode}


@keras.saving.register_keras_serializable("style_lib")
class ScaledTanh(keras.layers.Layer):
    """Johnson's output layer: ``127.5 (tanh(x) + 1)``, float32 in ``(0, 255)``."""

    def call(self, x):
        return 127.5 * (tf.tanh(tf.cast(x, tf.float32)) + 1.0)


def build_transform_net(width: float = 1.0, *, upsample: str = "resize",
                        residual_blocks: int = 5, dtype: str | None = None,
                        name: str = "transform_net") -> keras.Model:
    """Return the transformation network: ``(B, H, W, 3)`` in ``[0, 255]`` to the same.

    Args:
      width: multiplies every layer's filters (1.0 = Johnson's 32/64/128;
        0.5 has a quarter of the multiply-adds).
      upsample: ``"resize"`` (nearest x2 + conv) or ``"transposed"``.
      residual_blocks: how many residual blocks (Johnson: 5).
      dtype: Keras dtype policy, e.g. ``"mixed_bfloat16"``; None = float32.
    """
    if not (isinstance(width, (int, float)) and 0 < width <= 4):
        raise SettingsError(f"width must be a number in (0, 4], not {width!r}. "
                            "Fix: width=1.0 (Johnson's network) or 0.5 (4x cheaper).")
    if not (isinstance(residual_blocks, int) and residual_blocks >= 0):
        raise SettingsError(f"residual_blocks must be a whole number >= 0, not "
                            f"{residual_blocks!r}.")
    f1, f2, f3 = (max(1, int(round(n * width))) for n in (32, 64, 128))
    policy = dtype or "float32"
    inputs = keras.Input((None, None, 3), name="photo")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="to_unit", dtype=policy)(inputs)
    x = ReflectionConv(f1, 9, dtype=policy, name="conv_in")(x)
    x = ReflectionConv(f2, 3, 2, dtype=policy, name="down1")(x)
    x = ReflectionConv(f3, 3, 2, dtype=policy, name="down2")(x)
    for i in range(1, residual_blocks + 1):
        x = ResidualBlock(f3, dtype=policy, name=f"res{i}")(x)
    x = Upsample(f2, upsample, dtype=policy, name="up1")(x)
    x = Upsample(f1, upsample, dtype=policy, name="up2")(x)
    x = ReflectionConv(3, 9, norm=False, relu=False, dtype=policy, name="conv_out")(x)
    outputs = ScaledTanh(name="to_pixels", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.width, model.upsample = float(width), upsample
    return model


def _padded(image: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad ``(H, W, 3)`` to multiples of :data:`MULTIPLE`; return it and (H, W)."""
    h, w = image.shape[:2]
    ph, pw = (-h) % MULTIPLE, (-w) % MULTIPLE
    if ph or pw:
        image = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    return image, (h, w)


def stylize_fast(model: keras.Model, image, *, batch_size: int = 4,
                 precision: str = "float32") -> np.ndarray:
    """Return ``model``'s picture of ``image``: one forward pass, any size.

    Args:
      model: a transformation network (:func:`build_transform_net`,
        :func:`load_model`).
      image: ``(H, W, 3)`` or a batch ``(B, H, W, 3)``, RGB in ``[0, 255]``
        (a demo name or a path also works for one image).
      batch_size: pictures per forward pass.
      precision: ``"float32"`` (exact), ``"bfloat16"`` (convolutions in
        bfloat16 with the same weights: about 2x faster where the hardware
        computes it natively, pixels within a few levels of float32) or
        ``"auto"`` (bfloat16 only where native; see
        :func:`style_lib.vgg.fast_precision`).
    Returns:
      float32 ``(H, W, 3)`` (or ``(B, H, W, 3)``) in ``[0, 255]``.
    """
    from ..data import as_image
    from ..vgg import check_precision
    model = in_precision(model, check_precision(precision))
    if isinstance(image, (str, os.PathLike)):
        image = as_image(image)
    x = np.asarray(image, np.float32)
    single = x.ndim == 3
    if single:
        x = x[np.newaxis]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ImageError(f"stylize_fast needs an RGB image (H, W, 3) or a batch "
                         f"(B, H, W, 3), not shape {x.shape}.")
    if min(x.shape[1:3]) < 8:
        raise ImageError(f"the image is {x.shape[2]}x{x.shape[1]} px; the network "
                         "needs at least 8 px per side. Fix: use a larger image.")
    padded = [_padded(im) for im in x]
    h, w = padded[0][1]
    batch = np.stack([p for p, _ in padded])
    out = np.concatenate([np.asarray(_forward(model, tf.constant(batch[i:i + batch_size])))
                          for i in range(0, len(batch), batch_size)])
    out = np.clip(out[:, :h, :w], 0, 255).astype(np.float32)
    return out[0] if single else out


_FORWARD: dict[int, object] = {}
_BFLOAT16: dict[int, tuple[keras.Model, keras.Model]] = {}


def in_precision(model: keras.Model, precision: str) -> keras.Model:
    """Return ``model`` computing in ``precision`` (``"float32"`` or ``"bfloat16"``).

    For bfloat16: a copy of the network with the ``mixed_bfloat16`` policy
    (float32 weights, bfloat16 convolutions, float32 output) and ``model``'s
    weights, made once per model.
    """
    if precision == "float32" or model.dtype_policy.compute_dtype == "bfloat16":
        return model
    cached = _BFLOAT16.get(id(model))
    if cached is None or cached[0] is not model:
        def with_policy(layer):
            config = layer.get_config()
            if not isinstance(layer, (keras.layers.InputLayer, ScaledTanh)):
                config["dtype"] = "mixed_bfloat16"
            return layer.__class__.from_config(config)
        copy = keras.models.clone_model(model, clone_function=with_policy)
        copy.set_weights(model.get_weights())
        cached = _BFLOAT16[id(model)] = (model, copy)
    return cached[1]


def _forward(model: keras.Model, x: tf.Tensor) -> tf.Tensor:
    """``model(x)`` in a compiled function (one per model, any size)."""
    fn = _FORWARD.get(id(model))
    if fn is None or fn[0] is not model:
        step = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
        fn = _FORWARD[id(model)] = (model, step)
    return fn[1](x)


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` (Keras's ``.keras`` format), atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise SettingsError(f"{path}: a model file must end in .keras. Fix: e.g. "
                            f"{path.with_suffix('.keras').name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)
    return path


#: The networks trained by this project (``python -m style_lib.fast train``),
#: one folder per painting with ``model.keras``, ``command.txt``,
#: ``config.json`` (settings and photo list), ``history.json`` and ``loss.png``.
PRETRAINED_DIR = Path(__file__).resolve().parent / "models"


def pretrained_names() -> tuple[str, ...]:
    """Return the paintings a committed network exists for."""
    return tuple(sorted(p.parent.name for p in PRETRAINED_DIR.glob("*/model.keras")))


def load_pretrained(style: str) -> keras.Model:
    """Return the committed network for the painting ``style`` (e.g. ``"starry_night"``)."""
    path = PRETRAINED_DIR / str(style) / "model.keras"
    if not path.is_file():
        raise WeightsError(f"No trained network for {style!r}. Trained here: "
                           f"{', '.join(pretrained_names()) or 'none'}. Fix: pick one of "
                           f"those, or train one with `python -m style_lib.fast train "
                           f"--style {style} --out DIR`.")
    return load_model(path)


def load_model(path: str | os.PathLike) -> keras.Model:
    """Return the transformation network saved at ``path`` (a ``.keras`` file)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"No model file at {path}. Fix: give the path of a .keras "
                           "file written by `python -m style_lib.fast train`.")
    try:
        return keras.saving.load_model(path, safe_mode=False)
    except Exception as exc:         # corrupt or foreign file: one line
        raise WeightsError(f"Cannot read the model {path}: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}. Fix: "
                           "train it again or give another .keras file.") from None
