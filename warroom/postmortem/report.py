"""The post-mortem: a room's events and rows folded into one report (a dict
that ``postmortem.schema.json`` describes), plus the versioned lessons.

Everything is measured from what was committed: the ``events`` timeline
(every domain change is an event) and the tables of the other modules, read
defensively (``db.table_names()``), so a database without, say, escalation
tables still gives a report with those sections empty.

Definitions (the numbers a reader will argue about):

* **Storm window.** ``storm_start`` is the minute of the room's first
  ``spike.detected`` event (the alarm's minute from the event data, else the
  event time); ``storm_end`` is the last spike's minute plus
  ``STORM_TAIL`` (30 minutes), but never later than the room's close. Without
  any spike the window is the span of the room's mentions (first
  ``created_at`` .. one minute after the last), so a replayed storm whose
  posts are older than the room is "during", not "before"; with no mention
  either, the room's life: opened_at .. closed_at (or the report time).
* **Sentiment before / during / after** groups the room's mentions by their
  ``created_at``: before = ``created_at < storm_start``; during =
  ``storm_start <= created_at < storm_end``; after = ``created_at >=
  storm_end``. Each period gives the count, the mean compound score stored
  at ingestion (``warroom.sentiment``), how many are ``unknown`` (a language
  sentiment cannot read) and the share labelled negative among the others
  (an unread mention is neither negative nor not; None when none was read).
* **Peak mention rate** is the largest per-minute count of the room
  (``mention_minutes``; recomputed from ``mentions`` if that table is absent)
  and the minute it happened; ties go to the earliest minute.
* **Time to first reply** of a mention runs from its ``received_at`` (when
  Warroom learned of it; the response clock starts there) to the first
  ``response.published`` event naming it. Median is the usual one (mean of
  the two middle values for an even count); p90 is the nearest-rank
  percentile: the ``ceil(0.9 * n)``-th smallest value. The share within target
  is (replies with time <= ``first_response_minutes`` * 60 s) / (mentions
  replied), null when nothing was replied or the playbook has no target.
* **Roster coverage** per role counts the shift slots that began before the
  room closed (or before the report, while open): a slot is *filled* when its
  sign-ups reach its capacity. ``seats`` sums capacities, ``signed_up`` the
  sign-ups of those slots, and ``coverage`` is ``signed_up / seats`` (1 of 4
  seats taken is 25 %, not 0 % because no slot was full).
* **Unanswered past the target** sums the ``response.clock_breached`` events:
  mentions still without a reply when their first-response clock ran out
  (each counted once, even if answered later).
* **Pages** are the rows of ``pages`` (every recipient of every step: sent,
  bundled into another page's message, failed, cancelled by the ack...);
  on a database without that table, the ``page.sent`` / ``page.failed``
  events. A page's *time to acknowledge* runs from its sending to the
  acknowledgement of its escalation; *pages sent* counts the ones delivered
  (sent or bundled), *retries* the ``page.retrying`` events. A page sent
  only to the log (no Slack configured, ``via = 'log'``) reached nobody:
  its status is *not delivered* and it counts in *pages undelivered*, not
  in *pages sent*.
* **Campaigns** are the room's ten largest near-duplicate clusters of two or
  more posts (``listening.clusters.campaigns``): size, reach (the members'
  followers summed), languages, the first post (earliest ``created_at``) and
  the cumulative size per hour of the posts' own time. Absent when no text
  was posted twice.
* Times never run backwards: a negative difference (skewed clocks) is 0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from datetime import datetime, timedelta

from .. import events, runbook
from ..clock import iso, parse_iso
from ..db import Database
from ..listening import clusters
from .lessons import lessons

SCHEMA_ID = "warroom.postmortem/1"
STORM_TAIL = timedelta(minutes=30)
REPLY_BINS_MINUTES = (5, 15, 30, 60, 120, 240)

Progress = Callable[[str], None]


# -- small pure helpers ----------------------------------------------------------


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the ceil(p/100 * n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def _seconds(start: str, end: str) -> float:
    return (parse_iso(end) - parse_iso(start)).total_seconds()


def _first(data: dict, *keys):
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _ids(data: dict, single: tuple[str, ...], many: tuple[str, ...]) -> list:
    out = []
    for key in many:
        value = data.get(key)
        if isinstance(value, list):
            out.extend(v for v in value if v is not None)
    for key in single:
        if data.get(key) is not None:
            out.append(data[key])
    return list(dict.fromkeys(out))


def _norm_ts(value, fallback: str) -> str:
    try:
        return iso(parse_iso(value))
    except (ValueError, TypeError):
        return fallback


def reply_histogram(seconds: list[float]) -> list[dict]:
    """Counts of reply times per bin (minutes): [0,5), [5,15), ... and the open top bin."""
    edges = (0, *REPLY_BINS_MINUTES)
    bins = [{"from_minutes": lo, "to_minutes": hi, "count": 0} for lo, hi in zip(edges, edges[1:], strict=False)]
    bins.append({"from_minutes": edges[-1], "to_minutes": None, "count": 0})
    for s in seconds:
        minutes = s / 60
        for b in bins:
            if b["to_minutes"] is None or minutes < b["to_minutes"]:
                b["count"] += 1
                break
    return bins


# -- readers -----------------------------------------------------------------------


def _room_row(db: Database, room_id: int) -> dict | None:
    row = db.execute(
        "SELECT r.id, r.title, r.description, r.status, r.is_drill, u.name, r.opened_at,"
        " r.closed_at, r.playbook_id, r.playbook_version, r.playbook_sha256, r.playbook_text"
        " FROM rooms r LEFT JOIN users u ON u.id = r.owner_id WHERE r.id = ?", [room_id],
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "title", "description", "status", "is_drill", "owner", "opened_at",
            "closed_at", "playbook_id", "playbook_version", "playbook_sha256", "playbook_text")
    out = dict(zip(keys, row, strict=True))
    out["is_drill"] = bool(out["is_drill"])
    return out


def _playbook(db: Database, room: dict) -> tuple[dict | None, int | None]:
    """(summary of the room's playbook snapshot, first_response_minutes)."""
    if not room["playbook_id"] and not room["playbook_text"]:
        return None, None
    title, target = None, None
    if room["playbook_text"]:
        try:
            from .. import playbooks

            book = playbooks.parse(room["playbook_text"])
            title, target = book.title, book.rules.first_response_minutes
        except Exception:  # a snapshot that no longer parses still gets a report
            pass
    return {
        "id": room["playbook_id"], "version": room["playbook_version"],
        "title": title, "sha256": room["playbook_sha256"],
    }, target


def _minutes(db: Database, room_id: int, tables: set[str]) -> list[dict]:
    if "mention_minutes" in tables:
        rows = db.execute(
            "SELECT minute, SUM(count), SUM(negative), SUM(unknown) FROM mention_minutes WHERE room_id = ?"
            " GROUP BY minute ORDER BY minute", [room_id],
        ).fetchall()
    elif "mentions" in tables:
        rows = db.execute(
            "SELECT substr(created_at, 1, 16), COUNT(*), SUM(sentiment_label = 'negative'),"
            " SUM(sentiment_label = 'unknown')"
            " FROM mentions WHERE room_id = ? GROUP BY 1 ORDER BY 1", [room_id],
        ).fetchall()
    else:
        rows = []
    out = []
    for minute, count, negative, unknown in rows:
        out.append({"minute": _norm_ts(minute if len(minute) > 16 else minute + ":00Z", minute),
                    "count": int(count or 0), "negative": int(negative or 0), "unknown": int(unknown or 0)})
    return out


def _sentiment(db, room_id, tables, start: str, end: str) -> dict:
    periods = {p: {"mentions": 0, "mean_compound": None, "negative": 0, "unknown": 0, "negative_share": None}
               for p in ("before", "during", "after")}
    if "mentions" not in tables:
        return periods
    rows = db.execute(
        "SELECT CASE WHEN created_at < ? THEN 'before' WHEN created_at < ? THEN 'during'"
        " ELSE 'after' END, COUNT(*), AVG(CASE WHEN sentiment_label != 'unknown' THEN sentiment END),"
        " SUM(sentiment_label = 'negative'), SUM(sentiment_label = 'unknown')"
        " FROM mentions WHERE room_id = ? GROUP BY 1", [start, end, room_id],
    ).fetchall()
    for period, count, mean, negative, unknown in rows:
        read = count - int(unknown or 0)
        periods[period] = {
            "mentions": count,
            "mean_compound": round(mean, 4) if mean is not None else None,
            "negative": int(negative or 0),
            "unknown": int(unknown or 0),
            "negative_share": round((negative or 0) / read, 4) if read else None,
        }
    return periods


def _received_at(db, tables, mention_ids: list) -> dict:
    if "mentions" not in tables or not mention_ids:
        return {}
    found = {}
    ids = [i for i in mention_ids if isinstance(i, int)]
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        marks = ",".join("?" * len(part))
        for mid, received, created in db.execute(
            f"SELECT id, received_at, created_at FROM mentions WHERE id IN ({marks})", part
        ):
            found[mid] = received or created
    return found


def _roster(db, room_id, tables, cutoff: str) -> list[dict]:
    if "shift_slots" not in tables:
        return []
    signups = "shift_signups" in tables
    count_sql = (
        "(SELECT COUNT(*) FROM shift_signups g WHERE g.slot_id = s.id)" if signups else "0"
    )
    rows = db.execute(
        f"SELECT role, capacity, {count_sql} FROM shift_slots s"
        " WHERE room_id = ? AND starts_at < ? ORDER BY role", [room_id, cutoff],
    ).fetchall()
    roles: dict[str, dict] = {}
    for role, capacity, taken in rows:
        r = roles.setdefault(role, {"role": role, "slots": 0, "filled": 0, "coverage": None,
                                    "seats": 0, "signed_up": 0})
        r["slots"] += 1
        r["seats"] += capacity
        r["signed_up"] += min(taken, capacity)
        r["filled"] += int(taken >= capacity)
    for r in roles.values():
        r["coverage"] = round(r["signed_up"] / r["seats"], 4) if r["seats"] else None
    return list(roles.values())


UNDELIVERED_VIA = "log"  # escalation.paging.LogSender: written to the server log, seen by no one


def _escalation_rows(db, room_id) -> tuple[dict, list[dict]]:
    """Escalations and every page row (sent, failed, bundled, cancelled...)."""
    escalations = {}
    for eid, reason, state, opened, acked_at, acked_by, alarms in db.execute(
        "SELECT id, reason, state, opened_at, acked_at, acked_by, alarms FROM escalations"
        " WHERE room_id = ? ORDER BY id", [room_id],
    ):
        escalations[eid] = {
            "id": eid, "reason": reason, "state": state, "opened_at": opened,
            "acknowledged_at": acked_at, "acknowledged_by": acked_by,
            "seconds_to_ack": _seconds(opened, acked_at) if acked_at else None,
            "updates": max(0, (alarms or 1) - 1),
        }
    pages = []
    # a bundled page went out inside another page's message: it was sent then
    for pid, eid, target, recipient, state, due, sent, attempts, error, via in db.execute(
        "SELECT p.id, p.escalation_id, p.target, p.recipient, p.state, p.due_at,"
        " COALESCE(p.sent_at, c.sent_at), p.attempts, p.last_error, COALESCE(p.via, c.via) FROM pages p"
        " LEFT JOIN pages c ON c.id = p.bundled_into WHERE p.room_id = ? ORDER BY p.id", [room_id],
    ):
        if via == UNDELIVERED_VIA and state in ("sent", "bundled"):
            state = "not delivered"
        pages.append({
            "id": pid, "escalation_id": eid, "target": target, "recipient": recipient,
            "status": state, "due_at": due, "sent_at": sent, "attempts": attempts,
            "error": error if state == "failed" else None,
            "acknowledged_at": None, "seconds_to_ack": None,
        })
    return escalations, pages


# -- the fold ------------------------------------------------------------------------


def build_report(
    db: Database, room_id: int, now: datetime, progress: Progress | None = None
) -> dict | None:
    """The whole report for a room as a JSON-ready dict, or None if no such room."""
    say = progress or (lambda _msg: None)
    room = _room_row(db, room_id)
    if room is None:
        return None
    tables = set(db.table_names())
    generated_at = iso(now)
    end_of_life = room["closed_at"] or generated_at
    playbook, target = _playbook(db, room)

    say("reading the timeline")
    timeline = events.timeline(db, room_id)
    say(f"folding {len(timeline)} events")

    spikes: list[str] = []
    published_at: dict = {}  # mention id -> first publication time
    drafts: set = set()
    drafts_without_id = 0
    submitted = approvals = published = 0
    rejections, overrides, notes = [], [], []
    escalations: dict = {}
    pages: list[dict] = []
    current_escalation = None
    retries = breaches = 0
    deliveries: list[dict] = []  # where each reply landed on its platform (or why it did not)
    for e in timeline:
        d, kind = e.data, e.kind
        if kind == "spike.detected":
            spikes.append(_norm_ts(_first(d, "minute", "ts", "at"), e.ts))
        elif kind == "draft.saved":
            draft = _first(d, "draft_id", "draft", "id")
            if draft is None:
                drafts_without_id += 1
            else:
                drafts.add(draft)
        elif kind == "draft.submitted":
            submitted += 1
        elif kind == "draft.approved":
            approvals += 1
        elif kind == "draft.rejected":
            rejections.append({"draft_id": _first(d, "draft_id", "draft", "id"), "at": e.ts,
                               "by": e.actor, "reason": _first(d, "reason", "note", "comment")})
        elif kind == "lint.overridden":
            rules = _first(d, "rules", "rule_ids", "findings", "rule") or []
            if isinstance(rules, str):
                rules = [rules]
            rules = [r.get("rule", str(r)) if isinstance(r, dict) else str(r) for r in rules]
            overrides.append({"draft_id": _first(d, "draft_id", "draft", "id"), "at": e.ts,
                              "by": e.actor, "rules": rules, "reason": _first(d, "reason", "note")})
        elif kind in ("response.delivered", "response.posted_by_hand", "response.delivery_failed"):
            deliveries.append({"response_id": d.get("response_id"), "platform": d.get("platform"),
                               "state": {"response.delivered": "posted", "response.posted_by_hand": "posted_by_hand",
                                         "response.delivery_failed": "failed"}[kind],
                               "url": d.get("url"), "at": e.ts, "by": e.actor})
        elif kind == "response.published":
            published += 1
            for mid in _ids(d, ("mention_id", "mention"), ("mention_ids", "mentions")):
                published_at.setdefault(mid, e.ts)
        elif kind == "roster.handover_note":
            notes.append({"at": e.ts, "by": _first(d, "user", "author") or e.actor,
                          "slot_id": d.get("slot_id"), "role": d.get("role"),
                          "note": _first(d, "note", "text") or "",
                          "open_items": [str(x) for x in d.get("open_items") or []],
                          "promises": [str(x) for x in d.get("promises") or []]})
        elif kind in ("escalation.opened", "escalation.updated", "escalation.acknowledged"):
            eid = _first(d, "escalation_id", "escalation", "id") or current_escalation
            esc = escalations.setdefault(eid, {
                "id": eid, "reason": d.get("reason"), "state": "open", "opened_at": e.ts,
                "acknowledged_at": None, "acknowledged_by": None, "seconds_to_ack": None,
                "updates": 0})
            if kind == "escalation.opened":
                current_escalation = eid
            elif kind == "escalation.updated":
                esc["updates"] += 1
            elif esc["acknowledged_at"] is None:
                esc["state"] = "acknowledged"
                esc["acknowledged_at"] = e.ts
                esc["acknowledged_by"] = _first(d, "user", "by") or e.actor
                esc["seconds_to_ack"] = _seconds(esc["opened_at"], e.ts)
        elif kind == "response.clock_breached":
            breaches += int(d.get("count") or len(d.get("mention_ids") or []) or 1)
        elif kind == "page.retrying":
            retries += 1
        elif kind in ("page.sent", "page.failed"):
            sent = kind == "page.sent"
            pages.append({
                "id": _first(d, "page_id", "page", "id"),
                "escalation_id": _first(d, "escalation_id", "escalation") or current_escalation,
                "target": _first(d, "target", "to", "channel"),
                "recipient": _first(d, "recipient", "user"),
                "status": ("not delivered" if d.get("via") == UNDELIVERED_VIA else "sent") if sent else "failed",
                "due_at": e.ts,
                "sent_at": e.ts if sent else None, "attempts": d.get("attempts"),
                "error": None if sent else d.get("error"),
                "acknowledged_at": None, "seconds_to_ack": None,
            })
    if {"escalations", "pages"} <= tables:  # the rows hold every page, also cancelled ones
        escalations, pages = _escalation_rows(db, room_id)
    for page in pages:
        esc = escalations.get(page["escalation_id"])
        if page["sent_at"] and esc and esc["acknowledged_at"]:
            page["acknowledged_at"] = esc["acknowledged_at"]
            page["seconds_to_ack"] = max(0.0, _seconds(page["sent_at"], esc["acknowledged_at"]))

    say("reading mentions")
    minutes = _minutes(db, room_id, tables)
    total = (db.execute("SELECT COUNT(*) FROM mentions WHERE room_id = ?", [room_id]).fetchone()[0]
             if "mentions" in tables else 0)
    peak = max(minutes, key=lambda m: m["count"], default=None)  # max keeps the first of ties
    if spikes:
        storm_start = min(spikes)
        storm_end = min(iso(parse_iso(max(spikes)) + STORM_TAIL), end_of_life)
    else:
        first, last = (db.execute("SELECT MIN(created_at), MAX(created_at) FROM mentions WHERE room_id = ?",
                                  [room_id]).fetchone() if "mentions" in tables else (None, None))
        if first:
            storm_start, storm_end = first, iso(parse_iso(last) + timedelta(minutes=1))
        else:
            storm_start, storm_end = room["opened_at"], end_of_life
    sentiment = _sentiment(db, room_id, tables, storm_start, storm_end)

    say("measuring replies")
    received = _received_at(db, tables, list(published_at))
    replies = []
    for mid, at in published_at.items():
        if mid in received:
            replies.append({"mention_id": mid, "received_at": received[mid], "replied_at": at,
                            "seconds": max(0.0, _seconds(received[mid], at))})
    replies.sort(key=lambda r: r["mention_id"])
    secs = [r["seconds"] for r in replies]
    within = sum(1 for s in secs if target is not None and s <= target * 60)

    latest = lessons(db, room_id)
    versions = db.execute(
        "SELECT COUNT(*) FROM postmortem_lessons WHERE room_id = ?", [room_id]).fetchone()[0]
    say("assembling")
    return {
        "schema": SCHEMA_ID,
        "generated_at": generated_at,
        "room": {k: room[k] for k in ("id", "title", "description", "status", "is_drill", "owner")},
        "summary": {
            "playbook": playbook,
            "opened_at": room["opened_at"],
            "closed_at": room["closed_at"],
            "duration_seconds": max(0.0, _seconds(room["opened_at"], end_of_life)),
            "total_mentions": total,
            "peak": {"minute": peak["minute"] if peak else None,
                     "mentions_per_minute": peak["count"] if peak else 0},
            "spikes": len(spikes),
            "storm_start": storm_start,
            "storm_end": storm_end,
            "sentiment": sentiment,
        },
        "responses": {
            "first_response_minutes": target,
            "replied_mentions": len(replies),
            "median_seconds": median(secs),
            "p90_seconds": percentile(secs, 90),
            "within_target": within if target is not None else None,
            "share_within_target": round(within / len(secs), 4) if secs and target is not None
            else None,
            "drafts": len(drafts) + drafts_without_id,
            "submitted": submitted,
            "approvals": approvals,
            "rejections": rejections,
            "lint_overrides": overrides,
            "published": published,
            "clock_breaches": breaches,
            "replies": replies,
            "histogram": reply_histogram(secs),
            "deliveries": deliveries,
        },
        "escalation": {
            "escalations": list(escalations.values()),
            "pages": pages,
            "pages_sent": sum(p["sent_at"] is not None and p["status"] != "not delivered" for p in pages),
            "pages_failed": sum(p["status"] == "failed" for p in pages),
            "pages_undelivered": sum(p["status"] == "not delivered" for p in pages),
            "retries": retries,
        },
        "roster": {
            "roles": _roster(db, room_id, tables, end_of_life),
            "handover_notes": notes,
        },
        "volume": {"minutes": minutes, "spike_minutes": sorted(set(spikes))},
        "timeline": [{"id": e.id, "ts": e.ts, "kind": e.kind, "actor": e.actor, "data": e.data}
                     for e in timeline],
        "lessons": dict(latest.to_dict(), versions=versions) if latest else None,
        # checklist done/late/skipped and missed updates (defined in runbook.report)
        "runbook": runbook.summary(db, room_id, now) if "checklist_ticks" in tables else None,
        # the largest near-duplicate campaigns (listening.clusters.campaigns); absent when there were none
        **({"campaigns": found} if (found := clusters.campaigns(db, room_id)
                                    if "mention_clusters" in tables else []) else {}),
    }
