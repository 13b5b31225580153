"""Exception types shared by the whole package.

Every error raised on purpose by ``style_lib`` derives from :class:`StyleLibError`
and also from the matching built-in type, so ``except ValueError`` still works.
Messages name the problem and the fix.
"""

from __future__ import annotations

__all__ = [
    "StyleLibError",
    "ImageError",
    "DownloadError",
    "WeightsError",
    "SettingsError",
    "DivergedError",
]


class StyleLibError(Exception):
    """Base class for all errors raised by ``style_lib``."""


class ImageError(StyleLibError, ValueError):
    """An image could not be read, written or found (bad file, bad name, bad size)."""


class DownloadError(StyleLibError, OSError):
    """A demo image or weights file could not be downloaded."""


class WeightsError(StyleLibError, RuntimeError):
    """Model weights are missing, incomplete or do not match the model."""


class SettingsError(StyleLibError, ValueError):
    """A setting or argument has an invalid value."""


class DivergedError(StyleLibError, FloatingPointError):
    """Training or optimisation produced a loss that is not a finite number."""
