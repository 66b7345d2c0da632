import pytest

from tests.unit.io.helpers import make_project


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path, n_images=3, per_image=4, splits=("train", "val"))
    yield p
    p.close()
