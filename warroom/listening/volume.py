"""A room's per-minute mention series and its spike detector.

Minutes are the mentions' own ``created_at`` truncated to the minute, so a
replay at any speed reproduces the original shape. The detector
(``spikes.SpikeDetector``) decides a minute once it has closed: when a mention
of a later minute arrives (``advance``, inside the ingest transaction) or when
the scheduler's tick passes the minute boundary of a live stream (``tick``).
Its state lives in ``spike_state`` and is saved in the same transaction as the
decisions, so a restarted process resumes where it stopped and never decides
a minute twice. An alarm appends ``spike.detected`` with the numbers behind it
and opens (or updates) the room's escalation in that same transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from .. import escalation, events, playbooks, rooms
from ..clock import iso, parse_iso
from ..db import Database, transaction
from . import spikes

MINUTE = timedelta(minutes=1)
# A stream that jumps further ahead than this (a room reused for an old
# replay, a long outage) restarts its series there instead of feeding the
# detector days of empty minutes.
MAX_FILL_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class MinuteDecision:
    minute: str
    count: int
    negative: int
    score: float
    expected: float
    alarm: bool
    unknown: int = 0  # of count, in a language sentiment cannot read

    @property
    def negative_share(self) -> float:
        """Negative among the mentions whose sentiment could be read: an
        unread (``unknown``) mention is neither negative nor not."""
        return share(self.negative, self.count, self.unknown)


def share(negative: int, count: int, unknown: int = 0) -> float:
    """negative / (count - unknown), 0.0 when nothing could be read."""
    read = count - unknown
    return round(negative / read, 4) if read > 0 else 0.0


def minute_of(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


def minute_key(ts: datetime) -> str:
    return iso(minute_of(ts))


def count_new(db: Database, room_id: int, after_id: int) -> int:
    """Add mentions with id > after_id to the per-minute counts (and unknown
    ones); returns how many of them are negative. Runs inside the ingest
    transaction."""
    db.execute(
        "INSERT INTO mention_minutes (room_id, minute, count, negative, unknown)"
        " SELECT room_id, substr(created_at, 1, 16) || ':00.000Z', COUNT(*),"
        " SUM(sentiment_label = 'negative'), SUM(sentiment_label = 'unknown')"
        " FROM mentions WHERE id > ? AND room_id = ? GROUP BY 1, 2 ORDER BY 2"
        " ON CONFLICT (room_id, minute) DO UPDATE SET"
        " count = mention_minutes.count + excluded.count, negative = mention_minutes.negative + excluded.negative,"
        " unknown = mention_minutes.unknown + excluded.unknown",
        [after_id, room_id],
    )
    return db.execute(
        "SELECT COUNT(*) FROM mentions WHERE id > ? AND room_id = ? AND sentiment_label = 'negative'",
        [after_id, room_id],
    ).fetchone()[0]


def detector_params(db: Database, room_id: int, params=None) -> dict:
    """The detector's settings for a room: ``params`` (e.g. [spikes] in
    config.toml) overridden by its playbook's [listening] expectations."""
    if isinstance(params, spikes.Params):
        params = asdict(params)
    out = dict(params or {})
    try:
        book = playbooks.room_playbook(db, room_id)
    except playbooks.PlaybookInvalid:
        # A snapshot today's validator rejects (the room page says so): the
        # detector still runs, on the installation's settings.
        book = None
    if book is not None:
        out.update(book.listening)
    return out


def room_params(db: Database, room_id: int, params=None) -> spikes.Params:
    """The Params a room's detector runs with: its saved state's (a room opened
    by a monitor runs the monitor's), else ``detector_params``."""
    row = db.execute("SELECT state FROM spike_state WHERE room_id = ?", [room_id]).fetchone()
    if row is not None:
        return spikes.SpikeDetector.from_state(json.loads(row[0])).params
    return spikes.SpikeDetector(detector_params(db, room_id, params)).params


def _load(db: Database, room_id: int, params):
    row = db.execute("SELECT open_minute, state FROM spike_state WHERE room_id = ?", [room_id]).fetchone()
    if row is None:
        return None, spikes.SpikeDetector(detector_params(db, room_id, params))
    return (parse_iso(row[0]) if row[0] else None), spikes.SpikeDetector.from_state(json.loads(row[1]))


