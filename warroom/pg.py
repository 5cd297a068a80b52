"""The PostgreSQL store behind the same surface the code uses of sqlite-utils.

``db.connect("postgresql://...")`` returns a ``PgDatabase``: ``execute(sql,
params)`` in SQLite's dialect (translated by ``dialect.translate``) returning a
cursor with ``fetchone``/``fetchall``/``rowcount``/``lastrowid`` (an INSERT
into a table with an ``id`` identity gets ``RETURNING id``), rows as tuples,
``conn.in_transaction``, ``conn.executemany``, ``conn.total_changes``,
``table_names()``, and the spine's ``after_commit`` listeners. The connection
is in autocommit mode, like sqlite3 with ``isolation_level=None``: nothing is
in a transaction unless ``db.transaction`` opened one.

Imported only when a PostgreSQL URL is configured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus
from psycopg.types.numeric import FloatLoader

from . import dialect

_INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\"?(\w+)\"?", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


class _BoolAsInt(Dumper):
    """Booleans are 0/1 INTEGER columns in the schema (as in SQLite)."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj):
        return b"1" if obj else b"0"


class Cursor:
    """The result of one statement, fetched at once (sqlite3.Cursor's subset)."""

    def __init__(self, rows: list[tuple], rowcount: int, lastrowid: int | None, description):
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.description = description

    def fetchone(self):
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int = 1) -> list[tuple]:
        part = self._rows[self._next:self._next + size]
        self._next += len(part)
        return part

    def fetchall(self) -> list[tuple]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def __iter__(self):
        return iter(self.fetchall())


class PgConnection:
    """What ``db.conn`` is on PostgreSQL: the sqlite3.Connection subset used."""

    def __init__(self, raw: psycopg.Connection):
        self.raw = raw
        self.total_changes = 0
        self._id_tables: dict[str, bool] = {}

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def has_identity(self, table: str) -> bool:
        table = table.lower()
        if table not in self._id_tables:
            rows = self.raw.execute(
                "SELECT c.table_name, bool_or(c.column_name = 'id' AND (c.is_identity = 'YES'"
                " OR c.column_default LIKE 'nextval%%')) FROM information_schema.columns c"
                " WHERE c.table_schema = current_schema() GROUP BY c.table_name", []).fetchall()
            self._id_tables = {name: bool(has) for name, has in rows}
        return self._id_tables.get(table, False)

    def execute(self, sql: str, params: Sequence | None = None) -> Cursor:
        pg_sql = dialect.translate(sql)
        m = _INSERT_INTO.match(sql)
        add_id = bool(m) and not _RETURNING.search(sql) and self.has_identity(m.group(1))
        if add_id:
            pg_sql = pg_sql.rstrip().rstrip(";") + " RETURNING id"
        try:
            cur = self.raw.execute(pg_sql, list(params or []))
            rows = cur.fetchall() if cur.description is not None else []
        except psycopg.Error as exc:
            raise dialect.to_sqlite_error(exc) from exc
        if cur.rowcount > 0 and not cur.description or add_id:
            self.total_changes += max(cur.rowcount, 0)
        if add_id:
            return Cursor([], cur.rowcount, rows[-1][0] if rows else None, None)
        return Cursor(rows, cur.rowcount, None, cur.description)

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence]) -> Cursor:
        pg_sql = dialect.translate(sql)
        try:
            with self.raw.cursor() as cur:
                cur.executemany(pg_sql, [list(p) for p in seq_of_params])
                count = cur.rowcount
        except psycopg.Error as exc:
            raise dialect.to_sqlite_error(exc) from exc
        self.total_changes += max(count, 0)
        return Cursor([], count, None, None)

    def run_script(self, sql: str) -> None:
        """Native PostgreSQL SQL, several statements, no parameters (a .pg.sql migration)."""
        try:
            self.raw.execute(sql.encode("utf-8"))
        except psycopg.Error as exc:
            raise dialect.to_sqlite_error(exc) from exc
        self.forget_shapes()

    def forget_shapes(self) -> None:
        """After DDL: which tables have an id is read again when next needed."""
        self._id_tables = {}

    def close(self) -> None:
        self.raw.close()


class PgDatabase:
    """The PostgreSQL counterpart of ``db.Database`` (see the module docstring)."""

    dialect = dialect.POSTGRESQL

    def __init__(self, conn: PgConnection, url: str):
        self.conn = conn
        self.url = url
        self.after_commit: list[Callable[[list], None]] = []
        self._pending_events: list = []
        self._pool = None

    def execute(self, sql: str, params: Sequence | None = None) -> Cursor:
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute(dialect.table_names_sql(self.dialect)).fetchall()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.release(self)
        else:
            self.conn.close()


def connect(url: str, busy_timeout_ms: int = 5000) -> PgDatabase:
    """Open one connection; waiting for a lock longer than ``busy_timeout_ms``
    fails as "busy", as SQLite's busy timeout does."""
    try:
        raw = psycopg.connect(url, autocommit=True,
                              options=f"-c lock_timeout={int(busy_timeout_ms)}")
    except psycopg.Error as exc:
        raise dialect.to_sqlite_error(exc) from exc
    raw.adapters.register_dumper(bool, _BoolAsInt)
    # AVG() and SUM() of a bigint are NUMERIC here; SQLite gives a float.
    raw.adapters.register_loader("numeric", FloatLoader)
    return PgDatabase(PgConnection(raw), url)
