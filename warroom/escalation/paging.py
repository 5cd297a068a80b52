"""Sending pages: atomic claims, retries with back-off, the per-person
throttle, crash recovery and closing the loop after an acknowledgement.

The guarantee (exactly once, as far as Slack lets anyone observe it):

1. A ``due`` page is claimed by exactly one claimer: a short ``BEGIN
   IMMEDIATE`` transaction runs ``UPDATE pages SET state='sending',
   claim_token=? ... WHERE id=? AND state IN ('due','held')`` and keeps the
   page only if the row count is 1. Two ticks, threads or processes on one
   database cannot both win. No transaction is held across the network call.
2. The message carries the page's unique ``send_key`` in its Slack message
   metadata. Once Slack answers ``ok`` the outcome is recorded (``sent``,
   channel and ts) in a second short transaction.
3. A claimer that dies between 1 and 2 leaves the row in ``sending``. Such a
   row is taken over (again by a conditional UPDATE on the old token) when
   its claimer is known dead: same host and its pid is gone, or the claim is
   older than ``stale_seconds`` (claimers on other hosts). The new owner
   first asks Slack whether the message exists (``conversations.history``
   with metadata, since the claim time): if it does, the page is recorded as
   sent without sending; if not, it is sent.

So no due page is ever lost, and a page is sent twice only if Slack
accepted a message that its history does not show yet at recovery time, or
if a live claimer on another host spends longer than ``stale_seconds`` in one
send (keep it above the client's timeout times its retries). Without Slack
(the log sender) there is nothing to look up, so recovery resends: at least
once. Closing the loop (``chat.update`` after an ack) is at most once per
message: harmless to lose, never duplicated.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import events, notifications, rooms
from ..clock import iso, parse_iso
from ..db import Database, transaction
from . import deliveries
from .policy import advance_now, get

log = logging.getLogger(__name__)
THROTTLE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class PagingConfig:
    max_tries: int = 3
    backoff_seconds: float = 5.0
    throttle_per_15min: int = 3
    stale_seconds: float = 120.0


@dataclass(frozen=True)
class PageMessage:
    """What a sender needs to send one page (a carrier also lists its bundle)."""
    page_id: int
    send_key: str
    dest: str | None
    recipient: str
    room_id: int
    room_title: str
    escalation_id: int
    reason: str
    detail: dict
    step: int
    cycle: int
    attempts: int
    claimed_at: str
    bundled: tuple[dict, ...] = ()


class SendError(notifications.SendFailed):
    """A failed try of a Slack page (one kind of a contact method's failed try)."""


@dataclass
class TickResult:
    issued: int = 0
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    updated: int = 0
    # deliveries (pages to people with notification rules)
    delivered: list[int] = field(default_factory=list)
    failed_deliveries: list[int] = field(default_factory=list)
    retrying_deliveries: list[int] = field(default_factory=list)
    recovered_deliveries: list[int] = field(default_factory=list)


def new_claim_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claimer_alive(token: str | None, stale: bool) -> bool:
    """Whether the claimer of a ``sending`` row may still be at work."""
    if not token:
        return False
    try:
        host, pid, _ = token.split(":", 2)
        pid_n = int(pid)
    except ValueError:
        return not stale
    if host == socket.gethostname():
        if pid_n == os.getpid():
            # this process: its own tokens are at work; any other token with
            # our pid belonged to an earlier process that had the same pid
            return token in _LIVE_TOKENS
        try:
            os.kill(pid_n, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    # alive (or on another host): only a claim older than stale_seconds is taken over
    return not stale


_LIVE_TOKENS: set[str] = set()


# -- claiming ----------------------------------------------------------------


def _messages_in_window(db: Database, recipient: str, now: datetime) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM pages WHERE recipient = ? AND bundled_into IS NULL"
        " AND state IN ('sending', 'sent') AND claimed_at > ?",
        [recipient, iso(now - THROTTLE_WINDOW)],
    ).fetchone()[0]


def plan_throttle(pending: list[int], used: int, limit: int) -> tuple[list[int], int | None, list[int], list[int]]:
    """Pure: (send alone, bundle carrier, bundled into it, hold) for one person's pending pages.

    At most ``limit`` messages per window: what does not fit alone goes out
    as one bundle in the last free message; with no free message, it waits.
    """
    free = limit - used
    if limit <= 0:
        return list(pending), None, [], []
    if free <= 0:
        return [], None, [], list(pending)
    if len(pending) <= free:
        return list(pending), None, [], []
    alone = pending[: free - 1]
    rest = pending[free - 1:]
    return alone, rest[0], rest[1:], []


def claim_due(db: Database, now: datetime, token: str, cfg: PagingConfig) -> list[int]:
    """Claim every due page this tick may send; returns the claimed page ids."""
    claimed: list[int] = []
    with transaction(db):
        rows = db.execute(
            "SELECT p.id, p.recipient FROM pages p JOIN escalations e ON e.id = p.escalation_id"
            " WHERE p.state IN ('due', 'held') AND p.due_at <= ? AND e.state = 'open' ORDER BY p.id",
            [iso(now)],
        ).fetchall()
        by_person: dict[str, list[int]] = {}
        for page_id, recipient in rows:
            by_person.setdefault(recipient, []).append(page_id)
        for recipient, pending in by_person.items():
            limit = cfg.throttle_per_15min if recipient.startswith("user:") else 0
            used = _messages_in_window(db, recipient, now) if limit else 0
            alone, carrier, members, hold = plan_throttle(pending, used, limit)
            for page_id in hold:
                db.execute("UPDATE pages SET state = 'held' WHERE id = ? AND state = 'due'", [page_id])
            for page_id in alone + ([carrier] if carrier else []):
                cur = db.execute(
                    "UPDATE pages SET state = 'sending', claim_token = ?, claimed_at = ?, attempts = attempts + 1"
                    " WHERE id = ? AND state IN ('due', 'held')",
                    [token, iso(now), page_id],
                )
                if cur.rowcount == 1:
                    claimed.append(page_id)
            for page_id in members:
                db.execute(
                    "UPDATE pages SET state = 'bundled', bundled_into = ? WHERE id = ? AND state IN ('due', 'held')",
                    [carrier, page_id],
                )
    return claimed


def message_for(db: Database, page_id: int) -> PageMessage:
    row = db.execute(
        "SELECT id, send_key, slack_dest, recipient, room_id, escalation_id, step, cycle, attempts, claimed_at"
        " FROM pages WHERE id = ?", [page_id],
    ).fetchone()
    esc = get(db, row[5])
    room = rooms.get_room(db, row[4])
    bundled = tuple(
        {"page": r[0], "room": r[1], "room_title": r[2], "escalation": r[3], "reason": r[4]}
        for r in db.execute(
            "SELECT p.id, p.room_id, r.title, p.escalation_id, e.reason FROM pages p"
            " JOIN rooms r ON r.id = p.room_id JOIN escalations e ON e.id = p.escalation_id"
            # 'sent' too: a carrier's deliveries go out after the carrier is recorded
            " WHERE p.bundled_into = ? AND p.state IN ('bundled', 'sent') ORDER BY p.id", [page_id],
        )
    )
    return PageMessage(
        page_id=row[0], send_key=row[1], dest=row[2], recipient=row[3], room_id=row[4],
        room_title=room.title if room else "", escalation_id=row[5], reason=esc.reason,
        detail=esc.detail, step=row[6], cycle=row[7], attempts=row[8], claimed_at=row[9], bundled=bundled,
    )


# -- recording outcomes ----------------------------------------------------------


def record_sent(db: Database, now: datetime, page_id: int, token: str, via: str,
                channel: str | None, ts: str | None, recovered: bool = False) -> bool:
    with transaction(db):
        cur = db.execute(
            "UPDATE pages SET state = 'sent', sent_at = ?, via = ?, slack_channel = ?, slack_ts = ?,"
            " last_error = NULL WHERE id = ? AND state = 'sending' AND claim_token = ?",
            [iso(now), via, channel, ts, page_id, token],
        )
        if cur.rowcount != 1:
            return False
        members = db.execute(
            "UPDATE pages SET state = 'sent', sent_at = ?, via = ?, slack_channel = ?, slack_ts = ?"
            " WHERE bundled_into = ? AND state = 'bundled'", [iso(now), via, channel, ts, page_id],
        ).rowcount
        row = db.execute(
            "SELECT p.escalation_id, p.room_id, p.recipient, p.target, p.attempts, e.state"
            " FROM pages p JOIN escalations e ON e.id = p.escalation_id WHERE p.id = ?", [page_id],
        ).fetchone()
        if row[5] == "acknowledged" and ts:  # acked while we were sending: tell this one too
            db.execute("UPDATE pages SET loop_state = 'pending' WHERE id = ?", [page_id])
        events.append(db, row[1], "page.sent", None, {
            "page": page_id, "escalation": row[0], "recipient": row[2], "target": row[3],
            "attempts": row[4], "via": via, "bundled": members, "recovered": recovered,
        }, now)
        return True


def record_failure(db: Database, now: datetime, page_id: int, token: str, error: str,
                   cfg: PagingConfig, permanent: bool = False) -> str:
    """Back off and retry, or after ``max_tries`` fail the page and climb at once."""
    with transaction(db):
        row = db.execute(
            "SELECT escalation_id, room_id, recipient, target, attempts FROM pages"
            " WHERE id = ? AND state = 'sending' AND claim_token = ?", [page_id, token],
        ).fetchone()
        if row is None:
            return "lost"
        esc_id, room_id, recipient, target, attempts = row
        if attempts < cfg.max_tries and not permanent:
            delay = timedelta(seconds=cfg.backoff_seconds * (2 ** (attempts - 1)))
            db.execute(
                "UPDATE pages SET state = 'due', due_at = ?, claim_token = NULL, last_error = ? WHERE id = ?",
                [iso(now + delay), error[:500], page_id],
            )
            events.append(db, room_id, "page.retrying", None, {
                "page": page_id, "escalation": esc_id, "recipient": recipient, "attempts": attempts,
                "error": error[:200], "retry_at": iso(now + delay),
            }, now)
            return "retrying"
        db.execute(
            "UPDATE pages SET state = 'failed', last_error = ? WHERE id = ?", [error[:500], page_id]
        )
        db.execute("UPDATE pages SET state = 'failed', last_error = ? WHERE bundled_into = ? AND state = 'bundled'",
                   [error[:500], page_id])
        events.append(db, room_id, "page.failed", None, {
            "page": page_id, "escalation": esc_id, "recipient": recipient, "target": target,
            "attempts": attempts, "error": error[:200],
        }, now)
        advance_now(db, now, esc_id, None, f"page to {recipient} failed")
        return "failed"


def _expand(db: Database, now: datetime, page_id: int, token: str, rules: list, recovered: bool = False) -> bool:
    """A page to someone with rules: its deliveries and ``sent`` in one transaction, no network call."""
    with transaction(db):
        if db.execute("SELECT 1 FROM pages WHERE id = ? AND state = 'sending' AND claim_token = ?",
                      [page_id, token]).fetchone() is None:
            return False
        deliveries.expand(db, now, page_id, rules)
        return record_sent(db, now, page_id, token, "rules", None, None, recovered)


def _rules_of(db: Database, page_id: int) -> list:
    recipient = db.execute("SELECT recipient FROM pages WHERE id = ?", [page_id]).fetchone()[0]
    user = notifications.user_of(db, recipient)
    return notifications.rules_for(db, user, usable_only=True) if user else []


def _send_one(db: Database, now: datetime, page_id: int, token: str, sender, cfg: PagingConfig,
              fault, result: TickResult, recovered: bool = False) -> None:
    rules = _rules_of(db, page_id)
    if rules:  # the person's own rules decide how they are reached (escalation.deliveries)
        if _expand(db, now, page_id, token, rules):
            result.sent.append(page_id)
        return
    msg = message_for(db, page_id)
    if fault:
        fault("after_claim")
    try:
        channel, ts = sender.send_page(msg)
    except SendError as exc:
        outcome = record_failure(db, now, page_id, token, str(exc), cfg, exc.permanent)
        (result.failed if outcome == "failed" else result.retrying).append(page_id)
        return
    except Exception as exc:  # an unexpected client error is a failed try, not a lost page
        log.exception("page %s: send raised", page_id)
        outcome = record_failure(db, now, page_id, token, f"{type(exc).__name__}: {exc}", cfg)
        (result.failed if outcome == "failed" else result.retrying).append(page_id)
        return
    if fault:
        fault("after_send", msg.send_key)
    if record_sent(db, now, page_id, token, sender.via, channel, ts, recovered):
        result.sent.append(page_id)


# -- recovery of pages whose claimer died ------------------------------------------


def recover_stale(db: Database, now: datetime, token: str, sender, cfg: PagingConfig, fault,
                  result: TickResult, alive=claimer_alive) -> None:
    rows = db.execute(
        "SELECT id, claim_token, claimed_at FROM pages WHERE state = 'sending'"
    ).fetchall()
    for page_id, old, claimed_at in rows:
        stale = parse_iso(claimed_at) < now - timedelta(seconds=cfg.stale_seconds)
        if old == token or alive(old, stale):
            continue
        with transaction(db):
            won = db.execute(
                "UPDATE pages SET claim_token = ? WHERE id = ? AND state = 'sending' AND claim_token = ?",
                [token, page_id, old],
            ).rowcount == 1
        if not won:
            continue
        rules = _rules_of(db, page_id)
        if rules:  # expanding sends nothing, so a dead claimer's expansion is simply redone
            result.recovered.append(page_id)
            if get(db, _escalation_of(db, page_id)).state != "open":
                _cancel_unsent(db, now, page_id, token)
            elif _expand(db, now, page_id, token, rules, recovered=True):
                result.sent.append(page_id)
            continue
        msg = message_for(db, page_id)
        try:
            found = sender.find_page(msg)
        except Exception as exc:  # cannot tell: keep the claim, look again next tick
            log.warning("page %s: recovery lookup failed: %s", page_id, exc)
            continue
        result.recovered.append(page_id)
        if found is not None:
            if record_sent(db, now, page_id, token, sender.via, found[0], found[1], recovered=True):
                result.sent.append(page_id)
        elif get(db, msg.escalation_id).state != "open":
            _cancel_unsent(db, now, page_id, token)  # acknowledged meanwhile: nobody needs it now
        else:
            _send_one(db, now, page_id, token, sender, cfg, fault, result, recovered=True)


def _escalation_of(db: Database, page_id: int) -> int:
    return db.execute("SELECT escalation_id FROM pages WHERE id = ?", [page_id]).fetchone()[0]


def _cancel_unsent(db: Database, now: datetime, page_id: int, token: str) -> None:
    with transaction(db):
        db.execute("UPDATE pages SET state = 'cancelled' WHERE id = ? AND state = 'sending' AND claim_token = ?",
                   [page_id, token])
        db.execute("UPDATE pages SET state = 'due', bundled_into = NULL WHERE bundled_into = ? AND state = 'bundled'",
                   [page_id])


# -- closing the loop -------------------------------------------------------------


def close_loop(db: Database, now: datetime, sender) -> int:
    """Tell everyone paged who took it (``chat.update`` of each page message)."""
    done = 0
    rows = db.execute(
        "SELECT p.id, p.slack_channel, p.slack_ts, e.acked_by, e.acked_at, p.room_id, r.title"
        " FROM pages p JOIN escalations e ON e.id = p.escalation_id JOIN rooms r ON r.id = p.room_id"
        " WHERE p.loop_state = 'pending'"
    ).fetchall()
    for page_id, channel, ts, by, at, room_id, title in rows:
        with transaction(db):
            won = db.execute(
                "UPDATE pages SET loop_state = 'done' WHERE id = ? AND loop_state = 'pending'", [page_id]
            ).rowcount == 1
        if not won:
            continue
        try:
            sender.acknowledged(channel, ts, room_id, title, by, at)
            done += 1
        except Exception as exc:  # at most once: a lost update is only cosmetic
            log.warning("page %s: could not update the message: %s", page_id, exc)
    return done


def tick(db: Database, now: datetime, sender, cfg: PagingConfig, token: str, on_call=None,
         fault=None, alive=claimer_alive, senders: dict | None = None, link_for=None) -> TickResult:
    """One scheduler tick: recover, issue due steps, claim, send, record, close the loop.

    ``senders`` (kind -> sender) reach people through their contact methods
    (``escalation.deliveries``); ``link_for(page_id, recipient)`` makes the
    signed ack link those messages carry.
    """
    from .policy import issue_due_steps

    _LIVE_TOKENS.add(token)
    result = TickResult()
    recover_stale(db, now, token, sender, cfg, fault, result, alive)
    result.issued = len(issue_due_steps(db, now, on_call))
    for page_id in claim_due(db, now, token, cfg):
        _send_one(db, now, page_id, token, sender, cfg, fault, result)
    result.updated = close_loop(db, now, sender)
    ctx = deliveries.Context(senders or {}, link_for, cfg, fault, alive, message_for)
    deliveries.tick(db, now, token, ctx, result)
    return result


class LogSender:
    """Without Slack: pages go to the log (and the board, as events)."""

    via = "log"

    def send_page(self, msg: PageMessage):
        extra = f" (+{len(msg.bundled)} more)" if msg.bundled else ""
        log.warning("PAGE %s: room %s %r, escalation %s (%s), step %s%s",
                    msg.recipient, msg.room_id, msg.room_title, msg.escalation_id, msg.reason, msg.step + 1, extra)
        return None, None

    def find_page(self, msg: PageMessage):
        return None

    def acknowledged(self, channel, ts, room_id, title, by, at) -> None:
        log.warning("room %s %r: acknowledged by %s", room_id, title, by)
