"""A real PostgreSQL server for the tests: Debian's postgresql package
(``make system-deps`` installs it), a fresh cluster in a temporary folder on
a free loopback port, trust authentication for the current user only over
that port. One database per test, copied from a migrated template (CREATE
DATABASE ... TEMPLATE takes milliseconds; migrating takes about a second)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"), Path("/usr/bin")]
TEMPLATE = "warroom_template"


def pg_bin(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (make system-deps)")
    return found


def _as_server_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: there, run it as Debian's postgres user."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = "warroom"
        self._template_ready = False
        self.created: list[str] = []  # test databases, dropped after their test (drop_since)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PgServer:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        # C collation: ISO timestamps and names sort bytewise, as in SQLite.
        subprocess.run(_as_server_user([pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                                        "--encoding=UTF8", "--locale=C", "--no-sync"]),
                       check=True, capture_output=True)
        # No fsync: a test cluster is thrown away; unix sockets in our folder.
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_server_user([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                                        "-o", opts, "-w", "-t", "60", "start"]), check=True, capture_output=True)
        return self

    def stop(self) -> None:
        subprocess.run(_as_server_user([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        from warroom import db as dbmod

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        database = dbmod.connect(self.url(TEMPLATE))
        try:
            dbmod.migrate(database)
        finally:
            database.close()
        self._template_ready = True

    def new_database(self, migrated: bool = True) -> str:
        """A fresh database's URL: a copy of the migrated template, or empty."""
        name = "t_" + uuid.uuid4().hex[:16]
        if migrated:
            self._ensure_template()
            self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        else:
            self._admin(f"CREATE DATABASE {name}")
        self.created.append(name)
        return self.url(name)

    def drop_since(self, mark: int) -> None:
        """Drop the databases made since ``mark`` (a length of ``created``).
        Each is ~10 MB and a thousand files: kept, a full run's fill gigabytes
        and removing the cluster at the end takes minutes. FORCE ends the
        connections a pool or a killed server process left behind."""
        while len(self.created) > mark:
            self._admin(f"DROP DATABASE IF EXISTS {self.created.pop()} WITH (FORCE)")


_server: PgServer | None = None


def server() -> PgServer:
    """The session's server, started on first use (stopped at exit by conftest)."""
    global _server
    if _server is None:
        _server = PgServer().start()
    return _server


def stop() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def mark() -> int:
    """Where this test's databases start (see drop_since); 0 before any server."""
    return len(_server.created) if _server is not None else 0


def drop_since(mark: int) -> None:
    if _server is not None:
        _server.drop_since(mark)


def wanted() -> bool:
    return os.environ.get("WARROOM_TEST_STORE", "sqlite") == "postgresql"


def sqlite_only(why: str):
    """Skip on PostgreSQL a test that is about SQLite files by nature (``why`` says which)."""
    return pytest.mark.skipif(wanted(), reason=f"SQLite-specific: {why}")


def installed() -> bool:
    """Whether Debian's PostgreSQL server binaries are here (benches pick their stores by it)."""
    try:
        pg_bin("initdb")
    except RuntimeError:
        return False
    return True
