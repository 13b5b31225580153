"""A photo picker that stylises instantly with trained networks (notebook 09).

Pick a photo (or upload one) and a network; the picture appears after one
forward pass, with its time. A checkbox keeps the photo's colours
(luminance-only transfer, as ``--preserve-color luminance``). Errors (a bad upload, a broken model file)
become the status line, never a traceback.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StyleLibError
from ..io.images import resize_image
from ..core.vgg import check_precision
from ..teaching.widgets import load_upload, png_bytes, status_html
from .network import stylize_fast

__all__ = ["FastStyleApp"]


class FastStyleApp:
    """Dropdowns for the photo and the network, an upload button, the result.

    Args:
      models: name -> Keras transformation network.
      photos: name -> ``(H, W, 3)`` image in ``[0, 255]``.
      size: longest side the photo is stylised at (px).
      precision: as in :func:`stylize_fast` (``"auto"``: bfloat16 where native).
    ``app.widget`` is the whole app; ``app.last_image`` the last result and
    ``app.last_seconds`` its forward-pass time.
    """

    def __init__(self, models: Mapping[str, Any], photos: Mapping[str, np.ndarray], *,
                 size: int = 512, precision: str = "auto"):
        import ipywidgets as w
        if not models or not photos:
            raise StyleLibError("FastStyleApp needs at least one model and one photo.")
        self.models, self.photos, self.size = dict(models), dict(photos), int(size)
        self.precision = check_precision(precision)
        self.photo_picker = w.Dropdown(options=list(self.photos), description="photo")
        self.model_picker = w.Dropdown(options=list(self.models), description="style")
        self.upload_button = w.FileUpload(accept="image/*", multiple=False,
                                          description="upload a photo")
        self.keep_colors = w.Checkbox(value=False, description="keep the photo's colours",
                                      indent=False)
        self.before = w.Image(format="png")
        self.after = w.Image(format="png")
        self.status = w.HTML()
        self.last_image: np.ndarray | None = None
        self.last_seconds = float("nan")
        self._quiet = False                  # True while upload() changes the picker
        self.photo_picker.observe(lambda _: self._quiet or self.refresh(), "value")
        self.model_picker.observe(lambda _: self.refresh(), "value")
        self.keep_colors.observe(lambda _: self.refresh(), "value")
        self.upload_button.observe(self._on_upload, "value")
        self.widget = w.VBox([w.HBox([self.photo_picker, self.model_picker,
                                      self.upload_button, self.keep_colors]),
                              w.HBox([self.before, self.after]), self.status])
        self.refresh()

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

    def refresh(self) -> bool:
        """Stylise the picked photo with the picked network; True on success."""
        try:
            photo = self.photos[self.photo_picker.value]
            if max(photo.shape[:2]) > self.size:
                photo = resize_image(photo, self.size)
            model = self.models[self.model_picker.value]
            started = time.perf_counter()
            picture = stylize_fast(model, photo, precision=self.precision,
                                   preserve_color="luminance" if self.keep_colors.value
                                   else None)
            self.last_seconds = time.perf_counter() - started
        except Exception as exc:     # a widget never raises: the status says why
            self.status.value = status_html(f"{type(exc).__name__}: {exc}", error=True)
            return False
        self.last_image = picture
        self.before.value, self.after.value = png_bytes(photo), png_bytes(picture)
        h, w = picture.shape[:2]
        self.status.value = status_html(f"{w}x{h} px in {self.last_seconds * 1000:.0f} ms "
                                        "(one forward pass)")
        return True

    def upload(self, content: bytes, name: str = "upload") -> bool:
        """Add uploaded bytes as a photo and show it stylised; a bad file changes nothing."""
        shown = Path(name).name or "upload"
        try:
            image = load_upload(content, shown)
        except StyleLibError as exc:
            self.status.value = status_html(f"Upload refused: {exc}", error=True)
            return False
        label = f"{Path(shown).stem} (upload)"
        self.photos[label] = image
        self._quiet = True
        try:
            self.photo_picker.options = list(self.photos)
            self.photo_picker.value = label
        finally:
            self._quiet = False
        return self.refresh()

    def _on_upload(self, change: dict) -> None:
        if not change["new"]:
            return
        item = change["new"][0]
        try:
            self.upload(bytes(item["content"]), str(item["name"]))
        finally:
            self.upload_button.value = ()
