"""Opening the store, numbered migrations, and the one write path:
``transaction(db)``.

``connect(url_or_path)`` opens SQLite (a path or ``sqlite:///path``; WAL,
foreign keys, busy timeout) or PostgreSQL (``postgresql://...``, see pg.py);
both give the same surface, and every SQL difference lives in dialect.py.

Migrations are the files ``warroom/migrations/NNNN_name.sql`` (the core) and
``warroom/<package>/migrations/NNNN_name.sql`` (each domain package's own);
numbers are global, so they apply in one order whichever folder holds them.
On PostgreSQL a ``NNNN_name.pg.sql`` beside the ``.sql`` replaces it (triggers,
table rebuilds); without one the ``.sql`` is translated (``dialect.translate_ddl``).
``migrate`` applies the missing ones in order, each
in one transaction together with its row in ``schema_migrations``, so a
fresh database and an older one end at the same schema and a second run
changes nothing.

``transaction(db)`` is ``BEGIN IMMEDIATE`` .. ``COMMIT`` (on PostgreSQL ``BEGIN``
and the advisory write lock, ``dialect.write_lock``, and a commit with events
NOTIFYs ``dialect.EVENTS_CHANNEL``); events appended in it
(``events.append``) are handed to ``db.after_commit`` listeners only once the
commit succeeded, which is how nothing reaches the board uncommitted.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import sqlite_utils

from . import dialect

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)(\.pg)?\.sql$")


class Database(sqlite_utils.Database):
    """sqlite-utils Database plus the after-commit hook of the spine.

    One per thread: sqlite3 connections must not cross threads.
    """

    dialect = dialect.SQLITE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.after_commit: list[Callable[[list], None]] = []
        self._pending_events: list = []
        self._pool: Pool | None = None

    def close(self) -> None:
        """Close, or hand a pooled connection back for the next caller."""
        if self._pool is not None:
            self._pool.release(self)
        else:
            super().close()


def is_postgresql(url_or_path: str | Path) -> bool:
    return str(url_or_path).startswith(("postgresql://", "postgres://"))


def sqlite_path(url_or_path: str | Path) -> str:
    """The file of a ``sqlite:///path`` URL (or a plain path, as it is)."""
    text = str(url_or_path)
    return text[len("sqlite:///"):] if text.startswith("sqlite:///") else text


def printable(url_or_path: str | Path) -> str:
    """The store named fit to print: a SQLite file's path, or a PostgreSQL URL
    with any password in it (the docs say not to put one there) masked."""
    from urllib.parse import urlsplit, urlunsplit

    if not is_postgresql(url_or_path):
        return sqlite_path(url_or_path)
    parts = urlsplit(str(url_or_path))
    if parts.password is None:
        return str(url_or_path)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def connect(url_or_path: str | Path, busy_timeout_ms: int = 5000, *, shared: bool = False) -> Database:
    """Open the store: SQLite (a path or ``sqlite:///path``; the folder is
    created) with the pragmas every connection needs, or PostgreSQL.

    ``shared`` lets the connection move between threads (one at a time),
    which is what a pool needs; sqlite3 refuses that by default."""
    if is_postgresql(url_or_path):
        from . import pg  # psycopg is imported only by installations that use it

        return pg.connect(str(url_or_path), busy_timeout_ms)
    path = sqlite_path(url_or_path)
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                           check_same_thread=not shared)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable against process crashes in WAL mode (only a power cut
    # can lose the last commits), and ten times faster than FULL here.
    conn.execute("PRAGMA synchronous = NORMAL")
    return Database(conn)


class Pool:
    """Idle connections kept for reuse, so that a socket command or request
    does not pay for opening one (about 1 ms of pragmas and file opening
    each time: Socket.IO's threading mode runs every command in a fresh
    thread, so a per-thread cache would not help).

    A connection is used by one thread at a time: ``acquire`` takes it off
    the idle list and ``Database.close`` puts it back. Going back, it is
    made as good as new: an open transaction is rolled back and its pending
    events dropped (they were never committed), ``query_only`` is switched
    off again, and the after-commit listeners are cleared, since whoever
    acquires it adds its own. At most
    ``size`` idle connections are kept; the rest are closed.
    """

    def __init__(self, path: str | Path, busy_timeout_ms: int = 5000, size: int = 8):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.size = size
        self._idle: list[Database] = []
        self._lock = threading.Lock()
        self.opened = 0  # connections opened so far, for tests and benches

    def acquire(self) -> Database:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = connect(self.path, self.busy_timeout_ms, shared=True)
            with self._lock:
                self.opened += 1
        db._pool = self
        return db

    def release(self, db: Database) -> None:
        db._pool = None  # a second close() of the same handle really closes
        try:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            if db.dialect == dialect.SQLITE:
                # the one pragma callers change (a read-only view of the store)
                db.conn.execute("PRAGMA query_only = 0")
        except sqlite3.Error:
            db.conn.close()  # broken: do not hand it to anyone
            return
        db._pending_events = []
        db.after_commit = []
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(db)
                return
        db.conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.conn.close()


def _begin(db: Database) -> None:
    if db.dialect == dialect.SQLITE:
        db.conn.execute("BEGIN IMMEDIATE")
        return
    db.conn.execute("BEGIN")
    try:
        db.conn.execute(dialect.write_lock(db.dialect))
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One write transaction; nested calls join the outer one."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    _begin(db)
    db._pending_events = []
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        db._pending_events = []
        raise
    if db._pending_events and db.dialect == dialect.POSTGRESQL:
        # wakes every host's publisher at commit (LISTEN/NOTIFY), not on its next poll
        db.conn.execute(dialect.notify_events_sql(db.dialect, db._pending_events[-1].id))
    conn.execute("COMMIT")
    committed, db._pending_events = db._pending_events, []
    if committed:
        for listener in list(db.after_commit):
            listener(committed)


# -- migrations ---------------------------------------------------------------


def available_migrations(for_dialect: str = dialect.SQLITE) -> list[tuple[int, str, str]]:
    """(number, name, sql) for every migration, in order: on PostgreSQL the
    ``.pg.sql`` twin where there is one, else the ``.sql``."""
    return [(n, name, sql) for n, name, sql, _ in _migrations(for_dialect)]


def _migrations(for_dialect: str) -> list[tuple[int, str, str, bool]]:
    """As available_migrations, plus whether the sql is native PostgreSQL
    (a .pg.sql, run as one script) rather than SQLite's."""
    found: dict[int, tuple[str, str]] = {}
    native: dict[int, tuple[str, str]] = {}
    package = resources.files("warroom")
    folders = [package / "migrations"] + [
        entry / "migrations" for entry in package.iterdir() if (entry / "migrations").is_dir()
    ]
    numbers = []
    for folder in folders:
        for entry in folder.iterdir():
            m = MIGRATION_NAME.match(entry.name)
            if not m:
                continue
            target = native if m.group(3) else found
            target[int(m.group(1))] = (m.group(2), entry.read_text(encoding="utf-8"))
            if not m.group(3):
                numbers.append(int(m.group(1)))
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"two migrations share a number: {sorted(numbers)}")
    if set(native) - set(found):
        raise RuntimeError(f"a .pg.sql migration has no .sql twin: {sorted(set(native) - set(found))}")
    use_native = for_dialect == dialect.POSTGRESQL
    return [(n, *(native[n] if use_native and n in native else found[n]), use_native and n in native)
            for n in sorted(found)]


