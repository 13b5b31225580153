"""Time to a finished picture: quality-versus-seconds curves and the time to goal.

A picture is finished when :class:`style_lib.core.quality.Judge` says so: style
distance at most 0.3 x the photo's own, layout correlation at least 0.9. The
clock starts at the call (the targets and the tracing of a new pair included;
VGG16 is loaded once before), the judge's own time is subtracted.

Schedules compared (all L-BFGS unless said):

* ``default``: ``stylize``'s defaults (from the photo, beta = 1e3 at 256 x 192);
* ``recoloured start``: the same, starting from the photo recoloured to the
  painting's colour statistics (``init="recoloured"``, ``color.match_histogram``);
* ``recoloured start, beta x4``: and four times the style weight;
* ``... bfloat16``: and VGG16 computing in bfloat16 (``precision="bfloat16"``);
* ``stylize_in_seconds``: :func:`style_lib.pixel.recipes.stylize_in_seconds`, all
  of that plus a first stage of 20 steps at half the size (its clock
  includes that stage; only full-size pictures are judged);
* ``Adam 5``: Adam with learning rate 5 from the photo;
* the peer, the TensorFlow tutorial's recipe on our network: Adam(0.02,
  beta_1=0.99, epsilon=0.1) on images in [0, 1] from the photo, content at
  conv5_2 x 1e4, style at conv1_1 ... conv5_1 x 1e-2 / 5, mean squared errors.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

GOAL_SECONDS = {256: 5.0, 512: 25.0}
CURVE_PAIR = ("tubingen", "starry_night")
SCHEDULES: dict[str, dict] = {
    "default": {},
    "recoloured start": {"init": "recoloured"},
    "recoloured start, beta x4": {"init": "recoloured", "beta": 4.0},
    "recoloured start, beta x4, bfloat16": {"init": "recoloured", "beta": 4.0,
                                            "precision": "bfloat16"},
    "stylize_in_seconds": {"recipe": "in_seconds"},
    "Adam 5": {"optimizer": "adam", "learning_rate": 5.0},
}
PEER = "TF tutorial recipe (Adam 0.02 on [0, 1])"
#: The live app's engine before (float32) and now (its default, "auto").
APP_PRECISIONS = ("float32", "auto")
#: The schedules timed at 512 px too (each run there costs 4x as much).
SCHEDULES_512 = ("default", "recoloured start, beta x4",
                 "recoloured start, beta x4, bfloat16", "stylize_in_seconds")


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


def run_schedule(photo: str, painting: str, size: int, schedule: dict, judges: list, *,
                 cap_s: float, stop_at_goal: bool = True, every: int = 2) -> list[dict]:
    """Run one schedule; return its judged curve."""
    from style_lib.io import data
    from style_lib.pixel import optimize, recipes
    from style_lib.settings import default_style_weight
    optimize.clear_cache()
    options = dict(schedule)
    beta = options.pop("beta", None)
    recipe = options.pop("recipe", None)
    clock = _Clock()
    curve, seen = _watch(clock, judges, cap_s, stop_at_goal, every)
    content = data.load(photo, max_size=size)

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
    """The curve for one pair at 256 px, then the time to goal for every painting."""
    from style_lib.core import vgg
    from style_lib.io import data
    from style_lib.core.quality import Judge
    vgg.load_vgg16()
    sizes = (64,) if quick else (256, 512)
    paintings = list(data.STYLE_NAMES)[:2] if quick else list(data.STYLE_NAMES)
    results: dict = {"goal_seconds": {str(k): v for k, v in GOAL_SECONDS.items()}}
    size = sizes[0]
    judges = [Judge(*CURVE_PAIR, size=size), Judge(*CURVE_PAIR, size=size, weights="hed")]
    cap = 6.0 if quick else 20.0
    print(f"   curves ({CURVE_PAIR[0]} x {CURVE_PAIR[1]}, {size} px) ...", flush=True)
    curves = {name: run_schedule(*CURVE_PAIR, size, s, judges, cap_s=cap, stop_at_goal=False)
              for name, s in SCHEDULES.items()}
    curves[PEER] = run_peer(*CURVE_PAIR, size, judges, cap_s=cap, stop_at_goal=False)
    results["curves"] = {"pair": list(CURVE_PAIR), "size": size, "runs": curves}
    table: dict = {}
    for size in sizes:
        cap = 6.0 if quick else {256: 3, 512: 2}[size] * GOAL_SECONDS[size]
        schedules = {n: s for n, s in SCHEDULES.items() if size < 512 or n in SCHEDULES_512}
        for painting in paintings:
            print(f"   time to goal: {painting} at {size} px ...", flush=True)
            judge = [Judge("tubingen", painting, size=size)]
            row = {name: time_to_goal(run_schedule("tubingen", painting, size, s, judge,
                                                   cap_s=cap))
                   for name, s in schedules.items()}
            row[PEER] = time_to_goal(run_peer("tubingen", painting, size, judge, cap_s=cap))
            table.setdefault(str(size), {})[painting] = row
    results["time_to_goal"] = table
    app: dict = {}
    for painting in paintings:
        print(f"   the live app: {painting} ...", flush=True)
        app[painting] = {p: run_app("tubingen", painting, p, cap_s=cap)
                         for p in APP_PRECISIONS}
    results["app"] = app
    results["caps"] = {str(size): 6.0 if quick else {256: 3, 512: 2}[size] * GOAL_SECONDS[size]
                       for size in sizes}
    return results


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
                f"quality` ({r['seconds'] / 60:.0f} min)." if "date" in r else ""), "",
             f"### Quality against seconds: {c['pair'][0]} x {c['pair'][1]}, {c['size']} px", "",
             "Relative style distance (1 = the photo, 0 = the painting) judged by "
             "canonical VGG16 / by the HED network the runs do not optimise; "
             "layout correlation in brackets.", ""]
    end = min(curve[-1]["seconds"] for curve in c["runs"].values())
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
            cells.append(f"{p['relative']:.2f} / {p.get('relative_hed', float('nan')):.2f} "
                         f"({p['layout']:.2f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for size, rows in r["time_to_goal"].items():
        goal = r["goal_seconds"].get(size)
        names = list(next(iter(rows.values())))
        lines += ["", f"### Seconds to a finished picture at {size} px "
                      f"(tubingen x each painting; goal {goal} s)", "",
                  "| painting | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for painting, row in rows.items():
            lines.append(f"| {painting} | " + " | ".join(
                "not reached" if row[n] is None else f"{row[n]:.1f}" for n in names) + " |")
        worst = {n: (None if any(row[n] is None for row in rows.values())
                     else max(row[n] for row in rows.values())) for n in names}
        lines.append("| **worst** | " + " | ".join(
            "not reached" if w is None else f"**{w:.1f}**" for w in worst.values()) + " |")
        lines += ["", f"(not reached: not finished within {r['caps'][size]:g} s.)"]
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
