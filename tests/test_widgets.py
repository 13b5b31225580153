"""Tests for style_lib.teaching.widgets: the slider app, driven from Python (no browser).

Setting ``slider.value`` in Python runs the same observers as moving the
slider in JupyterLab, so these tests cover the callbacks; tests/test_browser.py
covers the real page and tests/test_runner.py the engine (threads,
debouncing, convergence) without ipywidgets.
"""
from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.polling import TIMEOUT, wait_for
from style_lib.teaching import plots, runner, widgets
from style_lib.errors import ImageError
from style_lib.io.images import load_image, save_new_image, to_uint8
from style_lib.settings import DEFAULT_STYLE_LAYERS, DEFAULT_STYLE_WEIGHT
from style_lib.teaching.widgets import StyleTransferApp, format_weight, settings_name

SIZE = 48


@pytest.fixture
def images_env(mirror_dir: Path, tmp_path_factory: pytest.TempPathFactory,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """Serve the demo images from the mirror, with a private cache folder."""
    cache = tmp_path_factory.getbasetemp() / "widgets_image_cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", str(mirror_dir))
    monkeypatch.setenv("STYLE_LIB_CACHE", str(cache))
    return mirror_dir


@pytest.fixture
def make_app(images_env, tmp_path: Path):
    """Build tiny apps (offline weights, short debounce); stop them afterwards."""
    apps: list[StyleTransferApp] = []

    def make(content="tubingen", style="starry_night",
             **kwargs) -> StyleTransferApp:
        options = dict(size=SIZE, steps=6, weights="imagenet", debounce=0.2,
                       preview_interval=0.0, output_dir=tmp_path / "out")
        options.update(kwargs)
        app = StyleTransferApp(content, style, **options)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()
        assert app.wait(TIMEOUT), "a run did not stop when asked"


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(array)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def upload_value(name: str, content: bytes) -> tuple[dict, ...]:
    """What ipywidgets' FileUpload holds after the browser sent one file."""
    import datetime as dt
    return ({"name": name, "type": "image/png", "size": len(content),
             "content": memoryview(content),
             "last_modified": dt.datetime.now(dt.timezone.utc)},)


# ------------------------------------------------------------ pure helpers --

def test_format_weight_is_short_and_file_name_safe() -> None:
    assert [format_weight(v) for v in (1, 1e4, 1e-2, 0, 3162.3, 0.5, 9.96)] \
        == ["1", "1e4", "1e-2", "0", "3.2e3", "5e-1", "1e1"]


def test_settings_name_records_the_settings() -> None:
    assert settings_name("tubingen", "starry_night", content_weight=1,
                         style_weight=1e4, tv_weight=1e-2, size=192) \
        == "tubingen-starry_night-c1-s1e4-tv1e-2-192px.png"
    name = settings_name("my cat!", "starry_night", content_weight=1,
                         style_weight=1e5, tv_weight=0, size=64,
                         layer_weights=[1, 0, 0, 0, 0.5])
    assert name == "my_cat-starry_night-c1-s1e5-tv0-64px-lw1_0_0_0_0.5.png"


# ------------------------------------------------------------------- the UI --

def test_app_builds_the_controls(make_app) -> None:
    app = make_app()
    assert app.size == SIZE and app.steps == 6
    assert app.content_weight_slider.value == 1
    assert app.style_weight_slider.value == pytest.approx(DEFAULT_STYLE_WEIGHT) == 1e3
    assert app.tv_weight_slider.value == pytest.approx(1e-2)
    for slider, low, high in ((app.content_weight_slider, 1e-3, 1e3),
                              (app.style_weight_slider, 1, 1e8),
                              (app.tv_weight_slider, 1e-6, 1e2)):
        assert 10 ** slider.min <= low and 10 ** slider.max >= high
    assert list(app.layer_sliders) == list(DEFAULT_STYLE_LAYERS)
    # The notebooks' notation: J = α L_content + β L_style + γ L_tv.
    assert [s.description for s in (app.content_weight_slider,
                                    app.style_weight_slider,
                                    app.tv_weight_slider)] \
        == ["content α", "style β", "smoothing γ"]
    assert app.settings() == app.runner.settings()
    assert "tubingen" in app.content_picker.options
    assert "starry_night" in app.content_picker.options   # any name goes
    assert "chelsea" in app.style_picker.options
    assert app.preview_png.startswith(b"\x89PNG")
    assert app.current_image.shape == (36, 48, 3)
    assert app.stylizer is None and app.runs_started == 0  # nothing ran yet
    assert "style-preview" in app.preview._dom_classes
    assert "style-weight-slider" in app.style_weight_slider._dom_classes
    assert "style-app" in app.widget._dom_classes
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Ready" in app.status_text


