"""Teaching aids: the notebooks' plots, precomputed figures and slider apps.

The modules (import the one you need; importing this package loads nothing):

* :mod:`.plots` -- the notebooks' figures (feature maps, loss curves, grids);
* :mod:`.runner` -- the slider app's engine (a stylisation that can be restarted);
* :mod:`.widgets` -- the sliders and apps.

The exercise checkers (:mod:`style_lib.checks`) and the precomputed figures
(:mod:`style_lib.figures`) sit above every method they use.
"""
from __future__ import annotations

__all__: list[str] = []
