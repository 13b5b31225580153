"""Load, save and show images as float32 arrays of shape (H, W, 3) in [0, 255].

Errors raise :class:`style_lib.errors.ImageError` with a message that names the
file, the problem and the fix.
"""

from __future__ import annotations

import errno
import io
import math
import os
import secrets
import stat
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError, SettingsError
from ..files import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "resize_image",
    "MIN_SIDE",
    "MAX_PIXELS",
    "MAX_SIZE_LIMIT",
    "SAVE_FORMATS",
    "load_image",
    "check_output_path",
    "check_pixel_range",
    "save_image",
    "to_uint8",
    "image_size",
    "show_images",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Smallest accepted side of an input image, in pixels.
MIN_SIDE = 16
#: Largest accepted input image, in pixels (width * height). Guards against
#: decompression bombs and against photos far too big for style transfer.
MAX_PIXELS = 50_000_000
#: Largest accepted ``max_size``.
MAX_SIZE_LIMIT = 8192
#: Output suffix -> Pillow format name.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "PNG": {},
    "JPEG": {"quality": 95},
    "WEBP": {"quality": 95},
}


# --------------------------------------------------------------------------- load


def _check_max_size(max_size: object) -> int | None:
    if max_size is None:
        return None
    if isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer)):
        raise SettingsError(
            f"max_size must be a whole number of pixels or None, got {max_size!r}; "
            f"pass e.g. max_size=512."
        )
    if not MIN_SIDE <= max_size <= MAX_SIZE_LIMIT:
        raise SettingsError(
            f"max_size={max_size} is out of range; use a value between {MIN_SIDE} "
            f"and {MAX_SIZE_LIMIT} pixels (e.g. 512)."
        )
    return int(max_size)


def _too_large(path: Path, size: tuple[int, int] | None) -> ImageError:
    dims = f" ({size[0]}×{size[1]} px)" if size else ""
    return ImageError(
        f"{path} is too large to load{dims}; the limit is {MAX_PIXELS // 1_000_000} "
        f"megapixels. Resize it to under 4000 px on the longest side and try again."
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB; transparency is composited over white."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    elif mode in ("LA", "PA", "La", "RGBa"):
        img = img.convert("RGBA")
        mode = "RGBA"
    elif mode in ("L", "1") and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode == "RGBA":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, img).convert("RGB")
    if mode == "RGB":
        return img
    if mode.startswith("I;16") or mode in ("I", "F"):
        return Image.fromarray(_high_depth_to_uint8(np.asarray(img), mode)).convert("RGB")
    # L, 1, CMYK, YCbCr, HSV, ...
    return img.convert("RGB")


