"""Images at s3:// URLs, from a bucket served on 127.0.0.1 by moto inside the test: added
through the real `segstudio project add-urls` with the endpoint given the way a user gives it
(fsspec's `FSSPEC_S3_ENDPOINT_URL`), then opened and read through the local cache - and still
read from the cache once the bucket has lost them."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from segstudio.io.images import load_image
from segstudio.store import Project

_why = ("s3:// image tests need moto's server and s3fs: pip install 'segstudio[dev,remote]' "
        "(or 'moto[s3,server]' s3fs)")
pytest.importorskip("s3fs", reason=_why)
pytest.importorskip("moto.server", reason=_why)
pytest.importorskip("flask_cors", reason=_why)

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.fixture
def bucket(monkeypatch):
    """A bucket `pics` on a moto server at 127.0.0.1 holding im0.png and im1.png."""
    import boto3
    from moto.server import ThreadedMotoServer

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="pics")
    for k in range(2):
        ok, png = cv2.imencode(".png", np.full((30 + k, 40, 3), 70 + 80 * k, np.uint8))
        client.put_object(Bucket="pics", Key=f"im{k}.png", Body=png.tobytes())
    yield endpoint, client
    server.stop()


def test_s3_images_are_added_by_the_command_and_read_through_the_cache(tmp_path, bucket, monkeypatch):
    import fsspec

    endpoint, client = bucket
    project = tmp_path / "p"
    project.mkdir()
    urls = ["s3://pics/im0.png", "s3://pics/im1.png", "s3://pics/missing.png"]
    env = {**os.environ, **CREDENTIALS, "FSSPEC_S3_ENDPOINT_URL": endpoint,
           "XDG_CACHE_HOME": str(tmp_path / "cli-cache")}
    run = [sys.executable, "-m", "segstudio"]
    assert subprocess.run([*run, "init", str(project)], env=env, capture_output=True).returncode == 0
    added = subprocess.run([*run, "project", "add-urls", str(project), *urls], env=env,
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 1, added.stderr  # one of the three is not in the bucket
    assert "added 2 images by URL; skipped 1" in added.stdout
    assert "s3://pics/missing.png: " in added.stdout and "cannot be read" in added.stdout

    # this process: the same endpoint setting (fsspec read its environment when imported,
    # so it is given to fsspec's config here) and an empty cache of its own
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "app-cache"))
    with Project.open(project) as p:
        recs = p.images()
        assert [r.path for r in recs] == urls[:2]
        assert [r.shape for r in recs] == [(30, 40), (31, 40)]
        first = load_image(p.image_path(recs[1])).rgb8()
        assert first.shape == (31, 40, 3) and int(first[0, 0, 0]) == 150
        cached = list((tmp_path / "app-cache" / "segstudio" / "remote").glob("*/*.png"))
        assert len(cached) == 1
        for k in range(2):
            client.delete_object(Bucket="pics", Key=f"im{k}.png")
        again = load_image(p.image_path(recs[1])).rgb8()  # the bucket lost it: the cache has it
        assert np.array_equal(again, first)
        with pytest.raises(OSError, match=r"s3://pics/im0\.png: cannot be read"):
            load_image(p.image_path(recs[0]))  # never read here, and gone: one clear error
