"""The progress bar of every long loop (stylising, training, video frames)."""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar"]


def progress_bar(total: int, progress: bool | None, *, desc: str, initial: int = 0,
                 auto_from: int = 20, leave: bool = False) -> Any | None:
    """A tqdm bar of ``total`` steps, or None.

    ``progress``: True / False, or None: a bar when ``total >= auto_from``.
    Never in a log file: a bar needs a terminal or a notebook, else it writes
    hundreds of carriage-return updates into the file.
    """
    if progress is None:
        progress = total >= auto_from
    if not progress or not live_output():
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc=desc, unit="step", leave=leave,
                dynamic_ncols=True)


def live_output() -> bool:
    """True in a Jupyter kernel or when stderr is a terminal."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
