"""style_lib: the helper package behind the style-transfer notebooks.

One module per concept, in layers. A module imports only from its own layer
or the layers listed before it, never from a later one:

1. **ground** (top-level modules): ``errors`` (exception types), ``session``
   (a notebook session: setup, seeds, quick and offline mode, versions;
   not to be confused with ``settings``), ``vgg_layers`` (VGG16's layer table), ``settings``
   (defaults, the checks of what a user passes and ``StyleSettings``, a
   run's settings checked once), ``files`` (atomic writes), ``progress``
   (the progress bar), ``command_line`` (what every command line shares).
2. ``io/`` **input and output**: ``images`` (load/save/show), ``catalogue``
   (the demo images and their credits), ``download`` (their cache and
   downloader), ``data`` (``as_image``: anything as pixels), ``training_photos``
   (the networks' photos), ``vgg_weights`` (where the canonical VGG16 weights
   come from); and ``arguments`` (the command lines' argument checks, top level).
3. ``core/`` **what every method shares**: ``vgg`` (VGG16 features), ``losses``
   (the notebooks' losses), ``gradients`` (the style loss with eq. 6 by hand),
   ``spatial`` (masks, guided Grams), ``mrf`` (patch losses), ``style_terms``
   (the style term of each kind), ``objective`` (J = α content + β style + γ TV,
   for a picture or a batch, and its extension points), ``optimizers`` (gd,
   adam, lbfgs for any function), ``color`` (keep the photo's colours),
   ``quality`` (the judge: style distance, layout, blotches).
4. ``pixel/`` **pixel optimisation and its extras**: ``optimize`` (``stylize``:
   the one call), ``finish`` (stop when the picture is finished: the judge's
   numbers from the step, the re-balancing), ``large`` (coarse-to-fine),
   ``recipes`` (the earlier fixed recipe), ``memory`` (how much a run needs).
5. ``teaching/`` **teaching aids**: ``plots``, ``runner`` (the slider app's
   engine), ``widgets`` (sliders).
6. **other methods**: ``fast/`` (feed-forward networks, notebooks 09-10),
   ``adain/`` (any painting in one pass, adaptive instance normalisation,
   notebook 13), ``video/`` (clips without flicker, notebook 12; it paints
   with all three methods); each has its app and its command line (``__main__``).
7. **on top**: ``checks/`` (the exercise checkers, one per notebook),
   ``figures`` (the precomputed figures of notebooks 06 and 09 and the command
   that remakes them), ``cli`` (``python -m style_lib``).

Before version 0.2 the modules of 2-5 stood at the top level and ``session``
was called ``config``:
``from style_lib import data`` is now ``from style_lib.io import data``, and
the old name says so in one line.

Importing the package silences TensorFlow's C++ start-up log lines;
``style_lib.setup()``, the first line of every notebook, seeds, silences the
Python log lines, checks the versions and says whether quick mode is on.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 sent to /dev/null.

    TensorFlow prints start-up lines (oneDNN, CUDA) from C++ before any log
    level applies; they are noise for students, so we hide them here.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters)
        import tensorflow  # noqa: F401
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf
        tf.config.list_physical_devices("GPU")  # prints its CUDA line now
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _command_name() -> str:
    """``python -m style_lib.fast`` etc.: the command being started."""
    argv = list(getattr(sys, "orig_argv", ()))
    if "-m" in argv[:-1]:
        return "python -m " + argv[argv.index("-m") + 1]
    return "python -m style_lib"


def _import_tensorflow_for_a_command() -> None:
    """Import TensorFlow while ``python -m style_lib...`` starts (argv[0] is
    still "-m"): Ctrl-C and SIGTERM then end the command with one line and
    exit 130 / 143, also when some library swallows the KeyboardInterrupt."""
    import signal
    received: list[int] = []

    def interrupt(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for signum in saved:
        signal.signal(signum, interrupt)
    try:
        _import_tensorflow_quietly()
    except KeyboardInterrupt:
        received.append(signal.SIGINT)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    if received:
        sys.stderr.write(f"{_command_name()}: interrupted while TensorFlow was loading; "
                         "nothing was written.\n")
        sys.stderr.flush()
        # Exit now: finalising an interpreter holding a half-imported TensorFlow
        # can end the process by SIGINT after this line (exit status -2, not 130;
        # seen once in CI). Nothing was written, so there is nothing to clean up.
        os._exit(128 + received[0])


if sys.argv[:1] == ["-m"]:
    _import_tensorflow_for_a_command()
else:                       # a notebook or script: the usual interrupt
    _import_tensorflow_quietly()


from .session import __version__, offline, pick, quick_mode, setup  # noqa: E402

__all__ = ["offline", "pick", "quick_mode", "setup", "__version__"]


MOVED = {"config": "session"} | {module: f"{package}.{module}" for package, modules in {
    "io": "images catalogue download data training_photos vgg_weights",
    "core": "vgg losses gradients spatial mrf objective style_terms optimizers color quality",
    "pixel": "optimize large recipes memory",
    "teaching": "plots runner widgets",
}.items() for module in modules.split()}
"""Where each module that stood at the top level before version 0.2 lives now."""


def __getattr__(name: str):
    """``from style_lib import data`` (the old place): one line with the new one."""
    if name in MOVED:
        package, _, module = MOVED[name].rpartition(".")
        raise ImportError(f"style_lib.{name} moved to style_lib.{MOVED[name]}: write "
                          f"'from style_lib{'.' + package if package else ''} import {module}'")
    raise AttributeError(f"module 'style_lib' has no attribute {name!r}")

