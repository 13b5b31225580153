"""Any painting in one pass: adaptive instance normalisation (Huang & Belongie 2017).

``model`` holds AdaIN itself, the decoder and :class:`~style_lib.adain.model.AdaIN`
(encoder + AdaIN + decoder, with α, blends, masks and colour preservation);
``training`` trains the decoder; ``python -m style_lib.adain train`` is the
command (notebook 13).
"""
from __future__ import annotations

from .model import AdaIN, adain, build_decoder, channel_stats, load_decoder, load_pretrained

__all__ = ["AdaIN", "adain", "build_decoder", "channel_stats", "load_decoder",
           "load_pretrained"]