def _save(db: Database, now: datetime, room_id: int, open_minute: datetime | None, detector) -> None:
    db.execute(
        "INSERT INTO spike_state (room_id, open_minute, state, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (room_id) DO UPDATE SET open_minute = excluded.open_minute,"
        " state = excluded.state, updated_at = excluded.updated_at",
        [room_id, iso(open_minute) if open_minute else None,
         json.dumps(detector.to_state(), separators=(",", ":")), iso(now)],
    )


def seed(db: Database, now: datetime, room_id: int, open_minute: datetime, detector) -> None:
    """Start a room's stream warm: ``detector`` (e.g. a standing monitor's)
    decides its minutes from ``open_minute`` on. Inside the caller's transaction."""
    _save(db, now, room_id, open_minute, detector)


def _close(db: Database, now: datetime, room_id: int, head: datetime, params) -> list[MinuteDecision]:
    """Decide every minute before ``head`` not decided yet; returns the alarms."""
    open_minute, detector = _load(db, room_id, params)
    if open_minute is None:
        first = db.execute(
            "SELECT MIN(minute) FROM mention_minutes WHERE room_id = ?", [room_id]
        ).fetchone()[0]
        if first is None:
            return []
        open_minute = parse_iso(first)
        if head <= open_minute:  # first minute of the stream: remember where it starts
            _save(db, now, room_id, open_minute, detector)
            return []
    if head <= open_minute:
        return []
    if (head - open_minute) / MINUTE > MAX_FILL_MINUTES:
        open_minute = head - MAX_FILL_MINUTES * MINUTE
    counts = {
        r[0]: (r[1], r[2], r[3]) for r in db.execute(
            "SELECT minute, count, negative, unknown FROM mention_minutes"
            " WHERE room_id = ? AND minute >= ? AND minute < ?",
            [room_id, iso(open_minute), iso(head)],
        )
    }
    room = rooms.get_room(db, room_id)
    decided = []
    alarms = []
    why = {}  # minute -> the detector's numbers behind its alarm
    m = open_minute
    while m < head:
        key = iso(m)
        n, neg, unk = counts.get(key, (0, 0, 0))
        # The detector's share-swing rule still divides by every post (its
        # saved state has no place for unread ones): see the README.
        d = detector.update(m, float(n), neg)
        decision = MinuteDecision(key, n, neg, round(float(d.score), 6), round(float(d.expected), 4), bool(d.alarm),
                                  unk)
        decided.append((room_id, key, n, neg, decision.score, decision.expected, int(decision.alarm)))
        if decision.alarm:
            alarms.append(decision)
            why[key] = {k: round(float(getattr(d, k)), 4) for k in (
                "z", "threshold", "cusum", "cusum_threshold", "burst", "burst_threshold")}
            why[key].update(kind=d.kind, why=d.why, p_value=float(f"{d.p_value:.3e}"))
        m += MINUTE
    db.conn.executemany(
        "INSERT INTO mention_minutes (room_id, minute, count, negative, score, expected, alarm)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, minute) DO UPDATE SET"
        " score = excluded.score, expected = excluded.expected, alarm = excluded.alarm",
        decided,
    )
    _save(db, now, room_id, head, detector)
    is_drill = bool(room and room.is_drill)
    # A drill pages nobody real unless it was started with --page-real.
    may_page = not is_drill or bool((db.execute(
        "SELECT page_real FROM drills WHERE room_id = ?", [room_id]).fetchone() or (0,))[0])
    for a in alarms:
        detail = {
            "minute": a.minute, "value": a.count, "expected": a.expected, "score": a.score,
            "negative": a.negative, "unknown": a.unknown, "negative_share": a.negative_share, "is_drill": is_drill,
            **why[a.minute],
        }
        if not may_page:
            detail["escalation"] = "not opened: drill without --page-real"
        events.append(db, room_id, "spike.detected", None, detail, now)
        if may_page:
            escalation.open_escalation(db, now, room_id, reason="spike", detail=detail, actor=None)
    return alarms


