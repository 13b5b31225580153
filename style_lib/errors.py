"""Exception types shared by the whole package.

Every error raised on purpose by ``style_lib`` derives from :class:`StyleLibError`
and also from the matching built-in type, so ``except ValueError`` still works.
Messages name the problem and the fix.
"""

from __future__ import annotations

import argparse

__all__ = [
    "OneLineParser",
    "StyleLibError",
    "ImageError",
    "DownloadError",
    "WeightsError",
    "SettingsError",
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


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit code 2:
    the command lines of ``python -m style_lib``, ``style_lib.data`` and
    ``style_lib.vgg_weights``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def run_command(action, interrupted: str) -> int:
    """Run a command-line ``action()``; return its exit code, never a traceback.

    A :class:`StyleLibError` prints ``error: ...`` (exit 2); Ctrl-C prints
    ``interrupted`` (exit 130). Serves ``python -m style_lib.vgg_weights`` and
    ``python -m style_lib.figures``.
    """
    import sys
    try:
        action()
    except StyleLibError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return 130
    return 0
