"""Patches instead of Gram matrices: the MRF style loss (Li & Wand, CVPR 2016).

A Gram matrix forgets where features are. Li & Wand's loss keeps them
locally: every ``k x k`` patch of the picture's features must look like its
nearest patch of the painting's features,

    E_mrf(x) = Σ_i || Ψ_i(Φ(x)) - Ψ_NN(i)(Φ(x_s)) ||²                  (eq. 2)

    NN(i) = argmax_j  <Ψ_i(Φ(x)), Ψ_j(Φ(x_s))>
                      / (|Ψ_i(Φ(x))| |Ψ_j(Φ(x_s))|)                     (eq. 3)

``Ψ_i`` cuts patch ``i`` out of a feature map ``Φ``. Eq. 3, the normalised
cross-correlation (NCC) of every picture patch with every painting patch,
is one convolution: the painting's patches, each divided by its length, are
the filters (the paper's trick, and :func:`nearest_patches` here). The
index ``NN(i)`` is held fixed while differentiating, as in the reference
code (chuanli11/CNNMRF), so the gradient of eq. 2 pulls each patch towards
its match.

The loss plugs into :class:`style_lib.core.objective.StyleObjective` unchanged:
the per-layer "target" is an :class:`MRFTarget` (the painting's patch bank)
instead of a Gram matrix, and :func:`mrf_layer_loss` replaces the Gram
layer loss. ``stylize(..., style_loss="mrf")`` wires them up.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from ..errors import SettingsError
from ..settings import MRF_STYLE_LAYERS, MRF_STYLE_WEIGHT, MRFSettings, as_settings  # noqa: F401 (re-exported)
from .vgg import FeatureExtractor, layer_info

__all__ = ["MRF_STYLE_LAYERS", "MRF_STYLE_WEIGHT", "MRFSettings", "MRFTarget",
           "extract_patches", "normalized_cross_correlation",
           "nearest_patches", "nearest_patches_brute_force", "mrf_layer_loss",
           "mrf_targets", "patch_bank", "paper_sizes", "style_variants",
           "as_settings", "check_cost"]

_EPS = 1e-6


class MRFTarget(NamedTuple):
    """One layer's patch bank of the painting.

    ``patches`` ``(n, k, k, C)``: the painting's patches, what eq. 2 pulls
    towards; ``filters`` ``(k, k, C, n)``: the same patches divided by their
    lengths, laid out as convolution filters for eq. 3.
    """

    patches: tf.Tensor
    filters: tf.Tensor

    @property
    def size(self) -> int:
        """How many patches the bank holds."""
        return int(self.patches.shape[0])


# ----------------------------------------------------------- patches ---

def extract_patches(features, size: int = 3, stride: int = 1) -> tf.Tensor:
    """Return every ``size x size`` patch of ``features`` ``(h, w, C)``.

    Returns ``(n, size, size, C)`` with ``n = nh * nw`` patches in row-major
    order of their top-left corners ``(stride * r, stride * c)``, where
    ``nh = (h - size) // stride + 1`` (no padding: patches lie inside).
    """
    f = tf.convert_to_tensor(features, tf.float32)
    if f.shape.rank == 4 and f.shape[0] == 1:
        f = f[0]
    if f.shape.rank != 3:
        raise SettingsError(f"features must be (h, w, C), got shape {tuple(f.shape)}.")
    h, w, c = f.shape
    if h < size or w < size:
        raise SettingsError(f"a {h}x{w} feature map has no {size}x{size} patch. "
                            f"Fix: use a larger picture or a smaller patch size.")
    p = tf.image.extract_patches(f[tf.newaxis], sizes=[1, size, size, 1],
                                 strides=[1, stride, stride, 1], rates=[1, 1, 1, 1],
                                 padding="VALID")
    return tf.reshape(p, (-1, size, size, c))


def patch_bank(patches) -> MRFTarget:
    """Return the :class:`MRFTarget` of painting patches ``(n, k, k, C)``."""
    patches = tf.convert_to_tensor(patches, tf.float32)
    norms = tf.sqrt(tf.reduce_sum(tf.square(patches), axis=[1, 2, 3],
                                  keepdims=True))
    filters = tf.transpose(patches / (norms + _EPS), (1, 2, 3, 0))
    return MRFTarget(patches, filters)


# ------------------------------------------------ nearest neighbours ---

def normalized_cross_correlation(features, bank: MRFTarget) -> tf.Tensor:
    """Return eq. 3's NCC of every patch of ``features`` with every bank patch.

    ``features`` ``(h, w, C)``; returns ``(nh, nw, n)`` in ``[-1, 1]``
    (``nh = h - k + 1``): entry ``[r, c, j]`` is the cosine between the patch
    at ``(r, c)`` and bank patch ``j``. One convolution with the bank's
    normalised patches as filters, then a division by each picture patch's
    length (a box filter of the squared features).
    """
    f = tf.convert_to_tensor(features, tf.float32)[tf.newaxis]
    k = bank.filters.shape[0]
    dots = tf.nn.conv2d(f, bank.filters, strides=1, padding="VALID")[0]
    sq = tf.reduce_sum(tf.square(f), axis=-1, keepdims=True)
    norms = tf.sqrt(tf.nn.conv2d(sq, tf.ones((k, k, 1, 1)), 1, "VALID")[0])
    return dots / (norms + _EPS)


def nearest_patches(features, bank: MRFTarget) -> tf.Tensor:
    """Return ``NN(i)`` of eq. 3 for every patch of ``features`` ``(h, w, C)``.

    ``(nh, nw)`` int32 indices into the bank. The division by the picture
    patch's own length does not change which painting patch wins, so only
    the convolution and an argmax are needed.
    """
    f = tf.convert_to_tensor(features, tf.float32)[tf.newaxis]
    dots = tf.nn.conv2d(f, bank.filters, strides=1, padding="VALID")[0]
    return tf.argmax(dots, axis=-1, output_type=tf.int32)


def nearest_patches_brute_force(features, bank: MRFTarget) -> np.ndarray:
    """Eq. 3 written out: loop over picture patches, compare with every bank patch.

    The slow reference :func:`nearest_patches` is tested against;
    ``(nh, nw)`` int indices.
    """
    f = np.asarray(features, np.float64)
    patches = np.asarray(bank.patches, np.float64)
    n, k = patches.shape[:2]
    flat = patches.reshape(n, -1)
    lengths = np.linalg.norm(flat, axis=1) + _EPS
    nh, nw = f.shape[0] - k + 1, f.shape[1] - k + 1
    out = np.zeros((nh, nw), np.int64)
    for r in range(nh):
        for c in range(nw):
            p = f[r:r + k, c:c + k].reshape(-1)
            ncc = flat @ p / (lengths * (np.linalg.norm(p) + _EPS))
            out[r, c] = int(np.argmax(ncc))
    return out


# --------------------------------------------------------------- loss ---

def mrf_layer_loss(features, bank: MRFTarget) -> tf.Tensor:
    """Return eq. 2 for one layer: ``Σ_i ||Ψ_i(Φ(x)) - Ψ_NN(i)(Φ(x_s))||²``.

    ``features`` ``(h, w, C)`` of the picture; a scalar. ``NN`` is found
    with :func:`nearest_patches` and held fixed (no gradient through the
    argmax). Instead of cutting out every patch, the sum runs over the
    ``k²`` offsets ``(dy, dx)`` inside a patch: offset ``(dy, dx)`` of all
    patches at once is the feature map shifted by ``(dy, dx)``.
    """
    f = tf.convert_to_tensor(features, tf.float32)
    nn = tf.stop_gradient(nearest_patches(f, bank))
    matched = tf.gather(bank.patches, nn)             # (nh, nw, k, k, C)
    k = bank.patches.shape[1]
    nh, nw = nn.shape[0], nn.shape[1]
    total = tf.constant(0.0)
    for dy in range(k):
        for dx in range(k):
            shifted = f[dy:dy + nh, dx:dx + nw]
            total += tf.reduce_sum(tf.square(shifted - matched[:, :, dy, dx]))
    return total


# ----------------------------------------------------------- targets ---

def style_variants(style: np.ndarray, settings: MRFSettings
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the painting's rotated and scaled copies with their valid masks.

    Each entry is ``(image (h, w, 3) in [0, 255], mask (h, w) in {0, 1})``;
    the mask is 0 where rotation brought in empty corners. The first entry
    is the painting itself.
    """
    from PIL import Image
    base = np.clip(np.asarray(style, np.float32), 0, 255)
    out = []
    for r in [0] + [s * i for i in range(1, settings.rotations + 1) for s in (1, -1)]:
        for s in [0] + [s * i for i in range(1, settings.scales + 1) for s in (1, -1)]:
            img = Image.fromarray(base.round().astype(np.uint8))
            mask = Image.fromarray(np.full(base.shape[:2], 255, np.uint8))
            if r:
                degrees = math.degrees(r * settings.rotation_step)
                img = img.rotate(degrees, Image.BILINEAR)
                mask = mask.rotate(degrees, Image.NEAREST)
            if s:
                factor = settings.scale_step ** s
                size = (max(1, round(img.width * factor)),
                        max(1, round(img.height * factor)))
                img = img.resize(size, Image.LANCZOS)
                mask = mask.resize(size, Image.NEAREST)
            image = base if not (r or s) else np.asarray(img, np.float32)
            out.append((image, (np.asarray(mask) > 127).astype(np.float32)))
    return out


