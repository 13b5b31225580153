"""The fast networks, training, video and the MRF loss under hostile input.

Every case of the table: exit code 2, exactly one line on stderr (file
descriptor 2 included: no FFmpeg or TensorFlow noise) naming the problem, no
traceback, every file that was there before unchanged and no new file; a
model file's code never runs; a file name never becomes HTML. As
``test_hostile_cli.py`` does for ``python -m style_lib``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from style_lib import cli
from style_lib.io import data
from style_lib.fast import __main__ as fast_cli
from style_lib.fast.network import build_transform_net, save_model
from style_lib.video import __main__ as video_cli
from style_lib.video import io as video_io

from .test_hostile_cli import probed, snapshot

RAN = "ran.txt"                  # what the Lambda model writes if its code runs


def _lambda_model(path: Path, where: str) -> None:
    photo = keras.Input((None, None, 3))
    picture = keras.layers.Lambda(lambda x: (open(where, "w").write("ran"), x)[1])(photo)
    keras.Model(photo, picture).save(path)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """Good and bad .keras files, made once."""
    folder = tmp_path_factory.mktemp("models")
    save_model(build_transform_net(0.125, residual_blocks=1), folder / "net.keras")
    save_model(build_transform_net(0.125, residual_blocks=1, styles=["a", "b"]),
               folder / "many.keras")
    here = os.getcwd()
    os.chdir(folder)                 # building the model runs its lambda once, here
    try:
        _lambda_model(folder / "evil.keras", RAN)      # a relative path: the workspace's
    finally:
        os.chdir(here)
    (folder / RAN).unlink(missing_ok=True)
    grey = keras.Input((None, None, 1))
    keras.Model(grey, keras.layers.Conv2D(1, 3, padding="same")(grey)).save(folder / "grey.keras")
    fixed = keras.Input((32, 32, 3))
    keras.Model(fixed, keras.layers.Conv2D(3, 3, padding="same")(fixed)).save(folder / "fixed.keras")
    vector = keras.Input((10,))
    keras.Model(vector, keras.layers.Dense(2)(vector)).save(folder / "dense.keras")
    good = (folder / "net.keras").read_bytes()
    (folder / "truncated.keras").write_bytes(good[:300])
    (folder / "text.keras").write_text("<html>not a model</html>")
    (folder / "empty.keras").write_bytes(b"")
    return folder


@pytest.fixture
def workspace(tmp_path: Path, demo_images, models: Path, monkeypatch) -> Path:
    """Photos, paintings, models, a clip and bad files; the working directory."""
    rng = np.random.default_rng(0)
    for name in ("photo.png", "style.png", "mask.png", "exists.png"):
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), np.uint8)).save(tmp_path / name)
    Image.fromarray(rng.integers(0, 255, (16, 300, 3), np.uint8)).save(tmp_path / "strip.png")
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tmp_path / "dot.png")
    (tmp_path / "text.png").write_text("<html>not an image</html>")
    for model in models.iterdir():
        shutil.copy(model, tmp_path / model.name)
    (tmp_path / "folder.keras").mkdir()
    (tmp_path / "in").mkdir()
    shutil.copy(tmp_path / "photo.png", tmp_path / "in" / "photo.png")
    video_io.write_video(rng.integers(0, 255, (3, 32, 48, 3)).astype(np.float32),
                         tmp_path / "clip.mp4", fps=6)
    clip = (tmp_path / "clip.mp4").read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(clip[: len(clip) // 3])
    (tmp_path / "text.mp4").write_text("not a video")
    (tmp_path / "empty.mp4").write_bytes(b"")
    # a trained network's folder without a checkpoint (as in a fresh clone)
    (tmp_path / "trained").mkdir()
    shutil.copy(models / "net.keras", tmp_path / "trained" / "model.keras")
    # a run 100 steps long with other settings
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "checkpoint").write_text('model_checkpoint_path: "ckpt-100"\n'
                                                   'all_model_checkpoint_paths: "ckpt-100"\n')
    (run / "checkpoints" / "ckpt-100.index").write_bytes(b"")
    (run / "config.json").write_text(json.dumps({"style": "style.png", "size": 64}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_main(main, argv: list[str], capfd) -> tuple[int, str, str]:
    """Run a command line in this process; (exit code, stdout, stderr) at the
    file-descriptor level, so that C libraries' noise is seen too."""
    try:
        code = main(argv)
    except SystemExit as done:          # argparse's own errors
        code = done.code
    captured = capfd.readouterr()
    return code, captured.out, _without_tensorflow_log(captured.err)


