"""Adaptive instance normalisation (issue 31): the operation, the decoder, training
(checkpoints, resume, two devices) and the command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from style_lib.io import training_photos
from style_lib.adain import model as adain_model
from style_lib.adain import training
from style_lib.adain.__main__ import main as adain_main
from style_lib.errors import SettingsError, WeightsError

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(0)


def test_adain_gives_the_content_the_styles_channel_statistics():
    content = tf.constant(RNG.normal(3.0, 2.0, (1, 5, 6, 4)), tf.float32)
    style = tf.constant(RNG.normal(-1.0, 0.5, (1, 7, 3, 4)) * np.arange(1, 5), tf.float32)
    out = adain_model.adain(content, style, eps=0.0)
    o_mean, o_std = adain_model.channel_stats(out, eps=0.0)
    s_mean, s_std = adain_model.channel_stats(style, eps=0.0)
    np.testing.assert_allclose(o_mean, s_mean, atol=1e-5)
    np.testing.assert_allclose(o_std, s_std, rtol=1e-4)
    # the layout (the normalised content) is kept: same correlation pattern per channel
    c = content.numpy()[0].reshape(-1, 4)
    o = out.numpy()[0].reshape(-1, 4)
    for k in range(4):
        assert np.corrcoef(c[:, k], o[:, k])[0, 1] > 0.9999


def test_channel_stats_by_hand():
    x = np.arange(2 * 3 * 2, dtype=np.float32).reshape(1, 2, 3, 2) ** 1.5
    mean, std = adain_model.channel_stats(tf.constant(x), eps=0.0)
    flat = x.reshape(-1, 2)
    np.testing.assert_allclose(mean.numpy().ravel(), flat.mean(0), rtol=1e-6)
    np.testing.assert_allclose(std.numpy().ravel(), flat.std(0), rtol=1e-5)
    assert mean.shape == (1, 1, 1, 2)


def test_the_decoder_mirrors_the_encoder():
    decoder = adain_model.build_decoder(width=0.25)
    out = decoder(tf.zeros((2, 5, 7, 512)))
    assert out.shape == (2, 40, 56, 3)                # three poolings undone
    assert not any("lambda" in layer.name.lower() for layer in decoder.layers)
    with pytest.raises(SettingsError, match="width"):
        adain_model.build_decoder(width=0)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan")])
def test_alpha_outside_0_1_is_refused(alpha):
    with pytest.raises(SettingsError, match="alpha"):
        adain_model.check_alpha(alpha)


def _tiny(**changes) -> training.AdaINConfig:
    settings = dict(paintings=("starry_night", "great_wave"),
                    photos=tuple(training_photos.TRAINING_NAMES[:3]), size=32, batch_size=2,
                    steps=3, width=0.25, precision="float32", seed=0)
    return training.AdaINConfig(**{**settings, **changes})


def test_bad_training_settings_are_one_clear_error():
    with pytest.raises(SettingsError, match="multiple of 8"):
        _tiny(size=36).checked()
    with pytest.raises(SettingsError, match="held out"):
        _tiny(paintings=("the_kiss",)).checked()
    with pytest.raises(SettingsError, match="held out"):
        _tiny(photos=(training_photos.HELD_OUT_NAMES[0],)).checked()


def test_training_checkpoints_resumes_and_paints(demo_images, tmp_path):
    first = training.train(_tiny(steps=2), tmp_path, progress=False, checkpoint_every=1)
    assert first.history["step"] == [1, 2] and (tmp_path / "model.keras").is_file()
    again = training.train(_tiny(steps=4), tmp_path, progress=False, checkpoint_every=1)
    assert again.history["step"] == [1, 2, 3, 4]          # went on from step 2
    assert all(np.isfinite(again.history["total"]))
    model = adain_model.AdaIN(tmp_path / "model.keras", precision="float32")
    photo = RNG.uniform(0, 255, (37, 45, 3)).astype(np.float32)     # not a multiple of 8
    picture = model(photo, "the_kiss", alpha=0.5)
    assert picture.shape == (37, 45, 3) and 0 <= picture.min() and picture.max() <= 255
    both = model(photo, ["the_kiss", "shipwreck"], blend=[1, 0])
    np.testing.assert_allclose(both, model(photo, "the_kiss"), atol=1e-3)
    assert np.allclose(model(photo, "the_kiss", alpha=0.0),
                       model(photo, "shipwreck", alpha=0.0), atol=1e-3)   # α = 0: no style


def test_a_fine_tune_starts_from_the_given_decoder_and_learns_to_give_the_photo_back(
        demo_images, tmp_path):
    first = training.train(_tiny(steps=1), tmp_path / "a", progress=False)
    assert first.history["identity"] == [0.0]                  # no identity loss asked for
    init = str(tmp_path / "a" / "model.keras")
    tuned = training.train(_tiny(steps=1, init=init, identity_weight=50.0,
                                 learning_rate=1e-12), tmp_path / "b", progress=False)
    for before, after in zip(first.decoder.get_weights(), tuned.decoder.get_weights()):
        np.testing.assert_allclose(after, before, atol=1e-6)   # the same decoder, not a new one
    assert tuned.history["identity"][0] > 0
    assert tuned.history["total"][0] > tuned.history["content"][0]   # the term counts
    with pytest.raises(SettingsError, match="init"):
        _tiny(init=str(tmp_path / "missing.keras")).checked()


def test_bfloat16_paints_what_float32_paints_with_the_decoders_current_weights(demo_images):
    decoder = adain_model.build_decoder(0.25, input_scale=100.0)
    randomised = lambda: [RNG.normal(0, 0.2, w.shape) for w in decoder.get_weights()]  # noqa: E731
    decoder.set_weights(randomised())
    photo = RNG.uniform(0, 255, (48, 40, 3)).astype(np.float32)
    fine = adain_model.AdaIN(decoder, precision="float32")(photo, "the_kiss")
    model = adain_model.AdaIN(decoder, precision="bfloat16")
    coarse = model(photo, "the_kiss")
    assert fine.std() > 10                                      # a picture, not flat grey
    assert np.abs(coarse - fine).mean() < 0.05 * fine.std() + 1.0   # 8 bits of mantissa
    decoder.set_weights(randomised())                            # it trains on
    assert np.abs(model(photo, "the_kiss") - coarse).mean() > 0.2 * fine.std()


def test_a_foreign_model_is_not_a_decoder(tmp_path, small_net_path):
    with pytest.raises(WeightsError, match="not an AdaIN decoder"):
        adain_model.load_decoder(small_net_path)


@pytest.fixture
def small_net_path(tmp_path):
    from style_lib.fast.network import build_transform_net, save_model
    return save_model(build_transform_net(width=0.125), tmp_path / "net.keras")


MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from style_lib.adain import training
    from style_lib.io import training_photos
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    config = training.AdaINConfig(paintings=("starry_night",), size=32, batch_size=4, steps=3,
                                  photos=tuple(training_photos.TRAINING_NAMES[:3]), width=0.25,
                                  precision="float32", seed=0)
    out = {}
    for name, strategy in (("one", None), ("two", mirrored)):
        r = training.train(config, f"{sys.argv[1]}/{name}", strategy=strategy, progress=False)
        out[name] = {"total": r.history["total"],
                     "replicas": (strategy or tf.distribute.get_strategy()).num_replicas_in_sync}
    print(json.dumps(out))
""")


