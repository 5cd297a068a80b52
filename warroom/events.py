"""The events table: audit log, live feed and post-mortem timeline in one.

``append`` must run inside ``db.transaction``: the event commits with the rows
it describes, and is published only after that commit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from .clock import iso
from .db import Database

MAX_PAGE = 1000


@dataclass(frozen=True)
class Event:
    id: int
    room: int | None
    ts: str
    kind: str
    actor: str | None
    data: dict

    def to_dict(self) -> dict:
        return asdict(self)


def _from_row(row) -> Event:
    id_, room, ts, kind, actor, data = row
    return Event(id_, room, ts, kind, actor, json.loads(data))


def append(
    db: Database, room: int | None, kind: str, actor: str | None, data: dict, now: datetime
) -> Event:
    if not db.conn.in_transaction:
        raise RuntimeError("events.append must run inside db.transaction()")
    ts = iso(now)
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True)
    cur = db.execute(
        "INSERT INTO events (room_id, ts, kind, actor, data) VALUES (?, ?, ?, ?, ?)",
        [room, ts, kind, actor, payload],
    )
    event = Event(cur.lastrowid, room, ts, kind, actor, json.loads(payload))
    db._pending_events.append(event)
    return event


def after(db: Database, room: int, after_id: int = 0, limit: int = MAX_PAGE) -> list[Event]:
    """A room's events with id > after_id, oldest first (at most ``limit``)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    rows = db.execute(
        "SELECT id, room_id, ts, kind, actor, data FROM events"
        " WHERE room_id = ? AND id > ? ORDER BY id LIMIT ?",
        [room, after_id, limit],
    ).fetchall()
    return [_from_row(r) for r in rows]


def since(db: Database, after_id: int, limit: int = MAX_PAGE) -> list[Event]:
    """All events (any room) with id > after_id: what the publisher sends."""
    rows = db.execute(
        "SELECT id, room_id, ts, kind, actor, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
        [after_id, limit],
    ).fetchall()
    return [_from_row(r) for r in rows]


def last_id(db: Database) -> int:
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


def timeline(db: Database, room: int) -> list[Event]:
    """Every event of a room in order (the post-mortem's timeline)."""
    rows = db.execute(
        "SELECT id, room_id, ts, kind, actor, data FROM events WHERE room_id = ? ORDER BY id",
        [room],
    ).fetchall()
    return [_from_row(r) for r in rows]
