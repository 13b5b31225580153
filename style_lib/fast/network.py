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
instance normalisation and ReLU, except ``conv_out``, whose output is
mapped linearly to ``[0, 255]`` (:class:`LinearPixels`; Johnson's scaled
tanh, :class:`ScaledTanh`, saturates into black blotches and is kept only
to show them).
"""
from __future__ import annotations

import os
import weakref
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..errors import ImageError, SettingsError, WeightsError
from ..files import atomic_path
from .normalization import ConditionalInstanceNormalization, InstanceNormalization

__all__ = ["InstanceNormalization", "ConditionalInstanceNormalization", "ReflectionConv",
           "ResidualBlock", "Upsample", "ScaledTanh", "LinearPixels", "OUTPUTS",
           "output_kind", "StyleMix", "style_names",
           "style_vector",
           "build_transform_net", "stylize_fast", "save_model", "read_keras_model", "load_model",
           "load_pretrained", "pretrained_names", "find_pretrained", "PRETRAINED_DIR",
           "MULTIPLE"]

#: Input sides must be multiples of this (two stride-2 stages).
MULTIPLE = 4


def _norm_layer(num_styles: int, policy) -> keras.layers.Layer:
    """Instance normalisation, conditional on ``num_styles`` styles if > 0."""
    if num_styles:
        return ConditionalInstanceNormalization(num_styles, dtype=policy, name="norm")
    return InstanceNormalization(dtype=policy, name="norm")


def _normalised(norm: keras.layers.Layer, x: tf.Tensor, style: tf.Tensor | None) -> tf.Tensor:
    return norm(x) if style is None else norm(x, style)


@keras.saving.register_keras_serializable("style_lib")
class ReflectionConv(keras.layers.Layer):
    """Reflection padding, then a ``k x k`` convolution with stride ``s``.

    ``(B, H, W, C_in) -> (B, H / s, W / s, filters)``; with ``norm``,
    instance normalisation follows (conditional on ``num_styles`` styles if
    > 0: ``call(x, style)`` with ``style`` ``(B, N)``), and with ``relu``, a ReLU.
    """

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, *,
                 norm: bool = True, relu: bool = True, num_styles: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.norm, self.relu, self.num_styles = bool(norm), bool(relu), int(num_styles)
        self.pad = self.kernel_size // 2
        self.conv = keras.layers.Conv2D(self.filters, self.kernel_size, strides=self.strides,
                                        padding="valid", dtype=self.dtype_policy,
                                        name="conv")
        self.instance_norm = (_norm_layer(self.num_styles, self.dtype_policy)
                              if self.norm else None)

    def build(self, x_shape, style_shape=None):
        padded = (x_shape[0], None, None, x_shape[-1])
        self.conv.build(padded)
        if self.instance_norm is not None:
            self.instance_norm.build((x_shape[0], None, None, self.filters))

    def call(self, x, style=None):
        p = self.pad
        x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
        x = self.conv(x)
        if self.instance_norm is not None:
            x = _normalised(self.instance_norm, x, style)
        return tf.nn.relu(x) if self.relu else x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "norm": self.norm, "relu": self.relu, "num_styles": self.num_styles}


@keras.saving.register_keras_serializable("style_lib")
class ResidualBlock(keras.layers.Layer):
    """``x + IN(conv(ReLU(IN(conv(x)))))``: ``(B, h, w, C) -> (B, h, w, C)``.

    Johnson's blocks learn a correction to their input; with the identity
    path, a block that has learnt nothing passes the picture through.
    """

    def __init__(self, filters: int, num_styles: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.num_styles = int(filters), int(num_styles)
        self.conv1 = ReflectionConv(filters, 3, num_styles=self.num_styles,
                                    dtype=self.dtype_policy, name="conv1")
        self.conv2 = ReflectionConv(filters, 3, relu=False, num_styles=self.num_styles,
                                    dtype=self.dtype_policy, name="conv2")

    def build(self, x_shape, style_shape=None):
        self.conv1.build(x_shape, style_shape)
        self.conv2.build(x_shape, style_shape)

    def call(self, x, style=None):
        return x + self.conv2(self.conv1(x, style), style)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "num_styles": self.num_styles}


@keras.saving.register_keras_serializable("style_lib")
class Upsample(keras.layers.Layer):
    """Double the height and width: ``(B, h, w, C) -> (B, 2h, 2w, filters)``.

    ``mode="resize"``: nearest-neighbour x2, then a reflection-padded 3x3
    convolution (every output pixel sees the same number of taps).
    ``mode="transposed"``: a stride-2 transposed 3x3 convolution, the
    original design, which leaves a checkerboard.
    """

    def __init__(self, filters: int, mode: str = "resize", num_styles: int = 0, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("resize", "transposed"):
            raise SettingsError(f"upsample must be 'resize' or 'transposed', not {mode!r}.")
        self.filters, self.mode, self.num_styles = int(filters), mode, int(num_styles)
        if mode == "resize":
            self.conv = ReflectionConv(filters, 3, num_styles=self.num_styles,
                                       dtype=self.dtype_policy, name="conv")
        else:
            self.conv = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                                     dtype=self.dtype_policy, name="conv")
            self.instance_norm = _norm_layer(self.num_styles, self.dtype_policy)

    def build(self, x_shape, style_shape=None):
        if self.mode == "resize":
            self.conv.build(x_shape, style_shape)
        else:
            self.conv.build(x_shape)
            self.instance_norm.build((x_shape[0], None, None, self.filters))

    def call(self, x, style=None):
        if self.mode == "resize":
            size = tf.shape(x)[1:3] * 2
            return self.conv(tf.image.resize(x, size, method="nearest"), style)
        return tf.nn.relu(_normalised(self.instance_norm, self.conv(x), style))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "mode": self.mode,
                "num_styles": self.num_styles}


@keras.saving.register_keras_serializable("style_lib")
class ScaledTanh(keras.layers.Layer):
    """Johnson's output layer: ``127.5 (tanh(x) + 1)``, float32 in ``(0, 255)``."""

    def call(self, x):
        return 127.5 * (tf.tanh(tf.cast(x, tf.float32)) + 1.0)


