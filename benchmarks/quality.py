"""Time to a finished picture: quality-versus-seconds curves and the time to goal.

A picture is finished when :class:`style_lib.core.quality.Judge` says so: style
distance at most 0.3 x the photo's own, layout correlation at least 0.9. The
clock starts at the call (the targets and the tracing of a new pair included;
VGG16 is loaded once before, and one warm-up run on a pair outside the set
pays the process's first-call costs), the judge's own time is subtracted.

The table (issue 34): :data:`PHOTOS` (Tübingen, the three held-out training
photos, a second portrait) x the eight demo paintings at 256 and 512 px, for
:data:`GRID`: ``stylize(..., until="finished")`` (judged once, on the picture it
returns; the HED network, which no run optimises, judges it too), the earlier
fixed recipe ``stylize_in_seconds`` and ``stylize``'s defaults (both judged
every step or two while they run).

Schedules of the curve (all L-BFGS unless said):

* ``default``: ``stylize``'s defaults (from the photo, beta = 1e3 at 256 x 192);
* ``recoloured start``: the same, starting from the photo recoloured to the
  painting's colour statistics (``init="recoloured"``, ``color.match_histogram``);
* ``recoloured start, beta x4``: and four times the style weight;
* ``... bfloat16``: and VGG16 computing in bfloat16 (``precision="bfloat16"``);
* ``stylize_in_seconds``: :func:`style_lib.pixel.recipes.stylize_in_seconds`, all
  of that plus a first stage of 20 steps at half the size (its clock
  includes that stage; only full-size pictures are judged);
* ``Adam 5``: Adam with learning rate 5 from the photo;
* ``until finished``: ``stylize(..., until="finished", precision="auto")``
  (:mod:`style_lib.pixel.finish`), which stops by itself;
* the peer, the TensorFlow tutorial's recipe on our network: Adam(0.02,
  beta_1=0.99, epsilon=0.1) on images in [0, 1] from the photo, content at
  conv5_2 x 1e4, style at conv1_1 ... conv5_1 x 1e-2 / 5, mean squared errors.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

GOAL_SECONDS = {256: 5.0, 512: 15.0}
CURVE_PAIR = ("tubingen", "starry_night")
#: The photos of the table: Tübingen, the held-out photos (a portrait, an outdoor
#: scene, an indoor close-up) and a second portrait.
PHOTOS = ("tubingen", "astronaut", "china", "coffee", "grace_hopper")
UNTIL = "until finished"
OLD = "stylize_in_seconds (the fixed recipe)"
DEFAULT = "stylize defaults"
#: The schedules of the table and their caps in multiples of the goal.
GRID = {UNTIL: 3.0, OLD: 2.0, DEFAULT: 1.0}
SCHEDULES: dict[str, dict] = {
    "default": {},
    "recoloured start": {"init": "recoloured"},
    "recoloured start, beta x4": {"init": "recoloured", "beta": 4.0},
    "recoloured start, beta x4, bfloat16": {"init": "recoloured", "beta": 4.0,
                                            "precision": "bfloat16"},
    "stylize_in_seconds": {"recipe": "in_seconds"},
    "Adam 5": {"optimizer": "adam", "learning_rate": 5.0},
    UNTIL: {"until": "finished", "precision": "auto"},
}
PEER = "TF tutorial recipe (Adam 0.02 on [0, 1])"
#: The live app's engine before (float32) and now (its default, "auto").
APP_PRECISIONS = ("float32", "auto")


class _Clock:
    """Seconds since the call, without the time spent judging."""

    def __init__(self):
        self.start, self.judging = time.perf_counter(), 0.0

    def now(self) -> float:
        return time.perf_counter() - self.start - self.judging

    def judge(self, fn: Callable, *args):
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.judging += time.perf_counter() - t


def _watch(clock: _Clock, judges: list, cap_s: float, stop_at_goal: bool, every: int):
    """Return (curve, callback(step, image) -> stop?) judging every ``every`` steps."""
    curve: list[dict] = []

    def seen(step: int, image: np.ndarray) -> bool:
        if step % every and step != 1:
            return clock.now() > cap_s
        seconds = clock.now()
        verdicts = [clock.judge(j, image) for j in judges]
        curve.append({"step": step, "seconds": seconds,
                      "relative": verdicts[0].relative, "layout": verdicts[0].layout,
                      "finished": verdicts[0].finished,
                      **({"relative_hed": verdicts[1].relative} if len(verdicts) > 1 else {})})
        return (stop_at_goal and verdicts[0].finished) or seconds > cap_s
    return curve, seen


def load_photo(name: str, size: int) -> np.ndarray:
    """A demo photo or a training photo (:mod:`style_lib.io.training_photos`) at ``size``."""
    from style_lib.io import data, training_photos
    from style_lib.io.images import resize_image
    if name in training_photos.NAMES:
        return resize_image(training_photos.load(name), size)
    return data.load(name, max_size=size)


def run_schedule(photo: str, painting: str, size: int, schedule: dict, judges: list, *,
                 cap_s: float, stop_at_goal: bool = True, every: int = 2) -> list[dict]:
    """Run one schedule; return its judged curve."""
    from style_lib.pixel import optimize, recipes
    from style_lib.settings import default_style_weight
    optimize.clear_cache()
    options = dict(schedule)
    beta = options.pop("beta", None)
    recipe = options.pop("recipe", None)
    clock = _Clock()
    curve, seen = _watch(clock, judges, cap_s, stop_at_goal, every)
    content = load_photo(photo, size)

    def callback(p) -> bool:                   # judge full-size pictures only
        if p.image.shape[:2] != content.shape[:2]:
            return clock.now() > cap_s
        return seen(p.step, p.image)
    if recipe == "in_seconds":
        recipes.stylize_in_seconds(content, painting, size=size, steps=10_000,
                                   progress=False, callback=callback, **options)
        return curve
    if beta is not None:
        options["style_weight"] = beta * default_style_weight(*content.shape[:2])
    optimize.stylize(content, painting, size=size, steps=10_000, progress=False,
                     callback=callback, **options)
    return curve


def run_until(photo: str, painting: str, size: int, judges: list, *, cap_s: float) -> dict:
    """``stylize(..., until="finished")``: it stops by itself; the picture it returns is
    judged once. Returns seconds (None: not finished by the judge), the verdict, steps."""
    from style_lib.pixel import optimize
    optimize.clear_cache()
    content = load_photo(photo, size)
    clock = _Clock()
    result = optimize.stylize(content, painting, size=size, until="finished",
                              precision="auto", progress=False,
                              callback=lambda p: clock.now() > cap_s)
    seconds = clock.now()
    verdicts = [j(result.image) for j in judges]
    return {"seconds": seconds if verdicts[0].finished else None,
            "relative": verdicts[0].relative, "layout": verdicts[0].layout,
            **({"relative_hed": verdicts[1].relative} if len(verdicts) > 1 else {}),
            "steps": len(result.history["step"]),
            "style_weight": result.settings["style_weight"]}


def run_peer(photo: str, painting: str, size: int, judges: list, *, cap_s: float,
             stop_at_goal: bool = True, every: int = 2) -> list[dict]:
    """The TensorFlow tutorial's recipe, re-implemented on our VGG16."""
    import tensorflow as tf
    from style_lib.io import data
    from style_lib.core.vgg import FeatureExtractor
    clock = _Clock()
    curve, seen = _watch(clock, judges, cap_s, stop_at_goal, every)
    style_layers = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    extractor = FeatureExtractor(["conv5_2", *style_layers], "imagenet", verbose=False)
    content = data.load(photo, max_size=size)[np.newaxis] / 255.0
    style = data.load(painting, max_size=size)[np.newaxis] / 255.0

    def gram(f):
        return tf.einsum("bijc,bijd->bcd", f, f) / tf.cast(f.shape[1] * f.shape[2], tf.float32)
    content_target = extractor(content * 255.0)["conv5_2"]
    style_features = extractor(style * 255.0)
    style_targets = {n: gram(style_features[n]) for n in style_layers}
    image = tf.Variable(content.astype(np.float32))
    opt = tf.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            f = extractor(image * 255.0)
            style_loss = tf.add_n([tf.reduce_mean((gram(f[n]) - style_targets[n]) ** 2)
                                   for n in style_layers]) * 1e-2 / len(style_layers)
            content_loss = tf.reduce_mean((f["conv5_2"] - content_target) ** 2) * 1e4
            loss = style_loss + content_loss
        opt.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))

    n = 0
    while True:
        step()
        n += 1
        if seen(n, image.numpy()[0] * 255.0):
            return curve


