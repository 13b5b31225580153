"""Answers to the exercises, right and wrong, as a student would write them.

tests/test_exercises.py runs each exercise's checker on them: the right ones
must pass, each wrong one must fail with the hint that names its mistake.
Names start with the quantity they compute (gram_, content_, grad_, style_,
tv_, pre_, shape_, rf_, guided_, combine_); ``_ok`` marks a right answer.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from style_lib.core import color, losses, spatial, vgg

def gram_reshape(x):
    x = tf.convert_to_tensor(x, tf.float32)
    f = tf.reshape(x, (-1, x.shape[-1]))
    return tf.transpose(f) @ f / tf.cast(tf.shape(f)[0], tf.float32)


def gram_einsum(x):
    x = tf.convert_to_tensor(x, tf.float32)
    m = tf.cast(tf.shape(x)[-3] * tf.shape(x)[-2], tf.float32)
    return tf.einsum("...ijc,...ijd->...cd", x, x) / m


def gram_f_ft(x):                      # F F^T: positions x positions
    x = tf.convert_to_tensor(x, tf.float32)
    f = tf.reshape(x, (-1, x.shape[-1]))
    return f @ tf.transpose(f) / f.shape[0]


def gram_no_norm(x):                   # forgot / M
    x = tf.convert_to_tensor(x, tf.float32)
    f = tf.reshape(x, (-1, x.shape[-1]))
    return tf.transpose(f) @ f


def gram_nm(x):                        # neural-style / CS231n: / (N M)
    x = tf.convert_to_tensor(x, tf.float32)
    f = tf.reshape(x, (-1, x.shape[-1]))
    return tf.transpose(f) @ f / (f.shape[0] * f.shape[1])


def gram_scrambled(x):                 # reshape (H, W, C) -> (C, M) directly
    x = tf.convert_to_tensor(x, tf.float32)
    c = x.shape[-1]
    f = tf.reshape(x, (c, -1))
    return f @ tf.transpose(f) / f.shape[1]


def gram_numpy(x):                     # right values, NumPy result: no gradient
    x = np.asarray(x)
    f = x.reshape(-1, x.shape[-1])
    return f.T @ f / f.shape[0]


def gram_numpy_methods(x):             # .reshape / .T fail on tf.Tensor
    f = x.reshape(-1, x.shape[-1])
    return f.T @ f / f.shape[0]


def gram_batch_only(x):                # unpacks 4 dims: fails on (H, W, C)
    _, h, w, c = x.shape
    f = tf.reshape(x, (h * w, c))
    return tf.transpose(f) @ f / (h * w)


def gram_stop_gradient(x):
    return tf.stop_gradient(gram_reshape(x))


def gram_raises(x):
    raise RuntimeError("boom")


def gram_not_implemented(x):
    raise NotImplementedError


def gram_returns_none(x):
    gram_reshape(x)


def content_ok(f, p):
    return 0.5 * tf.reduce_sum(tf.square(tf.convert_to_tensor(f) - p))


def content_l2(f, p):
    return tf.nn.l2_loss(tf.convert_to_tensor(f, tf.float32) - p)


def content_no_half(f, p):
    return tf.reduce_sum(tf.square(tf.convert_to_tensor(f) - p))


def content_mean(f, p):
    return tf.reduce_mean(tf.square(tf.convert_to_tensor(f) - p))


def content_per_position(f, p):
    f = tf.convert_to_tensor(f)
    m = f.shape[-3] * f.shape[-2]
    return 0.5 * tf.reduce_sum(tf.square(f - p)) / m


def content_norm(f, p):
    return tf.norm(tf.convert_to_tensor(f) - p)


def content_not_scalar(f, p):
    return 0.5 * tf.reduce_sum(tf.square(tf.convert_to_tensor(f) - p), axis=-1)


def content_numpy(f, p):
    return 0.5 * np.sum((np.asarray(f) - np.asarray(p)) ** 2)


def content_bad_grad(f, p):
    d = tf.convert_to_tensor(f) - p
    return 0.5 * tf.reduce_sum(d * tf.stop_gradient(d))


def style_ok(f, a):
    g = gram_reshape(f)
    n = tf.cast(tf.shape(g)[-1], tf.float32)
    return tf.reduce_sum(tf.square(g - a)) / (4.0 * n * n)


def style_mean(f, a):                  # TF tutorial: mean of squares = 4x
    return tf.reduce_mean(tf.square(gram_reshape(f) - a))


def style_no_quarter(f, a):
    g = gram_reshape(f)
    n = float(g.shape[-1])
    return tf.reduce_sum(tf.square(g - a)) / (n * n)


def style_unnormalised(f, a):
    return tf.reduce_sum(tf.square(gram_reshape(f) - a))


def style_raw_gram(f, a):              # F^T F without / M, target normalised
    g = gram_no_norm(f)
    n = float(g.shape[-1])
    return tf.reduce_sum(tf.square(g - a)) / (4.0 * n * n)


def style_extra_m2(f, a):              # divides by M^2 although G is / M
    f = tf.convert_to_tensor(f)
    m = float(f.shape[-3] * f.shape[-2])
    return style_ok(f, a) / (m * m)


def style_f_ft(f, a):                  # shape mismatch -> exception
    g = gram_f_ft(f)
    return tf.reduce_sum(tf.square(g - a))


def style_multi_ok(features_by_layer, targets_by_layer, layer_weights=None):
    names = list(targets_by_layer)
    if layer_weights is None:
        layer_weights = {k: 1.0 / len(names) for k in names}
    return tf.add_n([layer_weights[k] * style_ok(features_by_layer[k],
                                                 targets_by_layer[k])
                     for k in names])


def style_multi_unweighted(features_by_layer, targets_by_layer):
    return tf.add_n([style_ok(features_by_layer[k], targets_by_layer[k])
                     for k in targets_by_layer])


def tv_ok(x):
    x = tf.convert_to_tensor(x, tf.float32)
    return (tf.reduce_sum(tf.square(x[..., 1:, :, :] - x[..., :-1, :, :]))
            + tf.reduce_sum(tf.square(x[..., :, 1:, :] - x[..., :, :-1, :])))


def tv_tf_image(x):                    # L1 version from tf.image
    return tf.reduce_sum(tf.image.total_variation(tf.convert_to_tensor(x)))


def tv_dy_only(x):
    x = tf.convert_to_tensor(x, tf.float32)
    return tf.reduce_sum(tf.square(x[..., 1:, :, :] - x[..., :-1, :, :]))


def tv_mean(x):
    x = tf.convert_to_tensor(x, tf.float32)
    return (tf.reduce_mean(tf.square(x[..., 1:, :, :] - x[..., :-1, :, :]))
            + tf.reduce_mean(tf.square(x[..., :, 1:, :] - x[..., :, :-1, :])))


def tv_roll(x):
    x = tf.convert_to_tensor(x, tf.float32)
    return (tf.reduce_sum(tf.square(tf.roll(x, 1, axis=-3) - x))
            + tf.reduce_sum(tf.square(tf.roll(x, 1, axis=-2) - x)))


def tv_batch_axis(x):                  # slices axis 0 (the batch) for 4-D
    x = tf.convert_to_tensor(x, tf.float32)
    if x.shape.rank == 3:
        return tv_ok(x)
    return (tf.reduce_sum(tf.square(x[1:] - x[:-1]))
            + tf.reduce_sum(tf.square(x[:, :, 1:] - x[:, :, :-1])) * 0.0)


def tv_only_4d(x):                     # x[:, 1:] is the columns for (H, W, 3)
    x = tf.convert_to_tensor(x, tf.float32)
    return (tf.reduce_sum(tf.square(x[:, 1:] - x[:, :-1]))
            + tf.reduce_sum(tf.square(x[:, :, 1:] - x[:, :, :-1])))


def pre_ok(x):
    return tf.convert_to_tensor(x, tf.float32)[..., ::-1] - vgg.BGR_MEAN


def pre_no_flip(x):
    return tf.convert_to_tensor(x, tf.float32) - vgg.BGR_MEAN


def pre_no_mean(x):
    return tf.convert_to_tensor(x, tf.float32)[..., ::-1]


def pre_wrong_mean_order(x):
    return tf.convert_to_tensor(x, tf.float32)[..., ::-1] - vgg.BGR_MEAN[::-1]


def pre_scaled(x):
    return tf.convert_to_tensor(x, tf.float32)[..., ::-1] / 255.0 - vgg.BGR_MEAN


def shape_ok(layer, h, w):
    info = vgg.layer_info(layer)
    return h // info.stride, w // info.stride, info.filters


def shape_ceil(layer, h, w):
    info = vgg.layer_info(layer)
    return -(-h // info.stride), -(-w // info.stride), info.filters


def shape_bad_channels(layer, h, w):
    info = vgg.layer_info(layer)
    return h // info.stride, w // info.stride, 64


def shape_float(layer, h, w):
    info = vgg.layer_info(layer)
    return h / info.stride, w / info.stride, info.filters


def rf_ok(layer):
    field, jump = 1, 1
    for info in vgg.LAYERS:
        field += 2 * jump if info.kind == "conv" else jump
        if info.kind == "pool":
            jump *= 2
        if info.name == layer:
            return field
    raise KeyError(layer)


def rf_no_jump(layer):
    field = 1
    for info in vgg.LAYERS:
        field += 2 if info.kind == "conv" else 1
        if info.name == layer:
            return field
    raise KeyError(layer)


def grad_ok(z, p):                     # eq. 2 through the ReLU
    z = tf.convert_to_tensor(z, tf.float32)
    return tf.where(z > 0, tf.nn.relu(z) - tf.convert_to_tensor(p, tf.float32), 0.0)


def grad_no_relu_mask(z, p):          # F - P everywhere
    return tf.nn.relu(tf.convert_to_tensor(z, tf.float32)) - p


def grad_z_for_f(z, p):               # the ReLU forgotten
    return tf.convert_to_tensor(z, tf.float32) - p


def grad_flipped(z, p):
    return -grad_ok(z, p)


def grad_doubled(z, p):
    return 2.0 * grad_ok(z, p)


def grad_sum(z, p):                   # the loss, not its gradient
    return tf.reduce_sum(grad_ok(z, p))



def style_multi_float(features_by_layer, targets_by_layer, layer_weights=None):
    """Right values, but float() per layer: no gradient reaches the features."""
    layers = list(targets_by_layer)
    weights = layer_weights or {k: 1.0 / len(layers) for k in layers}
    return tf.constant(sum(weights[k] * float(losses.style_layer_loss(
        features_by_layer[k], targets_by_layer[k])) for k in layers))


def style_multi_stop_gradient(features_by_layer, targets_by_layer, layer_weights=None):
    layers = list(targets_by_layer)
    weights = layer_weights or {k: 1.0 / len(layers) for k in layers}
    return tf.add_n([weights[k] * tf.stop_gradient(losses.style_layer_loss(
        features_by_layer[k], targets_by_layer[k])) for k in layers])


def style_multi_renormalised(features_by_layer, targets_by_layer, layer_weights=None):
    layers = list(targets_by_layer)
    weights = layer_weights or {k: 1.0 for k in layers}
    total = sum(weights.values())
    return tf.add_n([weights[k] / total * losses.style_layer_loss(
        features_by_layer[k], targets_by_layer[k]) for k in layers])


def style_multi_loops_over_features(features_by_layer, targets_by_layer, layer_weights=None):
    layers = list(features_by_layer)                 # breaks with a content layer
    return tf.add_n([losses.style_layer_loss(features_by_layer[k], targets_by_layer[k])
                     for k in layers]) / len(layers)


def style_multi_odd_names(feats, grams, weights=None):
    """A right eq. 5 whose parameter names say nothing about layers."""
    return losses.style_loss(feats, grams, weights)


def style_one_layer_named_targets(features, targets):
    """A right eq. 4 whose second parameter is called 'targets'."""
    return losses.style_layer_loss(features, targets)


def gram_complex(x):
    return tf.cast(losses.gram_matrix(x), tf.complex64)


# ------------------------------------- total variation: scalar mistakes ---

def tv_crop_off_by_one(x):
    """Crops one row too many: a scalar that is no known factor of the answer."""
    x = tf.convert_to_tensor(x, tf.float32)
    dy = x[..., 2:, :, :] - x[..., 1:-1, :, :]
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]
    return tf.reduce_sum(dy ** 2) + tf.reduce_sum(dx ** 2)


def tv_dy_twice(x):
    x = tf.convert_to_tensor(x, tf.float32)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]
    return 2 * tf.reduce_sum(dy ** 2)


def tv_shapes_clash(x):
    """dy - dx: (H-1, W, 3) against (H, W-1, 3)."""
    x = tf.convert_to_tensor(x, tf.float32)
    dy = x[..., 1:, :, :] - x[..., :-1, :, :]
    dx = x[..., :, 1:, :] - x[..., :, :-1, :]
    return tf.reduce_sum((dy - dx) ** 2)


# -------------------------------------------------------- guided Gram ---

def guided_ok(features, mask):                    # notebook 08's solution
    f = tf.convert_to_tensor(features, tf.float32)
    if f.shape.rank == 4:
        f = f[0]
    m = tf.convert_to_tensor(mask, tf.float32)[..., tf.newaxis]
    fm = f * m
    return tf.einsum("hwc,hwd->cd", fm, fm) / tf.reduce_sum(m ** 2)


def guided_keeps_batch(features, mask):           # (1, C, C) for (1, H, W, C): fine
    f = tf.convert_to_tensor(features, tf.float32)
    m = tf.convert_to_tensor(mask, tf.float32)[..., tf.newaxis]
    fm = f * m
    flat = tf.reshape(fm, tf.concat([tf.shape(fm)[:-3], [-1, tf.shape(fm)[-1]]], 0))
    return tf.linalg.matmul(flat, flat, transpose_a=True) / tf.reduce_sum(m ** 2)


def guided_library(features, mask):
    return spatial.guided_gram(features, mask)


def guided_batch_axis_always(features, mask):     # (1, C, C) also for (H, W, C)
    return guided_ok(features, mask)[tf.newaxis]


def guided_ignores_mask(features, mask):
    return losses.gram_matrix(tf.convert_to_tensor(features, tf.float32)[tf.newaxis][-1])


def guided_by_m(features, mask):                 # / M instead of / sum(m^2)
    f = tf.convert_to_tensor(features, tf.float32)
    if f.shape.rank == 4:
        f = f[0]
    m = tf.convert_to_tensor(mask, tf.float32)[..., tf.newaxis]
    fm = f * m
    size = tf.cast(tf.shape(f)[0] * tf.shape(f)[1], tf.float32)
    return tf.einsum("hwc,hwd->cd", fm, fm) / size


def guided_by_sum_m(features, mask):             # / sum(m) instead of / sum(m^2)
    f = tf.convert_to_tensor(features, tf.float32)
    if f.shape.rank == 4:
        f = f[0]
    m = tf.convert_to_tensor(mask, tf.float32)[..., tf.newaxis]
    fm = f * m
    return tf.einsum("hwc,hwd->cd", fm, fm) / tf.reduce_sum(m)


def guided_one_side(features, mask):             # (F*m)^T F
    f = tf.convert_to_tensor(features, tf.float32)
    if f.shape.rank == 4:
        f = f[0]
    m = tf.convert_to_tensor(mask, tf.float32)[..., tf.newaxis]
    return tf.einsum("hwc,hwd->cd", f * m, f) / tf.reduce_sum(m ** 2)


# ------------------------------------------------ luminance-only colour ---

def _yuv(x):
    x = np.asarray(x, np.float64)
    y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    return y, 0.492 * (x[..., 2] - y), 0.877 * (x[..., 0] - y)


def _from_yuv(y, u, v):
    b = y + u / 0.492
    r = y + v / 0.877
    g = (y - 0.299 * r - 0.114 * b) / 0.587
    return np.stack([r, g, b], axis=-1)


def combine_yuv_ok(stylised, content):           # notebook 08's solution
    y, _, _ = _yuv(stylised)
    _, u, v = _yuv(content)
    return _from_yuv(y, u, v)


def combine_library(stylised, content):          # clips Y per pixel: same inside
    return color.combine_luminance(np.asarray(stylised), np.asarray(content))


def combine_returns_stylised(stylised, content):
    return np.asarray(stylised, np.float64)


def combine_returns_content(stylised, content):
    return np.asarray(content, np.float64)


def combine_swapped(stylised, content):          # Y of the content, colours of the style
    return combine_yuv_ok(content, stylised)


def combine_grey(stylised, content):             # the luminance alone, no colour at all
    y, _, _ = _yuv(stylised)
    return np.stack([y, y, y], axis=-1)


def combine_bad_inverse(stylised, content):      # G solved with the wrong weights
    y, _, _ = _yuv(stylised)
    _, u, v = _yuv(content)
    b = y + u / 0.492
    r = y + v / 0.877
    g = (y - 0.299 * r - 0.114 * b)
    return np.stack([r, g, b], axis=-1)


def combine_two_channels(stylised, content):
    return combine_yuv_ok(stylised, content)[..., :2]


# ------------------------------------- the slider app (notebook 07) ---

def share_ok(stylizer, image):                   # notebook 07's solution
    terms = stylizer.loss_terms(image)
    return stylizer.weights()["style_weight"] * terms["style"] / terms["total"]


def share_no_beta(stylizer, image):
    terms = stylizer.loss_terms(image)
    return terms["style"] / terms["total"]


def share_percent(stylizer, image):
    return 100 * share_ok(stylizer, image)


def share_unweighted_sum(stylizer, image):
    terms = stylizer.loss_terms(image)
    return stylizer.weights()["style_weight"] * terms["style"] / (
        terms["content"] + terms["style"] + terms["tv"])


def share_without_tv(stylizer, image):
    terms, w = stylizer.loss_terms(image), stylizer.weights()
    return w["style_weight"] * terms["style"] / (
        w["content_weight"] * terms["content"] + w["style_weight"] * terms["style"])


def share_of_content(stylizer, image):
    terms = stylizer.loss_terms(image)
    return terms["content"] / terms["total"]


def share_other_image(stylizer, image):          # the picture on screen, not the argument
    return share_ok(stylizer, np.zeros((2, 2, 3), np.float32))


def strength_callbacks(slider):
    """Right and wrong ``on_strength(change)`` callbacks moving ``slider``."""
    def strength_ok(change):                     # notebook 07's solution
        slider.value = 10 ** (1 + 4 * change["new"])

    def strength_attribute(change):              # change.new works as well
        slider.value = 10 ** (1 + 4 * change.new)

    def strength_exponent(change):
        slider.value = 1 + 4 * change["new"]

    def strength_no_one(change):
        slider.value = 10 ** (4 * change["new"])

    def strength_backwards(change):
        slider.value = 10 ** (1 + 4 * (1 - change["new"]))

    def strength_own_variable(change):
        beta = 10 ** (1 + 4 * change["new"])     # never reaches the slider
        return beta

    return {f.__name__: f for f in (strength_ok, strength_attribute, strength_exponent,
                                    strength_no_one, strength_backwards,
                                    strength_own_variable)}


# --- 09.1 instance normalisation ---------------------------------------------

def inorm_ok(x, gamma, beta):
    x = tf.convert_to_tensor(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return (x - mean) / tf.sqrt(var + 1e-5) * gamma + beta


def inorm_numpy(x, gamma, beta):
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5) * gamma + beta


def inorm_library(x, gamma, beta):
    from style_lib.fast.network import InstanceNormalization
    layer = InstanceNormalization()
    layer.build(np.shape(x))
    layer.set_weights([np.asarray(gamma, np.float32), np.asarray(beta, np.float32)])
    return layer(tf.convert_to_tensor(x, tf.float32))


def inorm_batch_norm(x, gamma, beta):            # statistics over the batch too
    x = tf.convert_to_tensor(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[0, 1, 2], keepdims=True)
    return (x - mean) / tf.sqrt(var + 1e-5) * gamma + beta


def inorm_layer_norm(x, gamma, beta):            # over the channels as well
    x = tf.convert_to_tensor(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
    return (x - mean) / tf.sqrt(var + 1e-5) * gamma + beta


def inorm_no_affine(x, gamma, beta):
    x = tf.convert_to_tensor(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return (x - mean) / tf.sqrt(var + 1e-5)


# --- 10.1 conditional instance normalisation --------------------------------

def cin_ok(x, style, gammas, betas):
    x = tf.convert_to_tensor(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    gamma = tf.matmul(style, gammas)[:, None, None, :]          # (B, 1, 1, C)
    beta = tf.matmul(style, betas)[:, None, None, :]
    return (x - mean) / tf.sqrt(var + 1e-5) * gamma + beta


def cin_blend_outputs(x, style, gammas, betas):  # blending the N outputs: the same, by linearity
    x = np.asarray(x, np.float64)
    norm = (x - x.mean(axis=(1, 2), keepdims=True)) / np.sqrt(x.var(axis=(1, 2), keepdims=True)
                                                             + 1e-5)
    outs = [norm * np.asarray(g) + np.asarray(b) for g, b in zip(gammas, betas)]
    return sum(np.asarray(style)[:, s, None, None, None] * outs[s] for s in range(len(outs)))


def cin_library(x, style, gammas, betas):
    from style_lib.fast.normalization import ConditionalInstanceNormalization
    layer = ConditionalInstanceNormalization(np.shape(gammas)[0])
    layer.build(np.shape(x))
    layer.set_weights([np.asarray(gammas, np.float32), np.asarray(betas, np.float32)])
    return layer(tf.convert_to_tensor(x, tf.float32), tf.convert_to_tensor(style, tf.float32))


def cin_first_style(x, style, gammas, betas):      # the weights ignored: style 0 for all
    return inorm_ok(x, gammas[0], betas[0])


def cin_mean_style(x, style, gammas, betas):       # every style equally
    return inorm_ok(x, np.mean(gammas, 0), np.mean(betas, 0))


def cin_first_picture(x, style, gammas, betas):    # the first picture's blend for all
    style = np.tile(np.asarray(style)[:1], (np.shape(x)[0], 1))
    return cin_ok(x, style, gammas, betas)


def cin_batch_statistics(x, style, gammas, betas):
    x = tf.convert_to_tensor(x, tf.float32)
    mean, var = tf.nn.moments(x, axes=[0, 1, 2], keepdims=True)
    return ((x - mean) / tf.sqrt(var + 1e-5) * tf.matmul(style, gammas)[:, None, None, :]
            + tf.matmul(style, betas)[:, None, None, :])


# --- 11.1 patch extraction ------------------------------------------------------

def patches_ok(features, size):                 # notebook 11's solution: slicing
    x = tf.convert_to_tensor(features, tf.float32)
    h, w = x.shape[0], x.shape[1]
    return tf.stack([x[r:r + size, c:c + size] for r in range(h - size + 1)
                     for c in range(w - size + 1)])


def patches_tf(features, size):                 # tf.image.extract_patches
    x = tf.convert_to_tensor(features, tf.float32)
    p = tf.image.extract_patches(x[None], [1, size, size, 1], [1, 1, 1, 1],
                                 [1, 1, 1, 1], "VALID")
    return tf.reshape(p, (-1, size, size, x.shape[-1]))


def patches_library(features, size):
    from style_lib.core import mrf
    return mrf.extract_patches(features, size)


def patches_column_major(features, size):       # corners by column first
    x = np.asarray(features, np.float32)
    h, w = x.shape[:2]
    return np.stack([x[r:r + size, c:c + size] for c in range(w - size + 1)
                     for r in range(h - size + 1)])


def patches_same_padding(features, size):       # one patch per cell
    x = tf.convert_to_tensor(features, tf.float32)
    p = tf.image.extract_patches(x[None], [1, size, size, 1], [1, 1, 1, 1],
                                 [1, 1, 1, 1], "SAME")
    return tf.reshape(p, (-1, size, size, x.shape[-1]))


def patches_flat(features, size):               # (n, size*size*C), not reshaped
    return tf.reshape(patches_ok(features, size), (-1, size * size * features.shape[-1]))


# --- 11.2 normalised cross-correlation ---------------------------------------------

def ncc_ok(features, style_patches):            # notebook 11's solution: one convolution
    x = tf.convert_to_tensor(features, tf.float32)[None]
    q = tf.convert_to_tensor(style_patches, tf.float32)
    k = q.shape[1]
    q = q / tf.norm(tf.reshape(q, (q.shape[0], -1)), axis=1)[:, None, None, None]
    dots = tf.nn.conv2d(x, tf.transpose(q, (1, 2, 3, 0)), 1, "VALID")[0]
    lengths = tf.sqrt(tf.nn.conv2d(tf.reduce_sum(x ** 2, -1, keepdims=True),
                                   tf.ones((k, k, 1, 1)), 1, "VALID")[0])
    return dots / lengths


def ncc_loops(features, style_patches):          # written out with NumPy
    x = np.asarray(features, np.float64)
    q = np.asarray(style_patches, np.float64)
    n, k = q.shape[:2]
    out = np.zeros((x.shape[0] - k + 1, x.shape[1] - k + 1, n))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            p = x[r:r + k, c:c + k].ravel()
            for j in range(n):
                out[r, c, j] = p @ q[j].ravel() / np.linalg.norm(p) / np.linalg.norm(q[j])
    return out


def ncc_library(features, style_patches):
    from style_lib.core import mrf
    return mrf.normalized_cross_correlation(features, mrf.patch_bank(style_patches))


def ncc_dots(features, style_patches):           # no normalisation at all
    x = tf.convert_to_tensor(features, tf.float32)[None]
    q = tf.convert_to_tensor(style_patches, tf.float32)
    return tf.nn.conv2d(x, tf.transpose(q, (1, 2, 3, 0)), 1, "VALID")[0]


def ncc_style_only(features, style_patches):     # the paper's argmax, not its cosine
    x = tf.convert_to_tensor(features, tf.float32)[None]
    q = tf.convert_to_tensor(style_patches, tf.float32)
    q = q / tf.norm(tf.reshape(q, (q.shape[0], -1)), axis=1)[:, None, None, None]
    return tf.nn.conv2d(x, tf.transpose(q, (1, 2, 3, 0)), 1, "VALID")[0]


def ncc_picture_only(features, style_patches):
    x = tf.convert_to_tensor(features, tf.float32)
    k = style_patches.shape[1]
    lengths = tf.sqrt(tf.nn.conv2d(tf.reduce_sum(x ** 2, -1, keepdims=True)[None],
                                   tf.ones((k, k, 1, 1)), 1, "VALID")[0])
    return ncc_dots(features, style_patches) / lengths


# --- 12.1 warping / 12.2 consistency mask ---------------------------------------

def warp_ok(image, flow):                       # notebook 12's solution: cv2.remap
    import cv2
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    out = cv2.remap(image, x + flow[..., 0], y + flow[..., 1], cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(image.shape)


def warp_numpy(image, flow):                    # bilinear by hand, edges clamped
    image = np.asarray(image, np.float64)
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = np.clip(x + flow[..., 0], 0, w - 1)
    sy = np.clip(y + flow[..., 1], 0, h - 1)
    x0 = np.minimum(np.floor(sx).astype(int), w - 2)
    y0 = np.minimum(np.floor(sy).astype(int), h - 2)
    a = (sx - x0)[..., None]
    b = (sy - y0)[..., None]
    return ((1 - a) * (1 - b) * image[y0, x0] + a * (1 - b) * image[y0, x0 + 1]
            + (1 - a) * b * image[y0 + 1, x0] + a * b * image[y0 + 1, x0 + 1])


def warp_library(image, flow):
    from style_lib.video import flow as flows
    return flows.warp(image, flow)


def warp_forward(image, flow):                  # moves pixels along the flow: sign flipped
    return warp_ok(image, -np.asarray(flow))


def warp_xy_swapped(image, flow):               # flow[..., 0] taken as the row shift
    return warp_ok(image, np.asarray(flow)[..., ::-1])


def warp_nearest(image, flow):                  # rounds to the nearest pixel
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    sx = np.clip(np.rint(x + flow[..., 0]).astype(int), 0, w - 1)
    sy = np.clip(np.rint(y + flow[..., 1]).astype(int), 0, h - 1)
    return image[sy, sx]


def mask_ok(forward, backward):                 # notebook 12's solution, with NumPy
    from style_lib.video.flow import warp
    h, w = backward.shape[:2]
    w_tilde = warp(forward, backward)
    occluded = (np.sum((w_tilde + backward) ** 2, -1)
                > 0.01 * (np.sum(w_tilde ** 2, -1) + np.sum(backward ** 2, -1)) + 0.5)
    du_y, du_x = np.gradient(backward[..., 0])
    dv_y, dv_x = np.gradient(backward[..., 1])
    boundary = du_x ** 2 + du_y ** 2 + dv_x ** 2 + dv_y ** 2 > \
        0.01 * np.sum(backward ** 2, -1) + 0.002
    y, x = np.mgrid[0:h, 0:w]
    tx, ty = x + backward[..., 0], y + backward[..., 1]
    outside = (tx < 0) | (tx > w - 1) | (ty < 0) | (ty > h - 1)
    return (~(occluded | boundary | outside)).astype(np.float32)


def mask_library(forward, backward):
    from style_lib.video import flow as flows
    return flows.consistency_mask(forward, backward)


def mask_swapped(forward, backward):            # the mask of frame t-1, not t
    return mask_ok(backward, forward)


def mask_disocclusion_only(forward, backward):  # no motion-boundary test
    from style_lib.video import flow as flows
    bad = flows.disoccluded(forward, backward) | flows.outside_frame(backward)
    return (~bad).astype(np.float32)


def mask_all_reliable(forward, backward):
    return np.ones(backward.shape[:2], np.float32)


def mask_inside_frame_forgotten(forward, backward):   # no test for leaving the frame
    from style_lib.video import flow as flows
    bad = flows.disoccluded(forward, backward) | flows.motion_boundary(backward)
    return (~bad).astype(np.float32)


def mask_unwarped(forward, backward):           # forward(p) instead of forward(p + backward(p))
    from style_lib.video import flow as flows
    f, b = np.asarray(forward, np.float64), np.asarray(backward, np.float64)
    occluded = np.sum((f + b) ** 2, -1) > 0.01 * (np.sum(f ** 2, -1) + np.sum(b ** 2, -1)) + 0.5
    bad = occluded | flows.motion_boundary(backward) | flows.outside_frame(backward)
    return (~bad).astype(np.float32)


# ---------------------------------------------------------------- 13: AdaIN ---

def adain_ok(content, style):
    content = tf.convert_to_tensor(content, tf.float32)
    style = tf.convert_to_tensor(style, tf.float32)
    c_mean, c_var = tf.nn.moments(content, axes=[1, 2], keepdims=True)
    s_mean, s_var = tf.nn.moments(style, axes=[1, 2], keepdims=True)
    return tf.sqrt(s_var + 1e-5) * (content - c_mean) / tf.sqrt(c_var + 1e-5) + s_mean


def adain_numpy(content, style):
    c, s = np.asarray(content, np.float64), np.asarray(style, np.float64)
    c_std = np.sqrt(c.var(axis=(1, 2), keepdims=True) + 1e-5)
    s_std = np.sqrt(s.var(axis=(1, 2), keepdims=True) + 1e-5)
    return s_std * (c - c.mean(axis=(1, 2), keepdims=True)) / c_std + s.mean(axis=(1, 2),
                                                                              keepdims=True)


def adain_library(content, style):
    from style_lib.adain import adain
    return adain(tf.convert_to_tensor(content, tf.float32), tf.convert_to_tensor(style, tf.float32))


def adain_batch_statistics(content, style):     # means and deviations over the batch too
    content = tf.convert_to_tensor(content, tf.float32)
    style = tf.convert_to_tensor(style, tf.float32)
    c_mean, c_var = tf.nn.moments(content, axes=[0, 1, 2], keepdims=True)
    s_mean, s_var = tf.nn.moments(style, axes=[0, 1, 2], keepdims=True)
    return tf.sqrt(s_var + 1e-5) * (content - c_mean) / tf.sqrt(c_var + 1e-5) + s_mean


def adain_variance(content, style):             # the variance where the deviation belongs
    content = tf.convert_to_tensor(content, tf.float32)
    style = tf.convert_to_tensor(style, tf.float32)
    c_mean, c_var = tf.nn.moments(content, axes=[1, 2], keepdims=True)
    s_mean, s_var = tf.nn.moments(style, axes=[1, 2], keepdims=True)
    return s_var * (content - c_mean) / c_var + s_mean


def adain_no_mean(content, style):              # the style's mean forgotten
    content = tf.convert_to_tensor(content, tf.float32)
    style = tf.convert_to_tensor(style, tf.float32)
    c_mean, c_var = tf.nn.moments(content, axes=[1, 2], keepdims=True)
    _, s_var = tf.nn.moments(style, axes=[1, 2], keepdims=True)
    return tf.sqrt(s_var + 1e-5) * (content - c_mean) / tf.sqrt(c_var + 1e-5)
