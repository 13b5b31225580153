"""Sliders that blend the styles of a many-style network, live (notebook 10).

One slider per painting: the weights ``w`` (rescaled to sum 1) mix the
styles' instance-normalisation scales and shifts, ``γ = wᵀΓ, β = wᵀΒ``,
and the picture is redrawn with one forward pass each time a slider moves.
Errors become the status line, never a traceback.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import StyleLibError
from ..io.images import resize_image
from ..core.vgg import check_precision
from ..teaching.widgets import png_bytes, status_html
from .network import style_names, stylize_fast

__all__ = ["StyleBlendApp"]


class StyleBlendApp:
    """Blend a many-style network's paintings with sliders; the picture follows.

    Args:
      model: a many-style network (``build_transform_net(styles=...)``).
      photos: name -> ``(H, W, 3)`` image in ``[0, 255]``.
      size: longest side the photo is stylised at (px).
      precision: as in :func:`~style_lib.fast.network.stylize_fast`.
    ``app.widget`` is the whole app; ``app.sliders`` maps style -> slider;
    ``app.last_image``, ``app.last_weights`` and ``app.last_seconds`` (the
    whole refresh: forward pass and PNG) describe the last picture.
    """

    def __init__(self, model: Any, photos: Mapping[str, np.ndarray], *, size: int = 256,
                 precision: str = "auto"):
        import ipywidgets as w
        self.names = style_names(model)
        if not self.names:
            raise StyleLibError("StyleBlendApp needs a many-style network (trained with "
                                "several paintings); this one paints one. Fix: "
                                "load_pretrained('four_paintings').")
        if not photos:
            raise StyleLibError("StyleBlendApp needs at least one photo.")
        self.model, self.size = model, int(size)
        self.precision = check_precision(precision)
        self.photos = {name: (resize_image(p, self.size) if max(p.shape[:2]) > self.size
                              else np.asarray(p, np.float32)) for name, p in photos.items()}
        self.photo_picker = w.Dropdown(options=list(self.photos), description="photo")
        layout = w.Layout(width="420px")
        self.sliders = {name: w.FloatSlider(value=1.0 if i == 0 else 0.0, min=0.0, max=1.0,
                                            step=0.05, description=name,
                                            continuous_update=True, readout_format=".2f",
                                            style={"description_width": "140px"},
                                            layout=layout)
                        for i, name in enumerate(self.names)}
        for slider in self.sliders.values():
            slider.add_class("style-blend-slider")
            slider.observe(lambda _: self.refresh(), "value")
        self.photo_picker.observe(lambda _: self.refresh(), "value")
        self.picture = w.Image(format="png", layout=w.Layout(align_self="flex-start",
                                                             object_fit="contain"))
        self.picture.add_class("style-preview")
        self.status = w.HTML()
        self.status.add_class("style-status")
        self.last_image: np.ndarray | None = None
        self.last_weights: np.ndarray | None = None
        self.last_seconds = float("nan")
        self._quiet = False                  # True while set_weights moves the sliders
        self.widget = w.HBox([w.VBox([self.photo_picker, *self.sliders.values(), self.status]),
                              self.picture])
        self.widget.add_class("style-blend-app")
        self.refresh()

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

    def set_weights(self, weights: Mapping[str, float]) -> bool:
        """Move the sliders to ``weights`` (name -> value; others to 0) and redraw once."""
        unknown = sorted(set(weights) - set(self.names))
        if unknown:
            self.status.value = status_html(f"{unknown} are not styles of this network "
                                            f"({', '.join(self.names)}).", error=True)
            return False
        self._quiet = True
        try:
            for name, slider in self.sliders.items():
                slider.value = float(weights.get(name, 0.0))
        finally:
            self._quiet = False
        return self.refresh()

    def refresh(self) -> bool:
        """Stylise the photo with the sliders' blend; True on success."""
        if self._quiet:
            return False
        weights = {name: slider.value for name, slider in self.sliders.items()}
        if not sum(weights.values()) > 0:
            self.status.value = status_html("Every slider is at 0: move one up to pick "
                                            "a style.", error=True)
            return False
        try:
            started = time.perf_counter()
            picture = stylize_fast(self.model, self.photos[self.photo_picker.value],
                                   style=weights, precision=self.precision)
            self.picture.value = png_bytes(picture)
            self.last_seconds = time.perf_counter() - started
        except Exception as exc:     # a widget never raises: the status says why
            self.status.value = status_html(f"{type(exc).__name__}: {exc}", error=True)
            return False
        total = sum(weights.values())
        self.last_image = picture
        self.last_weights = np.array([weights[n] / total for n in self.names], np.float32)
        mix = " + ".join(f"{v / total:.2f} {n}" for n, v in weights.items() if v > 0)
        h, w = picture.shape[:2]
        self.status.value = (status_html(mix) + "<br>" + status_html(
            f"{w}x{h} px, redrawn in {self.last_seconds * 1000:.0f} ms"))
        return True
