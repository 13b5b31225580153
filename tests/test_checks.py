"""Tests for style_lib.checks: right answers pass, classic mistakes get the right hint."""
from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from style_lib import checks, losses, vgg

# ------------------------------------------------------- implementations ---


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


# ------------------------------------------------------------------ tests ---

PASSING = [
    (checks.check_gram_matrix, losses.gram_matrix),
    (checks.check_gram_matrix, gram_reshape),
    (checks.check_gram_matrix, gram_einsum),
    (checks.check_content_loss, losses.content_loss),
    (checks.check_content_loss, content_ok),
    (checks.check_content_loss, content_l2),
    (checks.check_content_gradient, grad_ok),
    (checks.check_style_loss, losses.style_layer_loss),
    (checks.check_style_loss, style_ok),
    (checks.check_style_loss, losses.style_loss),
    (checks.check_style_loss, style_multi_ok),
    (checks.check_total_variation, losses.total_variation_loss),
    (checks.check_total_variation, tv_ok),
    (checks.check_preprocess, vgg.preprocess),
    (checks.check_preprocess, pre_ok),
    (checks.check_feature_shape, shape_ok),
    (checks.check_receptive_field, rf_ok),
]


@pytest.mark.parametrize("checker, fn", PASSING,
                         ids=[f"{c.__name__}-{f.__name__}" for c, f in PASSING])
def test_right_answers_pass(checker, fn, capsys):
    assert checker(fn) is True
    out = capsys.readouterr().out
    assert "✓ All checks passed" in out
    assert "✗" not in out


def test_gram_batch_option(capsys):
    assert checks.check_gram_matrix(gram_einsum, batch=True) is True
    assert checks.check_gram_matrix(gram_reshape, batch=True) is False
    assert "(2, 4, 5, 3)" in capsys.readouterr().out


FAILING = [
    # checker, fn, fragment of the expected hint
    (checks.check_gram_matrix, gram_f_ft, "F F^T instead of F^T F"),
    (checks.check_gram_matrix, gram_no_norm, "too large by a factor M = H*W"),
    (checks.check_gram_matrix, gram_nm, "divided by N*M"),
    (checks.check_gram_matrix, gram_scrambled, "reshaped (H, W, C) straight to (C, H*W)"),
    (checks.check_gram_matrix, gram_numpy, "not a tf.Tensor"),
    (checks.check_gram_matrix, gram_numpy_methods, "fails on a tf.Tensor"),
    (checks.check_gram_matrix, gram_batch_only, "works for 4-D inputs but not for 3-D"),
    (checks.check_gram_matrix, gram_stop_gradient, "no gradient flows"),
    (checks.check_gram_matrix, gram_raises, "raised RuntimeError: boom"),
    (checks.check_gram_matrix, gram_not_implemented, "not implemented yet"),
    (checks.check_gram_matrix, gram_returns_none, "forget the `return`"),
    (checks.check_content_loss, content_no_half, "forget the 1/2"),
    (checks.check_content_loss, content_mean, "averaged (tf.reduce_mean)"),
    (checks.check_content_loss, content_per_position, "number of positions M"),
    (checks.check_content_loss, content_norm, "norm ||F - P||"),
    (checks.check_content_loss, content_not_scalar, "must be one number"),
    (checks.check_content_loss, content_numpy, "not a tf.Tensor"),
    (checks.check_content_loss, content_bad_grad, "gradient is not"),
    (checks.check_content_gradient, grad_no_relu_mask, "that is F - P everywhere"),
    (checks.check_content_gradient, grad_z_for_f, "used z in place of F"),
    (checks.check_content_gradient, grad_flipped, "the sign is flipped"),
    (checks.check_content_gradient, grad_doubled, "twice the expected value"),
    (checks.check_content_gradient, grad_sum, "must have the shape of z"),
    (checks.check_style_loss, style_mean, "forget the 1/4"),
    (checks.check_style_loss, style_no_quarter, "forget the 1/4"),
    (checks.check_style_loss, style_unnormalised, "not normalised"),
    (checks.check_style_loss, style_raw_gram, "Gram is not divided by M"),
    (checks.check_style_loss, style_extra_m2, "already inside G = F^T F / M"),
    (checks.check_style_loss, style_f_ft, "shapes do not match"),
    (checks.check_style_loss, style_multi_unweighted, "w_l = 1/L"),
    (checks.check_total_variation, tv_tf_image, "tf.image.total_variation"),
    (checks.check_total_variation, tv_dy_only, "only used vertical differences"),
    (checks.check_total_variation, tv_mean, "averaged"),
    (checks.check_total_variation, tv_roll, "tf.roll wraps around"),
    (checks.check_total_variation, tv_batch_axis, "axis 0 is the batch"),
    (checks.check_total_variation, tv_only_4d, "works for 4-D inputs but not for 3-D"),
    (checks.check_preprocess, pre_no_flip, "kept the RGB order"),
    (checks.check_preprocess, pre_no_mean, "forgot to subtract the ImageNet mean"),
    (checks.check_preprocess, pre_wrong_mean_order, "R, G, B order"),
    (checks.check_preprocess, pre_scaled, "[0, 255], not [0, 1]"),
    (checks.check_feature_shape, shape_ceil, "rounds down"),
    (checks.check_feature_shape, shape_bad_channels, "filters"),
    (checks.check_feature_shape, shape_float, "3 whole numbers"),
    (checks.check_receptive_field, rf_no_jump, "jump doubles"),
    (checks.check_receptive_field, lambda layer: 3, "expected"),
]


