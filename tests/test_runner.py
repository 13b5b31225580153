"""Tests for style_lib.teaching.runner: the slider app's engine, driven without ipywidgets."""
from __future__ import annotations

import math
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.polling import TIMEOUT, wait_for
from style_lib.teaching import runner as runner_module
from style_lib.errors import ImageError
from style_lib.pixel.optimize import Progress
from style_lib.teaching.runner import (HISTORY_KEYS, ConvergenceCheck, StyleRunner,
                              one_line)
from style_lib.settings import DEFAULT_STYLE_WEIGHT, default_style_weight

SIZE = 64               # quick-mode size


@pytest.fixture
def images_env(mirror_dir: Path, tmp_path_factory: pytest.TempPathFactory,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """Serve the demo images from the mirror, with a private cache folder."""
    cache = tmp_path_factory.getbasetemp() / "runner_image_cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", str(mirror_dir))
    monkeypatch.setenv("STYLE_LIB_CACHE", str(cache))
    return mirror_dir


@pytest.fixture
def make_runner(images_env):
    """Build small runners that record how each run ended; stop them after."""
    runners: list[StyleRunner] = []

    def make(content="tubingen", style="starry_night", **kwargs) -> StyleRunner:
        finished: list[tuple[str, object]] = []
        options = dict(size=SIZE, steps=6, weights="imagenet", debounce=0.2,
                       preview_interval=0.0)
        options.update(kwargs)
        runner = StyleRunner(content, style, **options)
        runner.callbacks["finish"] = lambda reason: finished.append(
            (reason, runner.last_result))
        runner.finished = finished
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.stop()
        assert runner.wait(TIMEOUT), "a run did not stop when asked"


def progress(step: int, total: float) -> Progress:
    return Progress(step, 100, total, total, 0.0, 0.0, 0.01 * step,
                    np.zeros((2, 2, 3), np.float32))


# -------------------------------------------------------- convergence ---

def test_convergence_check_stops_on_a_plateau_only() -> None:
    check = ConvergenceCheck(tol=0.01, window=3)
    falling = [100.0 * 0.9 ** n for n in range(30)]      # -10 % a step
    assert not any(check(progress(n + 1, v)) for n, v in enumerate(falling))
    check = ConvergenceCheck(tol=0.01, window=3)
    # Falls, then a rejected trial step (higher) and a plateau: the best loss
    # counts, so the spike neither resets nor triggers the window.
    totals = [100, 50, 25, 400, 24.9, 24.9, 24.9, 24.9]
    stops = [check(progress(n + 1, v)) for n, v in enumerate(totals)]
    assert check.bests[:4] == [100, 50, 25, 25]
    assert stops == [False] * 5 + [True] * 3             # 25 -> 24.9 in 3 steps
    with pytest.raises(ValueError, match="window"):
        ConvergenceCheck(window=0)


def test_convergence_callback_ends_a_run_before_the_budget(make_runner) -> None:
    runner = make_runner(steps=200, tol=1e9, window=3)   # converged at step 4
    assert runner.run(wait=True, timeout=TIMEOUT)
    assert runner.last_error is None, runner.status_text
    assert runner.last_reason == "converged"
    assert runner.last_steps == 4 and runner.last_result.stopped
    assert runner.status_text.startswith("Converged after 4 steps")
    assert [r for r, _ in runner.finished] == ["converged"]


# ------------------------------------------------------------ debounce ---

def test_rapid_changes_give_one_run_of_the_final_settings(make_runner) -> None:
    runner = make_runner(debounce=0.3)
    values = np.logspace(1, 7, 20)
    for value in values:                             # faster than the debounce
        assert runner.update(style_weight=float(value))
    assert runner.busy and runner.runs_started == 0
    assert runner.wait(TIMEOUT)
    assert runner.runs_started == runner.runs_finished == 1
    assert [r for r, _ in runner.finished] == ["budget"]
    assert runner.last_result.settings["style_weight"] == pytest.approx(values[-1])
    assert runner.settings()["style_weight"] == pytest.approx(values[-1])


