"""How much memory a stylisation run needs, and how much there is.

Memory grows with the number of pixels. :func:`estimate_memory` predicts
the peak resident memory (RSS) of a run from the sizes of VGG16's
activations up to the deepest layer used::

    peak = BASE_BYTES + ACTIVATION_FACTOR * activations + optimiser state

``BASE_BYTES`` (TensorFlow, the VGG16 weights, Python) and
``ACTIVATION_FACTOR`` (forward activations kept for the backward pass plus
the gradients flowing back, and TensorFlow's temporaries) were fitted to
peak RSS measured with :func:`measure_peak_rss` in a fresh process (L-BFGS,
4:3 image, the paper's layers, TF 2.21 on x86-64 Linux, 2026-11-28; the peak
is the process's own high-water mark, ``VmHWM``):

======  ==========  ==========
size    measured    estimate
======  ==========  ==========
256 px  876 MiB     886 MiB
512 px  1219 MiB    1236 MiB
768 px  1858 MiB    1818 MiB
1024px  2605 MiB    2634 MiB
======  ==========  ==========

(fitted at 256 and 512 px, checked at 768 and 1024 px). The optimiser's
state is counted exactly: L-BFGS keeps ``2 * LBFGS_HISTORY`` float32 vectors
of the image's size (``s`` and ``y``), and replacing the oldest pair builds
new arrays while the old ones are alive, so ``4 * LBFGS_HISTORY`` at the
peak, plus a few more (``x``, ``g``, the direction, the step); Adam two
float32 moments.
"""
from __future__ import annotations

import json
import numbers
import os
import subprocess
import sys
from collections.abc import Sequence

from ..errors import SettingsError
from ..settings import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, MAX_SIZE, \
    MIN_SIZE
from ..core.vgg import LAYERS, layer_info

__all__ = ["estimate_memory", "activation_bytes", "image_shape",
           "available_memory", "max_size_that_fits", "check_memory",
           "measure_peak_rss", "format_bytes", "BASE_BYTES",
           "ACTIVATION_FACTOR", "MARGIN", "LBFGS_HISTORY"]

#: Resident memory of a process that has imported TensorFlow and built
#: VGG16, before any large tensors (fitted, see the module docstring).
BASE_BYTES = 770 * 2**20
#: Peak memory per byte of forward activations (fitted).
ACTIVATION_FACTOR = 1.6
#: Only this fraction of the available memory is planned for.
MARGIN = 0.8
#: L-BFGS history length (``history_size`` of :func:`style_lib.core.optimizers.lbfgs`).
LBFGS_HISTORY = 10

_DEFAULT_LAYERS = DEFAULT_CONTENT_LAYERS + DEFAULT_STYLE_LAYERS


def image_shape(size: int, aspect: float = 4 / 3) -> tuple[int, int]:
    """Return ``(H, W)`` of an image whose longest side is ``size``.

    ``aspect`` is width / height (4/3 for a landscape photo).
    """
    if not aspect > 0:
        raise SettingsError(f"aspect must be > 0 (width / height), got {aspect}.")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise SettingsError(f"size must be a whole number of pixels >= 1, got {size!r}. "
                            f"Fix: e.g. 256.")
    if aspect >= 1:
        return max(1, round(size / aspect)), int(size)
    return int(size), max(1, round(size * aspect))


def _deepest(layers: Sequence[str] | None) -> int:
    layers = _DEFAULT_LAYERS if layers is None else tuple(layers)
    if not layers:
        raise SettingsError("layers must name at least one VGG16 layer.")
    order = [l.name for l in LAYERS]
    return max(order.index(layer_info(n).name) for n in layers)


