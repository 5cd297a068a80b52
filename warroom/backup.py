"""Online backups and checked restores of the SQLite store (core, like ``db``).

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
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .db import Database, available_migrations, migrate

HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that must not go ahead; the message names why."""


def _integrity(conn: sqlite3.Connection) -> str:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return "ok" if rows == ["ok"] else "; ".join(rows[:5])


def backup(db: Database, target: str | os.PathLike) -> Path:
    """A consistent copy of ``db`` at ``target`` (replaced if it exists)."""
    target = Path(target)
    if target.is_dir():
        raise BackupError("is a folder")
    if not target.parent.is_dir():
        raise BackupError("its folder does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    dst = sqlite3.connect(str(partial))
    try:
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

    Returns the migrations applied afterwards (those the backup lacked)."""
    check_restorable(source)
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
