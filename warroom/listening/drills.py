"""Drills: a room opened from a playbook with ``is_drill`` set, into which a
recorded storm is replayed so a team can rehearse.

A drill is marked as such on the room (``is_drill``), in its title, in its
events (``drill.started``/``drill.finished``) and in every ``spike.detected``;
it opens no escalation (so pages nobody) unless started with
``page_real=True``. Replayed mentions get drill-scoped ids
(``drill-<room>:<id>``) so the same storm can be rehearsed again in a new room.
"""

from __future__ import annotations

from datetime import datetime

from .. import events, rooms
from ..accounts import User
from ..clock import iso
from ..db import Database, transaction
from .mentions import NewMention


def start(db: Database, now: datetime, actor: User, playbook, file: str, speed: float | None,
          page_real: bool = False, title: str | None = None) -> rooms.Room:
    title = title or f"DRILL: {playbook.title}"
    if not title.upper().startswith("DRILL"):
        title = f"DRILL: {title}"
    with transaction(db):
        room = rooms.open_room(
            db, now, actor, title[:200],
            description=f"Drill replaying {file}. Not a real incident.",
            status="open", is_drill=True, playbook=playbook,
        )
        db.execute(
            "INSERT INTO drills (room_id, playbook_id, file, speed, page_real, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [room.id, playbook.id, file, speed, int(page_real), iso(now)],
        )
        events.append(db, room.id, "drill.started", actor.name, {
            "playbook_id": playbook.id, "file": file, "speed": speed, "page_real": page_real,
        }, now)
    return room


def scoped(room_id: int, batch: list[NewMention]) -> list[NewMention]:
    """Drill-scoped external ids, so a storm can be replayed in every drill."""
    return [m._replace(external_id=f"drill-{room_id}:{m.external_id}") for m in batch]


def finish(db: Database, now: datetime, room_id: int, mentions: int, spikes: int,
           actor: str | None = None) -> None:
    with transaction(db):
        db.execute(
            "UPDATE drills SET finished_at = ?, mentions = ?, spikes = ? WHERE room_id = ?",
            [iso(now), mentions, spikes, room_id],
        )
        events.append(db, room_id, "drill.finished", actor, {"mentions": mentions, "spikes": spikes}, now)