def run_app(photo: str, painting: str, precision: str, *, cap_s: float) -> dict:
    """The live app's engine (notebook 07's sliders) from Run to a finished preview.

    :class:`style_lib.teaching.runner.StyleRunner` with its defaults (its size, step
    budget, weights and convergence test) except ``precision``; every
    preview it emits is judged (``preview_interval=0``: all improved ones).
    Returns ``{"seconds": time to finished or None, "size", "steps", "reason"}``.
    """
    from style_lib.pixel import optimize
    from style_lib.core.quality import Judge
    from style_lib.teaching.runner import StyleRunner
    optimize.clear_cache()
    found: dict = {}
    runner: StyleRunner | None = None

    def preview(image: np.ndarray) -> None:
        if "seconds" in found or runner is None or image.shape != runner.content_image.shape:
            return
        if clock.judge(judge, image).finished and clock.now() <= cap_s:
            found["seconds"] = clock.now()
            runner.stop()
    runner = StyleRunner(photo, painting, precision=precision, preview_interval=0.0,
                         on_preview=preview)
    judge = Judge(photo, painting, size=runner.size)
    clock = _Clock()
    runner.run(wait=True, timeout=cap_s * 4)
    runner.stop()
    runner.wait(60)
    return {"seconds": found.get("seconds"), "size": runner.size,
            "steps": runner.last_steps, "reason": runner.last_reason}


