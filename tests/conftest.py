"""Shared pytest fixtures: no network, and the location of the image mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Read once at start-up: some fixtures delete the variable for the test's own
# purposes, and the mirror must still be found after that.
_MIRROR_ENV = os.environ.get("STYLE_LIB_IMAGE_MIRROR", "")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with STYLE_LIB_OFFLINE=1, so nothing touches the network."""
    monkeypatch.setenv("STYLE_LIB_OFFLINE", "1")


@pytest.fixture
def mirror_dir() -> Path:
    """Folder holding the demo images under their short names (e.g. starry_night.jpg).

    ``shared/images`` in the folder that holds the repository, else
    $STYLE_LIB_IMAGE_MIRROR as it was when the test run started; tests that need
    it are skipped when neither exists (and fail under CI).
    """
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "images"]
    env = _MIRROR_ENV
    if env and "://" not in env:
        candidates.append(Path(env).expanduser())
    for folder in candidates:
        if folder.is_dir():
            return folder
    message = "no image mirror: set STYLE_LIB_IMAGE_MIRROR to a folder with the demo images"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run every test)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def _demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("style_lib_cache")


@pytest.fixture
def demo_images(mirror_dir: Path, _demo_cache: Path,
                monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make ``style_lib.io.data`` serve the demo images from the mirror (offline)."""
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", str(mirror_dir))
    monkeypatch.setenv("STYLE_LIB_CACHE", str(_demo_cache))
    return mirror_dir


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._style_lib_started = __import__("time").perf_counter()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Record the suite's wall time for the benchmark table (not asserted)."""
    import datetime
    import json
    import time

    started = getattr(session.config, "_style_lib_started", None)
    paths = {str(item.fspath) for item in session.items}
    whole = any(p.endswith(".ipynb") for p in paths) and any(
        "/tests/" in p for p in paths)
    if started is None or not whole:          # only whole-suite runs count
        return
    out = Path(__file__).resolve().parents[1] / "test-output"
    out.mkdir(exist_ok=True)
    (out / "last_test_run.json").write_text(json.dumps({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "tests": session.testscollected,
        "outcome": "passed" if exitstatus == 0 else f"exit status {exitstatus}",
    }, indent=2) + "\n")


@pytest.fixture
def recoloured_patch():
    """Two frames ``(2, 64, 96, 3)`` of a still scene in which one patch changes hue
    but not brightness, and that patch's slices: DIS matches grey levels, so its flow
    there is still and passes Ruder et al.'s tests, but the photos disagree."""
    import numpy as np
    ys, xs = np.mgrid[0:64, 0:96].astype(np.float32)
    scene = np.stack([2 * xs, 3 * ys, 120 + 0 * xs], axis=-1)
    patch = (slice(20, 40), slice(30, 60))
    before, after = scene.copy(), scene.copy()
    before[patch] = [200.0, 100.0, 50.0]               # grey 124
    after[patch] = [30.0, 165.0, 150.0]                # grey 123
    return np.stack([before, after]), patch
