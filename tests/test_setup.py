"""``style_lib.setup()``: the first line of every notebook."""
from __future__ import annotations

import logging
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

import style_lib
from style_lib import session


def _draws() -> tuple:
    return (random.random(), np.random.rand(3).tolist(),
            tf.random.uniform((3,)).numpy().tolist(), keras.random.normal((2,)).numpy().tolist())


def test_setup_seeds_python_numpy_and_tensorflow(capsys):
    style_lib.setup()
    first = _draws()
    style_lib.setup()
    assert _draws() == first                      # the same seed: the same numbers
    style_lib.setup(seed=7)
    assert _draws() != first
    style_lib.setup(seed=7)
    again = _draws()
    style_lib.setup(seed=7)
    assert _draws() == again
    capsys.readouterr()


def test_setup_prints_one_line_in_quick_mode(monkeypatch, capsys):
    monkeypatch.setenv("STYLE_LIB_QUICK", "1")
    assert style_lib.setup() is True
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.strip() == (f"style_lib {style_lib.__version__} · TensorFlow {tf.__version__} · "
                           f"Keras {keras.__version__} · quick mode (STYLE_LIB_QUICK=1): "
                           "small images, few steps")


def test_setup_prints_one_line_in_full_mode(monkeypatch, capsys):
    monkeypatch.delenv("STYLE_LIB_QUICK", raising=False)
    assert style_lib.setup() is False
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith(f"style_lib {style_lib.__version__} · TensorFlow {tf.__version__}")
    assert out.strip().endswith("· full mode")


def test_setup_silences_python_log_lines(capsys):
    from absl import logging as absl_logging

    style_lib.setup()
    capsys.readouterr()
    assert tf.get_logger().getEffectiveLevel() >= logging.ERROR
    assert absl_logging.get_verbosity() <= absl_logging.ERROR


@pytest.mark.parametrize("module, name, old, fix", [
    (tf, "TensorFlow", "2.15.1", "pip install -r requirements.txt"),
    (keras, "Keras", "2.15.0", "pip install -r requirements.txt"),
])
def test_too_old_a_library_gives_one_line_with_the_fix(monkeypatch, capsys, module, name,
                                                       old, fix):
    monkeypatch.setattr(module, "__version__", old)
    with pytest.raises(session.VersionError) as info:
        style_lib.setup()
    message = str(info.value)
    assert "\n" not in message
    assert f"{name} " in message and f"found {old}" in message and fix in message
    assert capsys.readouterr().out == ""          # no mode line before the error


def test_too_old_a_python_gives_one_line_with_the_fix(monkeypatch):
    monkeypatch.setattr(session.platform, "python_version", lambda: "3.9.18")
    with pytest.raises(RuntimeError, match=r"^style_lib needs Python 3\.10 or newer, "
                                           r"found 3\.9\.18: .*make clean setup"):
        style_lib.setup()


@pytest.mark.parametrize("version, release", [
    ("2.16.0", (2, 16, 0)), ("2.16.0rc1", (2, 16, 0)), ("3.15.1.dev2025", (3, 15, 1)),
    ("3.10.12+", (3, 10, 12)), ("3", (3,))])
def test_release_numbers(version, release):
    assert session._release(version) == release


def test_new_enough_versions_pass():
    assert session.check_versions({"Python": "3.10.0", "TensorFlow": "2.16.1",
                                  "Keras": "3.0.0"})["Keras"] == "3.0.0"
    with pytest.raises(session.VersionError, match="TensorFlow 2.16"):
        session.check_versions({"Python": "3.12.1", "TensorFlow": "2.9.3", "Keras": "3.3"})


def test_setup_draws_figures_inline_in_a_headless_kernel(tmp_path, monkeypatch):
    """With MPLBACKEND=Agg (CI, a headless export), a notebook's figures must
    still reach its outputs."""
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("STYLE_LIB_QUICK", "1")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\nimport style_lib\nfrom style_lib.teaching import plots\n"
        "style_lib.setup()\n"
        "plots.image_grid({'grey': np.full((16, 16, 3), 128.0)});")])
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    kinds = [kind for out in nb.cells[0].outputs for kind in out.get("data", {})]
    assert "image/png" in kinds, nb.cells[0].outputs


def test_inline_figures_is_a_no_op_outside_jupyter():
    from style_lib import session
    assert session.inline_figures() is False