def _high_depth_to_uint8(arr: np.ndarray, mode: str) -> np.ndarray:
    """Scale a 16-bit, 32-bit integer or float grey image to uint8 (no clipping)."""
    a = arr.astype(np.float64)
    if mode.startswith("I;16"):
        scaled = a * (255.0 / 65535.0)
    else:
        finite = a[np.isfinite(a)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 0.0
        if mode == "F" and lo >= 0.0 and hi <= 1.0:
            scaled = a * 255.0  # float image in [0, 1]
        elif lo >= 0.0 and hi <= 255.0:
            scaled = a  # already 8-bit values
        elif lo >= 0.0 and hi <= 65535.0:
            scaled = a * (255.0 / 65535.0)  # 16-bit values stored as 32-bit
        else:
            scaled = (a - lo) * (255.0 / (hi - lo))  # arbitrary range: stretch
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _resize_longest(img: Image.Image, max_size: int) -> Image.Image:
    w, h = img.size
    if w >= h:
        new = (max_size, max(1, round(h * max_size / w)))
    else:
        new = (max(1, round(w * max_size / h)), max_size)
    if new == img.size:
        return img
    return img.resize(new, Image.Resampling.LANCZOS)


def _check_input_file(p: Path) -> os.stat_result:
    """Return ``p``'s stat if it is a regular file, else raise ImageError (never
    opens it: opening a named pipe would wait forever for a writer)."""
    if str(p).startswith(("http:/", "https:/")):   # Path has made "//" into "/"
        raise ImageError(
            f"{p} looks like a web address; style_lib does not download images. "
            f"Fix: save the image, then pass the file's path.")
    try:
        st = p.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageError(
                f"{p} is a symbolic link that points back to itself (a link loop); "
                f"point it at an image file, or pass the image's real path.") from None
        if isinstance(exc, PermissionError):
            raise ImageError(f"{p} cannot be read (permission denied); check the "
                             f"permissions of the file and its folders.") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise ImageError(f"{str(p)[:60]}... is not a usable file name (too long "
                             f"for the file system); rename the file.") from None
        dangling = " (a symbolic link to a missing file)" if p.is_symlink() else ""
        raise ImageError(
            f"Image file not found: {p}{dangling} (working directory: {Path.cwd()}). "
            f"Check the spelling and folder, or use an absolute path.") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise ImageError(f"{p} is a folder, not an image file; pass the path of an image inside it.")
    if not stat.S_ISREG(mode):
        kind = "a named pipe" if stat.S_ISFIFO(mode) else \
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise ImageError(f"{p} is {kind}, not an image file; save the image to a "
                         f"file and pass that file's path.")
    return st


def load_image(path: PathLike, max_size: int | None = None) -> np.ndarray:
    """Read an image file as a float32 array of shape (H, W, 3) with values in [0, 255].

    EXIF orientation is applied; grey, palette, alpha (composited over white),
    CMYK and 16-bit images become RGB. With ``max_size`` the image is resized
    (LANCZOS, aspect kept, up or down) so its longest side equals ``max_size``.

    Raises:
        ImageError: missing, empty, unreadable, damaged, too small or too large file.
        SettingsError: ``max_size`` is not an int in [16, 8192].
    """
    max_size = _check_max_size(max_size)
    try:
        p = Path(os.fspath(path)).expanduser()
    except TypeError:
        raise SettingsError(
            f"Expected a file path (str or pathlib.Path), got {type(path).__name__}; "
            f"pass the path of an image file."
        ) from None

    if _check_input_file(p).st_size == 0:
        raise ImageError(
            f"{p} is empty (0 bytes), probably an interrupted download or copy; "
            f"download or copy it again."
        )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as img:
                if img.size[0] * img.size[1] > MAX_PIXELS:
                    raise _too_large(p, img.size)
                img.load()  # force a full decode so truncated files fail here
                try:
                    img = ImageOps.exif_transpose(img)
                except Exception:  # broken EXIF: keep the pixels as stored
                    pass
                w, h = img.size
                if min(w, h) < MIN_SIDE:
                    raise ImageError(
                        f"{p} is only {w}×{h} px; images must be at least {MIN_SIDE} px "
                        f"on each side. Use a larger image."
                    )
                try:
                    rgb = _to_rgb(img)
                except (ValueError, OSError) as exc:
                    raise ImageError(
                        f"{p} uses the colour mode {img.mode!r}, which cannot be converted "
                        f"to RGB ({exc}); re-save it as an RGB PNG or JPEG."
                    ) from exc
                if max_size is not None:
                    rgb = _resize_longest(rgb, max_size)
                return np.asarray(rgb, dtype=np.float32).copy()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(p, None) from None
    except UnidentifiedImageError:
        raise ImageError(
            f"{p} is not an image file Pillow can read (perhaps a web page or text saved "
            f"with an image extension); use a real PNG, JPEG or WebP file."
        ) from None
    except PermissionError:
        raise ImageError(f"{p} cannot be read (permission denied); check the file's permissions.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"{p} is damaged or truncated and cannot be decoded ({exc}); "
            f"download or export it again."
        ) from exc


def image_size(image: PathLike | Any) -> tuple[int, int]:
    """Return (height, width) of an image file (header only) or of an array (H, W, C) / (1, H, W, C)."""
    if isinstance(image, (str, os.PathLike)):
        p = Path(os.fspath(image)).expanduser()
        try:
            with Image.open(p) as img:
                w, h = img.size
                if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # EXIF says rotate 90°
                    w, h = h, w
        except FileNotFoundError:
            raise ImageError(f"Image file not found: {p}; check the spelling and folder.") from None
        except (OSError, UnidentifiedImageError) as exc:
            raise ImageError(f"{p} is not a readable image ({exc}); use a PNG, JPEG or WebP file.") from None
        return h, w
    shape = np.shape(image)
    if len(shape) == 4 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) not in (2, 3):
        raise ImageError(f"Expected an image of shape (H, W, 3) or (1, H, W, 3), got shape {tuple(shape)}.")
    return int(shape[0]), int(shape[1])


