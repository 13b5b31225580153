"""Any painting, any photo, one pass (notebook 13): drop in files, drag α.

Dropdowns for the photo and the painting, an upload button for each, the
α slider (0 = the photo, 1 = all style) and a checkbox that keeps the
photo's colours. The picture is redrawn after each change with its time; the
painting's statistics are cached, so a slider move costs one encoder and one
decoder pass. A bad upload becomes the status line, never a traceback.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import StyleLibError
from ..io.images import resize_image
from ..teaching.widgets import load_upload, png_bytes, status_html
from .model import AdaIN

__all__ = ["AdaINApp"]


class AdaINApp:
    """``AdaINApp(model, photos, paintings)``; ``app.widget`` is the whole app.

    Args:
      model: an :class:`~style_lib.adain.model.AdaIN`.
      photos, paintings: name -> ``(H, W, 3)`` image in ``[0, 255]``.
      size: longest side the photo is painted at (px).
    ``app.last_image`` is the last picture and ``app.last_seconds`` its time.
    """

    def __init__(self, model: AdaIN, photos: Mapping[str, np.ndarray],
                 paintings: Mapping[str, np.ndarray], *, size: int = 512,
                 alpha: float = 1.0):
        import ipywidgets as w
        if not photos or not paintings:
            raise StyleLibError("AdaINApp needs at least one photo and one painting.")
        self.model, self.size = model, int(size)
        self.images = {"photo": dict(photos), "painting": dict(paintings)}
        self.pickers = {kind: w.Dropdown(options=list(self.images[kind]), description=kind)
                        for kind in ("photo", "painting")}
        self.uploads = {kind: w.FileUpload(accept="image/*", multiple=False,
                                           description=f"upload a {kind}")
                        for kind in ("photo", "painting")}
        self.alpha = w.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="α",
                                   continuous_update=True, readout_format=".2f")
        self.keep_colors = w.Checkbox(value=False, description="keep the photo's colours",
                                      indent=False)
        self.painting_view, self.after = w.Image(format="png", width=160), w.Image(format="png")
        self.status = w.HTML()
        self.last_image: np.ndarray | None = None
        self.last_seconds = float("nan")
        self._quiet = False
        for kind in ("photo", "painting"):
            self.pickers[kind].observe(lambda _: self._quiet or self.refresh(), "value")
            self.uploads[kind].observe(lambda change, k=kind: self._on_upload(k, change),
                                       "value")
        self.alpha.observe(lambda _: self.refresh(), "value")
        self.keep_colors.observe(lambda _: self.refresh(), "value")
        self.widget = w.VBox([
            w.HBox([self.pickers["photo"], self.uploads["photo"]]),
            w.HBox([self.pickers["painting"], self.uploads["painting"]]),
            w.HBox([self.alpha, self.keep_colors]),
            w.HBox([self.painting_view, self.after]), self.status])
        # CSS classes: what a browser test (and a stylesheet) finds
        self.widget.add_class("adain-app")
        self.alpha.add_class("adain-alpha-slider")
        self.after.add_class("adain-picture")
        self.status.add_class("adain-status")
        self.refresh()

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

    def _picked(self, kind: str) -> np.ndarray:
        image = self.images[kind][self.pickers[kind].value]
        return resize_image(image, self.size) if max(image.shape[:2]) > self.size else image

    def refresh(self) -> bool:
        """Paint the picked photo in the picked painting at the slider's α; True on success."""
        try:
            photo, painting = self._picked("photo"), self._picked("painting")
            started = time.perf_counter()
            picture = self.model(photo, painting, alpha=self.alpha.value,
                                 preserve_color="luminance" if self.keep_colors.value
                                 else None)
            self.last_seconds = time.perf_counter() - started
        except Exception as exc:     # a widget never raises: the status says why
            self.status.value = status_html(f"{type(exc).__name__}: {exc}", error=True)
            return False
        self.last_image = picture
        self.painting_view.value, self.after.value = png_bytes(painting), png_bytes(picture)
        h, w = picture.shape[:2]
        self.status.value = status_html(f"{w}x{h} px, α = {self.alpha.value:.2f}, in "
                                        f"{self.last_seconds * 1000:.0f} ms")
        return True

    def upload(self, kind: str, content: bytes, name: str = "upload") -> bool:
        """Add an uploaded photo or painting and show the picture; a bad file changes nothing."""
        shown = Path(name).name or "upload"
        try:
            image = load_upload(content, shown)
        except StyleLibError as exc:
            self.status.value = status_html(f"Upload refused: {exc}", error=True)
            return False
        label = f"{Path(shown).stem} (upload)"
        self.images[kind][label] = image
        self._quiet = True
        try:
            self.pickers[kind].options = list(self.images[kind])
            self.pickers[kind].value = label
        finally:
            self._quiet = False
        return self.refresh()

    def _on_upload(self, kind: str, change: dict) -> None:
        if not change["new"]:
            return
        item = change["new"][0]
        try:
            self.upload(kind, bytes(item["content"]), str(item["name"]))
        finally:
            self.uploads[kind].value = ()
