"""Section 7: fast style transfer (Johnson et al.): milliseconds per picture.

For each committed network (``style_lib/fast/models/``; a fresh network of
the same design if none is committed): the median time of
``stylize_fast`` at 256, 512 and 1024 px (4:3), after one call that
compiles; the ratio to pixel optimisation at the same size (the worst time
to a finished picture of ``stylize(..., until="finished")`` from section 6, when
measured); and the committed network's training time with its held-out
quality (:class:`style_lib.core.quality.Judge` on the held-out photos).
"""
from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

SIZES = (256, 512, 1024)
#: Held-out quality against training minutes of the committed networks.
CURVES = Path(__file__).resolve().parent / "training_curves.png"
REPEATS = 5


def time_forward(model, side: int, repeats: int = REPEATS,
                 precision: str = "float32") -> float:
    """Median seconds of ``stylize_fast`` on a ``side x 3/4 side`` picture."""
    from style_lib.fast import stylize_fast
    x = np.random.default_rng(0).uniform(0, 255, (side * 3 // 4, side, 3)).astype(np.float32)
    stylize_fast(model, x, precision=precision)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        stylize_fast(model, x, precision=precision)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def held_out_quality(model, painting: str, size: int = 256) -> dict:
    """Mean relative style distance and worst layout on the held-out photos."""
    from style_lib.fast import training
    return training.held_out_quality(model, training.held_out_judges([painting], size))


def draw_curves(curves: dict[str, dict], path: Path = CURVES) -> Path:
    """Draw held-out quality against training minutes, one line per committed network."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, c in curves.items():
        left.plot(c["minutes"], c["relative"], ".-", label=name)
        right.plot(c["minutes"], c["layout"], ".-", label=name)
    left.set(xlabel="training minutes (2-core CPU)", ylabel="style distance / photo's",
             title="held-out photos, 256 px: style (lower is closer)")
    right.set(xlabel="training minutes (2-core CPU)", ylabel="worst layout correlation",
              title="held-out photos, 256 px: layout")
    left.legend(fontsize=8)
    plt.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def run(*, quick: bool = False) -> dict:
    from style_lib.core import vgg
    from style_lib.fast import network
    sizes = (64, 128) if quick else SIZES
    auto = vgg.fast_precision()
    names = network.pretrained_names()
    models = {n: network.load_pretrained(n) for n in names} or \
        {"untrained (width 0.5)": network.build_transform_net(0.5)}
    out: dict = {"sizes": list(sizes), "auto": auto, "models": {}}
    for name, model in models.items():
        print(f"   fast network: {name} ...", flush=True)
        repeats = 2 if quick else REPEATS
        row = {"params": int(model.count_params()),
               "ms": {str(s): 1000 * time_forward(model, s, repeats) for s in sizes}}
        if auto != "float32":
            row["ms_auto"] = {str(s): 1000 * time_forward(model, s, repeats, "auto")
                              for s in sizes}
        folder = network.PRETRAINED_DIR / name
        if (folder / "history.json").is_file():
            history = json.loads((folder / "history.json").read_text())
            config = json.loads((folder / "config.json").read_text())
            row["training"] = {"steps": len(history["step"]),
                               "minutes": history["seconds"][-1] / 60,
                               "size": config["size"], "width": config["width"]}
            row["held_out"] = held_out_quality(model, name, 64 if quick else 256)
        out["models"][name] = row
    curves = {}
    for name in network.pretrained_names() + network.pretrained_names(many=True):
        path = network.PRETRAINED_DIR / name / "history.json"
        history = json.loads(path.read_text()) if path.is_file() else {}
        if "eval_step" in history:
            curves[name] = {"minutes": [t / 60 for t in history["eval_seconds"]],
                            "relative": history["eval_relative"],
                            "layout": history["eval_layout"]}
    out["curves"] = curves
    if curves and not quick:
        draw_curves(curves)
    return out


def render(r: dict, finished: dict | None = None) -> list[str]:
    """The Markdown of section 7; ``finished``: section 6's results, for the ratio."""
    sizes = r["sizes"]
    pixel = {}
    if finished and finished.get("grid"):
        from .quality import UNTIL, summary
        for size, schedules in finished["grid"].items():
            worst = summary(schedules[UNTIL])["worst"]
            if worst is not None:
                pixel[size] = worst
    auto = r.get("auto", "float32")
    lines = ["## 7. Fast style transfer (Johnson et al.): one forward pass", "",
             "Median of 5 calls of `stylize_fast` after one that compiles, pictures "
             "of 4:3 at the longest side given, in ms: float32, then "
             f"`precision=\"auto\"` (here {auto}; what the CLI and the app use). Ratio: "
             "the worst time to a finished picture by pixel optimisation "
             "(`until=\"finished\"`, section 6, also `auto`) at the same size, divided "
             "by the network's time with `auto`.", "",
             "| network | weights | " + " | ".join(f"{s} px (ms)" for s in sizes)
             + " | x faster than pixels at " + ", ".join(pixel or ["-"]) + " px |",
             "|---|---|" + "---|" * len(sizes) + "---|"]
    for name, row in r["models"].items():
        fastest = row.get("ms_auto", row["ms"])
        ratios = ", ".join(f"{1000 * pixel[s] / fastest[s]:.0f}" for s in pixel
                           if s in fastest) or "-"
        cells = [f"{row['ms'][str(s)]:.0f}" + (f" / {row['ms_auto'][str(s)]:.0f}"
                                               if "ms_auto" in row else "")
                 for s in sizes]
        lines.append(f"| {name} | {row['params'] / 1e6:.2f} M | " + " | ".join(cells)
                     + f" | {ratios} |")
    trained = {n: row for n, row in r["models"].items() if "training" in row}
    if trained:
        lines += ["", "Training (`python -m style_lib.fast train`, the committed command) and "
                  "the result on the three held-out photos at 256 px: style distance relative "
                  "to the photo's own (`style_lib.core.quality`; 1 = the photo, 0 = the painting) "
                  "and the worst layout correlation.", "",
                  "| network | crops | width | steps | minutes | held-out distance (mean / worst) "
                  "| worst layout |", "|---|---|---|---|---|---|---|"]
        for name, row in trained.items():
            t, q = row["training"], row["held_out"]
            lines.append(f"| {name} | {t['size']} px | {t['width']:g} | {t['steps']} | "
                         f"{t['minutes']:.1f} | {q['relative']:.2f} / {q['worst_relative']:.2f} "
                         f"| {q['worst_layout']:.2f} |")
    if r.get("curves"):
        lines += ["", "Held-out quality against training minutes (recorded during training, "
                  "`--evaluate-every 200`; mean relative distance at 256 px over the held-out "
                  "photos and every painting of the network): "
                  "[benchmarks/training_curves.png](training_curves.png).", "",
                  "| network | " + " | ".join(f"{k}" for k in ("first", "a quarter", "half",
                                                              "three quarters", "end"))
                  + " |", "|---|---|---|---|---|---|"]
        for name, c in r["curves"].items():
            n = len(c["minutes"])
            picks = sorted({0, n // 4, n // 2, 3 * n // 4, n - 1})
            cells = [f"{c['relative'][i]:.2f} at {c['minutes'][i]:.0f} min" for i in picks]
            lines.append(f"| {name} | " + " | ".join(cells + [""] * (5 - len(cells))) + " |")
    return lines
