"""Reading and writing clips: MP4 files, HTML5 video for notebooks, side-by-side views.

:func:`write_video` writes H.264 MP4 (``yuv420p``, plays in every browser)
through ``imageio`` and ``imageio-ffmpeg`` (which ships its own ffmpeg
binary), atomically and without ever overwriting a file unasked.
:func:`read_video` decodes any file OpenCV's FFmpeg backend reads.
:func:`video_html` embeds a clip in a notebook:
``IPython.display.HTML(video_html(frames))``.

Frames are ``(T, H, W, 3)`` RGB, float in ``[0, 255]`` or uint8.
"""
from __future__ import annotations

import base64
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..errors import ImageError, SettingsError
from ..files import atomic_path

__all__ = ["VIDEO_SUFFIXES", "check_video_path", "write_video", "read_video",
           "video_html", "side_by_side"]

PathLike = Union[str, "os.PathLike[str]"]

#: What :func:`write_video` writes.
VIDEO_SUFFIXES = (".mp4",)


def _frames_uint8(frames: Any) -> np.ndarray:
    """``(T, H, W, 3)`` uint8, refusing float values outside ``[0, 255]``."""
    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or len(arr) == 0 or 0 in arr.shape[1:3]:
        raise SettingsError(f"frames must be (T, H, W, 3) RGB with T >= 1, got shape "
                            f"{arr.shape}. Fix: stack the frames, e.g. np.stack(frames).")
    if arr.dtype == np.uint8:
        return arr
    arr = np.asarray(arr, np.float32)
    if not np.all(np.isfinite(arr)):
        raise SettingsError("frames contain NaN or infinity. Fix: check the stylised "
                            "frames (np.isfinite) before writing them.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -0.5 or hi > 255.5:
        raise SettingsError(f"float frames must be in [0, 255], got values from {lo:.3g} "
                            f"to {hi:.3g}. Fix: np.clip(frames, 0, 255) (or multiply "
                            f"[0, 1] frames by 255).")
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def _even(frames: np.ndarray) -> np.ndarray:
    """Pad an odd height or width by one replicated row or column (yuv420p needs even)."""
    h, w = frames.shape[1:3]
    if h % 2 or w % 2:
        frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return frames


def check_video_path(path: PathLike, *, inputs: Iterable[PathLike] = (),
                     overwrite: bool = False) -> Path:
    """Return ``path`` as a Path if an MP4 can be written there, else raise ImageError.

    Checks the suffix (.mp4), that it is none of ``inputs``, that the folder
    exists and is writable and, with ``overwrite=False``, that no file of
    that name exists. Call it early to fail before a long run.
    """
    from ..io.images import same_file
    try:
        out = Path(os.fspath(path)).expanduser()
    except TypeError:
        raise SettingsError(f"Expected an output file path (str or pathlib.Path), got "
                            f"{type(path).__name__}; pass a name such as 'clip.mp4'.") from None
    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise ImageError(f"Cannot write {out}: unknown video suffix "
                         f"{out.suffix or '(none)'!r}; end the file name with .mp4.")
    for inp in inputs:
        if same_file(out, Path(os.fspath(inp)).expanduser()):
            raise ImageError(f"Refusing to write: {out} would overwrite the input {inp}; "
                             f"choose another output name.")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ImageError(f"Cannot write {out}: the folder {parent} does not exist; create "
                         f"it first (e.g. Path({str(parent)!r}).mkdir(parents=True)) or "
                         f"choose another folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ImageError(f"Cannot write {out}: the folder {parent} is not writable; "
                         f"choose a folder you can write to.")
    if out.is_dir():
        raise ImageError(f"Cannot write {out}: it is a folder; add a file name such as clip.mp4.")
    if not overwrite and os.path.lexists(out):
        raise ImageError(f"{out} already exists and is kept; choose another output name, "
                         f"or allow replacing it (overwrite=True, --overwrite).")
    return out


def write_video(frames: Any, path: PathLike, fps: float = 12, overwrite: bool = False,
                *, inputs: Iterable[PathLike] = ()) -> Path:
    """Write ``frames`` ``(T, H, W, 3)`` as an H.264 MP4 and return its path.

    Float frames in ``[0, 255]`` are rounded to uint8. yuv420p (what browsers
    play) needs an even height and width: an odd one is **padded** by one
    replicated row or column at the bottom or right, so no pixel is lost.
    The file goes to a temporary name in the same folder and is then renamed,
    so a failed write leaves nothing behind; an existing file (or any of
    ``inputs``) is never replaced unless ``overwrite=True``.
    """
    import imageio.v2 as imageio
    out = check_video_path(path, inputs=inputs, overwrite=overwrite)
    data = _even(_frames_uint8(frames))
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        fps = float("nan")
    if not np.isfinite(fps) or fps <= 0:
        raise SettingsError(f"fps must be a positive number, not {fps!r}. Fix: e.g. fps=12.")
    try:
        with atomic_path(out, overwrite=overwrite) as tmp:
            writer = imageio.get_writer(tmp, format="FFMPEG", mode="I", fps=fps,
                                        codec="libx264", quality=8, pixelformat="yuv420p",
                                        macro_block_size=1, ffmpeg_log_level="error",
                                        output_params=["-movflags", "+faststart"])
            try:
                for frame in data:
                    writer.append_data(frame)
            finally:
                writer.close()
    except BaseException as exc:
        if isinstance(exc, FileExistsError):
            raise ImageError(f"{out} appeared while the video was being written and is "
                             f"kept; choose another output name.") from None
        if isinstance(exc, (OSError, RuntimeError, ValueError)):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ImageError(f"Could not write {out} ({' '.join(str(reason).split())[:200]}); "
                             f"check free disk space, permissions and that "
                             f"imageio-ffmpeg is installed.") from exc
        raise
    return out


def read_video(path: PathLike, max_frames: int | None = None,
               size: int | None = None) -> tuple[np.ndarray, float]:
    """Decode a video file: ``(frames float32 (T, H, W, 3) RGB in [0, 255], fps)``.

    ``max_frames``: at most this many frames from the start (None: all).
    ``size``: resize so the longest side is ``size`` px (INTER_AREA; bicubic
    when enlarging). Uses ``cv2.VideoCapture`` with the FFmpeg backend.
    """
    import cv2

    src = Path(os.fspath(path)).expanduser()
    if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(
            max_frames, (int, np.integer)) or max_frames < 1):
        raise SettingsError(f"max_frames must be a whole number >= 1 or None, not "
                            f"{max_frames!r}. Fix: e.g. max_frames=24.")
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer))
                             or not 16 <= size <= 4096):
        raise SettingsError(f"size must be a whole number of px from 16 to 4096 or None, "
                            f"not {size!r}. Fix: e.g. size=256.")
    if not src.is_file():
        what = "is a folder" if src.is_dir() else "does not exist"
        raise ImageError(f"Cannot read the video {src}: it {what}. Fix: check the path.")
    frames: list[np.ndarray] = []
    with _native_stderr_hidden():           # FFmpeg's own log lines on a bad file
        cap = cv2.VideoCapture(str(src), cv2.CAP_FFMPEG)
        try:
            _decode(cap, src, frames, max_frames, size)
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        finally:
            cap.release()
    if not frames:
        raise ImageError(f"Cannot read the video {src}: no frame could be decoded (an "
                         f"empty or damaged file). Fix: check the file plays.")
    if not np.isfinite(fps) or fps <= 0:
        fps = 25.0                            # some containers do not record it
    return np.stack(frames), fps


