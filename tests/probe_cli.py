"""Run a command line of the package and announce moments a signal test waits for.

    python tests/probe_cli.py tf style_lib ARGS...        "PROBE tensorflow" once TensorFlow starts loading
    python tests/probe_cli.py step style_lib ARGS...      "PROBE step" after the first optimiser step
    python tests/probe_cli.py train style_lib.fast ARGS...  "PROBE step" after the first training step

The line goes to stdout (flushed), so a test sends its signal on an event, never
after a fixed sleep. The command runs as ``python -m MODULE ARGS...`` would.
"""
from __future__ import annotations

import importlib.abc
import runpy
import sys


def announce(what: str) -> None:
    sys.stdout.write(f"PROBE {what}\n")
    sys.stdout.flush()


class _TensorFlowStarts(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow.python":
            announce("tensorflow")
            sys.meta_path.remove(self)
        return None


def _first_call(callback):
    done = []

    def wrapped(*args, **kwargs):
        result = callback(*args, **kwargs) if callback is not None else None
        if not done:                   # the step is recorded: announce it
            done.append(True)
            announce("step")
        return result
    return wrapped


def main() -> None:
    mode, module, *args = sys.argv[1:]
    if mode == "tf":
        sys.meta_path.insert(0, _TensorFlowStarts())
    elif mode == "step":
        from style_lib.pixel import optimize
        real = optimize.minimize
        optimize.minimize = lambda *a, callback=None, **k: real(
            *a, callback=_first_call(callback), **k)
    elif mode == "train":
        from style_lib.fast import training
        real_train = training.train
        training.train = lambda *a, callback=None, **k: real_train(
            *a, callback=_first_call(callback), **k)
    sys.argv = ["-m", *args]          # as `python -m MODULE` sees it while starting
    sys.orig_argv = [sys.executable, "-m", module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
