"""Sliders for style transfer: move a weight, watch the picture change.

:class:`StyleTransferApp` puts the loss weights of
``J(x) = a * L_content + b * L_style + c * L_tv`` on log-scale sliders and
re-runs L-BFGS in a background thread whenever one moves.

Two things make it interactive:

* **Cached targets.** The content features and style Grams depend only on
  the two images and the size, so they are computed once
  (:func:`style_lib.optimize.get_stylizer`). The weights are TF variables
  (:meth:`Stylizer.set_weights`): a slider move costs no recomputation and
  no retrace of the compiled step.
* **Warm starts.** A new run starts from the image on screen, not from the
  photo, so it only has to move the picture a little.

The kernel never waits for the optimiser: runs happen in one background
thread at a time; rapid slider moves are debounced (one run after the last
move), and a new run cancels the old one cleanly.

>>> app = StyleTransferApp("tubingen", "starry_night")   # doctest: +SKIP
>>> app                      # shows the controls in Jupyter  # doctest: +SKIP
>>> app.style_weight_slider.value = 1e5   # same as moving the slider  # doctest: +SKIP
"""
from __future__ import annotations

import html
import io
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import data
from .config import pick
from .errors import ImageError, SettingsError, StyleLibError
from .images import load_image, save_image, to_uint8
from .optimize import (DEFAULT_CONTENT_WEIGHT, DEFAULT_STYLE_LAYERS,
                       DEFAULT_STYLE_WEIGHT, DEFAULT_TV_WEIGHT,
                       Progress, Stylizer, as_image, check_optimizer,
                       check_size,
                       get_stylizer)

__all__ = ["StyleTransferApp", "show", "settings_name", "format_weight",
           "CONVERGED_TOL", "CONVERGED_WINDOW", "MAX_UPLOAD_BYTES",
           "SIZES"]

#: A run has converged when its best loss fell by less than this fraction
#: over the last :data:`CONVERGED_WINDOW` steps.
CONVERGED_TOL = 0.01
CONVERGED_WINDOW = 10
#: Uploads larger than this are refused before decoding.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Longest side of an uploaded image after loading (the run size is smaller).
UPLOAD_MAX_SIDE = 1024
#: Preview sizes offered in the size menu (pixels, longest side).
SIZES = (64, 128, 192, 256)
#: Slider ranges as powers of ten: (min, max) around the library defaults.
CONTENT_RANGE = (-3, 3)        # 1e-3 ... 1e3, default 1
STYLE_RANGE = (0, 8)           # 1 ... 1e8, default 1e3
TV_RANGE = (-6, 2)             # 1e-6 ... 1e2, default 1e-2


# ------------------------------------------------------------ helpers ---

def format_weight(value: float) -> str:
    """Return a short file-name-safe form of a weight: 1, 1e4, 3.2e-2, 0."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    exponent = math.floor(math.log10(abs(value)))
    mantissa = round(value / 10 ** exponent, 1)
    if abs(mantissa) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    text = f"{mantissa:g}"
    return text if exponent == 0 else f"{text}e{exponent}"


def _slug(name: str) -> str:
    """Return ``name`` reduced to letters, digits, ``_`` and ``.``."""
    slug = re.sub(r"[^A-Za-z0-9_.]+", "_", str(name)).strip("._")
    return slug[:40] or "image"


def settings_name(content: str, style: str, *, content_weight: float,
                  style_weight: float, tv_weight: float, size: int,
                  layer_weights: Sequence[float] | None = None,
                  suffix: str = ".png") -> str:
    """Return a file name that records the settings of a result.

    >>> settings_name("tubingen", "starry_night", content_weight=1,
    ...               style_weight=1e4, tv_weight=1e-2, size=192)
    'tubingen-starry_night-c1-s1e4-tv1e-2-192px.png'

    Layer weights are added (``-lw...``) only when they are not all equal.
    """
    parts = [_slug(content), _slug(style), "c" + format_weight(content_weight),
             "s" + format_weight(style_weight), "tv" + format_weight(tv_weight),
             f"{int(size)}px"]
    if layer_weights is not None and len(set(np.round(layer_weights, 6))) > 1:
        parts.append("lw" + "_".join(f"{float(w):g}" for w in layer_weights))
    return "-".join(parts) + suffix


def _png(image: np.ndarray) -> bytes:
    """Return PNG bytes of an ``(H, W, 3)`` image in ``[0, 255]``."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="PNG",
                                          compress_level=1)
    return buffer.getvalue()