@contextlib.contextmanager
def _native_stderr_hidden():
    """Send file descriptor 2 to /dev/null in the block: FFmpeg and OpenCV print
    from C; the library's own one-line error says what went wrong."""
    try:
        saved = os.dup(2)
    except OSError:                          # no real stderr
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _decode(cap, src: Path, frames: list, max_frames: int | None, size: int | None) -> None:
    """Append up to ``max_frames`` RGB frames of ``cap`` to ``frames``."""
    from .clips import _resize_longest
    if not cap.isOpened():
        raise ImageError(f"Cannot read the video {src}: OpenCV cannot open it (not a "
                         f"video, or a damaged file). Fix: check the file plays, or "
                         f"re-encode it as MP4 (H.264).")
    while max_frames is None or len(frames) < max_frames:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = bgr[:, :, ::-1]
        frames.append(_resize_longest(rgb, size) if size else rgb.astype(np.float32))


def video_html(path_or_frames: Any, width: int | None = None, fps: float = 12) -> str:
    """An HTML5 ``<video controls loop autoplay muted>`` with the MP4 inside (base64).

    ``path_or_frames``: an MP4 file, or frames ``(T, H, W, 3)``, encoded to a
    temporary MP4 at ``fps`` first. ``width``: display width in px (None:
    the video's own). For notebooks: ``IPython.display.HTML(video_html(...))``.
    """
    if isinstance(path_or_frames, (str, os.PathLike)):
        src = Path(os.fspath(path_or_frames)).expanduser()
        if not src.is_file():
            raise ImageError(f"Cannot embed the video {src}: it does not exist. Fix: "
                             f"check the path, or pass the frames themselves.")
        data = src.read_bytes()
    else:
        with tempfile.TemporaryDirectory(prefix="style_lib_video_") as folder:
            data = write_video(path_or_frames, Path(folder) / "clip.mp4", fps=fps).read_bytes()
    size = ""
    if width is not None:
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise SettingsError(f"width must be a whole number of px or None, not {width!r}. "
                                f"Fix: e.g. width=512.")
        size = f' width="{int(width)}"'
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<video controls loop autoplay muted playsinline{size}>'
            f'<source src="data:video/mp4;base64,{encoded}" type="video/mp4">'
            f'Your browser cannot play this video.</video>')


