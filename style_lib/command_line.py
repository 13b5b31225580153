"""What every command line of the package shares (``python -m style_lib``,
``style_lib.fast``, ``style_lib.video``, ``style_lib.io.data``, ...); the checks
of their arguments are in :mod:`style_lib.arguments`.

- :class:`OneLineParser`: argparse whose errors are one line, exit code 2.
- :func:`signals_deferred`: Ctrl-C and SIGTERM wait while a result is written.
- :class:`Signals`: SIGTERM ends a run as Ctrl-C does, and neither interrupts
  the writing of a result.
- :func:`run`: a command's body with the promised exits (0 done, 2 bad input,
  130 Ctrl-C, 143 SIGTERM), one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager

from .errors import StyleLibError

__all__ = ["OneLineParser", "Signals", "signals_deferred", "tolerant_streams", "run"]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


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

    @contextmanager
    def deferred(self):
        """Note Ctrl-C/SIGTERM instead of acting on them until the block ends
        (:func:`signals_deferred`; then this run's handlers are back)."""
        with signals_deferred() as received:
            try:
                yield
            finally:
                if received:
                    self.received = received[-1]

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
