"""Tests for style_lib.io.images: every bad input gets a clear ImageError."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from style_lib.io import images
from style_lib.errors import ImageError, SettingsError, StyleLibError
from style_lib.io.images import image_size, load_image, save_image, show_images, to_uint8


def _rgb(w: int = 40, h: int = 30, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _write(path: Path, arr: np.ndarray, **kw) -> Path:
    Image.fromarray(arr).save(path, **kw)
    return path


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims width x height (1-bit grey)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    return path


# --------------------------------------------------------------------------- exceptions


def test_exception_hierarchy():
    assert issubclass(ImageError, StyleLibError) and issubclass(ImageError, ValueError)
    assert issubclass(SettingsError, ValueError)


# --------------------------------------------------------------------------- bad inputs


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match=r"not found: .*nope\.jpg.*Check the spelling"):
        load_image(tmp_path / "nope.jpg")


def test_directory(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.jpg is empty \(0 bytes\).*again"):
        load_image(p)


def test_truncated_jpeg(tmp_path):
    p = _write(tmp_path / "full.jpg", _rgb(200, 200), quality=95)
    data = p.read_bytes()
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut\.jpg is damaged or truncated.*again"):
        load_image(bad)


def test_text_file_named_jpg(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("this is not a picture\n")
    with pytest.raises(ImageError, match=r"notes\.jpg is not an image file.*PNG, JPEG"):
        load_image(p)


def test_html_file_named_png(tmp_path):
    p = tmp_path / "page.png"
    p.write_text("<!DOCTYPE html><html><body>Too many requests</body></html>")
    with pytest.raises(ImageError, match="not an image file"):
        load_image(p)


def test_one_pixel_image(tmp_path):
    p = _write(tmp_path / "dot.png", _rgb(1, 1))
    with pytest.raises(ImageError, match=r"only 1×1 px.*at least 16 px"):
        load_image(p)


def test_thin_image(tmp_path):
    p = _write(tmp_path / "strip.png", _rgb(300, 10))
    with pytest.raises(ImageError, match="at least 16 px"):
        load_image(p)


def test_decompression_bomb_header(tmp_path):
    p = _png_header_only(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(ImageError, match=r"bomb\.png is too large.*under 4000 px"):
        load_image(p)


def test_over_pixel_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    p = _write(tmp_path / "big.png", _rgb(40, 40))
    with pytest.raises(ImageError, match=r"too large to load \(40×40 px\)"):
        load_image(p)


@pytest.mark.parametrize("bad", [0, -5, 8, 10_000, 1.5, "512", True])
def test_bad_max_size(tmp_path, bad):
    p = _write(tmp_path / "ok.png", _rgb())
    with pytest.raises(SettingsError, match="max_size"):
        load_image(p, max_size=bad)


def test_not_a_path():
    with pytest.raises(SettingsError, match="file path"):
        load_image(np.zeros((4, 4, 3)))


# --------------------------------------------------------------------------- good inputs


def test_rgb_roundtrip_png(tmp_path):
    arr = _rgb()
    out = load_image(_write(tmp_path / "a.png", arr))
    assert out.dtype == np.float32 and out.shape == (30, 40, 3)
    np.testing.assert_array_equal(out, arr.astype(np.float32))


def test_accepts_str_path(tmp_path):
    assert load_image(str(_write(tmp_path / "a.png", _rgb()))).shape == (30, 40, 3)


def test_grayscale_L(tmp_path):
    p = _write(tmp_path / "g.png", np.full((20, 20), 77, np.uint8))
    out = load_image(p)
    assert out.shape == (20, 20, 3)
    assert np.all(out == 77)


def test_rgba_composited_over_white(tmp_path):
    arr = np.zeros((20, 20, 4), np.uint8)
    arr[:, :10] = (255, 0, 0, 128)  # half-transparent red
    arr[:, 10:] = (0, 0, 255, 0)  # fully transparent
    out = load_image(_write(tmp_path / "a.png", arr))
    np.testing.assert_allclose(out[0, 0], (255, 127, 127), atol=1)
    np.testing.assert_array_equal(out[0, 15], (255, 255, 255))


def test_la(tmp_path):
    arr = np.zeros((20, 20, 2), np.uint8)
    arr[:10] = (100, 255)
    arr[10:] = (0, 0)
    img = Image.merge("LA", [Image.fromarray(arr[..., 0]), Image.fromarray(arr[..., 1])])
    p = tmp_path / "la.png"
    img.save(p)
    assert Image.open(p).mode == "LA"
    out = load_image(p)
    np.testing.assert_array_equal(out[0, 0], (100, 100, 100))
    np.testing.assert_array_equal(out[15, 0], (255, 255, 255))


def test_palette_with_transparency(tmp_path):
    img = Image.new("P", (20, 20), 0)
    img.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    img.paste(1, (0, 0, 10, 20))
    p = tmp_path / "p.png"
    img.save(p, transparency=0)
    assert Image.open(p).mode == "P"
    out = load_image(p)
    np.testing.assert_array_equal(out[0, 0], (0, 255, 0))
    np.testing.assert_array_equal(out[0, 15], (255, 255, 255))  # transparent -> white


def test_palette_without_transparency(tmp_path):
    img = Image.new("P", (20, 20), 1)
    img.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    p = tmp_path / "p.gif"
    img.save(p)
    np.testing.assert_array_equal(load_image(p)[5, 5], (10, 20, 30))


def test_cmyk(tmp_path):
    img = Image.new("CMYK", (20, 20), (0, 0, 0, 0))
    img.paste((0, 255, 255, 0), (0, 0, 10, 20))
    p = tmp_path / "c.tif"
    img.save(p)
    assert Image.open(p).mode == "CMYK"
    out = load_image(p)
    np.testing.assert_array_equal(out[0, 0], (255, 0, 0))
    np.testing.assert_array_equal(out[0, 15], (255, 255, 255))


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    arr = np.zeros((20, 20), np.uint16)
    arr[:, 5:10] = 65535
    arr[:, 10:15] = 257 * 100
    arr[:, 15:] = 32768
    p = tmp_path / "g16.png"
    Image.fromarray(arr).save(p)
    assert Image.open(p).mode.startswith("I")
    out = load_image(p)
    assert out.shape == (20, 20, 3)
    assert out[0, 0, 0] == 0
    assert out[0, 7, 0] == 255
    assert out[0, 12, 0] == 100
    assert out[0, 17, 0] == 128


def test_32_bit_int_and_float(tmp_path):
    ints = np.full((20, 20), 65535, np.int32)
    ints[:, :10] = 0
    p = tmp_path / "i.tif"
    Image.fromarray(ints).save(p)
    assert Image.open(p).mode == "I"
    out = load_image(p)
    assert out[0, 0, 0] == 0 and out[0, 15, 0] == 255

    floats = np.full((20, 20), 1.0, np.float32)
    floats[:, :10] = 0.5
    p = tmp_path / "f.tif"
    Image.fromarray(floats).save(p)
    assert Image.open(p).mode == "F"
    out = load_image(p)
    assert out[0, 0, 0] == 128 and out[0, 15, 0] == 255


def test_exif_orientation_applied(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)  # stored 40 wide, 20 high
    arr[:, :20] = (255, 0, 0)  # left half red
    arr[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    p = tmp_path / "phone.jpg"
    Image.fromarray(arr).save(p, exif=exif, quality=95)
    out = load_image(p)
    assert out.shape == (40, 20, 3)  # displayed upright: 20 wide, 40 high
    np.testing.assert_allclose(out[5, 10], (255, 0, 0), atol=30)  # left side is now the top
    np.testing.assert_allclose(out[35, 10], (0, 0, 255), atol=30)
    assert image_size(p) == (40, 20)


@pytest.mark.parametrize("max_size, expected", [(50, (25, 50, 3)), (200, (100, 200, 3)), (100, (50, 100, 3))])
def test_max_size_keeps_aspect(tmp_path, max_size, expected):
    p = _write(tmp_path / "wide.png", _rgb(100, 50))
    assert load_image(p, max_size=max_size).shape == expected


def test_max_size_portrait(tmp_path):
    p = _write(tmp_path / "tall.png", _rgb(30, 90))
    out = load_image(p, max_size=60)
    assert out.shape == (60, 20, 3)
    assert out.min() >= 0 and out.max() <= 255


# --------------------------------------------------------------------------- to_uint8 / image_size


def test_to_uint8_clips_and_rounds():
    x = np.array([[[-10.0, 0.4, 0.6], [254.5, 300.0, 128.49]]] * 2, np.float32)
    out = to_uint8(x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0], (0, 0, 1))
    np.testing.assert_array_equal(out[0, 1], (254, 255, 128))


def test_to_uint8_shapes():
    assert to_uint8(np.zeros((1, 5, 6, 3))).shape == (5, 6, 3)
    assert to_uint8(np.zeros((5, 6))).shape == (5, 6, 3)
    assert to_uint8(np.zeros((5, 6, 1))).shape == (5, 6, 3)
    with pytest.raises(ImageError, match=r"shape \(H, W, 3\)"):
        to_uint8(np.zeros((2, 5, 6, 3)))
    with pytest.raises(ImageError, match="NaN"):
        to_uint8(np.full((5, 6, 3), np.nan))


def test_image_size_of_array():
    assert image_size(np.zeros((1, 7, 9, 3))) == (7, 9)


# --------------------------------------------------------------------------- save


class _FakeTensor:
    """Looks like an eager tf.Tensor: has .numpy()."""

    def __init__(self, arr: np.ndarray) -> None:
        self._arr = arr

    def numpy(self) -> np.ndarray:
        return self._arr


def test_save_png_roundtrip(tmp_path):
    arr = _rgb()
    out = save_image(arr.astype(np.float32), tmp_path / "out.png")
    assert out == tmp_path / "out.png"
    np.testing.assert_array_equal(np.asarray(Image.open(out)), arr)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_save_batch_tensor_and_formats(tmp_path):
    arr = _rgb().astype(np.float32)[None]  # (1, H, W, 3)
    for suffix in (".jpg", ".jpeg", ".webp", ".PNG"):
        p = save_image(_FakeTensor(arr), tmp_path / f"o{suffix}")
        assert load_image(p).shape == (30, 40, 3)


def test_save_accepts_str_and_returns_path(tmp_path):
    out = save_image(_rgb(), str(tmp_path / "s.png"))
    assert isinstance(out, Path) and out.exists()


def test_save_unknown_suffix(tmp_path):
    with pytest.raises(ImageError, match=r"unknown image suffix '\.bmp'.*\.png, \.jpg or \.webp"):
        save_image(_rgb(), tmp_path / "o.bmp")
    with pytest.raises(ImageError, match="unknown image suffix"):
        save_image(_rgb(), tmp_path / "noext")


def test_save_refuses_to_overwrite_input(tmp_path):
    src = _write(tmp_path / "content.png", _rgb(seed=1))
    before = src.read_bytes()
    with pytest.raises(ImageError, match="would overwrite the input image.*choose another output name"):
        save_image(_rgb(seed=2), src, inputs=[tmp_path / "style.jpg", src])
    # the same file under another spelling
    (tmp_path / "sub").mkdir()
    with pytest.raises(ImageError, match="would overwrite the input image"):
        save_image(_rgb(seed=2), tmp_path / "sub" / ".." / "content.png", inputs=[str(src)])
    # ... and through a symlink
    link = tmp_path / "link.png"
    link.symlink_to(src)
    with pytest.raises(ImageError, match="would overwrite the input image"):
        save_image(_rgb(seed=2), link, inputs=[src])
    assert src.read_bytes() == before


def test_save_missing_directory(tmp_path):
    with pytest.raises(ImageError, match=r"folder .*missing does not exist; create it first"):
        save_image(_rgb(), tmp_path / "missing" / "o.png")


def test_save_parent_is_a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(ImageError, match="is a file, not a folder"):
        save_image(_rgb(), f / "o.png")


def test_save_unwritable_directory(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        locked.chmod(0o500)
    else:  # root can write anywhere: simulate the permission check failing
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked else real_access(p, mode))
    try:
        with pytest.raises(ImageError, match=r"locked is not writable; choose a folder"):
            save_image(_rgb(), locked / "o.png")
    finally:
        locked.chmod(0o700)
    assert list(locked.iterdir()) == []


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    target = _write(tmp_path / "old.png", _rgb(seed=3))
    before = target.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"partial data")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ImageError, match=r"Could not write .*old\.png.*No space left"):
        save_image(_rgb(seed=4), target)
    with pytest.raises(ImageError, match="Could not write"):
        save_image(_rgb(seed=4), tmp_path / "new.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]  # no temp files, no new.png
    assert target.read_bytes() == before


def test_save_rejects_nan(tmp_path):
    with pytest.raises(ImageError, match="NaN"):
        save_image(np.full((20, 20, 3), np.nan, np.float32), tmp_path / "o.png")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- show


def test_show_images_grid():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = show_images([_rgb(), _rgb(seed=1).astype(np.float32), _rgb(seed=2)], ["a", "b", "c"], ncols=2, suptitle="S")
    try:
        axes = fig.get_axes()
        assert len(axes) == 4  # 2 x 2 grid, last one empty
        assert [ax.get_title() for ax in axes[:3]] == ["a", "b", "c"]
        assert not any(ax.axison for ax in axes)
    finally:
        plt.close(fig)

    fig = show_images({"content": _rgb(), "style": _rgb(seed=5)})
    try:
        assert [ax.get_title() for ax in fig.get_axes()] == ["content", "style"]
    finally:
        plt.close(fig)

    with pytest.raises(SettingsError, match="one title per image"):
        show_images([_rgb()], ["a", "b"])
