"""Adaptive instance normalisation (Huang & Belongie, ICCV 2017): any painting in one pass.

An encoder (the canonical VGG16 up to ``conv4_1``, frozen) turns the photo and
the painting into features ``c`` and ``s`` ``(B, h, w, 512)``; AdaIN gives the
photo's features the painting's channel statistics,

    AdaIN(c, s) = σ(s) · (c − μ(c)) / σ(c) + μ(s)      (per channel, eq. 8)

and a trained decoder (VGG16 mirrored: nearest-neighbour upsampling and
reflection-padded convolutions) paints the result. ``α`` blends the target
with the photo's own features, ``t = α AdaIN(c, s) + (1 − α) c`` (eq. 14).
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..errors import ImageError, SettingsError, WeightsError
from ..fast.network import ReflectionConv, in_precision, read_keras_model, save_model
from ..settings import check_weight
from ..core.vgg import FeatureExtractor

__all__ = ["ENCODER_LAYERS", "CONTENT_LAYER", "EPSILON", "channel_stats", "adain",
           "build_decoder", "AdaIN", "PRETRAINED_DIR", "load_pretrained", "load_decoder",
           "save_decoder", "check_alpha"]

#: The encoder's layers (after the ReLU): the style statistics are matched at
#: all four, the decoder inverts the last (the paper's relu1_1 ... relu4_1).
ENCODER_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1")
CONTENT_LAYER = "conv4_1"
#: Added to the variance before the square root (the reference code's 1e-5).
EPSILON = 1e-5
#: The committed decoder (``python -m style_lib.adain train``).
PRETRAINED_DIR = Path(__file__).resolve().parent / "models"


def channel_stats(features: tf.Tensor, eps: float = EPSILON) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-channel mean and standard deviation over the positions of
    ``features`` ``(B, h, w, C)``: two ``(B, 1, 1, C)`` tensors."""
    mean, variance = tf.nn.moments(features, axes=[1, 2], keepdims=True)
    return mean, tf.sqrt(variance + eps)


def adain(content: tf.Tensor, style: tf.Tensor, eps: float = EPSILON) -> tf.Tensor:
    """AdaIN: ``content`` ``(B, h, w, C)`` with the channel means and standard
    deviations of ``style`` ``(B, h', w', C)`` (any positions); ``(B, h, w, C)``."""
    c_mean, c_std = channel_stats(content, eps)
    s_mean, s_std = channel_stats(style, eps)
    return s_std * (content - c_mean) / c_std + s_mean


def check_alpha(alpha: float) -> float:
    """``alpha`` (the content-style trade-off, eq. 14) if it is in [0, 1], else raise."""
    alpha = check_weight("alpha", alpha)
    if alpha > 1:
        raise SettingsError(f"alpha must be from 0 (the photo) to 1 (all style), got "
                            f"{alpha:g}. Fix: e.g. alpha=0.8.")
    return alpha


def build_decoder(width: float = 0.5, input_scale: float = 1.0,
                  name: str = "adain_decoder") -> keras.Model:
    """The decoder: ``conv4_1`` features ``(B, h, w, 512)`` -> RGB ``(B, 8h, 8w, 3)``
    in about ``[0, 255]`` (linear output).

    VGG16's first four blocks mirrored: each pooling becomes a nearest-neighbour
    upsampling, each convolution a reflection-padded 3x3 convolution with a
    ReLU (the last has none). ``width`` scales the channels (1.0: the mirror's
    512 -> 256 -> 128 -> 64; 0.5: half, a quarter of the weights and the work).
    ``input_scale``: the features are divided by it first (their mean
    activation on photos, so the first layer sees numbers near 1); the
    output starts near mid-grey.
    """
    width = float(width)
    if not 0.05 <= width <= 2:
        raise SettingsError(f"width must be between 0.05 and 2, got {width:g}.")
    n = lambda c: max(8, int(round(c * width)))  # noqa: E731
    features = keras.Input((None, None, 512), name="features")
    x = keras.layers.Rescaling(1.0 / float(input_scale), name="from_features")(features)
    plan = [n(256), "up", n(256), n(256), n(128), "up", n(128), n(64), "up", n(64)]
    k = 0
    for step in plan:
        if step == "up":
            x = keras.layers.UpSampling2D(2, interpolation="nearest")(x)
        else:
            k += 1
            x = ReflectionConv(step, 3, norm=False, relu=True, name=f"conv{k}")(x)
    x = ReflectionConv(3, 3, norm=False, relu=False, name="to_rgb")(x)
    x = keras.layers.Rescaling(1.0, offset=127.5, name="to_pixels")(x)
    return keras.Model(features, x, name=name)


