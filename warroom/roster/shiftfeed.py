"""Personal iCalendar feeds (RFC 5545) of a user's shifts and on-call turns.

Calendar apps subscribe to ``/me/shifts.ics?token=...`` without a session,
so each user has a secret token; only its sha256 is stored, and a new one
replaces the old (which stops working at once). Times are written in UTC
(``...Z``), so no VTIMEZONE is needed and every app shows them right in its
own zone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from .. import accounts, events
from ..accounts import User
from ..clock import iso
from ..db import Database, transaction
from . import oncall
from . import shifts as roster

PAST = timedelta(days=30)
AHEAD = timedelta(days=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(db: Database, now: datetime, user: User) -> str:
    """A fresh feed token for ``user`` (shown once; the old one stops working)."""
    token = secrets.token_urlsafe(32)
    with transaction(db):
        db.execute(
            "INSERT INTO feed_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,"
            " created_at = excluded.created_at",
            [user.id, _hash(token), iso(now)],
        )
        events.append(db, None, "roster.feed_token_created", user.name, {"user": user.name}, now)
    return token


def has_token(db: Database, user: User) -> bool:
    return db.execute("SELECT 1 FROM feed_tokens WHERE user_id = ?", [user.id]).fetchone() is not None


def user_for_token(db: Database, token: str | None) -> User | None:
    if not token or len(token) > 200:
        return None
    row = db.execute("SELECT user_id FROM feed_tokens WHERE token_hash = ?", [_hash(token)]).fetchone()
    if row is None:
        return None
    user = accounts.get_user(db, row[0])
    return user if user is not None and not user.disabled else None


# -- RFC 5545 text -------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts, current = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += b
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _stamp(dt: datetime) -> str:
    return iso(dt)[:19].replace("-", "").replace(":", "") + "Z"


def _event(uid: str, start: datetime, end: datetime, summary: str, description: str,
           now: datetime, category: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        f"CATEGORIES:{category}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]


def calendar(db: Database, user: User, now: datetime, rotation: oncall.Rotation | None,
             host: str = "warroom", may_see_room=None) -> str:
    """The user's feed: one VEVENT per shift (from 30 days ago to 60 days
    ahead) and one per on-call turn of theirs in that window. Shifts in rooms
    ``may_see_room(room_id)`` refuses (the person lost access) are left out,
    titles and all."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Warroom//Shifts//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(f'Warroom: {user.name}')}",
    ]
    start, end = now - PAST, now + AHEAD
    for slot, title in roster.shifts_of(db, user.id, start, end):
        if may_see_room is not None and not may_see_room(slot.room_id):
            continue
        begin, finish = roster.slot_times(slot)
        lines += _event(
            f"shift-{slot.id}-{user.id}@{host}", begin, finish, f"{slot.role} shift: {title}",
            f"War room: {title}\nRole: {slot.role}\nShift {slot.id}", now, "SHIFT",
        )
    if rotation is not None:
        for turn in oncall.turns(rotation, start, end):
            if turn.user.casefold() != user.name.casefold():
                continue
            why = f" ({turn.reason})" if turn.reason else ""
            lines += _event(
                f"oncall-{_stamp(turn.starts)}-{user.id}@{host}", turn.starts, turn.ends,
                "On call: duty lead" + why, "Standing on-call rotation" + why + ".", now, "ON-CALL",
            )
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