@keras.saving.register_keras_serializable("style_lib")
class LinearPixels(keras.layers.Layer):
    """The output layer: ``127.5 (x + 1)``, float32, not squashed.

    Unlike :class:`ScaledTanh` it never saturates: a pixel the network
    paints too dark still gets a gradient back (a saturated tanh passes
    almost none, ``1 - tanh²(-5) ≈ 2e-4``, and such pixels stay black: the
    blotches of notebook 09). Values outside ``[0, 255]`` are clipped when
    a picture is made (:func:`stylize_fast`); training sees them unclipped,
    so the content loss pulls them back.
    """

    def call(self, x):
        return 127.5 * (tf.cast(x, tf.float32) + 1.0)


#: The output layers :func:`build_transform_net` can end with.
OUTPUTS = {"linear": LinearPixels, "tanh": ScaledTanh}


@keras.saving.register_keras_serializable("style_lib")
class StyleMix(keras.layers.Layer):
    """The style input of a many-style network: ``(B, N)`` weights, rescaled to sum 1.

    Holds the styles' names (saved with the model), so a network knows
    which painting each row of its ``γ, β`` belongs to.
    """

    def __init__(self, names: list[str], **kwargs):
        super().__init__(**kwargs)
        self.names = [str(n) for n in names]

    def call(self, weights):
        weights = tf.cast(weights, tf.float32)
        return weights / tf.maximum(tf.reduce_sum(weights, axis=-1, keepdims=True), 1e-12)

    def get_config(self):
        return {**super().get_config(), "names": self.names}


