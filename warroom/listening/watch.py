"""A standing monitor's stream: mentions in, its own series and detector, and
the war room its alarm opens.

``ingest`` is the one door: the token push API and the platform connectors
(another branch) call it with a validated batch (``mentions.validate``). In
one transaction it stores the new posts (unique per monitor on source +
external id), counts them per minute and lets the monitor's detector decide
every minute that closed, exactly as a room's stream does (``volume``). The
detector's state is saved with the decisions, so history accumulates.

An alarm, in that same transaction: opens a room pinned to the latest
version of the monitor's playbook (``auto``: status ``open``; ``offer``:
status ``monitoring``, plus an offer a lead accepts with ``accept_offer``),
copies into it the mentions of the alarm's hour (the window the detector
judged) and the detector itself, so the room starts warm (same baseline,
same tails, disarmed for this storm); appends ``spike.detected`` naming the
monitor; and opens the room's escalation with the monitor's on-call person
paged first (``notify_first``; without a rotation of its own, the
installation's ``on-call``). One room per storm: while the room of an earlier
alarm is not closed, a later alarm (the detector's "larger surge") joins it
(a ``joined`` row and a ``monitor.alarm`` event).

While that room is not closed, every new post of the monitor is also
forwarded into it (``_copy``, the one place monitor posts enter a room; the
room's (room, source, external id) key keeps it exactly once), counted and
decided by the room's own stream. So the room's detector, seeded from the
monitor's, sees what the monitor sees and pages the room itself; a joined
alarm does not page the room a second time for the same posts.

``tick`` closes the quiet minutes of active monitors on the scheduler's
tick, as ``volume.tick`` does for rooms: a monitor decides a minute without
waiting for a later post.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from .. import accounts, escalation, events, playbooks, rooms, roster
from ..clock import iso, parse_iso
from ..db import Database, transaction
from . import language, mentions, spikes, volume
from .monitors import Monitor, MonitorError, get

MINUTE = timedelta(minutes=1)
WINDOW = timedelta(minutes=60)  # the mentions copied into the room: the hour the detector judged


@dataclass(frozen=True)
class WatchResult:
    accepted: int
    duplicates: int
    alarms: tuple[dict, ...]  # the monitor_alarms rows made: id, room_id, status, kind


def monitor_params(db: Database, monitor: Monitor, params=None) -> dict:
    """``params`` ([spikes] in config.toml) overridden by the playbook's [listening]."""
    out = dict(asdict(params) if isinstance(params, spikes.Params) else params or {})
    book = playbooks.store.latest_playbook(db, monitor.playbook_id)
    if book is not None:
        out.update(book.listening)
    return out


def _active(db: Database, monitor_id: int) -> Monitor:
    monitor = get(db, monitor_id)
    if monitor is None:
        raise MonitorError("monitor", f"no monitor {monitor_id}", status=404)
    if monitor.status != "active":
        raise MonitorError("monitor", f"monitor {monitor_id} is paused and stores nothing", status=409)
    return monitor


