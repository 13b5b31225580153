"""Demo images by name: ``data.load("starry_night", max_size=512)``.

chelsea, coffee and rocket ship with the project (``images/``). The paintings
and the Tübingen photo are downloaded from Wikimedia Commons on first use,
resized to at most 1024 px and cached (see :func:`cache_dir`).

Environment variables:
    STYLE_LIB_CACHE          cache folder (default ``$XDG_CACHE_HOME/style_lib/images``
                             or ``~/.cache/style_lib/images``)
    STYLE_LIB_IMAGE_MIRROR   folder or http(s)/file URL holding ``<name>.jpg``/``.png``
                             files; used instead of Wikimedia Commons
    STYLE_LIB_OFFLINE=1      never use the network (only the cache or the mirror)
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from .config import offline
from .errors import DownloadError, ImageError, SettingsError
from .files import atomic_path, write_text
from .images import check_pixel_range, load_image, resize_image

__all__ = [
    "as_image",
    "ImageCredit",
    "UnknownImageError",
    "NAMES",
    "STYLE_NAMES",
    "CONTENT_NAMES",
    "CREDITS",
    "USER_AGENT",
    "path",
    "load",
    "fetch_all",
    "credit",
    "check_name",
    "cache_dir",
    "cache_path",
    "download_urls",
]

log = logging.getLogger(__name__)

#: Sent with every request (Wikimedia refuses generic User-Agents).
USER_AGENT = (
    "style-transfer-notebooks/0.1 "
    "(teaching notebooks; https://github.com/style-transfer-notebooks) Python-urllib"
)
TIMEOUT = 30.0  # seconds per request
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
CACHE_MAX_SIDE = 1024  # cached images are at most this many px on the longest side
CACHE_SUFFIX = ".jpg"  # cached images are always stored as JPEG
CACHE_JPEG_QUALITY = 92
MIRROR_SUFFIXES = (".jpg", ".png", ".jpeg")

#: Where Wikimedia serves files; tests point these at a local server.
UPLOAD_BASE = "https://upload.wikimedia.org"
EN_WIKIPEDIA_BASE = "https://en.wikipedia.org"
#: Thumbnail widths Wikimedia still renders (others get HTTP 429).
STANDARD_WIDTHS = (20, 40, 60, 120, 250, 330, 500, 960, 1280, 1920, 3840)

_REPO_IMAGES = Path(__file__).resolve().parent.parent / "images"
_PD = "Public domain"


@dataclass(frozen=True)
class ImageCredit:
    """Who made a demo image, under which licence, and where it comes from."""

    name: str
    title: str
    artist: str
    year: str  # free text ("1889", "c. 1830–1832"); "" if unknown
    licence: str
    source_url: str  # page describing the original (Commons file page, ...)
    commons_file: str | None  # Wikimedia file name, None if not from Wikimedia
    filename: str  # local file name (in images/ or in the cache)


@dataclass(frozen=True)
class _Remote:
    commons_file: str
    thumb_width: int | None = None  # None: fetch the original
    project: str = "commons"  # upload path project ("commons" or "en")


def _commons_page(file: str) -> str:
    return "https://commons.wikimedia.org/wiki/File:" + urllib.parse.quote(file)


def _c(name, title, artist, year, licence, source_url, commons_file, filename=None) -> ImageCredit:
    return ImageCredit(
        name, title, artist, year, licence, source_url, commons_file, filename or name + CACHE_SUFFIX
    )


_REMOTE: dict[str, _Remote] = {
    "starry_night": _Remote("Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg", 1280),
    "the_scream": _Remote("The_Scream.jpg"),
    "shipwreck": _Remote("Shipwreck_turner.jpg"),
    "great_wave": _Remote("The_Great_Wave_off_Kanagawa.jpg"),
    "composition_vii": _Remote("Vassily_Kandinsky,_1913_-_Composition_7.jpg"),
    "woman_with_hat": _Remote("Matisse-Woman-with-a-Hat.jpg", project="en"),
    "san_giorgio_maggiore_at_dusk": _Remote("Claude_Monet,_Saint-Georges_majeur_au_crépuscule.jpg"),
    "the_kiss": _Remote("The_Kiss_-_Gustav_Klimt_-_Google_Cultural_Institute.jpg", 1280),
    "tubingen": _Remote("Tuebingen_Neckarfront.jpg"),
}

_CREDIT_LIST = [
    _c("starry_night", "The Starry Night", "Vincent van Gogh", "1889", _PD,
       _commons_page(_REMOTE["starry_night"].commons_file), _REMOTE["starry_night"].commons_file),
    _c("the_scream", "The Scream", "Edvard Munch", "1893", _PD,
       _commons_page("The_Scream.jpg"), "The_Scream.jpg"),
    _c("shipwreck", "The Wreck of a Transport Ship (The Shipwreck of the Minotaur)",
       "J. M. W. Turner", "c. 1810", _PD,
       _commons_page("Shipwreck_turner.jpg"), "Shipwreck_turner.jpg"),
    _c("great_wave", "The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1830–1832", _PD,
       _commons_page("The_Great_Wave_off_Kanagawa.jpg"), "The_Great_Wave_off_Kanagawa.jpg"),
    _c("composition_vii", "Composition VII", "Wassily Kandinsky", "1913", _PD,
       _commons_page(_REMOTE["composition_vii"].commons_file), _REMOTE["composition_vii"].commons_file),
    _c("woman_with_hat", "Woman with a Hat", "Henri Matisse", "1905", _PD,
       "https://en.wikipedia.org/wiki/File:Matisse-Woman-with-a-Hat.jpg", "Matisse-Woman-with-a-Hat.jpg"),
    _c("san_giorgio_maggiore_at_dusk", "San Giorgio Maggiore at Dusk", "Claude Monet", "1908–1912", _PD,
       _commons_page(_REMOTE["san_giorgio_maggiore_at_dusk"].commons_file),
       _REMOTE["san_giorgio_maggiore_at_dusk"].commons_file),
    _c("the_kiss", "The Kiss", "Gustav Klimt", "1907–1908", _PD,
       _commons_page(_REMOTE["the_kiss"].commons_file), _REMOTE["the_kiss"].commons_file),
    _c("tubingen", "Tübingen, Neckarfront", "Andreas Praefcke", "", "CC BY 3.0",
       _commons_page("Tuebingen_Neckarfront.jpg"), "Tuebingen_Neckarfront.jpg"),
    _c("chelsea", "Chelsea the cat", "Stefan van der Walt", "2009", "CC0",
       "https://scikit-image.org/docs/stable/api/skimage.data.html#skimage.data.chelsea", None, "chelsea.png"),
    _c("coffee", "Coffee cup (courtesy of Pikolo Espresso Bar)", "Rachel Michetti", "", "CC0",
       "https://scikit-image.org/docs/stable/api/skimage.data.html#skimage.data.coffee", None, "coffee.png"),
    _c("rocket", "Launch of DSCOVR on a Falcon 9", "SpaceX", "2015", _PD,
       "https://www.flickr.com/photos/spacexphotos/16511594820/", None, "rocket.jpg"),
]

#: name -> credit, for all demo images.
CREDITS: dict[str, ImageCredit] = {c.name: c for c in _CREDIT_LIST}
STYLE_NAMES: tuple[str, ...] = (
    "starry_night", "the_scream", "shipwreck", "great_wave", "composition_vii",
    "woman_with_hat", "san_giorgio_maggiore_at_dusk", "the_kiss",
)
CONTENT_NAMES: tuple[str, ...] = ("tubingen", "chelsea", "coffee", "rocket")
NAMES: tuple[str, ...] = STYLE_NAMES + CONTENT_NAMES
_COMMITTED = frozenset({"chelsea", "coffee", "rocket"})


class UnknownImageError(ImageError, KeyError):
    """The name is not one of :data:`NAMES`."""

    def __str__(self) -> str:  # KeyError would otherwise add quotes
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- helpers


def check_name(name: object, names: tuple[str, ...] | None = None,
               what: str = "demo image") -> str:
    """Return ``name`` if it is one of ``names`` (default :data:`NAMES`), else raise
    :class:`UnknownImageError` suggesting the closest name."""
    names = NAMES if names is None else names
    if isinstance(name, str) and name in names:
        return name
    close = difflib.get_close_matches(str(name).lower().replace(" ", "_").replace("-", "_"), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownImageError(f"Unknown {what} {name!r}.{hint} Valid names: {', '.join(names)}.")



def cache_dir() -> Path:
    """Folder for downloaded images: $STYLE_LIB_CACHE, else $XDG_CACHE_HOME/style_lib/images,
    else ~/.cache/style_lib/images. Not created here."""
    env = os.environ.get("STYLE_LIB_CACHE", "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "style_lib" / "images"


def cache_path(name: str) -> Path:
    """Where ``name`` lives locally (committed file for chelsea/coffee/rocket, else the cache)."""
    name = check_name(name)
    if name in _COMMITTED:
        return _REPO_IMAGES / CREDITS[name].filename
    return cache_dir() / (name + CACHE_SUFFIX)


def _wikimedia_url(file_name: str, *, width: int | None = None, project: str = "commons") -> str:
    """Upload URL of a Wikimedia file (original, or a thumbnail ``width`` px wide).

    The directory is ``h[0]/h[0:2]`` with ``h = md5(name with spaces as underscores)``.
    """
    name = file_name.replace(" ", "_")
    h = hashlib.md5(name.encode("utf-8")).hexdigest()
    quoted = urllib.parse.quote(name)
    base = f"{UPLOAD_BASE}/wikipedia/{project}"
    if width is None:
        return f"{base}/{h[0]}/{h[:2]}/{quoted}"
    if width not in STANDARD_WIDTHS:
        raise SettingsError(
            f"Wikimedia only serves thumbnails at {STANDARD_WIDTHS} px wide, not {width}; pick one of those."
        )
    return f"{base}/thumb/{h[0]}/{h[:2]}/{quoted}/{width}px-{quoted}"


def download_urls(name: str) -> list[str]:
    """Wikimedia URLs tried, in order, to download ``name`` ([] for committed images)."""
    name = check_name(name)
    remote = _REMOTE.get(name)
    if remote is None:
        return []
    if remote.project == "en":
        # Hosted on en.wikipedia (or moved to Commons): Special:FilePath resolves both.
        quoted = urllib.parse.quote(remote.commons_file)
        return [
            f"{EN_WIKIPEDIA_BASE}/wiki/Special:FilePath/{quoted}",
            _wikimedia_url(remote.commons_file, project="commons"),
            _wikimedia_url(remote.commons_file, project="en"),
        ]
    return [_wikimedia_url(remote.commons_file, width=remote.thumb_width)]


def _mirror() -> str | None:
    value = os.environ.get("STYLE_LIB_IMAGE_MIRROR", "").strip()
    return value or None


def _mirror_candidates(mirror: str, name: str) -> list[str]:
    """Local paths or URLs to try for ``name`` in a mirror."""
    scheme = urllib.parse.urlsplit(mirror).scheme.lower()
    if scheme in ("http", "https", "file"):
        base = mirror if mirror.endswith("/") else mirror + "/"
        return [base + urllib.parse.quote(name + ext) for ext in MIRROR_SUFFIXES]
    folder = Path(mirror).expanduser()
    return [str(folder / (name + ext)) for ext in MIRROR_SUFFIXES]


def _manual_fix(name: str, url: str | None) -> str:
    where = f"download it in a browser from {url} and save it as {cache_path(name)}" if url else \
        f"save the image as {cache_path(name)}"
    return f"To fix: {where}, or set STYLE_LIB_IMAGE_MIRROR to a folder holding {name}.jpg."


class _NotFound(Exception):
    """The mirror does not have this file under this name (try the next suffix)."""


def _fetch_url(url: str) -> bytes:
    """GET ``url`` (http(s) or file) and return the body; raise OSError-style errors."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
        data = resp.read(MAX_DOWNLOAD_BYTES + 1)
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise OSError(f"the file is larger than {MAX_DOWNLOAD_BYTES // 2**20} MB")
    return data


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s (timed out)"
    return f"{type(exc).__name__}: {exc}"