def test_training_runs_unchanged_on_two_devices(demo_images, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["one"]["replicas"] == 1 and out["two"]["replicas"] == 2
    np.testing.assert_allclose(out["two"]["total"], out["one"]["total"], rtol=2e-3)


@pytest.mark.parametrize("argv, message", [
    (["stylize", "chelsea", "the_kiss", "-o", "x.png", "--alpha", "2"], "alpha must be from 0"),
    (["stylize", "chelsea", "no_such_painting", "-o", "x.png"], "no_such_painting"),
    (["train", "--out", "run", "--paintings", "the_kiss"], "held out"),
    (["train", "--out", "run", "--size", "36"], "multiple of 8"),
])
def test_the_command_line_refuses_in_one_line(argv, message, tmp_path, monkeypatch, capsys,
                                              demo_images):
    monkeypatch.chdir(tmp_path)
    try:
        code = adain_main(argv)
    except SystemExit as done:
        code = done.code
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "run" / "model.keras").exists()


def test_the_main_command_line_paints_with_adain(demo_images, tmp_path, capsys):
    from style_lib import cli
    from style_lib.io.images import load_image
    training.train(_tiny(steps=1), tmp_path / "decoder", progress=False)
    decoder = tmp_path / "decoder" / "model.keras"
    out = tmp_path / "out.png"
    code = cli.main(["chelsea", "the_kiss", "shipwreck", "-o", str(out), "--method", "adain",
                     "--model", str(decoder), "--alpha", "0.7", "--size", "48",
                     "--style-blend-weights", "1", "2", "--precision", "float32"])
    assert code == 0 and load_image(out).shape[:2] == (32, 48)
    assert "adaptive instance normalisation" in capsys.readouterr().out
    for bad, message in ((["--alpha", "1.5"], "alpha must be from 0"),
                         (["--steps", "5"], "does not use --steps"),
                         (["-o", str(decoder), "--overwrite"], "")):
        argv = ["chelsea", "the_kiss", "-o", str(tmp_path / "bad.png"), "--method", "adain",
                "--model", str(decoder), *bad]
        try:
            code = cli.main(argv)
        except SystemExit as done:
            code = done.code
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert decoder.stat().st_size > 1000                 # the decoder was never overwritten


