"""``python -m style_lib``: end to end at small size, and bad input."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from style_lib import cli
from style_lib.io import download

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--size", "--steps", "--optimizer", "--content-weight",
                   "--style-weight", "--tv-weight", "--weights", "--seed",
                   "--precision"):
        assert option in out


def test_end_to_end_with_demo_names(demo_images, tmp_path, capsys):
    out = tmp_path / "result.png"
    code = cli.main(["tubingen", "starry_night", "-o", str(out), "--size", "48",
                     "--steps", "3", "--weights", "imagenet"])
    assert code == 0
    assert "Wrote" in capsys.readouterr().out
    with Image.open(out) as img:
        assert img.size == (48, 36) and img.mode == "RGB"
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("given, expected", [([], "auto"), (["--precision", "float32"],
                                                             "float32")])
def test_precision_reaches_the_optimiser(given, expected, demo_images, tmp_path,
                                         monkeypatch):
    from style_lib.pixel import optimize
    seen = {}
    real = optimize.stylize

    def spy(content, style, settings, **kwargs):
        seen["settings"] = settings
        return real(content, style, settings, **kwargs)
    monkeypatch.setattr(optimize, "stylize", spy)
    code = cli.main(["tubingen", "starry_night", "-o", str(tmp_path / "r.png"),
                     "--size", "48", "--steps", "2", "--weights", "imagenet", "-q",
                     *given])
    assert code == 0 and seen["settings"].precision == expected


def test_end_to_end_in_a_subprocess_with_files(demo_images, tmp_path):
    out = tmp_path / "out.jpg"
    run = subprocess.run(
        [sys.executable, "-m", "style_lib", str(demo_images / "chelsea.png"),
         str(demo_images / "the_scream.jpg"), "-o", str(out), "--size", "32",
         "--steps", "2", "--optimizer", "adam", "--weights", "imagenet", "-q"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""          # TensorFlow's C++ logs are silenced
    assert out.stat().st_size > 0


def run_bad(args, capsys):
    with pytest.raises(SystemExit) as done:
        code = cli.main(args)
        raise SystemExit(code)
    err = capsys.readouterr().err.strip()
    return done.value.code, err


def test_output_equal_to_an_input_is_refused_and_the_input_kept(tmp_path, capsys):
    content = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(content)
    before = content.read_bytes()
    code, err = run_bad([str(content), "starry_night", "-o", str(content)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "would overwrite the input image" in err
    assert content.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["missing.jpg", "starry_night", "-o", "x.png"], "not found"),
    (["tubingen", "starry_night", "-o", "x.png", "--style-weight", "-3"],
     "must be a finite number >= 0"),
    (["tubingen", "starry_night", "-o", "x.png", "--size", "0"], "from 16 to 4096"),
    (["tubingen", "starry_night", "-o", "x.png", "--size", "big"], "not a whole number of pixels"),
    (["tubingen", "starry_night", "-o", "x.gif"], "unknown image suffix"),
    (["tubingen", "starry_night", "-o", "no/such/dir/x.png"], "does not exist"),
    (["tubingen", "starry_night", "-o", "x.png", "--optimizer", "sgd"],
     "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_code_2(args, message, capsys, tmp_path,
                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run_bad(args, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert message in err
    assert not (tmp_path / "x.png").exists()


def test_unwritable_output_folder(tmp_path, capsys, monkeypatch):
    import os
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(locked)
                        else real_access(p, mode))
    code, err = run_bad(["tubingen", "starry_night", "-o", str(locked / "x.png")],
                        capsys)
    assert code == 2 and "not writable" in err


@pytest.mark.parametrize("env, weights, expected", [
    ({}, "offline", "weights='hed'"),
    ({"STYLE_LIB_WEIGHTS": "{tmp}/none"}, "auto", "make weights"),
])
def test_weights_problems_are_one_line_with_the_fix(demo_images, tmp_path, monkeypatch,
                                                   capsys, env, weights, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(tmp=tmp_path))
    out = tmp_path / "x.png"
    code = cli.main(["chelsea", "starry_night", "-o", str(out), "--size", "32",
                     "--steps", "1", "--weights", weights, "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    assert len(err.splitlines()) == 1 and expected in err and "Traceback" not in err


def test_no_progress_bar_in_a_log(demo_images, tmp_path):
    """Run from a script (stderr not a terminal): no carriage-return updates."""
    out = tmp_path / "out.png"
    run = subprocess.run(
        [sys.executable, "-m", "style_lib", "chelsea", "starry_night", "-o", str(out),
         "--size", "32", "--steps", "25", "--weights", "imagenet"],
        capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "\r" not in run.stdout
    assert "Wrote" in run.stdout


def test_a_quoted_tilde_path_is_one_input_and_never_overwritten(tmp_path, capsys,
                                                                 monkeypatch):
    # "~/c.png" reaches the CLI unexpanded when quoted; loading and saving expand
    # it, so the overwrite check must too.
    monkeypatch.setenv("HOME", str(tmp_path))
    content = tmp_path / "c.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(content)
    before = content.read_bytes()
    code, err = run_bad(["~/c.png", "starry_night", "-o", "~/c.png"], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "would overwrite the input image" in err
    assert content.read_bytes() == before


@pytest.mark.parametrize("name", ["chelsea", "tubingen"])
def test_the_file_a_demo_name_reads_is_never_overwritten(name, demo_images, capsys,
                                                         tmp_path, monkeypatch):
    import shutil

    from style_lib.io import data
    committed = tmp_path / "images"         # a copy: a regression must not hit the repo
    shutil.copytree(download.REPO_IMAGES, committed)
    monkeypatch.setattr(download, "REPO_IMAGES", committed)
    source = data.path(name)               # committed (chelsea) or cached (tubingen)
    before = source.read_bytes()
    code, err = run_bad([name, "starry_night", "-o", str(source)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "would overwrite the input image" in err
    assert source.read_bytes() == before


def test_a_negative_seed_is_refused_at_the_door(capsys):
    code, err = run_bad(["tubingen", "starry_night", "-o", "x.png", "--seed", "-1"],
                        capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "seed must be a whole number >= 0" in err and "Traceback" not in err


def test_size_16_on_a_4_3_photo_is_one_line(demo_images, tmp_path, capsys):
    code, err = run_bad(["tubingen", "starry_night", "-o", str(tmp_path / "x.png"),
                         "--size", "16", "--weights", "imagenet"], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "16x12 px" in err and "size >= 22" in err
    assert not list(tmp_path.iterdir())


def test_method_fast_paints_with_a_trained_network(demo_images, tmp_path, capsys):
    from style_lib.fast import network
    net = network.save_model(network.build_transform_net(0.25), tmp_path / "tiny.keras")
    out = tmp_path / "fast.png"
    code = cli.main(["chelsea", "any", "-o", str(out), "--size", "48", "--method", "fast",
                     "--model", str(net)])
    assert code == 0, capsys.readouterr().err
    assert "one forward pass" in capsys.readouterr().out
    with Image.open(out) as img:
        assert img.size == (48, 32)


def test_method_fast_blends_paintings_of_a_many_style_network(demo_images, tmp_path, capsys):
    from style_lib.fast import network
    styles = ["starry_night", "the_scream", "great_wave"]
    net = network.save_model(network.build_transform_net(0.25, styles=styles),
                             tmp_path / "many.keras")
    out = tmp_path / "blend.png"
    code = cli.main(["chelsea", "the_scream", "great_wave", "-o", str(out), "--size", "40",
                     "--method", "fast", "--model", str(net), "--style-blend-weights", "1", "3"])
    assert code == 0, capsys.readouterr().err
    with Image.open(out) as img:
        assert img.size == (40, 27)
    code = cli.main(["chelsea", "shipwreck", "-o", str(tmp_path / "o.png"), "--size", "40",
                     "--method", "fast", "--model", str(net)])
    err = capsys.readouterr().err
    assert code == 2 and "not styles of this network" in err and "starry_night" in err
    assert len(err.strip().splitlines()) == 1


def test_method_fast_finds_a_painting_inside_the_committed_many_style_network(
        demo_images, tmp_path, capsys, monkeypatch):
    from style_lib.fast import network
    many = network.pretrained_names(many=True)
    held = network.style_names(network.load_pretrained(many[0]))
    real = network.pretrained_names           # every painting has a network of its own
    monkeypatch.setattr(network, "pretrained_names",  # now: hide one of them
                        lambda many=False: real(many) if many else
                        [n for n in real() if n != held[-1]])
    inside = [s for s in held if s not in network.pretrained_names()]
    assert inside, "the committed many-style network holds no painting of its own"
    out = tmp_path / "o.png"
    code = cli.main(["chelsea", inside[0], "-o", str(out), "--size", "48", "--method", "fast"])
    assert code == 0, capsys.readouterr().err
    assert out.is_file()


@pytest.mark.parametrize("styles, args, message", [
    (["the_scream"], ["--method", "fast", "--model", "missing.keras"], "No model file"),
    (["shipwreck"], ["--method", "fast"], "No trained network for 'shipwreck'"),
    (["shipwreck", "the_kiss"], ["--method", "fast"], "No trained network holds all"),
    (["starry_night", "the_scream"], ["--method", "fast", "--model",
                                      "style_lib/fast/models/starry_night/model.keras"],
     "paints one painting"),
])
def test_method_fast_bad_input_is_one_line(styles, args, message, demo_images, tmp_path,
                                           capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = cli.main(["chelsea", *styles, "-o", str(tmp_path / "o.png"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_model_without_method_fast_is_refused_at_the_door(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["chelsea", "the_scream", "-o", str(tmp_path / "o.png"), "--model", "x.keras"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "--model needs --method fast" in err
    assert len(err.strip().splitlines()) == 1


def test_until_finished_stops_and_says_how_far_it_got(demo_images, tmp_path, capsys):
    out = tmp_path / "finished.png"
    code = cli.main(["tubingen", "starry_night", "-o", str(out), "--size", "64",
                     "--until", "finished"])
    assert code == 0 and out.exists()
    printed = capsys.readouterr().out
    assert re.search(r"\d+ lbfgs steps, finished \(style 0\.\d\d x the photo's distance, "
                     r"layout 0\.9\d\)", printed), printed


@pytest.mark.parametrize("styles, args, message", [
    (["starry_night", "the_scream"], ["--until", "finished"], "judges one painting"),
    (["starry_night"], ["--until", "finished", "--coarse-to-fine"], "runs at one size"),
    (["starry_night"], ["--until", "finished", "--style-loss", "mrf"], "Gram matrices"),
    (["starry_night"], ["--until", "done"], "invalid choice"),
])
def test_until_finished_refuses_what_it_cannot_judge(styles, args, message, tmp_path, capsys):
    code, err = run_bad(["tubingen", *styles, "-o", str(tmp_path / "o.png"), *args], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
