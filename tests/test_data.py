"""Tests for style_lib.io.data: demo images, cache, mirror and Wikimedia download (all offline)."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from style_lib.io import data, download
from style_lib.errors import DownloadError, ImageError, SettingsError

REPO_IMAGES = Path(__file__).resolve().parents[1] / "images"
STARRY = "Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg"


# --------------------------------------------------------------------------- loopback server


class _Server:
    """HTTP server on 127.0.0.1 serving ``root``; records (path, User-Agent) of each GET."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str]] = []
        self.html: set[str] = set()  # paths answered with an HTML page (status 200)
        self.slow: set[str] = set()  # paths answered after a long pause
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((self.path, self.headers.get("User-Agent", "")))
                if self.path in server.slow:
                    time.sleep(1.0)  # longer than the client's timeout: never answer
                    return
                if self.path in server.html:
                    body = b"<!DOCTYPE html><html><body>Please log in</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client that gave up (timeout) is expected in some tests

        self.httpd = Server(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    srv = _Server(root)
    yield srv
    srv.close()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("STYLE_LIB_CACHE", str(folder))
    monkeypatch.delenv("STYLE_LIB_IMAGE_MIRROR", raising=False)
    return folder


@pytest.fixture
def wikimedia(server, cache, monkeypatch) -> _Server:
    """Point the Wikimedia code path at the loopback server (network allowed: loopback only)."""
    monkeypatch.delenv("STYLE_LIB_OFFLINE", raising=False)
    monkeypatch.setattr(download, "UPLOAD_BASE", server.url)
    monkeypatch.setattr(download, "EN_WIKIPEDIA_BASE", server.url)
    return server


def _no_temp_files(folder: Path) -> bool:
    return not folder.exists() or not any(p.name.endswith(".tmp") for p in folder.iterdir())


# --------------------------------------------------------------------------- names and credits


def test_names_and_credits():
    assert len(data.NAMES) == 12 and len(set(data.NAMES)) == 12
    assert set(data.STYLE_NAMES) | set(data.CONTENT_NAMES) == set(data.NAMES)
    assert set(data.CREDITS) == set(data.NAMES)
    for name, c in data.CREDITS.items():
        assert c.name == name and c.title and c.artist and c.licence
        assert c.source_url.startswith("https://")
        assert data.credit(name)
    assert data.credit("tubingen").endswith("Photo: Andreas Praefcke, CC BY 3.0, via Wikimedia Commons (resized)")
    assert "Vincent van Gogh" in data.credit("starry_night")


def test_credits_md_covers_all_images():
    text = (REPO_IMAGES / "CREDITS.md").read_text(encoding="utf-8")
    for name in data.NAMES:
        assert name in text
    assert "Photo: Andreas Praefcke, CC BY 3.0, via Wikimedia Commons (resized)" in text


def test_unknown_name_suggests_close_match():
    with pytest.raises(data.UnknownImageError, match=r"Did you mean 'starry_night'\?.*Valid names: .*rocket"):
        data.path("stary_night")
    with pytest.raises(KeyError):
        data.load("the-scream-x")
    with pytest.raises(ImageError, match="Valid names"):
        data.credit("mona_lisa")


# --------------------------------------------------------------------------- Wikimedia URLs


@pytest.mark.parametrize(
    "file_name, directory",
    [
        (STARRY, "e/ea"),
        ("The_Scream.jpg", "f/f4"),
        ("Shipwreck_turner.jpg", "2/2e"),
        ("The_Great_Wave_off_Kanagawa.jpg", "0/0a"),
        ("Vassily_Kandinsky,_1913_-_Composition_7.jpg", "b/b4"),
        ("Matisse-Woman-with-a-Hat.jpg", "f/fb"),
        ("Claude_Monet,_Saint-Georges_majeur_au_crépuscule.jpg", "d/da"),
        ("The_Kiss_-_Gustav_Klimt_-_Google_Cultural_Institute.jpg", "4/40"),
        ("Tuebingen_Neckarfront.jpg", "0/00"),
    ],
)
def test_md5_directory(file_name, directory):
    url = download._wikimedia_url(file_name)
    assert url.startswith(f"https://upload.wikimedia.org/wikipedia/commons/{directory}/")
    assert hashlib.md5(file_name.encode()).hexdigest()[:2] == directory[2:]


def test_wikimedia_urls_match_sources_table():
    assert data.download_urls("the_scream") == ["https://upload.wikimedia.org/wikipedia/commons/f/f4/The_Scream.jpg"]
    assert data.download_urls("composition_vii") == [
        "https://upload.wikimedia.org/wikipedia/commons/b/b4/Vassily_Kandinsky%2C_1913_-_Composition_7.jpg"
    ]
    assert data.download_urls("san_giorgio_maggiore_at_dusk") == [
        "https://upload.wikimedia.org/wikipedia/commons/d/da/Claude_Monet%2C_Saint-Georges_majeur_au_cr%C3%A9puscule.jpg"
    ]
    assert data.download_urls("starry_night") == [
        f"https://upload.wikimedia.org/wikipedia/commons/thumb/e/ea/{STARRY}/1280px-{STARRY}"
    ]
    assert data.download_urls("woman_with_hat")[0] == (
        "https://en.wikipedia.org/wiki/Special:FilePath/Matisse-Woman-with-a-Hat.jpg"
    )
    assert download._wikimedia_url("The Scream.jpg") == download._wikimedia_url("The_Scream.jpg")
    assert data.download_urls("chelsea") == []


def test_thumbnail_width_must_be_standard():
    assert "/960px-" in download._wikimedia_url("The_Scream.jpg", width=960)
    with pytest.raises(SettingsError, match="1280"):
        download._wikimedia_url("The_Scream.jpg", width=1024)


# --------------------------------------------------------------------------- cache location


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("STYLE_LIB_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "style_lib" / "images"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.cache_dir() == tmp_path / "home" / ".cache" / "style_lib" / "images"
    monkeypatch.setenv("STYLE_LIB_CACHE", str(tmp_path / "mine"))
    assert data.cache_dir() == tmp_path / "mine"
    assert data.cache_path("the_scream") == tmp_path / "mine" / "the_scream.jpg"


# --------------------------------------------------------------------------- committed images


@pytest.mark.parametrize("name", ["chelsea", "coffee", "rocket"])
def test_committed_images(name, cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    p = data.path(name)
    assert p.parent == REPO_IMAGES
    img = data.load(name)
    assert img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3
    assert max(img.shape[:2]) == 512
    assert not cache.exists()  # committed images never touch the cache
    assert max(data.load(name, max_size=128).shape[:2]) == 128


def test_committed_images_have_no_metadata():
    for f in ("chelsea.png", "coffee.png", "rocket.jpg"):
        with Image.open(REPO_IMAGES / f) as img:
            assert img.mode == "RGB"
            assert "exif" not in img.info and "icc_profile" not in img.info and "xmp" not in img.info


# --------------------------------------------------------------------------- offline


def _no_network(*args, **kwargs):
    raise AssertionError("network access attempted")


def test_offline_without_mirror_fails_fast(cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    with pytest.raises(DownloadError) as info:
        data.path("the_scream")
    msg = str(info.value)
    assert "STYLE_LIB_OFFLINE=1" in msg
    assert "https://upload.wikimedia.org/wikipedia/commons/f/f4/The_Scream.jpg" in msg
    assert str(cache / "the_scream.jpg") in msg
    assert "STYLE_LIB_IMAGE_MIRROR" in msg and "the_scream.jpg" in msg
    assert isinstance(info.value, OSError)


def test_cached_file_is_used_offline(cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    cache.mkdir()
    Image.fromarray(np.full((60, 80, 3), 200, np.uint8)).save(cache / "the_scream.jpg")
    assert data.path("the_scream") == cache / "the_scream.jpg"
    assert data.load("the_scream").shape == (60, 80, 3)
    meta = json.loads((cache / "the_scream.json").read_text(encoding="utf-8"))  # sidecar filled in
    assert meta["artist"] == "Edvard Munch"


def test_main_exits_nonzero_offline(cache, monkeypatch, capsys):
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    assert data._main([]) == 1
    err = capsys.readouterr().err
    assert "error: 9 of 12 demo images are unavailable" in err


# --------------------------------------------------------------------------- mirror


def test_http_mirror_downloads_once(server, cache, mirror_dir, monkeypatch):
    for f in ("starry_night.jpg", "the_kiss.png"):
        shutil.copy(mirror_dir / f, server.root / f)
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", server.url + "/")

    p = data.path("starry_night")
    assert p == cache / "starry_night.jpg"
    assert server.paths() == ["/starry_night.jpg"]
    meta = json.loads((cache / "starry_night.json").read_text(encoding="utf-8"))
    assert meta["title"] == "The Starry Night" and meta["artist"] == "Vincent van Gogh"
    assert meta["year"] == "1889" and meta["licence"] == "Public domain"
    assert meta["source_url"].startswith("https://commons.wikimedia.org/wiki/File:")

    assert data.path("starry_night") == p  # second call: from the cache
    assert data.load("starry_night").shape == (405, 512, 3)
    assert server.paths() == ["/starry_night.jpg"]

    # the_kiss exists only as .png in the mirror: .jpg is tried first; stored as JPEG
    assert data.path("the_kiss") == cache / "the_kiss.jpg"
    assert server.paths()[1:] == ["/the_kiss.jpg", "/the_kiss.png"]
    assert Image.open(cache / "the_kiss.jpg").format == "JPEG"
    assert _no_temp_files(cache)


def test_http_mirror_missing_file(server, cache, monkeypatch):
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", server.url)
    with pytest.raises(DownloadError, match=r"has no shipwreck.*Put shipwreck\.jpg there"):
        data.path("shipwreck")
    assert not (cache / "shipwreck.jpg").exists()


def test_mirror_serving_html(server, cache, monkeypatch):
    server.html.add("/great_wave.jpg")
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", server.url)
    with pytest.raises(DownloadError, match=r"great_wave from .*great_wave\.jpg: the server sent a web page"):
        data.path("great_wave")
    assert not (cache / "great_wave.jpg").exists() and _no_temp_files(cache)


def test_directory_mirror(cache, mirror_dir, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", str(mirror_dir))
    assert data.path("tubingen") == cache / "tubingen.jpg"
    assert data.load("tubingen").shape == (384, 512, 3)
    assert json.loads((cache / "tubingen.json").read_text(encoding="utf-8"))["licence"] == "CC BY 3.0"


def test_file_url_mirror(cache, mirror_dir, monkeypatch):
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", mirror_dir.as_uri())
    assert data.load("the_kiss").shape == (512, 512, 3)


def test_fetch_all_from_directory_mirror(cache, mirror_dir, monkeypatch, capsys):
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setenv("STYLE_LIB_IMAGE_MIRROR", str(mirror_dir))
    found = data.fetch_all()
    assert set(found) == set(data.NAMES)
    assert all(p.is_file() for p in found.values())
    assert "ok      rocket" in capsys.readouterr().out
    assert data.fetch_all(["chelsea"], quiet=True) == {"chelsea": REPO_IMAGES / "chelsea.png"}
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- Wikimedia code path


def test_wikimedia_download_user_agent_and_md5_path(wikimedia, cache, mirror_dir):
    rel = f"wikipedia/commons/thumb/e/ea/{STARRY}/1280px-{STARRY}"
    (wikimedia.root / rel).parent.mkdir(parents=True)
    shutil.copy(mirror_dir / "starry_night.jpg", wikimedia.root / rel)

    p = data.path("starry_night")
    assert p == cache / "starry_night.jpg" and p.is_file()
    (path, agent), = wikimedia.requests
    assert path == "/" + rel
    assert path.startswith("/wikipedia/commons/thumb/e/ea/")
    assert agent == data.USER_AGENT
    assert agent.startswith("style-transfer-notebooks/0.1 (") and "https://" in agent
    meta = json.loads((cache / "starry_night.json").read_text(encoding="utf-8"))
    assert meta["downloaded_from"] == wikimedia.url + "/" + rel
    data.path("starry_night")
    assert len(wikimedia.requests) == 1


def test_wikimedia_download_is_resized_to_1024(wikimedia, cache):
    rel = "wikipedia/commons/0/00/Tuebingen_Neckarfront.jpg"
    (wikimedia.root / rel).parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (1536, 2048, 3), dtype=np.uint8)).save(wikimedia.root / rel, quality=80)
    assert data.load("tubingen").shape == (768, 1024, 3)
    assert wikimedia.paths() == ["/" + rel]


def test_wikimedia_quoted_names(wikimedia, cache, mirror_dir):
    rel = "wikipedia/commons/d/da/Claude_Monet,_Saint-Georges_majeur_au_crépuscule.jpg"
    (wikimedia.root / rel).parent.mkdir(parents=True)
    shutil.copy(mirror_dir / "san_giorgio_maggiore_at_dusk.jpg", wikimedia.root / rel)
    assert data.path("san_giorgio_maggiore_at_dusk").is_file()
    assert wikimedia.paths() == ["/wikipedia/commons/d/da/Claude_Monet%2C_Saint-Georges_majeur_au_cr%C3%A9puscule.jpg"]


def test_wikimedia_404(wikimedia, cache):
    with pytest.raises(DownloadError) as info:
        data.path("the_scream")
    msg = str(info.value)
    url = f"{wikimedia.url}/wikipedia/commons/f/f4/The_Scream.jpg"
    assert "the_scream" in msg and url in msg and "HTTP 404" in msg
    assert f"download it in a browser from {url} and save it as {cache / 'the_scream.jpg'}" in msg
    assert "STYLE_LIB_IMAGE_MIRROR" in msg
    assert not (cache / "the_scream.jpg").exists() and _no_temp_files(cache)


def test_wikimedia_html_instead_of_image(wikimedia, cache):
    wikimedia.html.add("/wikipedia/commons/f/f4/The_Scream.jpg")
    with pytest.raises(DownloadError, match=r"the_scream from .*The_Scream\.jpg: the server sent a web page"):
        data.path("the_scream")
    assert not (cache / "the_scream.jpg").exists() and _no_temp_files(cache)


def test_wikimedia_fallback_urls(wikimedia, cache, mirror_dir):
    # woman_with_hat: Special:FilePath fails (404 here), the Commons upload path works
    rel = "wikipedia/commons/f/fb/Matisse-Woman-with-a-Hat.jpg"
    (wikimedia.root / rel).parent.mkdir(parents=True)
    shutil.copy(mirror_dir / "woman_with_hat.jpg", wikimedia.root / rel)
    assert data.path("woman_with_hat").is_file()
    assert wikimedia.paths() == ["/wiki/Special:FilePath/Matisse-Woman-with-a-Hat.jpg", "/" + rel]


def test_wikimedia_timeout(wikimedia, cache, monkeypatch):
    monkeypatch.setattr(download, "TIMEOUT", 0.3)
    wikimedia.slow.add("/wikipedia/commons/2/2e/Shipwreck_turner.jpg")
    with pytest.raises(DownloadError, match=r"Could not download shipwreck from .*Shipwreck_turner\.jpg: .*timed out"):
        data.path("shipwreck")


def test_connection_refused(cache, monkeypatch):
    monkeypatch.delenv("STYLE_LIB_OFFLINE", raising=False)
    monkeypatch.setattr(download, "UPLOAD_BASE", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(DownloadError, match=r"Could not download the_scream from http://127\.0\.0\.1:9/.*Refused"):
        data.path("the_scream")