def advance(db: Database, now: datetime, room_id: int, params=None) -> list[MinuteDecision]:
    """Close the minutes before the newest minute that has mentions (the
    stream's head, at most the current minute). Must run inside the caller's
    transaction."""
    head = db.execute("SELECT MAX(minute) FROM mention_minutes WHERE room_id = ?", [room_id]).fetchone()[0]
    if head is None:
        return []
    # A post stamped slightly ahead (clock skew) must not close the current minute.
    return _close(db, now, room_id, min(parse_iso(head), minute_of(now)), params)


def tick(db: Database, now: datetime, lag_seconds: int = 30, live_window_minutes: int = 60,
         params=None) -> dict[int, list[MinuteDecision]]:
    """Close quiet minutes of live streams (scheduler job).

    A stream is live when its first undecided minute is within
    ``live_window_minutes`` of now; replays of old data are closed by their
    own mentions only. Minutes close ``lag_seconds`` after they end so that
    mentions in flight still count.
    """
    head = minute_of(now - timedelta(seconds=lag_seconds))
    oldest = iso(head - timedelta(minutes=live_window_minutes))
    out = {}
    candidates = db.execute(
        "SELECT s.room_id FROM spike_state s JOIN rooms r ON r.id = s.room_id"
        " WHERE r.status != 'closed' AND s.open_minute >= ? AND s.open_minute < ?",
        [oldest, iso(head)],
    ).fetchall()
    for (room_id,) in candidates:
        with transaction(db):
            out[room_id] = _close(db, now, room_id, head, params)
    return out


def series(db: Database, room_id: int, minutes: int = 60) -> list[dict]:
    """The last ``minutes`` minutes of a room's stream (ending at its newest
    minute), with zero minutes filled in and the detector's markers."""
    head = db.execute("SELECT MAX(minute) FROM mention_minutes WHERE room_id = ?", [room_id]).fetchone()[0]
    if head is None:
        return []
    end = parse_iso(head)
    start = end - (minutes - 1) * MINUTE
    rows = {
        r[0]: r[1:] for r in db.execute(
            "SELECT minute, count, negative, score, expected, alarm, unknown FROM mention_minutes"
            " WHERE room_id = ? AND minute >= ? AND minute <= ?",
            [room_id, iso(start), iso(end)],
        )
    }
    out = []
    m = start
    while m <= end:
        key = iso(m)
        n, neg, score, expected, alarm, unk = rows.get(key, (0, 0, None, None, None, 0))
        out.append({
            "minute": key, "count": n, "negative": neg, "unknown": unk,
            "negative_share": share(neg, n, unk),
            "score": score, "expected": expected,
            "alarm": None if alarm is None else bool(alarm),
        })
        m += MINUTE
    return out


def spikes_of(db: Database, room_id: int, limit: int = 50) -> list[dict]:
    """A room's alarmed minutes, newest first."""
    rows = db.execute(
        "SELECT minute, count, negative, score, expected FROM mention_minutes"
        " WHERE room_id = ? AND alarm = 1 ORDER BY minute DESC LIMIT ?",
        [room_id, limit],
    ).fetchall()
    return [{"minute": r[0], "count": r[1], "negative": r[2], "score": r[3], "expected": r[4]} for r in rows]


def extent(db: Database, room_id: int) -> dict:
    """A room's whole stream in brief: its first and last minute and its peak
    minute (the first of ties), defined as the post-mortem defines it, so the
    board's "peak" and the report's agree."""
    first, last = db.execute(
        "SELECT MIN(minute), MAX(minute) FROM mention_minutes WHERE room_id = ?", [room_id]
    ).fetchone()
    peak = db.execute(
        "SELECT minute, count FROM mention_minutes WHERE room_id = ? ORDER BY count DESC, minute LIMIT 1",
        [room_id],
    ).fetchone()
    minutes = int((parse_iso(last) - parse_iso(first)) / MINUTE) + 1 if first else 0
    return {"first": first, "last": last, "minutes": minutes,
            "peak": {"minute": peak[0], "count": peak[1]} if peak else None}