def _statements(sql: str) -> Iterator[str]:
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        raise ValueError(f"incomplete SQL statement in migration: {buf.strip()[:80]}")


def applied_migrations(db: Database) -> list[int]:
    if "schema_migrations" not in db.table_names():
        return []
    return [r[0] for r in db.execute("SELECT number FROM schema_migrations ORDER BY number")]


def migrate(db: Database, target: int | None = None, now: str | None = None) -> list[int]:
    """Apply missing migrations up to ``target`` (all by default).

    Safe to run from two processes at once: each migration is checked again
    under the write lock. Returns the numbers applied by this call.
    """
    from .clock import iso, utcnow

    stamp = now or iso(utcnow())
    with transaction(db):  # under the write lock: two processes may start at once
        if db.dialect == dialect.POSTGRESQL:
            for statement in dialect.PG_SETUP:
                db.execute(statement)
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    done = []
    for number, name, sql, is_native in _migrations(db.dialect):
        if target is not None and number > target:
            break
        with transaction(db):
            already = db.execute(
                "SELECT 1 FROM schema_migrations WHERE number = ?", [number]
            ).fetchone()
            if already:
                continue
            if db.dialect == dialect.SQLITE:
                for statement in _statements(sql):
                    db.execute(statement)
            elif is_native:
                db.conn.run_script(sql)
            else:
                for statement in _statements(sql):
                    db.execute(dialect.translate_ddl(statement))
                db.conn.forget_shapes()
            db.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                [number, name, stamp],
            )
        done.append(number)
    return done


def schema_sql(db: Database) -> list[str]:
    """The schema as sorted CREATE statements, for comparing databases."""
    rows = db.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return sorted(r[0] for r in rows)


def identity(db: Database) -> str:
    """Which store this connection is on, for caches kept per database: the
    SQLite file (a private key for an in-memory one), or the PostgreSQL URL."""
    if db.dialect == dialect.POSTGRESQL:
        return db.url
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] or f"memory:{id(db.conn)}"


def check(db: Database) -> bool:
    """Cheap liveness check used by /healthz."""
    return db.execute("SELECT 1").fetchone()[0] == 1


# SQLite's own error names (Python 3.11+ sets ``sqlite_errorname``) for a store
# that cannot serve right now, as opposed to a bug in a query. Extended codes
# share the prefix (SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DIRECTORY, ...).
_UNAVAILABLE = {
    "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_READONLY": "read-only",
    "SQLITE_FULL": "full", "SQLITE_IOERR": "failing (I/O error)", "SQLITE_CANTOPEN": "unreachable",
}


def unavailable(exc: BaseException) -> str | None:
    """Why the store cannot serve (``busy``, ``read-only``, ...), or None when
    ``exc`` is not that kind of error."""
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix, reason in _UNAVAILABLE.items():
        if name == prefix or name.startswith(prefix + "_"):
            return reason
    return None


def retry_after(reason: str) -> int:
    """Seconds a client should wait: a lock passes quickly, the rest needs a person."""
    return 1 if reason == "busy" else 30


def check_writable(db: Database, timeout_ms: int = 1000) -> None:
    """Raise the store's error unless a write could start within ``timeout_ms``.

    Takes and releases the write lock (``BEGIN IMMEDIATE`` .. ``ROLLBACK``), so
    a database that another process keeps locked, or that is read-only, fails
    here rather than being reported healthy.
    """
    conn = db.conn
    if conn.in_transaction:
        return
    if db.dialect == dialect.POSTGRESQL:
        # READ WRITE fails on a standby (read-only); the lock waits at most timeout_ms.
        conn.execute("BEGIN TRANSACTION READ WRITE")
        try:
            conn.execute(f"SET LOCAL lock_timeout = {int(timeout_ms)}")
            conn.execute(dialect.write_lock(db.dialect))
        finally:
            conn.execute("ROLLBACK")
        return
    old = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {min(int(old), int(timeout_ms))}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(old)}")
