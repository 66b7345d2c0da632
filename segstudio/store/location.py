"""Where a project lives: a folder (SQLite, the default) or a PostgreSQL database.

A shared project is named by a libpq URL with the project as one more path segment:
`postgresql://[user@]host[:port]/DBNAME/PROJECT[?sslmode=verify-full&sslrootcert=...]`.
Each project is a schema of that database, so one database holds many projects.  Query
parameters are libpq's (TLS options pass through unchanged).

Credentials never live in a project or a log: libpq finds the password in `PGPASSWORD`,
`~/.pgpass` (`PGPASSFILE`) or a service file (`PGSERVICE`, `service=` in the URL).  A URL
typed with a password still works for that session, but `display` (what logs, titles and
recent-project lists show) leaves it out, and nothing writes the URL to the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from segstudio.store.errors import ProjectError

SCHEMES = ("postgresql://", "postgres://")
_PROJECT_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_database_url(text: str | Path) -> bool:
    """A postgresql:// URL - also as a `Path` made of one (which folds '//' into '/'), so every
    command whose PROJECT argument is a path takes a URL as well."""
    return str(text).lower().startswith(("postgresql:/", "postgres:/"))


def _unfold(text: str) -> str:
    scheme, _, rest = text.partition(":")
    return f"{scheme}://{rest.lstrip('/')}" if not rest.startswith("//") else text


@dataclass(frozen=True)
class DatabaseLocation:
    """A project in a PostgreSQL database: `conninfo` goes to libpq, `schema` is the project."""

    conninfo: str
    schema: str
    display: str  # the URL without a password: safe to print, log and remember

    @property
    def name(self) -> str:
        return self.schema


def parse_database_url(url: str | Path) -> DatabaseLocation:
    url = _unfold(str(url))
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2:
        raise ProjectError(
            f"{redact(url)}: a shared project is postgresql://[user@]host[:port]/DATABASE/PROJECT "
            "(the project is the last part of the path)")
    dbname, project = segments
    if not _PROJECT_NAME.match(project):
        raise ProjectError(
            f"{redact(url)}: project name {project!r} must be lower-case letters, digits and _ "
            "(starting with a letter or _, at most 63)")
    if project.startswith("pg_") or project in ("public", "information_schema"):
        raise ProjectError(f"{redact(url)}: {project!r} is a name PostgreSQL keeps for itself; "
                           "choose another project name")
    conninfo = urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, ""))
    return DatabaseLocation(conninfo, project, redact(url))


def redact(url: str) -> str:
    """`url` without its password (user, host, port, path and options kept)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
