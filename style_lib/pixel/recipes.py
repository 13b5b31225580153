"""A finished picture in seconds: the recipe ``make bench`` (section 6) measured.

``stylize`` with its defaults optimises the paper's objective from the photo
in float32, which is what the notebooks teach with. To *finish* a picture
(:class:`style_lib.core.quality.Judge`: style distance at most 0.3 x the photo's,
layout correlation at least 0.9) fastest on a CPU, four measured changes
add up (tubingen x the demo paintings, 2-core CPU, 256 px; see
``benchmarks/RESULTS.md``):

1. start from the photo recoloured to the painting's colours
   (``init="recoloured"``): the colours are solved before the first step;
2. four times the default style weight: the style arrives in fewer steps,
   the layout still above 0.9;
3. VGG16 in bfloat16 where the hardware computes it natively
   (``precision="auto"``): about half the time per step;
4. a first stage at half the size (a quarter of the pixels, so about a
   quarter of the time per step), upsampled as the start of the full-size
   stage (:func:`style_lib.pixel.large.coarse_to_fine`).
"""
from __future__ import annotations

from typing import Any

from .. import session
from ..io.data import as_image
from .large import CoarseToFineResult, coarse_to_fine
from ..io.images import resize_image
from ..settings import check_size, check_steps, check_weight, default_style_weight

__all__ = ["stylize_in_seconds", "STYLE_BOOST", "COARSE_STEPS"]

#: The style weight relative to ``default_style_weight`` at the final size.
STYLE_BOOST = 4.0
#: Steps of the half-size stage (more lose the layout at 4x the style weight).
COARSE_STEPS = 20


def stylize_in_seconds(content, style, *, size: int = 256, steps: int | None = None,
                       coarse_steps: int = COARSE_STEPS,
                       style_boost: float = STYLE_BOOST,
                       precision: str = "auto", **stylize_kwargs: Any
                       ) -> CoarseToFineResult:
    """Return a :class:`~style_lib.pixel.large.CoarseToFineResult` (``.image``
    ``(H, W, 3)`` in ``[0, 255]`` at ``size``) made by the fast recipe above.

    Args:
      content, style: as for :func:`style_lib.pixel.optimize.stylize`.
      size: longest side of the result (the first stage runs at half).
      steps: L-BFGS steps at ``size`` (default 30, quick mode 5); every demo
        painting was finished within 16 at 256 px.
      coarse_steps: steps at half the size (0: no half-size stage).
      style_boost: β as a multiple of the default for ``size``; the same β
        is used at half the size.
      precision: ``"auto"`` (bfloat16 where native), ``"float32"`` or
        ``"bfloat16"``.
      **stylize_kwargs: passed to both stages (``callback``, ``tv_weight``,
        ``progress``, ...); ``init`` defaults to ``"recoloured"``.
    """
    size = check_size(size)
    steps = check_steps(session.pick(full=30, quick=5) if steps is None else steps)
    check_weight("style_boost", style_boost)
    shape = resize_image(as_image(content), size).shape[:2]
    stylize_kwargs.setdefault("init", "recoloured")
    stylize_kwargs.setdefault("verbose", False)
    stylize_kwargs["style_weight"] = style_boost * default_style_weight(*shape)
    if coarse_steps:
        return coarse_to_fine(content, style, sizes=(max(size // 2, 32), size),
                              steps=(check_steps(coarse_steps), steps),
                              precision=precision, **stylize_kwargs)
    return coarse_to_fine(content, style, sizes=(size,), steps=(steps,),
                          precision=precision, **stylize_kwargs)