def build_transform_net(width: float = 1.0, *, upsample: str = "resize",
                        residual_blocks: int = 5, dtype: str | None = None,
                        styles: list[str] | tuple[str, ...] | None = None,
                        output: str = "linear",
                        name: str = "transform_net") -> keras.Model:
    """Return the transformation network: ``(B, H, W, 3)`` in ``[0, 255]`` to the same.

    With ``styles`` (names of ``N`` paintings), the network of Dumoulin et
    al. instead: every instance normalisation is conditional, and the model
    takes ``[photos (B, H, W, 3), style weights (B, N)]``.

    Args:
      width: multiplies every layer's filters (1.0 = Johnson's 32/64/128;
        0.5 has a quarter of the multiply-adds).
      upsample: ``"resize"`` (nearest x2 + conv) or ``"transposed"``.
      residual_blocks: how many residual blocks (Johnson: 5).
      dtype: Keras dtype policy, e.g. ``"mixed_bfloat16"``; None = float32.
      styles: None (one style, plain instance normalisation) or the names
        of the styles of a conditional network.
      output: ``"linear"`` (:class:`LinearPixels`, clipped only when a
        picture is made) or ``"tanh"`` (Johnson's :class:`ScaledTanh`, whose
        saturation leaves black blotches).
    """
    if output not in OUTPUTS:
        raise SettingsError(f"output must be one of {sorted(OUTPUTS)}, not {output!r}. "
                            "Fix: output='linear'.")
    if styles is not None and (isinstance(styles, str) or not styles
                               or len(set(styles)) != len(styles)):
        raise SettingsError(f"styles must be a list of different painting names, not "
                            f"{styles!r}. Fix: e.g. styles=['starry_night', 'great_wave'].")
    if not (isinstance(width, (int, float)) and 0 < width <= 4):
        raise SettingsError(f"width must be a number in (0, 4], not {width!r}. "
                            "Fix: width=1.0 (Johnson's network) or 0.5 (4x cheaper).")
    if not (isinstance(residual_blocks, int) and residual_blocks >= 0):
        raise SettingsError(f"residual_blocks must be a whole number >= 0, not "
                            f"{residual_blocks!r}.")
    f1, f2, f3 = (max(1, int(round(n * width))) for n in (32, 64, 128))
    policy = dtype or "float32"
    n = len(styles) if styles is not None else 0
    photo = keras.Input((None, None, 3), name="photo")
    inputs: keras.KerasTensor | list = photo
    style = None
    if n:
        weights = keras.Input((n,), name="style")
        inputs = [photo, weights]
        style = StyleMix(list(styles), name="style_mix", dtype="float32")(weights)

    def apply(layer, x):
        return layer(x) if style is None else layer(x, style)

    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="to_unit", dtype=policy)(photo)
    x = apply(ReflectionConv(f1, 9, num_styles=n, dtype=policy, name="conv_in"), x)
    x = apply(ReflectionConv(f2, 3, 2, num_styles=n, dtype=policy, name="down1"), x)
    x = apply(ReflectionConv(f3, 3, 2, num_styles=n, dtype=policy, name="down2"), x)
    for i in range(1, residual_blocks + 1):
        x = apply(ResidualBlock(f3, num_styles=n, dtype=policy, name=f"res{i}"), x)
    x = apply(Upsample(f2, upsample, num_styles=n, dtype=policy, name="up1"), x)
    x = apply(Upsample(f1, upsample, num_styles=n, dtype=policy, name="up2"), x)
    x = ReflectionConv(3, 9, norm=False, relu=False, dtype=policy, name="conv_out")(x)
    outputs = OUTPUTS[output](name="to_pixels", dtype="float32")(x)
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


def output_kind(model: keras.Model) -> str:
    """``"linear"`` or ``"tanh"``: the output layer of a transformation network."""
    return "tanh" if any(isinstance(layer, ScaledTanh) for layer in model.layers) else "linear"


def style_names(model: keras.Model) -> list[str] | None:
    """Return the style names of a many-style network, or None for a one-style one."""
    try:
        return list(model.get_layer("style_mix").names)
    except ValueError:
        return None


