"""The command lines' arguments, checked at the door by the library's own rules
(:mod:`style_lib.settings`), before TensorFlow does any work: argparse types
(:data:`size`, :data:`weight`, :data:`seed`, :func:`whole_number`, ...), the
options a user changed (:func:`changed_options`) and the files a command reads
(:func:`input_paths`, so that no output replaces one).
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from .io import data
from . import settings
from .errors import StyleLibError

__all__ = ["checked", "whole", "number", "pixels", "whole_number", "positive_int", "size", "weight", "positive_number",
           "seed", "changed_options", "input_paths"]


def checked(convert: Callable[[str], object], check: Callable, not_a_number: str):
    """An argparse type: ``check(convert(text))``, its error as one argparse line.

    The library's own rule checks the value at the CLI's door, before
    TensorFlow does any work.
    """
    def parse(text: str):
        try:
            return check(convert(text))
        except ValueError as err:       # SettingsError is a ValueError
            message = str(err) if isinstance(err, StyleLibError) else \
                f"{text!r} is not {not_a_number}"
            raise argparse.ArgumentTypeError(message) from None
    return parse


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number from ``minimum`` (to ``maximum``)."""
    def check(value: int) -> int:
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"{value} must be >= {minimum}{upper}")
        return value

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        return check(value)
    return parse


def _positive(value: float) -> float:
    settings.check_weight("the value", value)
    if value <= 0:
        raise ValueError("must be > 0")
    return value


#: Plain converters: the value is checked by the library's settings object
#: (:class:`style_lib.settings.StyleSettings`) at the command line's door.
whole = checked(int, lambda v: v, "a whole number")
number = checked(float, lambda v: v, "a number")
pixels = checked(int, lambda v: v, "a whole number of pixels")
positive_int = whole_number(1)
size = checked(int, settings.check_size, "a whole number of pixels")
weight = checked(float, lambda v: settings.check_weight("the weight", v), "a number")
positive_number = checked(float, _positive, "a number > 0")
seed = checked(int, settings.check_seed, "a whole number")


def changed_options(parser: argparse.ArgumentParser, args: argparse.Namespace,
                    names: list[str]) -> list[str]:
    """The options among ``names`` (``dest`` names) whose value is not the default,
    spelled as on the command line (``--style-weight``)."""
    return ["--" + n.replace("_", "-") for n in names
            if getattr(args, n) != parser.get_default(n)]


def input_paths(*names: str | os.PathLike) -> list[Path]:
    """The files the inputs are read from: paths (``~`` expanded, as loading
    does) and the local files of demo names, so that no output replaces one."""
    paths = []
    for name in names:
        try:
            path = Path(name).expanduser()
        except (TypeError, ValueError, RuntimeError):
            continue
        if os.path.lexists(path):       # False (not an error) for impossible names
            paths.append(path)
        if isinstance(name, str) and name in data.NAMES:
            paths.append(data.cache_path(name))
    return paths