def test_a_change_cancels_the_run_and_restarts_from_its_picture(make_runner) -> None:
    runner = make_runner(steps=2, debounce=0.05)
    assert runner.run(wait=True, timeout=TIMEOUT)    # build the stylizer
    stylizer = runner.stylizer
    calls, active, peak, lock = [0], [0], [0], threading.Lock()
    original = stylizer.run

    def counting_run(*args, **kwargs):
        with lock:
            calls[0] += 1
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    stylizer.run = counting_run
    try:
        assert runner.update(steps=500) and not runner.busy   # steps: no run
        runner.run()
        assert wait_for(lambda: len(runner.history["step"]) >= 3)
        assert runner.update(style_weight=1e5)          # cancels at once
        assert wait_for(lambda: len(runner.finished) == 2)
        reason, cancelled = runner.finished[1]
        assert reason == "cancelled" and len(cancelled.history["step"]) < 500
        assert wait_for(lambda: calls[0] == 2)          # the restart runs
        assert wait_for(lambda: len(runner.history["step"]) >= 2)
        runner.stop()
        assert runner.wait(10.0)
        assert [r for r, _ in runner.finished] == ["budget", "cancelled", "stopped"]
        assert runner.runs_started == 3 and peak[0] == 1   # one at a time
    finally:
        del stylizer.run
    restarted = runner.finished[2][1]
    assert restarted.settings["init"] == "array"       # a warm start from
    assert restarted.settings["style_weight"] == pytest.approx(1e5)
    expected = stylizer.loss_terms(cancelled.image)["total"]   # the picture
    assert restarted.history["total"][0] == pytest.approx(expected, rel=1e-4)


# ---------------------------------------------------------------- stop ---

def test_stop_mid_run_keeps_the_best_image(make_runner) -> None:
    runner = make_runner(steps=500)
    runner.run()
    assert wait_for(lambda: len(runner.history.get("step", [])) >= 3)
    started = time.monotonic()
    runner.stop()
    assert runner.wait(10.0) and time.monotonic() - started < 10.0
    assert runner.last_reason == "stopped"
    assert "stopped" in runner.status_text.lower()
    assert 3 <= runner.last_steps < 500
    result, image = runner.last_result, runner.current_image
    np.testing.assert_array_equal(image, result.image)
    assert not np.array_equal(image, runner.content_image)
    best = min(result.history["total"])
    assert runner.history["total"][-1] == pytest.approx(best)
    assert runner.stylizer.loss_terms(image)["total"] == pytest.approx(best, rel=1e-3)


def test_reset_restores_defaults_and_the_photo_without_a_run(make_runner) -> None:
    runner = make_runner()
    shown: list[np.ndarray] = []
    runner.callbacks["preview"] = shown.append
    assert runner.update(style_weight=1e6, layer_weights=[1, 0, 0, 0, 0])
    assert runner.wait(TIMEOUT) and runner.runs_started == 1
    assert not np.array_equal(runner.current_image, runner.content_image)
    runner.reset()
    assert not runner.busy and runner.runs_started == 1
    settings = runner.settings()
    assert settings["style_weight"] == DEFAULT_STYLE_WEIGHT
    assert settings["layer_weights"] == [0.2] * 5
    np.testing.assert_array_equal(runner.current_image, runner.content_image)
    np.testing.assert_array_equal(shown[-1], runner.content_image)
    assert runner.history == {} and "Reset" in runner.status_text


# -------------------------------------------------------------- errors ---

def test_run_errors_become_one_line_statuses(make_runner, monkeypatch) -> None:
    runner = make_runner()

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nTraceback (most recent call last):\n  File x")

    monkeypatch.setattr(runner_module, "get_stylizer", broken)
    assert runner.run(wait=True, timeout=TIMEOUT)
    assert runner.last_reason == "error" and runner.status_is_error
    assert isinstance(runner.last_error, RuntimeError)
    assert runner.status_text == ("The run failed: RuntimeError: boom "
                                  "Traceback (most recent call last): File x")
    assert "\n" not in runner.status_text and not runner.busy
    assert [r for r, _ in runner.finished] == ["error"]

    def unreadable(*args, **kwargs):
        raise ImageError("the painting could not be read; try another one.")

    monkeypatch.setattr(runner_module, "get_stylizer", unreadable)
    assert runner.run(wait=True, timeout=TIMEOUT)
    assert runner.status_text == ("The run failed: the painting could not be "
                                  "read; try another one.")


