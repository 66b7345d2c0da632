"""Instance ids and z of bulk imports: numbered per block with numpy, as one loop would."""

from __future__ import annotations

import numpy as np

from segstudio.io.plan import _Listing
from segstudio.io.plan_columns import _number


def _loop(iids, next_id, next_z):
    nids, nzs = [], []
    for iid in iids:
        nid, nz = next_id.get(iid, 1), next_z.get(iid, 0)
        next_id[iid], next_z[iid] = nid + 1, nz + 1
        nids.append(nid)
        nzs.append(nz)
    return nids, nzs


def test_block_numbering_equals_the_loop():
    rng = np.random.default_rng(3)
    a_id, a_z = {5: 9, 7: 2}, {5: 4}  # images that already hold instances
    b_id, b_z = dict(a_id), dict(a_z)
    for _ in range(50):
        iids = rng.integers(1, 12, rng.integers(1, 300)).tolist()  # interleaved, repeated
        assert _number(iids, a_id, a_z) == _loop(iids, b_id, b_z)
    assert a_id == b_id and a_z == b_z


def test_listing_answers_like_the_file_system(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "link.png").symlink_to(tmp_path / "a.png")
    (tmp_path / "dangling.png").symlink_to(tmp_path / "gone.png")
    listing = _Listing()
    for name in ("a.png", "link.png", "dangling.png", "missing.png"):
        path = tmp_path / name
        assert listing.exists(path) == path.exists(), name
        assert listing.is_link(str(path)) == path.is_symlink(), name
    assert not listing.exists(tmp_path / "no-folder" / "x.png")