def time_to_goal(curve: list[dict]) -> float | None:
    return next((c["seconds"] for c in curve if c["finished"]), None)


def run(*, quick: bool = False) -> dict:
    """The curve for one pair at 256 px, then the table: every photo x painting."""
    from style_lib.core import vgg
    from style_lib.io import data
    from style_lib.core.quality import Judge
    from style_lib.pixel import optimize
    vgg.load_vgg16()
    sizes = (64,) if quick else (256, 512)
    paintings = list(data.STYLE_NAMES)[:2] if quick else list(data.STYLE_NAMES)
    photos = PHOTOS[:2] if quick else PHOTOS
    results: dict = {"goal_seconds": {str(k): v for k, v in GOAL_SECONDS.items()}}
    for size in sizes:                        # the first call's costs, on a pair outside the set
        optimize.stylize("chelsea", "starry_night", size=size, until="finished",
                         precision="auto", progress=False, steps=5)
    size = sizes[0]
    judges = [Judge(*CURVE_PAIR, size=size), Judge(*CURVE_PAIR, size=size, weights="hed")]
    cap = 6.0 if quick else 20.0
    print(f"   curves ({CURVE_PAIR[0]} x {CURVE_PAIR[1]}, {size} px) ...", flush=True)
    curves = {name: run_schedule(*CURVE_PAIR, size, s, judges, cap_s=cap, stop_at_goal=False)
              for name, s in SCHEDULES.items()}
    curves[PEER] = run_peer(*CURVE_PAIR, size, judges, cap_s=cap, stop_at_goal=False)
    results["curves"] = {"pair": list(CURVE_PAIR), "size": size, "runs": curves}
    grid: dict = {}
    caps: dict = {}
    for size in sizes:
        goal = GOAL_SECONDS.get(size, 6.0)
        caps[str(size)] = {name: (6.0 if quick else factor * goal) for name, factor in GRID.items()}
        every = 1 if size <= 256 else 2
        for photo in photos:
            for painting in paintings:
                print(f"   {photo} x {painting} at {size} px ...", flush=True)
                content = load_photo(photo, size)
                judge = Judge(content, painting, size=size)
                hed = Judge(content, painting, size=size, weights="hed")
                cell = grid.setdefault(str(size), {})
                pair = f"{photo} x {painting}"
                cell.setdefault(UNTIL, {})[pair] = run_until(
                    photo, painting, size, [judge, hed], cap_s=caps[str(size)][UNTIL])
                for name, schedule in ((OLD, {"recipe": "in_seconds"}), (DEFAULT, {})):
                    curve = run_schedule(photo, painting, size, schedule, [judge],
                                         cap_s=caps[str(size)][name], every=every)
                    last = curve[-1] if curve else {}
                    cell.setdefault(name, {})[pair] = {
                        "seconds": time_to_goal(curve), "relative": last.get("relative"),
                        "layout": last.get("layout")}
    results["grid"] = grid
    results["caps"] = caps
    app: dict = {}
    for painting in paintings:
        print(f"   the live app: {painting} ...", flush=True)
        app[painting] = {p: run_app("tubingen", painting, p, cap_s=cap)
                         for p in APP_PRECISIONS}
    results["app"] = app
    return results