# --------------------------------------------------------------------------- save


def to_uint8(image: Any) -> np.ndarray:
    """Convert an image to a uint8 array of shape (H, W, 3).

    Accepts numpy arrays or tensors (anything with ``.numpy()`` or ``__array__``)
    of shape (H, W, 3), (1, H, W, 3), (H, W) or (H, W, 1). Float values are taken
    to be in [0, 255]; they are clipped and rounded.
    """
    if hasattr(image, "numpy") and callable(image.numpy):
        image = image.numpy()
    arr = np.asarray(image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(
            f"Expected an image of shape (H, W, 3) or (1, H, W, 3), got shape {np.shape(image)}; "
            f"for a batch, pass one image at a time (e.g. images[0])."
        )
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if not np.issubdtype(arr.dtype, np.number):
        raise ImageError(f"Expected a numeric image array, got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ImageError(
            "The image contains NaN or infinite values (the optimisation probably diverged); "
            "lower the learning rate or the loss weights and run again."
        )
    return np.clip(np.rint(arr.astype(np.float64)), 0, 255).astype(np.uint8)


def check_pixel_range(low: float, high: float) -> None:
    """Raise ImageError unless pixel values ``low..high`` lie in 0..255 (within
    a rounding margin): catches images in 0..1, VGG-preprocessed arrays, 16-bit data."""
    if low >= -1 and high <= 256:
        if 0 < high <= 1:
            raise ImageError(
                f"pixel values are in 0..1 (largest {high:.3g}); style_lib expects "
                f"0..255. Fix: pass image * 255.")
        return
    hint = ("It looks VGG-preprocessed (mean-subtracted). Fix: pass the picture "
            "before preprocessing." if low < -1 and high < 256 else
            "Fix: for a 16-bit image divide by 257." if high <= 65535 else
            "Fix: scale it to 0..255, e.g. image * (255 / image.max()).")
    raise ImageError(f"pixel values range from {low:.4g} to {high:.4g}; style_lib "
                     f"expects 0..255. {hint}")


def same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):     # RuntimeError: a symbolic-link loop
        return False


def check_output_path(path: PathLike, *, inputs: Iterable[PathLike] = (),
                      overwrite: bool = True) -> Path:
    """Return the output path if an image can be saved there, else raise ImageError.

    Checks the suffix, that no input would be overwritten, that the folder
    exists and is writable and, with ``overwrite=False``, that no file of that
    name exists. ``save_image`` calls it; call it early to fail fast.
    """
    try:
        out = Path(os.fspath(path)).expanduser()
    except TypeError:
        raise SettingsError(
            f"Expected an output file path (str or pathlib.Path), got "
            f"{type(path).__name__}; pass a name such as 'result.png'.") from None
    try:
        return _check_output_path(out, inputs, overwrite)
    except ImageError:
        raise
    except (OSError, ValueError) as exc:   # e.g. a name too long, a NUL character
        shown = str(out) if len(str(out)) <= 80 else str(out)[:60] + "..."
        reason = getattr(exc, "strerror", None) or exc
        raise ImageError(f"Cannot save {shown}: {reason}; choose another output "
                         f"name.") from None