def mrf_targets(extractor: FeatureExtractor, styles: Sequence[np.ndarray],
                style_layers: Sequence[str], settings: MRFSettings | None = None
                ) -> list[list[MRFTarget]]:
    """Return the patch banks ``[style][layer] -> MRFTarget`` of the paintings.

    Patches are cut every ``settings.stride`` cells from the painting and
    from each rotated or scaled copy (:func:`style_variants`), keeping only
    patches that lie wholly inside a copy's valid region.
    """
    settings = settings or MRFSettings()
    k = settings.patch_size
    banks = []
    for style in styles:
        per_layer: dict[str, list[tf.Tensor]] = {name: [] for name in style_layers}
        for image, mask in style_variants(style, settings):
            feats = extractor(image[np.newaxis])
            for name in style_layers:
                f = feats[name][0]
                if f.shape[0] < k or f.shape[1] < k:
                    continue
                patches = extract_patches(f, k, settings.stride)
                if mask.min() < 1:
                    stride = layer_info(name).stride
                    m = mask[:f.shape[0] * stride, :f.shape[1] * stride]
                    m = m.reshape(f.shape[0], stride, f.shape[1], stride).min((1, 3))
                    keep = extract_patches(m[..., np.newaxis], k, settings.stride)
                    keep = tf.reduce_min(tf.reshape(keep, (keep.shape[0], -1)), 1) > 0
                    patches = tf.boolean_mask(patches, keep)
                per_layer[name].append(patches)
        bank = []
        for name in style_layers:
            if not per_layer[name] or sum(p.shape[0] for p in per_layer[name]) == 0:
                raise SettingsError(
                    f"the painting is too small for {k}x{k} patches at {name}. Fix: "
                    f"use a larger size or style_scale, or a smaller patch_size.")
            bank.append(patch_bank(tf.concat(per_layer[name], 0)))
        banks.append(bank)
    return banks