class AdaIN:
    """The encoder, AdaIN and a decoder: ``AdaIN(decoder)(photo, painting, alpha=0.8)``.

    ``precision``: what VGG16 and the decoder compute in (``"float32"``,
    ``"bfloat16"`` or ``"auto"``; in bfloat16 the decoder runs as a copy with
    the ``mixed_bfloat16`` policy that takes ``decoder``'s current weights at
    every call). A painting's statistics are cached, so a second photo in the
    same painting (a video frame, a slider move) costs one encoder and one
    decoder pass. The encoder stops at ``conv4_1`` and returns only it.
    """

    def __init__(self, decoder: keras.Model | str | os.PathLike | None = None, *,
                 precision: str = "auto", weights: str = "auto", verbose: bool = False):
        if decoder is None:
            decoder = load_pretrained()
        elif isinstance(decoder, (str, os.PathLike)):
            decoder = load_decoder(decoder)
        self.encoder = FeatureExtractor([CONTENT_LAYER], weights, precision=precision,
                                        verbose=verbose)
        self.precision = self.encoder.precision
        self.decoder = decoder
        self._runner = in_precision(decoder, self.precision)   # decoder itself in float32
        self._style_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._encode = tf.function(self._encode_py, reduce_retracing=True)
        self._decode = tf.function(self._decode_py, reduce_retracing=True)

    # -- the pieces, each a tensor function ----------------------------------
    def _encode_py(self, images):
        return self.encoder(images)[CONTENT_LAYER]

    def _decode_py(self, features):
        out = self._runner(features, training=False)
        return tf.clip_by_value(tf.cast(out, tf.float32), 0.0, 255.0)

    def decode(self, features: tf.Tensor) -> tf.Tensor:
        """The decoder's picture ``(1, H, W, 3)`` in [0, 255] of features ``(1, h, w, 512)``,
        computed in this model's precision with the decoder's current weights."""
        in_precision(self.decoder, self.precision)    # the same copy, given the current weights
        return self._decode(features)

    def encode(self, image) -> tf.Tensor:
        """``conv4_1`` features ``(1, h, w, 512)`` of an image ``(H, W, 3)`` in [0, 255]."""
        x = _pixels(image)
        return self._encode(x[np.newaxis])

    def style_stats(self, painting) -> tuple[tf.Tensor, tf.Tensor]:
        """The painting's ``conv4_1`` channel mean and standard deviation, each
        ``(1, 1, 1, 512)`` (cached by the painting's bytes)."""
        x = _pixels(painting)
        key = f"{x.shape}:{hash(x.tobytes())}"
        if key not in self._style_cache:
            mean, std = channel_stats(self._encode(x[np.newaxis]))
            self._style_cache[key] = (mean.numpy(), std.numpy())
            while len(self._style_cache) > 16:
                self._style_cache.pop(next(iter(self._style_cache)))
        mean, std = self._style_cache[key]
        return tf.constant(mean), tf.constant(std)

    def target(self, content_features: tf.Tensor, paintings: Sequence[Any],
               alpha: float = 1.0, blend: Sequence[float] | None = None,
               masks: Sequence[np.ndarray] | None = None) -> tf.Tensor:
        """The decoder's input: ``α Σ_k b_k m_k AdaIN(c, s_k) + (1 − α) c`` ``(1, h, w, 512)``.

        ``blend``: one weight per painting (interpolation between styles,
        normalised to sum 1); ``masks``: one ``(H, W)`` mask per painting
        instead (a style per region; they are normalised to sum 1 per pixel).
        """
        alpha = check_alpha(alpha)
        c_mean, c_std = channel_stats(content_features)
        normalised = (content_features - c_mean) / c_std
        stylised = []
        for painting in paintings:
            s_mean, s_std = self.style_stats(painting)
            stylised.append(s_std * normalised + s_mean)
        h, w = content_features.shape[1:3]
        if masks is not None:
            if len(masks) != len(paintings):
                raise SettingsError(f"got {len(masks)} masks for {len(paintings)} paintings; "
                                    "give one per painting.")
            small = [tf.image.resize(np.asarray(m, np.float32)[..., np.newaxis], (h, w),
                                     antialias=True) for m in masks]
            total = tf.add_n(small) + 1e-6
            mixed = tf.add_n([t * (m / total)[tf.newaxis] for t, m in zip(stylised, small)])
        else:
            weights = np.ones(len(paintings)) if blend is None else np.asarray(
                [check_weight("a blend weight", b) for b in blend], np.float64)
            if len(weights) != len(paintings) or weights.sum() <= 0:
                raise SettingsError(f"blend needs one weight >= 0 per painting "
                                    f"({len(paintings)}), not all 0.")
            weights = weights / weights.sum()
            mixed = tf.add_n([float(b) * t for b, t in zip(weights, stylised)])
        return alpha * mixed + (1.0 - alpha) * content_features

    def __call__(self, photo, painting, *, alpha: float = 1.0,
                 blend: Sequence[float] | None = None, masks=None,
                 preserve_color: str | None = None) -> np.ndarray:
        """The photo ``(H, W, 3)`` in [0, 255] painted in the style of ``painting``
        (one image, or a list with ``blend`` or ``masks``); float32 ``(H, W, 3)``.

        The photo is padded to a multiple of 8 px (three poolings) and the
        picture cropped back, so any size works.
        """
        from ..core.color import keep_photo_colors
        if preserve_color not in (None, "luminance"):
            raise SettingsError(f"preserve_color must be None or 'luminance', not "
                                f"{preserve_color!r}.")
        x = _pixels(photo)
        paintings = list(painting) if isinstance(painting, (list, tuple)) else [painting]
        h, w = x.shape[:2]
        ph, pw = (-h) % 8, (-w) % 8
        padded = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="reflect") if ph or pw else x
        features = self._encode(padded[np.newaxis])
        target = self.target(features, paintings, alpha, blend, masks=None if masks is None
                             else [np.pad(np.asarray(m, np.float32), ((0, ph), (0, pw)),
                                          mode="edge") for m in masks])
        picture = self.decode(target).numpy()[0, :h, :w]
        if preserve_color == "luminance":
            picture = keep_photo_colors(picture, x)
        return picture


