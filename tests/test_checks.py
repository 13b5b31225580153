"""Tests for the checkers' machinery (style_lib.checks.engine) and package.

What each exercise's checker accepts and rejects, answer by answer, is in
test_exercises.py; here: what every checker shares (hints that must not
mislead, time limits, the students' line in an error) and the package's layout.
"""
from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from style_lib import checks
from style_lib.core import losses
from tests import exercise_answers as a


@pytest.mark.parametrize("checker", [checks.check_gram_matrix,
                                     checks.check_guided_gram,
                                     checks.check_combine_luminance,
                                     checks.check_style_share,
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
    assert checks.check_style_loss(a.style_multi_unweighted, multi_layer=True) is False
    assert checks.check_style_loss(a.style_ok, multi_layer=False) is True
    assert "multi-layer" not in capsys.readouterr().out.split("Checking")[-1]


def test_rel_error():
    assert checks.rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert checks.rel_error([0.0], [0.0]) == 0.0
    assert checks.rel_error([2.0], [1.0]) == pytest.approx(0.5)


# ------------------------------------------------------- package layout ---

#: Every name the notebooks, tests and benchmarks reach as ``checks.<name>``.
PUBLIC = {"check_gram_matrix", "check_guided_gram", "check_combine_luminance",
          "check_style_share", "check_strength_callback",
          "check_content_loss", "check_content_gradient", "check_style_loss",
          "check_total_variation", "check_preprocess", "check_feature_shape",
          "check_receptive_field", "check_instance_norm", "check_conditional_instance_norm",
          "check_extract_patches", "check_normalized_cross_correlation",
          "check_warp", "check_consistency_mask", "check_adain",
          "rel_error", "TOLERANCE"}


def _style_lib_imports(path: Path) -> set[str]:
    """The style_lib modules a file in style_lib/checks/ imports, dotted."""
    package = {1: "style_lib.checks", 2: "style_lib"}     # from . / from ..
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("style_lib")}
        elif isinstance(node, ast.ImportFrom):
            module = package[node.level] if node.level else node.module or ""
            if node.level == 1 and node.module:  # from .engine import _Checker
                found.add(f"{module}.{node.module}")
            elif node.level == 2 and node.module:
                target = f"style_lib.{node.module}"
                if (path.parents[1] / node.module.replace(".", "/")).is_dir():
                    found |= {f"{target}.{a.name}" for a in node.names}  # from ..core import color
                else:
                    found.add(target)       # from ..core.losses import gram_matrix
            elif module in package.values():  # from .. import session
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
    assert _style_lib_imports(folder / "engine.py") <= {"style_lib.core.losses",
                                                        "style_lib.core.vgg"}
    allowed = {"style_lib.checks.engine", "style_lib.core.losses", "style_lib.core.vgg",
               "style_lib.core.color", "style_lib.core.spatial", "style_lib.core.mrf",
               "style_lib.video.flow"}
    for name in modules - {"engine"}:
        imported = _style_lib_imports(folder / f"{name}.py")
        assert imported <= allowed, (name, imported - allowed)
        # read top-down: the module's first function is its entry point
        tree = ast.parse((folder / f"{name}.py").read_text())
        first = next(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
        assert first.startswith("check_"), (name, first)


# ------------------------------------------------- hints that must not mislead ---

def test_a_wrong_scalar_is_not_called_right_up_to_a_constant(capsys):
    """Any two numbers differ by 'a constant': a scalar loss off by an unknown
    amount must not be told its formula is right up to the normalisation."""
    def tv_third_power(x):
        x = tf.convert_to_tensor(x, tf.float32)
        return tf.reduce_sum(tf.abs(x[..., 1:, :, :] - x[..., :-1, :, :]) ** 3)
    assert checks.check_total_variation(tv_third_power) is False
    out = " ".join(capsys.readouterr().out.split())
    assert "right up to a constant" not in out and "term by term" in out, out


def test_an_error_that_prints_a_tensor_gets_no_numpy_hint(capsys):
    def gram_asserts(x):
        x = tf.convert_to_tensor(x, tf.float32)
        assert x.shape.rank == 3, f"expected (H, W, C), got {x[..., :1, :1, :1]!r}"
        return losses.gram_matrix(x)
    assert checks.check_gram_matrix(gram_asserts) is False
    out = " ".join(capsys.readouterr().out.split())
    assert "numpy=" in out                       # the message shows the tensor ...
    assert "NumPy code stops gradients" not in out and "fails on a tf.Tensor" not in out, out
    assert "the line named above failed" in out


def test_the_rank_hint_only_when_that_rank_never_passed(capsys):
    """Fails on the second 4-D input only (wider than 8): 4-D inputs did pass."""
    def gram_narrow_only(x):
        if x.shape[-2] > 8:
            raise ValueError("too wide")
        return losses.gram_matrix(x)
    assert checks.check_gram_matrix(gram_narrow_only) is False
    out = " ".join(capsys.readouterr().out.split())
    assert "too wide" in out and "works for 3-D inputs but not for 4-D" not in out, out


def test_the_total_variation_checker_gives_no_gram_hint(capsys):
    assert checks.check_total_variation(a.tv_shapes_clash) is False
    out = capsys.readouterr().out
    assert "shapes do not match" in out and "Gram" not in out, out


def test_a_batch_axis_for_3d_features_gets_one_consistent_message(capsys):
    assert checks.check_guided_gram(a.guided_batch_axis_always) is False
    out = " ".join(capsys.readouterr().out.split())
    assert "drop the batch axis" in out and "are both fine" not in out, out


def test_complex_outputs_are_refused(capsys):
    assert checks.check_gram_matrix(a.gram_complex) is False
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