def ingest(db: Database, now: datetime, monitor_id: int, batch: list[mentions.NewMention], scorer,
           actor: str | None = None, detector_params=None, charge=None) -> WatchResult:
    """Ingest into monitor ``monitor_id``; see the module docstring."""
    monitor = _active(db, monitor_id)
    for row, m in enumerate(batch, 1):
        if monitor.sources and m.source not in monitor.sources:
            raise mentions.MentionInvalid(row, "source", f"monitor {monitor_id} listens to {', '.join(monitor.sources)},"
                                                f" not {m.source!r}")
    received = iso(now)
    batch = [m._replace(lang=language.resolve(m.lang, m.text)) for m in batch]
    scored = [(monitor_id, *m, received, float(s.compound) if s.compound == s.compound else 0.0, s.label)
              for m, s in ((m, scorer.score(m.text, m.lang)) for m in batch)]
    with transaction(db):
        if charge is not None:
            charge(db)
        monitor = _active(db, monitor_id)
        before = db.execute("SELECT COALESCE(MAX(id), 0) FROM monitor_mentions").fetchone()[0]
        changes = db.conn.total_changes
        db.conn.executemany(
            "INSERT INTO monitor_mentions (monitor_id, source, external_id, author, text, url, created_at,"
            " lang, followers, received_at, sentiment, sentiment_label)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (monitor_id, source, external_id) DO NOTHING", scored)
        accepted = db.conn.total_changes - changes
        alarms: tuple = ()
        if accepted:
            db.execute(
                "INSERT INTO monitor_minutes (monitor_id, minute, count, negative)"
                " SELECT monitor_id, substr(created_at, 1, 16) || ':00.000Z', COUNT(*),"
                " SUM(sentiment_label = 'negative') FROM monitor_mentions"
                " WHERE id > ? AND monitor_id = ? GROUP BY 1, 2 ORDER BY 2"
                " ON CONFLICT (monitor_id, minute) DO UPDATE SET"
                " count = monitor_minutes.count + excluded.count, negative = monitor_minutes.negative + excluded.negative",
                [before, monitor_id])
            head = db.execute("SELECT MAX(minute) FROM monitor_minutes WHERE monitor_id = ?",
                              [monitor_id]).fetchone()[0]
            params = monitor_params(db, monitor, detector_params)
            alarms = tuple(_close(db, now, monitor, min(parse_iso(head), volume.minute_of(now)), params))
            _forward(db, now, monitor_id, before)
    return WatchResult(accepted, len(batch) - accepted, alarms)


def load_detector(db: Database, monitor_id: int, params=None):
    """(first undecided minute or None, the monitor's detector)."""
    row = db.execute("SELECT open_minute, state FROM monitor_state WHERE monitor_id = ?", [monitor_id]).fetchone()
    if row is None:
        return None, spikes.SpikeDetector(params)
    return (parse_iso(row[0]) if row[0] else None), spikes.SpikeDetector.from_state(json.loads(row[1]))


def _save(db: Database, now: datetime, monitor_id: int, open_minute: datetime, detector) -> None:
    db.execute(
        "INSERT INTO monitor_state (monitor_id, open_minute, state, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (monitor_id) DO UPDATE SET open_minute = excluded.open_minute,"
        " state = excluded.state, updated_at = excluded.updated_at",
        [monitor_id, iso(open_minute), json.dumps(detector.to_state(), separators=(",", ":")), iso(now)])


def _close(db: Database, now: datetime, monitor: Monitor, head: datetime, params) -> list[dict]:
    open_minute, detector = load_detector(db, monitor.id, params)
    if open_minute is None:
        first = db.execute("SELECT MIN(minute) FROM monitor_minutes WHERE monitor_id = ?", [monitor.id]).fetchone()[0]
        open_minute = parse_iso(first)
    if head <= open_minute:
        _save(db, now, monitor.id, open_minute, detector)
        return []
    if (head - open_minute) / MINUTE > volume.MAX_FILL_MINUTES:
        open_minute = head - volume.MAX_FILL_MINUTES * MINUTE
    counts = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT minute, count, negative FROM monitor_minutes WHERE monitor_id = ? AND minute >= ? AND minute < ?",
        [monitor.id, iso(open_minute), iso(head)])}
    decided, fired = [], []
    m = open_minute
    while m < head:
        n, neg = counts.get(iso(m), (0, 0))
        d = detector.update(m, float(n), neg)
        decided.append((monitor.id, iso(m), n, neg, round(float(d.score), 6), int(d.alarm)))
        if d.alarm:
            fired.append((m, n, neg, d))
        m += MINUTE
    db.conn.executemany(
        "INSERT INTO monitor_minutes (monitor_id, minute, count, negative, score, alarm) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (monitor_id, minute) DO UPDATE SET score = excluded.score, alarm = excluded.alarm", decided)
    _save(db, now, monitor.id, head, detector)
    return [_fire(db, now, monitor, minute, n, neg, d, detector, head) for minute, n, neg, d in fired]


