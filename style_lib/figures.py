"""The class's precomputed figures: the paper's Figure 3 (gallery), Figure 4 (ratio grid)
and notebook 09's blotches of a tanh-ended network.

Made live, they would keep a class waiting (six runs of 3 to 4 minutes, eight of
about a minute and a half, on 2 cores), so they are made once by ``make figures``
and committed in ``images/``; notebook 06 shows them and says how to make one
yourself. Credit them as ``images/CREDITS.md`` says.

``python -m style_lib.figures ratio-grid`` remakes the ratio grid (``make
gallery`` runs the command line once per gallery painting).
``python -m style_lib.figures temporal-curve`` remakes notebook 12's trade-off
curve (``images/video/temporal_curve.json``: each clip stylised with several
temporal weights λ, judged by :class:`style_lib.video.judge.ClipJudge`; about
10 minutes on 2 cores).
``python -m style_lib.figures video-clips`` remakes notebook 12's clips at class
size (``images/video/*.mp4``: 384 px wide, 4 s, photo | every frame alone |
temporal side by side, and what the judge says of them; about 20 minutes on 2 cores).
``python -m style_lib.figures blotches --old-model OLD.keras`` remakes
``images/fast/blotches.jpg`` from the four-painting network this project
trained first (tanh output, 128-px crops), which lives in git history::

    git show 074c3c6:style_lib/fast/models/four_paintings/model.keras > old.keras
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

from .io.data import UnknownImageError
from .errors import ImageError, SettingsError

__all__ = ["VIDEO_CLIPS", "make_video_clips", "video_clip_path", "TEMPORAL_CURVE", "TEMPORAL_WEIGHTS", "make_temporal_curve", "temporal_curve_path", "BLOTCHES", "BLOTCH_PHOTOS", "blotches_path", "make_blotch_figure", "GALLERY", "RATIO_GRID_LAYERS", "RATIO_GRID_RATIOS", "RATIO_GRID_SIZE",
           "RATIO_GRID_STEPS", "gallery_path", "make_ratio_grid", "ratio_grid_path",
           "ratio_grid_settings"]

IMAGES = Path(__file__).resolve().parent.parent / "images"

#: Notebook 09's figure of the blotches a saturated tanh leaves, and its photos (held out
#: from training, and Tübingen) with the style each is painted in.
BLOTCHES = IMAGES / "fast" / "blotches.jpg"
BLOTCH_PHOTOS = (("coffee", "starry_night"), ("tubingen", "the_scream"))

#: The paintings of the gallery (``make gallery``), in the order of its figure.
GALLERY = ("shipwreck", "starry_night", "the_scream", "composition_vii", "great_wave",
           "woman_with_hat")

#: The ratio grid: Tübingen after The Starry Night, content matched at each layer
#: (rows) with each ratio alpha/beta (columns), started from noise as in the paper.
RATIO_GRID_LAYERS = ("conv2_2", "conv4_2")
RATIO_GRID_RATIOS = (1e-1, 1e-2, 1e-3, 1e-4)
RATIO_GRID_SIZE = 256
RATIO_GRID_STEPS = 200
RATIO_GRID_PHOTO, RATIO_GRID_PAINTING = "tubingen", "starry_night"


#: Notebook 12's trade-off curve: λ of eq. 7 against the judge's measures, per clip.
TEMPORAL_CURVE = IMAGES / "video" / "temporal_curve.json"
TEMPORAL_WEIGHTS = (0.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
#: The clips of the curve as notebook 12 makes them in full mode: side, frames, steps.
TEMPORAL_CURVE_CLIPS = {"side": 192, "frames": 12, "steps": 30, "style": "starry_night"}


#: Notebook 12's clips at class size: side (px), frames, frames per second, L-BFGS steps.
VIDEO_CLIPS = {"side": 384, "frames": 24, "fps": 6.0, "steps": 30, "style": "starry_night"}
VIDEO_CLIP_NAMES = {"camera": "camera move over Tübingen", "bunny": "Big Buck Bunny"}


def video_clip_path(name: str) -> Path:
    """A committed class-size clip of notebook 12 (``"camera"`` or ``"bunny"``, MP4),
    or its judge's verdict (``name + ".json"``)."""
    return _committed(IMAGES / "video" / name, "python -m style_lib.figures video-clips")


