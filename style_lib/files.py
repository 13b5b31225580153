"""Writing a file whole or not at all: the one way every file of the project is written.

A result (a picture, a video, a model, the weights, a loss curve, a JSON
record) is written under a temporary name in the same folder and then moved
over its real name in one step, so a crash, a full disk or Ctrl-C never
leaves half a file where a good one was.
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "write_bytes", "write_text", "write_json"]


@contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary name beside ``path`` to write to; when the block ends
    without an error, move it to ``path``.

    ``overwrite=False``: the move fails with FileExistsError if ``path``
    exists (also if it appeared during the write: a hard link is atomic).
    On any error, Ctrl-C included, the temporary file is removed and
    ``path`` is left as it was. The temporary name keeps the suffix
    (``.keras``, ``.mp4``, ...), for writers that choose a format by it.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)          # atomic; fails if the name exists
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON (UTF-8, a final newline) atomically."""
    return write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