def test_the_app_paints_follows_alpha_and_refuses_a_bad_upload(demo_images, tmp_path):
    from style_lib.adain.app import AdaINApp
    training.train(_tiny(steps=1), tmp_path / "decoder", progress=False)
    model = adain_model.AdaIN(tmp_path / "decoder" / "model.keras", precision="float32")
    photo = RNG.uniform(0, 255, (40, 56, 3)).astype(np.float32)
    painting = RNG.uniform(0, 255, (48, 48, 3)).astype(np.float32)
    app = AdaINApp(model, {"noise": photo}, {"painting": painting}, size=48, alpha=1.0)
    assert app.last_image.shape == (34, 48, 3) and bytes(app.after.value).startswith(b"\x89PNG")
    full = app.last_image
    app.alpha.value = 0.0                                  # the slider redraws the picture
    assert not np.allclose(app.last_image, full) and "α = 0.00" in app.status.value
    assert app.upload("painting", b"not an image", "monet.jpg") is False
    assert "Upload refused" in app.status.value and "monet.jpg" in app.status.value
    assert app.pickers["painting"].options == ("painting",)
    import io
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.full((30, 30, 3), 90, np.uint8)).save(buffer, format="PNG")
    assert app.upload("painting", buffer.getvalue(), "grey.png") is True
    assert app.pickers["painting"].value == "grey (upload)"


def test_a_clip_in_any_painting_frame_by_frame_and_from_the_command_line(demo_images,
                                                                          tmp_path, capsys):
    from style_lib.video import clips, temporal
    from style_lib.video.__main__ import main as video_main
    training.train(_tiny(steps=1), tmp_path / "decoder", progress=False)
    decoder = tmp_path / "decoder" / "model.keras"
    model = adain_model.AdaIN(decoder, precision="float32")
    from style_lib.io import data
    clip = clips.synthetic_clip(data.load("chelsea"), frames=3, size=(32, 48))
    alone = temporal.stylize_clip_adain(model, clip.frames, "the_kiss", temporal=False,
                                        progress=False)
    tied = temporal.stylize_clip_adain(model, clip.frames, "the_kiss", flows=clip.true_flows,
                                       blend=0.6, progress=False)
    assert alone.frames.shape == tied.frames.shape == clip.frames.shape
    np.testing.assert_allclose(alone.frames[0], tied.frames[0], atol=1e-3)   # frame 1 alike
    assert not np.allclose(alone.frames[1], tied.frames[1])                 # then blended
    assert tied.method == "adain temporal" and tied.settings["alpha"] == 1.0
    out = tmp_path / "clip.mp4"
    code = video_main(["pan:chelsea", "the_kiss", "-o", str(out), "--method", "adain",
                       "--model", str(decoder), "--frames", "3", "--size", "48",
                       "--alpha", "0.5", "-q"])
    assert code == 0 and out.stat().st_size > 0
    with pytest.raises(SystemExit) as done:
        video_main(["pan:chelsea", "the_kiss", "-o", str(tmp_path / "x.mp4"), "--method",
                    "adain", "--steps", "3"])
    assert done.value.code == 2 and "does not use --steps" in capsys.readouterr().err


def test_make_models_retrains_the_committed_decoder_as_it_was_trained():
    """``make models`` is the record of how the decoder was made: its fine-tune settings
    (ADAIN_FINE_TUNE) are those of the committed config.json, and the base run's settings
    those of the base run's record beside it (base/config.json)."""
    import json
    import re
    makefile = (ROOT / "Makefile").read_text()
    tune = re.search(r"^ADAIN_FINE_TUNE = (.*)$", makefile, re.M).group(1)
    flag = lambda name: float(re.search(rf"--{name} (\S+)", tune).group(1))  # noqa: E731
    folder = adain_model.PRETRAINED_DIR / "decoder"
    config = json.loads((folder / "config.json").read_text())
    assert (config["identity_weight"], config["learning_rate"], config["steps"]) == (
        flag("identity-weight"), flag("learning-rate"), int(flag("steps")))
    assert config["init"], "the committed decoder is a fine-tune of the base run"
    base = json.loads((folder / "base" / "config.json").read_text())
    base_line = re.search(r"adain train --style-weight (\S+) --steps (\d+)", makefile)
    assert (base["style_weight"], base["steps"]) == (float(base_line.group(1)),
                                                      int(base_line.group(2)))
    assert base.get("identity_weight", 0.0) == 0.0 and not base.get("init")
    history = json.loads((folder / "history.json").read_text())
    assert history["step"][-1] == config["steps"]           # trained to the end


def test_the_committed_decoder_gives_each_held_out_photo_back_at_alpha_0(demo_images):
    """What the identity loss taught: at α = 0 (the photo's own features) the picture keeps
    the photo's light and dark (the decoder of the paper's loss alone painted every photo
    pale: 0.69 on coffee)."""
    from style_lib.core.quality import layout_correlation
    model = adain_model.AdaIN(precision="auto")
    for photo in training_photos.center_squares(training_photos.HELD_OUT_NAMES, 256):
        back = model(photo, "the_kiss", alpha=0.0)
        assert layout_correlation(back, photo) >= 0.85
