"""A private PostgreSQL server for the tests and benches: a throw-away cluster in a temp dir.

Found in this order: `SEGSTUDIO_PG_BIN` (a folder holding `initdb`, `pg_ctl`, `postgres`),
`pg_config --bindir`, Debian's `/usr/lib/postgresql/<version>/bin` (highest version).  The
server listens on 127.0.0.1 at a free port (loopback, as a team server's clients would meet it
minus the network) and on a socket in its own folder.  PostgreSQL refuses to run as root: as
root the cluster belongs to the `postgres` system user (Debian's package makes it), or to
`SEGSTUDIO_PG_USER`.

The superuser's password is random, written to a libpq password file (`PGPASSFILE`) in the temp
dir, never in a URL: the projects' URLs carry no secret, as in real use.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the server would not start (the message says why)."""


def find_bindir() -> Path:
    env = os.environ.get("SEGSTUDIO_PG_BIN")
    candidates = [Path(env)] if env else []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    candidates += [Path(p) for p in reversed(debian)]
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found: install Debian's 'postgresql' "
        "package (.ci/run does) or set SEGSTUDIO_PG_BIN")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalPostgres:
    """A running private cluster.  `url(dbname)` is a libpq URL without credentials; the
    password comes from `env` (PGPASSFILE), which `start` also puts in os.environ."""

    bindir: Path
    workdir: Path
    port: int
    superuser: str
    run_as: str | None  # the system user the server runs as (root cannot run it)
    env: dict[str, str]

    @classmethod
    def start(cls, workdir: str | Path | None = None, *, fsync: bool = False) -> LocalPostgres:
        bindir = find_bindir()
        work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="segstudio-pg-"))
        work.mkdir(parents=True, exist_ok=True)
        run_as = None
        if os.geteuid() == 0:
            run_as = os.environ.get("SEGSTUDIO_PG_USER", "postgres")
            try:
                owner = pwd.getpwnam(run_as)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root and there is no '{run_as}' system user to run PostgreSQL "
                    "(set SEGSTUDIO_PG_USER to another one)") from None
            os.chmod(work, 0o755)
        data, sock = work / "data", work / "sock"
        password = secrets.token_urlsafe(18)
        pwfile = work / "superuser.pw"
        pwfile.write_text(password + "\n")
        sock.mkdir(exist_ok=True)
        if run_as:
            for p in (work, sock, pwfile):
                os.chown(p, owner.pw_uid, owner.pw_gid)
        superuser = "segstudio_admin"
        cls._run(bindir / "initdb", ["-D", str(data), "-U", superuser, "-A", "scram-sha-256",
                                     "--pwfile", str(pwfile), "-E", "UTF8", "--locale=C",
                                     "--no-sync"], run_as, "initdb")
        pwfile.unlink()
        port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} "
                f"-c max_connections=120 -c shared_buffers=64MB "
                f"-c fsync={'on' if fsync else 'off'} -c synchronous_commit={'on' if fsync else 'off'} "
                "-c full_page_writes=off -c log_min_messages=warning")
        cls._run(bindir / "pg_ctl", ["-D", str(data), "-o", opts, "-l", str(work / "server.log"),
                                     "-w", "-t", "60", "start"], run_as, "pg_ctl start",
                 log=work / "server.log")
        passfile = work / "pgpass"
        passfile.write_text(f"127.0.0.1:{port}:*:{superuser}:{password}\n")
        passfile.chmod(0o600)
        env = {"PGPASSFILE": str(passfile), "PGUSER": superuser}
        os.environ.update(env)
        return cls(bindir, work, port, superuser, run_as, env)

    @staticmethod
    def _run(exe: Path, args: list[str], run_as: str | None, what: str, log: Path | None = None) -> None:
        cmd = [str(exe), *args]
        if run_as:
            cmd = ["runuser", "-u", run_as, "--", *cmd]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            raise PostgresUnavailable(f"{what} could not run: {e}") from None
        if out.returncode != 0:
            tail = log.read_text()[-1500:] if log is not None and log.exists() else ""
            raise PostgresUnavailable(f"{what} failed ({out.returncode}): {out.stderr[-1500:]}{tail}")

    def url(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, name: str | None = None) -> str:
        """A fresh database; returns its URL."""
        name = name or f"t_{secrets.token_hex(6)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def add_password(self, user: str, password: str) -> None:
        """Let libpq find `user`'s password (a role a test made) in the same password file."""
        with open(self.env["PGPASSFILE"], "a") as f:
            f.write(f"127.0.0.1:{self.port}:*:{user}:{password}\n")

    def read_only_url(self, dbname: str, schema: str) -> str:
        """The URL of a new login role that may only read `schema` of `dbname` (a viewer)."""
        role = f"viewer_{secrets.token_hex(3)}"
        with self.admin(dbname) as admin:
            admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'v-pw-{role}'")
            admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
            admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
        self.add_password(role, f"v-pw-{role}")
        return f"postgresql://{role}@127.0.0.1:{self.port}/{dbname}/{schema}"

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self._run(self.bindir / "pg_ctl", ["-D", str(self.workdir / "data"), "-m", "immediate",
                                               "-w", "-t", "30", "stop"], self.run_as, "pg_ctl stop")
        time.sleep(0.05)
        shutil.rmtree(self.workdir, ignore_errors=True)


if __name__ == "__main__":  # a quick manual check: start, connect, stop
    server = LocalPostgres.start()
    try:
        with server.admin() as c:
            print(c.execute("SELECT version()").fetchone()[0], "on port", server.port)
    finally:
        server.stop()
