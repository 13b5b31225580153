"""Sliders for style transfer: move a weight, watch the picture change.

:class:`StyleTransferApp` puts the weights of
``J(x) = α L_content + β L_style + γ L_tv`` (and one ``w_l`` per style
layer) on sliders, with pickers and uploads for the photo and the painting,
a live preview and a loss plot. It is only the ipywidgets face of
:class:`style_lib.teaching.runner.StyleRunner`, which does the work in a background
thread: cached targets (a weight change reuses the compiled step), warm
starts from the picture on screen, debounced slider moves, cancelled runs
and convergence detection.

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
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..io import data
from ..io.data import as_image
from ..errors import ImageError, SettingsError, StyleLibError
from ..io.images import load_image, save_new_image, to_uint8
from .plots import loss_plot_png
from .runner import (CONVERGED_TOL, CONVERGED_WINDOW, Source, StyleRunner,
                     make_source, slug)

__all__ = ["StyleTransferApp", "show", "settings_name", "format_weight",
           "load_upload", "CONVERGED_TOL", "CONVERGED_WINDOW",
           "MAX_UPLOAD_BYTES", "SIZES"]

#: Uploads larger than this are refused before decoding.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Longest side of an uploaded image after loading (the run size is smaller).
UPLOAD_MAX_SIDE = 1024
#: Preview sizes offered in the size menu (pixels, longest side).
SIZES = (64, 128, 192, 256)
#: Slider ranges as powers of ten: (min, max) around the library defaults.
CONTENT_RANGE = (-3, 3)        # α: 1e-3 ... 1e3, default 1
STYLE_RANGE = (0, 8)           # β: 1 ... 1e8, default 1e3
TV_RANGE = (-6, 2)             # γ: 1e-6 ... 1e2, default 1e-2
#: Weight sliders: (attribute, setting, label, range), in the notebooks'
#: notation.
WEIGHT_SLIDERS = (("content_weight_slider", "content_weight", "content α",
                   CONTENT_RANGE),
                  ("style_weight_slider", "style_weight", "style β", STYLE_RANGE),
                  ("tv_weight_slider", "tv_weight", "smoothing γ", TV_RANGE))


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
    parts = [slug(content), slug(style), "c" + format_weight(content_weight),
             "s" + format_weight(style_weight), "tv" + format_weight(tv_weight),
             f"{int(size)}px"]
    if layer_weights is not None and len(set(np.round(layer_weights, 6))) > 1:
        parts.append("lw" + "_".join(f"{float(w):g}" for w in layer_weights))
    return "-".join(parts) + suffix


def load_upload(content: bytes, name: str = "upload", *,
                max_bytes: int = MAX_UPLOAD_BYTES,
                max_side: int = UPLOAD_MAX_SIDE) -> np.ndarray:
    """Decode uploaded bytes to ``(H, W, 3)`` float32, or raise ImageError.

    Files over ``max_bytes`` are refused before decoding; messages name the
    upload (``name``), never a temporary file.
    """
    shown = Path(name).name or "upload"
    if len(content) > max_bytes:
        raise ImageError(
            f"{shown} is {len(content) / 2**20:.1f} MB; the limit is "
            f"{max_bytes / 2**20:.0f} MB. Resize it to under 2000 px on the "
            f"longest side and upload it again.")
    suffix = Path(shown).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".img"
    with tempfile.TemporaryDirectory(prefix="style_lib_upload_") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            return load_image(path, max_size=max_side)
        except ImageError as exc:
            raise ImageError(str(exc).replace(str(path), shown)) from None


def status_html(text: str, *, error: bool = False) -> str:
    """An HTML status line for ``text``, escaped: a file name or an error message
    (user-provided strings) shows as text and never runs as HTML in the page."""
    colour, icon = ("#b00020", "⚠️ ") if error else ("#333", "")
    return f'<span style="color:{colour}">{icon}{html.escape(str(text))}</span>'


def png_bytes(image: np.ndarray) -> bytes:
    """Return PNG bytes of an ``(H, W, 3)`` image in ``[0, 255]``."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="PNG",
                                          compress_level=1)
    return buffer.getvalue()


# ---------------------------------------------------------------- app ---

