"""Section 9: the MRF style loss (Li & Wand 2016) against the Gram loss.

1. Cost per step at 256 px (and 512 px) for the two pairs of notebook 11:
   median ms of one L-BFGS step (one objective-and-gradient evaluation plus
   the optimiser's bookkeeping) with the Gram loss, the MRF loss, and the MRF
   loss with rotated and scaled patches (9 copies of the painting); the
   nearest-patch search alone beside it. Goal: MRF at most 3x Gram at 256 px.
2. The paper's coarse-to-fine ladder (64 -> 128 -> 256 px, 80/40/20 steps)
   against one level at 256 px (80 steps), wall time.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

PAIRS = {"tubingen + starry_night": ("tubingen", "starry_night"),
         "astronaut + woman_with_hat": ("astronaut", "woman_with_hat")}
STEPS = 15


def _content(name: str, size: int) -> np.ndarray:
    from style_lib.io import data, training_photos
    return training_photos.load(name, max_size=size) if name == "astronaut" \
        else data.load(name, max_size=size)


def step_ms(content, style, size: int, **kwargs) -> float:
    """Median ms per L-BFGS step (``STEPS`` steps after a 3-step warm-up)."""
    from style_lib.pixel import optimize
    stylizer = optimize.Stylizer(content, style, size=size, verbose=False, **kwargs)
    stylizer.run(steps=3, progress=False)
    result = stylizer.run(steps=STEPS, progress=False)
    return 1e3 * float(np.median(np.diff(result.history["seconds"])))


def search_ms(content, style, size: int, repeats: int = 7) -> dict:
    """Median ms of the nearest-patch search alone, per MRF layer."""
    from style_lib.core import mrf
    from style_lib.pixel import optimize
    stylizer = optimize.Stylizer(content, style, size=size, verbose=False,
                                 style_loss="mrf")
    feats = stylizer.extractor(stylizer.content[np.newaxis])
    out = {}
    for name, bank in zip(stylizer.style_layers, stylizer.style_targets[0]):
        f = feats[name][0]
        mrf.nearest_patches(f, bank).numpy()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            mrf.nearest_patches(f, bank).numpy()
            times.append(time.perf_counter() - start)
        out[name] = {"ms": 1e3 * statistics.median(times), "bank": bank.size,
                     "picture_patches": int((f.shape[0] - 2) * (f.shape[1] - 2))}
    return out


def run(*, quick: bool = False) -> dict:
    """Measure section 9; ``quick``: 64 px only."""
    from style_lib.core import mrf
    sizes = (64,) if quick else (256, 512)
    rows = []
    for label, (content_name, style) in PAIRS.items():
        for size in sizes:
            content = _content(content_name, size)
            row = {"pair": label, "size": size,
                   "gram_ms": step_ms(content, style, size),
                   "mrf_ms": step_ms(content, style, size, style_loss="mrf"),
                   # 9 copies at 512 px would compare 0.4 G patch pairs per step
                   "mrf_rotated_scaled_ms": step_ms(
                       content, style, size, style_loss="mrf",
                       mrf={"rotations": 1, "scales": 1}) if size <= 256 else None,
                   "search": search_ms(content, style, size)}
            row["ratio"] = row["mrf_ms"] / row["gram_ms"]
            rows.append(row)
            print(f"  {label} {size} px: Gram {row['gram_ms']:.0f} ms, MRF "
                  f"{row['mrf_ms']:.0f} ms ({row['ratio']:.2f}x)", flush=True)
    from style_lib.pixel.large import coarse_to_fine
    from style_lib.pixel.optimize import stylize
    side = 64 if quick else 256
    steps = 4 if quick else 80
    photo = _content("astronaut", side)
    start = time.perf_counter()
    stylize(photo, "woman_with_hat", size=side, steps=steps, style_loss="mrf",
            progress=False)
    one = time.perf_counter() - start
    sizes_ladder = mrf.paper_sizes(side, 2 if quick else 3)
    start = time.perf_counter()
    coarse_to_fine(photo, "woman_with_hat", sizes=sizes_ladder, steps=steps,
                   style_loss="mrf", verbose=False, progress=False)
    ladder = time.perf_counter() - start
    return {"steps": rows, "ladder": {"sizes": list(sizes_ladder), "steps": steps,
                                      "ladder_s": ladder, "one_level_s": one}}


def _fmt(ms: float | None) -> str:
    return "(not run: the search would need gigabytes)" if ms is None else f"{ms:.0f}"


def render(r: dict) -> list[str]:
    """The Markdown of section 9."""
    lines = ["## 9. Patches instead of Gram matrices (Li & Wand)", "",
             f"Median ms per L-BFGS step ({STEPS} steps after 3 of warm-up; one step is one "
             "objective-and-gradient evaluation plus the optimiser's bookkeeping). Gram: "
             "conv1_1 ... conv5_1; MRF: conv3_1 and conv4_1, 3x3 patches, painting "
             "patches every 2 cells; rotated/scaled: the painting also turned by ±7.5° and "
             "scaled by 1.05^±1 (9 copies). Search: the nearest-patch convolution and "
             "argmax alone, per layer (picture patches x painting patches). Goal: MRF at "
             "most 3x Gram at 256 px.", "",
             "| pair | px | Gram | MRF | MRF / Gram | MRF rotated+scaled | search conv3_1 | "
             "search conv4_1 |", "|---|---|---|---|---|---|---|---|"]
    for row in r["steps"]:
        s = row["search"]
        search = [f"{s[k]['ms']:.0f} ms ({s[k]['picture_patches']} x {s[k]['bank']})"
                  for k in ("conv3_1", "conv4_1")]
        lines.append(f"| {row['pair']} | {row['size']} | {row['gram_ms']:.0f} | "
                     f"{row['mrf_ms']:.0f} | **{row['ratio']:.2f}x** | "
                     f"{_fmt(row['mrf_rotated_scaled_ms'])} | {search[0]} | {search[1]} |")
    lad = r["ladder"]
    lines += ["", f"**Coarse-to-fine** (astronaut + woman_with_hat, MRF): "
              f"{' -> '.join(map(str, lad['sizes']))} px with {lad['steps']} steps at the "
              f"first level and half at each next, {lad['ladder_s']:.1f} s; one level at "
              f"{lad['sizes'][-1]} px with {lad['steps']} steps, {lad['one_level_s']:.1f} s."]
    return lines
