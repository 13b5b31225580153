"""Command line: ``python -m style_lib CONTENT STYLE [STYLE ...] -o OUT.png [options]``.

CONTENT and STYLE are image files or demo names (``tubingen``,
``starry_night``, ...). Bad input prints one line and exits with code 2.

Beyond the basics (notebook 08): several styles (``--style-blend-weights``,
``--style-scale``), ``--preserve-color``, ``--mask`` (one per style) and
large prints (``--coarse-to-fine`` or ``--sizes``). Options taking several
values go after the positional arguments.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import settings
from .arguments import changed_options, checked, input_paths, number, pixels, size, whole
from .command_line import OneLineParser, Signals, tolerant_streams
from .errors import SettingsError, StyleLibError


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (its ``--help`` is the CLI's manual)."""
    p = OneLineParser(
        prog="python -m style_lib",
        description="Neural style transfer (Gatys, Ecker & Bethge 2016): paint "
                    "CONTENT in the style of STYLE.",
        epilog="Example: python -m style_lib tubingen starry_night -o out/tubingen.png")
    p.add_argument("content", help="content image: a file or a demo name "
                   "(tubingen, chelsea, coffee, rocket)")
    p.add_argument("style", nargs="+", metavar="STYLE",
                   help="style image: a file or a demo name "
                   "(starry_night, the_scream, great_wave, ...); give several "
                   "to blend them")
    p.add_argument("-o", "--output", required=True, type=Path,
                   help="output image (.png, .jpg or .webp); never an input, and "
                        "an existing file is kept unless --overwrite is given")
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUTPUT if it exists (inputs are never replaced)")
    p.add_argument("--size", type=pixels, default=None,
                   help="longest side of the output in pixels (default "
                        f"{settings.DEFAULT_SIZE})")
    p.add_argument("--steps", type=whole, default=None,
                   help=f"optimiser steps (default {settings.DEFAULT_STEPS})")
    p.add_argument("--optimizer", choices=settings.OPTIMIZERS, default="lbfgs",
                   help="lbfgs (default, fastest), adam, or gd (the Hvass-Labs tutorial #15 "
                        "normalised gradient step)")
    p.add_argument("--content-weight", type=number,
                   default=settings.DEFAULT_CONTENT_WEIGHT, metavar="A",
                   help="weight of the content loss (default %(default)g)")
    p.add_argument("--style-weight", type=number, default=None, metavar="B",
                   help="weight of the style loss (default "
                        f"{settings.DEFAULT_STYLE_WEIGHT:g} at 256 x 192 px, "
                        "proportional to the pixel count)")
    p.add_argument("--tv-weight", type=number, default=settings.DEFAULT_TV_WEIGHT,
                   metavar="C", help="weight of the total-variation smoothing "
                   "(default %(default)g)")
    p.add_argument("--init", choices=("content", "recoloured", "noise", "style"),
                   default=None, help="start image (default content, recoloured with "
                   "--until finished; recoloured: the photo in the painting's colours, "
                   "about twice as fast to a finished picture)")
    p.add_argument("--until", choices=("finished",), default=None,
                   help="finished: stop as soon as the picture is finished (style "
                   "distance at most 0.3 x the photo's, layout kept), balancing the "
                   "weights on the way; --steps is then the most it may take "
                   "(default 300). One STYLE, no --mask")
    p.add_argument("--weights", default="auto",
                   help="VGG16 weights: auto (default, = imagenet), imagenet, hed (the "
                        "edge-detection exhibit), or an "
                        ".h5 file")
    p.add_argument("--precision", choices=("auto", "float32", "bfloat16"),
                   default="auto", help="what VGG16 (or the fast network) computes in "
                   "(default %(default)s: "
                   "bfloat16 where the processor or GPU is fast at it, about twice as "
                   "fast; float32 otherwise and for results identical to the library's "
                   "default)")
    p.add_argument("--method", choices=("optimize", "fast", "adain"), default="optimize",
                   help="optimize: Gatys et al.'s pixel optimisation (default); fast: one "
                   "forward pass of a trained network (notebooks 09-10): STYLE names a "
                   "committed network (starry_night, great_wave, or one of the many-style "
                   "network's paintings) unless --model is given; adain: any painting in "
                   "one pass (adaptive instance normalisation, notebook 13)")
    p.add_argument("--alpha", type=number, default=None, metavar="A",
                   help="with --method adain: 0 = the photo, 1 = all style (default 1)")
    p.add_argument("--model", type=Path, default=None,
                   help="with --method fast: a .keras network from "
                        "`python -m style_lib.fast train` (several STYLEs: a "
                        "many-style network blends them)")
    p.add_argument("--seed", type=whole, default=0, help="random seed, a whole number "
                   ">= 0 (default 0)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar or summary")
    _add_beyond_options(p)
    return p


