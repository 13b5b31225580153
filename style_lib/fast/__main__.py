"""``python -m style_lib.fast``: train a transformation network, or apply one.

    python -m style_lib.fast train --style starry_night --out models/starry_night
    python -m style_lib.fast train --style starry_night great_wave the_scream the_kiss --out models/four
    python -m style_lib.fast train --style starry_night --photos my_photos/ --out models/mine
    python -m style_lib.fast train --add-to models/four/model.keras --style shipwreck --out models/five
    python -m style_lib.fast stylize --model models/starry_night/model.keras chelsea -o cat.jpg
    python -m style_lib.fast stylize --model models/four/model.keras --style starry_night=1,the_kiss=1 chelsea -o cat.jpg

Several paintings train one network with conditional instance normalisation
(Dumoulin et al.); ``--add-to`` adds a painting to such a network by fitting
only its scales and shifts (every convolution frozen).

``train`` resumes a folder's run where it stopped (Ctrl-C or SIGTERM keeps
the last checkpoint and writes ``model.keras``); it never replaces a trained
network without ``--overwrite``. It writes ``config.json`` (the settings and
photo list), ``history.json`` and ``loss.png`` (the loss curve) beside the
model, and ``command.txt`` (the exact command). Bad input: one line, exit 2.
"""
from __future__ import annotations

import shlex
import sys
from dataclasses import fields
from pathlib import Path

from .. import arguments as arg
from .. import command_line as cl
from ..errors import SettingsError
from ..files import write_text

PROG = "python -m style_lib.fast"


def _parser() -> cl.OneLineParser:
    from .training import TrainConfig
    d = TrainConfig()
    p = cl.OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a network for one painting or several")
    t.add_argument("--style", required=True, nargs="+",
                   help="demo painting names or image files (several: one many-style network)")
    t.add_argument("--add-to", type=Path, default=None, metavar="MODEL",
                   help="a many-style network's .keras file: add --style to it, training "
                        "only its scales and shifts")
    t.add_argument("--out", required=True, type=Path, help="output folder (resumed if it exists)")
    t.add_argument("--overwrite", action="store_true",
                   help="start over in --out, replacing the network there (default: resume "
                        "its run, never replace a trained network)")
    t.add_argument("--photos", nargs="+", default=None, metavar="FOLDER",
                   help="train on your own photos: folders of JPEG/PNG files (or files); "
                        "default: the photos that ship in the pip wheels")
    t.add_argument("--steps", type=arg.positive_int, default=d.steps, help="training steps (default %(default)s)")
    t.add_argument("--size", type=arg.size, default=d.size, help="crop side in px (default %(default)s)")
    t.add_argument("--style-size", type=arg.size, default=d.style_size,
                   help="painting's longest side for its targets (default %(default)s)")
    t.add_argument("--batch-size", type=arg.whole_number(1, 256), default=d.batch_size, help="(default %(default)s)")
    t.add_argument("--learning-rate", type=arg.positive_number, default=d.learning_rate,
                   help="Adam's step (default %(default)g)")
    t.add_argument("--width", type=_width, default=d.width,
                   help="filter multiplier (default %(default)g: half of Johnson's filters, "
                        "4x cheaper; 1.0 = Johnson's network)")
    t.add_argument("--output-layer", dest="output", choices=("linear", "tanh"),
                   default=d.output, help="the last layer: linear (default; clipped only "
                   "when a picture is made) or Johnson's tanh (saturates into black "
                   "blotches, notebook 09)")
    t.add_argument("--upsample", choices=("resize", "transposed"), default=d.upsample,
                   help="resize + conv (default) or the original transposed convolutions")
    t.add_argument("--content-weight", type=arg.weight, default=d.content_weight)
    t.add_argument("--style-weight", type=arg.weight, default=d.style_weight)
    t.add_argument("--tv-weight", type=arg.weight, default=d.tv_weight)
    t.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default=d.precision,
                   help="what VGG16 computes in (default %(default)s)")
    t.add_argument("--seed", type=arg.seed, default=d.seed)
    t.add_argument("--checkpoint-every", type=arg.positive_int, default=100,
                   help="save a checkpoint every so many steps (default %(default)s)")
    t.add_argument("--evaluate-every", type=arg.whole_number(0), default=0, metavar="N",
                   help="judge the held-out photos every N steps and keep the curve in "
                        "history.json (make models: 200); 0: never (default)")
    t.add_argument("--devices", type=arg.whole_number(1, 64), default=1,
                   help="train on this many devices with MirroredStrategy (GPUs if "
                        "TensorFlow sees them, else logical CPUs)")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s = sub.add_parser("stylize", help="apply a trained network to an image")
    s.add_argument("--model", required=True, type=Path, help="a .keras file")
    s.add_argument("image", help="demo name or image file")
    s.add_argument("--style", default=None, help="for a many-style network: a style's "
                   "name, or a blend such as starry_night=1,the_kiss=1")
    s.add_argument("-o", "--output", required=True, type=Path, help="output image file")
    s.add_argument("--size", type=arg.size, default=None, help="longest side (default: as is, "
                   "at most 1024)")
    s.add_argument("--overwrite", action="store_true")
    s.add_argument("--preserve-color", choices=("luminance",), default=None,
                   help="keep the photo's colours: the picture's luminance with the "
                        "photo's chroma")
    s.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                   help="bfloat16 is about 2x faster where the CPU/GPU computes it "
                        "natively; auto uses it only there (default %(default)s)")
    return p


