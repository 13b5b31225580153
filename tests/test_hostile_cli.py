"""``python -m style_lib`` under hostile input: the README's promises, case by case.

Every bad command line must end with exit code 2, exactly one line on stderr
naming the problem (no traceback), every file that was there before unchanged
byte for byte, and no new file (no output, no stray temporary file). Faults
(Ctrl-C, SIGTERM, odd terminals) must keep a finished picture and never show
a traceback.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from style_lib import cli

# Small and quick; a case's own options come later and win (argparse keeps the last).
BASE = ["--size", "32", "--steps", "2", "-q", "--weights", "imagenet"]
PHOTO_STYLE = ["photo.png", "style.png"]


@pytest.fixture
def workspace(tmp_path: Path, demo_images, monkeypatch) -> Path:
    """A folder of good and bad inputs; the working directory and $HOME."""
    rng = np.random.default_rng(0)
    for name in ("photo.png", "style.png", "mask.png", "exists.png"):
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), np.uint8)).save(tmp_path / name)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("<html>not an image</html>")
    (tmp_path / "trunc.png").write_bytes((tmp_path / "photo.png").read_bytes()[:200])
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tmp_path / "dot.png")
    Image.fromarray(np.zeros((4, 300, 3), np.uint8)).save(tmp_path / "strip.png")
    os.symlink("loop_b", tmp_path / "loop_a")
    os.symlink("loop_a", tmp_path / "loop_b")
    os.symlink("gone.png", tmp_path / "dangling.png")
    os.symlink("photo.png", tmp_path / "link.png")
    os.link(tmp_path / "photo.png", tmp_path / "hard.png")
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "home").mkdir()
    Image.fromarray(rng.integers(0, 255, (48, 64, 3), np.uint8)).save(
        tmp_path / "home" / "c.png")
    from style_lib.io import vgg_weights
    monkeypatch.setenv("STYLE_LIB_WEIGHTS", str(vgg_weights.weights_dir()))  # before
    monkeypatch.setenv("HOME", str(tmp_path / "home"))                       # HOME moves
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` -> its bytes' hash (link target, 'fifo', 'dir')."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            key = str(path.relative_to(folder))
            if path.is_symlink():
                entries[key] = "-> " + os.readlink(path)
            elif path.is_fifo():
                entries[key] = "fifo"
            elif path.is_dir():
                entries[key] = "dir"
            else:
                entries[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    try:
        code = cli.main(argv)
    except SystemExit as done:          # argparse's own errors
        code = done.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def case(name: str, argv: list[str], message: str):
    return pytest.param(argv, message, id=name)


HOSTILE = [
    # -- inputs that are not images -------------------------------------------
    case("missing content", ["missing.png", "style.png"], "not found"),
    case("content is a folder", ["folder", "style.png"], "is a folder"),
    case("empty file", ["empty.png", "style.png"], "is empty (0 bytes)"),
    case("web page saved as png", ["text.png", "style.png"],
         "not an image file Pillow can read"),
    case("truncated png", ["trunc.png", "style.png"], "damaged or truncated"),
    case("symlink loop", ["loop_a", "style.png"], "link loop"),
    case("dangling symlink", ["dangling.png", "style.png"],
         "symbolic link to a missing file"),
    case("named pipe", ["pipe.png", "style.png"], "is a named pipe"),
    case("1x1 image", ["dot.png", "style.png"], "only 1×1 px"),
    case("thin strip", ["strip.png", "style.png"], "only 300×4 px"),
    case("empty name", ["", "style.png"], "neither an image file nor a demo image"),
    case("web address", ["http://example.com/a.png", "style.png"], "web address"),
    case("demo name typo", ["tubingn", "style.png"], "Did you mean 'tubingen'?"),
    case("name too long", ["x" * 300 + ".png", "style.png"], "not a usable file name"),
    case("stdin dash", ["-", "style.png"], "neither an image file nor a demo image"),
    case("missing style", ["photo.png", "missing.png"], "not found"),
    case("style is a folder", ["photo.png", "folder"], "is a folder"),
    case("style is empty", ["photo.png", "empty.png"], "is empty (0 bytes)"),
    case("mask not an image", PHOTO_STYLE + ["--mask", "text.png"],
         "not an image file Pillow can read"),
    case("mask is a folder", PHOTO_STYLE + ["--mask", "folder"], "is a folder"),
    case("two masks for one style", PHOTO_STYLE + ["--mask", "mask.png", "none"],
         "--mask needs one mask per style"),
    # -- outputs that would destroy something or cannot be written -------------
    case("output is the content", PHOTO_STYLE + ["-o", "photo.png"],
         "would overwrite the input image"),
    case("output is the style", PHOTO_STYLE + ["-o", "style.png"],
         "would overwrite the input image"),
    case("output is the mask", PHOTO_STYLE + ["--mask", "mask.png", "-o", "mask.png"],
         "would overwrite the input image"),
    case("output is a symlink to the content", PHOTO_STYLE + ["-o", "link.png"],
         "would overwrite the input image"),
    case("output is a hard link to the content", PHOTO_STYLE + ["-o", "hard.png"],
         "would overwrite the input image"),
    case("quoted ~ output is the content", ["~/c.png", "style.png", "-o", "~/c.png"],
         "would overwrite the input image"),
    case("output exists", PHOTO_STYLE + ["-o", "exists.png"], "already exists and is kept"),
    case("output is a folder", PHOTO_STYLE + ["-o", "folder.png"], "it is a folder"),
    case("output without suffix", PHOTO_STYLE + ["-o", "result"], "unknown image suffix"),
    case("output gif", PHOTO_STYLE + ["-o", "result.gif"], "unknown image suffix"),
    case("output empty", PHOTO_STYLE + ["-o", ""], "unknown image suffix"),
    case("output a folder name", PHOTO_STYLE + ["-o", "out/"], "unknown image suffix"),
    case("output name too long", PHOTO_STYLE + ["-o", "x" * 300 + ".png"],
         "File name too long"),
    case("output folder missing", PHOTO_STYLE + ["-o", "no/such/x.png"], "does not exist"),
    case("output inside a file", PHOTO_STYLE + ["-o", "photo.png/x.png"],
         "is a file, not a folder"),
    # -- options -----------------------------------------------------------------
    case("size 0", PHOTO_STYLE + ["--size", "0"], "from 16 to 4096"),
    case("size 5000", PHOTO_STYLE + ["--size", "5000"], "from 16 to 4096"),
    case("size not a number", PHOTO_STYLE + ["--size", "big"],
         "not a whole number of pixels"),
    case("size 16 on a 4:3 photo", PHOTO_STYLE + ["--size", "16"], "16x12 px"),
    case("steps 0", PHOTO_STYLE + ["--steps", "0"], "steps must be a whole number >= 1"),
    case("steps 1.5", PHOTO_STYLE + ["--steps", "1.5"], "not a whole number"),
    case("negative seed", PHOTO_STYLE + ["--seed", "-1"], "seed must be a whole number"),
    case("negative weight", PHOTO_STYLE + ["--style-weight", "-3"], "finite number >= 0"),
    case("nan weight", PHOTO_STYLE + ["--style-weight", "nan"], "finite number >= 0"),
    case("inf weight", PHOTO_STYLE + ["--tv-weight", "inf"], "finite number >= 0"),
    case("weight overflowing float32", PHOTO_STYLE + ["--style-weight", "1e38"],
         "the loss is inf at the start"),
    case("smoothing weight overflowing float32", PHOTO_STYLE + ["--tv-weight", "1e38"],
         "tv_weight=1e+38 is too large"),
    case("weight beyond float32", PHOTO_STYLE + ["--content-weight", "1e39"],
         "does not fit in a 32-bit float"),
    case("all weights 0", PHOTO_STYLE + ["--content-weight", "0", "--style-weight", "0",
                                        "--tv-weight", "0"], "nothing to optimise"),
    case("unknown optimizer", PHOTO_STYLE + ["--optimizer", "sgd"], "invalid choice"),
    case("init a file", PHOTO_STYLE + ["--init", "photo.png"], "invalid choice"),
    case("weights file missing", PHOTO_STYLE + ["--weights", "nosuch.h5"], "Unknown weights"),
    case("weights file not hdf5", PHOTO_STYLE + ["--weights", "text.png"],
         "Cannot read VGG16 weights"),
    case("weights empty", PHOTO_STYLE + ["--weights", ""], "Unknown weights"),
    case("style scale 100", PHOTO_STYLE + ["--size", "256", "--style-scale", "100"],
         "above the 4096 px limit"),
    case("style scale 0", PHOTO_STYLE + ["--style-scale", "0"], "style_scale must be a number > 0"),
    case("style scale negative", PHOTO_STYLE + ["--style-scale", "-1"],
         "style_scale must be a number > 0"),
    case("style scale tiny", PHOTO_STYLE + ["--style-scale", "1e-9"],
         "VGG16 needs at least 16 px"),
    case("blend weights count", ["photo.png", "style.png", "mask.png",
                                 "--style-blend-weights", "1"], "one weight per style"),
    case("blend weights beyond float32", ["photo.png", "style.png", "mask.png",
                                          "--style-blend-weights", "1e308", "1e308"],
         "does not fit in a 32-bit float"),
    case("blend weights all 0", ["photo.png", "style.png", "mask.png",
                                 "--style-blend-weights", "0", "0"], "must not all be 0"),
    case("sizes decreasing", PHOTO_STYLE + ["--sizes", "64", "32"], "must increase"),
    case("sizes and size disagree", PHOTO_STYLE + ["--sizes", "32", "64", "--size", "48"],
         "differs from the last of --sizes"),
    case("preserve colour typo", PHOTO_STYLE + ["--preserve-color", "yes"], "invalid choice"),
    case("unknown option", PHOTO_STYLE + ["--foo"], "unrecognized arguments"),
]


@pytest.mark.parametrize("argv, message", HOSTILE)
def test_a_hostile_command_is_one_line_and_loses_nothing(argv, message, workspace,
                                                         capsys):
    # The base options go first so that a case's own value wins.
    argv = BASE + argv + ([] if "-o" in argv else ["-o", "out.png"])
    before = snapshot(workspace)
    code, out, err = run_cli(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1, err
    assert message in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert snapshot(workspace) == before          # nothing changed, nothing new


def test_the_table_is_long_enough():
    assert len(HOSTILE) >= 40


def test_no_arguments_is_one_line(capsys):
    code, _, err = run_cli([], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "the following arguments are required" in err


def test_an_existing_output_is_replaced_only_with_overwrite(workspace, capsys):
    target = workspace / "exists.png"
    before = target.read_bytes()
    code, out, err = run_cli(PHOTO_STYLE + ["-o", "exists.png", "--overwrite"] + BASE,
                             capsys)
    assert code == 0, err
    assert target.read_bytes() != before
    with Image.open(target) as img:
        assert img.size == (32, 24)
    assert not [p for p in workspace.iterdir() if p.name.startswith(".")]


def test_overwrite_never_extends_to_an_input(workspace, capsys):
    before = snapshot(workspace)
    code, _, err = run_cli(PHOTO_STYLE + ["-o", "photo.png", "--overwrite"] + BASE, capsys)
    assert code == 2 and "would overwrite the input image" in err
    assert snapshot(workspace) == before


def test_help_states_the_overwrite_rule(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "an existing file is kept unless --overwrite is given" in text


# ---------------------------------------------------------------- signals ---

def _send_during_save(monkeypatch, signum: int) -> list[Path]:
    """Make the final save deliver ``signum`` to this process half-way through."""
    from PIL import Image as PILImage
    original = PILImage.Image.save
    written: list[Path] = []

    def save(self, fp, *args, **kwargs):
        # As if the user pressed Ctrl-C now: raise_signal delivers it to this thread
        # before it returns, and Python runs the handler before the next line, so
        # no sleep is needed whatever the machine's load.
        signal.raise_signal(signum)
        written.append(fp)
        return original(self, fp, *args, **kwargs)
    monkeypatch.setattr(PILImage.Image, "save", save)
    return written


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_during_the_final_save_keeps_the_picture(signum, code, workspace,
                                                          capsys, monkeypatch):
    _send_during_save(monkeypatch, signum)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    got, out, err = run_cli(PHOTO_STYLE + ["-o", "out.png"] + BASE, capsys)
    assert got == code, (out, err)
    assert "Wrote out.png (interrupted" in out and "Traceback" not in err
    with Image.open(workspace / "out.png") as img:
        img.load()
        assert img.size == (32, 24)
    assert not [p for p in workspace.iterdir() if p.name.startswith(".")]
    assert {s: signal.getsignal(s) for s in handlers} == handlers   # put back


def test_ctrl_c_before_the_first_step_writes_nothing(workspace, capsys, monkeypatch):
    from style_lib.pixel import optimize

    def interrupted(self, x):           # Ctrl-C while the first step is traced
        raise KeyboardInterrupt
    monkeypatch.setattr(optimize.Stylizer, "_terms_and_grad_py", interrupted)
    optimize.clear_cache()
    before = snapshot(workspace)
    code, out, err = run_cli(PHOTO_STYLE + ["-o", "out.png"] + BASE, capsys)
    optimize.clear_cache()
    assert code == 130 and "Traceback" not in err
    assert err.strip() == ("python -m style_lib: interrupted before the first step; "
                           "nothing was written.")
    assert snapshot(workspace) == before


def _cli(*args: str | bytes, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "style_lib", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, **kwargs)


PROBE = str(Path(__file__).with_name("probe_cli.py"))


def probed(mode: str, module: str, *args: str, cwd: Path) -> subprocess.Popen:
    """Start ``python -m MODULE ARGS`` under tests/probe_cli.py and return once it
    has printed ``PROBE ...`` for ``mode`` (TensorFlow loading, first step):
    the moment to send a signal, whatever the machine's load."""
    proc = subprocess.Popen([sys.executable, PROBE, mode, module, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    for line in proc.stdout:
        if line.startswith(b"PROBE"):
            return proc
    proc.wait()
    raise AssertionError(f"{module} ended before the probe: {proc.stderr.read().decode()}")


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_while_tensorflow_loads_is_one_line(signum, code, workspace):
    proc = probed("tf", "style_lib", "photo.png", "style.png", "-o", "out.png", *BASE,
                  cwd=workspace)
    proc.send_signal(signum)                  # TensorFlow has started loading
    out, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == code, text
    assert text.strip() == ("python -m style_lib: interrupted while TensorFlow was loading; "
                            "nothing was written."), text
    assert not (workspace / "out.png").exists()


def test_sigterm_during_the_run_saves_the_best_picture_so_far(workspace):
    proc = probed("step", "style_lib", "photo.png", "style.png", "-o", "out.png",
                  "--size", "64", "--steps", "100000", "--weights", "imagenet",
                  cwd=workspace)
    proc.send_signal(signal.SIGTERM)          # after the first step
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()
    assert b"Interrupted after" in out and b"(interrupted: best image so far)" in out, (out, err)
    assert b"Traceback" not in err
    with Image.open(workspace / "out.png") as img:
        assert img.size == (64, 48)
    assert not [p for p in workspace.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("name, encoding", [
    ("résultat.png", "ascii:strict"),            # a non-ASCII name, an ASCII terminal
    (b"r\xe9sultat.png", "utf-8:strict"),        # a Latin-1 byte: not UTF-8 at all
])
def test_any_output_name_is_printed_under_a_strict_stdout(name, encoding, workspace):
    proc = _cli("photo.png", "style.png", "-o", name, "--size", "32", "--steps", "2",
                "--weights", "imagenet", cwd=workspace,
                env={"PYTHONIOENCODING": encoding})
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err.decode(errors="replace")
    assert b"Wrote" in out and b"Traceback" not in err
    path = os.path.join(os.fsencode(workspace), os.fsencode(name))
    with Image.open(path.decode(errors="surrogateescape")) as img:
        assert img.size == (32, 24)


# ------------------------------------------- the other two command lines ---

@pytest.mark.parametrize("module, argv, message", [
    ("data", ["monalisa"], "Unknown demo image 'monalisa'"),
    ("data", ["--foo"], "unrecognized arguments: --foo"),
    ("vgg_weights", ["--foo"], "unrecognized arguments: --foo"),
    ("vgg_weights", ["extra"], "unrecognized arguments: extra"),
], ids=["data unknown name", "data unknown option", "weights unknown option",
        "weights stray argument"])
def test_the_helper_commands_answer_bad_input_in_one_line(module, argv, message,
                                                          demo_images, capsys):
    from style_lib.io import data, vgg_weights
    main = {"data": data._main, "vgg_weights": vgg_weights.main}[module]
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and len(err.splitlines()) == 1, err
    assert message in err


def test_the_data_command_fetches_only_the_names_given(demo_images, capsys):
    from style_lib.io import data
    assert data._main(["chelsea", "starry_night"]) == 0
    out = capsys.readouterr().out
    assert "2 demo images ready" in out and "tubingen" not in out
