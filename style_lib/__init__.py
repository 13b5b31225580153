"""style_lib: the helper package behind the style-transfer notebooks.

One module per concept, by layer (a module imports only from its own layer
or those above it in this list, never back up):

- **ground**: ``errors`` (exception types), ``config`` (setup, quick mode),
  ``vgg_layers`` (VGG16's layer table), ``settings`` (defaults, the
  checks of what a user passes and ``StyleSettings``, a run's settings
  checked once), ``files`` (atomic writes), ``progress``
  (the progress bar), ``command_line`` (what every CLI shares).
- **input and output**: ``images`` (load/save/show), ``catalogue`` (the
  demo images and their credits), ``download`` (their cache and
  downloader), ``data`` (``as_image``: anything as pixels; re-exports the
  two before), ``training_photos`` (the fast networks' photos), ``vgg_weights``
  (where the canonical VGG16 weights come from).
- **the network and the maths**: ``vgg`` (VGG16 features), ``losses`` (the
  notebooks' losses), ``gradients`` (the style loss with eq. 6 by hand),
  ``spatial`` (masks, guided Grams), ``mrf`` (patch losses), ``objective``
  (J = α content + β style + γ TV, for a picture or a batch, and its
  extension points), ``style_terms`` (the style term of each kind),
  ``optimizers`` (gd, adam, lbfgs for any function).
- **pixel optimisation and its extras**: ``optimize`` (``stylize``: the one
  call), ``color`` (keep the photo's colours), ``large`` (coarse-to-fine),
  ``recipes`` (a finished picture in seconds), ``memory`` (how much a run
  needs), ``quality`` (the judge: style distance, layout, blotches).
- **other methods**: ``fast/`` (feed-forward networks, notebooks 09-10),
  ``video/`` (clips without flicker, notebook 12), ``adain/`` (any painting
  in one pass, adaptive instance normalisation, notebook 13); their command lines
  (``__main__``) and apps sit with the layers below.
- **teaching aids**: ``plots``, ``figures`` (precomputed figures),
  ``runner`` (the slider app's engine), ``widgets`` (sliders), ``checks/``
  (exercise checkers).
- **command lines**: ``arguments`` (the argument checks), ``cli``
  (``python -m style_lib``).

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


from .config import __version__, offline, pick, quick_mode, setup  # noqa: E402

__all__ = ["offline", "pick", "quick_mode", "setup", "__version__"]