def activation_bytes(size: int, aspect: float = 4 / 3,
                     layers: Sequence[str] | None = None) -> int:
    """Return the bytes of VGG16's float32 activations for one image.

    Sums the outputs of every layer from ``conv1_1`` up to the deepest of
    ``layers`` (the network is cut there), plus the input, for an image of
    longest side ``size``.
    """
    h, w = image_shape(size, aspect)
    total = 2 * h * w * 3                       # RGB input and VGG input
    for layer in LAYERS[:_deepest(layers) + 1]:
        stride = layer.stride
        total += (h // stride) * (w // stride) * layer.filters
    return 4 * total


def _optimizer_bytes(size: int, aspect: float, optimizer: str) -> int:
    h, w = image_shape(size, aspect)
    n = h * w * 3
    if optimizer == "lbfgs":
        return (4 * LBFGS_HISTORY + 6) * n * 4   # float32 s, y (old + new), x, g, ...
    if optimizer == "adam":
        return 4 * n * 4
    return 2 * n * 4


def estimate_memory(size: int, aspect: float = 4 / 3,
                    layers: Sequence[str] | None = None, *,
                    optimizer: str = "lbfgs", include_base: bool = True) -> int:
    """Return the estimated peak memory (bytes) of a stylisation run.

    Args:
      size: longest side of the output in pixels.
      aspect: width / height of the content image.
      layers: content and style layers (default: the paper's conv4_2 and
        conv1_1 ... conv5_1).
      optimizer: ``"lbfgs"``, ``"adam"`` or ``"gd"``.
      include_base: add :data:`BASE_BYTES` (TensorFlow and VGG16 loaded);
        False gives the extra memory a run needs in a process that has
        them loaded already.
    """
    extra = ACTIVATION_FACTOR * activation_bytes(size, aspect, layers) \
        + _optimizer_bytes(size, aspect, optimizer)
    return int(extra + (BASE_BYTES if include_base else 0))


def format_bytes(n: float) -> str:
    """Return ``n`` bytes as a short string such as ``'1.3 GB'``."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def _cgroup_free() -> int | None:
    """Return the memory left under this process's cgroup limit, if any."""
    for limit_file, usage_file in (
            ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
             "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file) as f:
                limit = f.read().strip()
            with open(usage_file) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:
            return max(0, int(limit) - usage)
    return None


def available_memory() -> int:
    """Return the bytes of memory available to a new run now.

    ``psutil.virtual_memory().available``, or less under a container's
    memory limit (cgroups).
    """
    import psutil
    free = int(psutil.virtual_memory().available)
    limit = _cgroup_free()
    return min(free, limit) if limit is not None else free


def max_size_that_fits(available_bytes: int | None = None,
                       aspect: float = 4 / 3,
                       layers: Sequence[str] | None = None, *,
                       optimizer: str = "lbfgs") -> int:
    """Return the largest size (px, longest side) whose run fits in memory.

    Plans for :data:`MARGIN` of ``available_bytes`` (default: what is
    available now), for the extra memory of a run in this process
    (TensorFlow is loaded already). Returns 0 when not even 16 px fits.
    """
    if available_bytes is None:
        available_bytes = available_memory()
    budget = MARGIN * available_bytes

    def fits(size: int) -> bool:
        return estimate_memory(size, aspect, layers, optimizer=optimizer,
                               include_base=False) <= budget

    if not fits(MIN_SIZE):
        return 0
    low, high = MIN_SIZE, MAX_SIZE
    if fits(high):
        return high
    while high - low > 1:                   # fits(low), not fits(high)
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


def check_memory(size: int, aspect: float = 4 / 3,
                 layers: Sequence[str] | None = None, *,
                 optimizer: str = "lbfgs",
                 available_bytes: int | None = None) -> int:
    """Return the estimated extra bytes of a run, or refuse it.

    Raises:
      SettingsError: the run would need more than :data:`MARGIN` of the
        available memory; the message names the largest size that fits.
    """
    if available_bytes is None:
        available_bytes = available_memory()
    need = estimate_memory(size, aspect, layers, optimizer=optimizer,
                           include_base=False)
    if need <= MARGIN * available_bytes:
        return need
    fits = max_size_that_fits(available_bytes, aspect, layers,
                              optimizer=optimizer)
    advice = (f"the largest size that fits is {fits} px. Fix: use --size "
              f"{fits} (size={fits}), or close other programs"
              if fits else "Fix: close other programs")
    raise SettingsError(
        f"a {size} px run needs about {format_bytes(need)} more memory but only "
        f"{format_bytes(available_bytes)} is available; {advice}.")


# ------------------------------------------------------------ measuring ---

_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("STYLE_LIB_OFFLINE", "1")
size, steps, optimizer, weights = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
aspect = float(sys.argv[5])
import numpy as np
import style_lib
from style_lib.pixel import memory, optimize


def peak():
    # Linux: the high-water mark of this process's own memory map. (ru_maxrss
    # is not: across a vfork + exec it keeps the *parent's* peak.)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb if sys.platform == "darwin" else kb * 1024
    except ImportError:  # Windows: psutil's peak working set
        import psutil
        return psutil.Process().memory_info().peak_wset


h, w = memory.image_shape(size, aspect)
rng = np.random.default_rng(0)
content = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
style = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
base = optimize.Stylizer(content[:16, :16], style[:16, :16], size=16,
                         weights=weights, verbose=False)
base.run(steps=1, optimizer=optimizer, progress=False)
base_peak = peak()
start = time.perf_counter()
optimize.stylize(content, style, size=size, steps=steps, optimizer=optimizer,
                 weights=weights, progress=False)
print(json.dumps({"peak": peak(), "base": base_peak,
                  "seconds": time.perf_counter() - start}))
"""


def measure_peak_rss(size: int, *, steps: int = 3, optimizer: str = "lbfgs",
                     weights: str = "auto", aspect: float = 4 / 3,
                     timeout: float = 600) -> dict[str, float]:
    """Return the measured peak RSS of a run in a fresh Python process.

    Runs ``stylize`` on random images of longest side ``size`` in a
    subprocess and returns ``{"peak": bytes, "base": bytes, "seconds": s}``
    where ``base`` is the peak after a 16 px warm-up (TensorFlow and VGG16
    loaded). Used to calibrate and test :func:`estimate_memory`.
    """
    env = dict(os.environ, STYLE_LIB_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", _CHILD, str(size), str(steps),
                          optimizer, str(weights), str(aspect)],
                         capture_output=True, text=True, timeout=timeout,
                         env=env)
    if run.returncode != 0:
        raise RuntimeError(f"measuring {size} px failed: {run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])
