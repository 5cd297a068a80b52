"""A room's checklist: the items of its pinned playbook, ticked on the board.

An item's due time is ``opened_at + due_minutes``. It is *overdue* when that
time has passed and nobody has marked it (done or skipped). ``overdue(db,
now)`` is the pure decision; ``tick(db, now)`` (the scheduler's) emits
``checklist.item_overdue`` once per item, naming the people on shift for the
item's owner role at that moment (the room's owner when nobody is), which
is whom the notifier tells.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import events, playbooks, rooms, roster
from ..accounts import User, get_user
from ..clock import iso, parse_iso
from ..db import Database, transaction

MAX_REASON = 500


class RunbookError(ValueError):
    """A checklist or rhythm change that cannot be made; ``field`` names the culprit."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class ItemState:
    number: int
    stage: str
    text: str
    owner: str
    command: str | None
    due_at: str | None
    state: str  # "open" | "done" | "skipped"
    by: str | None
    at: str | None
    reason: str
    overdue: bool
    late: bool  # done after its due time

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def pinned(db: Database, room_id: int):
    """The room's pinned playbook, or None (none, or a snapshot that today's
    validator rejects: the room's page must still work, without a checklist)."""
    try:
        return playbooks.room_playbook(db, room_id)
    except playbooks.PlaybookInvalid:
        return None


def _items(db: Database, room_id: int):
    pb = pinned(db, room_id)
    return pb.checklist if pb else ()


def due_at(opened_at: str, due_minutes: int | None) -> str | None:
    if due_minutes is None:
        return None
    return iso(parse_iso(opened_at) + timedelta(minutes=due_minutes))


def room_checklist(db: Database, room_id: int, now: datetime) -> list[ItemState]:
    """Every item of the room's pinned checklist with its state at ``now``."""
    room = rooms.get_room(db, room_id)
    if room is None:
        return []
    ticks = {r[0]: r[1:] for r in db.execute(
        "SELECT item, state, by_user, at, reason FROM checklist_ticks WHERE room_id = ?", [room_id])}
    stamp = iso(now)
    out = []
    for item in _items(db, room_id):
        due = due_at(room.opened_at, item.due_minutes)
        state, by, at, reason = ticks.get(item.number, ("open", None, None, ""))
        out.append(ItemState(
            item.number, item.stage, item.text, item.owner, item.command, due, state, by, at, reason,
            overdue=state == "open" and due is not None and due <= stamp,
            late=state == "done" and due is not None and at > due,
        ))
    return out


def mark(db: Database, now: datetime, user: User, room_id: int, number: int,
         state: str = "done", reason: str = "") -> ItemState:
    """Mark an item done or skipped (a skip needs a reason), or ``open``
    again (unticked). Events: ``checklist.item_done``, ``checklist.item_skipped``,
    ``checklist.item_reopened``."""
    if state not in ("done", "skipped", "open"):
        raise RunbookError("state", "state must be done, skipped or open")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise RunbookError("reason", f"the reason must be at most {MAX_REASON} characters")
    if state == "skipped" and not reason:
        raise RunbookError("reason", "say why the item is skipped")
    with transaction(db):
        room = rooms.require_open(db, room_id)
        items = {i.number: i for i in _items(db, room_id)}
        item = items.get(number)
        if item is None:
            raise RunbookError("item", f"the room's checklist has no item {number}", 404)
        current = db.execute("SELECT state FROM checklist_ticks WHERE room_id = ? AND item = ?",
                             [room_id, number]).fetchone()
        if (current[0] if current else "open") == state:
            raise RunbookError("item", f"item {number} is already {state}", 409)
        if state == "open":
            db.execute("DELETE FROM checklist_ticks WHERE room_id = ? AND item = ?", [room_id, number])
            kind = "checklist.item_reopened"
        else:
            # A standard upsert, not SQLite's INSERT OR REPLACE: PostgreSQL has only this one.
            db.execute("INSERT INTO checklist_ticks (room_id, item, state, by_user, at, reason)"
                       " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, item) DO UPDATE SET"
                       " state = excluded.state, by_user = excluded.by_user, at = excluded.at,"
                       " reason = excluded.reason", [room_id, number, state, user.name, iso(now), reason])
            kind = f"checklist.item_{state}"
        due = due_at(room.opened_at, item.due_minutes)
        events.append(db, room_id, kind, user.name, {
            "item": number, "stage": item.stage, "text": item.text, "owner": item.owner,
            "due_at": due, "late": state == "done" and due is not None and iso(now) > due,
            "reason": reason,
        }, now)
    return next(s for s in room_checklist(db, room_id, now) if s.number == number)


def _open_rooms(db: Database) -> list[int]:
    return [r[0] for r in db.execute(
        "SELECT id FROM rooms WHERE status = 'open' AND playbook_text IS NOT NULL ORDER BY id")]


def overdue(db: Database, now: datetime) -> list[tuple[int, ItemState]]:
    """(room, item) for every overdue item of every open room."""
    return [(room_id, s) for room_id in _open_rooms(db)
            for s in room_checklist(db, room_id, now) if s.overdue]


def on_shift(db: Database, room_id: int, role: str, now: datetime) -> list[str]:
    """Names to tell about a role's duty: who is on shift for it, else the room's owner."""
    names = [u.name for u in roster.who_is_on(db, room_id, role, now)]
    if names:
        return names
    room = rooms.get_room(db, room_id)
    owner = get_user(db, room.owner_id) if room and room.owner_id else None
    return [owner.name] if owner and not owner.disabled else []


def once(db: Database, room_id: int, kind: str, key: str, now: datetime) -> bool:
    cur = db.execute("INSERT OR IGNORE INTO runbook_notices (room_id, kind, key, sent_at) VALUES (?, ?, ?, ?)",
                     [room_id, kind, key, iso(now)])
    return cur.rowcount == 1


def tick(db: Database, now: datetime) -> int:
    """Emit ``checklist.item_overdue`` for each newly overdue item (once); returns how many."""
    sent = 0
    with transaction(db):
        for room_id, s in overdue(db, now):
            if once(db, room_id, "overdue", str(s.number), now):
                events.append(db, room_id, "checklist.item_overdue", None, {
                    "item": s.number, "stage": s.stage, "text": s.text, "owner": s.owner,
                    "due_at": s.due_at, "users": on_shift(db, room_id, s.owner, now),
                }, now)
                sent += 1
    return sent