def style_vector(model: keras.Model, style) -> np.ndarray | None:
    """Return the ``(N,)`` style weights, summing to 1, that ``style`` asks of ``model``.

    ``style``: a style's name or index (that style alone), or weights, a
    list of ``N`` numbers or a dict name -> weight (blends; rescaled to sum
    1). One-style networks take ``style=None`` and get None back.
    """
    names = style_names(model)
    if names is None:
        if style is not None:
            raise SettingsError("this network has one style; leave style=None. Fix: a "
                                "many-style network (notebook 10) takes style=.")
        return None
    n = len(names)
    if style is None:
        raise SettingsError(f"this network holds {n} styles ({', '.join(names)}). Fix: "
                            f"style='{names[0]}', an index, or {n} blend weights.")
    if isinstance(style, str):
        if style not in names:
            raise SettingsError(f"style {style!r} is not in this network. It holds: "
                                f"{', '.join(names)}.")
        style = names.index(style)
    if isinstance(style, (int, np.integer)):
        if not 0 <= style < n:
            raise SettingsError(f"style index {style} is out of range 0..{n - 1}.")
        return np.eye(n, dtype=np.float32)[style]
    if isinstance(style, dict):
        unknown = sorted(set(style) - set(names))
        if unknown:
            raise SettingsError(f"{unknown} are not styles of this network. It holds: "
                                f"{', '.join(names)}.")
        style = [style.get(name, 0.0) for name in names]
    weights = np.asarray(style, np.float64)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0) \
            or weights.sum() <= 0:
        raise SettingsError(f"style weights must be {n} numbers >= 0, not all 0 (one per "
                            f"style: {', '.join(names)}), not {style!r}.")
    return (weights / weights.sum()).astype(np.float32)


def stylize_fast(model: keras.Model, image, *, style=None, batch_size: int = 4,
                 precision: str = "float32", preserve_color: str | None = None) -> np.ndarray:
    """Return ``model``'s picture of ``image``: one forward pass, any size.

    Args:
      model: a transformation network (:func:`build_transform_net`,
        :func:`load_model`).
      image: ``(H, W, 3)`` or a batch ``(B, H, W, 3)``, RGB in ``[0, 255]``
        (a demo name or a path also works for one image).
      style: for a many-style network, a style's name or index, or blend
        weights (see :func:`style_vector`); None for a one-style network.
      batch_size: pictures per forward pass.
      precision: ``"float32"`` (exact), ``"bfloat16"`` (convolutions in
        bfloat16 with the same weights: about 2x faster where the hardware
        computes it natively, pixels within a few levels of float32) or
        ``"auto"`` (bfloat16 only where native; see
        :func:`style_lib.core.vgg.fast_precision`).
      preserve_color: None, or ``"luminance"``: keep the photo's colours
        (the picture's luminance with the photo's chroma,
        :func:`style_lib.core.color.keep_photo_colors`).
    Returns:
      float32 ``(H, W, 3)`` (or ``(B, H, W, 3)``) in ``[0, 255]``.
    """
    from ..core.color import keep_photo_colors
    from ..io.data import as_image
    from ..core.vgg import check_precision
    if preserve_color not in (None, "luminance"):
        raise SettingsError(f"preserve_color for a fast network must be None or 'luminance', "
                            f"not {preserve_color!r} (the painting's colours are in its "
                            "weights; 'histogram' recolours the painting before training). "
                            "Fix: preserve_color='luminance'.")
    weights = style_vector(model, style)
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
    chunks = []
    for i in range(0, len(batch), batch_size):
        photos = tf.constant(batch[i:i + batch_size])
        args = photos if weights is None else \
            (photos, tf.constant(np.tile(weights, (len(photos), 1))))
        chunks.append(np.asarray(_forward(model, args)))
    out = np.concatenate(chunks)
    out = np.clip(out[:, :h, :w], 0, 255).astype(np.float32)
    if preserve_color == "luminance":
        out = np.stack([keep_photo_colors(o, p) for o, p in zip(out, x)])
    return out[0] if single else out


