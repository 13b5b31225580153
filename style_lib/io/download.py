"""Fetching the demo images into a local cache: ``download.path("starry_night")``.

chelsea, coffee and rocket ship with the project (``images/``). The paintings
and the Tübingen photo are downloaded from Wikimedia Commons on first use,
resized to at most 1024 px and cached (see :func:`cache_dir`); a damaged
cached copy is fetched again (:func:`load`).

Environment variables:
    STYLE_LIB_CACHE          cache folder (default ``$XDG_CACHE_HOME/style_lib/images``
                             or ``~/.cache/style_lib/images``)
    STYLE_LIB_IMAGE_MIRROR   folder or http(s)/file URL holding ``<name>.jpg``/``.png``
                             files; used instead of Wikimedia Commons
    STYLE_LIB_OFFLINE=1      never use the network (only the cache or the mirror)
"""

from __future__ import annotations

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
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .catalogue import CACHE_SUFFIX, COMMITTED, CREDITS, NAMES, REMOTE_FILES, check_name
from ..session import offline
from ..errors import DownloadError, ImageError, SettingsError
from ..files import atomic_path, write_text
from .images import load_image, to_srgb

__all__ = ["USER_AGENT", "cache_dir", "cache_path", "download_urls", "path", "load",
           "fetch_all"]

log = logging.getLogger(__name__)

#: Sent with every request (Wikimedia refuses generic User-Agents).
USER_AGENT = (
    "style-transfer-notebooks/0.1 "
    "(teaching notebooks; https://github.com/style-transfer-notebooks) Python-urllib"
)
TIMEOUT = 30.0  # seconds per request
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
CACHE_MAX_SIDE = 1024  # cached images are at most this many px on the longest side
CACHE_JPEG_QUALITY = 92
MIRROR_SUFFIXES = (".jpg", ".png", ".jpeg")

#: Where Wikimedia serves files; tests point these at a local server.
UPLOAD_BASE = "https://upload.wikimedia.org"
EN_WIKIPEDIA_BASE = "https://en.wikipedia.org"
#: Thumbnail widths Wikimedia still renders (others get HTTP 429).
STANDARD_WIDTHS = (20, 40, 60, 120, 250, 330, 500, 960, 1280, 1920, 3840)

#: The committed demo images (the repository's ``images/`` folder).
REPO_IMAGES = Path(__file__).resolve().parents[2] / "images"


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
    if name in COMMITTED:
        return REPO_IMAGES / CREDITS[name].filename
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
    remote = REMOTE_FILES.get(name)
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
    img = to_srgb(img)
    if max(img.size) > CACHE_MAX_SIDE:
        img.thumbnail((CACHE_MAX_SIDE, CACHE_MAX_SIDE), Image.Resampling.LANCZOS)
    return img


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



def path(name: str) -> Path:
    """Local path of demo image ``name``, downloading it into the cache on first use.

    Raises:
        UnknownImageError: ``name`` is not in :data:`NAMES` (the message suggests a close match).
        DownloadError: the image is not cached and cannot be downloaded.
    """
    name = check_name(name)
    p = cache_path(name)
    if name in COMMITTED:
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
    """Demo image ``name`` as float32 (H, W, 3) in [0, 255]; see :func:`style_lib.io.images.load_image`.

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
    if name in COMMITTED:
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
    if name in COMMITTED:
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
