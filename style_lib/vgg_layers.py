"""The VGG16 layer table: names (the paper's and Keras's), filters, receptive
fields and strides. Plain data, no TensorFlow: the settings check layer names
with it, :mod:`style_lib.core.vgg` builds the network from it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from .errors import SettingsError

__all__ = ["BLOCKS", "VGGLayer", "LAYERS", "CONV_LAYERS", "layer_info"]

BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


@dataclass(frozen=True)
class VGGLayer:
    """One VGG16 layer: names, filters, receptive field and stride (px)."""

    name: str          # paper name, e.g. "conv4_2"
    keras_name: str    # e.g. "block4_conv2"
    kind: str          # "conv" or "pool"
    filters: int
    receptive_field: int
    stride: int        # total downsampling: feature map = image / stride


def _layer_table() -> tuple[VGGLayer, ...]:
    layers, field, jump = [], 1, 1
    for block, (filters, convs) in enumerate(BLOCKS, start=1):
        for i in range(1, convs + 1):
            field += 2 * jump
            layers.append(VGGLayer(f"conv{block}_{i}", f"block{block}_conv{i}",
                                   "conv", filters, field, jump))
        field += jump
        jump *= 2
        layers.append(VGGLayer(f"pool{block}", f"block{block}_pool", "pool",
                               filters, field, jump))
    return tuple(layers)


LAYERS: tuple[VGGLayer, ...] = _layer_table()
CONV_LAYERS: tuple[str, ...] = tuple(l.name for l in LAYERS if l.kind == "conv")
_BY_NAME = {l.name: l for l in LAYERS} | {l.keras_name: l for l in LAYERS}


def layer_info(name: str) -> VGGLayer:
    """Return the :class:`VGGLayer` for a paper or Keras layer name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_BY_NAME), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SettingsError(
            f"Unknown VGG16 layer {name!r}.{hint} Use a paper name "
            f"(conv1_1 ... conv5_3, pool1 ... pool5) or a Keras name "
            f"(block1_conv1 ... block5_pool).") from None