def open_room_of(db: Database, monitor_id: int) -> int | None:
    """The room of the monitor's latest alarm while it is not closed, else None."""
    row = db.execute(
        "SELECT a.room_id FROM monitor_alarms a JOIN rooms r ON r.id = a.room_id"
        " WHERE a.monitor_id = ? AND r.status != 'closed' ORDER BY a.id DESC LIMIT 1", [monitor_id]).fetchone()
    return row[0] if row else None


def _copy(db: Database, now: datetime, room_id: int, monitor_id: int, where: str, args: list) -> int:
    """Copy the monitor's posts matching ``where`` into the room, each once (the
    room's unique key), and count them there; returns how many were new."""
    before = db.execute("SELECT COALESCE(MAX(id), 0) FROM mentions").fetchone()[0]
    db.execute(
        "INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at, received_at,"
        " lang, followers, sentiment, sentiment_label)"
        " SELECT ?, source, external_id, author, text, url, created_at, received_at, lang, followers,"
        f" sentiment, sentiment_label FROM monitor_mentions WHERE monitor_id = ? AND {where}"
        " ORDER BY created_at, id ON CONFLICT (room_id, source, external_id) DO NOTHING",
        [room_id, monitor_id, *args])
    ids = [r[0] for r in db.execute("SELECT id FROM mentions WHERE id > ? ORDER BY id", [before])]
    if ids:
        negative = volume.count_new(db, room_id, before)
        events.append(db, room_id, "mentions.received", None, {
            "count": len(ids), "ids": ids[:mentions.EVENT_IDS], "negative": negative, "duplicates": 0,
            "sources": mentions.sources_since(db, room_id, before), "monitor": monitor_id}, now)
    return len(ids)


def _forward(db: Database, now: datetime, monitor_id: int, after_id: int) -> None:
    """New posts (id > after_id) into the monitor's open room, then its stream decides them."""
    room_id = open_room_of(db, monitor_id)
    if room_id is not None and _copy(db, now, room_id, monitor_id, "id > ?", [after_id]):
        volume.advance(db, now, room_id)


def tick(db: Database, now: datetime, lag_seconds: int = 30, live_window_minutes: int = 60,
         params=None) -> dict[int, list[dict]]:
    """Close the quiet minutes of active monitors' live streams (scheduler job),
    by ``volume.tick``'s rule: live when the first undecided minute is within
    ``live_window_minutes`` of now; a minute closes ``lag_seconds`` after it ends."""
    head = volume.minute_of(now - timedelta(seconds=lag_seconds))
    oldest = iso(head - timedelta(minutes=live_window_minutes))
    out = {}
    for (monitor_id,) in db.execute(
            "SELECT s.monitor_id FROM monitor_state s JOIN monitors m ON m.id = s.monitor_id"
            " WHERE m.status = 'active' AND s.open_minute >= ? AND s.open_minute < ?",
            [oldest, iso(head)]).fetchall():
        with transaction(db):
            monitor = get(db, monitor_id)
            if monitor is None or monitor.status != "active":
                continue
            out[monitor_id] = _close(db, now, monitor, head, monitor_params(db, monitor, params))
    return out


def _owner(db: Database, monitor: Monitor):
    """The room's owner: the monitor's author if still a lead or admin, else the first admin."""
    user = accounts.find_user(db, monitor.created_by) if monitor.created_by else None
    if accounts.has_role(user, "lead"):
        return user
    admins = [u for u in accounts.list_users(db) if accounts.has_role(u, "admin")]
    if not admins:
        raise MonitorError("monitor", "no lead or admin to own the room: add an admin user", status=409)
    return min(admins, key=lambda u: u.id)