def side_by_side(*clips_frames: Any, gap: int = 4,
                 labels: Sequence[str] | None = None) -> np.ndarray:
    """Clips ``(T, H, W_i, 3)`` next to each other with white ``gap``-px columns.

    All clips need the same T and H. Returns float32 ``(T, H, sum W_i + gap
    (n - 1), 3)`` in ``[0, 255]`` (uint8 clips are converted); with ``labels``
    (one per clip), a white band of :data:`LABEL_HEIGHT` px above each clip
    names it, so the height grows by that much.
    """
    if not clips_frames:
        raise SettingsError("side_by_side needs at least one clip. Fix: "
                            "side_by_side(clip_a, clip_b).")
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or gap < 0:
        raise SettingsError(f"gap must be a whole number of px >= 0, not {gap!r}. Fix: e.g. gap=4.")
    arrays = [np.asarray(c, np.float32) for c in clips_frames]
    for i, a in enumerate(arrays):
        if a.ndim != 4 or a.shape[-1] != 3:
            raise SettingsError(f"clip {i} must be (T, H, W, 3), got shape {a.shape}. "
                                f"Fix: pass the frames of each clip.")
    t, h = arrays[0].shape[:2]
    for i, a in enumerate(arrays[1:], start=1):
        if a.shape[:2] != (t, h):
            raise SettingsError(f"clip {i} is {a.shape[0]} frames of height {a.shape[1]}, "
                                f"clip 0 is {t} frames of height {h}. Fix: give clips of "
                                f"the same length and height (resize or cut them).")
    if labels is not None:
        if len(labels) != len(arrays):
            raise SettingsError(f"{len(labels)} labels for {len(arrays)} clips. Fix: give one "
                                "label per clip.")
        arrays = [np.concatenate([np.broadcast_to(_label(str(text), a.shape[2]),
                                                  (t,) + (LABEL_HEIGHT, a.shape[2], 3)), a], axis=1)
                  for text, a in zip(labels, arrays)]
        h += LABEL_HEIGHT
    white = np.full((t, h, int(gap), 3), 255.0, np.float32)
    parts: list[np.ndarray] = []
    for i, a in enumerate(arrays):
        if i and gap:
            parts.append(white)
        parts.append(a)
    return np.concatenate(parts, axis=2)


#: Height (px) of the band that names a clip in :func:`side_by_side`.
LABEL_HEIGHT = 22


def _label(text: str, width: int) -> np.ndarray:
    """A white ``(LABEL_HEIGHT, width, 3)`` float32 band with ``text`` centred in black."""
    from PIL import Image, ImageDraw, ImageFont
    band = Image.new("RGB", (width, LABEL_HEIGHT), "white")
    draw = ImageDraw.Draw(band)
    try:
        font = ImageFont.load_default(size=14)
    except TypeError:                       # Pillow < 10.1: one bitmap size
        font = ImageFont.load_default()
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) / 2 - left, (LABEL_HEIGHT - (bottom - top)) / 2 - top),
              text, fill="black", font=font)
    return np.asarray(band, np.float32)
