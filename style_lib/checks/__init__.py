"""Exercise checkers: test your own function against style_lib, with hints.

A notebook calls ``checks.check_gram_matrix(my_gram_matrix)``. The checker
runs ``my_gram_matrix`` on seeded random inputs -- NumPy arrays and
tf.Tensors, ``(1, H, W, C)`` and ``(H, W, C)`` -- and compares it with the
library's function, then checks properties the maths guarantees (a Gram
matrix is symmetric, a loss is zero when both sides agree, ...) and that
gradients flow through it, agree with the library's and with finite
differences. It prints ``✓ ...`` lines and returns True when everything
agrees; otherwise it prints what failed with a specific hint and returns
False. It never raises because an answer is wrong; it raises ``TypeError``
only when it is not given a function.

The checkers, by notebook and exercise, with the signature each expects:

* 01, exercises 1-3 (:mod:`.vgg_features`):
  :func:`check_preprocess` -- ``preprocess(images) -> VGG input``;
  :func:`check_feature_shape` -- ``feature_shape(layer, height, width)
  -> (h, w, channels)``; :func:`check_receptive_field` --
  ``receptive_field(layer) -> int``
* 02 (:mod:`.content`): :func:`check_content_loss` --
  ``content_loss(features, target) -> scalar``; exercise 1:
  :func:`check_content_gradient` -- ``content_gradient(z, target) -> dL/dz``
  (eq. 2, through the ReLU)
* 03, the text and exercises 1-2 (:mod:`.gram`):
  :func:`check_gram_matrix` -- ``gram_matrix(features) -> (C, C)``
  (``batch=True``: also ``(B, H, W, C) -> (B, C, C)``)
* 04, exercises 1-2 (:mod:`.style`): :func:`check_style_loss` --
  ``style_layer_loss(features, target_gram)`` (one layer, eq. 4), or
  ``style_loss(features_by_layer, targets_by_layer)`` (dicts, eq. 5 with
  weights ``1/L``), detected automatically
* 06, exercise 1 (:mod:`.total_variation`): :func:`check_total_variation`
  -- ``total_variation_loss(image) -> scalar``
* 07, exercises 1-2 (:mod:`.interactive`): :func:`check_style_share` --
  ``style_share(stylizer, image) -> beta L_style / J``;
  :func:`check_strength_callback` -- ``on_strength(change)`` sets the
  app's style-weight slider to ``10 ** (1 + 4 s)``
* 08, exercise 1 (:mod:`.color`): :func:`check_combine_luminance` --
  ``combine_luminance(stylised, content) -> RGB``; exercise 2
  (:mod:`.gram`): :func:`check_guided_gram` -- ``guided_gram(features,
  mask) -> (C, C)``
* 09, exercise 1 (:mod:`.fast`): :func:`check_instance_norm` --
  ``instance_norm(x, gamma, beta) -> (B, H, W, C)``
* 10, exercise 1 (:mod:`.fast`): :func:`check_conditional_instance_norm` --
  ``conditional_instance_norm(x, style, gammas, betas) -> (B, H, W, C)``
* 11, exercises 1-2 (:mod:`.mrf`): :func:`check_extract_patches` --
  ``extract_patches(features, size) -> (n, size, size, C)``;
  :func:`check_normalized_cross_correlation` -- ``ncc(features,
  style_patches) -> (h-k+1, w-k+1, n)``
* 12, exercises 1-2 (:mod:`.video`): :func:`check_warp` -- ``warp(image,
  flow) -> (H, W, C)`` (backward, bilinear); :func:`check_consistency_mask`
  -- ``consistency_mask(forward, backward) -> (H, W)`` of 0 and 1

How a check runs and how it finds its hints: :mod:`.engine`, the machinery
they share (and :func:`rel_error`, the measure they print).
* 13, exercise 1 (:mod:`.adain`): :func:`check_adain` --
  ``adain(content, style) -> (B, h, w, C)``
"""
from __future__ import annotations

from .adain import check_adain
from .color import check_combine_luminance
from .content import check_content_gradient, check_content_loss
from .engine import TOLERANCE, rel_error
from .fast import check_conditional_instance_norm, check_instance_norm
from .gram import check_gram_matrix, check_guided_gram
from .interactive import check_strength_callback, check_style_share
from .mrf import check_extract_patches, check_normalized_cross_correlation
from .style import check_style_loss
from .total_variation import check_total_variation
from .vgg_features import (check_feature_shape, check_preprocess,
                           check_receptive_field)
from .video import check_consistency_mask, check_warp

__all__ = ["check_adain", "check_gram_matrix", "check_guided_gram", "check_combine_luminance",
           "check_style_share", "check_strength_callback",
           "check_content_loss", "check_content_gradient",
           "check_style_loss",
           "check_total_variation", "check_preprocess", "check_feature_shape",
           "check_receptive_field", "check_instance_norm", "check_conditional_instance_norm",
           "check_extract_patches", "check_normalized_cross_correlation",
           "check_warp", "check_consistency_mask",
           "rel_error", "TOLERANCE"]
