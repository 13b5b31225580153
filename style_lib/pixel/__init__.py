"""Pixel optimisation (Gatys, Ecker & Bethge 2016) and its extras.

The modules (import the one you need; importing this package loads nothing):

* :mod:`.optimize` -- ``stylize``: the one call, and ``Stylizer`` for step-by-step runs;
* :mod:`.finish` -- ``until="finished"``: stop when the picture is finished, balance by measure;
* :mod:`.large` -- coarse-to-fine for large prints;
* :mod:`.recipes` -- a finished picture in seconds;
* :mod:`.memory` -- how much memory a run needs, checked before it starts.
"""
from __future__ import annotations

__all__: list[str] = []