def _pixels(image) -> np.ndarray:
    from ..io.data import as_image
    x = as_image(image)
    if min(x.shape[:2]) < 16:
        raise ImageError(f"the image is only {x.shape[1]}x{x.shape[0]} px; AdaIN needs at "
                         "least 16 px on each side. Fix: a larger image.")
    return x


def load_pretrained() -> keras.Model:
    """The committed decoder (``style_lib/adain/models/decoder/model.keras``)."""
    path = PRETRAINED_DIR / "decoder" / "model.keras"
    if not path.is_file():
        raise SettingsError(f"no committed decoder at {path}. Fix: `make models` trains "
                            "it (python -m style_lib.adain train), or pass your own.")
    return load_decoder(path)


def load_decoder(path: str | os.PathLike) -> keras.Model:
    """The decoder saved at ``path`` (``.keras``), read safely and checked: it takes
    ``conv4_1`` features ``(B, h, w, 512)`` of any size and gives RGB pictures."""
    model = read_keras_model(path, made_by="python -m style_lib.adain train")
    inputs = [tuple(t.shape) for t in model.inputs]
    outputs = [tuple(t.shape) for t in model.outputs]
    if inputs != [(None, None, None, 512)] or len(outputs) != 1 or outputs[0][-1] != 3:
        raise WeightsError(f"{path} is not an AdaIN decoder: it takes {inputs} and gives "
                           f"{outputs}, where a decoder takes conv4_1 features (None, None, "
                           "None, 512) and gives RGB pictures. Fix: a .keras file written "
                           "by `python -m style_lib.adain train`.")
    return model


def save_decoder(decoder: keras.Model, path: str | os.PathLike) -> Path:
    """Write the decoder to ``path`` (``.keras``), atomically."""
    return save_model(decoder, path)


def stats_table(features: Mapping[str, tf.Tensor]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{layer: (mean, std)}`` of features by layer, as NumPy ``(B, 1, 1, C)``."""
    return {k: tuple(t.numpy() for t in channel_stats(v)) for k, v in features.items()}
