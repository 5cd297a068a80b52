"""Who is viewing a room's board, shared by every worker on the database.

Each board sends a heartbeat (``ping``) every few seconds; a viewer whose
last heartbeat is older than ``ttl`` seconds is gone. Presence is ephemeral,
so it writes no events: the adapter broadcasts the viewer list when it
changes. ``ping`` and ``leave`` return (viewers, changed) so that the worker
that saw the change is the one that tells everyone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import iso
from ..db import Database, transaction


def _viewers(db: Database, room_id: int) -> list[str]:
    rows = db.execute("SELECT user_name FROM presence WHERE room_id = ?", [room_id]).fetchall()
    return sorted((r[0] for r in rows), key=str.lower)


def ping(db: Database, now: datetime, room_id: int, name: str, ttl: float) -> tuple[list[str], bool]:
    """Mark ``name`` as viewing ``room_id`` now and expire silent viewers;
    returns (viewers, whether the set changed)."""
    with transaction(db):
        expired = db.execute("DELETE FROM presence WHERE room_id = ? AND seen_at < ? AND user_name != ?",
                             [room_id, iso(now - timedelta(seconds=ttl)), name]).rowcount
        fresh = db.execute("SELECT 1 FROM presence WHERE room_id = ? AND user_name = ? AND seen_at >= ?",
                           [room_id, name, iso(now - timedelta(seconds=ttl))]).fetchone() is None
        db.execute("INSERT INTO presence (room_id, user_name, seen_at) VALUES (?, ?, ?)"
                   " ON CONFLICT (room_id, user_name) DO UPDATE SET seen_at = excluded.seen_at",
                   [room_id, name, iso(now)])
        return _viewers(db, room_id), bool(expired or fresh)


def leave(db: Database, now: datetime, room_id: int, name: str) -> tuple[list[str], bool]:
    """``name`` closed the board: gone at once rather than after ``ttl``."""
    with transaction(db):
        gone = db.execute("DELETE FROM presence WHERE room_id = ? AND user_name = ?", [room_id, name]).rowcount
        return _viewers(db, room_id), bool(gone)


def viewers(db: Database, now: datetime, room_id: int, ttl: float) -> list[str]:
    """The current viewers (read only; silent ones are left out, not deleted)."""
    rows = db.execute("SELECT user_name FROM presence WHERE room_id = ? AND seen_at >= ?",
                      [room_id, iso(now - timedelta(seconds=ttl))]).fetchall()
    return sorted((r[0] for r in rows), key=str.lower)
