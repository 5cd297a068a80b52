"""Escalations: a room's alarm turned into steps of pages that climb until
someone acknowledges.

An escalation snapshots its policy when it opens: the playbook's
``[[escalation]]`` steps and ``escalation_repeat``, or, for a monitoring room
or a room without a playbook (or without steps), the on-call rotation alone.
At most one escalation per room is open; a second alarm while it is open
updates it (``escalation.updated``) and pages nobody again.

Steps are issued by the scheduler's tick (``issue_due_steps``), which is when
their targets are resolved (who is on shift *then*), into one ``pages`` row
per recipient. Sending, retries, throttling and crash recovery live in
``escalation.paging``. ``after_minutes`` counts from the start of the cycle; a
new cycle (``escalation_repeat`` of them after the first) starts one "last
gap" after the last step (the gap between the last two steps, or
``REPEAT_GAP`` for a single-step policy).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import accounts, events, playbooks, rooms, roster
from ..accounts import User
from ..clock import iso, parse_iso
from ..db import Database, transaction

REPEAT_GAP = timedelta(minutes=10)
ON_CALL_POLICY_REPEAT = 2
OPEN_STATES = ("open",)


class EscalationError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PolicyStep:
    after_minutes: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    steps: tuple[PolicyStep, ...]
    repeat: int
    source: str  # "playbook:<id>@<version>" or "on-call"

    def to_json(self) -> str:
        return json.dumps({
            "steps": [{"after_minutes": s.after_minutes, "notify": list(s.notify)} for s in self.steps],
            "repeat": self.repeat, "source": self.source,
        })

    @classmethod
    def from_json(cls, text: str) -> Policy:
        data = json.loads(text)
        steps = tuple(PolicyStep(int(s["after_minutes"]), tuple(s["notify"])) for s in data["steps"])
        return cls(steps, int(data["repeat"]), data.get("source", ""))


ON_CALL_POLICY = Policy((PolicyStep(0, ("on-call",)),), ON_CALL_POLICY_REPEAT, "on-call")


@dataclass(frozen=True)
class Escalation:
    id: int
    room_id: int
    reason: str
    detail: dict
    state: str
    policy: Policy
    opened_by: str | None
    opened_at: str
    updated_at: str
    alarms: int
    next_cycle: int
    next_step: int
    next_at: str | None
    cycle_started_at: str
    acked_by: str | None
    acked_at: str | None

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["policy"] = json.loads(self.policy.to_json())
        return out


_COLS = (
    "id, room_id, reason, detail, state, policy, opened_by, opened_at, updated_at, alarms,"
    " next_cycle, next_step, next_at, cycle_started_at, acked_by, acked_at"
)


def _escalation(row) -> Escalation | None:
    if row is None:
        return None
    v = list(row)
    v[3] = json.loads(v[3])
    v[5] = Policy.from_json(v[5])
    return Escalation(*v)


def get(db: Database, escalation_id: int) -> Escalation | None:
    return _escalation(db.execute(f"SELECT {_COLS} FROM escalations WHERE id = ?", [escalation_id]).fetchone())


def open_for_room(db: Database, room_id: int) -> Escalation | None:
    row = db.execute(
        f"SELECT {_COLS} FROM escalations WHERE room_id = ? AND state = 'open' ORDER BY id DESC LIMIT 1",
        [room_id],
    ).fetchone()
    return _escalation(row)


def for_room(db: Database, room_id: int, limit: int = 20) -> list[Escalation]:
    rows = db.execute(
        f"SELECT {_COLS} FROM escalations WHERE room_id = ? ORDER BY id DESC LIMIT ?", [room_id, limit]
    ).fetchall()
    return [_escalation(r) for r in rows]


def all_open(db: Database) -> list[Escalation]:
    rows = db.execute(f"SELECT {_COLS} FROM escalations WHERE state = 'open' ORDER BY id").fetchall()
    return [_escalation(r) for r in rows]


# -- pure decisions -----------------------------------------------------------


def policy_for(room: rooms.Room, playbook: playbooks.Playbook | None) -> Policy:
    """The room's policy: its playbook's steps, else the on-call rotation."""
    if room.status == "monitoring" or playbook is None or not playbook.escalation:
        return ON_CALL_POLICY
    steps = tuple(PolicyStep(int(s.after_minutes), tuple(s.notify)) for s in playbook.escalation)
    steps = tuple(sorted(steps, key=lambda s: s.after_minutes))
    return Policy(steps, int(playbook.escalation_repeat),
                  f"playbook:{playbook.id}@{playbook.version}")


def cycle_length(policy: Policy) -> timedelta:
    last = policy.steps[-1].after_minutes
    gap = timedelta(minutes=last - policy.steps[-2].after_minutes) if len(policy.steps) > 1 else REPEAT_GAP
    if gap <= timedelta(0):
        gap = REPEAT_GAP
    return timedelta(minutes=last) + gap


def following(policy: Policy, cycle: int, step: int, cycle_start: datetime):
    """The step after (cycle, step): (cycle, step, cycle_start, due_at), or None when done."""
    if step + 1 < len(policy.steps):
        nxt = policy.steps[step + 1]
        return cycle, step + 1, cycle_start, cycle_start + timedelta(minutes=nxt.after_minutes)
    if cycle < policy.repeat:
        start = cycle_start + cycle_length(policy)
        return cycle + 1, 0, start, start + timedelta(minutes=policy.steps[0].after_minutes)
    return None


def next_step(policy: Policy, escalation: Escalation, now: datetime) -> tuple[int, int] | None:
    """(cycle, step) to issue at ``now``, or None (acknowledged, done, or not yet due)."""
    if escalation.state != "open" or escalation.next_at is None:
        return None
    if parse_iso(escalation.next_at) > now:
        return None
    return escalation.next_cycle, escalation.next_step


# -- opening, updating, acknowledging ------------------------------------------


# When an escalation names its first targets (``notify_first``), the room's
# own policy follows this long after, in case nobody named answers.
FIRST_TARGETS_GRACE = timedelta(minutes=10)


def with_first_targets(policy: Policy, notify: tuple[str, ...]) -> Policy:
    """``notify`` paged at once, then the room's policy shifted by the grace period."""
    grace = int(FIRST_TARGETS_GRACE.total_seconds() // 60)
    rest = tuple(PolicyStep(s.after_minutes + grace, s.notify) for s in policy.steps)
    return Policy((PolicyStep(0, tuple(notify)), *rest), policy.repeat, f"{policy.source}+first")


def open_escalation(
    db: Database, now: datetime, room_id: int, reason: str, detail: dict, actor: str | None,
    notify_first: tuple[str, ...] = (),
) -> Escalation:
    """Open the room's escalation, or update the open one (which pages nobody again).

    Joins the caller's transaction (``transaction`` nests), so a spike and
    its escalation commit together. ``notify_first`` (targets such as
    ``user:NAME``) are paged at once, before the room's policy: an overdue
    approval pages the approvers on shift first.
    """
    if not reason or not isinstance(reason, str):
        raise EscalationError("reason", "an escalation needs a reason")
    detail = dict(detail or {})
    with transaction(db):
        room = rooms.require_open(db, room_id)
        current = open_for_room(db, room_id)
        if current is not None:
            db.execute(
                "UPDATE escalations SET detail = ?, updated_at = ?, alarms = alarms + 1 WHERE id = ?",
                [json.dumps(detail), iso(now), current.id],
            )
            events.append(db, room_id, "escalation.updated", actor, {
                "escalation": current.id, "reason": reason, "detail": detail,
                "alarms": current.alarms + 1,
            }, now)
            return get(db, current.id)
        policy = policy_for(room, playbooks.room_playbook(db, room_id))
        if notify_first:
            policy = with_first_targets(policy, tuple(notify_first))
        first_due = now + timedelta(minutes=policy.steps[0].after_minutes)
        cur = db.execute(
            "INSERT INTO escalations (room_id, reason, detail, state, policy, opened_by, opened_at,"
            " updated_at, next_cycle, next_step, next_at, cycle_started_at)"
            " VALUES (?, ?, ?, 'open', ?, ?, ?, ?, 0, 0, ?, ?)",
            [room_id, reason, json.dumps(detail), policy.to_json(), actor, iso(now), iso(now),
             iso(first_due), iso(now)],
        )
        events.append(db, room_id, "escalation.opened", actor, {
            "escalation": cur.lastrowid, "reason": reason, "detail": detail,
            "policy": policy.source, "steps": len(policy.steps), "repeat": policy.repeat,
        }, now)
        return get(db, cur.lastrowid)


def advance_now(db: Database, now: datetime, escalation_id: int, actor: str | None, why: str) -> Escalation:
    """Bring the next step forward to ``now`` (later steps keep their spacing)."""
    with transaction(db):
        esc = get(db, escalation_id)
        if esc is None or esc.state != "open" or esc.next_at is None:
            return esc
        ahead = parse_iso(esc.next_at) - now
        if ahead > timedelta(0):
            start = parse_iso(esc.cycle_started_at) - ahead
            db.execute(
                "UPDATE escalations SET next_at = ?, cycle_started_at = ?, updated_at = ? WHERE id = ?",
                [iso(now), iso(start), iso(now), esc.id],
            )
            events.append(db, esc.room_id, "escalation.advanced", actor, {
                "escalation": esc.id, "why": why, "step": esc.next_step, "cycle": esc.next_cycle,
            }, now)
        return get(db, esc.id)


def manual_page(db: Database, now: datetime, room_id: int, user: User, note: str = "") -> Escalation:
    """A lead's "page now": opens an escalation, or climbs the open one at once."""
    if not accounts.has_role(user, "lead"):
        raise EscalationError("role", "paging needs the lead role")
    note = (note or "").strip()[:500]
    with transaction(db):
        rooms.require_open(db, room_id)
        current = open_for_room(db, room_id)
        if current is None:
            return open_escalation(db, now, room_id, "manual", {"note": note}, user.name)
        return advance_now(db, now, current.id, user.name, note or "manual page")


def acknowledge(db: Database, now: datetime, escalation_id: int, user: User) -> Escalation:
    """Stop the climb: cancel what is not sent yet, and queue telling everyone paged."""
    with transaction(db):
        esc = get(db, escalation_id)
        if esc is None:
            raise EscalationError("escalation", f"no escalation {escalation_id}")
        rooms.require_open(db, esc.room_id)
        if esc.state == "acknowledged":
            raise EscalationError("escalation", f"already acknowledged by {esc.acked_by}")
        if user is None or user.disabled:
            raise EscalationError("user", "unknown or disabled user")
        db.execute(
            "UPDATE escalations SET state = 'acknowledged', acked_by = ?, acked_at = ?, updated_at = ?,"
            " next_at = NULL WHERE id = ?",
            [user.name, iso(now), iso(now), esc.id],
        )
        mine = "SELECT id FROM pages WHERE escalation_id = ?"
        # Pages of other escalations bundled into a carrier we cancel go back to due.
        db.execute(
            f"UPDATE pages SET state = 'due', bundled_into = NULL WHERE state = 'bundled'"
            f" AND escalation_id != ? AND bundled_into IN ({mine} AND state IN ('due', 'held'))",
            [esc.id, esc.id],
        )
        cancelled = db.execute(
            "UPDATE pages SET state = 'cancelled' WHERE escalation_id = ?"
            " AND state IN ('due', 'held', 'bundled')", [esc.id],
        ).rowcount
        db.execute(
            "UPDATE pages SET loop_state = 'pending' WHERE escalation_id = ? AND state = 'sent'"
            " AND slack_ts IS NOT NULL AND bundled_into IS NULL", [esc.id],
        )
        # every method not used yet stops; those that reached someone hear who took it
        cancelled += db.execute(
            "UPDATE page_deliveries SET state = 'cancelled' WHERE escalation_id = ? AND state = 'due'", [esc.id],
        ).rowcount
        db.execute("UPDATE page_deliveries SET loop_state = 'pending' WHERE escalation_id = ? AND state = 'sent'",
                   [esc.id])
        paged = [r[0] for r in db.execute(
            "SELECT DISTINCT recipient FROM pages WHERE escalation_id = ? AND state IN ('sent', 'sending')"
            " ORDER BY recipient", [esc.id],
        )]
        seconds = int((now - parse_iso(esc.opened_at)).total_seconds())
        events.append(db, esc.room_id, "escalation.acknowledged", user.name, {
            "escalation": esc.id, "by": user.name, "seconds_to_ack": seconds,
            "paged": paged, "cancelled": cancelled,
        }, now)
        return get(db, esc.id)


# -- issuing steps (the tick's first phase) -------------------------------------


def resolve_target(db: Database, room: rooms.Room, spec: str, now: datetime, on_call) -> list[tuple[str, str | None]]:
    """(recipient, slack destination) pairs for one notify target, resolved now.

    ``on_call(db, now) -> User | None`` comes from the adapter (it reads the
    rotation from the settings).
    """
    def user_pair(u: User | None):
        return [] if u is None or u.disabled else [(f"user:{u.name}", u.slack_id)]

    spec = spec.strip()
    if spec.startswith("role:"):
        users = roster.who_is_on(db, room.id, spec[5:], now)
        return [p for u in users for p in user_pair(u)]
    if spec == "room-owner":
        return user_pair(accounts.get_user(db, room.owner_id) if room.owner_id else None)
    if spec.startswith("user:"):
        return user_pair(accounts.find_user(db, spec[5:]))
    if spec.startswith("channel:"):
        name = spec[8:]
        return [(f"channel:{name}", name)]
    if spec == "on-call":
        return user_pair(on_call(db, now) if on_call else None)
    return []


def _stop(db: Database, now: datetime, esc: Escalation, why: str) -> None:
    """No more climbing ('exhausted': nobody acknowledged, nothing left to do)."""
    db.execute("UPDATE escalations SET state = 'exhausted', next_at = NULL, updated_at = ? WHERE id = ?",
               [iso(now), esc.id])
    db.execute("UPDATE pages SET state = 'cancelled' WHERE escalation_id = ? AND state IN ('due', 'held')",
               [esc.id])
    events.append(db, esc.room_id, "escalation.stopped", None, {"escalation": esc.id, "why": why}, now)


def issue_due_steps(db: Database, now: datetime, on_call=None) -> list[int]:
    """Turn every due step into page rows, one per recipient; returns page ids.

    A target that resolves to nobody falls back to the on-call person; if
    there is nobody either, a ``failed`` row records it (``page.failed``), and
    a step that reaches nobody at all moves the climb on at once.
    """
    created: list[int] = []
    closed = db.execute(
        "SELECT e.id FROM escalations e JOIN rooms r ON r.id = e.room_id"
        " WHERE e.state = 'open' AND r.status = 'closed'"
    ).fetchall()
    for (esc_id,) in closed:
        with transaction(db):
            esc = get(db, esc_id)
            if esc.state == "open":
                _stop(db, now, esc, "the room was closed")
    for esc in all_open(db):
        if next_step(esc.policy, esc, now) is None:
            continue
        with transaction(db):
            esc = get(db, esc.id)  # re-read under the write lock: another tick may have issued it
            if esc is None or next_step(esc.policy, esc, now) is None:
                continue
            room = rooms.get_room(db, esc.room_id)
            step = esc.policy.steps[esc.next_step]
            rows: list[tuple[str, str, str | None]] = []
            for spec in step.notify:
                found = resolve_target(db, room, spec, now, on_call)
                if not found and spec != "on-call":
                    found = resolve_target(db, room, "on-call", now, on_call)
                if found:
                    rows.extend((spec, rcpt, dest) for rcpt, dest in found)
                else:
                    rows.append((spec, "nobody", None))
            seen = set()
            reached = 0
            for spec, rcpt, dest in rows:
                if rcpt != "nobody" and rcpt in seen:
                    continue
                seen.add(rcpt)
                state = "failed" if rcpt == "nobody" else "due"
                cur = db.execute(
                    "INSERT INTO pages (escalation_id, room_id, cycle, step, target, recipient, slack_dest,"
                    " state, due_at, send_key, last_error, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    [esc.id, esc.room_id, esc.next_cycle, esc.next_step, spec, rcpt, dest, state, iso(now),
                     uuid.uuid4().hex, "nobody to page" if state == "failed" else None, iso(now)],
                )
                if state == "failed":
                    events.append(db, esc.room_id, "page.failed", None, {
                        "page": cur.lastrowid, "escalation": esc.id, "target": spec,
                        "recipient": rcpt, "error": f"nobody to page for {spec}", "attempts": 0,
                    }, now)
                else:
                    reached += 1
                    created.append(cur.lastrowid)
            nxt = following(esc.policy, esc.next_cycle, esc.next_step, parse_iso(esc.cycle_started_at))
            if nxt is None:
                db.execute("UPDATE escalations SET next_at = NULL, updated_at = ? WHERE id = ?", [iso(now), esc.id])
            else:
                cycle, index, start, due = nxt
                if reached == 0 and due > now:  # nobody reached: climb at once
                    start, due = start - (due - now), now
                db.execute(
                    "UPDATE escalations SET next_cycle = ?, next_step = ?, next_at = ?, cycle_started_at = ?,"
                    " updated_at = ? WHERE id = ?",
                    [cycle, index, iso(due), iso(start), iso(now), esc.id],
                )
            events.append(db, esc.room_id, "escalation.step", None, {
                "escalation": esc.id, "cycle": esc.next_cycle, "step": esc.next_step,
                "targets": list(step.notify), "recipients": sorted(r for r in seen if r != "nobody"),
            }, now)
    return created