def _add_beyond_options(p: argparse.ArgumentParser) -> None:
    """Options of notebook 08 and appendix A2: colour, several styles, masks, large prints."""
    g = p.add_argument_group(
        "beyond the basics",
        "colour preservation, several styles, regions, patch-based style and "
        "large prints "
        "(options with several values go after CONTENT and STYLE)")
    g.add_argument("--preserve-color", choices=("luminance", "histogram"),
                   default=None,
                   help="keep the content's colours: 'luminance' stylises the "
                        "brightness only; 'histogram' recolours the style to the "
                        "content's colours first")
    g.add_argument("--style-blend-weights", type=number, nargs="+", default=None,
                   metavar="W", help="one weight per style (normalised to sum "
                   "1; default equal)")
    g.add_argument("--style-scale", type=number, nargs="+", default=None,
                   metavar="S", help="style image size relative to --size: one "
                   "value, or one per style (default 1)")
    g.add_argument("--mask", nargs="+", default=None, metavar="FILE",
                   help="one mask image per style (white = this style, black = "
                        "not; 'none' = the whole image), at any resolution")
    g.add_argument("--style-loss", choices=settings.STYLE_LOSSES, default="gram",
                   help="'gram': Gram matrices (Gatys et al., the default); 'mrf': "
                        "every feature patch like its nearest painting patch (Li & "
                        "Wand 2016, notebook 11), keeps faces and objects whole")
    g.add_argument("--mrf-rotations", type=_mrf_count, default=0, metavar="R",
                   help="with --style-loss mrf: also take patches from the "
                        "painting turned by ±7.5° x 1..R (default 0)")
    g.add_argument("--mrf-scales", type=_mrf_count, default=0, metavar="S",
                   help="with --style-loss mrf: also from the painting scaled by "
                        "1.05^±(1..S) (default 0)")
    g.add_argument("--coarse-to-fine", action="store_true",
                   help="for large prints: stylise at --size/4, --size/2 (down "
                        "to 256 px), then --size, each stage starting from the "
                        "previous one upsampled; recommended above 512 px. With "
                        "--style-loss mrf: the paper's --size/4, --size/2, --size")
    g.add_argument("--sizes", type=size, nargs="+", default=None,
                   metavar="PX", help="explicit coarse-to-fine sizes, e.g. 256 "
                   "512 1024 (implies --coarse-to-fine; the last is the output "
                   "size); --steps is the first stage's, later stages get half")


def _check_mrf_count(value: int) -> int:
    if not 0 <= value <= 4:
        raise SettingsError(f"must be from 0 to 4, not {value}")
    return value


_mrf_count = checked(int, _check_mrf_count, "a whole number from 0 to 4")


#: Options of the pixel optimisation that a fast network has no use for.
_OPTIMIZE_ONLY = ("steps", "optimizer", "content_weight", "style_weight", "tv_weight", "init",
                  "weights", "seed", "mask", "style_scale", "coarse_to_fine", "sizes", "until")


def _check_combinations(parser: argparse.ArgumentParser, args) -> None:
    """Exit 2 with one line for options that do not fit together."""
    n = len(args.style)
    if args.style_blend_weights is not None:
        if len(args.style_blend_weights) != n:
            parser.error(f"--style-blend-weights needs one weight per style: got "
                         f"{len(args.style_blend_weights)} for {n} styles")
        if not sum(args.style_blend_weights) > 0:
            parser.error("--style-blend-weights must not all be 0")
    if args.style_scale is not None and len(args.style_scale) not in (1, n):
        parser.error(f"--style-scale needs one value or one per style: got "
                     f"{len(args.style_scale)} for {n} styles")
    if args.mask is not None and len(args.mask) != n:
        parser.error(f"--mask needs one mask per style ('none' for no mask): "
                     f"got {len(args.mask)} for {n} styles")
    if args.model is not None and args.method == "optimize":
        parser.error("--model needs --method fast (a network) or adain (a decoder)")
    if args.alpha is not None and args.method != "adain":
        parser.error("--alpha needs --method adain")
    if args.alpha is not None and not 0 <= args.alpha <= 1:
        parser.error(f"argument --alpha: alpha must be from 0 (the photo) to 1 (all "
                     f"style), got {args.alpha:g}")
    if args.method in ("fast", "adain") and args.preserve_color == "histogram":
        parser.error("--method fast keeps the photo's colours with --preserve-color "
                     "luminance only (a network's painting colours are in its weights)")
    if args.style_loss != "gram" or args.mrf_rotations or args.mrf_scales:
        if args.style_loss != "mrf":
            parser.error("--mrf-rotations and --mrf-scales need --style-loss mrf")
        if args.method != "optimize":
            parser.error("--style-loss mrf works with --method optimize only (the "
                         "fast networks learned Gram-matrix styles)")
        if args.mask is not None:
            parser.error("--mask works with Gram matrices only: leave out "
                         "--style-loss mrf or --mask")
    if args.until is not None and args.method == "optimize":
        if n > 1:
            parser.error("--until finished judges one painting: give one STYLE")
        if args.mask is not None or args.style_loss != "gram":
            parser.error("--until finished works with Gram matrices and no --mask")
        if args.coarse_to_fine or args.sizes is not None:
            parser.error("--until finished runs at one size: leave out "
                         "--coarse-to-fine and --sizes")
    if args.sizes is not None:
        if any(b <= a for a, b in zip(args.sizes, args.sizes[1:])):
            parser.error(f"--sizes must increase, e.g. 256 512 1024; got "
                         f"{' '.join(map(str, args.sizes))}")
        if args.size is not None and args.size != args.sizes[-1]:
            parser.error(f"--size {args.size} differs from the last of --sizes "
                         f"({args.sizes[-1]}); give one of them")
    if args.method != "optimize":
        ignored = changed_options(parser, args, [o for o in _OPTIMIZE_ONLY
                                                 if not (args.method == "adain" and o == "mask")])
        if ignored:
            parser.error(f"--method fast does not use {', '.join(ignored)} (a trained "
                         "network paints in one pass). Fix: leave "
                         f"{'it' if len(ignored) == 1 else 'them'} out, or --method optimize")


