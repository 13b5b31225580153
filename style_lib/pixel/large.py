"""Large prints: coarse-to-fine stylisation.

Optimising a 1024 px image directly is slow, and the style's brush strokes
come out small: VGG's receptive fields are fixed in pixels, so on a large
canvas they cover a smaller part of the scene. *Coarse-to-fine* (Gatys et
al., "Controlling Perceptual Factors in Neural Style Transfer", CVPR 2017,
section 5) stylises a small image first, upsamples the result and uses it
as the start image at the next size, where fewer steps suffice to add the
fine detail. It wraps :func:`style_lib.pixel.optimize.stylize` from outside; the
memory a run needs is :mod:`style_lib.pixel.memory`'s business.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import session
from ..io.data import as_image
from ..errors import SettingsError
from ..io.images import resize_image
from .memory import check_memory, estimate_memory
from .optimize import stylize
from ..settings import DEFAULT_STEPS, StyleSettings, as_style_settings, check_size, \
    check_steps

__all__ = ["coarse_to_fine", "CoarseToFineResult", "default_sizes", "upscale"]


def default_sizes(size: int, start: int = 256) -> tuple[int, ...]:
    """Return the size ladder ending at ``size``: halve while >= ``start``.

    ``default_sizes(1024)`` is ``(256, 512, 1024)``; ``default_sizes(800)``
    is ``(400, 800)``; sizes up to ``start`` give ``(size,)``.
    """
    sizes = [int(size)]
    while sizes[0] // 2 >= start:
        sizes.insert(0, sizes[0] // 2)
    return tuple(sizes)


@dataclass
class CoarseToFineResult:
    """The final image and each stage's :class:`~style_lib.pixel.optimize.StyleResult`.

    ``image`` is ``(H, W, 3)`` float32 in ``[0, 255]`` at the last size;
    ``seconds`` the wall time of each stage; ``memory_estimate`` the peak
    bytes predicted before the run.
    """

    image: np.ndarray
    stages: list = field(default_factory=list)
    sizes: tuple[int, ...] = ()
    steps: tuple[int, ...] = ()
    seconds: list[float] = field(default_factory=list)
    memory_estimate: int = 0

    @property
    def total_seconds(self) -> float:
        """Wall time of all stages."""
        return float(sum(self.seconds))


def _stage_steps(steps, n: int) -> tuple[int, ...]:
    if steps is None:
        steps = session.pick(full=DEFAULT_STEPS, quick=20)
    if isinstance(steps, (list, tuple)):
        out = tuple(steps)
        if len(out) != n:
            raise SettingsError(f"steps has {len(out)} values for {n} sizes; give "
                                "one per size, or one number for the first.")
    else:
        out = [steps]
        while len(out) < n:
            out.append(max(1, out[-1] // 2))
        out = tuple(out)
    return tuple(check_steps(s) for s in out)


def upscale(image, shape: tuple[int, int]) -> np.ndarray:
    """Return ``image`` ``(h, w, 3)`` resized to ``shape`` ``(H, W)`` (Lanczos)."""
    import tensorflow as tf
    image = np.asarray(image, np.float32)
    if image.shape[:2] == tuple(shape):
        return image
    out = tf.image.resize(image, tuple(shape), method="lanczos3", antialias=True)
    return np.clip(out.numpy(), 0, 255).astype(np.float32)


def coarse_to_fine(content, style, *, sizes: Sequence[int] = (256, 512, 1024),
                   steps: int | Sequence[int] | None = None,
                   check: bool = True, available_bytes: int | None = None,
                   verbose: bool = True,
                   on_stage: Callable[[int, Any], Any] | None = None,
                   **stylize_kwargs) -> CoarseToFineResult:
    """Return a :class:`CoarseToFineResult`: stylise small, then refine larger.

    Stage ``k`` runs :func:`style_lib.pixel.optimize.stylize` at ``sizes[k]``;
    from the second stage on, its start image (``init``) is the previous
    result upsampled to the new size.

    Args:
      content, style: as for ``stylize`` (arrays, paths or demo names).
      sizes: increasing longest sides, e.g. ``(256, 512, 1024)``.
      steps: one number per stage, or one number for the first stage
        (each later stage gets half of the previous). Default: 150 (quick
        mode 20) for the first stage.
      check: refuse before starting (``SettingsError``) if the largest
        stage would not fit in memory.
      on_stage: called with ``(stage_index, StyleResult)`` after each stage.
      **stylize_kwargs: passed to every stage (``optimizer``, weights,
        ``preserve_color``, ``masks``, ``init`` for the first stage, ...).
    """
    sizes = tuple(check_size(s) for s in sizes)
    if not sizes:
        raise SettingsError("sizes must hold at least one size. Fix: e.g. "
                            "sizes=(256, 512, 1024).")
    if any(b <= a for a, b in zip(sizes, sizes[1:])):
        raise SettingsError(f"sizes must increase; got {sizes}. Fix: sort them, "
                            f"e.g. (256, 512, 1024).")
    stage_steps = _stage_steps(steps, len(sizes))
    for key in ("size", "steps"):
        if key in stylize_kwargs:
            raise SettingsError(f"pass sizes=... and steps=... to coarse_to_fine, "
                                f"not {key}=.")
    original = as_image(content)
    aspect = original.shape[1] / original.shape[0]
    fields, rest = StyleSettings.split(stylize_kwargs)
    base = as_style_settings(rest.pop("settings", None), **fields)   # checked once
    layers = base.content_layers + base.style_layers
    estimate = estimate_memory(sizes[-1], aspect, layers, optimizer=base.optimizer)
    if check:
        check_memory(sizes[-1], aspect, layers, optimizer=base.optimizer,
                     available_bytes=available_bytes)
    init = base.init
    result = CoarseToFineResult(image=np.zeros((0, 0, 3), np.float32),
                                sizes=sizes, steps=stage_steps,
                                memory_estimate=estimate)
    for k, (size, n) in enumerate(zip(sizes, stage_steps)):
        if k > 0:
            shape = resize_image(original, size).shape[:2]
            init = upscale(result.stages[-1].image, shape)
        start = time.perf_counter()
        stage = stylize(original, style, base.replace(size=size, steps=n, init=init),
                        **rest)
        result.seconds.append(time.perf_counter() - start)
        result.stages.append(stage)
        if verbose:
            h, w = stage.image.shape[:2]
            print(f"stage {k + 1}/{len(sizes)}: {w}x{h} px, {n} steps, "
                  f"{result.seconds[-1]:.1f} s")
        if on_stage is not None:
            on_stage(k, stage)
        if stage.interrupted:
            break
    result.image = result.stages[-1].image
    return result
