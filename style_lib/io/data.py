"""Demo images by name, and anything a user gives as a picture, as pixels:
``data.load("starry_night", max_size=512)``, ``data.as_image(x, size)``.

The catalogue (names, credits) is :mod:`style_lib.io.catalogue`, the cache and
the downloader :mod:`style_lib.io.download`; their public names are re-exported
here, so ``data.NAMES``, ``data.credit``, ``data.path`` and ``data.load`` work as
before. ``python -m style_lib.io.data [NAME ...]`` fetches them.
"""

from __future__ import annotations

import difflib
import os
import sys
from typing import Any

import numpy as np

from .catalogue import (CONTENT_NAMES, CREDITS, NAMES, STYLE_NAMES,  # noqa: F401
                        ImageCredit, UnknownImageError, check_name, credit)
from .download import (USER_AGENT, cache_dir, cache_path, download_urls,  # noqa: F401
                       fetch_all, load, path)
from ..errors import DownloadError, ImageError, SettingsError
from .images import check_pixel_range, load_image, resize_image

__all__ = ["as_image", "ImageCredit", "UnknownImageError", "NAMES", "STYLE_NAMES",
           "CONTENT_NAMES", "CREDITS", "USER_AGENT", "path", "load", "fetch_all", "credit",
           "check_name", "cache_dir", "cache_path", "download_urls"]


def as_image(image: Any, size: int | None = None) -> np.ndarray:
    """Return an ``(H, W, 3)`` float32 array in ``[0, 255]`` from what a user passes.

    Args:
      image: an array ``(H, W, 3)`` or ``(1, H, W, 3)`` (NumPy or TensorFlow)
        of numbers in ``[0, 255]``, an image file's path, or a demo name
        (:data:`NAMES`).
      size: resize so the longest side is ``size`` px (None: keep the size).

    Raises:
      ImageError: not an image, or pixel values that are not 0..255 (e.g. an
        image in 0..1, a boolean mask, a VGG-preprocessed array).
    """
    if isinstance(image, str) or hasattr(image, "__fspath__"):
        if isinstance(image, str) and image in NAMES:
            image = load(image)
        elif isinstance(image, str) and not os.path.lexists(os.path.expanduser(image)) \
                and not os.path.splitext(image)[1]:
            close = difflib.get_close_matches(image, NAMES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ImageError(
                f"{image!r} is neither an image file nor a demo image.{hint} "
                f"Demo names: {', '.join(NAMES)}.")
        else:
            image = load_image(image)
    elif hasattr(image, "numpy"):
        image = image.numpy()
    return _checked_pixels(image, size)


def _checked_pixels(image: Any, size: int | None) -> np.ndarray:
    """``image`` as float32 ``(H, W, 3)``, or ImageError naming what is wrong."""
    what = type(image).__name__
    fix = "Fix: pass e.g. 'tubingen', 'photo.jpg' or an (H, W, 3) array in 0..255."
    if image is None or isinstance(image, (dict, set, bytes)):
        raise ImageError(f"expected an image (an array, a file path or a demo name), "
                         f"got {what}. {fix}")
    try:
        array = np.asarray(image)
    except (TypeError, ValueError):          # e.g. ragged nested lists
        raise ImageError(f"expected an image array of numbers, got a {what} that "
                         f"NumPy cannot read as one. {fix}") from None
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 0:
        raise ImageError(f"expected an image (an array, a file path or a demo name), "
                         f"got {what} {image!r}. {fix}")
    if array.dtype == np.bool_:
        raise ImageError("got a boolean array: that is a mask, not an image. Fix: "
                         "pass masks as masks=..., or use mask * 255.0 as a picture.")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ImageError(f"expected an image array of numbers, got dtype {array.dtype}. "
                         f"{fix}")
    if array.ndim != 3 or array.shape[-1] != 3:
        raise SettingsError(
            f"expected an RGB image of shape (H, W, 3), got {array.shape}. Fix: for a "
            "grey image use np.stack([g] * 3, axis=-1); for RGBA, image[..., :3].")
    if array.size == 0:
        raise ImageError(f"the image is empty (shape {array.shape}). Fix: pass a "
                         f"picture of at least 16 x 16 px.")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise SettingsError("the image holds NaN or infinite values. Fix: find where "
                            "they came from, or replace them (np.nan_to_num).")
    check_pixel_range(float(array.min()), float(array.max()))
    array = np.clip(array, 0, 255)
    return resize_image(array, size) if size else array


def _main(argv: list[str] | None = None) -> int:
    """``python -m style_lib.io.data [NAME ...]``: fetch demo images into the cache."""
    from ..command_line import OneLineParser
    parser = OneLineParser(
        prog="python -m style_lib.io.data",
        description="Fetch the demo images into the cache (from "
                    "STYLE_LIB_IMAGE_MIRROR or Wikimedia Commons) and check them.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"demo images to fetch (default all: {', '.join(NAMES)})")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    args = parser.parse_args(argv)
    try:
        names = [check_name(name) for name in args.names] or list(NAMES)
    except UnknownImageError as exc:
        parser.error(str(exc))
    try:
        found = fetch_all(names, quiet=args.quiet)
    except KeyboardInterrupt:
        print("Interrupted; the images fetched so far are kept.", file=sys.stderr)
        return 130
    except (DownloadError, ImageError) as exc:
        lines = str(exc).splitlines()
        print(f"error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{len(found)} demo images ready (cache: {cache_dir()})")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
