"""What the post-mortem shows of a room's checklist and rhythm.

Definitions: an item is *done* when it was ticked done (its time and who);
*late* when it was done after its due time; *skipped* when it was not done
by the end (the room's close, or the report's time while open): skipped
on purpose (``state = "skipped"``, with the reason) or left open. Missed
updates are the rhythm's deadlines that passed with no update (see
``rhythm``), quiet ones not counted.
"""

from __future__ import annotations

from datetime import datetime

from .. import rooms
from ..clock import parse_iso
from ..db import Database
from .checklists import room_checklist
from .rhythm import room_rhythm


def summary(db: Database, room_id: int, now: datetime) -> dict:
    room = rooms.get_room(db, room_id)
    end = parse_iso(room.closed_at) if room and room.closed_at else now
    items = [s.to_dict() for s in room_checklist(db, room_id, end)]
    rhythm = [s.to_dict() for s in room_rhythm(db, room_id, end)]
    return {
        "items": items,
        "done": sum(i["state"] == "done" for i in items),
        "late": sum(i["late"] for i in items),
        "skipped": sum(i["state"] != "done" for i in items),
        "skipped_on_purpose": sum(i["state"] == "skipped" for i in items),
        "rhythm": rhythm,
        "updates_posted": sum(r["updates"] for r in rhythm),
        "missed_updates": sum(len(r["missed"]) for r in rhythm),
    }