#: Per model (dropped with it): its bfloat16 copy and its compiled forward pass.
_CACHE: "weakref.WeakKeyDictionary[keras.Model, dict[str, Any]]" = weakref.WeakKeyDictionary()


def in_precision(model: keras.Model, precision: str) -> keras.Model:
    """Return ``model`` computing in ``precision`` (``"float32"`` or ``"bfloat16"``).

    For bfloat16: a copy of the network with the ``mixed_bfloat16`` policy
    (float32 weights, bfloat16 convolutions, float32 output), made once per
    model and given ``model``'s current weights at every call (the model may
    have trained since).
    """
    if precision == "float32" or model.dtype_policy.compute_dtype == "bfloat16":
        return model
    entry = _CACHE.setdefault(model, {})
    if "bfloat16" not in entry:
        def with_policy(layer):
            config = layer.get_config()
            if not isinstance(layer, (keras.layers.InputLayer, ScaledTanh, LinearPixels,
                                      StyleMix)):
                config["dtype"] = "mixed_bfloat16"
            return layer.__class__.from_config(config)
        entry["bfloat16"] = keras.models.clone_model(model, clone_function=with_policy)
    copy = entry["bfloat16"]
    copy.set_weights(model.get_weights())
    return copy


def _forward(model: keras.Model, x: tf.Tensor | tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
    """``model(x)`` in a compiled function (one per model, any size); ``x``: photos,
    or (photos, style weights) for a many-style network."""
    entry = _CACHE.setdefault(model, {})
    if "forward" not in entry:
        ref = weakref.ref(model)             # the cache must not keep the model alive
        entry["forward"] = tf.function(lambda t: ref()(t, training=False),
                                       reduce_retracing=True)
    return entry["forward"](x)


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` (Keras's ``.keras`` format), atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise SettingsError(f"{path}: a model file must end in .keras. Fix: e.g. "
                            f"{path.with_suffix('.keras').name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


#: The networks trained by this project (``python -m style_lib.fast train``),
#: one folder per painting with ``model.keras``, ``command.txt``,
#: ``config.json`` (settings and photo list), ``history.json`` and ``loss.png``.
PRETRAINED_DIR = Path(__file__).resolve().parent / "models"


def _trained_styles(folder: Path) -> list[str] | None:
    """The paintings of a committed many-style network's folder (from its
    ``config.json``); None for a one-style network."""
    import json
    try:
        style = json.loads((folder / "config.json").read_text())["style"]
    except (OSError, ValueError, KeyError):
        return None
    return None if isinstance(style, str) else list(style)


def pretrained_names(many: bool = False) -> tuple[str, ...]:
    """Return the committed networks: one-style ones by painting, or with
    ``many`` the many-style ones by folder (e.g. ``"four_paintings"``)."""
    folders = [p.parent for p in PRETRAINED_DIR.glob("*/model.keras")]
    return tuple(sorted(f.name for f in folders if (_trained_styles(f) is not None) == many))


def load_pretrained(name: str) -> keras.Model:
    """Return the committed network ``name``: a painting (``"starry_night"``) or a
    many-style network's folder (``"four_paintings"``)."""
    path = PRETRAINED_DIR / str(name) / "model.keras"
    if not path.is_file():
        known = pretrained_names() + pretrained_names(many=True)
        raise WeightsError(f"No trained network for {name!r}. Trained here: "
                           f"{', '.join(known) or 'none'}. Fix: pick one of "
                           f"those, or train one with `python -m style_lib.fast train "
                           f"--style {name} --out DIR`.")
    return load_model(path)