def _fire(db: Database, now: datetime, monitor: Monitor, minute: datetime, n: int, neg: int, d,
          detector, head: datetime) -> dict:
    # One room per storm: while the room an earlier alarm opened is not
    # closed, a new alarm (the detector's "larger surge") joins it.
    last = open_room_of(db, monitor.id)
    if last is not None:
        room, status = rooms.get_room(db, last), "joined"
    else:
        book = playbooks.store.latest_playbook(db, monitor.playbook_id)
        status = "opened" if monitor.open_room == "auto" else "offered"
        title = f"{monitor.brand}: {d.kind} spike at {iso(minute)[:16].replace('T', ' ')} UTC"
        room = rooms.open_room(db, now, _owner(db, monitor), title, description=d.why,
                               status="open" if status == "opened" else "monitoring", playbook=book)
        team = accounts.team_of(db, "monitor", monitor.id)
        if team is not None:  # a team's monitor opens that team's room, never an installation-wide one
            accounts.assign(db, now, "room", room.id, team, None)
    # The hour the detector judged, as mentions of the room (counted per minute there).
    copied = _copy(db, now, room.id, monitor.id, "created_at >= ? AND created_at < ?",
                   [iso(minute + MINUTE - WINDOW), iso(minute + MINUTE)])
    if status != "joined":
        # The detector as it stands after this alarm: the room's stream resumes
        # where the monitor's is (its learned baseline, disarmed for this storm).
        volume.seed(db, now, room.id, head, detector)
    detail = {"minute": iso(minute), "value": n, "negative": neg, "expected": round(float(d.expected), 4),
              "score": round(float(d.score), 6), "kind": d.kind, "why": d.why,
              "p_value": float(f"{d.p_value:.3e}"), "monitor": monitor.id, "brand": monitor.brand,
              "open_room": monitor.open_room, "mentions_copied": copied, "is_drill": False}
    cur = db.execute(
        "INSERT INTO monitor_alarms (monitor_id, minute, kind, detail, room_id, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [monitor.id, iso(minute), d.kind, json.dumps(detail), room.id, status, iso(now)])
    detail["alarm"] = cur.lastrowid
    events.append(db, None, "monitor.alarm", None, {**detail, "room": room.id}, now)
    if status == "joined":  # the room's own detector decides the forwarded posts and pages the room
        return {"id": cur.lastrowid, "room_id": room.id, "status": status, "kind": d.kind}
    events.append(db, room.id, "spike.detected", None, detail, now)
    rotation = monitor.rotation()
    first = (f"user:{roster.oncall.turn_at(rotation, now).user}",) if rotation else ("on-call",)
    escalation.open_escalation(db, now, room.id, reason="spike", detail=detail, actor=None, notify_first=first)
    return {"id": cur.lastrowid, "room_id": room.id, "status": status, "kind": d.kind}


def alarms_of(db: Database, monitor_id: int, limit: int = 50) -> list[dict]:
    rows = db.execute(
        "SELECT id, minute, kind, detail, room_id, status, created_at, accepted_by, accepted_at"
        " FROM monitor_alarms WHERE monitor_id = ? ORDER BY id DESC LIMIT ?", [monitor_id, limit]).fetchall()
    keys = ("id", "minute", "kind", "detail", "room_id", "status", "created_at", "accepted_by", "accepted_at")
    return [{**dict(zip(keys, r, strict=True)), "detail": json.loads(r[3])} for r in rows]


def accept_offer(db: Database, now: datetime, alarm_id: int, user) -> dict:
    """A lead accepts an offer: its room (waiting as ``monitoring``) becomes a war room."""
    if not accounts.has_role(user, "lead"):
        raise MonitorError("user", "only a lead or admin accepts an offer", status=403)
    with transaction(db):
        row = db.execute("SELECT monitor_id, room_id, status FROM monitor_alarms WHERE id = ?", [alarm_id]).fetchone()
        if row is None:
            raise MonitorError("alarm", f"no alarm {alarm_id}", status=404)
        if row[2] != "offered":
            raise MonitorError("alarm", f"alarm {alarm_id} is {row[2]}, not an open offer", status=409)
        rooms.activate_room(db, now, row[1], user)
        db.execute("UPDATE monitor_alarms SET status = 'accepted', accepted_by = ?, accepted_at = ? WHERE id = ?",
                   [user.name, iso(now), alarm_id])
        events.append(db, None, "monitor.offer_accepted", user.name,
                      {"monitor": row[0], "alarm": alarm_id, "room": row[1]}, now)
    return {"alarm": alarm_id, "monitor": row[0], "room_id": row[1], "status": "accepted"}
