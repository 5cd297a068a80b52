"""War rooms: opening, listing, closing. A room pins its playbook snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import events, roster
from ..accounts import User
from ..clock import iso
from ..db import Database, transaction
from ..playbooks import Playbook

STATUSES = ("monitoring", "open", "closed")
# A room opened from a playbook gets shift slots for this many hours ahead.
SLOT_SPAN_HOURS = 24


class RoomError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class RoomClosedError(RoomError):
    """The room is closed: its record (the post-mortem's input) is final.

    Adapters answer it with 409 (HTTP), an error reply (Socket.IO) or a
    polite refusal (Slack)."""

    def __init__(self, message: str = "the room is closed"):
        super().__init__("room", message)


@dataclass(frozen=True)
class Room:
    id: int
    title: str
    description: str
    status: str
    is_drill: bool
    owner_id: int | None
    opened_at: str
    closed_at: str | None
    playbook_id: str | None
    playbook_version: int | None
    playbook_sha256: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


_COLS = (
    "id, title, description, status, is_drill, owner_id, opened_at, closed_at,"
    " playbook_id, playbook_version, playbook_sha256"
)


def _room(row) -> Room | None:
    if row is None:
        return None
    values = list(row)
    values[4] = bool(values[4])
    return Room(*values)


SQLITE_MAX_INT = 2**63 - 1


def get_room(db: Database, room_id: int) -> Room | None:
    if not 0 < room_id <= SQLITE_MAX_INT:  # an id from a URL may not fit SQLite's integer
        return None
    return _room(db.execute(f"SELECT {_COLS} FROM rooms WHERE id = ?", [room_id]).fetchone())


def require_open(db: Database, room_id: int) -> Room:
    """The room, if it exists and is not closed; the one place the closed-room rule lives.

    Every domain function that changes a room's record calls it inside its
    transaction: claims, drafts, approvals, publication, lint overrides, the
    fact sheet, manual pages and acknowledgements. What stays allowed after
    close is what the post-mortem itself is made of or read from: saving the
    lessons learned, the exports and every read.
    """
    room = get_room(db, room_id)
    if room is None:
        raise RoomError("room", f"no room {room_id}")
    if room.status == "closed":
        raise RoomClosedError()
    return room


def list_rooms(db: Database) -> list[Room]:
    rows = db.execute(
        f"SELECT {_COLS} FROM rooms ORDER BY CASE status WHEN 'closed' THEN 1 ELSE 0 END, id DESC"
    ).fetchall()
    return [_room(r) for r in rows]


def validate_title(title: str, description: str) -> tuple[str, str]:
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise RoomError("title", "a war room needs a title")
    if len(title) > 200:
        raise RoomError("title", "title is longer than 200 characters")
    if len(description) > 5000:
        raise RoomError("description", "description is longer than 5000 characters")
    return title, description


def open_room(
    db: Database, now: datetime, actor: User, title: str, description: str = "",
    status: str = "open", is_drill: bool = False, playbook: Playbook | None = None,
) -> Room:
    """Open a room and append ``room.opened``.

    With a playbook, the room pins a snapshot of it (text, sha256, id, version:
    later versions never change an open room) and gets its roles' shift slots
    for the next 24 hours, all in the one transaction.
    """
    title, description = validate_title(title, description)
    if status not in ("monitoring", "open"):
        raise RoomError("status", "a room opens as 'open' or 'monitoring'")
    snapshot = (
        [playbook.id, playbook.version, playbook.sha256, playbook.text]
        if playbook is not None else [None, None, None, None]
    )
    with transaction(db):
        cur = db.execute(
            "INSERT INTO rooms (title, description, status, is_drill, owner_id, opened_at,"
            " playbook_id, playbook_version, playbook_sha256, playbook_text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [title, description, status, int(is_drill), actor.id, iso(now), *snapshot],
        )
        room_id = cur.lastrowid
        data = {"title": title, "status": status, "is_drill": is_drill}
        if playbook is not None:
            data.update(
                playbook_id=playbook.id, playbook_version=playbook.version,
                playbook_sha256=playbook.sha256,
                roles={r.name: r.count for r in playbook.roles},
                shift_hours=playbook.shifts.hours,
            )
        events.append(db, room_id, "room.opened", actor.name, data, now)
        if playbook is not None:
            roster.create_slots(
                db, now, room_id, [(r.name, r.count) for r in playbook.roles],
                playbook.shifts.hours, start=now, span_hours=SLOT_SPAN_HOURS, actor=actor.name,
            )
    return get_room(db, room_id)


def activate_room(db: Database, now: datetime, room_id: int, actor: User) -> Room:
    """A room watching in status 'monitoring' (e.g. a standing monitor's
    offer) becomes a war room ('open')."""
    with transaction(db):
        room = get_room(db, room_id)
        if room is None:
            raise RoomError("room", f"no room {room_id}")
        if room.status != "monitoring":
            raise RoomError("room", f"the room is {room.status}, not monitoring")
        db.execute("UPDATE rooms SET status = 'open' WHERE id = ?", [room_id])
        events.append(db, room_id, "room.activated", actor.name, {"title": room.title}, now)
    return get_room(db, room_id)


def close_room(db: Database, now: datetime, actor: User, room_id: int) -> Room:
    with transaction(db):
        room = get_room(db, room_id)
        if room is None:
            raise RoomError("room", f"no room {room_id}")
        if room.status == "closed":
            raise RoomError("room", "the room is already closed")
        db.execute("UPDATE rooms SET status = 'closed', closed_at = ? WHERE id = ?", [iso(now), room_id])
        events.append(db, room_id, "room.closed", actor.name, {"title": room.title}, now)
    return get_room(db, room_id)