class _LossPlot:
    """A small PNG plot of the weighted loss terms over the steps.

    The figure is built once and only the line data change between
    frames (about 5x cheaper than a new figure, which matters on a 2-core
    CPU that is also running the optimiser). Drawn on the Agg canvas
    directly (no pyplot): safe from the background thread, and it never
    shows up as a cell output.
    """

    TERMS = (("content", "content  a·L_c", "-"), ("style", "style  b·L_s", "-"),
             ("tv", "smoothness  c·L_tv", "-"), ("total", "total J", "--"))

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        self._lock = threading.Lock()
        self.fig = Figure(figsize=(3.6, 2.7), dpi=80)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.16, 0.36, 0.8, 0.56))
        self.lines = [self.ax.plot([], [], style, label=label, lw=1.2)[0]
                      for _, label, style in self.TERMS]
        self.ax.set_yscale("log")
        self.ax.grid(True, which="major", alpha=0.3)
        self.ax.set_xlabel("step (best picture so far)", fontsize=8)
        self.ax.tick_params(labelsize=7)
        self.legend = self.ax.legend(fontsize=7, loc="upper center", ncol=2,
                                     bbox_to_anchor=(0.45, -0.25),
                                     frameon=False)
        self.note = self.ax.text(0.5, 0.5, "loss curves appear here\n"
                                 "during a run", ha="center", va="center",
                                 fontsize=9, color="0.4",
                                 transform=self.ax.transAxes)

    def render(self, history: dict[str, list[float]], title: str = "") -> bytes:
        """Return PNG bytes for ``history``: lists under ``"step"``,
        ``"total"``, ``"content"``, ``"style"`` and ``"tv"``."""
        with self._lock:
            steps = list(history.get("step", []))
            n = len(steps)
            for line, (key, _, _) in zip(self.lines, self.TERMS):
                values = np.maximum(np.asarray(history.get(key, [])[:n],
                                               float), 1e-12)
                line.set_data(steps[:len(values)], values)
            self.note.set_visible(n == 0)
            self.legend.set_visible(n > 0)
            self.ax.yaxis.set_visible(n > 0)
            self.ax.xaxis.set_visible(n > 0)
            if n:
                self.ax.relim()
                self.ax.autoscale_view()
                self.ax.set_xlim(0.5, max(n, 2) + 0.5)
            self.ax.set_title(title, fontsize=8)
            buffer = io.BytesIO()
            self.fig.savefig(buffer, format="png")
            return buffer.getvalue()


# ---------------------------------------------------------------- app ---