def test_bad_settings_change_nothing_and_explain(make_runner) -> None:
    runner = make_runner()
    before = runner.settings()
    assert not runner.update(style_weight=-1.0)
    assert runner.status_is_error and "\n" not in runner.status_text
    assert runner.status_text.startswith("Setting refused: style_weight must be")
    assert not runner.update(content="tubingn")         # a typo
    assert "Did you mean 'tubingen'" in runner.status_text
    assert not runner.update(layer_weights=[1.0, 2.0])
    assert "layer_weights has 2 values for 5" in runner.status_text
    assert runner.settings() == before and not runner.busy
    with pytest.raises(TypeError, match="unknown settings"):
        runner.update(style_wieght=1.0)
    assert len(one_line(ValueError("x" * 1000))) <= 300


# ------------------------------------------------------------- history ---

def test_history_uses_unweighted_terms(make_runner) -> None:
    runner = make_runner(steps=8)
    alpha, beta, gamma = 2.0, 3e4, 0.5
    assert runner.update(content_weight=alpha, style_weight=beta,
                         tv_weight=gamma, layer_weights=[1, 0.5, 0.25, 0, 0])
    assert runner.wait(TIMEOUT) and runner.last_error is None, runner.status_text
    history, result = runner.history, runner.last_result
    assert tuple(history) == HISTORY_KEYS == tuple(result.history)
    assert history["step"] == result.history["step"]
    for total, c, s, tv in zip(*(history[k] for k in ("total", "content",
                                                       "style", "tv"))):
        assert total == pytest.approx(alpha * c + beta * s + gamma * tv, rel=1e-5)
        assert not math.isclose(total, c + s + tv, rel_tol=1e-3)   # not weighted
    assert all(b <= a for a, b in zip(history["total"], history["total"][1:]))
    assert history["total"][-1] == pytest.approx(result.best_loss)
    first = result.history                           # the first step is shared
    assert [history[k][0] for k in HISTORY_KEYS[:5]] == \
        [first[k][0] for k in HISTORY_KEYS[:5]]


def test_the_runner_does_not_need_ipywidgets() -> None:
    code = ("import sys, style_lib.teaching.runner; "
            "print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


def test_the_app_computes_in_the_fast_precision_and_refuses_a_bad_one(make_runner,
                                                                     monkeypatch) -> None:
    from style_lib.core import vgg
    from style_lib.errors import SettingsError
    runner = make_runner()
    assert runner.precision == vgg.fast_precision()
    assert runner.run(wait=True, timeout=TIMEOUT) and runner.last_reason != "error"
    assert runner.stylizer.precision == runner.precision
    assert runner.last_result.settings["precision"] == runner.precision
    with pytest.raises(SettingsError, match="precision"):
        make_runner(precision="half")


def test_a_run_from_the_photo_ends_when_the_picture_is_finished(make_runner) -> None:
    """The app's Run stops at the judge's "finished" and says how far the picture
    is; a warm start from a finished picture goes on (a slider's change shows)."""
    # 96 px: at 64 px this pair's layout goes before its style arrives
    runner = make_runner(size=96, steps=200, tol=1e-9, window=50)   # never "converged"
    beta = 2 * default_style_weight(*runner.content_image.shape[:2])
    assert runner.update(style_weight=beta)
    assert runner.wait(TIMEOUT)
    assert runner.last_error is None, runner.status_text
    assert runner.last_reason == "finished", runner.status_text
    relative, layout = runner.last_measure
    assert relative <= 0.3 and layout >= 0.9
    assert runner.status_text.startswith("Finished after") and "x the photo's" in \
        runner.status_text
    first = runner.last_steps
    assert 1 < first < 200
    assert runner.update(style_weight=2 * beta)        # from the finished picture
    assert runner.wait(TIMEOUT)
    assert runner.last_reason != "finished" and runner.last_steps > 1
