"""A room's update rhythm: when an update is due, and which ones were missed.

What counts as *an update posted* (``updates_posted``), read from the events:

* ``public-update``: a change of the room's holding statement
  (``facts.updated`` with kind ``holding``), or a public stakeholder update
  (``update.published`` with ``audience = "public"``);
* ``internal-update`` and ``briefing``: a change of the fact sheet
  (``facts.updated`` with kind ``fact``), or an internal stakeholder update
  (``update.published`` with ``audience = "internal"``).

A reply to one customer (``response.published``) is not an update of the
room: it tells one person, not everyone waiting.

Deadlines. A cadence (``every``) is due ``every`` after the room opened or
after the last update, whichever is later: an update resets the clock. A
deadline passing with no update is *missed*, and the next one is ``every``
later. With ``while_negative_share_above``, a deadline only counts while the
room is that angry: when the share of negative mentions among those created
in the ``every`` before the deadline (per-minute counts,
``mention_minutes``) is at or below the level, the deadline is *quiet*, not
missed. Fixed times (``at`` in ``time_zone``) are due at each of those
local times after the room opened; one is met by an update since the
previous deadline (or since the room opened).

``tick(db, now)`` emits ``rhythm.reminder`` once per deadline from
``REMIND_BEFORE`` before it while no update has come, and ``rhythm.missed``
once per missed deadline; both name the people on shift for the rhythm's
owner role (the notifier tells them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import events, rooms
from ..clock import iso, parse_iso
from ..db import Database, transaction
from .checklists import on_shift, once, pinned

REMIND_BEFORE = timedelta(minutes=5)
PUBLIC = ("public-update",)
MAX_DEADLINES = 20_000  # a 5-minute cadence for about 70 days


def updates_posted(db: Database, room_id: int, kind: str, since: str, until: str) -> list[str]:
    """Times (ISO, oldest first) of the updates that count for ``kind``,
    posted in (since, until]."""
    public = kind in PUBLIC
    out = []
    for ts, ev_kind, data in _update_events(db, room_id, since, until):
        if ev_kind == "facts.updated":
            counts = (data.get("kind") == "holding") == public and not data.get("retired")
        else:  # update.published (stakeholder updates)
            counts = (data.get("audience") == "public") == public
        if counts:
            out.append(ts)
    return out


def _update_events(db: Database, room_id: int, since: str, until: str):
    return [(ts, k, json.loads(d)) for ts, k, d in db.execute(
        "SELECT ts, kind, data FROM events WHERE room_id = ? AND kind IN ('facts.updated', 'update.published')"
        " AND ts > ? AND ts <= ? ORDER BY id", [room_id, since, until])]


def negative_share(db: Database, room_id: int, start: datetime, end: datetime) -> float:
    """Negative mentions / mentions whose sentiment could be read (not
    ``unknown``) over minutes in [start, end); 0 with none."""
    row = db.execute(
        "SELECT COALESCE(SUM(count - unknown), 0), COALESCE(SUM(negative), 0) FROM mention_minutes"
        " WHERE room_id = ? AND minute >= ? AND minute < ?", [room_id, iso(start), iso(end)]).fetchone()
    return row[1] / row[0] if row[0] else 0.0


@dataclass(frozen=True)
class Schedule:
    rhythm: int
    kind: str
    describe: str
    owner: str | None
    missed: tuple[str, ...]  # due times that passed with no update
    quiet: tuple[str, ...]   # due times that did not count (negative share low)
    next_due: str | None     # the next deadline after ``now`` (None: closed room)
    updates: int             # updates that counted, since the room opened

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["missed"], out["quiet"] = list(self.missed), list(self.quiet)
        return out


def _fixed_times(r, opened: datetime, until: datetime):
    """Each ``at`` local time after ``opened``, in order, up to the first past ``until``."""
    zone = ZoneInfo(r.time_zone)
    day = opened.astimezone(zone).date()
    while True:
        for hhmm in r.at:
            h, m = (int(x) for x in hhmm.split(":"))
            t = datetime.combine(day, time(h, m), zone).astimezone(opened.tzinfo)
            if t > opened:
                yield t
                if t > until:
                    return
        day += timedelta(days=1)


def schedule(db: Database, room_id: int, r, now: datetime) -> Schedule:
    """The deadlines of one rhythm up to ``now`` (or the room's close)."""
    room = rooms.get_room(db, room_id)
    opened = parse_iso(room.opened_at)
    end = min(now, parse_iso(room.closed_at)) if room.closed_at else now
    ups = [parse_iso(t) for t in updates_posted(db, room_id, r.kind, room.opened_at, iso(end))]
    missed, quiet = [], []
    next_due = None
    if r.every_minutes:
        every = timedelta(minutes=r.every_minutes)
        prev, due = opened, opened + every
        for _ in range(MAX_DEADLINES):
            met = [u for u in ups if prev < u <= min(due, end)]
            if met:  # an update resets the clock
                prev = met[-1]
                due = prev + every
                continue
            if due > end:
                next_due = due
                break
            share_ok = (r.while_negative_share_above is None
                        or negative_share(db, room_id, due - every, due) > r.while_negative_share_above)
            (missed if share_ok else quiet).append(iso(due))
            prev, due = due, due + every
    else:
        prev = opened
        for due in _fixed_times(r, opened, end):
            if due > end:
                next_due = due
                break
            if not any(prev < u <= due for u in ups):
                missed.append(iso(due))
            prev = due
    return Schedule(r.number, r.kind, r.describe(), r.owner, tuple(missed), tuple(quiet),
                    None if room.closed_at else (iso(next_due) if next_due else None), len(ups))


def room_rhythm(db: Database, room_id: int, now: datetime) -> list[Schedule]:
    pb = pinned(db, room_id)
    return [schedule(db, room_id, r, now) for r in (pb.rhythm if pb else ())]


def _reminder_due(db: Database, room_id: int, r, s: Schedule, now: datetime) -> bool:
    if s.next_due is None or parse_iso(s.next_due) - now > REMIND_BEFORE:
        return False
    if r.every_minutes and r.while_negative_share_above is not None:
        every = timedelta(minutes=r.every_minutes)
        return negative_share(db, room_id, now - every, now) > r.while_negative_share_above
    return True


def tick(db: Database, now: datetime) -> dict:
    """Reminders and missed updates of every open room (each once); returns counts."""
    sent = {"reminders": 0, "missed": 0}
    with transaction(db):
        ids = [row[0] for row in db.execute(
            "SELECT id FROM rooms WHERE status = 'open' AND playbook_text IS NOT NULL ORDER BY id")]
        for room_id in ids:
            pb = pinned(db, room_id)
            for r in pb.rhythm if pb else ():
                s = schedule(db, room_id, r, now)
                users = on_shift(db, room_id, r.owner, now) if r.owner else []
                base = {"rhythm": r.number, "kind": r.kind, "describe": s.describe, "owner": r.owner,
                        "users": users}
                for due in s.missed:
                    if once(db, room_id, "missed", f"{r.number}@{due}", now):
                        events.append(db, room_id, "rhythm.missed", None, {**base, "due_at": due}, now)
                        sent["missed"] += 1
                if _reminder_due(db, room_id, r, s, now) and once(
                        db, room_id, "reminder", f"{r.number}@{s.next_due}", now):
                    events.append(db, room_id, "rhythm.reminder", None, {**base, "due_at": s.next_due}, now)
                    sent["reminders"] += 1
    return sent