def test_slider_move_warm_starts_with_cached_targets(make_app) -> None:
    app = make_app()
    assert app.run(wait=True, timeout=TIMEOUT)
    assert app.last_error is None, app.status_text
    stylizer, traces = app.stylizer, app.stylizer.traces
    assert stylizer.targets_computed == 1
    before_png, before_image = app.preview_png, app.current_image
    previews, runs = app.previews_shown, app.runs_started

    app.style_weight_slider.value = 1e6            # as if the slider moved
    assert app.wait(TIMEOUT)
    assert app.runs_started == runs + 1            # the callback ran
    assert app.previews_shown > previews
    assert app.preview_png != before_png           # the picture changed
    assert app.stylizer is stylizer                # same targets ...
    assert stylizer.targets_computed == 1          # ... not recomputed
    assert stylizer.traces == traces               # and no retrace
    assert app.stylizers_built == 1
    assert float(stylizer.style_weight.numpy()) == pytest.approx(1e6)
    # Warm start: the run began at the previous picture, not at the photo.
    result = app.last_result
    assert result.settings["init"] == "array"
    expected = stylizer.loss_terms(before_image)["total"]
    assert result.history["total"][0] == pytest.approx(expected, rel=1e-4)
    assert result.history["total"][-1] < result.history["total"][0]


def test_layer_and_tv_sliders_reach_the_stylizer(make_app) -> None:
    app = make_app()
    assert app.run(wait=True, timeout=TIMEOUT)
    traces = app.stylizer.traces
    app.layer_sliders["conv1_1"].value = 1.0
    app.tv_weight_slider.value = 1.0
    assert app.wait(TIMEOUT)
    weights = app.stylizer.weights()
    assert weights["layer_weights"]["conv1_1"] == pytest.approx(1.0)
    assert weights["tv_weight"] == pytest.approx(1.0)
    assert app.stylizer.traces == traces


def test_rapid_moves_are_debounced_into_one_run(make_app) -> None:
    app = make_app(debounce=0.3)
    assert app.run(wait=True, timeout=TIMEOUT)
    runs = app.runs_started
    for value in (1e3, 1e4, 1e5, 1e6, 1e7):        # faster than the debounce
        app.style_weight_slider.value = value
        time.sleep(0.02)
    assert app.busy
    assert app.wait(TIMEOUT)
    assert app.runs_started == runs + 1
    assert app.last_result.settings["style_weight"] == pytest.approx(1e7)


def test_stop_ends_the_run_quickly_and_keeps_the_picture(make_app) -> None:
    app = make_app(steps=500)
    app.run()
    assert wait_for(lambda: app.progress.value >= 3), app.status_text
    started = time.monotonic()
    app.stop()
    assert app.wait(10.0), "the optimiser thread did not stop"
    assert time.monotonic() - started < 10.0
    assert app.last_reason == "stopped"
    assert "stopped" in app.status_text.lower()
    assert 3 <= app.last_steps < 500
    assert not np.array_equal(app.current_image, app.stylizer.content)


def test_bad_uploads_leave_the_picture_and_explain(make_app) -> None:
    app = make_app()
    assert app.run(wait=True, timeout=TIMEOUT)
    png, image, stylizer = app.preview_png, app.current_image, app.stylizer
    runs = app.runs_started

    app.content_upload.value = upload_value("holiday.jpg", b"this is text\n" * 20)
    assert isinstance(app.last_error, ImageError)
    assert "holiday.jpg" in app.status_text
    assert "not an image" in app.status_text
    assert "⚠" in app.status.value
    assert app.content_upload.value == ()            # ready for another try

    for side in (60000, 8000):      # Pillow's bomb limit; style_lib's limit
        data = png_header(side, side)
        assert len(data) < 200
        app.style_upload.value = upload_value("bomb.png", data)
        assert "too large" in app.status_text and "bomb.png" in app.status_text
        assert "tmp" not in app.status_text.lower()  # no temp-file paths

    app.max_upload_bytes = 1000
    big = png_bytes(np.random.default_rng(0).uniform(0, 255, (64, 64, 3)))
    assert len(big) > 1000
    assert not app.upload("content", big, "huge.png")
    assert "limit" in app.status_text

    assert app.content_picker.value == "tubingen"
    assert app.style_picker.value == "starry_night"
    assert app.preview_png == png
    np.testing.assert_array_equal(app.current_image, image)
    assert app.runs_started == runs and not app.busy
    assert app.stylizer is stylizer


