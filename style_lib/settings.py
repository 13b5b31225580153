"""The defaults of a stylisation run and the checks of what a user passes.

Every public entry point (``stylize``, ``Stylizer``, the CLI, the widgets)
validates a parameter **once**, with the ``check_*`` functions here, and
hands the checked value on. Notation of the notebooks: the objective is
``J(x) = α L_content + β L_style + γ L_tv`` (the paper's eq. 7 plus a
total-variation term); ``content_weight``, ``style_weight`` and
``tv_weight`` are α, β and γ.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
#: the MRF loss's layers: the paper's relu3_1 and relu4_1 (:mod:`style_lib.core.mrf`).
MRF_STYLE_LAYERS: tuple[str, ...] = ("conv3_1", "conv4_1")
#: β of the MRF loss (equal layer weights). Its eq. 2 is a sum over patches,
#: like the content loss, so one β fits every picture size.
MRF_STYLE_WEIGHT = 0.03
OPTIMIZERS = ("lbfgs", "adam", "gd")
#: What VGG16 computes in (``"auto"``: :func:`style_lib.core.vgg.fast_precision`).
PRECISIONS = ("float32", "bfloat16", "auto")
#: Values of ``stylize(..., until=...)``: None (run ``steps``) or ``"finished"``
#: (stop when the judge of :mod:`style_lib.core.quality` would call it finished).
UNTIL = (None, "finished")
#: Values of ``stylize(..., preserve_color=...)`` (:mod:`style_lib.core.color`).
PRESERVE_COLOR = (None, "luminance", "histogram")
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


def default_init(until: str | None) -> str:
    """The start image when none is given: the photo, or for a run
    ``until="finished"`` the photo recoloured to the painting's colours (make
    bench section 6: median 2.2 s against 3.9 s from the photo at 256 px)."""
    return "recoloured" if until == "finished" else "content"


def check_until(value: str | None) -> str | None:
    """Return ``value`` if it is one of :data:`UNTIL`, else raise."""
    if value not in UNTIL:
        raise SettingsError(f"until must be None (run the given steps) or 'finished' "
                            f"(stop when the picture is finished), not {value!r}.")
    return value


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


def check_precision_name(precision: str) -> str:
    """Return ``precision`` if it is one of :data:`PRECISIONS` (``"auto"`` kept;
    :func:`style_lib.core.vgg.check_precision` resolves it), else raise."""
    if precision not in PRECISIONS:
        raise SettingsError(f"precision must be one of {', '.join(PRECISIONS)}, "
                            f"not {precision!r}. Fix: precision='float32' (exact) "
                            "or 'auto' (bfloat16 where the hardware is fast at it).")
    return precision


def check_preserve_color(value) -> str | None:
    """Return ``value`` if it is a valid ``preserve_color`` setting, else raise."""
    if value not in PRESERVE_COLOR:
        raise SettingsError(f"preserve_color must be None, 'luminance' or "
                            f"'histogram', not {value!r}. Fix: use "
                            f"preserve_color='luminance' to keep the photo's colours.")
    return value


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


def check_vector(values: Mapping[str, float] | Sequence[float], names: Sequence[str],
                 what: str) -> np.ndarray:
    """Return ``values`` (a list, or a dict by name; missing names are 0) as a
    float32 vector of one weight >= 0 per name, or raise."""
    if isinstance(values, Mapping):
        unknown = [k for k in values if k not in names]
        if unknown:
            raise SettingsError(f"{what} names {unknown}, which are not "
                                f"among {list(names)}. Fix: use those names.")
        values = [values.get(n, 0.0) for n in names]
    values = [check_weight(what, v) for v in values]
    if len(values) != len(names):
        raise SettingsError(f"{what} has {len(values)} values for "
                            f"{len(names)} entries ({list(names)}). Fix: give one "
                            f"value per entry.")
    return np.asarray(values, np.float32)


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


# ------------------------------------------------- the MRF loss's patches ---

@dataclass(frozen=True)
class MRFSettings:
    """How the painting's patches are cut (the reference code's defaults).

    Attributes:
      patch_size: ``k``, the side of a patch in feature-map cells (3).
      stride: step between the painting's patches (2: a quarter of them,
        the reference's ``target_sample_stride``).
      rotations: ``R``: also use the painting turned by ``±r * rotation_step``
        for ``r = 1..R`` (the paper's pose variation; 0 = off).
      scales: ``S``: also use the painting scaled by ``scale_step ** ±s``.
      rotation_step: radians between rotated copies (π/24, 7.5°).
      scale_step: factor between scaled copies (1.05).
    """

    patch_size: int = 3
    stride: int = 2
    rotations: int = 0
    scales: int = 0
    rotation_step: float = math.pi / 24
    scale_step: float = 1.05

    def __post_init__(self):
        for name in ("patch_size", "stride"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < 1:
                raise SettingsError(f"MRF {name} must be a whole number >= 1, not "
                                    f"{value!r}. Fix: e.g. {name}=3.")
        for name in ("rotations", "scales"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not 0 <= value <= 4:
                raise SettingsError(f"MRF {name} must be a whole number from 0 to 4, "
                                    f"not {value!r}. Fix: 0 (off) or 1.")
        if not 0 < self.rotation_step < math.pi / 2:
            raise SettingsError("rotation_step must be between 0 and π/2 radians.")
        if not 1 < self.scale_step <= 2:
            raise SettingsError("scale_step must be above 1 and at most 2, e.g. 1.05.")

    @property
    def copies(self) -> int:
        """How many versions of the painting give patches: ``(2R+1)(2S+1)``."""
        return (2 * self.rotations + 1) * (2 * self.scales + 1)


def as_settings(mrf: MRFSettings | dict | None) -> MRFSettings:
    """Return ``mrf`` as :class:`MRFSettings` (None = defaults, or a dict of fields)."""
    if mrf is None:
        return MRFSettings()
    if isinstance(mrf, MRFSettings):
        return mrf
    if isinstance(mrf, dict):
        fields = set(MRFSettings.__dataclass_fields__)
        unknown = sorted(set(mrf) - fields)
        if unknown:
            raise SettingsError(f"mrf has unknown setting {unknown[0]!r}; the settings "
                                f"are {', '.join(sorted(fields))}.")
        return MRFSettings(**mrf)
    raise SettingsError(f"mrf must be MRFSettings(...) or a dict, not "
                        f"{type(mrf).__name__}.")


# ------------------------------------------------------ one run's settings ---

@dataclass(frozen=True)
class StyleSettings:
    """Every setting of a pixel-optimisation run, checked **once**, when the
    object is made; :func:`~style_lib.pixel.optimize.stylize`, the CLI and the slider
    app make one at their door and pass it down whole (nothing below checks a
    value again). Change one with :meth:`replace` (a new, checked object).

    Attributes (the notation ``J = α L_content + β L_style + γ L_tv``):
      size: longest side of the output in pixels.
      steps: optimiser steps; None = 150 (20 in quick mode, :mod:`style_lib.session`).
      optimizer: one of :data:`OPTIMIZERS`.
      content_weight, style_weight, tv_weight: α, β, γ; None is the default
        (``style_weight=None``: :func:`default_style_weight` for the output's
        size, or the MRF loss's β, decided when the picture's size is known).
      content_layers, style_layers: VGG16 layer names (``style_layers=None``:
        the style loss's defaults, :func:`default_style_layers`).
      layer_weights: ``w_l`` per style layer (None: ``1/L`` each).
      blend_weights: one weight per style (None: equal).
      style_scale: size of each style image relative to ``size`` (one, or one per style).
      init: ``"content"``, ``"recoloured"``, ``"noise"``, ``"style"`` or an array;
        None: ``"content"``, or ``"recoloured"`` with ``until="finished"``
        (twice as fast to a finished picture, :func:`default_init`).
      seed: seeds the noise start.
      weights: VGG16 weights (``"auto"``, ``"imagenet"``, ``"hed"`` or an .h5 file).
      pooling: ``"max"`` or ``"avg"``.
      preserve_color: None, ``"luminance"`` or ``"histogram"``.
      precision: one of :data:`PRECISIONS`.
      style_loss: ``"gram"`` or ``"mrf"``.
      mrf: :class:`style_lib.core.mrf.MRFSettings` (or a dict of its fields) for
        ``style_loss="mrf"``; None otherwise.
      until: None (run ``steps`` steps) or ``"finished"``: stop as soon as the
        picture is finished, balancing β and ``w_l`` by measure on the way
        (:mod:`style_lib.pixel.finish`); ``steps`` is then the most it may take.
    """

    size: int = DEFAULT_SIZE
    steps: int | None = None
    optimizer: str = DEFAULT_OPTIMIZER
    content_weight: float = DEFAULT_CONTENT_WEIGHT
    style_weight: float | None = None
    tv_weight: float = DEFAULT_TV_WEIGHT
    content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS
    style_layers: Sequence[str] | None = None
    layer_weights: Mapping[str, float] | Sequence[float] | None = None
    blend_weights: Sequence[float] | None = None
    style_scale: float | Sequence[float] = 1.0
    init: Any = None
    seed: int = 0
    weights: str = "auto"
    pooling: str = "max"
    preserve_color: str | None = None
    precision: str = "float32"
    style_loss: str = "gram"
    mrf: Any = None
    until: str | None = None

    def __post_init__(self):
        self._check({f.name for f in dataclasses.fields(self)})

    def _check(self, names: set[str]) -> None:
        """Check (and normalise) the fields ``names``, in dependency order."""
        name = ""

        def put(field: str, value) -> None:
            object.__setattr__(self, field, value)

        try:
            for name in ("size", "steps", "optimizer", "content_weight", "style_weight",
                         "tv_weight", "style_loss", "content_layers", "style_layers",
                         "layer_weights", "blend_weights", "style_scale", "seed",
                         "precision", "preserve_color", "mrf", "until"):
                if name in names:
                    value = getattr(self, name)
                    put(name, value if value is None and name in _OPTIONAL
                        else _CHECKS[name](self, value))
        except SettingsError as err:
            err.setting = name          # which field: a command line names its option
            raise

    @classmethod
    def split(cls, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``options`` split into (fields of this class, the rest: optimiser options)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return ({k: v for k, v in options.items() if k in fields},
                {k: v for k, v in options.items() if k not in fields})

    def replace(self, **changes) -> "StyleSettings":
        """A copy with ``changes``; only the changed fields (and those that depend
        on them) are checked. Changing ``style_loss`` also changes default
        ``style_layers`` to the new loss's defaults."""
        if not changes:
            return self
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise SettingsError(f"StyleSettings has no setting {unknown[0]!r}.")
        new = copy.copy(self)
        if "style_loss" in changes and "style_layers" not in changes \
                and self.style_layers == default_style_layers(self.style_loss):
            changes["style_layers"] = None
        if changes.get("style_loss", "mrf") != "mrf" and "mrf" not in changes:
            changes["mrf"] = None
        for name, value in changes.items():
            object.__setattr__(new, name, value)
        names = set(changes)
        for name, dependants in _DEPENDANTS.items():
            if name in names:
                names |= dependants
        new._check(names)
        return new

    def stylizer_key(self) -> tuple:
        """What a :class:`~style_lib.pixel.optimize.Stylizer` depends on (its cache key)."""
        return (self.size, self.content_layers, self.style_layers, str(self.weights),
                self.pooling, self.style_scale, self.precision, self.style_loss, self.mrf)


def _check_layer_weights(settings: StyleSettings, value) -> tuple[float, ...]:
    return tuple(check_vector(value, settings.style_layers, "layer_weights").tolist())


def _check_blend_weights(settings: StyleSettings, value) -> tuple[float, ...]:
    return tuple(check_vector(value, range(len(value)), "blend_weights").tolist())


def _check_style_scale(settings: StyleSettings, value):
    if isinstance(value, (list, tuple)):
        return tuple(check_scale("style_scale", v) for v in value)
    return check_scale("style_scale", value)


def _check_mrf(settings: StyleSettings, value):
    if settings.style_loss != "mrf":
        if value is not None:
            raise SettingsError("mrf settings need style_loss='mrf'. Fix: pass "
                                "style_loss='mrf', or leave out mrf=...")
        return None
    return as_settings(value)


#: One check per field of :class:`StyleSettings` (``(settings, value) -> value``).
_CHECKS = {
    "size": lambda s, v: check_size(v),
    "steps": lambda s, v: check_steps(v),
    "optimizer": lambda s, v: check_optimizer(v),
    "content_weight": lambda s, v: DEFAULT_CONTENT_WEIGHT if v is None
    else check_weight("content_weight", v),
    "style_weight": lambda s, v: check_weight("style_weight", v),
    "tv_weight": lambda s, v: DEFAULT_TV_WEIGHT if v is None
    else check_weight("tv_weight", v),
    "style_loss": lambda s, v: check_style_loss(v),
    "content_layers": lambda s, v: check_layers(v, "content_layers", allow_empty=True),
    "style_layers": lambda s, v: check_layers(
        default_style_layers(s.style_loss) if v is None else v, "style_layers"),
    "layer_weights": _check_layer_weights,
    "blend_weights": _check_blend_weights,
    "style_scale": _check_style_scale,
    "seed": lambda s, v: check_seed(v) if s.init is None or isinstance(s.init, str) else v,
    "precision": lambda s, v: check_precision_name(v),
    "preserve_color": lambda s, v: check_preserve_color(v),
    "mrf": _check_mrf,
    "until": lambda s, v: check_until(v),
}
#: Fields whose None means "the default" (not checked).
_OPTIONAL = {"steps", "style_weight", "layer_weights", "blend_weights"}
#: A change of the key also checks these again.
_DEPENDANTS = {"style_loss": {"style_layers", "mrf"}, "style_layers": {"layer_weights"},
               "init": {"seed"}}


def as_style_settings(settings: StyleSettings | None = None, **changes) -> StyleSettings:
    """``settings`` (default: the defaults) with ``changes``: the one door where
    a run's settings are checked."""
    if settings is None:
        return StyleSettings(**changes)
    if not isinstance(settings, StyleSettings):
        raise SettingsError(f"settings must be a StyleSettings, not "
                            f"{type(settings).__name__}. Fix: StyleSettings(size=..., ...) "
                            "or leave it out and pass the settings by name.")
    return settings.replace(**changes)


__all__ = ["StyleSettings", "as_style_settings", "PRECISIONS", "PRESERVE_COLOR",
           "check_precision_name", "check_preserve_color", "check_vector", "MRFSettings",
           "as_settings",
           "DEFAULT_CONTENT_LAYERS", "DEFAULT_CONTENT_WEIGHT", "DEFAULT_OPTIMIZER",
           "DEFAULT_SIZE", "DEFAULT_STEPS", "DEFAULT_STYLE_LAYERS",
           "DEFAULT_STYLE_WEIGHT", "DEFAULT_TV_WEIGHT", "MAX_SIZE", "MIN_SIZE",
           "OPTIMIZERS", "REFERENCE_PIXELS", "check_layers", "check_scale",
           "check_optimizer", "check_seed", "check_sides", "check_size", "check_steps",
           "check_weight", "default_style_weight", "MRF_STYLE_LAYERS",
           "MRF_STYLE_WEIGHT", "STYLE_LOSSES", "check_style_loss",
           "default_style_layers"]
