"""How long after a slider move does the picture change, and settle?

Drives :class:`style_lib.teaching.widgets.StyleTransferApp` exactly as a student
does (setting ``style_weight_slider.value``), with the targets already
cached from a first run (the work happens in its
:class:`style_lib.teaching.runner.StyleRunner`), and times:

* ``first_preview_s``: from the weight change to the first refreshed
  preview (an image better than the start under the new weights). It
  includes the app's debounce delay (``debounce_s``, 0.25 s).
* ``converged_s``: from the weight change to the end of the run, i.e. the
  converged preview. **Converged** means the best loss fell by less than
  1 % (``CONVERGED_TOL``) over the last 10 steps (``CONVERGED_WINDOW``);
  a run that reaches the step budget first (``steps``) ends there, and
  ``reasons`` says which happened.

Run ``python benchmarks/slider_latency.py [size]``; import :func:`measure`
to use the numbers elsewhere.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

if __name__ == "__main__":            # allow running without installing
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from style_lib.teaching.widgets import (CONVERGED_TOL, CONVERGED_WINDOW,  # noqa: E402
                               StyleTransferApp)


def measure(size: int = 128, *, content: str = "tubingen",
            style: str = "starry_night", style_weights=(1e5, 1e4),
            steps: int = 200, weights: str = "auto",
            timeout: float = 300.0) -> dict:
    """Return latencies (seconds) of the interactive app at ``size`` px.

    One cold run caches the targets; then each value in ``style_weights``
    is set on the style-weight slider in turn (warm start from the previous
    picture). Times are medians over those changes; ``*_all`` lists keep
    each value.

    Returns a dict with ``size``, ``steps`` (budget), ``targets_s`` (VGG
    load + content/style targets), ``cold_run_s``, ``set_weights_s``,
    ``first_preview_s``, ``converged_s``, ``converged_steps``,
    ``step_s`` (median seconds per step), ``debounce_s``, ``tol``,
    ``window``, ``reasons``, ``targets_computed``, ``traces`` and the
    per-change lists.
    """
    app = StyleTransferApp(content, style, size=size, steps=steps,
                           weights=weights)
    start = time.perf_counter()
    if not app.run(wait=True, timeout=timeout):
        raise TimeoutError(f"the first run took longer than {timeout} s")
    cold = time.perf_counter() - start
    if app.last_error is not None:
        raise RuntimeError(f"the first run failed: {app.last_error}")
    stylizer = app.stylizer
    traces = stylizer.traces

    # set_weights alone: assign three variables, no recompilation.
    t = time.perf_counter()
    stylizer.set_weights(style_weight=float(app.style_weight_slider.value))
    set_weights_s = time.perf_counter() - t

    first, converged, n_steps, reasons, step_s = [], [], [], [], []
    for value in style_weights:
        shown = app.previews_shown
        t0 = time.perf_counter()
        app.style_weight_slider.value = value
        deadline = t0 + timeout
        while app.previews_shown == shown and time.perf_counter() < deadline:
            time.sleep(0.005)
        first.append(time.perf_counter() - t0)
        if not app.wait(max(0.0, deadline - time.perf_counter())):
            raise TimeoutError(f"a warm run took longer than {timeout} s")
        converged.append(time.perf_counter() - t0)
        n_steps.append(app.last_steps)
        reasons.append(app.last_reason)
        seconds = app.history["seconds"]    # as StyleResult.history
        step_s.append(float(np.median(np.diff(seconds))) if len(seconds) > 1
                      else float("nan"))
    return {
        "size": size, "steps": steps,
        "targets_s": app.targets_seconds, "cold_run_s": cold,
        "set_weights_s": set_weights_s,
        "first_preview_s": statistics.median(first),
        "converged_s": statistics.median(converged),
        "converged_steps": statistics.median(n_steps),
        "step_s": statistics.median(step_s),
        "debounce_s": app.debounce, "tol": CONVERGED_TOL,
        "window": CONVERGED_WINDOW, "reasons": reasons,
        "targets_computed": stylizer.targets_computed,
        "traces": stylizer.traces, "retraced": stylizer.traces != traces,
        "first_preview_all": first, "converged_all": converged,
        "converged_steps_all": n_steps,
        "weights_source": stylizer.weights_source.split(":")[0],
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    size = int(argv[0]) if argv else 128
    result = measure(size)
    print(f"Slider latency at {result['size']} px "
          f"(VGG16 weights: {result['weights_source']}, targets cached)")
    print(f"  targets (once per pair and size)   {result['targets_s']:6.2f} s")
    print(f"  set_weights                        "
          f"{result['set_weights_s'] * 1e3:6.2f} ms")
    print(f"  weight change -> first preview     "
          f"{result['first_preview_s']:6.2f} s  "
          f"(incl. {result['debounce_s']:.2f} s debounce)")
    print(f"  weight change -> converged preview "
          f"{result['converged_s']:6.2f} s  "
          f"({result['converged_steps']:.0f} steps, "
          f"{result['step_s'] * 1e3:.0f} ms/step; {result['reasons']})")
    print(f"  converged = best loss fell < {result['tol']:.0%} over "
          f"{result['window']} steps, or {result['steps']} steps")
    print(f"  targets computed {result['targets_computed']}x, "
          f"retraced: {result['retraced']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