#: the largest NCC response (picture patches x painting patches) a step may
#: hold; at 256 px with the defaults it is about 2.5 M numbers.
MAX_RESPONSE = 400_000_000


def check_cost(shape: tuple[int, ...], style_layers: Sequence[str],
               targets: Sequence[Sequence[MRFTarget]],
               settings: MRFSettings) -> None:
    """Refuse (one line) a picture whose NN search would need gigabytes.

    Eq. 3 compares every picture patch with every painting patch; both
    grow with the pixel count, so the response grows with its square.
    """
    k = settings.patch_size
    for name in style_layers:
        stride = layer_info(name).stride
        h, w = shape[0] // stride, shape[1] // stride
        if min(h, w) < k:
            raise SettingsError(
                f"the picture at {shape[1]}x{shape[0]} px is too small for MRF patches: "
                f"{name} sees {w}x{h} features, fewer than one {k}x{k} patch. Fix: at least "
                f"{k * stride} px on the short side (a larger size), or the Gram loss.")
    worst = 0
    for bank_per_layer in targets:
        for name, bank in zip(style_layers, bank_per_layer):
            stride = layer_info(name).stride
            h, w = shape[0] // stride, shape[1] // stride
            worst = max(worst, max(0, h - k + 1) * max(0, w - k + 1) * bank.size)
    if worst > MAX_RESPONSE:
        raise SettingsError(
            f"the MRF search would compare {worst:,} patch pairs per layer "
            f"({worst * 4 / 2**30:.1f} GiB per step). Fix: use a smaller size "
            f"(the paper stops at 384 px), a larger MRF stride, or fewer "
            f"rotations/scales.")


def paper_sizes(size: int, levels: int = 3) -> tuple[int, ...]:
    """Return the paper's coarse-to-fine ladder: halve ``levels - 1`` times.

    ``paper_sizes(256)`` is ``(64, 128, 256)`` (the reference code's
    ``num_res = 3``): each level starts from the previous result upsampled.
    """
    if levels < 1:
        raise SettingsError(f"levels must be >= 1, not {levels}.")
    return tuple(max(1, round(size / 2 ** (levels - 1 - i))) for i in range(levels))
