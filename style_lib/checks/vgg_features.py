"""Checkers for VGG16's input and feature maps (notebook 01, exercises 1-3).

* :func:`check_preprocess` -- exercise 1, RGB images to VGG16's input;
* :func:`check_feature_shape` -- exercise 2, the shape of a layer's maps;
* :func:`check_receptive_field` -- exercise 3, a layer's receptive field.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import vgg
from .engine import _Case, _Checker, _match_factor, _match_mistakes, _Mismatch


# ---------------------------------------------------------- preprocess ---

def check_preprocess(fn: Callable) -> bool:
    """Check ``fn(images) -> VGG input`` against ``style_lib.core.vgg.preprocess``.

    Expected: RGB in ``[0, 255]`` -> BGR minus ``vgg.BGR_MEAN``, same
    shape, for ``(1, H, W, 3)`` and ``(H, W, 3)``. Returns True if everything
    agrees.
    """
    chk = _Checker(fn, "preprocess", "style_lib.core.vgg.preprocess")
    rng = np.random.default_rng(5)
    shapes = [((1, 6, 5, 3), "tf.Tensor"), ((7, 4, 3), "NumPy"),
              ((2, 5, 4, 3), "NumPy"), ((6, 6, 3), "tf.Tensor")]
    try:
        for shape, kind in shapes:
            case = _Case(((255 * rng.random(shape)).astype(np.float32),), kind)
            got = chk.value(chk.call(case), case)
            want = np.asarray(vgg.preprocess(case.arrays[0]), np.float64)
            chk.compare(got, want, case, _diagnose_pre)
        grey = np.full((1, 4, 4, 3), 100.0, np.float32)
        out = chk.run(grey, kind="NumPy")
        chk.prop(np.allclose(out[0, 0, 0], 100.0 - vgg.BGR_MEAN, atol=1e-3),
                 f"a grey pixel (100, 100, 100) becomes "
                 f"{np.round(100.0 - vgg.BGR_MEAN, 2)}",
                 "a grey pixel does not become 100 - BGR_MEAN.",
                 "subtract vgg.BGR_MEAN from the BGR pixel.")
        x = (255 * rng.random((1, 4, 5, 3))).astype(np.float32)
        chk.gradient([x], 0, vgg.preprocess,
                     project=rng.standard_normal(x.shape).astype(np.float32))
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} turns RGB [0, 255] into BGR minus the "
                       "ImageNet mean, like style_lib.core.vgg.preprocess.")


def _diagnose_pre(got, want, case: _Case) -> str | None:
    """Hint for a wrong preprocess: shape, a known mistake, a factor 1/255."""
    if got.shape != want.shape:
        return (f"the output must have the input's shape {want.shape}; "
                f"yours is {got.shape}.")
    return _match_mistakes(got, case, _PRE_MISTAKES) or _match_factor(
        got, want, [(1 / 255.0, "don't divide by 255: VGG16 (Caffe) "
                                "works on [0, 255].")])


#: Known wrong preprocessings ``images -> VGG input`` and their hints.
_PRE_MISTAKES = [
    (lambda x: np.float64(x) - vgg.BGR_MEAN,
     "you subtracted the mean but kept the RGB order. VGG16 expects BGR: "
     "flip the channels first with x[..., ::-1], then subtract BGR_MEAN "
     "(which is in B, G, R order)."),
    (lambda x: np.float64(x)[..., ::-1] - vgg.BGR_MEAN[::-1],
     "you flipped the channels but subtracted the mean in R, G, B order; "
     "after the flip channel 0 is blue, so subtract BGR_MEAN as it is."),
    (lambda x: np.float64(x)[..., ::-1],
     "you flipped RGB to BGR but forgot to subtract the ImageNet mean "
     "vgg.BGR_MEAN."),
    (lambda x: np.float64(x)[..., ::-1] / 255.0 - vgg.BGR_MEAN,
     "VGG16 (Caffe weights) expects values in [0, 255], not [0, 1]: don't "
     "divide by 255."),
    (lambda x: (np.float64(x) - np.mean(x, axis=(-3, -2), keepdims=True)
                )[..., ::-1],
     "subtract the fixed ImageNet mean vgg.BGR_MEAN, not this image's own "
     "mean: the network was trained with the fixed one."),
    (lambda x: np.float64(x)[..., ::-1, :] - vgg.BGR_MEAN,
     "you flipped the image left-right instead of its channels: the "
     "channels are the last axis, x[..., ::-1]."),
    (lambda x: np.float64(x)[..., ::-1, :, :] - vgg.BGR_MEAN,
     "you flipped the image upside down instead of its channels: the "
     "channels are the last axis, x[..., ::-1]."),
]


# -------------------------------------------------- feature-map shapes ---

def check_feature_shape(fn: Callable) -> bool:
    """Check ``fn(layer, height, width) -> (h, w, channels)`` for VGG16.

    ``layer`` is a paper name (``"conv3_1"``, ``"pool2"``); the answer is the
    shape of that layer's feature maps for a ``height x width`` image (the
    convolutions keep the size, each 2x2 pool halves it, rounding down).
    Checked for all 18 layers at several image sizes, odd ones included.
    """
    chk = _Checker(fn, "feature_shape", "style_lib.core.vgg.LAYERS")
    sizes = [(256, 256), (224, 320), (97, 131), (64, 48)]
    try:
        for h, w in sizes:
            for layer in vgg.LAYERS:
                want = (h // layer.stride, w // layer.stride, layer.filters)
                call = f"{chk.name}({layer.name!r}, {h}, {w})"
                out = chk.invoke((layer.name, h, w), call,
                                 "vgg.layer_info(name) gives the block's "
                                 "filters and stride.")
                try:
                    got = tuple(out)
                    ok = len(got) == 3 and all(float(g) == int(g) for g in got)
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    raise chk.fail(f"{call} returned "
                                   f"{out!r}; expected a tuple of 3 whole "
                                   "numbers (h, w, channels).",
                                   "use // for the halving so the sizes stay "
                                   "integers.")
                got = tuple(int(g) for g in got)
                if got != want:
                    raise chk.fail(
                        f"{call} = {got}, expected "
                        f"{want}.", _feature_shape_hint(layer, got, want, h, w))
            chk.ok(f"all 18 layers for a {h}x{w} image")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} knows every VGG16 layer's output shape.")


def _feature_shape_hint(layer, got, want, h, w) -> str:
    """Hint for a wrong shape: channels, swapped, rounded up, or the rule."""
    if got[2] != want[2]:
        return (f"{layer.name} has {layer.filters} filters (channels): blocks "
                "1..5 have 64, 128, 256, 512, 512.")
    if got[:2] == (want[1], want[0]):
        return "height and width are swapped: return (h, w, channels)."
    if got[:2] == (-(-h // layer.stride), -(-w // layer.stride)):
        return ("for odd sizes pooling rounds down (a 2x2 pool with stride 2 "
                "drops the last row/column): use // (floor division).")
    n_pools = int(np.log2(layer.stride))
    return (f"{layer.name} comes after {n_pools} pooling layer(s), each "
            f"halving the size, so the maps are image size // {layer.stride}"
            "; the 3x3 convolutions ('same' padding) keep the size.")


# ---------------------------------------------------- receptive fields ---

def check_receptive_field(fn: Callable) -> bool:
    """Check ``fn(layer) -> int``: receptive field in pixels of a VGG16 layer.

    ``layer`` is a paper name (``"conv1_1"`` ... ``"pool5"``). Rule: start at
    1 pixel with a jump of 1; each 3x3 convolution adds ``2 * jump``; each
    2x2 pool adds ``jump`` and then doubles the jump. Checked for all 18
    layers against ``vgg.layer_info(layer).receptive_field``.
    """
    chk = _Checker(fn, "receptive_field", "style_lib.core.vgg.LAYERS")
    try:
        for layer in vgg.LAYERS:
            got = chk.invoke((layer.name,), f"{chk.name}({layer.name!r})",
                             "walk through vgg.LAYERS in order until you "
                             "reach the layer.")
            try:
                ok = float(got) == layer.receptive_field
            except (TypeError, ValueError):
                ok = False
            if not ok:
                if got == _rf_no_jump(layer.name):
                    hint = ("after each pool, one step on the feature map is "
                            "2x more pixels (the jump doubles), so a 3x3 conv "
                            "adds 2 * jump pixels, not 2.")
                elif got == _rf_no_pool(layer.name):
                    hint = ("a 2x2 pool also widens the field: it adds 1 * "
                            "jump pixels before the jump doubles.")
                else:
                    hint = ("follow the rule: field = 1, jump = 1; conv: "
                            "field += 2 * jump; pool: field += jump, then "
                            "jump *= 2.")
                raise chk.fail(f"{chk.name}({layer.name!r}) = {got!r}, "
                               f"expected {layer.receptive_field}.", hint)
        chk.ok("all 18 layers, conv1_1 (3 px) to pool5 "
               f"({vgg.layer_info('pool5').receptive_field} px)")
    except _Mismatch:
        return False
    return chk.success(f"{chk.name} gives every VGG16 layer's receptive field.")


def _rf_no_jump(name: str) -> int:
    """The wrong field that forgets the jump: +2 per conv, +1 per pool."""
    field = 1
    for layer in vgg.LAYERS:
        field += 2 if layer.kind == "conv" else 1
        if layer.name == name:
            return field
    raise KeyError(name)


def _rf_no_pool(name: str) -> int:
    """The wrong field that lets the pools double the jump but add nothing."""
    field, jump = 1, 1
    for layer in vgg.LAYERS:
        if layer.kind == "conv":
            field += 2 * jump
        else:
            jump *= 2
        if layer.name == name:
            return field
    raise KeyError(name)
