"""Spatial control: a different style per region (guided Gram matrices of
Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual
Factors in Neural Style Transfer", CVPR 2017, section 4).

A *mask* ``m`` (values in ``[0, 1]``, one per style, at the content's
resolution) says where a style applies. At each style layer the mask is
shrunk to the feature map's size and multiplies the features before the
Gram matrix:

``G_guided = (F * m)^T (F * m) / sum(m**2)``

The normalisation ``sum(m**2)`` (instead of ``M = H * W``) makes a mask of
ones give the ordinary Gram ``F^T F / M`` and a 0/1 mask give the Gram
averaged over the region only, so it is compared with the style image's
ordinary Gram on the same scale. Features where ``m = 0`` do not enter
``G_guided`` at all: that region is free of this style.

Masks are shrunk by repeated 2x2 average pooling, the same grid as
VGG16's 2x2 pooling, so a mask and a feature map always line up.
"""
from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from ..errors import SettingsError
from .vgg import layer_info

__all__ = ["as_mask", "downsample_mask", "layer_masks", "guided_gram",
           "prepare_masks", "masks_key",
           "guided_style_layer_loss", "sky_mask", "resize_mask"]


def as_mask(mask, shape: tuple[int, int] | None = None, *,
            threshold: float | None = None) -> np.ndarray:
    """Return a float32 mask ``(H, W)`` in ``[0, 1]``.

    Args:
      mask: a file (white = style here; the mean of R, G, B is used), an
        array ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` with values in
        ``[0, 1]`` (uint8 arrays are divided by 255).
      shape: ``(H, W)`` to resize to (bilinear), e.g. the content's.
      threshold: if given, return ``1.0`` where the mask is above it and
        ``0.0`` elsewhere (hand-drawn masks: ``threshold=0.5``).
    """
    if isinstance(mask, str) or isinstance(mask, os.PathLike):
        from ..io.images import load_image
        arr = load_image(mask).mean(axis=-1) / 255.0
    else:
        arr = np.asarray(mask.numpy() if hasattr(mask, "numpy") else mask)
        if arr.dtype == np.uint8:
            arr = arr / 255.0
        if arr.ndim == 3:
            arr = arr.mean(axis=-1)
        if arr.ndim != 2:
            raise SettingsError(f"a mask must be (H, W), (H, W, 1) or (H, W, 3); "
                                f"got shape {np.shape(mask)}.")
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise SettingsError(
                "mask values must lie in [0, 1] (1 = apply the style here). "
                "Fix: divide an 8-bit mask by 255.")
    arr = arr.astype(np.float32)
    if shape is not None:
        arr = resize_mask(arr, shape)
    if threshold is not None:
        arr = (arr > threshold).astype(np.float32)
    return arr


def resize_mask(mask, shape: tuple[int, int]) -> np.ndarray:
    """Return the mask ``(H, W)`` resized to ``shape`` (bilinear, in ``[0, 1]``)."""
    mask = np.asarray(mask, np.float32)
    if mask.shape == tuple(shape):
        return mask
    out = tf.image.resize(mask[..., np.newaxis], tuple(shape), method="bilinear",
                          antialias=True)[..., 0]
    return np.clip(out.numpy(), 0.0, 1.0).astype(np.float32)


def downsample_mask(mask, stride: int) -> np.ndarray:
    """Return the mask ``(H, W)`` shrunk by ``stride`` (1, 2, 4, 8 or 16).

    Repeated 2x2 average pooling with VGG's floor rounding, so the result
    has exactly the feature map's size ``(H // stride, W // stride)``.
    """
    out = tf.convert_to_tensor(np.asarray(mask, np.float32))[tf.newaxis, ...,
                                                             tf.newaxis]
    if stride < 1 or stride & (stride - 1):
        raise SettingsError(f"stride must be a power of two, got {stride}.")
    while stride > 1:
        out = tf.nn.avg_pool2d(out, 2, 2, "VALID")
        stride //= 2
    return out[0, ..., 0].numpy()


def layer_masks(mask, layers) -> dict[str, np.ndarray]:
    """Return layer name -> mask ``(h, w)`` at that layer's resolution."""
    mask = as_mask(mask)
    return {name: downsample_mask(mask, layer_info(name).stride)
            for name in layers}


