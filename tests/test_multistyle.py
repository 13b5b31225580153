"""One network, many styles (Dumoulin et al.): conditional instance norm, training,
adding a style, blending, the committed network, the CLI and the slider app."""
from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from style_lib.io import training_photos
from style_lib.errors import SettingsError, StyleLibError, WeightsError
from style_lib.fast import network, training
from style_lib.fast.normalization import ConditionalInstanceNormalization, InstanceNormalization

RNG = np.random.default_rng(1)
STYLES = ["starry_night", "great_wave", "the_scream"]


@pytest.fixture(scope="module")
def three_style_net():
    """A width-0.25 network of three styles whose γ, β rows differ."""
    import keras
    keras.utils.set_random_seed(0)
    model = network.build_transform_net(0.25, styles=STYLES)
    rng = np.random.default_rng(0)
    for v in model.weights:
        if v.path.endswith("/gamma"):
            v.assign(rng.uniform(0.5, 2.0, v.shape))
        elif v.path.endswith("/beta"):
            v.assign(rng.normal(0.0, 0.5, v.shape))
    return model


def test_conditional_norm_with_one_hot_weights_is_that_styles_instance_norm():
    x = tf.constant(RNG.normal(1.0, 2.0, (3, 5, 7, 4)).astype(np.float32))
    cin = ConditionalInstanceNormalization(3)
    cin.build(x.shape)
    cin.gamma.assign(RNG.uniform(0.5, 2, (3, 4))), cin.beta.assign(RNG.normal(0, 1, (3, 4)))
    plain = InstanceNormalization()
    plain.build(x.shape)
    for s in range(3):
        plain.gamma.assign(cin.gamma[s]), plain.beta.assign(cin.beta[s])
        one_hot = tf.constant(np.tile(np.eye(3, dtype=np.float32)[s], (3, 1)))
        np.testing.assert_allclose(cin(x, one_hot).numpy(), plain(x).numpy(), atol=1e-5)
    # a blend mixes γ and β linearly: the output is the same blend of the outputs
    w = tf.constant([[0.25, 0.75, 0.0]] * 3)
    a = cin(x, tf.constant([[1.0, 0, 0]] * 3)).numpy()
    b = cin(x, tf.constant([[0, 1.0, 0]] * 3)).numpy()
    np.testing.assert_allclose(cin(x, w).numpy(), 0.25 * a + 0.75 * b, atol=1e-5)
    # each picture of a batch has its own style; one picture alone (fused kernel) agrees
    mixed = tf.constant(np.eye(3, dtype=np.float32))
    both = cin(x, mixed).numpy()
    for i in range(3):
        np.testing.assert_allclose(cin(x[i:i + 1], mixed[i:i + 1]).numpy()[0], both[i],
                                   atol=1e-4)


def test_a_many_style_network_shares_everything_but_gamma_and_beta(three_style_net):
    one = network.build_transform_net(0.25)
    norm_params = sum(int(np.prod(v.shape)) for v in one.weights
                      if v.path.endswith(("/gamma", "/beta")))
    assert three_style_net.count_params() == one.count_params() + 2 * norm_params
    assert [i.name for i in three_style_net.inputs] == ["photo", "style"]
    assert network.style_names(three_style_net) == STYLES
    assert network.style_names(one) is None


def test_stylize_fast_picks_or_blends_styles_by_name_index_or_weights(three_style_net):
    photo = RNG.uniform(0, 255, (30, 42, 3)).astype(np.float32)
    by_name = network.stylize_fast(three_style_net, photo, style="great_wave")
    np.testing.assert_array_equal(by_name, network.stylize_fast(three_style_net, photo, style=1))
    np.testing.assert_allclose(
        by_name, network.stylize_fast(three_style_net, photo, style=[0, 3, 0]), atol=1e-4)
    a = network.stylize_fast(three_style_net, photo, style="starry_night")
    assert np.abs(a - by_name).mean() > 1.0                       # the styles differ
    half = network.stylize_fast(three_style_net, photo, style={"starry_night": 1,
                                                               "great_wave": 1})
    assert 0 < np.abs(half - a).mean() < np.abs(by_name - a).mean()
    batch = network.stylize_fast(three_style_net, np.stack([photo, photo]), style=1,
                                 batch_size=1)
    np.testing.assert_allclose(batch[1], by_name, atol=1e-3)
    for bad, message in (("mona_lisa", "not in this network.*starry_night"),
                         (3, "out of range 0..2"), ([1, 1], "3 numbers"),
                         ([0, 0, 0], "not all 0"), ([1, -1, 1], "numbers >= 0"),
                         ({"mona_lisa": 1}, "not styles of this network"),
                         (None, "holds 3 styles")):
        with pytest.raises(SettingsError, match=message):
            network.stylize_fast(three_style_net, photo, style=bad)
    with pytest.raises(SettingsError, match="one style"):
        network.stylize_fast(network.build_transform_net(0.25), photo, style="starry_night")


