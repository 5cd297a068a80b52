"""Lessons learned: what the lead writes on the board for the post-mortem.

Versioned per room: every save with a changed text is a new row (version,
author, time), never an update, and appends ``postmortem.lessons_saved``.
``close_with_lessons`` is the close step that asks for them: it saves and
closes the room in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import events
from ..clock import iso
from ..db import Database, transaction

MAX_LESSONS_CHARS = 50_000


class LessonsError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Lessons:
    id: int
    room_id: int
    version: int
    text: str
    author: str
    saved_at: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


_LESSON_COLS = "id, room_id, version, text, author, saved_at"


def lessons(db: Database, room_id: int) -> Lessons | None:
    """The latest version of a room's lessons, or None."""
    row = db.execute(
        f"SELECT {_LESSON_COLS} FROM postmortem_lessons WHERE room_id = ?"
        " ORDER BY version DESC LIMIT 1", [room_id],
    ).fetchone()
    return Lessons(*row) if row else None


def lesson_versions(db: Database, room_id: int) -> list[Lessons]:
    rows = db.execute(
        f"SELECT {_LESSON_COLS} FROM postmortem_lessons WHERE room_id = ? ORDER BY version",
        [room_id],
    ).fetchall()
    return [Lessons(*r) for r in rows]


def save_lessons(db: Database, now: datetime, room_id: int, author: str, text: str) -> Lessons:
    """Store a new version (never overwrite) and append ``postmortem.lessons_saved``."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise LessonsError("lessons", "the lessons are empty")
    if len(text) > MAX_LESSONS_CHARS:
        raise LessonsError("lessons", f"the lessons are longer than {MAX_LESSONS_CHARS} characters")
    with transaction(db):
        if db.execute("SELECT 1 FROM rooms WHERE id = ?", [room_id]).fetchone() is None:
            raise LessonsError("room", f"no room {room_id}")
        latest = lessons(db, room_id)
        if latest is not None and latest.text == text:
            return latest  # saving the same text twice is not a new version
        version = (latest.version if latest else 0) + 1
        cur = db.execute(
            "INSERT INTO postmortem_lessons (room_id, version, text, author, saved_at)"
            " VALUES (?, ?, ?, ?, ?)", [room_id, version, text, author, iso(now)],
        )
        events.append(
            db, room_id, "postmortem.lessons_saved", author,
            {"version": version, "chars": len(text)}, now,
        )
    return Lessons(cur.lastrowid, room_id, version, text, author, iso(now))


def close_with_lessons(db: Database, now: datetime, actor, room_id: int, text: str,
                       final_update: str | None = None) -> Lessons:
    """Save the lessons and close the room, with its final stakeholder update
    (``updates.close_room``), in one transaction (the close form)."""
    from .. import rooms, updates

    with transaction(db):
        saved = save_lessons(db, now, room_id, actor.name, text)
        try:
            updates.close_room(db, now, actor, room_id, final_update)
        except (rooms.RoomError, updates.UpdateError) as exc:
            raise LessonsError(exc.field, str(exc)) from None
    return saved