def guided_gram(features, mask) -> tf.Tensor:
    """Return the guided Gram ``(F*m)^T (F*m) / sum(m**2)``, ``(C, C)``.

    Args:
      features: ``(H, W, C)`` or ``(1, H, W, C)`` feature maps.
      mask: ``(H, W)`` (or ``(1, H, W, 1)``) weights in ``[0, 1]`` at the
        features' resolution.
    """
    f = tf.convert_to_tensor(features, tf.float32)
    if f.shape.rank == 4:
        if f.shape[0] != 1:
            raise SettingsError("guided_gram takes one image, (1, H, W, C).")
        f = f[0]
    if f.shape.rank != 3:
        raise SettingsError(f"features must be (H, W, C) or (1, H, W, C), got "
                            f"{f.shape}.")
    m = tf.convert_to_tensor(mask, tf.float32)
    m = tf.reshape(m, tf.shape(f)[:2])[..., tf.newaxis]
    fm = f * m
    norm = tf.maximum(tf.reduce_sum(tf.square(m)), 1e-8)
    return tf.einsum("hwc,hwd->cd", fm, fm) / norm


def guided_style_layer_loss(features, mask, target_gram) -> tf.Tensor:
    """Return ``1/(4 N^2) * sum((G_guided - A)**2)`` for one layer, a scalar."""
    gram = guided_gram(features, mask)
    target = tf.convert_to_tensor(target_gram, tf.float32)
    target = tf.reshape(target, tf.shape(gram))
    n = tf.cast(tf.shape(gram)[-1], tf.float32)
    return tf.reduce_sum(tf.square(gram - target)) / (4.0 * n * n)


def sky_mask(image, *, top: float = 0.7, blur: float = 1.5) -> np.ndarray:
    """Return a soft sky mask ``(H, W)`` in ``[0, 1]`` for a daylight photo.

    A pixel is sky if it is bluish and bright (``B > R + 20``, ``B > G``,
    ``B > 90``), lies in the upper ``top`` of the image and is connected to
    the top edge by sky pixels in its column (so blue roofs or the river's
    reflection lower down do not count). The edge is softened by a small
    Gaussian blur of ``blur`` pixels (0: a hard 0/1 mask).

    Args:
      image: ``(H, W, 3)`` RGB in ``[0, 255]``.
    """
    arr = np.asarray(image, np.float32)
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    bluish = (b > r + 20) & (b > g) & (b > 90)
    h = arr.shape[0]
    bluish[int(round(top * h)):] = False
    mask = np.cumprod(bluish, axis=0).astype(np.float32)   # run from the top
    if blur > 0:
        radius = max(1, int(3 * blur))
        x = np.arange(-radius, radius + 1, dtype=np.float32)
        kernel = np.exp(-0.5 * (x / blur) ** 2)
        kernel /= kernel.sum()
        pad = np.pad(mask, radius, mode="edge")
        pad = np.apply_along_axis(lambda v: np.convolve(v, kernel, "valid"), 0, pad)
        mask = np.apply_along_axis(lambda v: np.convolve(v, kernel, "valid"), 1, pad)
    return np.clip(mask, 0.0, 1.0).astype(np.float32)


def prepare_masks(masks, n_styles: int, shape: tuple[int, int],
                  what: str = "masks") -> list[np.ndarray | None] | None:
    """Return one mask ``(H, W)`` (or None = everywhere) per style, or None.

    Args:
      masks: None, one mask (for one style), or a list with one entry per
        style: a mask (see :func:`as_mask`), or None / ``"none"`` for a
        style that applies everywhere.
      n_styles: number of styles.
      shape: ``(H, W)`` every mask is resized to.
    Returns None when no style has a mask (the unguided code path).
    """
    if masks is None:
        return None
    if not isinstance(masks, (list, tuple)):
        masks = [masks]
    if len(masks) != n_styles:
        raise SettingsError(f"got {len(masks)} {what} for {n_styles} styles; give "
                            "one per style (None = the whole image).")
    out: list[np.ndarray | None] = []
    for i, mask in enumerate(masks):
        if mask is None or (isinstance(mask, str) and mask.lower() == "none"):
            out.append(None)
            continue
        arr = as_mask(mask, tuple(shape))
        if not arr.sum() > 0:
            raise SettingsError(f"{what}[{i}] is empty (all 0), so style {i} "
                                "would apply nowhere. Fix: drop that style or "
                                "pass None for the whole image.")
        out.append(arr)
    return out if any(m is not None for m in out) else None


def masks_key(masks) -> tuple | None:
    """Return a hashable summary of ``masks`` as given (for caches)."""
    if masks is None:
        return None
    if not isinstance(masks, (list, tuple)):
        masks = [masks]
    import hashlib
    key = []
    for mask in masks:
        if mask is None or (isinstance(mask, str) and mask.lower() == "none"):
            key.append(None)
        else:
            arr = np.ascontiguousarray(as_mask(mask))
            key.append(hashlib.sha1(arr.tobytes()).hexdigest()[:16]
                       + str(arr.shape))
    return tuple(key)