def summary(cells: dict) -> dict:
    """Worst pair, median and the count finished of one schedule's ``{pair: cell}``."""
    times = {pair: (math.inf if c["seconds"] is None else c["seconds"])
             for pair, c in cells.items()}
    worst = max(times, key=lambda k: times[k])
    median = float(np.median(list(times.values())))
    return {"finished": sum(math.isfinite(t) for t in times.values()), "pairs": len(times),
            "median": median if math.isfinite(median) else None,
            "worst_pair": worst, "worst": times[worst] if math.isfinite(times[worst]) else None}


def render(r: dict) -> list[str]:
    """The Markdown section of RESULTS.md."""
    c = r["curves"]
    lines = ["## 6. Time to a finished picture", "",
             "Finished = style distance at most 0.3 x the photo's own (mean relative "
             "Gram distance over conv1_1 ... conv5_1, canonical VGG16) and the 32 px "
             "layout correlation with the photo at least 0.9 (`style_lib.core.quality`). "
             "Seconds from the call (targets and tracing included, VGG16 loaded "
             "before), the judge's time subtracted."
             + (f" Re-measured alone on {r['date']} with `python -m benchmarks --only "
                f"quality` ({r['seconds'] / 60:.0f} min)." if "date" in r else "")
             + (f" The `until finished` column and curve again on {r['until_date']} "
                f"({r['until_seconds'] / 60:.0f} min), after its layer weights went from the "
                "judge's own to half-way (`style_lib.pixel.finish.LAYER_POWER`): the "
                "judge's own weights reached it faster (256 px: worst 4.3 s, median 2.4 s; "
                "512 px: 13.4 s, 7.0 s) but by fitting it, HED's distance median 0.33, worst "
                "0.61." if "until_date" in r else ""), "",
             f"### Quality against seconds: {c['pair'][0]} x {c['pair'][1]}, {c['size']} px", "",
             "Relative style distance (1 = the photo, 0 = the painting) judged by "
             "canonical VGG16 / by the HED network the runs do not optimise; "
             "layout correlation in brackets; (stopped): the run had ended, its last "
             "picture.", ""]
    end = max(curve[-1]["seconds"] for curve in c["runs"].values() if curve)
    marks = [m for m in (1, 2, 3, 5, 8, 12, 20) if m <= end + 0.5]
    lines += ["| schedule | " + " | ".join(f"{m} s" for m in marks) + " |",
              "|---|" + "---|" * len(marks)]
    for name, curve in c["runs"].items():
        cells = []
        for m in marks:
            before = [p for p in curve if p["seconds"] <= m]
            if not before:
                cells.append("")
                continue
            p = before[-1]
            ended = " (stopped)" if p is curve[-1] and m > p["seconds"] + 0.5 else ""
            cells.append(f"{p['relative']:.2f} / {p.get('relative_hed', float('nan')):.2f} "
                         f"({p['layout']:.2f}){ended}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for size, rows in r.get("time_to_goal", {}).items():      # results before issue 34
        names = list(next(iter(rows.values())))
        lines += ["", f"### Seconds to a finished picture at {size} px (tubingen x each "
                      f"painting; goal {r['goal_seconds'].get(size)} s)", "",
                  "| painting | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for painting, row in rows.items():
            lines.append(f"| {painting} | " + " | ".join(
                "not reached" if row[n] is None else f"{row[n]:.1f}" for n in names) + " |")
        worst = {n: (None if any(row[n] is None for row in rows.values())
                     else max(row[n] for row in rows.values())) for n in names}
        lines.append("| **worst** | " + " | ".join(
            "not reached" if w is None else f"**{w:.1f}**" for w in worst.values()) + " |")
    if r.get("grid"):
        lines += render_grid(r)
    if r.get("app"):
        from style_lib.core.vgg import fast_precision
        first = next(iter(r["app"].values()))
        size = next(iter(first.values()))["size"]
        lines += ["", f"### The live app (notebook 07): Run to a finished preview, {size} px",
                  "", "`StyleRunner` with its defaults (from the photo, its step budget "
                  "and convergence test; the targets and tracing included), every "
                  f"improved preview judged. `auto` = {fast_precision()} on this machine.",
                  "", "| painting | " + " | ".join(f"precision {p}" for p in APP_PRECISIONS)
                  + " |", "|---|" + "---|" * len(APP_PRECISIONS)]
        for painting, row in r["app"].items():
            lines.append(f"| {painting} | " + " | ".join(
                f"{row[p]['seconds']:.1f}" if row[p]["seconds"] is not None else
                f"not reached ({row[p]['reason']} after {row[p]['steps']} steps)"
                for p in APP_PRECISIONS) + " |")
    return lines


def _seconds(value: float | None) -> str:
    return "not finished" if value is None else f"{value:.1f}"


def render_grid(r: dict) -> list[str]:
    """The table of issue 34: every photo x painting, three schedules, two sizes."""
    grid, caps = r["grid"], r["caps"]
    first = next(iter(grid.values()))
    pairs = list(first[UNTIL])
    photos = list(dict.fromkeys(p.split(" x ")[0] for p in pairs))
    paintings = list(dict.fromkeys(p.split(" x ")[1] for p in pairs))
    lines = ["", f"### Seconds to a finished picture: {len(photos)} photos x "
                 f"{len(paintings)} paintings", "",
             f"Photos: {', '.join(photos)} (Tübingen, the held-out training photos, a "
             "second portrait); every demo painting. Goal: every pair finished in at most "
             + (", ".join(f"{g:g} s at {s} px" for s, g in r["goal_seconds"].items()
                          if s in grid) or "-")
             + ". `until finished` and `stylize_in_seconds` compute in `auto` precision, "
             "the defaults in float32. Caps: " + "; ".join(
                 f"{size} px: " + ", ".join(f"{n} {c:g} s" for n, c in cap.items())
                 for size, cap in caps.items()) + ".", "",
             "| size | schedule | finished | median s | worst pair | worst s |",
             "|---|---|---|---|---|---|"]
    for size, schedules in grid.items():
        for name, cells in schedules.items():
            s = summary(cells)
            lines.append(f"| {size} px | {name} | {s['finished']}/{s['pairs']} | "
                         f"{_seconds(s['median'])} | {s['worst_pair']} | "
                         f"{_seconds(s['worst'])} |")
    for size, schedules in grid.items():
        cells = schedules[UNTIL]
        lines += ["", f"`until finished` at {size} px, seconds per pair (the judge's layout "
                      "correlation of the returned picture in brackets):", "",
                  "| photo | " + " | ".join(paintings) + " |",
                  "|---|" + "---|" * len(paintings)]
        for photo in photos:
            lines.append(f"| {photo} | " + " | ".join(
                f"{_seconds(c['seconds'])} ({c['layout']:.2f})"
                if (c := cells.get(f"{photo} x {p}")) else "-" for p in paintings) + " |")
        hed = [c["relative_hed"] for c in cells.values() if "relative_hed" in c]
        layout = min(c["layout"] for c in cells.values())
        steps = [c["steps"] for c in cells.values()]
        if hed:
            lines += ["", f"Judged by the HED network, which no run optimises, the returned "
                          f"pictures' style distance is {np.median(hed):.2f} x the photo's "
                          f"(median; worst {max(hed):.2f}); the lowest layout correlation is "
                          f"{layout:.2f}; L-BFGS steps: median {np.median(steps):.0f}, "
                          f"most {max(steps)}."]
    return lines
