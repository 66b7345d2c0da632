"""Images by URL (fsspec, served from 127.0.0.1 inside the test): read-only, cached with a
size bound, one clear error naming the URL when one cannot be read."""

import functools
import http.server
import threading

import cv2
import numpy as np
import pytest

from segstudio.cli.main import main
from segstudio.io.images import load_image
from segstudio.store import Project, remote

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp", reason="fsspec's http needs aiohttp (pip install 'segstudio[remote]')")


@pytest.fixture
def served(tmp_path):
    folder = tmp_path / "www"
    folder.mkdir()
    for k in range(3):
        cv2.imwrite(str(folder / f"im{k}.png"), np.full((30 + k, 40, 3), 60 * k, np.uint8))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()


def test_images_by_url_are_added_read_from_a_cache_and_survive_the_server(tmp_path, served, capsys):
    base, folder = served
    (tmp_path / "p").mkdir()
    assert main(["init", str(tmp_path / "p")]) == 0
    urls = [f"{base}/im{k}.png" for k in range(3)] + [f"{base}/missing.png"]
    assert main(["project", "add-urls", str(tmp_path / "p"), *urls]) == 1  # one could not be read
    out = capsys.readouterr().out
    assert "added 3 images by URL" in out and "missing.png" in out
    with Project.open(tmp_path / "p") as p:
        recs = p.images()
        assert [r.path for r in recs] == urls[:3] and recs[1].shape == (31, 40)
        for f in folder.iterdir():
            f.unlink()  # the server no longer has them: the cache does
        img = load_image(p.image_path(recs[2])).rgb8()
        assert img.shape == (32, 40, 3) and int(img[0, 0, 0]) == 120


def test_the_cache_keeps_within_its_bound(tmp_path, served):
    base, _ = served
    cache = tmp_path / "cache"
    sizes = []
    for k in range(3):
        sizes.append(remote.local_copy(f"{base}/im{k}.png", folder=cache, limit=10**9).stat().st_size)
    kept = remote.local_copy(f"{base}/im0.png", folder=cache, limit=10**9)  # used again: newest
    assert remote.evict(cache, sizes[0] + 1, keep=kept) == 2
    assert [p for p in cache.glob("*/*")] == [kept]
    with pytest.raises(remote.RemoteImageError, match="missing.png: cannot be read"):
        remote.local_copy(f"{base}/missing.png", folder=cache)
