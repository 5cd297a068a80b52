"""Deliveries: how a page reaches a person who has notification rules.

A page to such a person is still one ``pages`` row (claimed, throttled and
bundled exactly as before, so the per-person limit counts pages, whatever
the methods). When it is claimed it is expanded, in one transaction with no
network call, into one ``page_deliveries`` row per rule, due at the page's send
time plus the rule's minutes; the page is then ``sent`` with ``via='rules'``.

Each delivery follows the paging rule on its own: claimed by a conditional
UPDATE, sent with no transaction open, recorded in a second transaction; a
claimer that died leaves it ``sending`` and the next tick takes it over and
asks the service first (``find``) where the method has a look-up (Slack,
ntfy, SMS, voice; see ``notifications.senders`` for each guarantee). E-mail
and webhooks have none: recovery resends them (at least once).

A failing delivery is retried with back-off; after ``max_tries`` it is
``failed`` (``delivery.failed``: on the person's page and in the lead's
channel) and the person's next rule fires at once. If that was the last
rule and nothing reached the person, the page fails and the escalation
climbs, as a failed Slack page does. An acknowledgement cancels every
delivery not sent yet; those already sent are told who acknowledged.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import events, notifications
from ..clock import iso, parse_iso
from ..db import Database, transaction
from .policy import advance_now, get

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    id: int
    page_id: int
    escalation_id: int
    room_id: int
    recipient: str
    method_id: int
    kind: str
    address: str
    after_minutes: int
    state: str
    due_at: str
    attempts: int
    send_key: str
    claimed_at: str | None
    sent_at: str | None
    last_error: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Context:
    """What paging hands this module for one tick (it owns the page messages)."""
    senders: dict
    link_for: object
    cfg: object
    fault: object
    alive: object
    message_for: object


_COLS = ("id, page_id, escalation_id, room_id, recipient, method_id, kind, address, after_minutes, state,"
         " due_at, attempts, send_key, claimed_at, sent_at, last_error")


def get_delivery(db: Database, delivery_id: int) -> Delivery | None:
    row = db.execute(f"SELECT {_COLS} FROM page_deliveries WHERE id = ?", [delivery_id]).fetchone()
    return Delivery(*row) if row else None


def for_page(db: Database, page_id: int) -> list[Delivery]:
    return [Delivery(*r) for r in db.execute(
        f"SELECT {_COLS} FROM page_deliveries WHERE page_id = ? ORDER BY due_at, id", [page_id])]


def for_recipient(db: Database, recipient: str, limit: int = 50) -> list[Delivery]:
    return [Delivery(*r) for r in db.execute(
        f"SELECT {_COLS} FROM page_deliveries WHERE recipient = ? ORDER BY id DESC LIMIT ?", [recipient, limit])]


def failed_recent(db: Database, limit: int = 50) -> list[Delivery]:
    """Failed deliveries, newest first: what the lead sees."""
    return [Delivery(*r) for r in db.execute(
        f"SELECT {_COLS} FROM page_deliveries WHERE state = 'failed' ORDER BY id DESC LIMIT ?", [limit])]


def new_ack_code(db: Database) -> str:
    """Six digits no open page uses (an SMS reply names the page by it)."""
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        taken = db.execute(
            "SELECT 1 FROM pages p JOIN escalations e ON e.id = p.escalation_id"
            " WHERE p.ack_code = ? AND e.state = 'open'", [code]).fetchone()
        if not taken:
            return code


def expand(db: Database, now: datetime, page_id: int, rules: list) -> None:
    """Insert a claimed page's deliveries and its SMS code; joins the caller's
    transaction, which then records the page as sent."""
    esc_id, room_id, recipient = db.execute(
        "SELECT escalation_id, room_id, recipient FROM pages WHERE id = ?", [page_id]).fetchone()
    for rule in rules:
        db.execute(
            "INSERT OR IGNORE INTO page_deliveries (page_id, escalation_id, room_id, recipient, method_id, kind,"
            " address, after_minutes, state, due_at, send_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'due', ?, ?, ?)",
            [page_id, esc_id, room_id, recipient, rule.method_id, rule.kind, rule.address, rule.after_minutes,
             iso(now + timedelta(minutes=rule.after_minutes)), uuid.uuid4().hex, iso(now)])
    db.execute("UPDATE pages SET ack_code = ? WHERE id = ?", [new_ack_code(db), page_id])


def claim_due(db: Database, now: datetime, token: str) -> list[int]:
    with transaction(db):
        ids = [r[0] for r in db.execute(
            "SELECT d.id FROM page_deliveries d JOIN escalations e ON e.id = d.escalation_id"
            " WHERE d.state = 'due' AND d.due_at <= ? AND e.state = 'open' ORDER BY d.due_at, d.id", [iso(now)])]
        claimed = []
        for did in ids:
            if db.execute("UPDATE page_deliveries SET state = 'sending', claim_token = ?, claimed_at = ?,"
                          " attempts = attempts + 1 WHERE id = ? AND state = 'due'",
                          [token, iso(now), did]).rowcount == 1:
                claimed.append(did)
    return claimed


def outgoing(db: Database, d: Delivery, msg, link_for) -> notifications.Outgoing:
    code = db.execute("SELECT ack_code FROM pages WHERE id = ?", [d.page_id]).fetchone()[0] or ""
    link = link_for(d.page_id, d.recipient) if link_for else ""
    more = f" (+{len(msg.bundled)} more pages)" if msg.bundled else ""
    subject = f"Warroom page: {msg.room_title} ({msg.reason}){more}"
    lines = [f"{msg.room_title}: {msg.reason}, escalation #{msg.escalation_id}, step {msg.step + 1}."]
    lines += [f"Also: {b['room_title']} ({b['reason']}), escalation #{b['escalation']}" for b in msg.bundled[:10]]
    if link:
        lines.append(f"Acknowledge: {link}")
    if code and d.kind in ("sms", "voice"):
        lines.append(f"Or reply {code} by SMS.")
    lines.append(f"ref {d.send_key[:10]}")
    return notifications.Outgoing(key=d.send_key, subject=subject, text="\n".join(lines), link=link, code=code)


def record_sent(db: Database, now: datetime, did: int, token: str, ref: str | None, recovered: bool = False) -> bool:
    with transaction(db):
        if db.execute("UPDATE page_deliveries SET state = 'sent', sent_at = ?, ref = ?, last_error = NULL"
                      " WHERE id = ? AND state = 'sending' AND claim_token = ?",
                      [iso(now), ref, did, token]).rowcount != 1:
            return False
        d = get_delivery(db, did)
        if get(db, d.escalation_id).state == "acknowledged":  # acked while we sent: tell this one too
            db.execute("UPDATE page_deliveries SET loop_state = 'pending' WHERE id = ?", [did])
        events.append(db, d.room_id, "delivery.sent", None, {
            "delivery": did, "page": d.page_id, "escalation": d.escalation_id, "recipient": d.recipient,
            "kind": d.kind, "after_minutes": d.after_minutes, "attempts": d.attempts, "recovered": recovered,
        }, now)
        return True


def record_failure(db: Database, now: datetime, did: int, token: str, error: str, cfg,
                   permanent: bool = False) -> str:
    """Retry with back-off; after ``max_tries`` fail it and fire the next rule at once."""
    with transaction(db):
        row = db.execute("SELECT attempts FROM page_deliveries WHERE id = ? AND state = 'sending' AND claim_token = ?",
                         [did, token]).fetchone()
        if row is None:
            return "lost"
        d = get_delivery(db, did)
        if row[0] < cfg.max_tries and not permanent:
            retry_at = now + timedelta(seconds=cfg.backoff_seconds * (2 ** (row[0] - 1)))
            db.execute("UPDATE page_deliveries SET state = 'due', due_at = ?, claim_token = NULL, last_error = ?"
                       " WHERE id = ?", [iso(retry_at), error[:500], did])
            events.append(db, d.room_id, "delivery.retrying", None, {
                "delivery": did, "page": d.page_id, "recipient": d.recipient, "kind": d.kind,
                "attempts": row[0], "error": error[:200], "retry_at": iso(retry_at)}, now)
            return "retrying"
        db.execute("UPDATE page_deliveries SET state = 'failed', last_error = ? WHERE id = ?", [error[:500], did])
        nxt = db.execute("SELECT id FROM page_deliveries WHERE page_id = ? AND state = 'due' ORDER BY due_at, id LIMIT 1",
                         [d.page_id]).fetchone()
        if nxt is not None:
            db.execute("UPDATE page_deliveries SET due_at = ? WHERE id = ? AND due_at > ?", [iso(now), nxt[0], iso(now)])
        events.append(db, d.room_id, "delivery.failed", None, {
            "delivery": did, "page": d.page_id, "escalation": d.escalation_id, "recipient": d.recipient,
            "kind": d.kind, "attempts": row[0], "error": error[:200], "next": nxt[0] if nxt else None}, now)
        if nxt is None:
            reached = db.execute("SELECT COUNT(*) FROM page_deliveries WHERE page_id = ? AND state IN ('sent', 'sending')",
                                 [d.page_id]).fetchone()[0]
            if not reached:
                db.execute("UPDATE pages SET state = 'failed', last_error = ? WHERE id = ?",
                           [f"every method failed; last: {error[:400]}", d.page_id])
                events.append(db, d.room_id, "page.failed", None, {
                    "page": d.page_id, "escalation": d.escalation_id, "recipient": d.recipient,
                    "target": "rules", "attempts": row[0], "error": f"every method failed ({error[:150]})"}, now)
                advance_now(db, now, d.escalation_id, None, f"every method to {d.recipient} failed")
        return "failed"


def _sender(senders: dict, kind: str):
    found = senders.get(kind)
    if found is None:
        raise notifications.SendFailed(f"{kind}: no sender is configured on this server", permanent=True)
    return found


def send_one(db: Database, now: datetime, did: int, token: str, ctx: Context, result,
             recovered: bool = False) -> None:
    senders, link_for, cfg, fault = ctx.senders, ctx.link_for, ctx.cfg, ctx.fault
    d = get_delivery(db, did)
    msg = ctx.message_for(db, d.page_id)
    out = outgoing(db, d, msg, link_for)
    if fault:
        fault("after_claim")
    try:
        ref = _sender(senders, d.kind).send(d.address, out, msg=msg)
    except notifications.SendFailed as exc:
        outcome = record_failure(db, now, did, token, str(exc), cfg, exc.permanent)
        (result.failed_deliveries if outcome == "failed" else result.retrying_deliveries).append(did)
        return
    except Exception as exc:  # an unexpected client error is a failed try, never a lost page
        log.exception("delivery %s: send raised", did)
        outcome = record_failure(db, now, did, token, f"{type(exc).__name__}: {exc}", cfg)
        (result.failed_deliveries if outcome == "failed" else result.retrying_deliveries).append(did)
        return
    if fault:
        fault("after_send", d.send_key)
    if record_sent(db, now, did, token, ref, recovered):
        result.delivered.append(did)


def recover_stale(db: Database, now: datetime, token: str, ctx: Context, result) -> None:
    senders, link_for, cfg, alive = ctx.senders, ctx.link_for, ctx.cfg, ctx.alive
    rows = db.execute("SELECT id, claim_token, claimed_at FROM page_deliveries WHERE state = 'sending'").fetchall()
    for did, old, claimed_at in rows:
        stale = parse_iso(claimed_at) < now - timedelta(seconds=cfg.stale_seconds)
        if old == token or alive(old, stale):
            continue
        with transaction(db):
            if db.execute("UPDATE page_deliveries SET claim_token = ? WHERE id = ? AND state = 'sending'"
                          " AND claim_token = ?", [token, did, old]).rowcount != 1:
                continue
        d = get_delivery(db, did)
        msg = ctx.message_for(db, d.page_id)
        out = outgoing(db, d, msg, link_for)
        found = None
        try:
            sender = _sender(senders, d.kind)
            if sender.can_look_up:
                found = sender.find(d.address, out, parse_iso(claimed_at), msg=msg)
        except Exception as exc:  # cannot tell: keep the claim, look again next tick
            log.warning("delivery %s: recovery look-up failed: %s", did, exc)
            continue
        result.recovered_deliveries.append(did)
        if found is not None:
            if record_sent(db, now, did, token, found, recovered=True):
                result.delivered.append(did)
        elif get(db, d.escalation_id).state != "open":
            with transaction(db):
                db.execute("UPDATE page_deliveries SET state = 'cancelled' WHERE id = ? AND claim_token = ?", [did, token])
        else:
            send_one(db, now, did, token, ctx, result, recovered=True)


def close_loop(db: Database, now: datetime, senders: dict) -> int:
    """Tell each method that reached someone who acknowledged (at most once each)."""
    done = 0
    rows = db.execute(
        "SELECT d.id, d.kind, d.address, d.ref, e.acked_by, e.acked_at, d.room_id, r.title FROM page_deliveries d"
        " JOIN escalations e ON e.id = d.escalation_id JOIN rooms r ON r.id = d.room_id"
        " WHERE d.loop_state = 'pending'").fetchall()
    for did, kind, address, ref, by, at, room_id, title in rows:
        with transaction(db):
            if db.execute("UPDATE page_deliveries SET loop_state = 'done' WHERE id = ? AND loop_state = 'pending'",
                          [did]).rowcount != 1:
                continue
        try:
            sender = _sender(senders, kind)
            if hasattr(sender, "acknowledged_ref") and ref:
                sender.acknowledged_ref(ref, room_id, title, by, at)
            else:
                sender.send_text(address, f"Acknowledged: {title}", f"{title}: acknowledged by {by} at {at}.")
            done += 1
        except Exception as exc:  # at most once: a lost note is only cosmetic
            log.warning("delivery %s: could not tell who acknowledged: %s", did, exc)
    return done


def tick(db: Database, now: datetime, token: str, ctx: Context, result) -> None:
    """The deliveries' part of a paging tick."""
    recover_stale(db, now, token, ctx, result)
    for _ in range(5):  # a method that failed for good hands over to the next rule in this tick
        failed = len(result.failed_deliveries)
        for did in claim_due(db, now, token):
            send_one(db, now, did, token, ctx, result)
        if len(result.failed_deliveries) == failed:
            break
    result.updated += close_loop(db, now, ctx.senders)

