"""Fast style transfer (Johnson et al. 2016): a network stylises in one pass.

``network`` holds the transformation network and :func:`stylize_fast`;
``training`` trains it on the objective of :mod:`style_lib.core.objective`;
``python -m style_lib.fast train --style starry_night`` is the command.
"""
from __future__ import annotations

from .network import (build_transform_net, load_model, load_pretrained, pretrained_names,
                      save_model, stylize_fast)
from .training import TrainConfig, TrainResult, train

__all__ = ["build_transform_net", "load_model", "load_pretrained", "pretrained_names",
           "save_model", "stylize_fast",
           "TrainConfig", "TrainResult", "train"]
