"""Fast style transfer: the transformation network, its training loop and CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from style_lib.io import training_photos
from style_lib.errors import ImageError, SettingsError, WeightsError
from style_lib.fast import network, training
from style_lib.fast.network import (InstanceNormalization, build_transform_net, load_model,
                                    save_model, stylize_fast)

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def small_net() -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_transform_net(0.25)


def test_the_network_keeps_the_size_and_the_pixel_range(small_net):
    x = RNG.uniform(0, 255, (2, 32, 48, 3)).astype(np.float32)
    y = small_net(x).numpy()                 # linear output: clipped when a picture is made
    assert y.shape == x.shape and y.dtype == np.float32
    picture = stylize_fast(small_net, x)
    assert picture.shape == x.shape and picture.min() >= 0 and picture.max() <= 255
    names = [layer.name for layer in small_net.layers]
    assert names[2:5] == ["conv_in", "down1", "down2"]
    assert [n for n in names if n.startswith("res")] == [f"res{i}" for i in range(1, 6)]
    assert small_net.get_layer("down2").output.shape[-1] == 32      # 128 x 0.25


def test_width_scales_the_parameters_about_quadratically():
    full = build_transform_net(1.0).count_params()
    half = build_transform_net(0.5).count_params()
    assert 1.6e6 < full < 1.8e6          # Johnson's network: about 1.7 M
    assert 3.5 < full / half < 4.1


def test_stylize_fast_takes_any_size_and_batches(small_net):
    odd = RNG.uniform(0, 255, (30, 45, 3)).astype(np.float32)
    out = stylize_fast(small_net, odd)
    assert out.shape == odd.shape
    batch = stylize_fast(small_net, np.stack([odd, odd[::-1]]), batch_size=1)
    np.testing.assert_allclose(batch[0], out, atol=1e-3)
    with pytest.raises(ImageError, match=r"\(H, W, 3\)"):
        stylize_fast(small_net, odd[..., 0])
    with pytest.raises(ImageError, match="at least 8 px"):
        stylize_fast(small_net, odd[:4, :4])


def test_bfloat16_stylises_within_a_few_levels_of_float32(small_net):
    photo = RNG.uniform(0, 255, (36, 44, 3)).astype(np.float32)
    exact = stylize_fast(small_net, photo)
    fast = stylize_fast(small_net, photo, precision="bfloat16")
    assert fast.shape == exact.shape and fast.dtype == np.float32
    assert 0 < np.abs(fast - exact).mean() < 2.0          # of 255 levels
    copy = network.in_precision(small_net, "bfloat16")
    assert copy is network.in_precision(small_net, "bfloat16")          # made once
    assert copy.get_layer("down1").conv.compute_dtype == "bfloat16"
    assert network.in_precision(small_net, "float32") is small_net
    with pytest.raises(SettingsError, match="precision must be one of"):
        stylize_fast(small_net, photo, precision="half")


def test_the_bfloat16_copy_follows_training_and_is_dropped_with_its_model():
    import gc
    import weakref
    net = build_transform_net(0.25)
    photo = RNG.uniform(0, 255, (24, 24, 3)).astype(np.float32)
    before = stylize_fast(net, photo, precision="bfloat16")
    for v in net.weights:                          # "training" changes the weights
        if v.path.endswith("/beta"):
            v.assign(v + 0.5)
    after = stylize_fast(net, photo, precision="bfloat16")
    assert np.abs(after - before).mean() > 1.0
    assert np.abs(after - stylize_fast(net, photo)).mean() < 2.0
    copy = network._CACHE[net]["bfloat16"]            # the network and its bfloat16 copy
    assert copy in network._CACHE and copy is not net
    del copy
    alive = weakref.ref(net)
    del net
    gc.collect()
    assert alive() is None                            # the cache does not keep it alive


def test_one_picture_takes_the_fused_kernel_with_the_same_values_and_gradients():
    x = tf.constant(RNG.normal(2.0, 3.0, (1, 6, 10, 5)).astype(np.float32))
    norm = InstanceNormalization()
    norm.build(x.shape)
    norm.gamma.assign(RNG.uniform(0.5, 2, 5)), norm.beta.assign(RNG.normal(0, 1, 5))
    weights = tf.constant(RNG.normal(0, 1, (1, 6, 10, 5)).astype(np.float32))

    def value_and_grads(batch):                 # batch 2: the tf.nn.moments path
        with tf.GradientTape() as tape:
            tape.watch(batch)
            y = norm(batch)[:1]
            loss = tf.reduce_sum(y * weights)
        return [y] + tape.gradient(loss, [batch, norm.gamma, norm.beta])

    fused = value_and_grads(x)
    reference = value_and_grads(tf.concat([x, x + 1.0], axis=0))
    reference[1] = reference[1][:1]
    for a, b in zip(fused, reference):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=2e-4)


def test_instance_norm_normalises_each_picture_on_its_own():
    x = RNG.normal(3.0, 5.0, (2, 8, 8, 4)).astype(np.float32)
    x[1] *= 100.0                                # a much brighter second picture
    norm = InstanceNormalization()
    y = norm(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1, atol=1e-3)
    np.testing.assert_allclose(norm(x[:1]).numpy(), y[:1], atol=1e-5)   # batch-independent
    batch_norm = keras.layers.BatchNormalization(axis=-1)
    b = batch_norm(x, training=True).numpy()
    assert not np.allclose(batch_norm(x[:1], training=True).numpy(), b[:1], atol=1e-2)


def test_transposed_upsampling_is_the_comparison_and_bad_choices_say_so():
    net = build_transform_net(0.25, upsample="transposed")
    assert net(np.zeros((1, 16, 16, 3), np.float32)).shape == (1, 16, 16, 3)
    with pytest.raises(SettingsError, match="upsample"):
        build_transform_net(0.25, upsample="bilinear")
    with pytest.raises(SettingsError, match="width"):
        build_transform_net(0)


def test_save_and_load_give_the_same_pictures(small_net, tmp_path):
    x = RNG.uniform(0, 255, (1, 16, 24, 3)).astype(np.float32)
    path = save_model(small_net, tmp_path / "net.keras")
    assert not list(tmp_path.glob(".*tmp*"))
    again = load_model(path)
    np.testing.assert_allclose(again(x).numpy(), small_net(x).numpy(), atol=1e-4)
    with pytest.raises(SettingsError, match=r"\.keras"):
        save_model(small_net, tmp_path / "net.h5")
    with pytest.raises(WeightsError, match="No model file"):
        load_model(tmp_path / "missing.keras")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="is not a Keras model file"):
        load_model(bad)


def test_random_crops_are_seeded_squares_of_the_photos():
    photos = [RNG.uniform(0, 255, (40, 60, 3)).astype(np.float32),
              RNG.uniform(0, 255, (50, 30, 3)).astype(np.float32)]
    a = training.random_crops(photos, 16, seed=3)
    b = training.random_crops(photos, 16, seed=3)
    first = [next(a) for _ in range(6)]
    assert all(c.shape == (16, 16, 3) and c.dtype == np.float32 for c in first)
    assert all(np.array_equal(c, next(b)) for c in first)
    assert not np.array_equal(first[0], first[1])


def _tiny(**changes) -> training.TrainConfig:
    names = training_photos.TRAINING_NAMES[:3]
    base = dict(style="starry_night", photos=tuple(names), size=32, style_size=64,
                batch_size=2, steps=24, learning_rate=5e-3, width=0.25,
                precision="float32", seed=0)
    return training.TrainConfig(**{**base, **changes})


def test_training_lowers_the_loss_and_writes_its_files(demo_images, tmp_path):
    result = training.train(_tiny(), tmp_path, progress=False, checkpoint_every=10)
    total = np.asarray(result.history["total"])
    assert len(total) == 24 and np.all(np.isfinite(total))
    assert total[-6:].mean() < 0.8 * total[:6].mean()
    assert result.model_path == tmp_path / "model.keras" and result.model_path.is_file()
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["photos"] == list(training_photos.TRAINING_NAMES[:3])
    assert len(json.loads((tmp_path / "history.json").read_text())["step"]) == 24
    assert tf.train.latest_checkpoint(tmp_path / "checkpoints").endswith("-24")


def test_a_run_resumes_where_it_stopped_and_ctrl_c_keeps_the_checkpoint(demo_images,
                                                                       tmp_path):
    def interrupt(step, terms):
        if step == 5:
            raise KeyboardInterrupt
    first = training.train(_tiny(steps=8), tmp_path, progress=False, callback=interrupt)
    assert first.interrupted and len(first.history["step"]) == 5
    assert (tmp_path / "model.keras").is_file()
    second = training.train(_tiny(steps=8), tmp_path, progress=False)
    assert not second.interrupted
    assert second.history["step"] == list(range(1, 9))      # 1-5 kept, 6-8 new
    with pytest.raises(SettingsError, match="other settings .*size"):
        training.train(_tiny(steps=8, size=36), tmp_path, progress=False)


def test_bad_training_settings_are_one_clear_error():
    with pytest.raises(SettingsError, match="multiple of 4"):
        _tiny(size=30).checked()
    with pytest.raises(SettingsError, match="held out"):
        _tiny(photos=(training_photos.HELD_OUT_NAMES[0],)).checked()
    with pytest.raises(SettingsError, match="batch_size"):
        _tiny(batch_size=0).checked()


MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from style_lib.fast import training
    from style_lib.io import training_photos
    out = {}
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])   # one per process
    for style in ("starry_night", ("starry_night", "great_wave")):   # one style; many (notebook 10)
        config = training.TrainConfig(style=style, photos=tuple(training_photos.TRAINING_NAMES[:3]),
                                      size=32, style_size=64, batch_size=4, steps=3, width=0.25,
                                      precision="float32", seed=0)
        for name, strategy in (("one", None), ("two", mirrored)):
            r = training.train(config, f"{sys.argv[1]}/{len(config.styles)}/{name}",
                               strategy=strategy, progress=False)
            out[f"{len(config.styles)} {name}"] = {
                "total": r.history["total"],
                "replicas": (strategy or tf.distribute.get_strategy()).num_replicas_in_sync}
    print(json.dumps(out))
""")


