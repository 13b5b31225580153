"""``python -m style_lib``: colour, several styles, masks, large prints."""
import numpy as np
import pytest
from PIL import Image

from style_lib import cli
from style_lib.core import color
from style_lib.pixel import large, memory

NEW_OPTIONS = ("--preserve-color", "--style-blend-weights", "--style-scale",
               "--mask", "--coarse-to-fine", "--sizes", "--style-loss",
               "--mrf-rotations", "--mrf-scales")


def test_help_lists_the_new_options(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in NEW_OPTIONS:
        assert option in out
    assert "STYLE [STYLE ...]" in out


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    content = rng.uniform(0, 255, (30, 40, 3)).astype(np.uint8)
    content[:, :20, 1:] //= 3                      # a red half
    style_a = np.tile(np.linspace(0, 255, 8, dtype=np.uint8)[:, None, None],
                      (5, 40, 3))
    style_b = style_a.transpose(1, 0, 2).copy()
    mask = np.zeros((30, 40), np.uint8)
    mask[:12] = 255
    paths = {}
    for name, arr in (("content", content), ("a", style_a), ("b", style_b),
                      ("mask", mask)):
        paths[name] = tmp_path / f"{name}.png"
        Image.fromarray(arr).save(paths[name])
    return {k: str(v) for k, v in paths.items()}


def run(args, capsys):
    code = cli.main(args + ["--weights", "imagenet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_two_styles_blend_scale_and_luminance(files, tmp_path, capsys):
    out = tmp_path / "out.png"
    code, stdout, err = run([files["content"], files["a"], files["b"], "-o",
                             str(out), "--size", "40", "--steps", "3",
                             "--style-blend-weights", "1", "3",
                             "--style-scale", "1", "0.5",
                             "--preserve-color", "luminance"], capsys)
    assert code == 0, err
    assert "Wrote" in stdout
    with Image.open(out) as img:
        result = np.asarray(img, np.float32)
    assert result.shape == (30, 40, 3)
    with Image.open(files["content"]) as img:
        content = np.asarray(img, np.float32)
    # chroma kept up to the 8-bit rounding of the saved file
    diff = color.rgb_to_yiq(result)[..., 1:] - color.rgb_to_yiq(content)[..., 1:]
    assert np.abs(diff).max() < 1.5


def test_masks_one_per_style_with_none(files, tmp_path, capsys):
    out = tmp_path / "masked.png"
    code, stdout, err = run([files["content"], files["a"], files["b"], "-o",
                             str(out), "--size", "40", "--steps", "2", "-q",
                             "--mask", files["mask"], "none",
                             "--preserve-color", "histogram"], capsys)
    assert code == 0, err
    assert stdout == "" and out.exists()


def test_sizes_run_coarse_to_fine(files, tmp_path, capsys):
    out = tmp_path / "large.png"
    code, stdout, err = run([files["content"], files["a"], "-o", str(out),
                             "--sizes", "24", "48", "--steps", "4"], capsys)
    assert code == 0, err
    assert "stage 1/2: 24x18 px, 4 steps" in stdout
    assert "stage 2/2: 48x36 px, 2 steps" in stdout
    assert "coarse to fine 24 -> 48 px (4+2 lbfgs steps)" in stdout
    assert "Memory: about" in stdout
    with Image.open(out) as img:
        assert img.size == (48, 36)


def test_coarse_to_fine_flag_uses_the_default_ladder(files, tmp_path, capsys,
                                                     monkeypatch):
    seen = {}

    def fake(content, style, *, sizes, steps, **kwargs):
        seen.update(sizes=sizes, steps=steps)
        raise SystemExit(0)

    monkeypatch.setattr(large, "coarse_to_fine", fake)
    with pytest.raises(SystemExit):
        run([files["content"], files["a"], "-o", str(tmp_path / "x.png"),
             "--size", "1024", "--coarse-to-fine", "--steps", "60"], capsys)
    assert seen == {"sizes": (256, 512, 1024), "steps": 60}


def test_mrf_style_loss_with_rotations(files, tmp_path, capsys, monkeypatch):
    from style_lib.pixel import optimize
    seen = {}
    original = optimize.stylize

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        seen.update(result.settings)
        return result

    monkeypatch.setattr(optimize, "stylize", spy)
    out = tmp_path / "mrf.png"
    code, stdout, err = run([files["content"], files["a"], "-o", str(out),
                             "--size", "40", "--steps", "3", "--style-loss", "mrf",
                             "--mrf-rotations", "1"], capsys)
    assert code == 0, err
    assert "Wrote" in stdout and out.exists()
    assert seen["style_loss"] == "mrf" and seen["mrf"]["rotations"] == 1
    assert seen["mrf"]["scales"] == 0
    assert seen["style_layers"] == ("conv3_1", "conv4_1")


def test_mrf_coarse_to_fine_uses_the_papers_ladder(files, tmp_path, capsys,
                                                   monkeypatch):
    seen = {}

    def fake(content, style, *, sizes, steps, **kwargs):
        seen.update(sizes=sizes, style_loss=kwargs["settings"].style_loss)
        raise SystemExit(0)

    monkeypatch.setattr(large, "coarse_to_fine", fake)
    with pytest.raises(SystemExit):
        run([files["content"], files["a"], "-o", str(tmp_path / "x.png"),
             "--size", "256", "--coarse-to-fine", "--style-loss", "mrf"], capsys)
    assert seen == {"sizes": (64, 128, 256), "style_loss": "mrf"}


def run_bad(args, capsys):
    with pytest.raises(SystemExit) as done:
        raise SystemExit(cli.main(args))
    return done.value.code, capsys.readouterr().err.strip()


@pytest.mark.parametrize("extra, message", [
    (["--style-blend-weights", "1"], "one weight per style: got 1 for 2"),
    (["--style-blend-weights", "0", "0"], "must not all be 0"),
    (["--style-blend-weights", "1", "-1"], "must be a finite number >= 0"),
    (["--style-scale", "1", "1", "1"], "one value or one per style: got 3"),
    (["--style-scale", "0"], "style_scale must be a number > 0"),
    (["--mask", "none"], "one mask per style"),
    (["--mask", "missing_mask.png", "none"], "not found"),
    (["--sizes", "512", "256"], "--sizes must increase"),
    (["--sizes", "256", "512", "--size", "300"], "differs from the last"),
    (["--preserve-color", "yes"], "invalid choice"),
    (["--style-loss", "patch"], "invalid choice"),
    (["--mrf-rotations", "1"], "need --style-loss mrf"),
    (["--style-loss", "mrf", "--mrf-scales", "9"], "from 0 to 4"),
    (["--style-loss", "mrf", "--mrf-scales", "x"], "a whole number from 0 to 4"),
    (["--style-loss", "mrf", "--mask", "none", "none"], "--mask works with Gram"),
    (["--style-loss", "mrf", "--method", "fast"], "--method optimize only"),
])
def test_bad_combinations_exit_2_with_one_line(files, tmp_path, capsys,
                                               monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    code, err = run_bad([files["content"], files["a"], files["b"], "-o",
                         "x.png", "--size", "24", "--steps", "1",
                         "--weights", "imagenet"] + extra, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert message in err
    assert not (tmp_path / "x.png").exists()


def test_too_large_for_memory_names_a_size(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 2**30)
    code, err = run_bad([files["content"], files["a"], "-o",
                         str(tmp_path / "x.png"), "--size", "4000"], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "largest size that fits is" in err and "--size" in err