def find_pretrained(*paintings: str) -> tuple[keras.Model, str | None]:
    """Return a committed network that paints ``paintings`` and the ``style`` to pass.

    One painting: its own network if there is one (style None), else a
    many-style network holding it (style = the painting). Several: a
    many-style network holding all of them (style None: the caller blends).
    """
    if len(paintings) == 1 and paintings[0] in pretrained_names():
        return load_pretrained(paintings[0]), None
    for name in pretrained_names(many=True):
        if set(paintings) <= set(_trained_styles(PRETRAINED_DIR / name) or ()):
            return load_pretrained(name), (paintings[0] if len(paintings) == 1 else None)
    if len(paintings) == 1:
        return load_pretrained(paintings[0]), None      # raises, listing what there is
    held = {n: _trained_styles(PRETRAINED_DIR / n) for n in pretrained_names(many=True)}
    raise WeightsError(f"No trained network holds all of {', '.join(paintings)}. Many-style "
                       "networks here: " + ("; ".join(f"{n} ({', '.join(s)})" for n, s in
                                                       held.items()) or "none")
                       + ". Fix: pick styles of one network, or train one with `python -m "
                       f"style_lib.fast train --style {' '.join(paintings)} --out DIR`.")


def load_model(path: str | os.PathLike) -> keras.Model:
    """Return the transformation network saved at ``path`` (a ``.keras`` file).

    Loads with Keras's ``safe_mode``: a file whose layers hold code (a
    ``Lambda``) is refused, never run. A file holding some other Keras model
    (not RGB in, RGB out, any size) is refused too, in one line.
    """
    model = read_keras_model(path)
    check_transform_net(model, Path(path).expanduser())
    return model


def read_keras_model(path: str | os.PathLike,
                     made_by: str = "python -m style_lib.fast train") -> keras.Model:
    """Return the Keras model saved at ``path``, read with ``safe_mode`` (a layer
    holding code is refused, never run); every problem is one line naming the
    command (``made_by``) that writes such files."""
    path = Path(path).expanduser()
    if not path.is_file():
        problem = f"{path} is a folder" if path.is_dir() else f"No model file at {path}"
        raise WeightsError(f"{problem}. Fix: give the path of a .keras file written by "
                           f"`{made_by}`.")
    if not zipfile.is_zipfile(path):
        raise WeightsError(f"{path} is not a Keras model file (a .keras file is a zip "
                           "archive; this one is damaged, truncated or something else). "
                           "Fix: train it again or give another .keras file.")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:         # corrupt or foreign file: one line
        text = str(exc)
        if "safe_mode" in text or "Lambda" in text:
            raise WeightsError(f"{path} holds code (a Lambda layer) that loading would run, "
                               f"so it is refused. Fix: use a network written by `{made_by}`, "
                               "and only from people you trust.") from None
        first = text.splitlines()[0] if text else ""
        raise WeightsError(f"Cannot read the model {path}: {type(exc).__name__}: "
                           f"{first[:200]}. Fix: train it again or give another .keras "
                           "file.") from None
    return model


def check_transform_net(model: keras.Model, name: object = "the model") -> None:
    """Raise WeightsError unless ``model`` is a transformation network: RGB
    pictures ``(B, H, W, 3)`` of any size in (plus, for many styles, a style
    vector), RGB pictures of the same size out."""
    inputs = [tuple(t.shape) for t in model.inputs]
    outputs = [tuple(t.shape) for t in model.outputs]
    picture_in = len(inputs) in (1, 2) and inputs[0] == (None, None, None, 3)
    style_in = len(inputs) == 1 or (len(inputs[1]) == 2 and style_names(model) is not None)
    picture_out = len(outputs) == 1 and len(outputs[0]) == 4 and outputs[0][-1] == 3
    if not (picture_in and style_in and picture_out):
        raise WeightsError(f"{name} is not a style-transfer network: it takes "
                           f"{_shapes(inputs)} and gives {_shapes(outputs)}, where a network "
                           "of `python -m style_lib.fast train` takes RGB pictures of any size "
                           "(None, None, None, 3) and gives the same. Fix: give a .keras file "
                           "written by `python -m style_lib.fast train`.")


def _shapes(shapes: list[tuple]) -> str:
    return " and ".join(str(s).replace("None", "any") for s in shapes) or "nothing"