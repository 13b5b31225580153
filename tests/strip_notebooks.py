"""Strip outputs, execution counts and cell metadata from notebooks in place.

The one piece of cell metadata kept is ``"jupyter": {"source_hidden": true}``:
it collapses the hidden check cells (``# Checks that the figure above ...``).

``python -m tests.strip_notebooks notebooks/*.ipynb`` (or ``make strip``).
"""
from __future__ import annotations

import sys

import nbformat


def strip(path: str) -> bool:
    """Strip one notebook; return True if it changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        hidden = cell.metadata.get("jupyter", {}).get("source_hidden")
        cell.metadata = {"jupyter": {"source_hidden": True}} if hidden else {}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {k: v for k, v in nb.metadata.items()
                   if k in ("kernelspec", "language_info")}
    if nbformat.writes(nb) == before:
        return False
    nbformat.write(nb, path)
    return True


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if strip(name):
            print(f"stripped {name}")
