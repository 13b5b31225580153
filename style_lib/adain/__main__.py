"""``python -m style_lib.adain``: train the AdaIN decoder, or paint with it.

    python -m style_lib.adain train --out models/adain
    python -m style_lib.adain stylize chelsea the_kiss -o cat.jpg --alpha 0.8
    python -m style_lib.adain stylize chelsea the_kiss shipwreck --blend 1 1 -o cat.jpg

``train`` resumes a folder's run where it stopped (Ctrl-C or SIGTERM keeps the
last checkpoint and writes ``model.keras``); it never replaces a trained
decoder without ``--overwrite``; it writes ``config.json`` (settings, photo
and painting lists), ``history.json``, ``loss.png`` and ``command.txt``
beside the decoder. Bad input: one line, exit 2.
"""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

from .. import arguments as arg
from .. import command_line as cl
from ..files import write_text

PROG = "python -m style_lib.adain"


def _parser() -> cl.OneLineParser:
    from .training import AdaINConfig
    d = AdaINConfig()
    p = cl.OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the decoder")
    t.add_argument("--out", required=True, type=Path, help="output folder (resumed if it exists)")
    t.add_argument("--overwrite", action="store_true",
                   help="start over in --out, replacing the decoder there")
    t.add_argument("--paintings", nargs="+", default=list(d.paintings), metavar="PAINTING",
                   help="styles: demo painting names or image files (default %(default)s)")
    t.add_argument("--photos", nargs="+", default=None, metavar="FOLDER",
                   help="content: folders of photos (default: the photos in the pip wheels)")
    t.add_argument("--steps", type=arg.positive_int, default=d.steps,
                   help="training steps (default %(default)s)")
    t.add_argument("--size", type=arg.size, default=d.size, help="crop side in px (default %(default)s)")
    t.add_argument("--batch-size", type=arg.whole_number(1, 256), default=d.batch_size)
    t.add_argument("--learning-rate", type=arg.positive_number, default=d.learning_rate)
    t.add_argument("--style-weight", type=arg.weight, default=d.style_weight, help="λ (default %(default)g)")
    t.add_argument("--width", type=arg.positive_number, default=d.width,
                   help="decoder width (1 = VGG16 mirrored; default %(default)g)")
    t.add_argument("--identity-weight", type=arg.weight, default=d.identity_weight,
                   help="weight of the identity loss: give back the photo from its own "
                        "features (default %(default)g)")
    t.add_argument("--init", type=Path, default=None, metavar="DECODER",
                   help="start from this trained decoder (.keras) instead of a new one")
    t.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default=d.precision)
    t.add_argument("--seed", type=arg.seed, default=d.seed)
    t.add_argument("--checkpoint-every", type=arg.positive_int, default=100)
    t.add_argument("--evaluate-every", type=arg.whole_number(0), default=0, metavar="N",
                   help="judge the held-out photos and paintings every N steps (0: never)")
    t.add_argument("--devices", type=arg.whole_number(1, 64), default=1,
                   help="train on this many devices with MirroredStrategy")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s = sub.add_parser("stylize", help="paint a photo in the style of any painting")
    s.add_argument("image", help="photo: demo name or image file")
    s.add_argument("painting", nargs="+", help="painting(s): demo names or image files")
    s.add_argument("-o", "--output", required=True, type=Path, help="output image file")
    s.add_argument("--alpha", type=arg.number, default=1.0,
                   help="0 = the photo, 1 = all style (default %(default)g)")
    s.add_argument("--blend", type=arg.number, nargs="+", default=None, metavar="W",
                   help="one weight per painting (default equal)")
    s.add_argument("--decoder", type=Path, default=None, help="a decoder .keras file "
                   "(default: the committed one)")
    s.add_argument("--size", type=arg.size, default=512, help="longest side (default %(default)s)")
    s.add_argument("--preserve-color", choices=("luminance",), default=None)
    s.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto")
    s.add_argument("--overwrite", action="store_true")
    return p


def _train(args, argv: list[str], signals: cl.Signals) -> int:
    from ..io.data import as_image
    from ..fast.training import photo_folder, prepare_run_folder, strategy_for, write_loss_curve
    from .training import HISTORY_KEYS, AdaINConfig, train
    config = AdaINConfig(paintings=tuple(args.paintings),
                         photos=photo_folder(*args.photos) if args.photos else (),
                         size=args.size, batch_size=args.batch_size, steps=args.steps,
                         learning_rate=args.learning_rate, style_weight=args.style_weight,
                         width=args.width, identity_weight=args.identity_weight,
                         init=str(args.init) if args.init else "",
                         precision=args.precision, seed=args.seed).checked()
    for painting in config.paintings:        # a missing painting: now, not later
        as_image(painting)
    out = args.out.expanduser()
    prepare_run_folder(out, config, resume=not args.overwrite)
    strategy = strategy_for(args.devices)
    with cl.signals_deferred():
        write_text(out / "command.txt",
                   f"{PROG} " + " ".join(shlex.quote(a) for a in argv) + "\n")
    result = train(config, out, strategy=strategy, checkpoint_every=args.checkpoint_every,
                   progress=not args.quiet, evaluate_every=args.evaluate_every,
                   resume=not args.overwrite)
    write_loss_curve(out, {k: v for k, v in result.history.items() if k in HISTORY_KEYS},
                     weights={"style_weight": config.style_weight,
                              "identity_weight": config.identity_weight},
                     title="training the AdaIN decoder")
    steps = len(result.history["step"])
    if result.interrupted:
        kept = (f"the checkpoint and {result.model_path} are kept ({steps} steps)"
                if result.model_path else "nothing was trained yet")
        print(f"{PROG}: interrupted; {kept}. Run the same command again to resume.",
              file=sys.stderr)
        return signals.exit_code(True)
    print(f"Wrote {result.model_path} ({steps} steps, "
          f"{result.history['seconds'][-1] / 60:.1f} min).")
    return 0


def _stylize(args, signals: cl.Signals) -> int:
    from ..io.data import as_image
    from ..io.images import check_output_path, save_image
    from .model import AdaIN, check_alpha
    check_alpha(args.alpha)
    inputs = arg.input_paths(args.image, *args.painting,
                             *([args.decoder] if args.decoder else []))
    check_output_path(args.output, inputs=inputs, overwrite=args.overwrite)
    photo = as_image(args.image, args.size)          # bad inputs first, then the decoder
    paintings = [as_image(p, args.size) for p in args.painting]
    model = AdaIN(args.decoder, precision=args.precision)
    picture = model(photo, paintings, alpha=args.alpha, blend=args.blend,
                    preserve_color=args.preserve_color)
    with signals.deferred():
        out = save_image(picture, args.output, inputs=inputs, overwrite=args.overwrite)
    print(f"Wrote {out}")
    return signals.exit_code(False)


def main(argv: list[str] | None = None) -> int:
    """Run the command line: 0 done, 2 bad input, 130 Ctrl-C / 143 SIGTERM."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.command == "train":
        def interrupted() -> str:
            model = args.out.expanduser() / "model.keras"
            if model.is_file():
                return (f"interrupted; the checkpoint and {model} are kept. Run the same "
                        "command again to resume.")
            return "interrupted before the first training step; no decoder was written."
        return cl.run(PROG, lambda signals: _train(args, argv, signals),
                      interrupted=interrupted)
    return cl.run(PROG, lambda signals: _stylize(args, signals),
                  interrupted="interrupted; nothing was written.")


if __name__ == "__main__":
    sys.exit(main())