def _decode(data: bytes) -> Image.Image:
    """Open and fully decode a downloaded payload; return an RGB image ≤ CACHE_MAX_SIDE px."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        if img.format == "JPEG":
            img.draft("RGB", (CACHE_MAX_SIDE, CACHE_MAX_SIDE))  # cheap downscale while decoding
        img.load()
    img = ImageOps.exif_transpose(img)
    img = _to_srgb(img)
    if max(img.size) > CACHE_MAX_SIDE:
        img.thumbnail((CACHE_MAX_SIDE, CACHE_MAX_SIDE), Image.Resampling.LANCZOS)
    return img


def _to_srgb(img: Image.Image) -> Image.Image:
    from .images import _to_rgb

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


def _store(name: str, img: Image.Image, origin: str) -> Path:
    """Write image + sidecar JSON into the cache atomically."""
    dest = cache_path(name)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"Cannot create the image cache folder {dest.parent} ({exc}); "
            f"set STYLE_LIB_CACHE to a writable folder."
        ) from exc
    try:
        with atomic_path(dest) as tmp:
            img.save(tmp, format="JPEG", quality=CACHE_JPEG_QUALITY)
    except OSError as exc:
        raise DownloadError(
            f"Cannot write {dest} ({exc}); check free disk space or set STYLE_LIB_CACHE to a writable folder."
        ) from exc
    _write_sidecar(name, origin, img.size)
    return dest


def _write_sidecar(name: str, origin: str | None, size: tuple[int, int] | None) -> None:
    dest = cache_path(name)
    meta = asdict(CREDITS[name])
    meta.update(
        downloaded_from=origin,
        retrieved=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        width=size[0] if size else None,
        height=size[1] if size else None,
    )
    try:
        write_text(dest.with_suffix(".json"), json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    except OSError:  # the sidecar is informative only
        pass


def _download(name: str) -> Path:
    """Fetch ``name`` from the mirror or Wikimedia into the cache."""
    mirror = _mirror()
    urls = download_urls(name)
    if mirror is None and offline():
        raise DownloadError(
            f"{name} is not in the cache ({cache_path(name)}) and STYLE_LIB_OFFLINE=1 forbids downloading it. "
            f"Unset STYLE_LIB_OFFLINE to download it. " + _manual_fix(name, urls[0] if urls else None)
        )

    failures: list[str] = []
    if mirror is not None:
        candidates = _mirror_candidates(mirror, name)
        for cand in candidates:
            try:
                if "://" in cand:
                    try:
                        data = _fetch_url(cand)
                    except urllib.error.HTTPError as exc:
                        if exc.code in (404, 410):
                            raise _NotFound from None
                        raise
                    except urllib.error.URLError as exc:
                        if cand.startswith("file:") and isinstance(exc.reason, FileNotFoundError):
                            raise _NotFound from None
                        raise
                else:
                    if not Path(cand).is_file():
                        raise _NotFound
                    data = Path(cand).read_bytes()
            except _NotFound:
                continue
            except (OSError, ValueError) as exc:
                raise DownloadError(
                    f"Could not fetch {name} from the mirror {cand}: {_describe(exc)}. "
                    f"Check STYLE_LIB_IMAGE_MIRROR={mirror}. " + _manual_fix(name, urls[0] if urls else None)
                ) from exc
            return _accept(name, data, cand)
        raise DownloadError(
            f"The mirror STYLE_LIB_IMAGE_MIRROR={mirror} has no {name}{'/'.join(MIRROR_SUFFIXES)} "
            f"(tried {', '.join(candidates)}). Put {name}.jpg there, or unset STYLE_LIB_IMAGE_MIRROR to "
            f"download from Wikimedia Commons."
        )

    for url in urls:
        log.info("Downloading %s from %s", name, url)
        try:
            data = _fetch_url(url)
        except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors
            failures.append(f"{url}: {_describe(exc)}")
            continue
        img = _decode_or_reason(data)
        if isinstance(img, str):
            failures.append(f"{url}: {img}")
            continue
        return _store(name, img, url)
    raise DownloadError(
        f"Could not download {name} from {'; '.join(failures)}. " + _manual_fix(name, urls[0])
    )


def _decode_or_reason(data: bytes) -> Image.Image | str:
    """The decoded image, or a sentence saying why the payload is not an image."""
    try:
        return _decode(data)
    except Exception as exc:
        head = data[:100].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
            kind = "a web page (HTML), not an image"
        else:
            kind = "data that is not a readable image"
        return f"the server sent {kind} ({len(data)} bytes; {type(exc).__name__}: {exc})"


def _accept(name: str, data: bytes, origin: str) -> Path:
    img = _decode_or_reason(data)
    if isinstance(img, str):
        raise DownloadError(
            f"Could not fetch {name} from {origin}: {img}. "
            + _manual_fix(name, (download_urls(name) or [origin])[0])
        )
    return _store(name, img, origin)


# --------------------------------------------------------------------------- public API


def path(name: str) -> Path:
    """Local path of demo image ``name``, downloading it into the cache on first use.

    Raises:
        UnknownImageError: ``name`` is not in :data:`NAMES` (the message suggests a close match).
        DownloadError: the image is not cached and cannot be downloaded.
    """
    name = check_name(name)
    p = cache_path(name)
    if name in _COMMITTED:
        if not p.is_file():
            raise ImageError(
                f"The committed image {p} is missing; restore it with `git checkout -- images/`."
            )
        return p
    if p.is_file() and p.stat().st_size > 0:
        if not p.with_suffix(".json").exists():
            _write_sidecar(name, None, None)
        return p
    return _download(name)


def load(name: str, max_size: int | None = None) -> np.ndarray:
    """Demo image ``name`` as float32 (H, W, 3) in [0, 255]; see :func:`style_lib.images.load_image`.

    A damaged cached copy (undecodable, or not the size its sidecar records) is
    fetched again; the new copy is checked before it replaces the old one.
    """
    p = path(name)
    try:
        problem = _cache_problem(name, p)
        if problem is None:
            return load_image(p, max_size=max_size)
    except ImageError as exc:
        problem = str(exc)
    if name in _COMMITTED:
        raise ImageError(f"The committed demo image {p} is damaged ({problem}); "
                         f"restore it with `git checkout -- images/`.")
    log.warning("The cached %s is damaged (%s); fetching it again.", p, problem)
    try:
        fresh = _download(name)
    except DownloadError as exc:
        raise ImageError(
            f"The cached copy of {name!r} ({p}) is damaged and could not be fetched "
            f"again ({exc}). Fix: delete {p} and run again where it can be "
            f"downloaded.") from None
    return load_image(fresh, max_size=max_size)


def _cache_problem(name: str, p: Path) -> str | None:
    """Why the cached file ``p`` is not the image its sidecar describes, or None."""
    if name in _COMMITTED:
        return None
    try:
        meta = json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    want = (meta.get("height"), meta.get("width"))
    if None in want:
        return None
    from .images import image_size
    got = image_size(p)
    if got != want:
        return (f"it is {got[1]}x{got[0]} px, but {want[1]}x{want[0]} px were "
                f"downloaded: it was replaced by another picture")
    return None


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


def fetch_all(names: tuple[str, ...] | list[str] = NAMES, *, quiet: bool = False) -> dict[str, Path]:
    """Make sure every image in ``names`` is available locally; return name -> path.

    Tries all names and then raises one DownloadError listing every failure.
    """
    names = [check_name(n) for n in names]
    found: dict[str, Path] = {}
    errors: list[str] = []
    for n in names:
        try:
            found[n] = path(n)
        except (DownloadError, ImageError) as exc:
            errors.append(f"{n}: {exc}")
            if not quiet:
                print(f"  FAILED  {n}", file=sys.stderr)
            continue
        if not quiet:
            print(f"  ok      {n:<30} {found[n]}")
    if errors:
        raise DownloadError(f"{len(errors)} of {len(names)} demo images are unavailable:\n" + "\n".join(errors))
    return found


def credit(name: str) -> str:
    """One-line caption credit, e.g. '"The Starry Night", Vincent van Gogh, 1889 (public domain)'."""
    c = CREDITS[check_name(name)]
    if name == "tubingen":
        return f'"{c.title}". Photo: Andreas Praefcke, CC BY 3.0, via Wikimedia Commons (resized)'
    year = f", {c.year}" if c.year else ""
    via = " via scikit-image" if name in _COMMITTED else ""
    return f'"{c.title}", {c.artist}{year} ({c.licence.lower() if c.licence == _PD else c.licence}{via})'


def _main(argv: list[str] | None = None) -> int:
    """``python -m style_lib.data [NAME ...]``: fetch demo images into the cache."""
    from .command_line import OneLineParser
    parser = OneLineParser(
        prog="python -m style_lib.data",
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
