"""Section 7: fast style transfer (Johnson et al.): milliseconds per picture.

For each committed network (``style_lib/fast/models/``; a fresh network of
the same design if none is committed): the median time of
``stylize_fast`` at 256, 512 and 1024 px (4:3), after one call that
compiles; the ratio to pixel optimisation at the same size (the worst time
to a finished picture of ``stylize_in_seconds`` from section 6, when
measured); and the committed network's training time with its held-out
quality (:class:`style_lib.quality.Judge` on the held-out photos).
"""
from __future__ import annotations

import json
import statistics
import time

import numpy as np

SIZES = (256, 512, 1024)
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
    from style_lib import training_photos
    from style_lib.fast import stylize_fast
    from style_lib.quality import Judge
    verdicts = []
    for name in training_photos.HELD_OUT_NAMES:
        photo = training_photos.center_squares([name], size)[0]
        verdicts.append(Judge(photo, painting, size=size)(stylize_fast(model, photo)))
    return {"relative": float(np.mean([v.relative for v in verdicts])),
            "worst_relative": float(max(v.relative for v in verdicts)),
            "worst_layout": float(min(v.layout for v in verdicts))}


def run(*, quick: bool = False) -> dict:
    from style_lib import vgg
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
    return out


def render(r: dict, finished: dict | None = None) -> list[str]:
    """The Markdown of section 7; ``finished``: section 6's results, for the ratio."""
    sizes = r["sizes"]
    pixel = {}
    if finished:
        for size, rows in finished.get("time_to_goal", {}).items():
            times = [row.get("stylize_in_seconds") for row in rows.values()]
            if times and all(t is not None for t in times):
                pixel[size] = max(times)
    auto = r.get("auto", "float32")
    lines = ["## 7. Fast style transfer (Johnson et al.): one forward pass", "",
             "Median of 5 calls of `stylize_fast` after one that compiles, pictures "
             "of 4:3 at the longest side given, in ms: float32, then "
             f"`precision=\"auto\"` (here {auto}; what the CLI and the app use). Ratio: "
             "the worst time to a finished picture by pixel optimisation "
             "(`stylize_in_seconds`, section 6, also `auto`) at the same size, divided "
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
                  "to the photo's own (`style_lib.quality`; 1 = the photo, 0 = the painting) "
                  "and the worst layout correlation.", "",
                  "| network | crops | width | steps | minutes | held-out distance (mean / worst) "
                  "| worst layout |", "|---|---|---|---|---|---|---|"]
        for name, row in trained.items():
            t, q = row["training"], row["held_out"]
            lines.append(f"| {name} | {t['size']} px | {t['width']:g} | {t['steps']} | "
                         f"{t['minutes']:.1f} | {q['relative']:.2f} / {q['worst_relative']:.2f} "
                         f"| {q['worst_layout']:.2f} |")
    return lines
