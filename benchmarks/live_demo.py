"""The instructor's live demo of notebook 07, timed: ``python -m benchmarks.live_demo``.

Drives :class:`style_lib.teaching.widgets.StyleTransferApp` at the notebook's
192 px (its steps, weights and ``precision="auto"``) through the seven steps of
the notebook's table, as an instructor does (setting a slider's ``value`` is
exactly what dragging it does; the slider's debounce included), and prints,
per step, the seconds to the first changed preview and to the end of the run
with the reason it ended (finished, converged or the step budget), as the
Markdown rows of that table.
"""
from __future__ import annotations

import sys
import time

from style_lib.teaching.widgets import StyleTransferApp

SIZE, STEPS, TIMEOUT = 192, 100, 300.0


def _timed(app: StyleTransferApp, action) -> tuple[float, float, str]:
    """Seconds to the first new preview and to the end of the run, and why it ended."""
    shown = app.previews_shown
    start = time.perf_counter()
    action()
    while app.previews_shown == shown and time.perf_counter() - start < TIMEOUT:
        time.sleep(0.005)
    first = time.perf_counter() - start
    if not app.wait(TIMEOUT):
        raise TimeoutError(f"a run took longer than {TIMEOUT:g} s")
    return first, time.perf_counter() - start, app.last_reason


def measure() -> list[tuple[str, float, float, str]]:
    """The demo's steps: ``(step, first preview s, run ended s, reason)``."""
    app = StyleTransferApp("tubingen", "starry_night", size=SIZE, steps=STEPS)
    names = list(app.layer_sliders)
    rows = []

    def only(layer: str):
        def action():
            for name, slider in app.layer_sliders.items():
                slider.value = 1.0 if name == layer else 0.0
        return action

    steps = [("1 Run", app.run),
             ("2 style beta 10", lambda: setattr(app.style_weight_slider, "value", 1e1)),
             ("3 style beta 1e4", lambda: setattr(app.style_weight_slider, "value", 1e4)),
             ("4a smoothing 0", lambda: setattr(app.tv_weight_slider, "value", 0.0)),
             ("4b smoothing 1", lambda: setattr(app.tv_weight_slider, "value", 1.0))]
    for label, action in steps:
        rows.append((label, *_timed(app, action)))
    app.reset()
    rows.append(("5a only " + names[0], *_timed(app, only(names[0]))))
    app.reset()
    rows.append(("5b only " + names[-1], *_timed(app, only(names[-1]))))
    app.reset()
    rows.append(("6 The Scream", *_timed(
        app, lambda: setattr(app.style_picker, "value", "the_scream"))))
    return rows


def main() -> int:
    for label, first, end, reason in measure():
        print(f"| {label} | {first:.1f} s / {end:.0f} s ({reason}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