class StyleTransferApp:
    """Sliders, pickers and a live preview for interactive style transfer.

    ``content``/``style``: demo name (``style_lib.io.data.NAMES``), path or
    array ``(H, W, 3)`` in ``[0, 255]``; ``output_dir``: the Save button's
    default folder; ``max_upload_bytes``: larger uploads are refused. The
    other arguments go to :class:`~style_lib.teaching.runner.StyleRunner` (``size``,
    ``steps``, VGG16 ``weights``, ``precision``, ``optimizer``,
    ``style_layers``, ``debounce``, ``preview_interval``, ``plot_interval``,
    ``tol``, ``window``), which does the work: ``app.runner``.

    The controls are attributes (``style_weight_slider``, ``run_button``,
    ...); ``app.widget`` is the whole app. Setting a slider's ``value`` in
    code behaves exactly like moving it. The runner's ``busy``, ``size``,
    ``steps``, ``stylizer``, ``current_image``, ``history`` (unweighted, as
    ``StyleResult.history``), ``status_text``, ``last_error``,
    ``last_result``, ``last_reason``, ``last_steps`` and counters are
    readable on the app too (:attr:`FROM_RUNNER`).
    """

    #: Read-only attributes that come from :attr:`runner`.
    FROM_RUNNER = frozenset({
        "busy", "size", "steps", "stylizer", "current_image", "history",
        "status_text", "last_error", "last_result", "last_reason",
        "last_steps", "runs_started", "runs_finished", "stylizers_built",
        "targets_seconds", "debounce"})

    def __init__(self, content: Any = "tubingen", style: Any = "starry_night",
                 *, output_dir: str | os.PathLike = "out",
                 max_upload_bytes: int = MAX_UPLOAD_BYTES, **runner_options: Any) -> None:
        import ipywidgets
        self._w = ipywidgets
        self.output_dir = Path(output_dir)
        self.max_upload_bytes = int(max_upload_bytes)
        self.previews_shown = self.plots_drawn = 0   # counters for tests
        self._quiet = 0                              # >0: ignore widget events
        self._custom: dict[str, Source] = {}         # uploads and files
        callbacks = {"on_status", "on_preview", "on_progress", "on_history", "on_finish"}
        taken = sorted(callbacks & set(runner_options))
        if taken:
            raise SettingsError(f"the app sets {', '.join(taken)} itself. Fix: leave "
                                f"{'it' if len(taken) == 1 else 'them'} out.")
        self.runner = StyleRunner(        # the runner checks its own settings, once
            content, style, on_status=self._show_status, on_preview=self._show_preview,
            on_progress=self._show_progress, on_history=self._show_history,
            **runner_options)
        for which in ("content", "style"):
            source = self.runner.source(which)
            if source.label not in data.NAMES:
                self._custom[source.label] = source
        self._build_pickers()
        self._build_weight_sliders()
        self._build_outputs()
        self._add_css_classes()
        self.widget = self._layout()
        self._show_sources()
        self._show_preview(self.runner.current_image)
        self._show_history({}, self.runner.settings())
        self.runner.set_status("Ready. Press Run, or move a slider.")
        self._connect()

    # ------------------------------------------------------------ layout --
    def _build_pickers(self) -> None:
        w, cfg = self._w, self.runner.settings()
        box, label = w.Layout(width="230px"), {"description_width": "56px"}
        self.content_picker = w.Dropdown(
            options=self._options("content"), value=cfg["content"],
            description="photo", style=label, layout=box)
        self.style_picker = w.Dropdown(
            options=self._options("style"), value=cfg["style"],
            description="painting", style=label, layout=box)
        self.content_upload = w.FileUpload(accept="image/*", multiple=False,
                                           description="Upload photo", layout=box)
        self.style_upload = w.FileUpload(accept="image/*", multiple=False,
                                         description="Upload painting",
                                         layout=box)
        self.content_thumb = w.Image(format="png", layout=w.Layout(width="96px"))
        self.style_thumb = w.Image(format="png", layout=w.Layout(width="96px"))
        self.size_picker = w.Dropdown(
            options=sorted(set(SIZES) | {cfg["size"]}), value=cfg["size"],
            description="size (px)", style={"description_width": "64px"},
            layout=w.Layout(width="170px"))
        self.steps_slider = w.IntSlider(
            value=cfg["steps"], min=5, max=max(500, cfg["steps"]), step=5,
            description="max steps", style={"description_width": "70px"},
            layout=w.Layout(width="280px"))

    def _build_weight_sliders(self) -> None:
        w, cfg = self._w, self.runner.settings()
        style, layout = {"description_width": "110px"}, w.Layout(width="340px")
        for attribute, key, label, (low, high) in WEIGHT_SLIDERS:
            setattr(self, attribute, w.FloatLogSlider(
                value=cfg[key], base=10, min=low, max=high, step=0.1,
                readout_format=".2g", description=label, style=style,
                layout=layout))
        self.layer_sliders = {
            name: w.FloatSlider(value=value, min=0.0, max=1.0, step=0.05,
                                readout_format=".2f", description=name,
                                style=style, layout=layout)
            for name, value in zip(self.runner.style_layers,
                                   cfg["layer_weights"])}

    def _build_outputs(self) -> None:
        w, button = self._w, self._w.Layout(width="90px")
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
        self.preview = w.Image(format="png", layout=w.Layout(width="320px",
                                                             height="auto"))
        self.progress = w.IntProgress(value=0, min=0, max=self.steps,
                                      description="step 0",
                                      style={"description_width": "70px"},
                                      layout=w.Layout(width="320px"))
        self.loss_plot = w.Image(format="png", layout=w.Layout(width="288px"))
        self.status = w.HTML(layout=w.Layout(width="100%"))
        self.credits = w.HTML(layout=w.Layout(width="100%"))

    def _add_css_classes(self) -> None:
        """Stable CSS classes: the browser test finds the controls by them."""
        for attribute, css in (
                ("content_picker", "content-picker"),
                ("style_picker", "style-picker"),
                ("content_upload", "content-upload"),
                ("style_upload", "style-upload"), ("size_picker", "size"),
                ("steps_slider", "steps"), ("run_button", "run"),
                ("stop_button", "stop"), ("reset_button", "reset"),
                ("save_button", "save"), ("preview", "preview"),
                ("progress", "progress"), ("loss_plot", "loss-plot"),
                ("status", "status"), ("credits", "credits")):
            getattr(self, attribute).add_class("style-" + css)
        for attribute, *_ in WEIGHT_SLIDERS:    # e.g. style-weight-slider
            getattr(self, attribute).add_class(attribute.replace("_", "-"))
        for name, slider in self.layer_sliders.items():
            slider.add_class("layer-weight-slider")
            slider.add_class(f"layer-weight-{name}")

    def _layout(self) -> Any:
        w = self._w
        header = w.HTML("<b>Neural style transfer</b> &nbsp;·&nbsp; move a "
                        "weight and the picture is re-optimised from what you "
                        "see.")
        pickers = w.HBox([
            w.VBox([self.content_picker, self.content_upload,
                    self.content_thumb]),
            w.VBox([self.style_picker, self.style_upload, self.style_thumb]),
            w.VBox([self.size_picker, self.steps_slider])])
        sliders = w.VBox(
            [w.HTML("<b>Loss weights</b> &nbsp; J = α·L<sub>content</sub> + "
                    "β·L<sub>style</sub> + γ·L<sub>TV</sub>"),
             self.content_weight_slider, self.style_weight_slider,
             self.tv_weight_slider,
             w.HTML("<b>Style layer weights</b> w<sub>l</sub>")]
            + list(self.layer_sliders.values()))
        result = w.VBox([self.preview, self.progress, self.loss_plot])
        actions = w.HBox([self.run_button, self.stop_button, self.reset_button,
                          self.save_button, self.folder_text])
        app = w.VBox([header, pickers, w.HBox([sliders, result]), actions,
                      self.status, self.credits])
        app.add_class("style-app")
        return app

    def _connect(self) -> None:
        reported = self._reported
        for attribute, key, *_ in WEIGHT_SLIDERS:
            getattr(self, attribute).observe(reported(
                lambda change, key=key: self._on_setting(key, change),
                "Setting refused"), names="value")
        for slider in self.layer_sliders.values():
            slider.observe(reported(self._on_layer_weight, "Setting refused"),
                           names="value")
        for picker in (self.content_picker, self.style_picker, self.size_picker):
            picker.observe(reported(self._on_source_change, "Could not use that"),
                           names="value")
        self.steps_slider.observe(reported(
            lambda change: self._on_setting("steps", change), "Setting refused"),
            names="value")
        for upload in (self.content_upload, self.style_upload):
            upload.observe(reported(self._on_upload, "Upload refused"), names="value")
        self.run_button.on_click(reported(lambda _: self.run(), "Could not run"))
        self.stop_button.on_click(reported(lambda _: self.stop(), "Could not stop"))
        self.reset_button.on_click(reported(lambda _: self.reset(), "Could not reset"))
        self.save_button.on_click(reported(lambda _: self._save_clicked(),
                                           "Could not save"))

    def _reported(self, callback, what: str):
        """``callback`` for a widget: any error becomes the status line, never
        a traceback in the notebook's log."""
        def guarded(*args):
            try:
                callback(*args)
            except Exception as exc:            # noqa: BLE001 (shown, not lost)
                self.runner.report_error(exc, what)
        return guarded

    # ----------------------------------------------------------- display --
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return (f"StyleTransferApp({self.content_picker.value!r}, "
                f"{self.style_picker.value!r}, size={self.size}, "
                f"steps={self.steps})")

    def __getattr__(self, name: str) -> Any:
        if name in StyleTransferApp.FROM_RUNNER and "runner" in self.__dict__:
            return getattr(self.runner, name)
        raise AttributeError(f"{type(self).__name__!r} object has no "
                             f"attribute {name!r}")

    @property
    def preview_png(self) -> bytes:
        """PNG bytes of the preview."""
        return bytes(self.preview.value)

    def settings(self) -> dict[str, Any]:
        """Return the current settings as plain Python values."""
        return self.runner.settings()

    # ------------------------------------------------- runner -> widgets --
    def _show_status(self, text: str, error: bool) -> None:
        self.status.value = status_html(text, error=error)

    def _show_preview(self, image: np.ndarray) -> None:
        self.preview.value = png_bytes(image)
        self.previews_shown += 1

    def _show_progress(self, step: int, steps: int) -> None:
        self.progress.max = steps
        self.progress.value = min(step, steps)
        self.progress.description = f"step {step}"

    def _show_history(self, history: dict, weights: dict) -> None:
        title = "  ".join(f"{symbol}={format_weight(weights[key])}" for symbol, key
                          in (("α", "content_weight"), ("β", "style_weight"),
                              ("γ", "tv_weight")))
        self.loss_plot.value = loss_plot_png(history, weights=weights,
                                             title=title if history else "")
        self.plots_drawn += 1

    def _show_sources(self) -> None:
        """Thumbnails and credits of the photo and the painting."""
        lines = []
        for which, thumb, what in (("content", self.content_thumb, "Content"),
                                   ("style", self.style_thumb, "Style")):
            source = self.runner.source(which)
            thumb.value = png_bytes(as_image(source.image, 96))
            credit = data.credit(source.label) if source.label in data.CREDITS \
                else "your own image"
            lines.append(f"{what}: {html.escape(credit)}")
        self.credits.value = ('<small style="color:#555">' + "<br>".join(lines)
                              + "</small>")

    # ------------------------------------------------- widgets -> runner --
    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change widgets without triggering their observers."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _on_setting(self, key: str, change: dict) -> None:
        if not self._quiet and not self.runner.update(**{key: change["new"]}):
            with self._quietly():
                change["owner"].value = change["old"]

    def _on_layer_weight(self, change: dict) -> None:
        if not self._quiet:
            self.runner.update(layer_weights=[
                float(s.value) for s in self.layer_sliders.values()])

    def _options(self, which: str) -> list[str]:
        first = data.CONTENT_NAMES if which == "content" else data.STYLE_NAMES
        rest = data.STYLE_NAMES if which == "content" else data.CONTENT_NAMES
        return list(self._custom) + list(first) + list(rest)

    def _on_source_change(self, change: dict) -> None:
        if self._quiet:
            return
        owner = change["owner"]
        if owner is self.size_picker:
            ok = self.runner.update(size=int(change["new"]))
        else:
            which = "content" if owner is self.content_picker else "style"
            try:
                ok = self._use(which, change["new"])
            except StyleLibError as exc:    # e.g. a demo image not downloadable
                self.runner.report_error(exc, "Could not use that")
                ok = False
        if not ok:                      # keep the previous choice
            with self._quietly():
                owner.value = change["old"]

    def _use(self, which: str, label: str) -> bool:
        """Make the picker entry ``label`` the photo or the painting."""
        source = self._custom.get(label) or make_source(label, which)
        if not self.runner.update(**{which: source}):
            return False
        self._show_sources()
        return True

    def _on_upload(self, change: dict) -> None:
        if self._quiet or not change["new"]:
            return
        which = "content" if change["owner"] is self.content_upload else "style"
        item = change["new"][0]
        try:
            self.upload(which, bytes(item["content"]), str(item["name"]))
        finally:
            with self._quietly():       # allow uploading the same file again
                change["owner"].value = ()

    def upload(self, which: str, content: bytes, name: str = "upload") -> bool:
        """Use uploaded bytes as the photo (``which="content"``) or painting;
        True on success. A bad file (too big, not an image, too many pixels)
        changes nothing and the status line says why."""
        if which not in ("content", "style"):
            raise SettingsError(f"which must be 'content' or 'style', not "
                                f"{which!r}.")
        shown = Path(name).name or "upload"
        try:
            image = load_upload(content, shown, max_bytes=self.max_upload_bytes)
        except ImageError as exc:
            self.runner.report_error(exc, "Upload refused (nothing changed)")
            return False
        label = f"{slug(Path(shown).stem)} (upload)"
        self._custom[label] = Source(label, image)
        picker = self.content_picker if which == "content" else self.style_picker
        old = picker.value
        with self._quietly():
            picker.options = self._options(which)
            picker.value = label
        if not self._use(which, label):
            with self._quietly():
                picker.value = old
            return False
        self.runner.set_status(f"Loaded {shown} as the "
                               f"{'photo' if which == 'content' else 'painting'}"
                               f"; restyling…")
        return True

    # ----------------------------------------------------------- actions --
    def run(self, wait: bool = False, timeout: float | None = None) -> bool:
        """Start a run now (see :meth:`StyleRunner.run`)."""
        return self.runner.run(wait=wait, timeout=timeout)

    def stop(self) -> None:
        """Stop the run in progress; the best picture so far is kept."""
        self.runner.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run is scheduled or running; True if idle in time."""
        return self.runner.wait(timeout)

    def reset(self) -> None:
        """Stop, restore the default weights and go back to the photo."""
        self.runner.reset()
        cfg = self.runner.settings()
        with self._quietly():
            for attribute, key, *_ in WEIGHT_SLIDERS:
                getattr(self, attribute).value = cfg[key]
            for slider, value in zip(self.layer_sliders.values(),
                                     cfg["layer_weights"]):
                slider.value = value

    def save(self, folder: str | os.PathLike | None = None) -> Path:
        """Save the picture on screen as PNG in ``folder``; return its path.

        The name records the settings that made it, e.g.
        ``tubingen-starry_night-c1-s1e4-tv1e-2-192px.png``. Written
        atomically; never over an existing file (``-2``, ``-3``, ... are
        appended) and refused if it would replace the photo or painting
        file (:func:`style_lib.io.images.save_new_image`).
        """
        folder = Path(folder if folder is not None else self.output_dir)
        image, cfg = self.runner.picture()
        plain = [re.sub(r" \((upload|file)\)$", "", cfg[k])   # the bare names
                 for k in ("content", "style")]
        name = settings_name(*plain,
                             content_weight=cfg["content_weight"],
                             style_weight=cfg["style_weight"],
                             tv_weight=cfg["tv_weight"],
                             size=max(image.shape[:2]),
                             layer_weights=cfg["layer_weights"])
        try:
            folder.expanduser().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImageError(f"Cannot save in {folder}: {exc.strerror or exc}; "
                             f"choose another folder.") from None
        except ValueError:              # e.g. a NUL character in the name
            raise ImageError(f"Cannot save in {str(folder)!r}: no folder can have "
                             f"that name; choose another folder.") from None
        return save_new_image(image, folder.expanduser() / name,
                              inputs=self.runner.input_paths())

    def _save_clicked(self) -> None:
        """The Save button (its errors become the status line: :meth:`_reported`)."""
        path = self.save(self.folder_text.value.strip() or self.output_dir)
        self.runner.set_status(f"Saved {path}")


def show(content: Any = "tubingen", style: Any = "starry_night",
         **kwargs: Any) -> StyleTransferApp:
    """Build a :class:`StyleTransferApp`, display it and return it."""
    from IPython.display import display
    app = StyleTransferApp(content, style, **kwargs)
    display(app.widget)
    return app
