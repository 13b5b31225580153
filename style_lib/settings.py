"""The defaults of a stylisation run and the checks of what a user passes.

Every public entry point (``stylize``, ``Stylizer``, the CLI, the widgets)
validates a parameter **once**, with the ``check_*`` functions here, and
hands the checked value on. Notation of the notebooks: the objective is
``J(x) = α L_content + β L_style + γ L_tv`` (the paper's eq. 7 plus a
total-variation term); ``content_weight``, ``style_weight`` and
``tv_weight`` are α, β and γ.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import SettingsError
from .vgg_layers import layer_info

DEFAULT_CONTENT_LAYERS: tuple[str, ...] = ("conv4_2",)
DEFAULT_STYLE_LAYERS: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1",
                                         "conv4_1", "conv5_1")
DEFAULT_SIZE = 256
DEFAULT_STEPS = 150
#: α, the content weight.
DEFAULT_CONTENT_WEIGHT = 1.0
#: β for a 256 x 192 picture (canonical VGG16, equal layer weights). The
#: content loss (eq. 1) is a sum over the positions of a layer, so it grows
#: with the pixel count while the Gram-based style loss does not: the default
#: β grows with the pixel count too (:func:`default_style_weight`), so a
#: picture looks the same at 256 and at 512 px.
DEFAULT_STYLE_WEIGHT = 1e3
REFERENCE_PIXELS = 256 * 192
#: γ, the total-variation weight.
DEFAULT_TV_WEIGHT = 1e-2
#: the two style losses: Gram matrices (Gatys et al.) and patches (Li & Wand).
STYLE_LOSSES = ("gram", "mrf")
#: the MRF loss's layers: the paper's relu3_1 and relu4_1 (:mod:`style_lib.mrf`).
MRF_STYLE_LAYERS: tuple[str, ...] = ("conv3_1", "conv4_1")
#: β of the MRF loss (equal layer weights). Its eq. 2 is a sum over patches,
#: like the content loss, so one β fits every picture size.
MRF_STYLE_WEIGHT = 0.03
OPTIMIZERS = ("lbfgs", "adam", "gd")
DEFAULT_OPTIMIZER = "lbfgs"
MIN_SIZE = 16
MAX_SIZE = 4096


def default_style_weight(height: int, width: int) -> float:
    """Return the default β for a ``height x width`` output.

    ``DEFAULT_STYLE_WEIGHT`` (1e3) at 256 x 192 px, proportional to the pixel
    count: 4e3 at 512 x 384.
    """
    return DEFAULT_STYLE_WEIGHT * height * width / REFERENCE_PIXELS


#: The largest weight a float32 variable holds (the loss is computed in float32).
MAX_WEIGHT = float(np.finfo(np.float32).max)


def check_style_loss(name: str) -> str:
    """Return ``name`` if it is one of :data:`STYLE_LOSSES`, else raise."""
    if name not in STYLE_LOSSES:
        raise SettingsError(f"style_loss must be 'gram' (Gram matrices) or 'mrf' "
                            f"(patches, Li & Wand), not {name!r}.")
    return name


def default_style_layers(style_loss: str = "gram") -> tuple[str, ...]:
    """Return the default style layers of a style loss."""
    return MRF_STYLE_LAYERS if check_style_loss(style_loss) == "mrf" \
        else DEFAULT_STYLE_LAYERS


def check_weight(name: str, value: float) -> float:
    """Return ``value`` as float, or raise if it is negative, NaN or inf."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(value) or value < 0:
        raise SettingsError(
            f"{name} must be a finite number >= 0, got {value}. Fix: use 0 to "
            f"switch the term off, or a positive value such as 1e-3 ... 1e4.")
    if value > MAX_WEIGHT:
        raise SettingsError(
            f"{name}={value:g} does not fit in a 32-bit float (at most "
            f"{MAX_WEIGHT:.1e}). Fix: a positive value such as 1e-3 ... 1e4.")
    return value