@pytest.mark.parametrize("checker, fn, hint", FAILING,
                         ids=[f"{c.__name__}-{f.__name__}" for c, f, _ in FAILING])
def test_mistakes_fail_with_hint(checker, fn, hint, capsys):
    assert checker(fn) is False
    out = " ".join(capsys.readouterr().out.split())   # undo line wrapping
    assert " ".join(hint.split()) in out, out
    assert "is not right yet" in out
    assert "All checks passed" not in out


@pytest.mark.parametrize("checker", [checks.check_gram_matrix,
                                     checks.check_content_loss,
                                     checks.check_content_gradient,
                                     checks.check_style_loss,
                                     checks.check_total_variation,
                                     checks.check_preprocess,
                                     checks.check_feature_shape,
                                     checks.check_receptive_field])
def test_not_callable_is_a_type_error(checker):
    with pytest.raises(TypeError, match="not callable"):
        checker(np.ones(3))


def test_multi_layer_can_be_forced(capsys):
    assert checks.check_style_loss(style_multi_unweighted, multi_layer=True) is False
    assert checks.check_style_loss(style_ok, multi_layer=False) is True
    assert "multi-layer" not in capsys.readouterr().out.split("Checking")[-1]


def test_rel_error():
    assert checks.rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert checks.rel_error([0.0], [0.0]) == 0.0
    assert checks.rel_error([2.0], [1.0]) == pytest.approx(0.5)


# ------------------------------------------------------- package layout ---

#: Every name the notebooks, tests and benchmarks reach as ``checks.<name>``.
PUBLIC = {"check_gram_matrix", "check_content_loss", "check_content_gradient", "check_style_loss",
          "check_total_variation", "check_preprocess", "check_feature_shape",
          "check_receptive_field", "rel_error", "TOLERANCE"}


def _style_lib_imports(path: Path) -> set[str]:
    """The style_lib modules a file in style_lib/checks/ imports, dotted."""
    package = {1: "style_lib.checks", 2: "style_lib"}     # from . / from ..
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("style_lib")}
        elif isinstance(node, ast.ImportFrom):
            module = package[node.level] if node.level else node.module or ""
            if node.level and node.module:  # from .engine import _Checker
                found.add(f"{module}.{node.module}")
            elif module in package.values():  # from .. import losses, vgg
                found |= {f"{module}.{a.name}" for a in node.names}
            elif module.startswith("style_lib"):
                found.add(module)
    return found


def test_package_exports_and_layering():
    assert set(checks.__all__) == PUBLIC
    assert len(checks.__all__) == len(set(checks.__all__))
    for name in checks.__all__:
        assert getattr(checks, name) is not None
        if name.startswith("check_"):
            assert callable(getattr(checks, name))
    folder = Path(checks.__file__).parent
    modules = {m.name for m in pkgutil.iter_modules([str(folder)])}
    assert "engine" in modules and len(modules) > 1
    # engine knows no exercise; each exercise module knows only engine and
    # the library modules it checks against (so no import cycles).
    assert _style_lib_imports(folder / "engine.py") <= {"style_lib.losses",
                                                        "style_lib.vgg"}
    allowed = {"style_lib.checks.engine", "style_lib.losses", "style_lib.vgg"}
    for name in modules - {"engine"}:
        imported = _style_lib_imports(folder / f"{name}.py")
        assert imported <= allowed, (name, imported - allowed)
        # read top-down: the module's first function is its entry point
        tree = ast.parse((folder / f"{name}.py").read_text())
        first = next(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
        assert first.startswith("check_"), (name, first)


# ------------------------------------------- issue: wrong answers accepted ---

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


@pytest.mark.parametrize("fn, hint", [
    (style_multi_float, "no gradient reaches the features of conv1_1"),
    (style_multi_stop_gradient, "no gradient reaches the features of conv1_1"),
    (style_multi_renormalised, "divided the weights by their sum"),
    (style_multi_loops_over_features, "over the layers of targets_by_layer"),
], ids=["float per layer", "stop_gradient", "renormalised weights", "loop over features"])
def test_wrong_multi_layer_losses_fail_with_their_hint(fn, hint, capsys):
    assert checks.check_style_loss(fn) is False
    out = " ".join(capsys.readouterr().out.split())
    assert hint in out, out


@pytest.mark.parametrize("fn", [style_multi_odd_names, style_one_layer_named_targets],
                         ids=["eq. 5 with odd names", "eq. 4 with 'targets'"])
def test_right_losses_pass_whatever_their_parameter_names(fn, capsys):
    assert checks.check_style_loss(fn) is True, capsys.readouterr().out


def test_complex_outputs_are_refused(capsys):
    assert checks.check_gram_matrix(gram_complex) is False
    assert "returned complex numbers" in capsys.readouterr().out


def test_an_endless_student_function_is_stopped(monkeypatch, capsys):
    from style_lib.checks import engine
    monkeypatch.setattr(engine, "TIME_LIMIT", 0.5)

    def endless(x):
        while True:
            pass
    assert checks.check_gram_matrix(endless) is False
    out = capsys.readouterr().out
    assert "did not finish within 0.5 s" in out and "loop that never ends" in out


def test_an_error_names_the_students_line(capsys):
    def broken_gram(x):
        f = tf.reshape(x, (-1, x.shape[-1]))
        return tf.matmul(f, f) / 3          # (M, N) @ (M, N): shapes clash
    assert checks.check_gram_matrix(broken_gram) is False
    out = capsys.readouterr().out
    assert "of broken_gram: return tf.matmul(f, f) / 3" in out, out
