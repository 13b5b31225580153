"""Notebooks 07, 10 and 13 in a real browser: JupyterLab + headless Chromium (Playwright).

Starts JupyterLab on 127.0.0.1 in a temporary folder holding a copy of the
notebook, opens it in Debian's Chromium (/usr/bin/chromium; Playwright's
own browser download is never used), runs all cells from the Run menu, waits
for the app's picture, presses ArrowRight on a slider (notebook 07: the
style weight; notebook 10: a painting's blend weight; notebook 13: AdaIN's α) and checks that the
picture <img> changes. Screenshots go to ``tmp_path`` and to
``test-output/browser/<notebook>/`` in the repository (git-ignored).

Skipped when Chromium is missing, except under CI (env ``CI`` set), where a
missing browser is a failure.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "07_interactive_weights.ipynb"
BLEND_NOTEBOOK = REPO / "notebooks" / "10_many_styles.ipynb"
ADAIN_NOTEBOOK = REPO / "notebooks" / "13_adain.ipynb"
CHROMIUM = Path(os.environ.get("STYLE_LIB_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = REPO / "test-output" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

SERVER_START_S = 60        # JupyterLab answering HTTP
PAGE_LOAD_S = 60           # the notebook open, kernel idle
RUN_ALL_S = 180            # every cell executed (kernel start + TF import + runs)
SLIDER_RESPONSE_S = 60     # preview changed after the key presses


def _browser_or_skip() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (f"no Chromium at {CHROMIUM}: install Debian's package with "
              "`apt-get install -y chromium` (or set STYLE_LIB_CHROMIUM)")
    if os.environ.get("CI"):
        pytest.fail(reason + " -- CI must run the browser test")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> int:
    request = urllib.request.Request(url)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


class _Lab:
    """A JupyterLab server in ``root`` with private config/data/runtime dirs."""

    def __init__(self, root: Path, home: Path, images: Path) -> None:
        self.root, self.port = root, _free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        config = home / "config"
        (config / "labconfig").mkdir(parents=True)
        # No news, no update check, no announcement toasts over the notebook.
        (config / "jupyter_server_config.json").write_text(json.dumps({
            "LabApp": {"news_url": None,
                       "check_for_updates_class":
                           "jupyterlab.handlers.announcements.NeverCheckForUpdate"},
        }))
        (config / "labconfig" / "page_config.json").write_text(json.dumps({
            "disabledExtensions": {
                "@jupyterlab/apputils-extension:announcements": True}}))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "MPLBACKEND", "IPYTHON"))}
        env.update({
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "IPYTHONDIR": str(home / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "STYLE_LIB_QUICK": "1", "STYLE_LIB_OFFLINE": "1",
            "STYLE_LIB_IMAGE_MIRROR": str(images),
            "STYLE_LIB_CACHE": str(home / "image-cache"),
            "PYTHONPATH": os.pathsep.join(
                [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]),
        })
        self.log = (home / "jupyterlab.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser",
             "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
             f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}",
             f"--LabApp.workspaces_dir={home / 'workspaces'}",
             "--LabApp.extension_manager=readonly"]      # never asks PyPI
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0
               else []),
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("JupyterLab exited early; see " + self.log.name)
            try:
                if _get(f"{self.base}/api/status?token={self.token}") == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s")

    def url(self, path: str) -> str:
        return f"{self.base}/{path}?token={self.token}"

    def close(self) -> None:
        if self.process.poll() is None:
            try:   # a clean shutdown also stops the kernel
                request = urllib.request.Request(
                    f"{self.base}/api/shutdown", method="POST",
                    headers={"Authorization": f"token {self.token}"})
                urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(10)
        self.log.close()


def _run_all_cells(page) -> None:
    """Run › Run All Cells, through the menu bar as a student would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^\s*Run\s*$")).first.click()
    page.locator(".lm-Menu-itemLabel",
                 has_text=re.compile(r"^\s*Run All Cells\s*$")).first.click()