#: The command line's spelling of a setting whose option name is not its own.
_OPTION_OF = {"blend_weights": "--style-blend-weights", "mrf": "--mrf-rotations/--mrf-scales",
              "weights": "--weights"}


def _style_settings(parser: argparse.ArgumentParser, args) -> settings.StyleSettings:
    """The run's settings, checked once, here at the door (before TensorFlow
    does any work); a bad value exits 2 with one line naming its option."""
    size = args.sizes[-1] if args.sizes else \
        settings.DEFAULT_SIZE if args.size is None else args.size
    fields = dict(size=size, steps=args.steps, optimizer=args.optimizer,
                  content_weight=args.content_weight, style_weight=args.style_weight,
                  tv_weight=args.tv_weight, init=args.init, seed=args.seed,
                  weights=args.weights, precision=args.precision,
                  preserve_color=args.preserve_color,
                  blend_weights=args.style_blend_weights, style_loss=args.style_loss,
                  until=args.until)
    if args.style_loss == "mrf":
        fields["mrf"] = {"rotations": args.mrf_rotations, "scales": args.mrf_scales}
    if args.style_scale is not None:
        fields["style_scale"] = args.style_scale[0] if len(args.style_scale) == 1 \
            else tuple(args.style_scale)
    try:
        return settings.StyleSettings(**fields)
    except SettingsError as err:
        name = getattr(err, "setting", "")
        option = _OPTION_OF.get(name, "--" + name.replace("_", "-"))
        if name == "size" and args.sizes:
            option = "--sizes"
        parser.error(f"argument {option}: {err}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 130
    Ctrl-C, 143 SIGTERM: then the best picture so far is written if there is one)."""
    tolerant_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    style_settings = _style_settings(parser, args)
    _check_combinations(parser, args)
    with Signals() as signals:
        try:
            return _run(parser, args, style_settings, signals)
        except KeyboardInterrupt:
            print(f"{parser.prog}: interrupted before a picture was made; nothing "
                  "was written.", file=sys.stderr)
            return signals.exit_code(True)
        except StyleLibError as err:
            print(f"{parser.prog}: error: {err}", file=sys.stderr)
            return 2


def _run(parser: argparse.ArgumentParser, args, style_settings: settings.StyleSettings,
         signals: Signals) -> int:
    """Check the output, stylise, save; return the exit code."""
    from .io import data, images
    from .pixel import large, memory, optimize
    from .core import mrf
    inputs = input_paths(args.content, *args.style, *(args.mask or []),
                         *([args.model] if args.model else []))
    style = args.style if len(args.style) > 1 else args.style[0]
    ladder = mrf.paper_sizes if args.style_loss == "mrf" else large.default_sizes
    size = style_settings.size
    sizes = tuple(args.sizes) if args.sizes else ladder(size) if args.coarse_to_fine \
        else None
    stages = None
    # Check the output before spending minutes on the optimisation.
    images.check_output_path(args.output, inputs=inputs, overwrite=args.overwrite)
    if args.method == "fast":
        return _run_fast(args, size, inputs, signals)
    if args.method == "adain":
        return _run_adain(args, size, inputs, signals)
    # The library refuses a run that would not fit (one line naming a size
    # that does); here only the estimate is printed for large prints.
    if not args.quiet and (sizes or size > 512):
        content = data.as_image(args.content)
        need = memory.estimate_memory(size, content.shape[1] / content.shape[0],
                                      optimizer=args.optimizer)
        print(f"Memory: about {memory.format_bytes(need)}"
              f" at {size} px ({memory.format_bytes(memory.available_memory())}"
              " available)")
    start = time.perf_counter()
    if sizes:
        stages = large.coarse_to_fine(args.content, style, sizes=sizes,
                                      steps=style_settings.steps, settings=style_settings,
                                      masks=args.mask, progress=not args.quiet,
                                      verbose=not args.quiet)
        result = stages.stages[-1]
    else:
        result = optimize.stylize(args.content, style, style_settings, masks=args.mask,
                                  progress=not args.quiet)
    if result.interrupted and not result.history["step"]:
        print(f"{parser.prog}: interrupted before the first step; nothing was "
              "written.", file=sys.stderr)
        return signals.exit_code(True)
    with signals.deferred():        # a finished picture is never lost to Ctrl-C
        out = images.save_image(result.image, args.output, inputs=inputs,
                                overwrite=args.overwrite)
    code = signals.exit_code(result.interrupted)
    if not args.quiet or code:
        h = result.history
        note = " (interrupted: best image so far)" if code else ""
        how = f"{len(h['step'])} {args.optimizer} steps"
        if result.finished is not None and result.relative is not None:
            how += (f", {'finished' if result.finished else 'NOT finished'} (style "
                    f"{result.relative:.2f} x the photo's distance, layout "
                    f"{result.layout:.2f})")
        if stages is not None and len(stages.sizes) > 1:
            how = (f"coarse to fine {' -> '.join(map(str, stages.sizes))} px ("
                   f"{'+'.join(str(len(r.history['step'])) for r in stages.stages)}"
                   f" {args.optimizer} steps)")
        print(f"Wrote {out}{note}: {result.image.shape[1]}x{result.image.shape[0]}"
              f" px, {how} in "
              f"{time.perf_counter() - start:.1f} s, loss {h['total'][0]:.4g} -> "
              f"{result.best_loss:.4g}")
    return code


def _run_adain(args, size: int, inputs: list[Path], signals: Signals) -> int:
    """``--method adain``: any painting in one pass (notebook 13), then save."""
    from .io import data, images
    from .adain.model import AdaIN
    start = time.perf_counter()
    photo = data.as_image(args.content, size)
    paintings = [data.as_image(s, size) for s in args.style]
    masks = None
    if args.mask is not None:
        from .core import spatial
        masks = spatial.prepare_masks(args.mask, len(paintings), photo.shape[:2])
        if masks is not None:
            masks = [np.ones(photo.shape[:2], np.float32) if m is None else m for m in masks]
    model = AdaIN(args.model, precision=args.precision)
    picture = model(photo, paintings, alpha=1.0 if args.alpha is None else args.alpha,
                    blend=args.style_blend_weights, masks=masks,
                    preserve_color=args.preserve_color)
    with signals.deferred():
        out = images.save_image(picture, args.output, inputs=inputs, overwrite=args.overwrite)
    if not args.quiet:
        print(f"Wrote {out}: {picture.shape[1]}x{picture.shape[0]} px, adaptive instance "
              f"normalisation in {time.perf_counter() - start:.1f} s (model loading included)")
    return signals.exit_code(False)


def _run_fast(args, size: int, inputs: list[Path], signals: Signals) -> int:
    """``--method fast``: one forward pass of a trained network, then save."""
    from .io import data, images
    from .fast import network
    start = time.perf_counter()
    if args.model is not None:
        model, style = network.load_model(args.model), None
    else:
        model, style = network.find_pretrained(*args.style)
    if network.style_names(model) is not None:     # many styles: pick or blend ours
        weights = args.style_blend_weights or [1.0] * len(args.style)
        style = dict(zip(args.style, weights))
    elif len(args.style) > 1:
        raise SettingsError(f"{args.model} paints one painting; several STYLEs need a "
                            "many-style network (notebook 10). Fix: one STYLE.")
    picture = network.stylize_fast(model, data.as_image(args.content, size), style=style,
                                   precision=args.precision,
                                   preserve_color=args.preserve_color)
    with signals.deferred():
        out = images.save_image(picture, args.output, inputs=inputs, overwrite=args.overwrite)
    if not args.quiet:
        print(f"Wrote {out}: {picture.shape[1]}x{picture.shape[0]} px, one forward pass of "
              f"{args.model or args.style[0]} in {time.perf_counter() - start:.1f} s "
              "(model loading included)")
    return signals.exit_code(False)
