"""Shifts: slots per room and playbook role, sign-ups, and who is on now.

(Foundation part: creating slots. Sign-up, swaps, hand-overs, coverage and
who_is_on are added by the roster issue.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import events
from .clock import iso
from .db import Database, transaction


@dataclass(frozen=True)
class Slot:
    id: int
    room_id: int
    role: str
    starts_at: str
    ends_at: str
    capacity: int


def shift_starts(start: datetime, hours: int, span_hours: int) -> list[datetime]:
    """Shift start times for ``span_hours`` from ``start`` truncated to the hour,
    one every ``hours``."""
    first = start.replace(minute=0, second=0, microsecond=0)
    out = []
    t = first
    while t < first + timedelta(hours=span_hours):
        out.append(t)
        t += timedelta(hours=hours)
    return out


def create_slots(
    db: Database, now: datetime, room_id: int, roles: list[tuple[str, int]], hours: int,
    start: datetime, span_hours: int = 24, actor: str | None = None,
) -> list[Slot]:
    """Create (role, capacity) slots for every shift in the span; existing ones are kept."""
    if hours < 1:
        raise ValueError("shift hours must be at least 1")
    created = []
    with transaction(db):
        for begin in shift_starts(start, hours, span_hours):
            end = begin + timedelta(hours=hours)
            for role, capacity in roles:
                cur = db.execute(
                    "INSERT OR IGNORE INTO shift_slots (room_id, role, starts_at, ends_at, capacity)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [room_id, role, iso(begin), iso(end), capacity],
                )
                if cur.rowcount:
                    created.append(Slot(cur.lastrowid, room_id, role, iso(begin), iso(end), capacity))
        if created:
            events.append(
                db, room_id, "roster.slots_created", actor,
                {"slots": len(created), "from": created[0].starts_at, "to": max(s.ends_at for s in created)},
                now,
            )
    return created


def slots(db: Database, room_id: int) -> list[Slot]:
    rows = db.execute(
        "SELECT id, room_id, role, starts_at, ends_at, capacity FROM shift_slots"
        " WHERE room_id = ? ORDER BY starts_at, role",
        [room_id],
    ).fetchall()
    return [Slot(*r) for r in rows]