def test_a_many_style_network_saves_loads_and_runs_in_bfloat16(three_style_net, tmp_path):
    photo = RNG.uniform(0, 255, (24, 24, 3)).astype(np.float32)
    again = network.load_model(network.save_model(three_style_net, tmp_path / "m.keras"))
    assert network.style_names(again) == STYLES
    exact = network.stylize_fast(three_style_net, photo, style=[1, 2, 0])
    np.testing.assert_allclose(network.stylize_fast(again, photo, style=[1, 2, 0]), exact,
                               atol=1e-3)
    fast = network.stylize_fast(again, photo, style=[1, 2, 0], precision="bfloat16")
    assert 0 < np.abs(fast - exact).mean() < 3.0


def _tiny(**changes) -> training.TrainConfig:
    base = dict(style=("starry_night", "great_wave"),
                photos=tuple(training_photos.TRAINING_NAMES[:3]), size=32, style_size=64,
                batch_size=2, steps=24, learning_rate=5e-3, width=0.25, precision="float32")
    return training.TrainConfig(**{**base, **changes})


def test_training_several_styles_gives_each_batch_one_painting(demo_images, tmp_path):
    result = training.train(_tiny(), tmp_path, progress=False)
    painting = result.history["painting"]
    assert len(painting) == 24 and set(painting) == {0, 1}
    assert painting == [training.style_of_step(0, s, [0, 1]) for s in range(1, 25)]
    assert network.style_names(result.model) == ["starry_night", "great_wave"]
    assert json.loads((tmp_path / "config.json").read_text())["style"] == \
        ["starry_night", "great_wave"]
    # the loss of each painting falls (each compared with its own first batches)
    total = np.asarray(result.history["total"])
    for k in (0, 1):
        mine = total[np.asarray(painting) == k]
        assert mine[-3:].mean() < 0.8 * mine[:3].mean(), (k, mine)


def test_adding_a_style_trains_only_its_gamma_and_beta(demo_images, tmp_path):
    base = training.train(_tiny(steps=4), tmp_path / "base", progress=False)
    config = training.add_style_config(base.model_path, "the_scream", steps=6)
    assert config.style == ("starry_night", "great_wave", "the_scream")
    assert config.train_only_norms and config.size == 32 and config.width == 0.25
    added = training.train(config, tmp_path / "added", progress=False)
    assert set(added.history["painting"]) == {2}                  # only the new painting
    old = {v.path: v.numpy() for v in base.model.weights}
    moved = 0
    for v in added.model.weights:
        if v.path.endswith(("/gamma", "/beta")):
            np.testing.assert_array_equal(v.numpy()[:2], old[v.path])     # old styles kept
            moved += not np.allclose(v.numpy()[2], old[v.path].mean(axis=0))
        else:
            np.testing.assert_array_equal(v.numpy(), old[v.path])         # convs frozen
    assert moved > 0
    with pytest.raises(SettingsError, match="base model holds"):
        training.train(training.TrainConfig(**{**vars(config), "style": ("great_wave", "x")}),
                       tmp_path / "bad", progress=False)
    with pytest.raises(SettingsError, match="one-style network"):
        training.add_style_config(_one_style_model(tmp_path), "the_scream")
    with pytest.raises(SettingsError, match="needs a base_model"):
        _tiny(train_only_norms=True).checked()


def _one_style_model(tmp_path):
    return network.save_model(network.build_transform_net(0.25), tmp_path / "one.keras")