def test_a_good_upload_becomes_the_painting(make_app) -> None:
    app = make_app()
    stripes = np.zeros((64, 64, 3), np.float32)
    stripes[:] = (255, 200, 0)
    stripes[:, ::8] = 0
    app.style_upload.value = upload_value("stripes.png", png_bytes(stripes))
    assert app.style_picker.value == "stripes (upload)"
    assert "stripes (upload)" in app.style_picker.options
    assert app.wait(TIMEOUT)
    assert app.last_error is None, app.status_text
    np.testing.assert_allclose(app.stylizer.styles[0].mean((0, 1)),
                               np.array([255, 200, 0]) * 7 / 8, atol=15)
    assert app.last_result is not None


def test_save_names_the_settings_and_never_overwrites(make_app, tmp_path) -> None:
    app = make_app()
    assert app.run(wait=True, timeout=TIMEOUT)
    app.style_weight_slider.value = 1e5
    assert app.wait(TIMEOUT)
    folder = tmp_path / "results"
    first = app.save(folder)
    assert first.name == "tubingen-starry_night-c1-s1e5-tv1e-2-48px.png"
    np.testing.assert_array_equal(load_image(first),
                                  to_uint8(app.current_image))
    second = app.save(folder)
    assert second.name == "tubingen-starry_night-c1-s1e5-tv1e-2-48px-2.png"
    assert first.read_bytes() == second.read_bytes()
    # An unrelated file with the next name is left alone.
    third = folder / "tubingen-starry_night-c1-s1e5-tv1e-2-48px-3.png"
    third.write_bytes(b"keep me")
    fourth = app.save(folder)
    assert fourth.name.endswith("-4.png") and third.read_bytes() == b"keep me"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (first, second, third, fourth))   # no temp files left


def test_save_button_reports_in_the_status(make_app, tmp_path) -> None:
    app = make_app()
    app.folder_text.value = str(tmp_path / "clicked")
    app.save_button.click()
    saved = list((tmp_path / "clicked").glob("*.png"))
    assert len(saved) == 1 and saved[0].name in app.status_text


def test_new_size_warm_starts_and_new_photo_starts_from_it(make_app) -> None:
    app = make_app()
    assert app.run(wait=True, timeout=TIMEOUT)
    first = app.stylizer
    app.size_picker.value = 64                     # new targets, same picture
    assert app.wait(TIMEOUT)
    assert app.stylizer is not first and app.stylizer.size == 64
    assert app.stylizers_built == 2
    assert app.current_image.shape == (48, 64, 3)
    assert app.last_result.settings["init"] == "array"
    app.content_picker.value = "chelsea"           # a new photo starts afresh
    assert app.wait(TIMEOUT)
    assert app.last_error is None, app.status_text
    assert app.last_result.settings["init"] == "content"
    assert app.stylizer.size == 64 and app.stylizers_built == 3
    assert "Chelsea" in app.credits.value


def test_reset_restores_defaults_and_the_photo(make_app) -> None:
    app = make_app()
    app.style_weight_slider.value = 1e7
    app.layer_sliders["conv5_1"].value = 0.0
    assert app.wait(TIMEOUT)
    assert not np.array_equal(app.current_image, app.stylizer.content)
    runs = app.runs_started
    app.reset()
    assert app.style_weight_slider.value == pytest.approx(DEFAULT_STYLE_WEIGHT) == 1e3
    assert app.layer_sliders["conv5_1"].value == pytest.approx(0.2)
    np.testing.assert_allclose(app.current_image, app.stylizer.content)
    time.sleep(0.4)                                  # longer than the debounce
    assert app.runs_started == runs and not app.busy   # reset does not run


def test_run_errors_show_in_the_status(make_app, monkeypatch) -> None:
    app = make_app()

    def broken(*args, **kwargs):
        raise ImageError("the painting could not be read; try another one.")

    monkeypatch.setattr(runner, "get_stylizer", broken)
    assert app.run(wait=True, timeout=TIMEOUT)
    assert isinstance(app.last_error, ImageError)
    assert app.last_reason == "error"
    assert app.status_text == ("The run failed: the painting could not be "
                               "read; try another one.")
    assert "⚠" in app.status.value and not app.busy


