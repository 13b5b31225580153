"""Command line: ``python -m style_lib CONTENT STYLE -o OUT.png [options]``.

CONTENT and STYLE are image files or demo names (``tubingen``,
``starry_night``, ...). Bad input prints one line and exits with code 2.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import StyleLibError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text} must be a finite number >= 0 (0 switches the term off)")
    return value


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (its ``--help`` is the CLI's manual)."""
    from . import optimize
    p = _Parser(
        prog="python -m style_lib",
        description="Neural style transfer (Gatys, Ecker & Bethge 2016): paint "
                    "CONTENT in the style of STYLE.",
        epilog="Example: python -m style_lib tubingen starry_night -o out/tubingen.png")
    p.add_argument("content", help="content image: a file or a demo name "
                   "(tubingen, chelsea, coffee, rocket)")
    p.add_argument("style", help="style image: a file or a demo name "
                   "(starry_night, the_scream, great_wave, ...)")
    p.add_argument("-o", "--output", required=True, type=Path,
                   help="output image (.png, .jpg or .webp); never an input")
    p.add_argument("--size", type=_positive_int, default=optimize.DEFAULT_SIZE,
                   help="longest side of the output in pixels (default %(default)s)")
    p.add_argument("--steps", type=_positive_int, default=None,
                   help=f"optimiser steps (default {optimize.DEFAULT_STEPS})")
    p.add_argument("--optimizer", choices=optimize.OPTIMIZERS, default="lbfgs",
                   help="lbfgs (default, fastest), adam, or gd (the seed's "
                        "normalised gradient step)")
    p.add_argument("--content-weight", type=_weight,
                   default=optimize.DEFAULT_CONTENT_WEIGHT, metavar="A",
                   help="weight of the content loss (default %(default)g)")
    p.add_argument("--style-weight", type=_weight,
                   default=optimize.DEFAULT_STYLE_WEIGHT, metavar="B",
                   help="weight of the style loss (default %(default)g)")
    p.add_argument("--tv-weight", type=_weight, default=optimize.DEFAULT_TV_WEIGHT,
                   metavar="C", help="weight of the total-variation smoothing "
                   "(default %(default)g)")
    p.add_argument("--init", choices=("content", "noise", "style"),
                   default="content", help="start image (default %(default)s)")
    p.add_argument("--weights", default="auto",
                   help="VGG16 weights: auto (default), offline, imagenet, or an "
                        ".h5 file")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar or summary")
    return p


def _input_paths(*names: str) -> list[Path]:
    return [Path(n) for n in names if Path(n).exists()]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from . import images, optimize
    try:
        # Check the output before spending minutes on the optimisation.
        images.check_output_path(args.output,
                                 inputs=_input_paths(args.content, args.style))
        start = time.perf_counter()
        result = optimize.stylize(
            args.content, args.style, size=args.size, steps=args.steps,
            optimizer=args.optimizer, content_weight=args.content_weight,
            style_weight=args.style_weight, tv_weight=args.tv_weight,
            init=args.init, seed=args.seed, weights=args.weights,
            progress=not args.quiet)
        out = images.save_image(result.image, args.output,
                                inputs=_input_paths(args.content, args.style))
    except StyleLibError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    if not args.quiet:
        h = result.history
        note = " (interrupted: best image so far)" if result.interrupted else ""
        print(f"Wrote {out}{note}: {result.image.shape[1]}x{result.image.shape[0]}"
              f" px, {len(h['step'])} {args.optimizer} steps in "
              f"{time.perf_counter() - start:.1f} s, loss {h['total'][0]:.4g} -> "
              f"{result.best_loss:.4g}")
    return 130 if result.interrupted else 0
