"""Test-wide settings: headless Qt, and user folders (settings, data, logs) isolated per run."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = tempfile.mkdtemp(prefix="segstudio-test-home-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, "cache")
os.environ["SEGSTUDIO_DATA_DIR"] = os.path.join(_HOME, "segstudio")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "segstudio", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "segstudio"))

# the store's two back ends (SQLite, PostgreSQL): `backend`, `new_project`, `pg_server`, `pg_url`
pytest_plugins = ["tests.pg_fixtures"]
