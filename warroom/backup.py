"""Online backups and checked restores of the store (core, like ``db``).

``backup`` copies with SQLite's online backup API in a single step: one read
transaction, so the copy is the database as of one commit, while writers in
this and other processes carry on (WAL readers do not block writers). The
copy is written beside the target, switched to a rollback journal so it is
one self-contained file, checked and only then renamed into place.

``check_restorable`` refuses a file that is not SQLite, fails
``PRAGMA integrity_check``, or records migrations this code does not know (a
newer Warroom made it) or under other names; ``restore`` then copies it
into the configured database with the same API and applies any migrations
the (older) backup lacks.

On PostgreSQL the backup is the same kind of file: an SQLite Warroom database,
so one format restores into either store. ``backup`` reads the whole store
in one REPEATABLE READ, READ ONLY transaction (one snapshot: the database as
of one commit, while writers on every host carry on) and copies it table by
table with ``dbcopy``, which checks each table's row count and checksum
between the snapshot and the file. ``restore`` copies a checked file into an
empty PostgreSQL database the same way, in one transaction, so a copy that
fails leaves the database empty.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import dbcopy, dialect
from .db import Database, available_migrations, connect, migrate

HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that must not go ahead; the message names why."""


def _integrity(conn: sqlite3.Connection) -> str:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return "ok" if rows == ["ok"] else "; ".join(rows[:5])


def backup(db: Database, target: str | os.PathLike, progress: Callable[[str], None] = lambda _: None) -> Path:
    """A consistent copy of ``db`` at ``target`` (replaced if it exists).
    ``progress`` gets a line per copied batch on PostgreSQL."""
    target = Path(target)
    if target.is_dir():
        raise BackupError("is a folder")
    if not target.parent.is_dir():
        raise BackupError("its folder does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if db.dialect == dialect.POSTGRESQL:
        try:
            _copy_snapshot(db, partial, progress)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    dst = sqlite3.connect(str(partial))
    try:
        if db.dialect != dialect.POSTGRESQL:
            db.conn.backup(dst)          # pages=-1: every page in one step, one snapshot
        dst.execute("PRAGMA journal_mode = DELETE")
        result = _integrity(dst)
    finally:
        dst.close()
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed integrity_check: {result}")
    os.replace(partial, target)
    return target


def _mismatches(results: list[dbcopy.TableCopy]) -> str:
    return ", ".join(f"{r.table} ({r.source_rows} rows {r.source_checksum} -> {r.target_rows} rows"
                     f" {r.target_checksum})" for r in results if not r.ok)


def _copy_snapshot(db: Database, partial: Path, progress: Callable[[str], None]) -> None:
    """Copy PostgreSQL ``db`` as of one snapshot into a new SQLite file."""
    if db.conn.in_transaction:
        raise BackupError("the database connection is inside a transaction")
    dst = connect(partial)
    try:
        # Every read below, the checksums included, sees this one snapshot.
        db.execute(dialect.snapshot_sql(db.dialect))
        try:
            results = dbcopy.copy_store(db, dst, progress)
        except dbcopy.CopyError as exc:
            raise BackupError(str(exc)) from None
        finally:
            db.execute("ROLLBACK")
        bad = _mismatches(results)
        if bad:
            raise BackupError(f"the copy does not match the database: {bad}")
    finally:
        dst.close()


def check_restorable(path: str | os.PathLike) -> list[int]:
    """Raise BackupError unless ``path`` may be restored; return the migrations it lacks."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(HEADER))
    except OSError as exc:
        raise BackupError(f"cannot read: {exc.strerror}") from None
    if head != HEADER:
        raise BackupError("not an SQLite database")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            result = _integrity(conn)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"integrity_check failed: {exc}") from None
        if result != "ok":
            raise BackupError(f"integrity_check failed: {result}")
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
        if not has_table:
            raise BackupError("not a Warroom database (no schema_migrations)")
        applied = dict(conn.execute("SELECT number, name FROM schema_migrations").fetchall())
    finally:
        conn.close()
    known = {number: name for number, name, _sql in available_migrations()}
    unknown = sorted(n for n in applied if n not in known)
    if unknown:
        raise BackupError("made by a newer Warroom: unknown migrations "
                          + ", ".join(f"{n:04d}_{applied[n]}" for n in unknown))
    renamed = sorted(n for n in applied if applied[n] != known[n])
    if renamed:
        raise BackupError("migrations differ from this Warroom's: "
                          + ", ".join(f"{n:04d}_{applied[n]} (here {known[n]})" for n in renamed))
    return sorted(n for n in known if n not in applied)


def restore(source: str | os.PathLike, db: Database) -> list[int]:
    """Replace ``db``'s contents with the checked backup at ``source``.

    Returns the migrations applied afterwards (those the backup lacked).
    On PostgreSQL ``db`` must be empty (a new database, or one only
    migrated): rows are copied, not pages, and mixing a backup into live
    rows would clash on their ids."""
    lacking = check_restorable(source)
    if db.dialect == dialect.POSTGRESQL:
        return _restore_into_postgresql(Path(source), db, lacking)
    src = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.backup(db.conn)
    finally:
        src.close()
    applied = migrate(db)
    result = _integrity(db.conn)
    if result != "ok":  # pragma: no cover - the source passed the same check
        raise BackupError(f"the restored database failed integrity_check: {result}")
    return applied


def _restore_into_postgresql(source: Path, db: Database, lacking: list[int]) -> list[int]:
    with tempfile.TemporaryDirectory(prefix="warroom-restore-") as tmp:
        if lacking:
            # An older backup: bring a copy of it up to this version first (the
            # copy needs both sides at the same migration); the file stays as it is.
            work = Path(tmp) / "upgraded.db"
            shutil.copyfile(source, work)
            src = connect(work)
            migrate(src)
        else:
            src = Database(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True))
        try:
            try:
                results = dbcopy.copy_store(src, db)
            except dbcopy.CopyError as exc:
                raise BackupError(str(exc)) from None
        finally:
            src.close()
    bad = _mismatches(results)
    if bad:  # pragma: no cover - the copy inserts exactly the rows it read
        raise BackupError(f"the restored rows do not match the backup: {bad}")
    return lacking
