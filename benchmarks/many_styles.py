"""Section 8: one network, many styles (Dumoulin et al.).

1. The blend app's refresh (``StyleBlendApp``: a slider moves, the picture
   is redrawn and encoded) at 256 px, median of moves between blends, with
   the forward pass alone beside it; float32 and ``precision="auto"``.
2. Adding a painting (``ADDED``) to the committed many-style network
   (only its ``γ, β`` train) against training a whole network for it from
   scratch, with the same settings: held-out style distance relative to the
   photo's own (:class:`style_lib.core.quality.Judge`) and layout after each
   number of steps, seconds, and the number of weights each trains.
"""
from __future__ import annotations

import statistics
import tempfile
import time

import numpy as np

ADDED = "the_kiss"
CHECKPOINTS = (100, 200, 300, 400, 600)
MOVES = 15


def refresh_times(model, precision: str, side: int = 256) -> dict:
    """Median ms of a slider move in :class:`StyleBlendApp`, and of the forward pass."""
    from style_lib.io import training_photos
    from style_lib.fast.blend_app import StyleBlendApp
    from style_lib.fast.network import stylize_fast
    photo = training_photos.load(training_photos.HELD_OUT_NAMES[0], max_size=side)
    app = StyleBlendApp(model, {"photo": photo}, size=side, precision=precision)
    names = list(app.sliders)
    refresh, forward = [], []
    for i in range(MOVES):
        slider = app.sliders[names[i % len(names)]]
        start = time.perf_counter()
        slider.value = 0.0 if slider.value > 0.5 else 1.0
        refresh.append(time.perf_counter() - start)
        weights = app.last_weights
        start = time.perf_counter()
        stylize_fast(model, app.photos["photo"], style=weights, precision=precision)
        forward.append(time.perf_counter() - start)
    return {"refresh_ms": 1000 * statistics.median(refresh[1:]),
            "forward_ms": 1000 * statistics.median(forward[1:]),
            "side": side}


def _judge(model, style, judges) -> dict:
    from style_lib.fast.network import stylize_fast
    verdicts = [judge(stylize_fast(model, photo, style=style)) for photo, judge in judges]
    return {"relative": float(np.mean([v.relative for v in verdicts])),
            "layout": float(min(v.layout for v in verdicts))}


def add_versus_scratch(base_path, *, quick: bool = False) -> dict:
    """Held-out quality against steps: adding ``ADDED`` (γ, β only) vs a new network."""
    from style_lib.io import training_photos
    from style_lib.fast import training
    from style_lib.core.quality import Judge
    side = 64 if quick else 256
    checkpoints = (2, 4) if quick else CHECKPOINTS
    photos = training_photos.center_squares(training_photos.HELD_OUT_NAMES, side)
    judges = [(p, Judge(p, ADDED, size=side)) for p in photos]
    small = dict(size=32, style_size=64) if quick else {}
    runs = {"added (γ, β only)": (training.add_style_config(base_path, ADDED, **small), ADDED),
            "new network": (training.TrainConfig(style=ADDED, **small), None)}
    out = {}
    for label, (config, style) in runs.items():
        print(f"   {label} ...", flush=True)
        folder = tempfile.mkdtemp(prefix="bench_add_style_")
        rows = []
        for steps in checkpoints:
            config.steps = steps
            result = training.train(config, folder, progress=False, checkpoint_every=steps)
            rows.append({"steps": steps, "seconds": result.history["seconds"][-1],
                         **_judge(result.model, style, judges)})
        trained = (sum(int(np.prod(v.shape[1:])) for v in result.model.weights   # one row each
                       if v.path.endswith(("/gamma", "/beta")) and len(v.shape) == 2)
                   if config.train_only_norms else int(result.model.count_params()))
        out[label] = {"rows": rows, "weights_trained": trained}
    return out


def run(*, quick: bool = False) -> dict:
    from style_lib.fast import network
    names = network.pretrained_names(many=True)
    if not names:
        return {"missing": "no many-style network committed (make models)"}
    model = network.load_pretrained(names[0])
    out: dict = {"network": names[0], "styles": network.style_names(model), "app": {}}
    for precision in ("float32", "auto"):
        out["app"][precision] = refresh_times(model, precision, 64 if quick else 256)
    out["add_style"] = add_versus_scratch(network.PRETRAINED_DIR / names[0] / "model.keras",
                                          quick=quick)
    return out


def render(r: dict) -> list[str]:
    """The Markdown of section 8."""
    lines = ["## 8. Many styles in one network (Dumoulin et al.)", ""]
    if "missing" in r:
        return lines + [r["missing"]]
    app = r["app"]
    side = app["float32"]["side"]
    lines += [f"Network `{r['network']}`: {', '.join(r['styles'])}.", "",
              f"**Blend sliders** (`StyleBlendApp`, {side} px, median of {MOVES - 1} slider "
              "moves: the picture redrawn and encoded as PNG; goal 150 ms):", "",
              "| precision | refresh (ms) | forward pass alone (ms) |", "|---|---|---|"]
    for precision, row in app.items():
        lines.append(f"| {precision} | {row['refresh_ms']:.0f} | {row['forward_ms']:.0f} |")
    lines += ["", f"**Adding {ADDED}**: its γ, β added to the network above and trained alone "
              "(convolutions frozen), against a new one-style network trained from scratch "
              "with the same settings; held-out photos at 256 px, style distance relative "
              "to the photo's own (mean) and the worst layout correlation.", "",
              "| run | weights trained | " + " | ".join(
                  f"{row['steps']} steps" for row in next(iter(r["add_style"].values()))["rows"])
              + " |",
              "|---|---|" + "---|" * len(next(iter(r["add_style"].values()))["rows"])]
    for label, run_ in r["add_style"].items():
        cells = [f"{row['relative']:.2f} / {row['layout']:.2f} ({row['seconds'] / 60:.1f} min)"
                 for row in run_["rows"]]
        lines.append(f"| {label} | {run_['weights_trained']:,} | " + " | ".join(cells) + " |")
    return lines