def _without_tensorflow_log(text: str) -> str:
    """``text`` without TensorFlow's C++ log lines ("I0000 00:00:...", "E0000 ..."):
    this test process imported TensorFlow with its logging on; a real command
    starts it with TF_CPP_MIN_LOG_LEVEL=3 (the subprocess tests see no such line)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not re.match(r"[IWEF]\d{4} \d\d:\d\d:\d\d", line))


def case(name: str, argv: list[str], message: str):
    return pytest.param(argv, message, id=name)


CACHED_TUBINGEN = "<cached tubingen>"
STYLIZE = ["stylize", "--model", "net.keras", "photo.png"]
TRAIN = ["train", "--style", "style.png", "--steps", "1", "--size", "16"]

FAST = [
    # -- fast stylize: outputs that would destroy something -----------------
    case("stylize output is the photo", STYLIZE + ["-o", "photo.png", "--overwrite"],
         "would overwrite the input image"),
    case("stylize output is the photo by another path",
         ["stylize", "--model", "net.keras", "in/photo.png", "-o", "./in/../in/photo.png",
          "--overwrite"], "would overwrite the input image"),
    case("stylize output is a cached demo image",
         ["stylize", "--model", "net.keras", "tubingen", "-o", CACHED_TUBINGEN, "--overwrite"],
         "would overwrite the input image"),
    case("stylize output is the model", STYLIZE + ["-o", "net.keras", "--overwrite"],
         "unknown image suffix"),
    case("stylize output exists", STYLIZE + ["-o", "exists.png"], "already exists"),
    case("stylize output folder missing", STYLIZE + ["-o", "no/such/x.png"], "does not exist"),
    case("stylize output gif", STYLIZE + ["-o", "x.gif"], "unknown image suffix"),
    # -- fast stylize: options and inputs -----------------------------------------
    case("stylize size 0", STYLIZE + ["-o", "x.png", "--size", "0"], "from 16 to 4096"),
    case("stylize size 99999", STYLIZE + ["-o", "x.png", "--size", "99999"], "from 16 to 4096"),
    case("stylize size a word", STYLIZE + ["-o", "x.png", "--size", "big"],
         "not a whole number of pixels"),
    case("stylize precision typo", STYLIZE + ["-o", "x.png", "--precision", "half"],
         "invalid choice"),
    case("stylize histogram colours", STYLIZE + ["-o", "x.png", "--preserve-color",
                                                 "histogram"], "invalid choice"),
    case("stylize photo missing", ["stylize", "--model", "net.keras", "nope.png", "-o", "x.png"],
         "not found"),
    case("stylize photo not an image", ["stylize", "--model", "net.keras", "text.png", "-o",
                                        "x.png"], "not an image file Pillow can read"),
    case("stylize photo 1x1", ["stylize", "--model", "net.keras", "dot.png", "-o", "x.png"],
         "only 1×1 px"),
    case("stylize style for a one-style network", STYLIZE + ["-o", "x.png", "--style", "a"],
         "this network has one style"),
    case("stylize blend weight not a number", ["stylize", "--model", "many.keras", "photo.png",
                                               "-o", "x.png", "--style", "a=x"],
         "is not a number"),
    case("stylize unknown style of a many-style network",
         ["stylize", "--model", "many.keras", "photo.png", "-o", "x.png", "--style", "zzz"],
         "zzz"),
    # -- model files that are not what they say --------------------------------
    case("model missing", ["stylize", "--model", "none.keras", "photo.png", "-o", "x.png"],
         "No model file"),
    case("model is a folder", ["stylize", "--model", "folder.keras", "photo.png", "-o",
                               "x.png"], "is a folder"),
    case("model is text", ["stylize", "--model", "text.keras", "photo.png", "-o", "x.png"],
         "is not a Keras model file"),
    case("model is empty", ["stylize", "--model", "empty.keras", "photo.png", "-o", "x.png"],
         "is not a Keras model file"),
    case("model is truncated", ["stylize", "--model", "truncated.keras", "photo.png", "-o",
                                "x.png"], "is not a Keras model file"),
    case("model runs code", ["stylize", "--model", "evil.keras", "photo.png", "-o", "x.png"],
         "holds code"),
    case("model is one-channel", ["stylize", "--model", "grey.keras", "photo.png", "-o",
                                  "x.png"], "is not a style-transfer network"),
    case("model takes 32 px only", ["stylize", "--model", "fixed.keras", "photo.png", "-o",
                                    "x.png"], "is not a style-transfer network"),
    case("model is some other network", ["stylize", "--model", "dense.keras", "photo.png",
                                         "-o", "x.png"], "is not a style-transfer network"),
    # -- fast train: folders that hold something ------------------------------------
    case("train out is a file", TRAIN + ["--out", "exists.png"], "is a file, not a folder"),
    case("train out is the style image", TRAIN + ["--out", "style.png"],
         "is a file, not a folder"),
    case("train out holds a trained network", TRAIN + ["--out", "trained"],
         "holds a trained network"),
    case("train out holds other settings", TRAIN + ["--out", "run"],
         "holds a run with other settings"),
    case("train out cannot be made", TRAIN + ["--out", "/proc/no/such/run"], "Cannot"),
    case("train style missing", ["train", "--style", "nope.png", "--out", "new"], "not found"),
    case("train style not an image", ["train", "--style", "text.png", "--out", "new"],
         "not an image file Pillow can read"),
    case("train photos folder missing", TRAIN + ["--out", "new", "--photos", "nowhere"],
         "nowhere"),
    case("train photos folder without photos", TRAIN + ["--out", "new", "--photos", "in/.."
                                                        "/folder.keras"], "folder.keras"),
    # -- fast train: options ------------------------------------------------------
    case("checkpoint every 0", TRAIN + ["--out", "new", "--checkpoint-every", "0"],
         "must be >= 1"),
    case("checkpoint every -5", TRAIN + ["--out", "new", "--checkpoint-every=-5"],
         "must be >= 1"),
    case("evaluate every -1", TRAIN + ["--out", "new", "--evaluate-every=-1"], "must be >= 0"),
    case("train seed -1", TRAIN + ["--out", "new", "--seed=-1"], "seed must be a whole number"),
    case("train steps 0", TRAIN + ["--out", "new", "--steps", "0"], "must be >= 1"),
    case("train size not a multiple of 4", TRAIN + ["--out", "new", "--size", "30"],
         "multiple of 4"),
    case("train size 8", TRAIN + ["--out", "new", "--size", "8"], "from 16 to 4096"),
    case("train style size 0", TRAIN + ["--out", "new", "--style-size", "0"],
         "from 16 to 4096"),
    case("train batch 0", TRAIN + ["--out", "new", "--batch-size", "0"], "must be >= 1"),
    case("learning rate 0", TRAIN + ["--out", "new", "--learning-rate", "0"],
         "not a number > 0"),
    case("learning rate nan", TRAIN + ["--out", "new", "--learning-rate", "nan"],
         "finite number"),
    case("width 0", TRAIN + ["--out", "new", "--width", "0"], "width must be"),
    case("width 100", TRAIN + ["--out", "new", "--width", "100"], "width must be"),
    case("train style weight negative", TRAIN + ["--out", "new", "--style-weight", "-1"],
         "finite number >= 0"),
    case("train style weight beyond float32", TRAIN + ["--out", "new", "--style-weight",
                                                       "1e39"], "32-bit float"),
    case("devices 0", TRAIN + ["--out", "new", "--devices", "0"], "must be >= 1"),
    case("add-to two paintings", ["train", "--add-to", "many.keras", "--style", "style.png",
                                  "photo.png", "--out", "new"], "one painting at a time"),
    case("add-to a missing model", ["train", "--add-to", "none.keras", "--style", "style.png",
                                    "--out", "new"], "none.keras"),
    case("add-to a model that runs code", ["train", "--add-to", "evil.keras", "--style",
                                           "style.png", "--out", "new"], "holds code"),
    case("unknown subcommand", ["paint"], "invalid choice"),
]

VIDEO = [
    case("video fast with --steps", ["clip.mp4", "style.png", "--method", "fast", "--steps",
                                     "5"], "does not use --steps"),
    case("video fast with --temporal-weight", ["clip.mp4", "style.png", "--method", "fast",
                                               "--temporal-weight", "5"],
         "does not use --temporal-weight"),
    case("video fast with --style-weight", ["clip.mp4", "style.png", "--method", "fast",
                                            "--style-weight", "5"], "does not use --style-weight"),
    case("video blend 2", ["clip.mp4", "style.png", "--method", "fast", "--blend", "2"],
         "from 0 to 1"),
    case("video blend without fast", ["clip.mp4", "style.png", "--blend", "0.5"],
         "--blend needs --method fast"),
    case("video model runs code", ["clip.mp4", "style.png", "--method", "fast", "--model",
                                   "evil.keras"], "holds code"),
    case("video model is text", ["clip.mp4", "style.png", "--method", "fast", "--model",
                                 "text.keras"], "is not a Keras model file"),
    case("video model is one-channel", ["clip.mp4", "style.png", "--method", "fast",
                                        "--model", "grey.keras"],
         "is not a style-transfer network"),
    case("video output is the clip", ["clip.mp4", "style.png", "-o", "clip.mp4",
                                      "--overwrite"], "clip.mp4"),
    case("video output avi", ["clip.mp4", "style.png", "-o", "x.avi"], ".mp4"),
    case("video clip is text", ["text.mp4", "style.png"], "OpenCV cannot open it"),
    case("video clip is empty", ["empty.mp4", "style.png"], "Cannot read the video"),
    case("video clip is truncated", ["truncated.mp4", "style.png"], "Cannot read the video"),
    case("video frames 0", ["clip.mp4", "style.png", "--frames", "0"], "must be >= 1"),
    case("video size 0", ["clip.mp4", "style.png", "--size", "0"], "from 16 to 4096"),
    case("video pan over a missing image", ["pan:nope.png", "style.png"], "not found"),
    case("video temporal weight nan", ["clip.mp4", "style.png", "--temporal-weight", "nan"],
         "finite number >= 0"),
]

STYLE_LIB = [
    case("method fast with --mask", ["photo.png", "starry_night", "--method", "fast",
                                     "--mask", "mask.png"], "does not use --mask"),
    case("method fast with --steps", ["photo.png", "starry_night", "--method", "fast",
                                      "--steps", "5"], "does not use --steps"),
    case("method fast with --style-weight", ["photo.png", "starry_night", "--method", "fast",
                                             "--style-weight", "5"],
         "does not use --style-weight"),
    case("method fast with --init", ["photo.png", "starry_night", "--method", "fast",
                                     "--init", "noise"], "does not use --init"),
    case("method fast model runs code", ["photo.png", "starry_night", "--method", "fast",
                                         "--model", "evil.keras"], "holds code"),
    case("method fast model is one-channel", ["photo.png", "starry_night", "--method", "fast",
                                              "--model", "grey.keras"],
         "is not a style-transfer network"),
    case("mrf on a 16 px strip", ["strip.png", "style.png", "--style-loss", "mrf", "--size",
                                  "300", "--steps", "1"], "too small for MRF patches"),
    case("mrf rotations 9", ["photo.png", "style.png", "--style-loss", "mrf",
                             "--mrf-rotations", "9"], "from 0 to 4"),
    case("mrf scales without mrf", ["photo.png", "style.png", "--mrf-scales", "1"],
         "need --style-loss mrf"),
    case("unknown style loss", ["photo.png", "style.png", "--style-loss", "patch"],
         "invalid choice"),
]


def _check(main, argv, message, workspace, capfd):
    before = snapshot(workspace)
    code, out, err = run_main(main, argv, capfd)
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1, err
    assert message in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert not (workspace / RAN).exists(), "a model file's code ran"
    assert snapshot(workspace) == before          # nothing changed, nothing new


@pytest.mark.parametrize("argv, message", FAST)
def test_a_hostile_fast_command_is_one_line_and_loses_nothing(argv, message, workspace,
                                                              capfd):
    cached = data.path("tubingen")               # in the cache (from the test mirror)
    argv = [str(cached) if a == CACHED_TUBINGEN else a for a in argv]
    cache = cached.read_bytes()
    _check(fast_cli.main, argv, message, workspace, capfd)
    assert cached.read_bytes() == cache


@pytest.mark.parametrize("argv, message", VIDEO)
def test_a_hostile_video_command_is_one_line_and_loses_nothing(argv, message, workspace,
                                                               capfd):
    argv = argv + ([] if "-o" in argv else ["-o", "out.mp4"]) + ["--size", "32", "-q"]
    _check(video_cli.main, argv, message, workspace, capfd)


@pytest.mark.parametrize("argv, message", STYLE_LIB)
def test_a_hostile_fast_or_mrf_style_lib_command_is_one_line(argv, message, workspace, capfd):
    argv = ["--size", "32", "-q"] + argv + ["-o", "out.png"]
    _check(cli.main, argv, message, workspace, capfd)


def test_the_tables_hold_at_least_sixty_new_cases():
    assert len(FAST) + len(VIDEO) + len(STYLE_LIB) >= 60


# ------------------------------------------------------ training's folder ---

def test_a_finished_committed_network_is_replaced_only_with_overwrite(workspace, capfd):
    before = (workspace / "trained" / "model.keras").read_bytes()
    code, _, err = run_main(fast_cli.main, TRAIN + ["--out", "trained"], capfd)
    assert code == 2 and "--overwrite" in err
    assert (workspace / "trained" / "model.keras").read_bytes() == before
    assert not (workspace / "trained" / "command.txt").exists()
    code, out, err = run_main(fast_cli.main, TRAIN + ["--out", "trained", "--overwrite",
                                                      "-q", "--batch-size", "1"], capfd)
    assert code == 0, err
    assert (workspace / "trained" / "model.keras").read_bytes() != before
    assert (workspace / "trained" / "command.txt").read_text().count("--overwrite") == 1


def test_a_diverging_run_is_one_line_and_the_fixed_rerun_is_accepted(workspace, capfd):
    base = TRAIN + ["--out", "new", "-q", "--batch-size", "1"]
    code, out, err = run_main(fast_cli.main, base + ["--style-weight", "1e38"], capfd)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "Fix: a smaller learning_rate or style_weight" in err
    assert not (workspace / "new" / "model.keras").exists()
    code, out, err = run_main(fast_cli.main, base, capfd)        # the corrected command
    assert code == 0, err
    assert (workspace / "new" / "model.keras").exists()


def test_sigterm_during_training_keeps_the_checkpoint_and_the_model(workspace):
    proc = probed("train", "style_lib.fast", "train", "--style", "style.png", "--size", "16",
                  "--steps", "100000", "--batch-size", "1", "--out", "run2", "-q",
                  cwd=workspace)
    proc.send_signal(signal.SIGTERM)               # after the first training step
    out, err = proc.communicate(timeout=300)
    text = err.decode()
    assert proc.returncode == 143, text
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text, text
    assert "interrupted; the checkpoint and" in text and "model.keras are kept" in text
    assert (workspace / "run2" / "model.keras").is_file()
    assert list((workspace / "run2" / "checkpoints").glob("ckpt-*.index"))


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_while_fast_train_starts_names_the_command(signum, code, workspace):
    proc = probed("tf", "style_lib.fast", *TRAIN, "--out", "run3", cwd=workspace)
    proc.send_signal(signum)                       # TensorFlow has started loading
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err.decode()
    assert err.decode().strip() == ("python -m style_lib.fast: interrupted while TensorFlow "
                                    "was loading; nothing was written.")
    assert not (workspace / "run3").exists()


# ----------------------------------------------------------- the library ---

def test_stylize_content_weight_none_is_the_default_not_the_last_run(demo_images):
    from style_lib.pixel import optimize
    from style_lib.settings import DEFAULT_CONTENT_WEIGHT, DEFAULT_TV_WEIGHT
    photo = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    optimize.stylize(photo, "starry_night", size=32, steps=1, content_weight=1e6,
                     tv_weight=5.0, weights="imagenet", progress=False)
    optimize.stylize(photo, "starry_night", size=32, steps=1, content_weight=None,
                     tv_weight=None, weights="imagenet", progress=False)
    stylizer = optimize.get_stylizer(photo, "starry_night", size=32, weights="imagenet")
    assert stylizer.weights()["content_weight"] == pytest.approx(DEFAULT_CONTENT_WEIGHT)
    assert stylizer.weights()["tv_weight"] == pytest.approx(DEFAULT_TV_WEIGHT)


@pytest.mark.parametrize("shape", [(2, 2, 3), (8, 300, 3)])
def test_stylize_refuses_an_array_the_cli_refuses_as_a_file(shape, demo_images):
    from style_lib.pixel import optimize
    from style_lib.errors import ImageError
    with pytest.raises(ImageError, match="at least 16 px on each side"):
        optimize.stylize(np.zeros(shape, np.float32), "starry_night", size=32, steps=1,
                         progress=False)


EVIL_NAME = "<img src=x onerror=alert(1)>"


def test_the_photo_picker_shows_an_uploaded_name_as_text(models):
    from style_lib.fast.app import FastStyleApp
    from style_lib.fast.network import load_model
    photo = np.full((32, 32, 3), 128.0, np.float32)
    app = FastStyleApp({"net": load_model(models / "net.keras")}, {"grey": photo}, size=32)
    assert app.upload(b"not an image", EVIL_NAME + ".png") is False
    assert "<img" not in app.status.value and "&lt;img" in app.status.value


def test_the_blend_app_shows_a_style_name_as_text(models):
    from style_lib.fast.blend_app import StyleBlendApp
    from style_lib.fast.network import load_model
    photo = np.full((32, 32, 3), 128.0, np.float32)
    app = StyleBlendApp(load_model(models / "many.keras"), {"grey": photo}, size=32)
    assert app.set_weights({EVIL_NAME: 1.0}) is False
    assert "<img" not in app.status.value and "&lt;img" in app.status.value
