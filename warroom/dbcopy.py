"""``run.py db copy SRC DST``: move an installation between stores (SQLite to
PostgreSQL, or back), table by table.

The target is migrated to the same schema and must be empty. Tables go in
foreign-key order (parents first), rows in primary-key order, all in one
transaction on the target: a copy that fails leaves it empty. Identity
sequences are then set past the copied ids. Each table is checked by its row
count and a checksum over its rows on both sides (order-independent, so the
two stores' collations do not matter; integral floats count as integers, as
SQLite stores 3.0 in a REAL column as 3).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from . import dialect
from .db import Database, applied_migrations, migrate, transaction

BATCH = 1000
SKIP = {"schema_migrations", "sqlite_sequence", "sqlite_stat1"}


class CopyError(Exception):
    """The copy cannot start or did not check out; the message says why."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


def _norm(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row_hash(row) -> int:
    text = repr(tuple(_norm(v) for v in row)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def _search_indexes(db: Database) -> set[str]:
    """The full-text search indexes: derived from the rows and kept by triggers
    on both stores, so not copied (the target's triggers fill its own as the
    rows arrive). On SQLite the FTS5 tables and their shadow tables, on
    PostgreSQL the tables of tsvectors (migrations 0038 and 0052)."""
    if db.dialect != dialect.SQLITE:
        return {r[0] for r in db.execute(dialect.search_index_tables_sql(db.dialect)).fetchall()}
    virtual = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'").fetchall()]
    shadows = ("_config", "_content", "_data", "_docsize", "_idx")
    return set(virtual) | {v + suffix for v in virtual for suffix in shadows}


def table_order(db: Database) -> list[str]:
    """Every data table, parents before the tables that reference them."""
    skip = SKIP | _search_indexes(db)
    tables = sorted(t for t in db.table_names() if t not in skip)
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in db.execute(dialect.foreign_keys_sql(db.dialect)).fetchall():
        if child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(tables):
        ready = [t for t in tables if t not in placed and parents[t] <= placed]
        if not ready:
            raise CopyError(f"foreign keys form a cycle among {sorted(set(tables) - placed)}")
        order += ready
        placed.update(ready)
    return order


def _columns(db: Database, table: str) -> list[str]:
    cur = db.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cur.description]


def _rows(db: Database, table: str, columns: list[str]):
    keys = [r[0] for r in db.execute(dialect.primary_key_sql(db.dialect, table)).fetchall()] or columns
    cur = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(keys)}")
    while True:
        batch = cur.fetchmany(BATCH)
        if not batch:
            return
        yield batch


def checksum(db: Database, table: str, columns: list[str]) -> tuple[int, str]:
    count, total = 0, 0
    for batch in _rows(db, table, columns):
        count += len(batch)
        total = (total + sum(_row_hash(r) for r in batch)) % (1 << 64)
    return count, f"{total:016x}"


def copy_store(source: Database, target: Database, progress: Callable[[str], None] = lambda _: None) -> list[TableCopy]:
    """Copy every row of ``source`` into the empty ``target``; returns the check per table."""
    migrate(target)
    if applied_migrations(source) != applied_migrations(target):
        raise CopyError("the source is not at the same migration as this version: run `run.py db migrate` on it")
    order = table_order(source)
    missing = set(order) - set(target.table_names())
    if missing:
        raise CopyError(f"the target has no table {sorted(missing)}")
    for table in order:
        if target.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise CopyError(f"the target is not empty (table {table} has rows)")
    if target.dialect == dialect.SQLITE:
        # Checked for the whole copy at the end (a row may point at a later row).
        target.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(target):
            for table in order:
                columns = _columns(source, table)
                marks = ", ".join("?" for _ in columns)
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                done = 0
                for batch in _rows(source, table, columns):
                    try:
                        target.conn.executemany(insert, batch)
                    except sqlite3.Error as exc:  # say which table refused (e.g. a NUL in TEXT)
                        raise CopyError(f"table {table}: {exc}") from exc
                    done += len(batch)
                    progress(f"{table}: {done} rows")
                if target.dialect == dialect.POSTGRESQL and target.conn.has_identity(table):
                    target.execute(dialect.reset_sequence_sql(table))
            if target.dialect == dialect.SQLITE:
                bad = target.execute("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise CopyError(f"copied rows break foreign keys: {bad[:5]}")
    finally:
        if target.dialect == dialect.SQLITE:
            target.execute("PRAGMA foreign_keys = ON")
    if target.dialect == dialect.POSTGRESQL:
        # Planner statistics for the freshly filled tables: without them the
        # planner guesses a few rows per table and, e.g., searches by walking
        # a room's mentions instead of the text index (until autovacuum runs).
        target.execute("ANALYZE")
    results = []
    for table in order:
        columns = _columns(source, table)
        src_rows, src_sum = checksum(source, table, columns)
        dst_rows, dst_sum = checksum(target, table, columns)
        results.append(TableCopy(table, src_rows, dst_rows, src_sum, dst_sum))
    return results
