"""Keep the photo's colours: the two linear methods of Gatys, Bethge,
Hertzmann & Shechtman, "Preserving Color in Neural Artistic Style
Transfer" (arXiv:1606.05897, 2016).

1. **Luminance-only transfer** (``stylize(..., preserve_color="luminance")``):
   style only the luminance ``Y`` of YIQ, then put the content's own
   chroma (``I``, ``Q``) back. Before the transfer the style's luminance is
   matched to the content's mean and standard deviation (paper eq. 2):
   ``Y_s' = sigma_c / sigma_s * (Y_s - mu_s) + mu_c``.
2. **Colour histogram matching** (``preserve_color="histogram"``): recolour
   the *style* image with a linear map ``x' = A x + b`` of its RGB pixels so
   that its mean and covariance equal the content's, then stylise as usual.
   ``A`` must satisfy ``A Sigma_s A^T = Sigma_c``; two choices:

   * ``method="cholesky"``: ``A = L_c L_s^{-1}`` with ``Sigma = L L^T``;
   * ``method="pca"`` (default): ``A = Sigma_c^{1/2} Sigma_s^{-1/2}`` with
     the *symmetric* square roots from an eigendecomposition -- the 3-D
     colour matching of "Image Analogies" (Hertzmann et al. 2001), which
     the note also describes.

Images are ``(H, W, 3)`` float RGB in ``[0, 255]``; YIQ uses the same
scale (``Y`` in ``[0, 255]``, ``I`` and ``Q`` signed).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import SettingsError
from ..settings import PRESERVE_COLOR, check_preserve_color  # noqa: F401 (re-exported)

__all__ = ["RGB_TO_YIQ", "YIQ_TO_RGB", "rgb_to_yiq", "yiq_to_rgb",
           "luminance", "gray3", "match_luminance", "luminance_inputs",
           "combine_luminance", "keep_photo_colors", "channel_stats", "match_histogram",
           "METHODS", "PRESERVE_COLOR"]

#: NTSC RGB -> YIQ (rows give Y, I, Q); ``Y`` is the familiar luma
#: ``0.299 R + 0.587 G + 0.114 B``.
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                       [0.595716, -0.274453, -0.321263],
                       [0.211456, -0.522591, 0.311135]], np.float64)
#: The exact inverse, so a round trip is exact up to float rounding. Its
#: first column is (1, 1, 1): adding ``d`` to ``Y`` adds ``d`` to R, G, B.
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)

#: ``match_histogram`` methods.
METHODS = ("pca", "cholesky")

_EPS = 1e-6     # ridge added to covariances (flat images are singular)


def _rgb(image, what: str = "image") -> np.ndarray:
    arr = np.asarray(image.numpy() if hasattr(image, "numpy") else image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise SettingsError(f"{what} must be an RGB image (H, W, 3), got shape "
                            f"{arr.shape}.")
    return arr.astype(np.float64)


def rgb_to_yiq(image) -> np.ndarray:
    """Return the YIQ image ``(H, W, 3)`` (float32) of an RGB image.

    Args:
      image: ``(H, W, 3)`` (or ``(..., 3)``) RGB in ``[0, 255]``.
    """
    arr = np.asarray(image, np.float64)
    if arr.shape[-1] != 3:
        raise SettingsError(f"rgb_to_yiq needs 3 channels last, got {arr.shape}.")
    return (arr @ RGB_TO_YIQ.T).astype(np.float32)


def yiq_to_rgb(image) -> np.ndarray:
    """Return the RGB image ``(H, W, 3)`` (float32, not clipped) of a YIQ image."""
    arr = np.asarray(image, np.float64)
    if arr.shape[-1] != 3:
        raise SettingsError(f"yiq_to_rgb needs 3 channels last, got {arr.shape}.")
    return (arr @ YIQ_TO_RGB.T).astype(np.float32)


def luminance(image) -> np.ndarray:
    """Return the luminance ``Y`` ``(H, W)`` of an RGB image ``(H, W, 3)``."""
    return rgb_to_yiq(_rgb(image))[..., 0]


def gray3(y) -> np.ndarray:
    """Return ``(H, W, 3)``: the luminance ``y`` ``(H, W)`` in all 3 channels,
    clipped to ``[0, 255]`` (the grey image VGG sees)."""
    y = np.clip(np.asarray(y, np.float32), 0, 255)
    return np.repeat(y[..., np.newaxis], 3, axis=-1)


def match_luminance(style_y, content_y) -> np.ndarray:
    """Return the style luminance with the content's mean and std (eq. 2).

    ``sigma_c / sigma_s * (Y_s - mu_s) + mu_c``; shapes may differ.
    """
    s = np.asarray(style_y, np.float64)
    c = np.asarray(content_y, np.float64)
    scale = c.std() / max(s.std(), 1e-8)
    return (scale * (s - s.mean()) + c.mean()).astype(np.float32)


def luminance_inputs(content, styles) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the grey images to stylise: content and matched styles.

    Args:
      content: ``(H, W, 3)`` RGB in ``[0, 255]``.
      styles: one ``(h, w, 3)`` style image or a list of them.
    Returns:
      ``(content_grey, [style_grey, ...])``, each ``(., ., 3)`` with equal
      channels; each style's luminance is matched to the content's.
    """
    y_c = luminance(content)
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    greys = [gray3(match_luminance(luminance(s), y_c)) for s in style_list]
    return gray3(y_c), greys