def _check_width(value: float) -> float:
    if not 0 < value <= 4:
        raise SettingsError(f"the width must be a number > 0 and <= 4, not {value:g} (0.5 "
                            "is Johnson's network, 1 twice as wide)")
    return value


_width = arg.checked(float, _check_width, "a number")


def _train(args, argv: list[str], signals: cl.Signals) -> int:
    from .training import (TrainConfig, add_style_config, photo_folder, prepare_run_folder,
                           strategy_for, train, write_loss_curve)
    names = {f.name for f in fields(TrainConfig)}
    settings = {k: v for k, v in vars(args).items() if k in names}
    settings["style"] = settings["style"][0] if len(args.style) == 1 else tuple(args.style)
    settings["photos"] = photo_folder(*args.photos) if args.photos else ()
    if args.add_to is not None:
        if len(args.style) != 1:
            raise SettingsError("--add-to adds one painting at a time. Fix: one name after "
                                "--style.")
        given = {k: v for k, v in settings.items() if k != "style" and _given(k, argv)}
        config = add_style_config(args.add_to, args.style[0], **given)
    else:
        config = TrainConfig(**settings)
    out = args.out.expanduser()
    config = config.checked()
    from ..io.data import as_image
    for painting in config.styles:          # a missing or broken painting: now, not later
        as_image(painting)
    prepare_run_folder(out, config, resume=not args.overwrite)   # before any file is written
    strategy = strategy_for(args.devices)
    with cl.signals_deferred():
        write_text(out / "command.txt",
                    "python -m style_lib.fast " + " ".join(shlex.quote(a) for a in argv) + "\n")
    result = train(config, out, strategy=strategy, checkpoint_every=args.checkpoint_every,
                   progress=not args.quiet, evaluate_every=args.evaluate_every,
                   resume=not args.overwrite)
    write_loss_curve(out, result.history, weights=vars(args),
                     title=f"training for {', '.join(config.styles)}")
    steps = len(result.history["step"])
    if result.interrupted:
        kept = (f"the checkpoint and {result.model_path} are kept ({steps} steps)"
                if result.model_path else "nothing was trained yet")
        print(f"{PROG}: interrupted; {kept}. Run the same command again to resume.",
              file=sys.stderr)
        return signals.exit_code(True)
    print(f"Wrote {result.model_path} ({steps} steps in this folder's history, "
          f"{result.history['seconds'][-1] / 60:.1f} min).")
    return 0


def _stylize(args, signals: cl.Signals) -> int:
    from ..io.data import as_image
    from ..io.images import check_output_path, save_image
    from .network import load_model, stylize_fast
    inputs = arg.input_paths(args.image, args.model)
    check_output_path(args.output, inputs=inputs, overwrite=args.overwrite)
    model = load_model(args.model)
    style = _style_argument(args.style)
    image = as_image(args.image)
    if args.size or max(image.shape[:2]) > 1024:
        image = as_image(image, args.size or 1024)
    picture = stylize_fast(model, image, style=style, precision=args.precision,
                           preserve_color=args.preserve_color)
    with signals.deferred():
        out = save_image(picture, args.output, inputs=inputs, overwrite=args.overwrite)
    print(f"Wrote {out}")
    return signals.exit_code(False)


def _given(setting: str, argv: list[str]) -> bool:
    """True if the option of ``setting`` is on the command line."""
    flag = "--" + setting.replace("_", "-")
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def _style_argument(text: str | None):
    """``None``, a name, or ``"a=1,b=2"`` as a dict name -> weight."""
    if text is None or "=" not in text:
        return text
    weights = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise SettingsError(f"--style {text!r}: {value!r} is not a number. Fix: e.g. "
                                "--style starry_night=1,the_kiss=0.5") from None
    return weights


def main(argv: list[str] | None = None) -> int:
    """Run the command line: 0 done, 2 bad input, 130 Ctrl-C / 143 SIGTERM (training
    keeps its last checkpoint and writes ``model.keras``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.command == "train":
        def interrupted() -> str:         # e.g. a second Ctrl-C after training returned
            model = args.out.expanduser() / "model.keras"
            if model.is_file():
                return (f"interrupted; the checkpoint and {model} are kept. Run the same "
                        "command again to resume.")
            return "interrupted before the first training step; no network was written."
        return cl.run(PROG, lambda signals: _train(args, argv, signals),
                      interrupted=interrupted)
    return cl.run(PROG, lambda signals: _stylize(args, signals),
                  interrupted="interrupted; nothing was written.")


if __name__ == "__main__":
    sys.exit(main())
