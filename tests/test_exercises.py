"""Every checked exercise: the right answers pass, the typical wrong ones fail
with the hint that names their mistake, and the notebook calls that checker.

One entry per exercise (and per checker the text of a notebook uses on its own
function). The answers are in tests/exercise_answers.py; the notebooks' own
solutions are run against their checkers in test_notebook_definitions.py.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import ipywidgets
import pytest

from style_lib import checks
from style_lib.core import color, losses, spatial, vgg
from style_lib.teaching import widgets
from tests import exercise_answers as a
from tests.test_notebook_definitions import _notebook_path, solutions_from_notebook


def rf_always_three(layer):
    return 3


#: The app's style-weight slider, as StyleTransferApp builds it (log scale, notches 10^0.1).
SLIDER = ipywidgets.FloatLogSlider(value=1e3, base=10, min=widgets.STYLE_RANGE[0],
                                   max=widgets.STYLE_RANGE[1], step=0.1)
STRENGTH = a.strength_callbacks(SLIDER)


def check_strength(fn):
    SLIDER.value = 1e3
    return checks.check_strength_callback(fn, SLIDER)


@dataclass
class Exercise:
    """One exercise: where it is, its checker, right answers, wrong ones with hints."""

    notebook: str
    number: int | None                   # exercise number; None: the notebook's text
    checker: Callable[[Callable], bool]
    call: str                            # how the notebook calls the checker
    right: list[Callable]
    wrong: list[tuple[Callable, str]] = field(default_factory=list)


EXERCISES = {
    "01.1 preprocess": Exercise(
        "01_vgg16_features.ipynb", 1, checks.check_preprocess,
        "checks.check_preprocess(my_preprocess)", [vgg.preprocess, a.pre_ok],
        [(a.pre_no_flip, "kept the RGB order"),
         (a.pre_no_mean, "forgot to subtract the ImageNet mean"),
         (a.pre_wrong_mean_order, "R, G, B order"),
         (a.pre_scaled, "[0, 255], not [0, 1]")]),
    "01.2 feature shape": Exercise(
        "01_vgg16_features.ipynb", 2, checks.check_feature_shape,
        "checks.check_feature_shape(feature_shape)", [a.shape_ok],
        [(a.shape_ceil, "rounds down"), (a.shape_bad_channels, "filters"),
         (a.shape_float, "3 whole numbers")]),
    "01.3 receptive field": Exercise(
        "01_vgg16_features.ipynb", 3, checks.check_receptive_field,
        "checks.check_receptive_field(receptive_field)", [a.rf_ok],
        [(a.rf_no_jump, "jump doubles"), (rf_always_three, "expected")]),
    "02 content loss (text)": Exercise(
        "02_content_loss.ipynb", None, checks.check_content_loss,
        "checks.check_content_loss(content_loss)",
        [losses.content_loss, a.content_ok, a.content_l2],
        [(a.content_no_half, "forget the 1/2"),
         (a.content_mean, "averaged (tf.reduce_mean)"),
         (a.content_per_position, "number of positions M"),
         (a.content_norm, "norm ||F - P||"),
         (a.content_not_scalar, "must be one number"),
         (a.content_numpy, "not a tf.Tensor"),
         (a.content_bad_grad, "gradient is not")]),
    "02.1 content gradient": Exercise(
        "02_content_loss.ipynb", 1, checks.check_content_gradient,
        "checks.check_content_gradient(my_content_gradient)", [a.grad_ok],
        [(a.grad_no_relu_mask, "that is F - P everywhere"),
         (a.grad_z_for_f, "used z in place of F"),
         (a.grad_flipped, "the sign is flipped"),
         (a.grad_doubled, "twice the expected value"),
         (a.grad_sum, "must have the shape of z")]),
    "03.1 Gram matrix": Exercise(
        "03_gram_matrices.ipynb", 1, checks.check_gram_matrix,
        "checks.check_gram_matrix(my_gram_matrix)",
        [losses.gram_matrix, a.gram_reshape, a.gram_einsum],
        [(a.gram_f_ft, "F F^T instead of F^T F"),
         (a.gram_no_norm, "too large by a factor M = H*W"),
         (a.gram_nm, "divided by N*M"),
         (a.gram_scrambled, "reshaped (H, W, C) straight to (C, H*W)"),
         (a.gram_numpy, "not a tf.Tensor"),
         (a.gram_numpy_methods, "fails on a tf.Tensor"),
         (a.gram_batch_only, "works for 4-D inputs but not for 3-D"),
         (a.gram_stop_gradient, "no gradient flows"),
         (a.gram_raises, "raised RuntimeError: boom"),
         (a.gram_not_implemented, "not implemented yet"),
         (a.gram_returns_none, "forget the `return`"),
         (a.gram_complex, "returned complex numbers")]),
    "03.2 batched Gram": Exercise(
        "03_gram_matrices.ipynb", 2, functools.partial(checks.check_gram_matrix, batch=True),
        "checks.check_gram_matrix(batch_gram_matrix, batch=True)", [a.gram_einsum],
        [(a.gram_reshape, "(2, 4, 5, 3)")]),
    "04.1 one-layer style loss": Exercise(
        "04_style_loss.ipynb", 1, checks.check_style_loss,
        "checks.check_style_loss(my_style_layer_loss)",
        [losses.style_layer_loss, a.style_ok, a.style_one_layer_named_targets],
        [(a.style_mean, "forget the 1/4"),
         (a.style_no_quarter, "forget the 1/4"),
         (a.style_unnormalised, "not normalised"),
         (a.style_raw_gram, "Gram is not divided by M"),
         (a.style_extra_m2, "already inside G = F^T F / M"),
         (a.style_f_ft, "shapes do not match")]),
    "04.2 multi-layer style loss": Exercise(
        "04_style_loss.ipynb", 2, checks.check_style_loss,
        "checks.check_style_loss(my_style_loss)",
        [losses.style_loss, a.style_multi_ok, a.style_multi_odd_names],
        [(a.style_multi_unweighted, "w_l = 1/L"),
         (a.style_multi_float, "no gradient reaches the features of conv1_1"),
         (a.style_multi_stop_gradient, "no gradient reaches the features of conv1_1"),
         (a.style_multi_renormalised, "divided the weights by their sum"),
         (a.style_multi_loops_over_features, "over the layers of targets_by_layer")]),
    "06.1 total variation": Exercise(
        "06_the_papers_settings.ipynb", 1, checks.check_total_variation,
        "checks.check_total_variation(my_total_variation)",
        [losses.total_variation_loss, a.tv_ok],
        [(a.tv_tf_image, "tf.image.total_variation"),
         (a.tv_dy_only, "only used vertical differences"),
         (a.tv_mean, "averaged"),
         (a.tv_roll, "tf.roll wraps around"),
         (a.tv_batch_axis, "axis 0 is the batch"),
         (a.tv_only_4d, "works for 4-D inputs but not for 3-D"),
         (a.tv_crop_off_by_one, "skip the first row (an off-by-one crop)"),
         (a.tv_dy_twice, "counted the vertical differences (rows) twice"),
         (a.tv_shapes_clash, "the row differences x[..., 1:, :, :] - x[..., :-1, :, :] "
                             "are (H-1, W, 3)")]),
    "07.1 style share": Exercise(
        "07_interactive_weights.ipynb", 1, checks.check_style_share,
        "checks.check_style_share(style_share)", [a.share_ok],
        [(a.share_no_beta, "multiply the style loss by β"),
         (a.share_percent, "not a percentage"),
         (a.share_unweighted_sum, "their sum is not J"),
         (a.share_without_tv, "includes the smoothing term"),
         (a.share_of_content, "the content term's share"),
         (a.share_other_image, "use the `image` argument")]),
    "07.2 strength slider": Exercise(
        "07_interactive_weights.ipynb", 2, check_strength,
        "checks.check_strength_callback(on_strength, app.style_weight_slider)",
        [STRENGTH["strength_ok"], STRENGTH["strength_attribute"]],
        [(STRENGTH["strength_exponent"], "you set the exponent"),
         (STRENGTH["strength_no_one"], "the 1 in the exponent is missing"),
         (STRENGTH["strength_backwards"], "the slider runs backwards"),
         (STRENGTH["strength_own_variable"], "the style slider did not move")]),
    "08.1 luminance-only colour": Exercise(
        "08_beyond_the_basics.ipynb", 1, checks.check_combine_luminance,
        "checks.check_combine_luminance(my_combine_luminance)",
        [a.combine_yuv_ok, a.combine_library, color.combine_luminance],
        [(a.combine_returns_stylised, "the stylised image unchanged"),
         (a.combine_returns_content, "that is the content image"),
         (a.combine_swapped, "the inputs are swapped"),
         (a.combine_grey, "the colours are not the content's"),
         (a.combine_bad_inverse, "the way back to RGB is off: check the inverse"),
         (a.combine_two_channels, "return an (H, W, 3) image")]),
    "08.2 guided Gram": Exercise(
        "08_beyond_the_basics.ipynb", 2, checks.check_guided_gram,
        "checks.check_guided_gram(my_guided_gram)",
        [a.guided_ok, a.guided_keeps_batch, spatial.guided_gram],
        [(a.guided_batch_axis_always, "drop the batch axis"),
         (a.guided_ignores_mask, "the mask is not used"),
         (a.guided_by_m, "you divided by M = H*W"),
         (a.guided_by_sum_m, "you divided by sum(m)"),
         (a.guided_one_side, "applied on one side only")]),
    "09.1 instance norm": Exercise(
        "09_fast_style_transfer.ipynb", 1, checks.check_instance_norm,
        "checks.check_instance_norm(my_instance_norm)",
        [a.inorm_ok, a.inorm_numpy, a.inorm_library],
        [(a.inorm_batch_norm, "that is batch normalisation"),
         (a.inorm_layer_norm, "that is layer normalisation"),
         (a.inorm_no_affine, "now scale by gamma and add beta")]),
    "10.1 conditional instance norm": Exercise(
        "10_many_styles.ipynb", 1, checks.check_conditional_instance_norm,
        "checks.check_conditional_instance_norm(my_conditional_instance_norm)",
        [a.cin_ok, a.cin_blend_outputs, a.cin_library],
        [(a.cin_first_style, "used the first style's gamma and beta"),
         (a.cin_mean_style, "averaged the styles' gamma and beta"),
         (a.cin_first_picture, "the first picture's weights"),
         (a.cin_batch_statistics, "over the batch too")]),
    "13.1 adain": Exercise(
        "13_adain.ipynb", 1, checks.check_adain, "checks.check_adain(my_adain)",
        [a.adain_ok, a.adain_numpy, a.adain_library],
        [(a.adain_batch_statistics, "over the whole batch"),
         (a.adain_variance, "the variance where the standard deviation belongs"),
         (a.adain_no_mean, "the style's mean")]),
    "11.1 patch extraction": Exercise(
        "11_patches_mrf.ipynb", 1, checks.check_extract_patches,
        "checks.check_extract_patches(my_extract_patches)",
        [a.patches_ok, a.patches_tf, a.patches_library],
        [(a.patches_column_major, "column-major order"),
         (a.patches_same_padding, "that is 'SAME' padding"),
         (a.patches_flat, "reshape to (n, 3, 3, C)")]),
    "11.2 normalised cross-correlation": Exercise(
        "11_patches_mrf.ipynb", 2, checks.check_normalized_cross_correlation,
        "checks.check_normalized_cross_correlation(my_ncc)",
        [a.ncc_ok, a.ncc_loops, a.ncc_library],
        [(a.ncc_dots, "these are plain dot products"),
         (a.ncc_style_only, "the painting patches' lengths only"),
         (a.ncc_picture_only, "the picture patches' lengths only")]),
    "12.1 warping": Exercise(
        "12_video.ipynb", 1, checks.check_warp, "checks.check_warp(my_warp)",
        [a.warp_ok, a.warp_numpy, a.warp_library],
        [(a.warp_forward, "you warped forward (the flow's sign is flipped)"),
         (a.warp_xy_swapped, "x and y are swapped"),
         (a.warp_nearest, "rounded the positions to the nearest pixel")]),
    "12.2 consistency mask": Exercise(
        "12_video.ipynb", 2, checks.check_consistency_mask,
        "checks.check_consistency_mask(my_consistency_mask)",
        [a.mask_ok, a.mask_library],
        [(a.mask_swapped, "forward and backward are swapped"),
         (a.mask_disocclusion_only, "only the disocclusion test"),
         (a.mask_all_reliable, "everything is marked reliable"),
         (a.mask_inside_frame_forgotten, "falls outside the frame"),
         (a.mask_unwarped, "you compared forward(p) with backward(p) at the same pixel")]),
}

RIGHT = [(ex, fn) for ex, e in EXERCISES.items() for fn in e.right]
WRONG = [(ex, fn, hint) for ex, e in EXERCISES.items() for fn, hint in e.wrong]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_notebook_calls_this_checker(exercise):
    e = EXERCISES[exercise]
    if e.number is None:                   # the text checks its own function
        assert e.call in _notebook_path(e.notebook).read_text(encoding="utf-8")
        return
    solutions = solutions_from_notebook(e.notebook)   # one per exercise, in order
    assert solutions[e.number - 1].check == e.call, [s.check for s in solutions]


@pytest.mark.parametrize("exercise, fn", RIGHT, ids=[f"{ex}: {fn.__name__}" for ex, fn in RIGHT])
def test_right_answers_pass(exercise, fn, capsys):
    assert EXERCISES[exercise].checker(fn) is True
    out = capsys.readouterr().out
    assert "✓ All checks passed" in out and "✗" not in out, out


@pytest.mark.parametrize("exercise, fn, hint", WRONG,
                         ids=[f"{ex}: {fn.__name__}" for ex, fn, _ in WRONG])
def test_wrong_answers_fail_with_their_hint(exercise, fn, hint, capsys):
    assert EXERCISES[exercise].checker(fn) is False
    out = " ".join(capsys.readouterr().out.split())   # undo line wrapping
    assert " ".join(hint.split()) in out, out
    assert "is not right yet" in out and "All checks passed" not in out