def make_video_clips(out_dir: Path | str = IMAGES / "video", *, overwrite: bool = False,
                     quiet: bool = False, **settings) -> list[Path]:
    """Stylise notebook 12's two clips at class size (:data:`VIDEO_CLIPS`) every frame
    alone and with the temporal loss, write ``camera.mp4`` and ``bunny.mp4`` (photo |
    alone | temporal, labelled) and ``camera.json`` / ``bunny.json``: what
    :class:`~style_lib.video.judge.ClipJudge` says of both versions."""
    from .files import write_json
    from .io.data import load
    from .video import clips, io, temporal
    from .video.judge import ClipJudge
    opts = VIDEO_CLIPS | settings
    out_dir = Path(out_dir)
    side, frames, steps, style = opts["side"], opts["frames"], opts["steps"], opts["style"]
    made = {"camera": lambda: clips.synthetic_clip(load("tubingen", max_size=2 * side),
                                                   frames=frames, size=(side * 9 // 16, side),
                                                   fps=opts["fps"]),
            "bunny": lambda: clips.real_clip("bigbuckbunny", frames=frames, size=side, step=2)}
    written = []
    for key, make in made.items():
        video, record = out_dir / f"{key}.mp4", out_dir / f"{key}.json"
        if (video.exists() or record.exists()) and not overwrite:
            raise SettingsError(f"{video} exists. Fix: pass --overwrite to replace it.")
        clip = make()
        runs = {tie: temporal.stylize_clip(clip.frames, style, temporal=tie, steps=steps,
                                           progress=not quiet) for tie in (False, True)}
        judge = ClipJudge(clip, style)
        alone, tied = judge(runs[False].frames), judge(runs[True].frames)
        verdict = {"clip": VIDEO_CLIP_NAMES[key], "shape": list(clip.frames.shape),
                   "fps": opts["fps"], "steps": steps, "judged_with": judge.flow_name,
                   "seconds_per_frame": {"alone": runs[False].seconds_per_frame,
                                         "temporal": runs[True].seconds_per_frame}}
        for label, v in (("alone", alone), ("temporal", tied)):
            verdict[label] = v.measures(alone)
        out_dir.mkdir(parents=True, exist_ok=True)
        io.write_video(io.side_by_side(clip.frames, runs[False].frames, runs[True].frames,
                                       labels=["photo", "every frame alone", "temporal"]),
                       video, fps=opts["fps"], overwrite=True)
        write_json(record, verdict)
        written += [video, record]
        if not quiet:
            print(key, {k: verdict[k] for k in ("alone", "temporal")}, flush=True)
    return written


def temporal_curve_path() -> Path:
    """The committed trade-off curve of notebook 12 (``python -m style_lib.figures temporal-curve``)."""
    return _committed(TEMPORAL_CURVE, "python -m style_lib.figures temporal-curve")


def make_temporal_curve(out: Path | str = TEMPORAL_CURVE, *, weights=TEMPORAL_WEIGHTS,
                        side: int = TEMPORAL_CURVE_CLIPS["side"],
                        frames: int = TEMPORAL_CURVE_CLIPS["frames"],
                        steps: int = TEMPORAL_CURVE_CLIPS["steps"],
                        overwrite: bool = False, quiet: bool = False) -> Path:
    """Stylise notebook 12's two clips every frame alone and with each temporal
    weight in ``weights`` and save what :class:`~style_lib.video.judge.ClipJudge`
    says of each as JSON: ``{clip: {"alone": {...}, "paper": {...}, "1000": {...}, ...}}``
    ("paper": Ruder et al.'s start, the warped previous result everywhere, bilinear,
    λ = 1000, tied where their consistency mask allows, this series' default until
    version 0.2; the weights tie where :func:`~style_lib.video.flow.tie_masks` allows), each with
    the warping error (and relative to alone), the worst layout, the worst moving
    layout and the worst style-distance ratio to the frames alone."""
    from .files import write_json
    from .io.data import load
    from .video import clips, flow, temporal
    from .video.judge import ClipJudge
    out = Path(out)
    if out.exists() and not overwrite:
        raise SettingsError(f"{out} exists. Fix: pass --overwrite to replace it.")
    style = TEMPORAL_CURVE_CLIPS["style"]
    both = {"camera move over Tübingen": clips.synthetic_clip(
                load("tubingen", max_size=2 * side), frames=frames, size=(side * 3 // 4, side)),
            "Big Buck Bunny": clips.real_clip("bigbuckbunny", frames=frames, size=side, step=2)}
    result: dict[str, Any] = {"settings": {"side": side, "frames": frames, "steps": steps,
                                           "style": style}}
    for name, clip in both.items():
        flows, ruder_masks = flow.clip_flows(clip.frames)
        tied_masks = flow.tie_masks(clip.frames, flows, ruder_masks)
        judge = ClipJudge(clip, style)
        alone = None
        rows: dict[str, Any] = {}
        runs = [("alone", dict(temporal=False))] + \
            [("paper", dict(temporal_weight=1000.0, fresh_where_unreliable=False,
                            interpolation="linear"))] + \
            [(f"{w:g}", dict(temporal_weight=w)) for w in weights]
        for label, options in runs:
            masks = ruder_masks if label == "paper" else tied_masks   # Ruder et al.: theirs
            frames_out = temporal.stylize_clip(clip.frames, style, steps=steps, flows=flows,
                                               masks=masks, progress=False, **options).frames
            verdict = judge(frames_out)
            alone = alone or verdict
            rows[label] = verdict.measures(alone)
            if not quiet:
                print(name, label, {k: round(v, 4) for k, v in rows[label].items()}, flush=True)
        result[name] = rows
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, result)
    return out


def gallery_path(painting: str) -> Path:
    """The committed gallery picture: Tübingen painted after ``painting`` at 512 px.

    Made by ``make gallery`` (``python -m style_lib tubingen PAINTING --size
    512``).
    """
    if painting not in GALLERY:
        raise UnknownImageError(f"{painting!r} is not in the gallery; it holds "
                                f"{', '.join(GALLERY)}.")
    return _committed(IMAGES / "gallery" / f"tubingen-{painting}.jpg", "make gallery")


def ratio_grid_settings(layer: str, ratio: float) -> dict[str, Any]:
    """The ``stylize`` keyword arguments of one picture of the ratio grid."""
    if layer not in RATIO_GRID_LAYERS or ratio not in RATIO_GRID_RATIOS:
        raise SettingsError(f"({layer!r}, {ratio:g}) is not in the ratio grid. Fix: pick a "
                            f"layer of {RATIO_GRID_LAYERS} and a ratio of {RATIO_GRID_RATIOS}.")
    return dict(size=RATIO_GRID_SIZE, steps=RATIO_GRID_STEPS, content_layers=[layer],
                content_weight=1.0, style_weight=1.0 / ratio, init="noise", seed=0)


def _grid_name(layer: str, ratio: float) -> str:
    return f"{RATIO_GRID_PHOTO}-{RATIO_GRID_PAINTING}-{layer}-{ratio:.0e}.png"


def ratio_grid_path(layer: str, ratio: float) -> Path:
    """The committed ratio-grid picture for content at ``layer`` and ``alpha/beta = ratio``."""
    ratio_grid_settings(layer, ratio)                      # refuses what is not in the grid
    return _committed(IMAGES / "ratio_grid" / _grid_name(layer, ratio),
                      "python -m style_lib.figures ratio-grid")


def _committed(path: Path, command: str) -> Path:
    if not path.is_file():
        raise ImageError(f"The figure {path} is missing; restore it with "
                         f"`git checkout -- images/` or make it with `{command}`.")
    return path


def make_ratio_grid(out_dir: Path | str = IMAGES / "ratio_grid", *,
                    steps: int = RATIO_GRID_STEPS, size: int = RATIO_GRID_SIZE,
                    overwrite: bool = False, quiet: bool = False) -> list[Path]:
    """Run the eight ratio-grid pictures and save them in ``out_dir``.

    PNG, not JPEG: the notebook measures their style losses, and JPEG's
    compression noise alone would add more style loss than the last
    columns differ by.

    ``steps`` and ``size`` default to the committed figure's; smaller values
    give a quick preview (the tests use them). Returns the written paths.
    """
    from .io.images import check_output_path, save_image
    from .pixel.optimize import stylize
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ImageError(f"{out_dir} is not a folder. Fix: create it or pass another -o.")
    cells = [(layer, ratio) for layer in RATIO_GRID_LAYERS for ratio in RATIO_GRID_RATIOS]
    for layer, ratio in cells:                  # refuse before the first run, not after it
        check_output_path(out_dir / _grid_name(layer, ratio), overwrite=overwrite)
    written = []
    for layer, ratio in cells:
        settings = {**ratio_grid_settings(layer, ratio), "steps": steps, "size": size}
        result = stylize(RATIO_GRID_PHOTO, RATIO_GRID_PAINTING, progress=False, **settings)
        path = save_image(result.image, out_dir / _grid_name(layer, ratio), overwrite=overwrite)
        written.append(path)
        if not quiet:
            print(f"{path}: content {result.history['content'][-1]:.3g}, "
                  f"style {result.history['style'][-1]:.3g}, "
                  f"{result.history['seconds'][-1]:.0f} s", flush=True)
    return written


def blotches_path() -> Path:
    """The committed figure of notebook 09: a tanh network's blotches beside the new network."""
    return _committed(BLOTCHES, "python -m style_lib.figures blotches --old-model OLD.keras")


def make_blotch_figure(old_model: Path | str, out: Path | str = BLOTCHES, *,
                       size: int = 512, overwrite: bool = False) -> Path:
    """Draw photo | tanh network (its blotches outlined) | the committed network.

    ``old_model``: a many-style ``.keras`` network ending in tanh; the new
    one is the committed many-style network. One row per
    :data:`BLOTCH_PHOTOS` entry, at ``size`` px; JPEG, written atomically.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .io.data import as_image
    from .fast import network
    from .io.images import check_output_path, save_image
    from .core.quality import blotch_mask, blotch_share
    out = Path(out)
    check_output_path(out, overwrite=overwrite)
    old = network.load_model(old_model)
    if network.output_kind(old) != "tanh" or not network.style_names(old):
        raise SettingsError(f"{old_model} is not a many-style network ending in tanh. Fix: "
                            "the four-painting network from git history (see "
                            "style_lib/figures.py).")
    new_name = network.pretrained_names(many=True)[0]
    new = network.load_pretrained(new_name)
    fig, axes = plt.subplots(len(BLOTCH_PHOTOS), 3, figsize=(13, 4.3 * len(BLOTCH_PHOTOS)),
                             dpi=100)
    for row, (photo_name, style) in zip(np.atleast_2d(axes), BLOTCH_PHOTOS):
        photo = as_image(photo_name, size)
        before = network.stylize_fast(old, photo, style=style)
        after = network.stylize_fast(new, photo, style=style)
        row[0].imshow(photo.astype(np.uint8))
        row[0].set_title(f"photo: {photo_name}\n(never trained on)", fontsize=14)
        blotches = blotch_mask(before, photo)
        row[1].imshow(before.astype(np.uint8))
        row[1].contour(blotches, levels=[0.5], colors="red", linewidths=0.8)
        row[1].set_title(f"tanh output, 128-px crops:\n{100 * blotches.mean():.1f} % "
                         "blotches (outlined red)", fontsize=14)
        row[2].imshow(after.astype(np.uint8))
        row[2].set_title(f"linear output, 256-px crops:\n{100 * blotch_share(after, photo):.1f} % "
                         f"blotches ({style})", fontsize=14)
        for ax in row:
            ax.set_axis_off()
    plt.tight_layout()
    fig.canvas.draw()
    picture = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    plt.close(fig)
    return save_image(picture, out, overwrite=overwrite)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m style_lib.figures ratio-grid|blotches``: remake a precomputed figure."""
    from .arguments import positive_int
    from .arguments import size as size_type
    from .command_line import OneLineParser, run
    parser = OneLineParser(prog="python -m style_lib.figures",
                           description="Remake a precomputed figure: notebook 06's ratio grid "
                                       "(the paper's Figure 4), notebook 09's blotches, or "
                                       "notebook 12's temporal trade-off curve.")
    parser.add_argument("figure", choices=["ratio-grid", "blotches", "temporal-curve",
                                           "video-clips"])
    parser.add_argument("--old-model", type=Path, default=None,
                        help="blotches: the tanh four-painting network from git history")
    parser.add_argument("-o", "--output-dir", type=Path, default=IMAGES / "ratio_grid",
                        help="folder for the pictures (default images/ratio_grid)")
    parser.add_argument("--steps", type=positive_int, default=RATIO_GRID_STEPS,
                        help=f"L-BFGS steps per picture (default {RATIO_GRID_STEPS})")
    parser.add_argument("--size", type=size_type, default=RATIO_GRID_SIZE,
                        help=f"longest side in pixels (default {RATIO_GRID_SIZE})")
    parser.add_argument("--overwrite", action="store_true", help="replace existing pictures")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    args = parser.parse_args(argv)
    if args.figure == "video-clips":
        return run(parser.prog, lambda signals: print(*make_video_clips(
            overwrite=args.overwrite, quiet=args.quiet), sep="\n"), interrupted="interrupted; "
            "the clips finished so far are kept.")
    if args.figure == "temporal-curve":
        return run(parser.prog, lambda signals: print(make_temporal_curve(
            overwrite=args.overwrite, quiet=args.quiet)), interrupted="interrupted; nothing "
            "was written.")
    if args.figure == "blotches":
        if args.old_model is None:
            parser.error("blotches needs --old-model OLD.keras: `git show 074c3c6:style_lib/"
                         "fast/models/four_paintings/model.keras > old.keras`")
        return run(parser.prog, lambda signals: print(make_blotch_figure(
            args.old_model, overwrite=args.overwrite)), interrupted="interrupted; nothing "
            "was written.")
    return run(parser.prog, lambda signals: make_ratio_grid(
        args.output_dir, steps=args.steps, size=args.size, overwrite=args.overwrite,
        quiet=args.quiet) and 0, interrupted="interrupted; the pictures written so far "
        "are kept.")


if __name__ == "__main__":
    sys.exit(main())