def check_scale(name: str, value: float) -> float:
    """Return ``value`` as float if it is a finite number > 0 (a size relative
    to the picture's, 1 = the same size), else raise."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, not {value!r}.") from None
    if not 0 < value < math.inf:
        raise SettingsError(f"{name} must be a number > 0 (1 = the picture's size), "
                            f"got {value:g}.")
    return value


def check_optimizer(name: str) -> str:
    """Return ``name`` if it is one of :data:`OPTIMIZERS`, else raise."""
    if name not in OPTIMIZERS:
        raise SettingsError(f"optimizer must be one of {OPTIMIZERS}, not "
                            f"{name!r}.")
    return name


def check_size(size: int) -> int:
    """Return ``size`` (longest side in pixels) after a sanity check."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
            or not MIN_SIZE <= size <= MAX_SIZE:
        raise SettingsError(
            f"size must be a whole number of pixels from {MIN_SIZE} to "
            f"{MAX_SIZE}, got {size!r}. Fix: 256 is a good start; 512 for a print.")
    return int(size)


def check_steps(steps: int) -> int:
    """Return ``steps`` if it is a whole number >= 1, else raise."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) \
            or steps < 1:
        raise SettingsError(f"steps must be a whole number >= 1, got {steps!r}. "
                            f"Fix: e.g. steps={DEFAULT_STEPS}.")
    return int(steps)


def check_seed(seed: int) -> int:
    """Return ``seed`` if it is a whole number >= 0 (NumPy's rule), else raise."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SettingsError(f"seed must be a whole number >= 0, got {seed!r}. "
                            "Fix: any of 0, 1, 2, ... (0 is the default).")
    return int(seed)


def check_sides(shape: tuple[int, ...], layers: Sequence[str], what: str,
                fix: str) -> None:
    """Raise if an image of ``shape`` ``(H, W, ...)`` is too small for ``layers``.

    Max pooling halves the sides before every block, so the deepest layer with
    stride ``s`` needs at least ``s`` pixels on each side; fewer crash inside
    the network.
    """
    need = max(layer_info(name).stride for name in layers)
    h, w = shape[:2]
    if min(h, w) < need:
        deepest = max(layers, key=lambda name: layer_info(name).stride)
        raise SettingsError(
            f"{what} would be {w}x{h} px, but VGG16 needs at least {need} px on each "
            f"side to reach {deepest}. Fix: {fix}.")


def check_layers(layers: Sequence[str] | str, what: str, *,
                 allow_empty: bool = False) -> tuple[str, ...]:
    """Return ``layers`` as a tuple of VGG16 layer names, or raise.

    ``allow_empty``: an empty list is fine (no content layers = texture
    synthesis).
    """
    if isinstance(layers, str):
        layers = [layers]
    layers = tuple(layers or ())
    if not layers and not allow_empty:
        raise SettingsError(f"{what} must name at least one VGG16 layer.")
    for name in layers:
        layer_info(name)          # raises a clear error for unknown names
    return layers


__all__ = ["DEFAULT_CONTENT_LAYERS", "DEFAULT_CONTENT_WEIGHT", "DEFAULT_OPTIMIZER",
           "DEFAULT_SIZE", "DEFAULT_STEPS", "DEFAULT_STYLE_LAYERS",
           "DEFAULT_STYLE_WEIGHT", "DEFAULT_TV_WEIGHT", "MAX_SIZE", "MIN_SIZE",
           "OPTIMIZERS", "REFERENCE_PIXELS", "check_layers", "check_scale",
           "check_optimizer", "check_seed", "check_sides", "check_size", "check_steps",
           "check_weight", "default_style_weight", "MRF_STYLE_LAYERS",
           "MRF_STYLE_WEIGHT", "STYLE_LOSSES", "check_style_loss",
           "default_style_layers"]
