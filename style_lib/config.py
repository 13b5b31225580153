"""One place for run-wide switches: quick mode (CI) and offline mode.

Quick mode shrinks image sizes and step counts so every notebook runs in
seconds. It is on when the environment variable ``STYLE_LIB_QUICK`` is set
to ``1``/``true``/``yes`` (``make test`` and CI set it).
"""
from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def quick_mode() -> bool:
    """Return True when ``STYLE_LIB_QUICK`` asks for small, fast runs."""
    return _flag("STYLE_LIB_QUICK")


def offline() -> bool:
    """Return True when ``STYLE_LIB_OFFLINE`` forbids any network access."""
    return _flag("STYLE_LIB_OFFLINE")


def pick(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> size = pick(full=256, quick=64)
    """
    return quick if quick_mode() else full