def test_show_displays_and_returns_the_app(images_env, monkeypatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    app = widgets.show(size=SIZE, weights="imagenet")
    assert isinstance(app, StyleTransferApp) and shown == [app.widget]


def test_history_is_unweighted_and_the_plot_weights_it(make_app) -> None:
    app = make_app()
    app.style_weight_slider.value = 1e5
    app.tv_weight_slider.value = 1.0
    assert app.wait(TIMEOUT) and app.last_error is None, app.status_text
    history, weights = app.history, app.stylizer.weights()
    assert weights["style_weight"] == pytest.approx(1e5)
    for total, c, s, tv in zip(*(history[k] for k in ("total", "content",
                                                       "style", "tv"))):
        assert total == pytest.approx(c + weights["style_weight"] * s
                                      + weights["tv_weight"] * tv, rel=1e-5)
    assert app.plots_drawn >= 2                    # placeholder, then the run
    assert app.loss_plot.value != plots.loss_plot_png({})
    assert bytes(app.loss_plot.value) == plots.loss_plot_png(
        history, weights=weights, title="α=1  β=1e5  γ=1")


def test_loss_plot_png_weights_the_terms_without_pyplot() -> None:
    import matplotlib.pyplot as plt
    figures = plt.get_fignums()
    history = {"step": [1, 2, 3], "total": [30.0, 20.0, 12.0],
               "content": [1.0, 2.0, 3.0], "style": [2e-3, 1e-3, 5e-4],
               "tv": [0.0, 0.0, 0.0], "seconds": [0.1, 0.2, 0.3]}
    empty = plots.loss_plot_png({})
    plain = plots.loss_plot_png(history)
    weighted = plots.loss_plot_png(history, weights={
        "content_weight": 1.0, "style_weight": 1e4, "tv_weight": 0.0})
    for png in (empty, plain, weighted):
        assert png.startswith(b"\x89PNG")
        assert Image.open(io.BytesIO(png)).size == (288, 216)
    assert len({empty, plain, weighted}) == 3
    assert plt.get_fignums() == figures            # no pyplot figure left open


def test_save_never_overwrites_an_input(make_app, tmp_path) -> None:
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((30, 40, 3), 90, np.uint8)).save(photo)
    before = photo.read_bytes()
    app = make_app(content=str(photo))
    assert app.content_picker.value == "photo (file)"
    assert app.runner.input_paths() == [photo]
    saved = app.save(tmp_path)                     # the same folder: fine
    assert saved.name.startswith("photo-starry_night-") and photo.read_bytes() == before
    with pytest.raises(ImageError, match="would overwrite the input image"):
        save_new_image(app.current_image, photo, inputs=app.runner.input_paths())
    assert photo.read_bytes() == before
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    app.folder_text.value = str(blocker)
    app.save_button.click()
    assert app.status_text.startswith(f"Could not save: Cannot save in {blocker}")
    assert "⚠" in app.status.value and "\n" not in app.status_text


# ----------------------------------------------------- hostile callbacks ---

def test_a_save_folder_with_tilde_is_the_home_folder(make_app, tmp_path,
                                                     monkeypatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    app = make_app()
    app.folder_text.value = "~/results"
    app.save_button.click()
    saved = list((home / "results").glob("*.png"))
    assert len(saved) == 1 and app.last_error is None, app.status_text
    assert not (tmp_path / "~").exists()            # no literal "./~/results"


@pytest.mark.parametrize("folder, message", [
    ("bad\0name", "no folder can have that name"),
    ("/proc/self/no_such_dir", "Cannot save in /proc/self/no_such_dir"),
])
def test_impossible_save_folders_are_one_status_line(folder, message,
                                                     make_app) -> None:
    app = make_app()
    app.folder_text.value = folder
    app.save_button.click()                         # never raises
    assert message in app.status_text and "\n" not in app.status_text
    assert isinstance(app.last_error, ImageError)


def test_a_failed_write_names_the_file_not_a_temporary_one(make_app, tmp_path,
                                                           monkeypatch) -> None:
    app = make_app()

    def full_disk(self, fp, *args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Image.Image, "save", full_disk)
    app.folder_text.value = str(tmp_path / "full")
    app.save_button.click()
    text = app.status_text
    assert text.startswith("Could not save: Could not write ") and "No space left" in text
    assert ".partial" not in text and ".tmp" not in text, text
    assert list((tmp_path / "full").iterdir()) == []   # no stray temporary file


def test_an_unexpected_error_in_a_callback_is_a_status_line(make_app,
                                                            monkeypatch) -> None:
    app = make_app()

    def broken(**changes):
        raise RuntimeError("something nobody expected")
    monkeypatch.setattr(app.runner, "update", broken)
    app.style_weight_slider.value = 1e4              # no exception escapes
    app.layer_sliders["conv1_1"].value = 0.5
    assert app.status_text == "Setting refused: RuntimeError: something nobody expected"
    assert "⚠" in app.status.value


def test_a_demo_image_that_cannot_be_fetched_keeps_the_picker(make_app,
                                                              monkeypatch) -> None:
    from style_lib.errors import DownloadError
    app = make_app()

    def unavailable(name, which):
        raise DownloadError(f"{name} is not in the cache and STYLE_LIB_OFFLINE=1 "
                            "forbids downloading it.")
    monkeypatch.setattr(widgets, "make_source", unavailable)
    app.style_picker.value = "the_kiss"
    assert app.style_picker.value == "starry_night"          # the old choice kept
    assert "forbids downloading" in app.status_text
