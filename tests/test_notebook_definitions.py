"""The functions written out in the notebooks agree with style_lib, and the
exercise solutions hidden in the notebooks pass their checkers.

Helpers for any notebook (append tests for new notebooks at the end):

* ``definitions_from_notebook(path, names)`` -> ``{name: function}``: runs only
  the notebook's import statements and the ``def``/``class`` statements of
  ``names`` -- not the cells that load images, train or plot.
* ``solutions_from_notebook(path)`` -> the hidden solutions (code inside
  ``<details><summary><b>Solution ...`` markdown) together with the
  ``checks.check_*(...)`` call of the exercise cell before each one.
* ``run_solution(path, solution)`` -> what the checker returned.
"""
from __future__ import annotations

import ast
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
import tensorflow as tf

from style_lib import checks
from style_lib.core import losses

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


# ------------------------------------------------------------- helpers ---

def _notebook_path(path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else NOTEBOOKS / path


def _code_cells(path: str | Path) -> list[str]:
    """Return the sources of the code cells, with IPython magics removed."""
    nb = nbformat.read(_notebook_path(path), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines()
                 if not line.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return cells


def _imports(cells: Sequence[str]) -> list[ast.stmt]:
    """Return the top-level import statements of all cells, in order."""
    nodes: list[ast.stmt] = []
    for source in cells:
        nodes += [node for node in ast.parse(source).body
                  if isinstance(node, (ast.Import, ast.ImportFrom))]
    return nodes


def _exec(nodes: list[ast.stmt], namespace: dict[str, Any], label: str) -> None:
    module = ast.Module(body=nodes, type_ignores=[])
    exec(compile(module, label, "exec"), namespace)  # noqa: S102 - our own notebooks


def definitions_from_notebook(path: str | Path, names: Sequence[str],
                              extra: Sequence[str] = ()) -> dict[str, Any]:
    """Return ``{name: object}`` for functions/classes defined in a notebook.

    Only the notebook's imports and the ``def``/``class`` statements named in
    ``names`` are executed (the last definition of a name wins, as when the
    notebook runs top to bottom); ``extra`` names top-level assignments
    (e.g. constants a function needs) to run as well.

    Args:
      path: notebook path, absolute or relative to ``notebooks/``.
      names: the functions or classes to return.
      extra: names of assignments to execute too.
    """
    cells = _code_cells(path)
    wanted = set(names) | set(extra)
    chosen: dict[str, tuple[int, ast.stmt]] = {}   # name -> (position, node)
    position = 0
    for source in cells:
        for node in ast.parse(source).body:
            position += 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) and node.name in wanted:
                chosen[node.name] = (position, node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in extra:
                        chosen[target.id] = (position, node)
    missing = [name for name in names if name not in chosen]
    if missing:
        raise KeyError(f"{path} defines no {missing}")
    namespace: dict[str, Any] = {"__name__": Path(path).stem}
    _exec(_imports(cells), namespace, f"{path}:imports")
    unique = {pos: node for pos, node in chosen.values()}   # notebook order
    _exec([unique[pos] for pos in sorted(unique)], namespace, str(path))
    return {name: namespace[name] for name in names}


@dataclass
class Solution:
    """One hidden solution and the checker call of its exercise."""

    code: str
    check: str | None      # e.g. "checks.check_preprocess(my_preprocess)"
    cell: int              # index of the markdown cell


_SOLUTION = re.compile(r"<summary>.*?Solution.*?</summary>.*?```python\n(.*?)```",
                       re.S)


def solutions_from_notebook(path: str | Path) -> list[Solution]:
    """Return the hidden solutions of a notebook's exercises, in order."""
    nb = nbformat.read(_notebook_path(path), as_version=4)
    found, last_check = [], None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            last_check = None
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr.startswith("check_"):
                    last_check = ast.unparse(node)
        elif cell.cell_type == "markdown":
            match = _SOLUTION.search(cell.source)
            if match:
                found.append(Solution(match.group(1), last_check, i))
                last_check = None          # one checker per exercise
    return found


def run_solution(path: str | Path, solution: Solution) -> Any:
    """Run the notebook's imports, then a solution, then its checker call."""
    namespace: dict[str, Any] = {"__name__": Path(path).stem}
    _exec(_imports(_code_cells(path)), namespace, f"{path}:imports")
    exec(compile(solution.code, f"{path}:solution@{solution.cell}", "exec"),  # noqa: S102
         namespace)
    return eval(solution.check, namespace)  # noqa: S307 - our own notebooks


def _features(shape, seed=0):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal(shape), 0).astype(np.float32)


# ---------------------------------------------------- notebooks 01-03 ---

# notebook -> (exercises with a checker, exercises in all); notebook 02's
# total-variation exercise moved to notebook 06, where TV is taught, and its
# one-line content loss became eq. 2 through the ReLU (check_content_gradient).
SOLUTION_COUNTS = {"01_vgg16_features.ipynb": (3, 3),
                   "02_content_loss.ipynb": (1, 2),
                   "03_gram_matrices.ipynb": (2, 3)}
CHECKED_SOLUTIONS = [(nb, i) for nb, (checked, _) in SOLUTION_COUNTS.items()
                     for i in range(checked)]


def test_solution_counts():
    """Every exercise of 01-03 has a hidden solution; most have a checker."""
    for nb, (checked, total) in SOLUTION_COUNTS.items():
        solutions = solutions_from_notebook(nb)
        assert len([s for s in solutions if s.check]) == checked, nb
        assert len(solutions) == total, nb


@pytest.mark.parametrize("notebook, index", CHECKED_SOLUTIONS)
def test_solutions_pass_their_checkers(notebook, index, capsys):
    solution = [s for s in solutions_from_notebook(notebook) if s.check][index]
    assert run_solution(notebook, solution) is True, capsys.readouterr().out


def test_02_content_loss_matches_library():
    content_loss = definitions_from_notebook("02_content_loss.ipynb",
                                             ["content_loss"])["content_loss"]
    f = tf.reshape([1.0, 2.0, 3.0, 4.0], (1, 2, 2, 1))
    p = tf.reshape([1.0, 0.0, 3.0, 1.0], (1, 2, 2, 1))
    assert float(content_loss(f, p)) == 6.5
    for shape in [(1, 6, 5, 8), (7, 4, 3)]:
        f, p = _features(shape, 1), _features(shape, 2)
        np.testing.assert_allclose(content_loss(f, p), losses.content_loss(f, p),
                                   rtol=1e-6)
    assert checks.check_content_loss(content_loss) is True


def test_03_gram_matrix_matches_library():
    gram_matrix = definitions_from_notebook("03_gram_matrices.ipynb",
                                            ["gram_matrix"])["gram_matrix"]
    x = _features((5, 7, 16))
    np.testing.assert_allclose(gram_matrix(x), losses.gram_matrix(x), rtol=1e-5)
    np.testing.assert_allclose(gram_matrix(x[None]), losses.gram_matrix(x[None]),
                               rtol=1e-5)
    assert checks.check_gram_matrix(gram_matrix) is True


NBA1 = "A1_gram_normalisations.ipynb"
_CONVENTIONS = ["flat", "paper_style", "tf_tutorial_style", "keras_example_style",
                "johnson_gram", "neural_style_style", "cs231n_style"]


def test_a1_normalisation_conventions():
    """The re-implementations of other code bases relate to the paper as stated."""
    fns = definitions_from_notebook(NBA1, _CONVENTIONS)
    f, s = tf.constant(_features((1, 6, 8, 12), 3)), tf.constant(_features((1, 6, 8, 12), 4))
    m, n, pixels = 48, 12, 4 * 48
    e = float(fns["paper_style"](f, s))
    np.testing.assert_allclose(
        e, losses.style_layer_loss(f, losses.gram_matrix(s)), rtol=1e-5)
    np.testing.assert_allclose(fns["tf_tutorial_style"](f, s), 4 * e, rtol=1e-4)
    np.testing.assert_allclose(fns["keras_example_style"](f, s, pixels),
                               (m / pixels) ** 2 * (n / 3) ** 2 * e, rtol=1e-4)
    np.testing.assert_allclose(fns["neural_style_style"](f, s), 4 * e / n**2, rtol=1e-4)
    np.testing.assert_allclose(fns["cs231n_style"](f, s), 4 * e, rtol=1e-4)


def test_a1_solution_is_neural_style():
    """Appendix A1's exercise: PyTorch's tutorial is 4/N^2 times the paper, as its solution says."""
    solutions = solutions_from_notebook(NBA1)
    assert len(solutions) == 1 and solutions[0].check is None
    ns = _namespace_with(NBA1, solutions[0].code, _CONVENTIONS)
    f, s = tf.constant(_features((1, 6, 8, 12), 3)), tf.constant(_features((1, 6, 8, 12), 4))
    np.testing.assert_allclose(ns["pytorch_tutorial_style"](f, s),
                               4 * ns["paper_style"](f, s) / 12**2, rtol=1e-4)


def test_helpers_report_missing_definitions():
    with pytest.raises(KeyError, match="no_such_function"):
        definitions_from_notebook("02_content_loss.ipynb", ["no_such_function"])


# ---------------------------------------------------- notebooks 04-05 ---

NB04, NB05 = "04_style_loss.ipynb", "05_gradient_descent_loop.ipynb"
NB06 = "06_the_papers_settings.ipynb"


def test_04_05_06_solution_counts():
    """04: three exercises, two with checkers; 05: two (momentum, Adam), no
    checker; 06: two, total variation with a checker."""
    for nb, total, checked in [(NB04, 3, 2), (NB05, 2, 0), (NB06, 2, 1)]:
        solutions = solutions_from_notebook(nb)
        assert len(solutions) == total, nb
        assert len([s for s in solutions if s.check]) == checked, nb


@pytest.mark.parametrize("notebook, index", [(NB04, 0), (NB04, 1), (NB06, 0)])
def test_04_06_solutions_pass_their_checkers(notebook, index, capsys):
    solution = [s for s in solutions_from_notebook(notebook) if s.check][index]
    assert run_solution(notebook, solution) is True, capsys.readouterr().out


def test_04_style_losses_match_library():
    fns = definitions_from_notebook(NB04, ["style_layer_loss", "style_loss",
                                           "balanced_weights"])
    layer_loss, style_loss = fns["style_layer_loss"], fns["style_loss"]
    f, s = _features((1, 6, 5, 8), 1), _features((1, 4, 7, 8), 2)
    a = losses.gram_matrix(s[0])
    np.testing.assert_allclose(layer_loss(f, a), losses.style_layer_loss(f, a),
                               rtol=1e-5)
    assert float(layer_loss(f, losses.gram_matrix(f[0]))) == 0.0
    assert checks.check_style_loss(layer_loss) is True

    feats = {"a": _features((1, 6, 6, 4), 3), "b": _features((1, 3, 3, 8), 4)}
    targets = {k: losses.gram_matrix(_features(v.shape, 5)[0]) for k, v in feats.items()}
    for weights in (None, {"a": 0.7, "b": 0.3}, {"b": 2.0}):
        np.testing.assert_allclose(style_loss(feats, targets, weights),
                                   losses.style_loss(feats, targets, weights), rtol=1e-5)
    assert checks.check_style_loss(style_loss) is True

    start = {name: float(layer_loss(feats[name], targets[name])) for name in feats}
    weights = fns["balanced_weights"](["a", "b"], start)
    np.testing.assert_allclose(style_loss(feats, targets, weights), 1.0, rtol=1e-5)


def test_05_gd_step_and_06_total_variation():
    gd_step = definitions_from_notebook(NB05, ["gd_step"], extra=["STEP_SIZE"])["gd_step"]
    total_variation = definitions_from_notebook(NB06, ["total_variation"])["total_variation"]
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(0, 255, (1, 6, 7, 3)).astype(np.float32))
    g = tf.constant(rng.standard_normal((1, 6, 7, 3)).astype(np.float32))
    want = np.clip(x - 10.0 * g / np.std(g.numpy()), 0, 255)
    np.testing.assert_allclose(gd_step(x, g), want, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(gd_step(x, 5 * g), gd_step(x, g), atol=1e-3)

    image = rng.uniform(0, 255, (5, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(total_variation(image),
                               losses.total_variation_loss(image), rtol=1e-5)
    dot = np.zeros((3, 3, 1))
    dot[1, 1] = 9.0
    assert total_variation(dot) == 324.0


def _value_and_gradient(fn, *args):
    """Return (value, gradient with respect to the first argument) as NumPy."""
    x = tf.constant(args[0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x, *args[1:])
    return np.asarray(value), tape.gradient(value, x).numpy()


@pytest.mark.parametrize("notebook, name, library, make_args", [
    ("02_content_loss.ipynb", "content_loss", losses.content_loss,
     lambda: (_features((1, 6, 5, 8), 1), _features((1, 6, 5, 8), 2))),
    ("03_gram_matrices.ipynb", "gram_matrix", losses.gram_matrix,
     lambda: (_features((1, 6, 5, 8), 3),)),
    (NB04, "style_layer_loss", losses.style_layer_loss,
     lambda: (_features((1, 6, 5, 8), 4), losses.gram_matrix(_features((4, 7, 8), 5)))),
])
def test_library_is_the_notebooks_function_value_and_gradient(notebook, name, library,
                                                               make_args):
    """What the text calls "the same function" gives the same value *and* gradient."""
    mine = definitions_from_notebook(notebook, [name])[name]
    args = make_args()
    value, grad = _value_and_gradient(mine, *args)
    want_value, want_grad = _value_and_gradient(library, *args)
    np.testing.assert_allclose(value, want_value, rtol=1e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-5, atol=1e-7)


def test_library_style_loss_is_the_notebooks_value_and_gradient():
    style_loss = definitions_from_notebook(NB04, ["style_layer_loss", "style_loss"])["style_loss"]
    feats = {"a": tf.constant(_features((1, 6, 6, 4), 3)),
             "b": tf.constant(_features((1, 3, 3, 8), 4))}
    targets = {k: losses.gram_matrix(_features(v.shape, 5)) for k, v in feats.items()}
    results = []
    for fn in (style_loss, losses.style_loss):
        with tf.GradientTape() as tape:
            tape.watch(feats)
            value = fn(feats, targets, {"a": 0.7, "b": 0.3})
        results.append((float(value), tape.gradient(value, feats)))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    for key in feats:
        np.testing.assert_allclose(results[0][1][key], results[1][1][key], rtol=1e-5)


def test_06_tv_exercise_solution_is_the_library_value_and_gradient():
    solution = [s for s in solutions_from_notebook(NB06) if s.check][0]
    ns = _namespace_with(NB06, solution.code, [])
    image = np.random.default_rng(4).uniform(0, 255, (1, 5, 6, 3)).astype(np.float32)
    value, grad = _value_and_gradient(ns["my_total_variation"], image)
    want_value, want_grad = _value_and_gradient(losses.total_variation_loss, image)
    np.testing.assert_allclose(value, want_value, rtol=1e-5)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-5, atol=1e-3)


# -------------------------------------------- notebook 08, appendix A2 ---

NB08, NBA2 = "08_beyond_the_basics.ipynb", "A2_large_prints.ipynb"


def _namespace_with(path: str, solution_code: str, names: Sequence[str],
                    values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Imports, then ``values``, a solution, and the notebook's defs of ``names``,
    all in one namespace (an exercise cell's helpers call the solution)."""
    cells = _code_cells(path)
    namespace: dict[str, Any] = {"__name__": Path(path).stem, **(values or {})}
    _exec(_imports(cells), namespace, f"{path}:imports")
    exec(compile(solution_code, f"{path}:solution", "exec"), namespace)  # noqa: S102
    nodes = [node for source in cells for node in ast.parse(source).body
             if isinstance(node, ast.FunctionDef) and node.name in names]
    _exec(nodes, namespace, path)
    return namespace


def test_08_definitions_match_library():
    from style_lib.core import color, spatial
    fns = definitions_from_notebook(
        NB08, ["rgb_to_yiq", "match_luminance", "match_histogram_cholesky",
               "guided_gram"], extra=["RGB_TO_YIQ"])
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (6, 7, 3)).astype(np.float32)
    other = rng.uniform(0, 255, (9, 5, 3)).astype(np.float32) * [0.3, 1.0, 0.6]
    np.testing.assert_allclose(fns["rgb_to_yiq"](image), color.rgb_to_yiq(image),
                               rtol=1e-5, atol=1e-3)
    y1, y2 = color.luminance(other), color.luminance(image)
    np.testing.assert_allclose(fns["match_luminance"](y1, y2),
                               color.match_luminance(y1, y2), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(
        fns["match_histogram_cholesky"](other, image),
        color.match_histogram(other, image, "cholesky", clip=False), rtol=1e-4,
        atol=1e-2)
    f = _features((1, 6, 8, 5), 1)
    mask = rng.random((6, 8)).astype(np.float32)
    np.testing.assert_allclose(fns["guided_gram"](f, mask),
                               spatial.guided_gram(f, mask), rtol=1e-5)


def test_08_solutions_pass_their_checks(capsys):
    solutions = solutions_from_notebook(NB08)
    assert [s.check for s in solutions] == [
        "checks.check_combine_luminance(my_combine_luminance)",
        "checks.check_guided_gram(my_guided_gram)", None]
    for solution in solutions[:2]:
        assert run_solution(NB08, solution) is True, capsys.readouterr().out


def test_A2_memory_solution_answers_its_question():
    """Appendix A2's exercise: the solution asserts its own ordering of the sizes."""
    (solution,) = solutions_from_notebook(NBA2)
    _namespace_with(NBA2, solution.code, [], {"aspect": 4 / 3})


def test_08_brush_size_solution_runs():
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(1)
    values = {"photo": rng.uniform(0, 255, (24, 32, 3)).astype(np.float32),
              "starry": rng.uniform(0, 255, (30, 30, 3)).astype(np.float32),
              "SIZE": 32, "STEPS": 1}
    ns = _namespace_with(NB08, solutions_from_notebook(NB08)[2].code, [], values)
    assert sorted(ns["by_scale"]) == [0.5, 1.0, 2.0]
    plt.close("all")


# ------------------------------------------------------------ notebook 09 ---

NB09 = "09_fast_style_transfer.ipynb"


def test_09_solutions_pass_their_checks(capsys):
    solutions = solutions_from_notebook(NB09)
    assert [s.check for s in solutions] == [
        "checks.check_instance_norm(my_instance_norm)", None]
    assert run_solution(NB09, solutions[0]) is True, capsys.readouterr().out


def test_09_checkerboard_solution_trains_the_transposed_network(demo_images, monkeypatch):
    """Exercise 2's solution, with tiny settings: it trains and compares two networks."""
    import matplotlib.pyplot as plt
    from style_lib.fast import network, training
    rng = np.random.default_rng(2)
    live = type("Live", (), {"model": network.build_transform_net(0.25)})()
    config = training.TrainConfig(style="starry_night", size=32, style_size=64, steps=2,
                                  width=0.25, precision="float32")     # the live run's, tiny
    monkeypatch.setenv("STYLE_LIB_QUICK", "1")                        # pick(quick=2): 2 steps
    with tempfile.TemporaryDirectory() as scratch:
        values = {"CROP": 32, "TRAIN_STEPS": 2, "WIDTH": 0.25, "live": live, "config": config,
                  "SCRATCH": type("Scratch", (), {"name": scratch})(),
                  "held_out": rng.uniform(0, 255, (3, 32, 32, 3)).astype(np.float32)}
        ns = _namespace_with(NB09, solutions_from_notebook(NB09)[1].code, [], values)
    assert ns["transposed"].model.get_layer("up1").mode == "transposed"
    assert len(ns["transposed"].history["step"]) == 2
    plt.close("all")


# ------------------------------------------------------------ notebook 10 ---

NB10 = "10_many_styles.ipynb"


def test_10_solutions_pass_their_checks(capsys):
    solutions = solutions_from_notebook(NB10)
    assert [s.check for s in solutions] == [
        "checks.check_conditional_instance_norm(my_conditional_instance_norm)", None]
    assert run_solution(NB10, solutions[0]) is True, capsys.readouterr().out


def test_10_outside_the_square_solution_extrapolates_past_a_painting():
    """Exercise 2's solution, on a tiny four-style network: t = 1.5 goes past t = 1."""
    import matplotlib.pyplot as plt
    from style_lib.fast import network
    styles = ["a", "b", "c", "d"]
    many = network.build_transform_net(0.25, styles=styles)
    rng = np.random.default_rng(3)
    for v in many.weights:
        if v.path.endswith("/gamma"):
            v.assign(rng.uniform(0.5, 2.0, v.shape))
    values = {"many": many, "paintings": styles,
              "held_out": rng.uniform(0, 255, (3, 32, 32, 3)).astype(np.float32)}
    ns = _namespace_with(NB10, solutions_from_notebook(NB10)[1].code, [], values)
    pictures = ns["pictures"]
    assert list(pictures) == ["t = 0.0", "t = 1.0", "t = 1.5"]
    far = np.abs(pictures["t = 1.5"] - pictures["t = 0.0"]).mean()
    assert far > np.abs(pictures["t = 1.0"] - pictures["t = 0.0"]).mean() > 0
    plt.close("all")


# ------------------------------------------------------------ notebook 11 ---

NB11 = "11_patches_mrf.ipynb"


def test_11_solutions_pass_their_checks(capsys):
    solutions = solutions_from_notebook(NB11)
    assert [s.check for s in solutions] == [
        "checks.check_extract_patches(my_extract_patches)",
        "checks.check_normalized_cross_correlation(my_ncc)"]
    for solution in solutions:
        assert run_solution(NB11, solution) is True, capsys.readouterr().out


def test_11_the_notebooks_search_and_loss_are_the_librarys():
    """The text's brute force, its convolution and mrf.nearest_patches agree;
    its eq. 2 is mrf.mrf_layer_loss, value and gradient."""
    from style_lib.core import mrf
    ns = _namespace_with(NB11, "", ["extract_patches", "nearest_brute_force",
                                    "nearest_by_convolution", "mrf_loss"],
                         {"K": 3})            # the setup cell's patch side
    features = _features((9, 10, 6), 1)
    patches = ns["extract_patches"](_features((8, 7, 6), 2))
    np.testing.assert_array_equal(patches, mrf.extract_patches(_features((8, 7, 6), 2)))
    bank = mrf.patch_bank(patches)
    slow = ns["nearest_brute_force"](features, patches)
    np.testing.assert_array_equal(ns["nearest_by_convolution"](features, patches), slow)
    np.testing.assert_array_equal(mrf.nearest_patches(features, bank).numpy(), slow)
    value, grad = _value_and_gradient(ns["mrf_loss"], features, bank)
    want_value, want_grad = _value_and_gradient(mrf.mrf_layer_loss, features, bank)
    np.testing.assert_allclose(value, want_value, rtol=1e-5)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------ notebook 12 ---

NB12 = "12_video.ipynb"


def test_12_solutions_pass_their_checks(capsys):
    solutions = solutions_from_notebook(NB12)
    assert [s.check for s in solutions] == [
        "checks.check_warp(my_warp)",
        "checks.check_consistency_mask(my_consistency_mask)"]
    for solution in solutions:
        assert run_solution(NB12, solution) is True, capsys.readouterr().out