def test_training_runs_unchanged_on_two_devices(demo_images, tmp_path):
    """MirroredStrategy over two logical CPUs: the same losses as one device, for a
    one-style and a two-style network."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    for n in (1, 2):
        one, two = out[f"{n} one"], out[f"{n} two"]
        assert one["replicas"] == 1 and two["replicas"] == 2
        np.testing.assert_allclose(two["total"], one["total"], rtol=2e-3)


def test_the_app_shows_a_picture_and_refuses_a_bad_upload(small_net):
    from style_lib.fast.app import FastStyleApp
    photo = RNG.uniform(0, 255, (40, 60, 3)).astype(np.float32)
    app = FastStyleApp({"tiny": small_net}, {"noise": photo}, size=48)
    assert app.last_image.shape == (32, 48, 3)              # resized to 48 px, then stylised
    assert bytes(app.after.value).startswith(b"\x89PNG") and "ms" in app.status.value
    first = app.last_image
    assert app.upload(b"not an image", "holiday.jpg") is False
    assert "Upload refused" in app.status.value and "holiday.jpg" in app.status.value
    assert app.photo_picker.options == ("noise",) and app.last_image is first
    import io
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.full((20, 30, 3), 200, np.uint8)).save(buffer, format="PNG")
    assert app.upload(buffer.getvalue(), "grey.png") is True
    assert app.photo_picker.value == "grey (upload)" and app.last_image is not first


def test_no_trained_network_is_one_line_naming_the_choices():
    with pytest.raises(WeightsError, match="No trained network for 'mona_lisa'.*Fix"):
        network.load_pretrained("mona_lisa")


@pytest.mark.parametrize("name", network.pretrained_names())
def test_the_committed_networks_stylise_held_out_photos(name, demo_images):
    """Each committed network: its files are there, and its pictures of photos it
    never saw are closer to its painting than the photos are (style_lib.core.quality)."""
    from style_lib.core.quality import Judge
    folder = network.PRETRAINED_DIR / name
    for file in ("model.keras", "command.txt", "config.json", "history.json", "loss.png"):
        assert (folder / file).is_file(), file
    config = json.loads((folder / "config.json").read_text())
    assert not set(config["photos"]) & set(training_photos.HELD_OUT_NAMES)
    model = network.load_pretrained(name)
    for photo_name in training_photos.HELD_OUT_NAMES:
        photo = training_photos.center_squares([photo_name], 256)[0]
        verdict = Judge(photo, name, size=256)(stylize_fast(model, photo))
        # make bench section 11 (256 px, worst photo): starry_night 0.49, great_wave 0.48, the_scream 0.55,
        # composition_vii 0.59 of the photo's distance; layout >= 0.86
        assert verdict.relative < 0.7 and verdict.layout > 0.8, (photo_name, verdict)


def test_a_network_per_painting_is_committed():
    assert set(network.pretrained_names()) >= {"starry_night", "great_wave", "the_scream",
                                               "composition_vii"}


def test_make_models_retrains_each_committed_one_painting_network_as_it_was_trained():
    """``make models`` is the record of how each network was made: its painting, steps and
    style weight (FAST_STYLES) and recipe (FAST_RECIPE) are those in the network's config.json
    and command.txt."""
    import json
    import re
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    styles = re.search(r"^FAST_STYLES = (.*)$", makefile, re.M).group(1).split()
    recipe = re.search(r"^FAST_RECIPE = (.*)$", makefile, re.M).group(1)
    size = int(re.search(r"--size (\d+)", recipe).group(1))
    style_size = int(re.search(r"--style-size (\d+)", recipe).group(1))
    assert styles
    for entry in styles:
        painting, steps, weight = entry.split(":")
        folder = network.PRETRAINED_DIR / painting
        config = json.loads((folder / "config.json").read_text())
        assert (config["style"], config["steps"], config["style_weight"], config["size"],
                config["style_size"]) == (painting, int(steps), float(weight), size, style_size)
        command = (folder / "command.txt").read_text()
        assert f"--style-weight {weight}" in command and f"--out style_lib/fast/models/{painting}" \
            in command, command


def test_the_training_command_writes_the_model_its_command_and_curve(demo_images, tmp_path,
                                                                     capsys):
    from style_lib.fast.__main__ import main
    out = tmp_path / "run"
    code = main(["train", "--style", "starry_night", "--out", str(out), "--steps", "3",
                 "--size", "32", "--style-size", "64", "--batch-size", "2", "--width", "0.25",
                 "--precision", "float32", "-q"])
    assert code == 0, capsys.readouterr().err
    for file in ("model.keras", "command.txt", "config.json", "history.json", "loss.png"):
        assert (out / file).is_file(), file
    assert (out / "command.txt").read_text().startswith("python -m style_lib.fast train")
    picture = tmp_path / "p.png"
    assert main(["stylize", "--model", str(out / "model.keras"), "chelsea", "-o",
                 str(picture), "--size", "40"]) == 0
    assert picture.is_file()
    assert main(["stylize", "--model", str(tmp_path / "none.keras"), "chelsea", "-o",
                 str(tmp_path / "q.png")]) == 2
    err = capsys.readouterr().err
    assert "No model file" in err and "Traceback" not in err