def _cells_done(page) -> tuple[bool, str]:
    """Return (all code cells executed, a short description of the state)."""
    # textContent, not innerText: JupyterLab does not render off-screen cells.
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    busy = sum("*" in p for p in prompts)
    blank = sum(p.strip() in ("", "[ ]:") for p in prompts)
    return (bool(prompts) and busy == 0 and blank == 0,
            f"{len(prompts)} code cells, {busy} running, {blank} not run")


class _Notebook:
    """``notebook`` copied to a fresh JupyterLab, opened in Chromium, Run All done.

    Use as a context manager; ``page`` is the Playwright page. Screenshots
    and the server log are copied to ``test-output/browser/`` on exit.
    """

    def __init__(self, notebook: Path, tmp_path: Path, mirror_dir: Path) -> None:
        self.notebook, self.tmp_path, self.mirror_dir = notebook, tmp_path, mirror_dir

    def __enter__(self):
        chromium = _browser_or_skip()
        sync_api = pytest.importorskip("playwright.sync_api")
        root = self.tmp_path / "lab"
        root.mkdir()
        shutil.copy(self.notebook, root / self.notebook.name)
        self.lab = _Lab(root, self.tmp_path / "home", self.mirror_dir)
        try:
            self.lab.wait_ready(SERVER_START_S)
            self.playwright = sync_api.sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
            page = self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(PAGE_LOAD_S * 1000)
            page.goto(self.lab.url(f"lab/tree/{self.notebook.name}"),
                      wait_until="domcontentloaded")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
            # The kernel is ready when the status bar says Idle.
            page.locator(".jp-Notebook").first.wait_for()
            page.wait_for_function("() => document.body.innerText.includes('Idle')",
                                   timeout=PAGE_LOAD_S * 1000)
            _run_all_cells(page)
            deadline = time.monotonic() + RUN_ALL_S
            done, state = _cells_done(page)
            while not done and time.monotonic() < deadline:
                time.sleep(0.5)
                done, state = _cells_done(page)
            page.screenshot(path=str(self.tmp_path / "after_run_all.png"))
            errors = page.locator(
                "[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()
            tracebacks = [e for e in errors if "Error" in e]
            assert not tracebacks, "a cell failed:\n" + "\n".join(tracebacks)[:2000]
            assert done, f"Run All did not finish in {RUN_ALL_S} s: {state}"
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if getattr(self, "browser", None) is not None:
                self.browser.close()
            if getattr(self, "playwright", None) is not None:
                self.playwright.stop()
        finally:
            self.lab.close()
            out = OUTPUT / self.notebook.stem
            out.mkdir(parents=True, exist_ok=True)
            for png in self.tmp_path.glob("*.png"):
                shutil.copy(png, out / png.name)
            log = self.tmp_path / "home" / "jupyterlab.log"
            if log.exists():
                shutil.copy(log, out / "jupyterlab.log")
            self.browser = self.playwright = None


def _wait_for_new_picture(page, selector: str, old: str) -> None:
    page.wait_for_function(
        "([sel, old]) => { const img = document.querySelector(sel);"
        " return img && img.src && img.src !== old; }",
        arg=[selector, old], timeout=SLIDER_RESPONSE_S * 1000)


def test_slider_changes_the_preview_in_jupyterlab(tmp_path: Path, mirror_dir: Path) -> None:
    started = time.monotonic()
    shot = tmp_path / "notebook07_app.png"
    with _Notebook(NOTEBOOK, tmp_path, mirror_dir) as nb:
        page = nb.page
        preview = page.locator("img.style-preview").first
        preview.wait_for(state="attached", timeout=SLIDER_RESPONSE_S * 1000)
        preview.scroll_into_view_if_needed()
        preview.wait_for(state="visible")
        before = preview.get_attribute("src")
        assert before, "the preview has no image"
        status = page.locator(".style-status").first
        readout = page.locator(".style-weight-slider .widget-readout").first
        value_before = readout.inner_text()

        handle = page.locator(".style-weight-slider .noUi-handle").first
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
            time.sleep(0.05)
        _wait_for_new_picture(page, "img.style-preview", before)
        # Let the run end so the screenshot shows a finished state.
        page.wait_for_function(
            "() => { const s = document.querySelector('.style-status');"
            " return s && /Converged|Done|Stopped/.test(s.innerText); }",
            timeout=SLIDER_RESPONSE_S * 1000)
        value_after = readout.inner_text()
        status_text = status.inner_text()
        page.locator(".style-app").first.screenshot(path=str(shot))
        page.screenshot(path=str(tmp_path / "page.png"))

    assert value_after != value_before, (value_before, value_after)
    assert "⚠" not in status_text, status_text
    assert shot.stat().st_size > 10_000
    assert time.monotonic() - started < 170, "the browser test is getting slow"


def test_blend_slider_changes_the_picture_in_jupyterlab(tmp_path: Path,
                                                        mirror_dir: Path) -> None:
    """Notebook 10: drag a style's slider up from 0; the blended picture is redrawn."""
    selector = ".style-blend-app img.style-preview"
    shot = tmp_path / "notebook10_blend_app.png"
    with _Notebook(BLEND_NOTEBOOK, tmp_path, mirror_dir) as nb:
        page = nb.page
        picture = page.locator(selector).first
        picture.wait_for(state="attached", timeout=SLIDER_RESPONSE_S * 1000)
        picture.scroll_into_view_if_needed()
        picture.wait_for(state="visible")
        before = picture.get_attribute("src")
        assert before, "the blend app shows no picture"
        sliders = page.locator(".style-blend-app .style-blend-slider")
        assert sliders.count() == 4, sliders.count()
        readout = sliders.nth(2).locator(".widget-readout")
        value_before = readout.inner_text()
        handle = sliders.nth(2).locator(".noUi-handle")
        handle.focus()
        for _ in range(4):
            handle.press("ArrowRight")
            time.sleep(0.05)
        _wait_for_new_picture(page, selector, before)
        value_after = readout.inner_text()
        status_text = page.locator(".style-blend-app .style-status").first.inner_text()
        page.locator(".style-blend-app").first.screenshot(path=str(shot))

    assert float(value_before) == 0.0 and float(value_after) > 0.0, (value_before, value_after)
    assert "⚠" not in status_text and "ms" in status_text, status_text
    assert shot.stat().st_size > 10_000


def test_alpha_slider_changes_the_picture_in_jupyterlab(tmp_path: Path,
                                                        mirror_dir: Path) -> None:
    """Notebook 13: move AdaIN's α slider down; the picture is redrawn with the new α."""
    selector = ".adain-app img.adain-picture"
    shot = tmp_path / "notebook13_adain_app.png"
    with _Notebook(ADAIN_NOTEBOOK, tmp_path, mirror_dir) as nb:
        page = nb.page
        picture = page.locator(selector).first
        picture.wait_for(state="attached", timeout=SLIDER_RESPONSE_S * 1000)
        picture.scroll_into_view_if_needed()
        picture.wait_for(state="visible")
        before = picture.get_attribute("src")
        assert before, "the AdaIN app shows no picture"
        slider = page.locator(".adain-app .adain-alpha-slider").first
        readout = slider.locator(".widget-readout")
        value_before = readout.inner_text()
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(4):
            handle.press("ArrowLeft")
            time.sleep(0.05)
        _wait_for_new_picture(page, selector, before)
        value_after = readout.inner_text()
        status_text = page.locator(".adain-app .adain-status").first.inner_text()
        page.locator(".adain-app").first.screenshot(path=str(shot))

    assert float(value_after) < float(value_before), (value_before, value_after)
    assert "⚠" not in status_text and "ms" in status_text, status_text
    assert shot.stat().st_size > 10_000
