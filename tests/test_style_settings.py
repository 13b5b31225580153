"""One checked settings object (issue 30): made at the door, passed down whole,
each value checked once."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from style_lib import cli, settings
from style_lib.pixel import optimize
from style_lib.errors import SettingsError
from style_lib.settings import StyleSettings


def count_calls(monkeypatch, name: str) -> list[int]:
    """Replace ``settings.<name>`` in every style_lib module that holds it by a
    counting wrapper; return the one-element counter."""
    original = getattr(settings, name)
    calls = [0]

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("style_lib") \
                and getattr(module, name, None) is original:
            monkeypatch.setattr(module, name, counting)
    return calls


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    return (rng.uniform(0, 255, (40, 48, 3)).astype(np.float32),
            rng.uniform(0, 255, (40, 40, 3)).astype(np.float32))


@pytest.mark.parametrize("name, setting", [("check_size", "size"),
                                           ("check_weight", "style_weight"),
                                           ("check_steps", "steps"),
                                           ("check_optimizer", "optimizer")])
def test_stylize_checks_each_setting_once(name, setting, pair, monkeypatch):
    calls = count_calls(monkeypatch, name)
    optimize.clear_cache()
    result = optimize.stylize(*pair, size=32, steps=2, style_weight=10.0,
                              optimizer="lbfgs", weights="imagenet", progress=False)
    assert result.image.shape[:2] == (27, 32)
    weights_checked = 3 if name == "check_weight" else 1  # α, β and γ: one check each
    assert calls[0] == weights_checked, f"{name} ran {calls[0]} times"


def test_preserving_colour_checks_size_once(pair, monkeypatch):
    calls = count_calls(monkeypatch, "check_size")
    optimize.clear_cache()
    optimize.stylize(*pair, size=32, steps=1, preserve_color="luminance",
                     weights="imagenet", progress=False)
    assert calls[0] == 1


def test_a_settings_object_is_passed_down_unchecked(pair, monkeypatch):
    made = StyleSettings(size=32, steps=1, weights="imagenet")
    calls = count_calls(monkeypatch, "check_size")
    optimize.clear_cache()
    result = optimize.stylize(*pair, made, progress=False)
    assert calls[0] == 0 and result.settings["size"] == 32


def test_replace_checks_only_what_changed(monkeypatch):
    made = StyleSettings(size=64)
    size_calls = count_calls(monkeypatch, "check_size")
    weight_calls = count_calls(monkeypatch, "check_weight")
    changed = made.replace(style_weight=5.0)
    assert changed.style_weight == 5.0 and changed.size == 64 and made.style_weight is None
    assert size_calls[0] == 0 and weight_calls[0] == 1


def test_changing_the_loss_takes_its_default_layers():
    gram = StyleSettings()
    mrf = gram.replace(style_loss="mrf")
    assert mrf.style_layers == settings.MRF_STYLE_LAYERS and mrf.mrf is not None
    back = mrf.replace(style_loss="gram")
    assert back.style_layers == settings.DEFAULT_STYLE_LAYERS and back.mrf is None
    chosen = StyleSettings(style_layers=["conv2_1"]).replace(style_loss="mrf")
    assert chosen.style_layers == ("conv2_1",)


@pytest.mark.parametrize("fields, setting, text", [
    ({"size": 5}, "size", "from 16 to 4096"),
    ({"style_weight": -1}, "style_weight", "finite number >= 0"),
    ({"layer_weights": [1, 2]}, "layer_weights", "has 2 values for 5"),
    ({"precision": "half"}, "precision", "precision must be one of"),
    ({"mrf": {"stride": 2}}, "mrf", "need style_loss='mrf'"),
    ({"style_loss": "mrf", "mrf": {"strid": 2}}, "mrf", "unknown setting 'strid'"),
])
def test_a_bad_setting_names_itself(fields, setting, text):
    with pytest.raises(SettingsError, match=text) as err:
        StyleSettings(**fields)
    assert err.value.setting == setting
    with pytest.raises(SettingsError, match=text):
        StyleSettings().replace(**fields)


def test_settings_are_frozen_and_unknown_names_refused():
    made = StyleSettings()
    with pytest.raises(AttributeError):
        made.size = 3
    with pytest.raises(SettingsError, match="no setting 'sise'"):
        made.replace(sise=3)
    with pytest.raises(SettingsError, match="must be a StyleSettings"):
        optimize.stylize("tubingen", "starry_night", {"size": 64})


@pytest.mark.parametrize("argv, option", [
    (["--size", "8"], "--size"), (["--style-weight", "nan"], "--style-weight"),
    (["--seed", "-1"], "--seed"), (["--steps", "0"], "--steps"),
    (["--style-blend-weights", "1", "inf"], "--style-blend-weights"),
])
def test_the_cli_builds_the_object_and_names_the_option(argv, option, capsys, tmp_path):
    with pytest.raises(SystemExit) as done:
        cli.main(["tubingen", "starry_night", "the_scream", "-o",
                  str(tmp_path / "x.png"), *argv])
    err = capsys.readouterr().err
    assert done.value.code == 2 and len(err.strip().splitlines()) == 1
    assert f"argument {option}: " in err
