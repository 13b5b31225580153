"""What every command line of the package shares (``python -m style_lib``,
``style_lib.fast``, ``style_lib.video``, ``style_lib.data``, ...).

- :class:`OneLineParser`: argparse whose errors are one line, exit code 2.
- Argument types that apply the library's own rules (:mod:`style_lib.settings`)
  at the door: :data:`size`, :data:`weight`, :data:`seed`, :func:`whole_number`.
- :func:`input_paths`: the files a command reads, so that no output replaces one.
- :class:`Signals`: SIGTERM ends a run as Ctrl-C does, and neither interrupts
  the writing of a result.
- :func:`run`: a command's body with the promised exits (0 done, 2 bad input,
  130 Ctrl-C, 143 SIGTERM), one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from . import settings
from .errors import StyleLibError

__all__ = ["OneLineParser", "checked", "whole_number", "positive_int", "size", "weight",
           "positive_number", "seed", "input_paths", "Signals", "signals_deferred", "tolerant_streams", "run",
           "changed_options"]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


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
    from . import data
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


@contextmanager
def signals_deferred():
    """Within the block, Ctrl-C and SIGTERM are noted (in the yielded list)
    instead of interrupting: for writing a result that must not be cut in half."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for signum in saved:
        signal.signal(signum, lambda number, frame: received.append(number))
    try:
        yield received
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


class Signals:
    """SIGTERM ends a run as Ctrl-C does (the best result so far is saved), and
    both wait while a result is being written (:meth:`deferred`)."""

    def __init__(self):
        self.received: int | None = None
        self._saved: dict | None = None

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            self._saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
            signal.signal(signal.SIGINT, self._interrupt)
            signal.signal(signal.SIGTERM, self._interrupt)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in (self._saved or {}).items():
            signal.signal(signum, handler)

    def _interrupt(self, signum, frame) -> None:
        self.received = signum
        raise KeyboardInterrupt

    def _note(self, signum, frame) -> None:
        self.received = signum

    @contextmanager
    def deferred(self):
        """Note Ctrl-C/SIGTERM instead of acting on them until the block ends."""
        if self._saved is None:
            yield
            return
        signal.signal(signal.SIGINT, self._note)
        signal.signal(signal.SIGTERM, self._note)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self._interrupt)
            signal.signal(signal.SIGTERM, self._interrupt)

    def exit_code(self, interrupted: bool) -> int:
        """128 + the signal (130 Ctrl-C, 143 SIGTERM) if interrupted, else 0."""
        if self.received is not None:
            return 128 + self.received
        return 128 + signal.SIGINT if interrupted else 0


def tolerant_streams() -> None:
    """Print paths any stdout can take (e.g. undecodable file names under a
    strict UTF-8 or ASCII stdout) instead of failing after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass


def run(prog: str, action: Callable[[Signals], int | None], *,
        interrupted: str | Callable[[], str]) -> int:
    """Run a command's ``action(signals)``; return its exit code, never a traceback.

    A :class:`StyleLibError` prints ``PROG: error: ...`` (exit 2); Ctrl-C or
    SIGTERM that ``action`` does not handle prints ``PROG: INTERRUPTED``
    (``interrupted`` may be a function, called then: what was kept) and exits
    130 or 143. ``action`` returns its own code (None: 0).
    """
    tolerant_streams()
    with Signals() as signals:
        try:
            return action(signals) or 0
        except KeyboardInterrupt:
            with signals.deferred():
                message = interrupted() if callable(interrupted) else interrupted
                print(f"{prog}: {message}", file=sys.stderr)
            return signals.exit_code(True)
        except StyleLibError as err:
            print(f"{prog}: error: {err}", file=sys.stderr)
            return 2