def _check_output_path(out: Path, inputs: Iterable[PathLike], overwrite: bool) -> Path:
    fmt = SAVE_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ImageError(
            f"Cannot save {out}: unknown image suffix {out.suffix or '(none)'!r}; "
            f"end the file name with .png, .jpg or .webp."
        )
    for inp in inputs:
        if same_file(out, Path(os.fspath(inp)).expanduser()):
            raise ImageError(
                f"Refusing to save: {out} would overwrite the input image {inp}; "
                f"choose another output name."
            )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise ImageError(
            f"Cannot save {out}: the folder {parent} does not exist; create it first "
            f"(e.g. Path({str(parent)!r}).mkdir(parents=True)) or choose another folder."
        )
    if not parent.is_dir():
        raise ImageError(f"Cannot save {out}: {parent} is a file, not a folder; choose another output path.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ImageError(
            f"Cannot save {out}: the folder {parent} is not writable; "
            f"choose a folder you can write to (e.g. in your home directory)."
        )
    if out.is_dir():
        raise ImageError(f"Cannot save {out}: it is a folder; add a file name such as result.png.")
    if not overwrite and os.path.lexists(out):
        raise ImageError(f"{out} already exists and is kept; choose another output "
                         f"name, or allow replacing it (--overwrite, overwrite=True).")
    return out


def _saved_pixels(image: Any) -> np.ndarray:
    """``image`` as a NumPy array, refused if its float pixels are not 0..255
    (e.g. an image in 0..1 would be saved black without a word)."""
    if hasattr(image, "numpy") and callable(image.numpy):
        image = image.numpy()
    arr = np.asarray(image)
    if np.issubdtype(arr.dtype, np.floating) and arr.size and np.isfinite(arr).all():
        check_pixel_range(float(arr.min()), float(arr.max()))
    return arr


def save_image(image: Any, path: PathLike, *, inputs: Iterable[PathLike] = (),
               overwrite: bool = True) -> Path:
    """Write an image (H, W, 3) / (1, H, W, 3) in [0, 255] atomically; return the path.

    The format follows the suffix (.png, .jpg/.jpeg, .webp). The parent folder
    must exist. Refuses to overwrite any file listed in ``inputs`` and, with
    ``overwrite=False``, any existing file (also one that appears while the
    image is written). The file is written to a temporary name in the same
    folder and then renamed, so a failed write never leaves a partial file.
    """
    out = check_output_path(path, inputs=inputs, overwrite=overwrite)
    fmt = SAVE_FORMATS[out.suffix.lower()]
    pil = Image.fromarray(to_uint8(_saved_pixels(image)))
    try:
        with atomic_path(out, overwrite=overwrite) as tmp:
            with open(tmp, "xb") as fh:
                pil.save(fh, format=fmt, **_SAVE_OPTIONS[fmt])
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException as exc:
        if isinstance(exc, FileExistsError):
            raise ImageError(f"{out} appeared while the image was being written "
                             f"and is kept; choose another output name.") from None
        if isinstance(exc, (OSError, ValueError, KeyError)):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ImageError(f"Could not write {out} ({reason}); check free disk "
                             f"space and permissions.") from exc
        raise
    return out


# --------------------------------------------------------------------------- show


def resize_image(image: Any, size: int) -> np.ndarray:
    """Return ``image`` ``(H, W, 3)`` resized so its longest side is ``size``.

    Lanczos with antialiasing (TensorFlow's), values clipped to ``[0, 255]``;
    the array itself when it already has that size.
    """
    import tensorflow as tf
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise SettingsError(f"size must be a whole number of pixels >= 1, got {size!r}. "
                            f"Fix: e.g. 256.")
    image = np.asarray(image, np.float32)
    if image.ndim == 4:
        image = image[0]
    if image.ndim != 3 or image.shape[-1] != 3:
        raise SettingsError(f"expected an RGB image of shape (H, W, 3), got "
                            f"{image.shape}. Fix: load it with "
                            "style_lib.io.images.load_image.")
    h, w = image.shape[:2]
    scale = size / max(h, w)
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    if new == (h, w):
        return image
    out = tf.image.resize(image, new, method="lanczos3", antialias=True)
    return np.clip(out.numpy(), 0, 255).astype(np.float32)