def combine_luminance(stylised, content) -> np.ndarray:
    """Return RGB with the luminance of ``stylised`` and the chroma of ``content``.

    The ``I`` and ``Q`` channels of the result are the content's, exactly (up
    to float rounding): instead of clipping R, G, B -- which would shift the
    colour -- ``Y`` is limited per pixel to the range where all three stay in
    ``[0, 255]`` for that pixel's chroma (never empty: the content's own
    ``Y`` lies in it).

    Args:
      stylised: ``(H, W, 3)`` result of stylising the grey content.
      content: ``(H, W, 3)`` RGB content at the same size.
    """
    stylised, content = _rgb(stylised, "stylised"), _rgb(content, "content")
    if stylised.shape != content.shape:
        raise SettingsError(f"stylised {stylised.shape} and content "
                            f"{content.shape} must have the same shape.")
    y = (stylised @ RGB_TO_YIQ.T)[..., 0]
    iq = (content @ RGB_TO_YIQ.T)[..., 1:]
    chroma = iq @ YIQ_TO_RGB[:, 1:].T          # what I, Q add to R, G, B
    low = np.max(-chroma, axis=-1)
    high = np.min(255.0 - chroma, axis=-1)
    y = np.clip(y, low, np.maximum(low, high))
    rgb = y[..., np.newaxis] * YIQ_TO_RGB[:, 0] + chroma
    return np.clip(rgb, 0.0, 255.0).astype(np.float32)   # clip: rounding only


def keep_photo_colors(stylised, content) -> np.ndarray:
    """Return ``stylised`` in the photo's colours: luminance-only transfer after the fact.

    For a picture already made (a fast network's): its luminance ``Y``,
    matched to the photo's mean and standard deviation (eq. 2 applied to the
    result instead of the painting), with the photo's chroma ``I, Q``
    (:func:`combine_luminance`). Shapes ``(H, W, 3)``, RGB in ``[0, 255]``.
    """
    stylised, content = _rgb(stylised, "stylised"), _rgb(content, "content")
    if stylised.shape != content.shape:
        raise SettingsError(f"stylised {stylised.shape} and content "
                            f"{content.shape} must have the same shape.")
    y = match_luminance(luminance(stylised), luminance(content))
    return combine_luminance(gray3(y), content)


def channel_stats(image) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean ``(3,)`` and covariance ``(3, 3)`` of an image's RGB pixels."""
    pixels = _rgb(image).reshape(-1, 3)
    return pixels.mean(axis=0), np.cov(pixels, rowvar=False, bias=True)


def _sym_sqrt(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    values, vectors = np.linalg.eigh(cov)
    values = np.maximum(values, _EPS)
    power = -0.5 if inverse else 0.5
    return (vectors * values ** power) @ vectors.T


def match_histogram(style, content, method: str = "pca", *,
                    clip: bool = True) -> np.ndarray:
    """Return the style image recoloured to the content's colour statistics.

    ``x' = A (x - mu_s) + mu_c`` for every RGB pixel ``x`` of the style,
    with ``A Sigma_s A^T = Sigma_c``, so the result has the content's mean
    and covariance (exactly when ``clip=False``).

    Args:
      style: ``(h, w, 3)`` RGB in ``[0, 255]``, the image to recolour.
      content: ``(H, W, 3)`` RGB whose colours to copy.
      method: ``"pca"`` -- ``A = Sigma_c^{1/2} Sigma_s^{-1/2}``, symmetric
        square roots (Image Analogies' colour matching); or ``"cholesky"``
        -- ``A = L_c L_s^{-1}``.
      clip: clip to ``[0, 255]`` (moves the statistics slightly).
    """
    if method not in METHODS:
        raise SettingsError(f"method must be one of {METHODS}, not {method!r}.")
    pixels = _rgb(style, "style")
    mu_s, cov_s = channel_stats(pixels)
    mu_c, cov_c = channel_stats(content)
    ridge = _EPS * np.eye(3)
    if method == "pca":
        a = _sym_sqrt(cov_c + ridge) @ _sym_sqrt(cov_s + ridge, inverse=True)
    else:
        l_c = np.linalg.cholesky(cov_c + ridge)
        l_s = np.linalg.cholesky(cov_s + ridge)
        a = l_c @ np.linalg.inv(l_s)
    out = (pixels - mu_s) @ a.T + mu_c
    if clip:
        out = np.clip(out, 0.0, 255.0)
    return out.astype(np.float32)


def preserve_inputs(content: np.ndarray, styles: Sequence[np.ndarray],
                    mode: str, method: str = "pca"):
    """Return ``(content, styles)`` to stylise for a ``preserve_color`` mode.

    ``"luminance"``: grey content and luminance-matched grey styles;
    ``"histogram"``: the content unchanged and recoloured styles.
    """
    check_preserve_color(mode)
    if mode == "luminance":
        return luminance_inputs(content, list(styles))
    if mode == "histogram":
        return content, [match_histogram(s, content, method) for s in styles]
    return content, list(styles)