def test_the_app_blends_with_sliders_and_never_raises(three_style_net):
    from style_lib.fast.blend_app import StyleBlendApp
    photo = RNG.uniform(0, 255, (40, 60, 3)).astype(np.float32)
    app = StyleBlendApp(three_style_net, {"noise": photo}, size=48, precision="float32")
    assert app.last_image.shape == (32, 48, 3)
    np.testing.assert_array_equal(app.last_weights, [1, 0, 0])
    first = app.last_image
    app.sliders["great_wave"].value = 1.0                           # a drag redraws
    np.testing.assert_allclose(app.last_weights, [0.5, 0.5, 0])
    assert np.abs(app.last_image - first).mean() > 0.5
    assert "0.50 starry_night + 0.50 great_wave" in app.status.value
    assert bytes(app.picture.value).startswith(b"\x89PNG")
    assert app.set_weights({"the_scream": 1}) is True
    np.testing.assert_array_equal(app.last_weights, [0, 0, 1])
    shown = app.last_image
    app.sliders["the_scream"].value = 0.0                           # every slider at 0
    assert "Every slider is at 0" in app.status.value and app.last_image is shown
    assert app.set_weights({"mona_lisa": 1}) is False and "not styles" in app.status.value
    with pytest.raises(StyleLibError, match="many-style network"):
        StyleBlendApp(network.build_transform_net(0.25), {"noise": photo})


# -- the committed network ------------------------------------------------------

def _committed():
    names = network.pretrained_names(many=True)
    assert names, "no many-style network is committed (make models)"
    return names[0], network.load_pretrained(names[0])


def test_a_many_style_network_is_committed_with_its_command_and_curve():
    name, model = _committed()
    folder = network.PRETRAINED_DIR / name
    for file in ("model.keras", "command.txt", "config.json", "history.json", "loss.png"):
        assert (folder / file).is_file(), file
    styles = network.style_names(model)
    assert len(styles) >= 4
    assert json.loads((folder / "config.json").read_text())["style"] == styles
    assert name not in network.pretrained_names()          # not a one-style painting
    assert (folder / "model.keras").stat().st_size < 4e6


def test_the_committed_network_paints_held_out_photos_in_each_style(demo_images):
    from style_lib.core.quality import Judge
    _, model = _committed()
    photo = training_photos.center_squares([training_photos.HELD_OUT_NAMES[0]], 256)[0]
    for painting in network.style_names(model):
        verdict = Judge(photo, painting, size=256)(
            network.stylize_fast(model, photo, style=painting))
        # measured (1600 steps, 256-px crops): 0.38 starry_night ... 0.80 composition_vii, layout
        # >= 0.93; the first, blotchy network was at 0.34-0.50 (issue 28 keeps this open)
        assert verdict.relative < 0.85 and verdict.layout > 0.75, (painting, verdict)


def test_blending_moves_monotonically_from_one_style_to_the_other(demo_images):
    """Outputs for weights (1 - t, t): their style distance to the t = 1 picture
    falls, and to the t = 0 picture rises, at every step of t."""
    from style_lib.core.quality import Judge
    _, model = _committed()
    a, b = network.style_names(model)[:2]
    photo = training_photos.center_squares([training_photos.HELD_OUT_NAMES[1]], 128)[0]
    ts = np.linspace(0, 1, 9)
    pictures = [network.stylize_fast(model, photo, style={a: 1 - t, b: t}) for t in ts]
    to_b = Judge(photo, pictures[-1], size=128)
    to_a = Judge(photo, pictures[0], size=128)
    towards_b = [to_b.distance(p) for p in pictures]
    away_from_a = [to_a.distance(p) for p in pictures]
    assert np.all(np.diff(towards_b) < 0), towards_b
    assert np.all(np.diff(away_from_a) > 0), away_from_a


def test_find_pretrained_picks_a_painting_inside_the_many_style_network(monkeypatch):
    name, model = _committed()
    styles = network.style_names(model)
    real = network.pretrained_names           # every painting has a network of its own:
    monkeypatch.setattr(network, "pretrained_names",  # hide one to reach the many-style one
                        lambda many=False: real(many) if many else
                        [n for n in real() if n != styles[-1]])
    only_inside = [s for s in styles if s not in network.pretrained_names()]
    assert only_inside, styles
    found, style = network.find_pretrained(only_inside[0])
    assert network.style_names(found) == styles and style == only_inside[0]
    found, style = network.find_pretrained(*styles[:2])
    assert network.style_names(found) == styles and style is None
    one, style = network.find_pretrained("starry_night")
    assert network.style_names(one) is None and style is None
    with pytest.raises(WeightsError, match="No trained network holds all"):
        network.find_pretrained("starry_night", "mona_lisa")