def show_images(
    images: Mapping[str, Any] | Sequence[Any] | Any,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
) -> "Figure":
    """Show images (each (H, W, 3) in [0, 255], float or uint8) in a titled grid.

    ``images`` is a list of images, a dict ``title -> image``, one image, or a
    batch (N, H, W, 3). ``size`` is the width of one panel in inches. Returns the
    matplotlib Figure (a pyplot figure: Jupyter shows it automatically, so end the
    line with ``;`` or assign the result to avoid a second copy).
    """
    import matplotlib.pyplot as plt  # lazy: keep `import style_lib` cheap

    if isinstance(images, Mapping):
        if titles is not None:
            raise SettingsError("Pass titles either as dict keys or as titles=..., not both.")
        titles = [str(k) for k in images]
        items = list(images.values())
    elif isinstance(images, (list, tuple)):
        items = list(images)
    else:
        arr = images.numpy() if hasattr(images, "numpy") else np.asarray(images)
        items = list(arr) if np.ndim(arr) == 4 else [arr]
    if not items:
        raise SettingsError("show_images() got no images; pass at least one.")
    if titles is not None:
        titles = list(titles)
        if len(titles) != len(items):
            raise SettingsError(f"Got {len(items)} images but {len(titles)} titles; pass one title per image.")
    arrays = [to_uint8(im) for im in items]

    n = len(arrays)
    ncols = min(n, 4) if ncols is None else int(ncols)
    if ncols < 1:
        raise SettingsError(f"ncols must be at least 1, got {ncols}.")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    aspect = float(np.median([a.shape[0] / a.shape[1] for a in arrays]))
    title_room = 0.35 if titles else 0.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, (size * aspect + title_room) * nrows + (0.4 if suptitle else 0.0)),
        squeeze=False,
        constrained_layout=True,
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(arrays[i])
            if titles:
                ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def save_new_image(image: Any, path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Path:
    """Save like :func:`save_image`, but never over an existing file; return the path.

    ``path`` itself is checked as in the CLI (:func:`check_output_path`: suffix,
    folder, and a one-line refusal if it is one of ``inputs``). If a file of that
    name exists, ``stem-2``, ``stem-3``, ... are tried instead. The picture is
    written to a temporary file once and hard-linked to the first free name, so
    no existing file is replaced even by a concurrent writer.
    """
    inputs = list(inputs)
    out = check_output_path(path, inputs=inputs)
    stem, suffix = out.stem, out.suffix
    partial = out.with_name(f".{stem}.{secrets.token_hex(4)}.partial{suffix}")
    try:
        tmp = save_image(image, partial, inputs=inputs)
    except ImageError as exc:       # name the file asked for, not the temporary one
        raise ImageError(str(exc).replace(str(partial), str(out))) from None
    try:
        for n in range(1, 1000):
            target = out if n == 1 else out.with_name(f"{stem}-{n}{suffix}")
            try:
                os.link(tmp, target)  # atomic; fails if the name exists
                return target
            except FileExistsError:
                continue
            except OSError as exc:  # no hard links on this file system: best effort
                if target.exists():
                    continue
                try:
                    os.replace(tmp, target)
                except OSError:
                    raise ImageError(f"Could not write {target} ({exc.strerror or exc}); "
                                     f"check free disk space and permissions.") from None
                return target
        raise ImageError(f"{out.parent} already holds 999 files named {stem}-N{suffix}; choose another folder.")
    finally:
        tmp.unlink(missing_ok=True)


__all__ += ["save_new_image"]


def to_srgb(img: Image.Image) -> Image.Image:
    """``img`` in sRGB: an embedded colour profile (e.g. Adobe RGB) is converted,
    then any mode becomes RGB."""
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "CMYK"):
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" not in ImageCms.getProfileDescription(src).lower():
                return ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # no LittleCMS or a broken profile: use the pixels as they are
            pass
    return _to_rgb(img)