class StyleTransferApp:
    """Sliders, pickers and a live preview for interactive style transfer.

    Args:
      content: demo name (see ``style_lib.data.NAMES``), path or image
        array ``(H, W, 3)`` in ``[0, 255]``.
      style: same, for the painting.
      size: longest side of the result in pixels (default 192; tiny in
        quick mode).
      steps: step budget of one run (a run also ends when it converges).
      weights: VGG16 weights, see :func:`style_lib.vgg.load_vgg16`.
      optimizer: ``"lbfgs"`` (default), ``"adam"`` or ``"gd"``.
      style_layers: one slider per layer.
      debounce: seconds to wait after the last slider move before running.
      preview_interval: at most one preview refresh per this many seconds.
      plot_interval: at most one loss plot per this many seconds.
      tol, window: a run has converged when its best loss fell by less than
        ``tol`` (relative) over the last ``window`` steps.
      output_dir: default folder for the Save button.

    The controls are attributes (``style_weight_slider``, ``run_button``,
    ...); ``app.widget`` is the whole app. Setting a slider's ``value`` in
    code behaves exactly like moving it.
    """

    def __init__(self, content="tubingen", style="starry_night", *,
                 size: int | None = None, steps: int | None = None,
                 weights: str = "auto", optimizer: str = "lbfgs",
                 style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
                 debounce: float = 0.25, preview_interval: float = 0.4,
                 plot_interval: float = 1.5, tol: float = CONVERGED_TOL,
                 window: int = CONVERGED_WINDOW,
                 output_dir: str | os.PathLike = "out",
                 max_upload_bytes: int = MAX_UPLOAD_BYTES):
        import ipywidgets as w

        self.weights = weights
        self.optimizer = check_optimizer(optimizer)
        self.style_layers = tuple(style_layers)
        self.debounce = float(debounce)
        self.preview_interval = float(preview_interval)
        self.plot_interval = float(plot_interval)
        self.tol = float(tol)
        self.window = int(window)
        self.max_upload_bytes = int(max_upload_bytes)
        size = check_size(size if size is not None else pick(full=192, quick=64))
        steps = int(steps if steps is not None else pick(full=100, quick=10))

        # State shared with the worker thread (guarded by _lock).
        self._lock = threading.RLock()
        self._run_lock = threading.Lock()     # held while an optimiser runs
        self._thread: threading.Thread | None = None
        self._cancel: threading.Event | None = None
        self._timer: threading.Timer | None = None
        self._generation = 0                  # one per run() call
        self._epoch = 0                       # bumped when the image resets
        self._stop_requested: set[int] = set()
        self._custom: dict[str, np.ndarray] = {}
        self._quiet = 0                       # >0: ignore widget events
        self._stylizer: Stylizer | None = None
        self._stylizer_key: tuple | None = None
        self._current_image: np.ndarray | None = None
        self._image_weights: dict | None = None   # weights of that image
        self._content_image: np.ndarray | None = None
        self._history: dict[str, list[float]] = {}
        self._status_text = ""

        #: Counters for tests, benchmarks and the curious.
        self.runs_started = 0
        self.runs_finished = 0
        self.previews_shown = 0
        self.plots_drawn = 0
        self.stylizers_built = 0
        self.targets_seconds = math.nan       # last get_stylizer() call
        self.last_error: BaseException | None = None
        self.last_result = None
        self.last_reason = ""                 # converged/budget/stopped/...
        self.last_steps = 0
        self.output_dir = Path(output_dir)

        content_label = self._register(content, "content")
        style_label = self._register(style, "style")

        # -- pickers ------------------------------------------------------
        label_style = {"description_width": "56px"}
        self.content_picker = w.Dropdown(
            options=self._options("content", content_label),
            value=content_label, description="photo", style=label_style,
            layout=w.Layout(width="230px"))
        self.style_picker = w.Dropdown(
            options=self._options("style", style_label), value=style_label,
            description="painting", style=label_style,
            layout=w.Layout(width="230px"))
        self.content_upload = w.FileUpload(
            accept="image/*", multiple=False, description="Upload photo",
            layout=w.Layout(width="230px"))
        self.style_upload = w.FileUpload(
            accept="image/*", multiple=False, description="Upload painting",
            layout=w.Layout(width="230px"))
        self.content_thumb = w.Image(format="png", layout=w.Layout(
            width="96px"))
        self.style_thumb = w.Image(format="png", layout=w.Layout(width="96px"))
        self.size_picker = w.Dropdown(
            options=sorted(set(SIZES) | {size}), value=size,
            description="size (px)", style={"description_width": "64px"},
            layout=w.Layout(width="170px"))
        self.steps_slider = w.IntSlider(
            value=steps, min=5, max=max(500, steps), step=5,
            description="max steps", style={"description_width": "70px"},
            layout=w.Layout(width="280px"))

        # -- weights ------------------------------------------------------
        weight_style = {"description_width": "110px"}
        slider_layout = w.Layout(width="340px")
        self.content_weight_slider = w.FloatLogSlider(
            value=DEFAULT_CONTENT_WEIGHT, base=10, min=CONTENT_RANGE[0],
            max=CONTENT_RANGE[1], step=0.1, readout_format=".2g",
            description="content  a", style=weight_style, layout=slider_layout)
        self.style_weight_slider = w.FloatLogSlider(
            value=DEFAULT_STYLE_WEIGHT, base=10, min=STYLE_RANGE[0],
            max=STYLE_RANGE[1], step=0.1, readout_format=".2g",
            description="style  b", style=weight_style, layout=slider_layout)
        self.tv_weight_slider = w.FloatLogSlider(
            value=DEFAULT_TV_WEIGHT, base=10, min=TV_RANGE[0], max=TV_RANGE[1],
            step=0.1, readout_format=".2g", description="smoothness  c",
            style=weight_style, layout=slider_layout)
        default_layer = 1.0 / len(self.style_layers)
        self.layer_sliders = {
            name: w.FloatSlider(value=default_layer, min=0.0, max=1.0,
                                step=0.05, readout_format=".2f",
                                description=name, style=weight_style,
                                layout=slider_layout)
            for name in self.style_layers}

        # -- actions and outputs -------------------------------------------
        button = w.Layout(width="90px")
        self.run_button = w.Button(description="Run", icon="play",
                                   button_style="primary", layout=button)
        self.stop_button = w.Button(description="Stop", icon="stop",
                                    button_style="warning", layout=button)
        self.reset_button = w.Button(description="Reset", icon="undo",
                                     layout=button)
        self.save_button = w.Button(description="Save", icon="save",
                                    button_style="success", layout=button)
        self.folder_text = w.Text(value=str(self.output_dir),
                                  description="folder",
                                  style={"description_width": "44px"},
                                  layout=w.Layout(width="200px"))
        self.preview = w.Image(format="png", layout=w.Layout(
            width="320px", height="auto"))
        self.progress = w.IntProgress(value=0, min=0, max=steps,
                                      description="step 0",
                                      style={"description_width": "70px"},
                                      layout=w.Layout(width="320px"))
        self.loss_plot = w.Image(format="png", layout=w.Layout(width="288px"))
        self.status = w.HTML(layout=w.Layout(width="100%"))
        self.credits = w.HTML(layout=w.Layout(width="100%"))

        for widget, css in (
                (self.content_picker, "style-content-picker"),
                (self.style_picker, "style-style-picker"),
                (self.content_upload, "style-content-upload"),
                (self.style_upload, "style-style-upload"),
                (self.size_picker, "style-size"),
                (self.steps_slider, "style-steps"),
                (self.content_weight_slider, "content-weight-slider"),
                (self.style_weight_slider, "style-weight-slider"),
                (self.tv_weight_slider, "tv-weight-slider"),
                (self.run_button, "style-run"), (self.stop_button, "style-stop"),
                (self.reset_button, "style-reset"),
                (self.save_button, "style-save"),
                (self.preview, "style-preview"),
                (self.progress, "style-progress"),
                (self.loss_plot, "style-loss-plot"),
                (self.status, "style-status"),
                (self.credits, "style-credits")):
            widget.add_class(css)
        for name, slider in self.layer_sliders.items():
            slider.add_class("layer-weight-slider")
            slider.add_class(f"layer-weight-{name}")

        header = w.HTML(
            "<b>Neural style transfer</b> &nbsp;·&nbsp; move a weight and the "
            "picture is re-optimised from what you see.")
        pickers = w.HBox([
            w.VBox([self.content_picker, self.content_upload,
                    self.content_thumb]),
            w.VBox([self.style_picker, self.style_upload, self.style_thumb]),
            w.VBox([self.size_picker, self.steps_slider])])
        sliders = w.VBox(
            [w.HTML("<b>Loss weights</b> &nbsp; J = a·L<sub>content</sub> + "
                    "b·L<sub>style</sub> + c·L<sub>TV</sub>"),
             self.content_weight_slider, self.style_weight_slider,
             self.tv_weight_slider,
             w.HTML("<b>Style layer weights</b> w<sub>l</sub>")]
            + list(self.layer_sliders.values()))
        result = w.VBox([self.preview, self.progress, self.loss_plot])
        actions = w.HBox([self.run_button, self.stop_button, self.reset_button,
                          self.save_button, self.folder_text])
        self.widget = w.VBox([header, pickers, w.HBox([sliders, result]),
                              actions, self.status, self.credits])
        self.widget.add_class("style-app")

        # -- first picture and event wiring ---------------------------------
        self._load_sources()
        self._set_preview(self._content_image)
        self._plot = _LossPlot()
        self.loss_plot.value = self._plot.render({})
        self._set_status("Ready. Press <b>Run</b>, or move a slider.")

        for slider in self._weight_sliders():
            slider.observe(self._on_weight_change, names="value")
        self.content_picker.observe(self._on_source_change, names="value")
        self.style_picker.observe(self._on_source_change, names="value")
        self.size_picker.observe(self._on_source_change, names="value")
        self.content_upload.observe(self._on_upload, names="value")
        self.style_upload.observe(self._on_upload, names="value")
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        self.save_button.on_click(lambda _: self._save_clicked())

    # ------------------------------------------------------------ display --
    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return (f"StyleTransferApp({self.content_picker.value!r}, "
                f"{self.style_picker.value!r}, size={self.size}, "
                f"steps={self.steps})")

    # ----------------------------------------------------------- settings --
    @property
    def size(self) -> int:
        """Longest side of the result in pixels."""
        return int(self.size_picker.value)

    @property
    def steps(self) -> int:
        """Step budget of one run."""
        return int(self.steps_slider.value)

    @property
    def stylizer(self) -> Stylizer | None:
        """The :class:`Stylizer` in use (``None`` before the first run)."""
        return self._stylizer

    @property
    def current_image(self) -> np.ndarray:
        """The picture on screen, ``(H, W, 3)`` float32 in ``[0, 255]``."""
        image = self._current_image
        return (self._content_image if image is None else image).copy()

    @property
    def preview_png(self) -> bytes:
        """PNG bytes of the preview."""
        return bytes(self.preview.value)

    @property
    def history(self) -> dict[str, list[float]]:
        """Per step of the latest run: ``total`` J and the weighted terms
        ``content`` (a·L_c), ``style`` (b·L_s), ``tv`` (c·L_tv) of the best
        picture so far (the loss plot)."""
        return {k: list(v) for k, v in self._history.items()}

    @property
    def status_text(self) -> str:
        """The status line as plain text."""
        return self._status_text

    @property
    def busy(self) -> bool:
        """True while a run is scheduled or in progress."""
        with self._lock:
            thread = self._thread
            return self._timer is not None or (thread is not None
                                               and thread.is_alive())

    def settings(self) -> dict[str, Any]:
        """Return the current control values as plain Python values."""
        return {"content": self.content_picker.value,
                "style": self.style_picker.value, "size": self.size,
                "steps": self.steps,
                "content_weight": float(self.content_weight_slider.value),
                "style_weight": float(self.style_weight_slider.value),
                "tv_weight": float(self.tv_weight_slider.value),
                "layer_weights": [float(s.value)
                                  for s in self.layer_sliders.values()]}

    def _weight_sliders(self) -> list:
        return [self.content_weight_slider, self.style_weight_slider,
                self.tv_weight_slider, *self.layer_sliders.values()]

    # ------------------------------------------------------------ sources --
    def _register(self, source, which: str) -> str:
        """Return a dropdown label for a demo name, path or array."""
        if isinstance(source, str) and source in data.NAMES:
            return source
        if isinstance(source, (str, os.PathLike)):
            label = f"{_slug(Path(source).stem)} (file)"
        else:
            label = f"my {which}"
        self._custom[label] = as_image(source)
        return label

    def _options(self, which: str, extra: str | None = None) -> list[str]:
        first = data.CONTENT_NAMES if which == "content" else data.STYLE_NAMES
        rest = data.STYLE_NAMES if which == "content" else data.CONTENT_NAMES
        custom = list(self._custom)
        if extra is not None and extra not in custom and extra not in data.NAMES:
            custom.append(extra)
        return custom + list(first) + list(rest)

    def _resolve(self, label: str):
        """Return what get_stylizer accepts for a dropdown label."""
        return self._custom.get(label, label)

    def _load_sources(self) -> None:
        """Load the photo at the run size and both thumbnails."""
        self._content_image = as_image(self._resolve(self.content_picker.value),
                                       self.size)
        for picker, thumb in ((self.content_picker, self.content_thumb),
                              (self.style_picker, self.style_thumb)):
            thumb.value = _png(as_image(self._resolve(picker.value), 96))
        lines = []
        for what, label in (("Content", self.content_picker.value),
                            ("Style", self.style_picker.value)):
            source = data.credit(label) if label in data.CREDITS \
                else "your own image"
            lines.append(f"{what}: {html.escape(source)}")
        self.credits.value = ('<small style="color:#555">'
                              + "<br>".join(lines) + "</small>")

    # ------------------------------------------------------------- status --
    def _set_status(self, message: str, *, error: bool = False) -> None:
        """Show ``message`` (HTML) in the status line."""
        self._status_text = html.unescape(re.sub(r"<[^>]+>", "", message))
        colour = "#b00020" if error else "#333"
        icon = "⚠️ " if error else ""
        self.status.value = (f'<span style="color:{colour}">{icon}'
                             f"{message}</span>")

    def _set_error(self, exc: BaseException, what: str = "") -> None:
        self.last_error = exc
        text = str(exc) if isinstance(exc, StyleLibError) \
            else f"{type(exc).__name__}: {exc}"
        prefix = f"{what}: " if what else ""
        self._set_status(html.escape(prefix + text), error=True)

    def _set_preview(self, image: np.ndarray, epoch: int | None = None) -> None:
        if epoch is not None and epoch != self._epoch:
            return                      # a reset happened meanwhile
        self.preview.value = _png(image)
        self.previews_shown += 1

    # ------------------------------------------------------------- events --
    def _on_weight_change(self, change) -> None:
        if self._quiet:
            return
        self._schedule("weights changed")

    def _on_source_change(self, change) -> None:
        if self._quiet:
            return
        previous = self._content_image
        try:
            self._load_sources()
        except Exception as exc:        # keep the previous picture and choice
            self._content_image = previous
            with self._quietly():
                change["owner"].value = change["old"]
            self._set_error(exc, "Could not load that image")
            return
        if change["owner"] is self.content_picker:
            self._epoch += 1            # new photo: start from it
            self._current_image = None
            self._set_preview(self._content_image)
        self._schedule("new images")

    def _on_upload(self, change) -> None:
        if self._quiet or not change["new"]:
            return
        which = "content" if change["owner"] is self.content_upload else "style"
        item = change["new"][0]
        try:
            self.upload(which, bytes(item["content"]), str(item["name"]))
        finally:
            with self._quietly():       # allow uploading the same file again
                change["owner"].value = ()

    def _quietly(self):
        app = self

        class _Quiet:
            def __enter__(self):
                app._quiet += 1

            def __exit__(self, *exc):
                app._quiet -= 1

        return _Quiet()

    # ------------------------------------------------------------- upload --
    def upload(self, which: str, content: bytes, name: str = "upload") -> bool:
        """Use uploaded bytes as the photo (``which="content"``) or painting.

        Returns True on success. A file that is too big, not an image or
        too many pixels leaves everything as it was and explains why in
        the status line.
        """
        if which not in ("content", "style"):
            raise SettingsError(f"which must be 'content' or 'style', not "
                                f"{which!r}.")
        shown = Path(name).name or "upload"
        try:
            if len(content) > self.max_upload_bytes:
                raise ImageError(
                    f"{shown} is {len(content) / 2**20:.1f} MB; the limit is "
                    f"{self.max_upload_bytes / 2**20:.0f} MB. Resize it to "
                    f"under 2000 px on the longest side and upload it again.")
            suffix = Path(shown).suffix.lower()
            suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".img"
            with tempfile.TemporaryDirectory(prefix="style_lib_upload_") as tmp:
                path = Path(tmp) / f"upload{suffix}"
                path.write_bytes(content)
                try:
                    image = load_image(path, max_size=UPLOAD_MAX_SIDE)
                except ImageError as exc:
                    raise ImageError(str(exc).replace(str(path), shown)) from None
        except ImageError as exc:
            self._set_error(exc, "Upload refused (nothing changed)")
            return False
        label = f"{_slug(Path(shown).stem)} (upload)"
        self._custom[label] = image
        picker = self.content_picker if which == "content" else self.style_picker
        with self._quietly():
            current = picker.value
            picker.options = self._options(which)
            picker.value = current      # the change below fires the event
        if picker.value == label:       # the same file again: reload it
            self._on_source_change({"owner": picker, "old": label,
                                    "new": label})
        else:
            picker.value = label            # loads it and schedules a run
        if picker.value == label:
            self._set_status(f"Loaded {html.escape(shown)} as the "
                             f"{'photo' if which == 'content' else 'painting'}"
                             f"; restyling…")
        return True

    # ---------------------------------------------------------- scheduling --
    def _schedule(self, why: str) -> None:
        """Debounce: run once, ``debounce`` seconds after the last change."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if self._cancel is not None:
                self._cancel.set()      # the running optimisation ends now
            timer = threading.Timer(self.debounce, self._fire)
            timer.daemon = True
            self._timer = timer
            timer.start()
        self._set_status(f"{why.capitalize()}; restyling…")

    def _fire(self) -> None:
        with self._lock:
            if self._timer is not threading.current_thread():
                return                  # superseded by a later change
            self._timer = None
            self.run()

    def run(self, wait: bool = False, timeout: float | None = None) -> bool:
        """Start a run from the current image with the current settings.

        A run already in progress is cancelled first; the new one starts
        when it has finished (never two optimisers at once). Returns at
        once unless ``wait`` is True; then returns True if the run ended
        within ``timeout`` seconds.
        """
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self.runs_started += 1
            self._generation += 1
            old_thread, old_cancel = self._thread, self._cancel
            if old_cancel is not None:
                old_cancel.set()
            cancel = threading.Event()
            job = (self._generation, self._epoch, cancel, old_thread,
                   self.settings())
            thread = threading.Thread(target=self._work, args=job, daemon=True,
                                      name=f"style-app-run-{self._generation}")
            self._thread, self._cancel = thread, cancel
            thread.start()
        return self.wait(timeout) if wait else True

    def stop(self) -> None:
        """Stop the run in progress (the best image so far is kept)."""
        with self._lock:
            pending = self._timer is not None
            if pending:
                self._timer.cancel()
                self._timer = None
            running = self._thread is not None and self._thread.is_alive()
            if running:
                self._stop_requested.add(self._generation)
                self._cancel.set()
        if running:
            self._set_status("Stopping…")
        elif pending:
            self._set_status("Stopped before the run started.")
        else:
            self._set_status("Nothing is running.")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run is scheduled or running; True if idle in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                timer, thread = self._timer, self._thread
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return not self.busy
            if timer is not None:
                time.sleep(0.02 if left is None else min(0.02, left))
            elif thread is not None and thread.is_alive():
                thread.join(0.1 if left is None else min(0.1, left))
            else:
                with self._lock:
                    if self._timer is None and (self._thread is None or
                                                not self._thread.is_alive()):
                        return True

    def reset(self) -> None:
        """Stop, restore the default weights and go back to the photo."""
        self.stop()
        with self._lock:
            self._epoch += 1
        with self._quietly():
            self.content_weight_slider.value = DEFAULT_CONTENT_WEIGHT
            self.style_weight_slider.value = DEFAULT_STYLE_WEIGHT
            self.tv_weight_slider.value = DEFAULT_TV_WEIGHT
            for slider in self.layer_sliders.values():
                slider.value = 1.0 / len(self.layer_sliders)
        self._current_image = None
        self._image_weights = None
        self._history = {}
        self.progress.value = 0
        self.progress.description = "step 0"
        self._set_preview(self._content_image)
        self.loss_plot.value = self._plot.render({})
        self._set_status("Reset: default weights, back to the photo.")

    # ------------------------------------------------------------- worker --
    def _ensure_stylizer(self, cfg: dict) -> Stylizer:
        key = (cfg["content"], cfg["style"], cfg["size"], self.weights,
               self.style_layers)
        if self._stylizer is None or self._stylizer_key != key:
            self._set_status(
                f"Computing the targets for {html.escape(cfg['content'])} × "
                f"{html.escape(cfg['style'])} at {cfg['size']} px (once per "
                f"pair and size)…")
            started = time.perf_counter()
            self._stylizer = get_stylizer(
                self._resolve(cfg["content"]), self._resolve(cfg["style"]),
                size=cfg["size"], style_layers=self.style_layers,
                weights=self.weights, verbose=False)
            self._stylizer_key = key
            self.stylizers_built += 1
            self.targets_seconds = time.perf_counter() - started
        return self._stylizer

    def _work(self, generation: int, epoch: int, cancel: threading.Event,
              old: threading.Thread | None, cfg: dict) -> None:
        if old is not None:
            old.join()                  # the previous run ends first
        with self._run_lock:
            try:
                if not cancel.is_set():
                    self._optimise(generation, epoch, cancel, cfg)
                else:
                    self.last_reason = "cancelled"
            except Exception as exc:    # shown in the widget, never raised
                self.last_reason = "error"
                self._set_error(exc, "The run failed")
            finally:
                self.runs_finished += 1
                self._stop_requested.discard(generation)

    def _optimise(self, generation: int, epoch: int, cancel: threading.Event,
                  cfg: dict) -> None:
        stylizer = self._ensure_stylizer(cfg)
        if cancel.is_set():
            self.last_reason = "cancelled"
            return
        stylizer.set_weights(content_weight=cfg["content_weight"],
                             style_weight=cfg["style_weight"],
                             tv_weight=cfg["tv_weight"],
                             layer_weights=cfg["layer_weights"])
        start_image = self._current_image if epoch == self._epoch else None
        init = "content" if start_image is None else start_image
        a, b, c = cfg["content_weight"], cfg["style_weight"], cfg["tv_weight"]
        history: dict[str, list[float]] = {k: [] for k in (
            "step", "total", "content", "style", "tv")}
        self._history = history
        steps = cfg["steps"]
        self.progress.max = steps
        self.progress.value = 0
        state = {"best": math.inf, "image": None, "terms": None,
                 "preview_at": None, "progress_at": 0.0,
                 "plot_at": time.perf_counter(), "bests": [],
                 "converged": False}
        title = (f"a={format_weight(a)}  b={format_weight(b)}  "
                 f"c={format_weight(c)}")
        self._set_status("Running: starting from the photo…"
                         if start_image is None else
                         "Running: warm start from the picture on screen…")

        def callback(p: Progress) -> bool:
            if cancel.is_set():
                return True
            improved = p.total < state["best"]
            if improved:
                state["best"] = p.total
                state["image"] = np.array(p.image, np.float32)
                state["terms"] = (p.total, a * p.content, b * p.style,
                                  c * p.tv)
            for key, value in zip(("step", "total", "content", "style", "tv"),
                                  (p.step, *state["terms"])):
                history[key].append(float(value))
            state["bests"].append(state["best"])
            now = time.perf_counter()
            if now - state["progress_at"] >= 0.1:   # at most 10 updates/s
                state["progress_at"] = now
                self.progress.value = p.step
                self.progress.description = f"step {p.step}"
            if improved and p.step > 1 and (
                    state["preview_at"] is None
                    or now - state["preview_at"] >= self.preview_interval):
                state["preview_at"] = now
                self._set_preview(np.clip(state["image"], 0, 255), epoch)
                self._set_status(f"Running: step {p.step}/{steps}, loss "
                                 f"{state['best']:.3g}")
            if now - state["plot_at"] >= self.plot_interval:
                state["plot_at"] = now
                self.loss_plot.value = self._plot.render(history, title)
                self.plots_drawn += 1
            bests = state["bests"]
            if len(bests) > self.window and (
                    bests[-self.window - 1] - bests[-1]
                    <= self.tol * abs(bests[-1])):
                state["converged"] = True
                return True
            return cancel.is_set()

        started = time.perf_counter()
        result = stylizer.run(steps=steps, init=init, callback=callback,
                              optimizer=self.optimizer, progress=False)
        seconds = time.perf_counter() - started
        done = len(result.history["step"])
        self.last_result = result
        self.last_steps = done
        if generation in self._stop_requested:
            self.last_reason = "stopped"
        elif cancel.is_set():
            self.last_reason = "cancelled"
        elif state["converged"]:
            self.last_reason = "converged"
        else:
            self.last_reason = "budget"
        if epoch != self._epoch:
            return                      # reset meanwhile: discard the result
        self._current_image = result.image
        self._image_weights = {k: cfg[k] for k in (
            "content_weight", "style_weight", "tv_weight", "layer_weights")}
        self.progress.value = min(done, steps)
        self.progress.description = f"step {done}"
        self._set_preview(result.image, epoch)
        self.loss_plot.value = self._plot.render(history, title)
        self.plots_drawn += 1
        message = {
            "stopped": f"Stopped after {done} steps; the best picture so far "
                       f"is kept.",
            "cancelled": None,          # the next run writes the status
            "converged": f"Converged after {done} steps ({seconds:.1f} s), "
                         f"loss {result.best_loss:.3g}.",
            "budget": f"Done: {done} steps in {seconds:.1f} s, loss "
                      f"{result.best_loss:.3g}. Run again to continue."}
        if message[self.last_reason]:
            self._set_status(message[self.last_reason])

    # --------------------------------------------------------------- save --
    def save(self, folder: str | os.PathLike | None = None) -> Path:
        """Save the picture on screen as PNG; return its path.

        The name records the settings, e.g.
        ``tubingen-starry_night-c1-s1e4-tv1e-2-192px.png``. The file is
        written atomically and never overwrites an existing file (``-2``,
        ``-3``, ... are appended instead).
        """
        folder = Path(folder if folder is not None else self.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        cfg = self.settings()
        image = self.current_image
        if self._current_image is not None and self._image_weights:
            cfg.update(self._image_weights)   # the weights that made it
        name = settings_name(cfg["content"].replace(" (upload)", "")
                             .replace(" (file)", ""),
                             cfg["style"].replace(" (upload)", "")
                             .replace(" (file)", ""),
                             content_weight=cfg["content_weight"],
                             style_weight=cfg["style_weight"],
                             tv_weight=cfg["tv_weight"],
                             size=max(image.shape[:2]),
                             layer_weights=cfg["layer_weights"])
        stem = name[:-len(".png")]
        tmp = save_image(image, folder / f".{stem}.{os.getpid()}."
                         f"{threading.get_ident()}.partial.png")
        try:
            for n in range(1, 1000):
                target = folder / (name if n == 1 else f"{stem}-{n}.png")
                try:
                    os.link(tmp, target)     # atomic; fails if it exists
                    return target
                except FileExistsError:
                    continue
                except OSError:              # no hard links here: best effort
                    if target.exists():
                        continue
                    os.replace(tmp, target)
                    return target
            raise ImageError(f"{folder} already holds 999 files named "
                             f"{stem}-N.png; choose another folder.")
        finally:
            if tmp.exists():
                tmp.unlink()

    def _save_clicked(self) -> None:
        try:
            path = self.save(self.folder_text.value.strip() or self.output_dir)
        except (StyleLibError, OSError) as exc:
            self._set_error(exc, "Could not save")
            return
        self._set_status(f"Saved <code>{html.escape(str(path))}</code>")


def show(content="tubingen", style="starry_night", **kwargs) -> StyleTransferApp:
    """Build a :class:`StyleTransferApp`, display it and return it."""
    from IPython.display import display
    app = StyleTransferApp(content, style, **kwargs)
    display(app.widget)
    return app
