"""Fixtures for the two store back ends: `pg_server` (one private PostgreSQL per test run,
started on first use) and `backend` / `new_project`, which run a test on SQLite and on
PostgreSQL alike.

Where PostgreSQL truly cannot start (no server binaries, no user to run it as), its tests skip
with the reason; with `SEGSTUDIO_REQUIRE_PG=1` (set by `.ci/run`) they fail instead, so CI
never passes by skipping them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import warnings
from pathlib import Path

import pytest

from tests.pg_local import LocalPostgres, PostgresUnavailable

_state: dict[str, object] = {}


def _server() -> LocalPostgres:
    if "error" in _state:
        raise PostgresUnavailable(str(_state["error"]))
    if "server" not in _state:
        try:
            _state["server"] = LocalPostgres.start()
        except PostgresUnavailable as e:
            _state["error"] = e
            raise
    return _state["server"]  # type: ignore[return-value]


def _unavailable(e: Exception):
    message = f"PostgreSQL could not start, its tests did not run: {e}"
    if os.environ.get("SEGSTUDIO_REQUIRE_PG") == "1":
        pytest.fail(message + " (SEGSTUDIO_REQUIRE_PG=1)")
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server():
    try:
        server = _server()
    except PostgresUnavailable as e:
        _unavailable(e)
    yield server


@pytest.fixture(scope="session")
def pg_database(pg_server) -> str:
    """The URL of one database for this run (each test's project is a schema of its own)."""
    return pg_server.create_database("segstudio_tests")


@pytest.fixture
def pg_url(pg_database) -> str:
    """A postgresql:// URL naming a new project (schema) nobody has used."""
    return f"{pg_database}/p_{secrets.token_hex(5)}"


def pytest_sessionfinish(session, exitstatus):
    server = _state.pop("server", None)
    if server is not None:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_project(backend, request):
    """`new_project(folder)`: a new, empty project whose images are relative to `folder` -
    SQLite in `folder`, or a PostgreSQL schema with `folder` as its image root.  `reopen(p)`
    (the fixture's attribute) opens the same project again."""
    from segstudio.store import Project

    made = []

    def make(folder: Path):
        folder = Path(folder)
        if backend == "sqlite":
            project = Project.create(folder)
        else:
            url = request.getfixturevalue("pg_database") + f"/p_{secrets.token_hex(5)}"
            folder.mkdir(parents=True, exist_ok=True)
            project = Project.create(url, image_root=folder)
        made.append(project)
        return project

    def reopen(project):
        again = Project.open(project.address)
        made.append(again)
        return again

    make.reopen = reopen  # type: ignore[attr-defined]
    make.backend = backend  # type: ignore[attr-defined]
    yield make
    for p in made:
        with contextlib.suppress(Exception):  # closed by the test already
            p.close()
