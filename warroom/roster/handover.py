"""Hand-overs between shifts, and the roster's timed notices.

A hand-over note (open items, promises made to customers, free text) is
written by someone on a shift for the next shift of the same role; it is a
row (so the incoming people can be shown theirs first) and a
``roster.handover_note`` event (so it is on the timeline).

``tick(db, now)`` is what the scheduler calls: it emits
``roster.shift_reminder`` 15 minutes before a shift starts and
``roster.handover_requested`` when a shift is about to end, each exactly once
per person and shift. The once-ness is a row in ``roster_notices`` inserted in
the same transaction as the event, so a restart neither repeats nor loses one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import accounts, events
from ..accounts import User
from ..clock import iso
from ..db import Database, transaction
from .shifts import RosterError, Slot, get_slot

REMINDER_BEFORE = timedelta(minutes=15)
# A reminder is still worth sending this long after the start (a restart
# during the quarter hour before a shift must not swallow it).
REMINDER_GRACE = timedelta(minutes=5)
# Outgoing people are asked for their note shortly before the shift ends,
# and still asked for an hour after (e.g. the server was down at the end).
HANDOVER_BEFORE = timedelta(minutes=10)
HANDOVER_GRACE = timedelta(hours=1)

MAX_NOTE = 5000
MAX_ITEM = 500
MAX_ITEMS = 50


@dataclass(frozen=True)
class HandoverNote:
    id: int
    room_id: int
    slot_id: int
    for_slot_id: int | None
    author: str
    role: str
    note: str
    open_items: tuple[str, ...]
    promises: tuple[str, ...]
    created_at: str

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["open_items"] = list(self.open_items)
        out["promises"] = list(self.promises)
        return out


_COLS = (
    "h.id, h.room_id, h.slot_id, h.for_slot_id, u.name, h.role, h.note, h.open_items,"
    " h.promises, h.created_at"
)
_FROM = "FROM handover_notes h JOIN users u ON u.id = h.author_id"


def _note(row) -> HandoverNote:
    values = list(row)
    values[7] = tuple(json.loads(values[7]))
    values[8] = tuple(json.loads(values[8]))
    return HandoverNote(*values)


def _items(value, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.splitlines()  # one item per line, from a form
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RosterError(field, f"{field} must be a list of strings")
    items = tuple(v.strip() for v in value if v.strip())
    if len(items) > MAX_ITEMS:
        raise RosterError(field, f"at most {MAX_ITEMS} {field}")
    for item in items:
        if len(item) > MAX_ITEM:
            raise RosterError(field, f"each of {field} must be at most {MAX_ITEM} characters")
    return items


def next_slot(db: Database, slot: Slot) -> Slot | None:
    """The next shift of the same role in the same room."""
    row = db.execute(
        "SELECT id FROM shift_slots WHERE room_id = ? AND role = ? COLLATE NOCASE AND starts_at > ?"
        " ORDER BY starts_at, id LIMIT 1",
        [slot.room_id, slot.role, slot.starts_at],
    ).fetchone()
    return get_slot(db, row[0]) if row else None


def write_note(
    db: Database, now: datetime, user: User, slot_id: int, note: str = "",
    open_items=None, promises=None,
) -> HandoverNote:
    """Someone on the shift (or a lead) leaves a note for the next shift."""
    note = (note or "").strip()
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise RosterError("note", f"the note must be at most {MAX_NOTE} characters")
    items = _items(open_items, "open_items")
    promised = _items(promises, "promises")
    if not (note or items or promised):
        raise RosterError("note", "write a note, an open item or a promise")
    with transaction(db):
        slot = get_slot(db, slot_id)
        if slot is None:
            raise RosterError("slot_id", f"no shift {slot_id}", 404)
        on_it = db.execute(
            "SELECT 1 FROM shift_signups WHERE slot_id = ? AND user_id = ?", [slot.id, user.id]
        ).fetchone()
        if not on_it and not accounts.has_role(user, "lead"):
            raise RosterError("slot_id", "only people on this shift (or a lead) hand it over", 403)
        if slot.starts_at > iso(now):
            raise RosterError("slot_id", "this shift has not started yet", 409)
        following = next_slot(db, slot)
        cur = db.execute(
            "INSERT INTO handover_notes (room_id, slot_id, for_slot_id, author_id, role, note,"
            " open_items, promises, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [slot.room_id, slot.id, following.id if following else None, user.id, slot.role, note,
             json.dumps(items), json.dumps(promised), iso(now)],
        )
        events.append(db, slot.room_id, "roster.handover_note", user.name, {
            "note_id": cur.lastrowid, "user": user.name, "slot_id": slot.id, "role": slot.role,
            "for_slot_id": following.id if following else None,
            "note": note, "open_items": list(items), "promises": list(promised),
        }, now)
    return get_note(db, cur.lastrowid)


def get_note(db: Database, note_id: int) -> HandoverNote | None:
    row = db.execute(f"SELECT {_COLS} {_FROM} WHERE h.id = ?", [note_id]).fetchone()
    return _note(row) if row else None


def notes_for_slot(db: Database, slot_id: int) -> list[HandoverNote]:
    """Notes left for a shift by the one before it, newest first."""
    rows = db.execute(
        f"SELECT {_COLS} {_FROM} WHERE h.for_slot_id = ? ORDER BY h.id DESC", [slot_id]
    ).fetchall()
    return [_note(r) for r in rows]


def notes_for_user(db: Database, room_id: int, user: User, now: datetime) -> list[HandoverNote]:
    """What the incoming person reads first: notes for their current and
    upcoming shifts in the room (soonest shift first, newest note first)."""
    rows = db.execute(
        f"SELECT {_COLS} {_FROM} JOIN shift_slots t ON t.id = h.for_slot_id"
        " JOIN shift_signups s ON s.slot_id = t.id AND s.user_id = ?"
        " WHERE h.room_id = ? AND t.ends_at > ? ORDER BY t.starts_at, h.id DESC",
        [user.id, room_id, iso(now)],
    ).fetchall()
    return [_note(r) for r in rows]


def recent_notes(db: Database, room_id: int, limit: int = 20) -> list[HandoverNote]:
    rows = db.execute(
        f"SELECT {_COLS} {_FROM} WHERE h.room_id = ? ORDER BY h.id DESC LIMIT ?", [room_id, limit]
    ).fetchall()
    return [_note(r) for r in rows]


# -- timed notices ------------------------------------------------------------------------


def _once(db: Database, kind: str, key: str, user_id: int, now: datetime) -> bool:
    cur = db.execute(
        "INSERT OR IGNORE INTO roster_notices (kind, key, user_id, sent_at) VALUES (?, ?, ?, ?)",
        [kind, key, user_id, iso(now)],
    )
    return cur.rowcount == 1


def tick(db: Database, now: datetime) -> dict:
    """Emit due shift reminders and hand-over requests (each once); returns counts."""
    sent = {"reminders": 0, "handovers": 0}
    with transaction(db):
        due = db.execute(
            "SELECT t.id, t.room_id, t.role, t.starts_at, s.user_id, u.name FROM shift_slots t"
            " JOIN rooms r ON r.id = t.room_id AND r.status != 'closed'"
            " JOIN shift_signups s ON s.slot_id = t.id JOIN users u ON u.id = s.user_id"
            " WHERE t.starts_at > ? AND t.starts_at <= ? ORDER BY t.starts_at, s.id",
            [iso(now - REMINDER_GRACE), iso(now + REMINDER_BEFORE)],
        ).fetchall()
        for slot_id, room_id, role, starts_at, user_id, name in due:
            if _once(db, "reminder", str(slot_id), user_id, now):
                events.append(db, room_id, "roster.shift_reminder", None, {
                    "user": name, "slot_id": slot_id, "role": role, "starts_at": starts_at,
                }, now)
                sent["reminders"] += 1
        ending = db.execute(
            "SELECT t.id, s.user_id, u.name FROM shift_slots t"
            " JOIN rooms r ON r.id = t.room_id AND r.status != 'closed'"
            " JOIN shift_signups s ON s.slot_id = t.id JOIN users u ON u.id = s.user_id"
            " WHERE t.ends_at > ? AND t.ends_at <= ? ORDER BY t.ends_at, s.id",
            [iso(now - HANDOVER_GRACE), iso(now + HANDOVER_BEFORE)],
        ).fetchall()
        for slot_id, user_id, name in ending:
            slot = get_slot(db, slot_id)
            following = next_slot(db, slot)
            incoming = [] if following is None else [r[0] for r in db.execute(
                "SELECT u.name FROM shift_signups s JOIN users u ON u.id = s.user_id"
                " WHERE s.slot_id = ? ORDER BY s.id", [following.id])]
            # Staying on for the next shift of the same role: nobody to hand over to.
            if name in incoming and following.starts_at == slot.ends_at:
                continue
            wrote = db.execute(
                "SELECT 1 FROM handover_notes WHERE slot_id = ? AND author_id = ?", [slot_id, user_id]
            ).fetchone()
            if wrote or not _once(db, "handover", str(slot_id), user_id, now):
                continue
            events.append(db, slot.room_id, "roster.handover_requested", None, {
                "user": name, "slot_id": slot_id, "role": slot.role, "ends_at": slot.ends_at,
                "next_slot_id": following.id if following else None, "incoming": incoming,
            }, now)
            sent["handovers"] += 1
    return sent
