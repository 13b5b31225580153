"""A notebook session: quick mode (CI), offline mode, seeds and versions.

(What one stylisation run is set to lives in :mod:`style_lib.settings`.)

Quick mode shrinks image sizes and step counts so every notebook runs in
seconds. It is on when the environment variable ``STYLE_LIB_QUICK`` is set
to ``1``/``true``/``yes`` (``make test`` and CI set it).

:func:`setup` is the first line of every notebook: seeds, quiet logs,
version checks and one line that says which mode is on.
"""
from __future__ import annotations

import logging
import os
import platform
import re

from .errors import StyleLibError

#: The package's version (``style_lib.__version__``).
__version__ = "0.2.0"

_TRUE = {"1", "true", "yes", "on"}

#: The oldest versions the series runs on: (name, minimum, how to fix it).
_PIP = "run `pip install -r requirements.txt` in the kernel's environment and restart the kernel"
REQUIREMENTS = (
    ("Python", (3, 10),
     "rebuild the environment with a newer Python, e.g. `make clean setup PYTHON=python3.11`"),
    ("TensorFlow", (2, 16), _PIP),
    ("Keras", (3, 0), _PIP),
)
DEFAULT_SEED = 42


class VersionError(StyleLibError, RuntimeError):
    """Python, TensorFlow or Keras is older than the series needs."""


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


def _release(version: str) -> tuple[int, ...]:
    """Return the leading numbers of a version string: "2.16.0rc1" -> (2, 16, 0)."""
    numbers = []
    for part in str(version).split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group()))
        if match.end() < len(part):        # "0rc1": a pre-release tag ends the numbers
            break
    return tuple(numbers)


def installed_versions() -> dict[str, str]:
    """Return ``{"Python": ..., "TensorFlow": ..., "Keras": ...}`` as strings."""
    import keras
    import tensorflow as tf

    return {"Python": platform.python_version(), "TensorFlow": tf.__version__,
            "Keras": keras.__version__}


def check_versions(versions: dict[str, str] | None = None) -> dict[str, str]:
    """Return the installed versions, or raise VersionError naming the fix.

    Args:
      versions: name -> version string; default :func:`installed_versions`.
    """
    versions = installed_versions() if versions is None else versions
    for name, minimum, fix in REQUIREMENTS:
        found = versions[name]
        if _release(found) < minimum:
            need = ".".join(map(str, minimum))
            raise VersionError(f"style_lib needs {name} {need} or newer, found {found}: {fix}.")
    return versions


def quiet_logs() -> None:
    """Keep TensorFlow's and absl's Python log lines (warnings, info) out of the output."""
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    tf.autograph.set_verbosity(0)
    try:
        from absl import logging as absl_logging
    except ImportError:  # absl ships with TensorFlow; be safe anyway
        return
    absl_logging.set_verbosity(absl_logging.ERROR)


def mode_line(versions: dict[str, str] | None = None) -> str:
    """Return the one line :func:`setup` prints: versions and the mode."""
    versions = installed_versions() if versions is None else versions
    mode = ("quick mode (STYLE_LIB_QUICK=1): small images, few steps" if quick_mode()
            else "full mode")
    return (f"style_lib {__version__} · TensorFlow {versions['TensorFlow']} · "
            f"Keras {versions['Keras']} · {mode}")


def setup(seed: int = DEFAULT_SEED) -> bool:
    """Return True in quick mode, after preparing a notebook to run.

    Checks the Python, TensorFlow and Keras versions (VersionError with the
    fix if one is too old), silences TensorFlow's and absl's log messages,
    seeds Python's, NumPy's and TensorFlow's random numbers with
    ``keras.utils.set_random_seed(seed)``, draws figures inline in a Jupyter
    kernel (:func:`inline_figures`) and prints one line with the
    versions and the mode.

    Args:
      seed: the seed for every random number generator.
    """
    import keras

    versions = check_versions()
    quiet_logs()
    keras.utils.set_random_seed(seed)
    inline_figures()
    print(mode_line(versions))
    return quick_mode()


def inline_figures() -> bool:
    """In a Jupyter kernel, draw figures inline, also when ``MPLBACKEND=Agg``
    is set (a headless export would otherwise hold no figure); True if done."""
    try:
        from IPython import get_ipython
    except ImportError:             # plain Python: nothing to do
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    shell.run_line_magic("matplotlib", "inline")
    return True
