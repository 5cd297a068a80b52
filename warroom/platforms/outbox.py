"""Publishing through the connector, exactly once: the outbox.

``enqueue`` runs inside ``responses.publish``'s transaction: a published reply
whose mention came through a connector gets one ``deliveries`` row, with its
key (``connector.reply_key``) fixed there, before any attempt. Mentions from
elsewhere get none and keep today's flow. ``tick`` then follows the paging
rule (see ``escalation.paging``):

1. claim: a short transaction moves a due ``pending`` row to ``sending``
   under this process's claim token (``UPDATE ... WHERE state='pending'``,
   kept only if one row changed), so two ticks never send one delivery;
2. send ``connector.reply(target, text, key)`` with no transaction open;
3. record ``posted`` with the platform's id and URL (``response.delivered``),
   or back off and retry (``response.delivery_retrying``), or after
   ``max_tries`` or a non-retryable error fail (``response.delivery_failed``).

A claimer that died between 2 and 3 leaves ``sending``; once it is known dead
(same host and pid gone, or older than ``stale_seconds``) the row is taken
over and ``connector.find_reply(target, key)`` is asked first: a reply found
is recorded without sending; only a reply not found is sent again, with the
same key (which Mastodon and Bluesky would also refuse to post twice). A lead
may mark a failed delivery as posted by hand, with its URL.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from .. import events
from ..accounts import User, has_role
from ..clock import iso, parse_iso
from ..db import Database, transaction
from ..escalation import paging
from . import registry, store
from .connector import ConnectorError, Posted, reply_key
from .crypto import Vault, VaultError

log = logging.getLogger(__name__)
STATES = ("pending", "sending", "posted", "failed", "posted_by_hand")


@dataclass(frozen=True)
class OutboxConfig:
    max_tries: int = 5
    backoff_seconds: float = 10.0
    stale_seconds: float = 120.0


@dataclass(frozen=True)
class Delivery:
    id: int
    response_id: int
    room_id: int
    mention_id: int
    connector_id: int
    platform: str
    state: str
    attempts: int
    next_attempt_at: str
    external_id: str | None
    url: str | None
    last_error: str | None
    created_at: str
    posted_at: str | None
    marked_by: str | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TickResult:
    posted: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)


class DeliveryError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


_COLS = ("d.id, d.response_id, d.room_id, d.mention_id, d.connector_id, c.platform, d.state, d.attempts,"
         " d.next_attempt_at, d.external_id, d.url, d.last_error, d.created_at, d.posted_at, d.marked_by")
_FROM = " FROM deliveries d JOIN connectors c ON c.id = d.connector_id"


def get(db: Database, delivery_id: int) -> Delivery | None:
    row = db.execute(f"SELECT {_COLS}{_FROM} WHERE d.id = ?", [delivery_id]).fetchone()
    return Delivery(*row) if row else None


def for_room(db: Database, room_id: int) -> list[Delivery]:
    rows = db.execute(f"SELECT {_COLS}{_FROM} WHERE d.room_id = ? ORDER BY d.id", [room_id]).fetchall()
    return [Delivery(*r) for r in rows]


def for_response(db: Database, response_id: int) -> Delivery | None:
    row = db.execute(f"SELECT {_COLS}{_FROM} WHERE d.response_id = ?", [response_id]).fetchone()
    return Delivery(*row) if row else None


def enqueue(db: Database, now: datetime, response_id: int, room_id: int, mention_id: int | None,
            text: str) -> int | None:
    """Inside the publishing transaction: the delivery of this reply, if its
    mention came through a connector (None otherwise)."""
    if mention_id is None:
        return None
    row = db.execute("SELECT connector_id FROM mention_sources WHERE mention_id = ?", [mention_id]).fetchone()
    if row is None:
        return None
    cur = db.execute(
        "INSERT INTO deliveries (response_id, room_id, mention_id, connector_id, text, key, state,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        [response_id, room_id, mention_id, row[0], text, reply_key(text), iso(now), iso(now)],
    )
    return cur.lastrowid


def _work(db: Database, delivery_id: int):
    """(connector_id, target, text, key) of a delivery."""
    row = db.execute(
        "SELECT d.connector_id, s.reply_ref, d.text, d.key FROM deliveries d"
        " JOIN mention_sources s ON s.mention_id = d.mention_id WHERE d.id = ?", [delivery_id],
    ).fetchone()
    return row[0], json.loads(row[1]), row[2], row[3]


def claim_due(db: Database, now: datetime, token: str) -> list[int]:
    claimed = []
    with transaction(db):
        due = [r[0] for r in db.execute(
            "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id", [iso(now)])]
        for delivery_id in due:
            cur = db.execute(
                "UPDATE deliveries SET state = 'sending', claim_token = ?, claimed_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND state = 'pending'", [token, iso(now), delivery_id])
            if cur.rowcount == 1:
                claimed.append(delivery_id)
    return claimed


def record_posted(db: Database, now: datetime, delivery_id: int, token: str, posted: Posted,
                  recovered: bool = False) -> bool:
    with transaction(db):
        cur = db.execute(
            "UPDATE deliveries SET state = 'posted', external_id = ?, url = ?, posted_at = ?, last_error = NULL"
            " WHERE id = ? AND state = 'sending' AND claim_token = ?",
            [posted.external_id, posted.url, iso(now), delivery_id, token])
        if cur.rowcount != 1:
            return False
        d = get(db, delivery_id)
        events.append(db, d.room_id, "response.delivered", None, {
            "delivery_id": d.id, "response_id": d.response_id, "mention_id": d.mention_id,
            "platform": d.platform, "url": posted.url, "external_id": posted.external_id,
            "attempts": d.attempts, "recovered": recovered}, now)
        return True


def record_failure(db: Database, now: datetime, delivery_id: int, token: str, error: str,
                   cfg: OutboxConfig, retryable: bool = True) -> str:
    with transaction(db):
        d = get(db, delivery_id)
        owned = db.execute("SELECT 1 FROM deliveries WHERE id = ? AND state = 'sending' AND claim_token = ?",
                           [delivery_id, token]).fetchone()
        if d is None or owned is None:
            return "lost"
        base = {"delivery_id": d.id, "response_id": d.response_id, "mention_id": d.mention_id,
                "platform": d.platform, "attempts": d.attempts, "error": error[:200]}
        if retryable and d.attempts < cfg.max_tries:
            at = now + timedelta(seconds=cfg.backoff_seconds * (2 ** (d.attempts - 1)))
            db.execute("UPDATE deliveries SET state = 'pending', claim_token = NULL, next_attempt_at = ?,"
                       " last_error = ? WHERE id = ?", [iso(at), error[:500], delivery_id])
            events.append(db, d.room_id, "response.delivery_retrying", None, {**base, "retry_at": iso(at)}, now)
            return "retrying"
        db.execute("UPDATE deliveries SET state = 'failed', claim_token = NULL, last_error = ? WHERE id = ?",
                   [error[:500], delivery_id])
        events.append(db, d.room_id, "response.delivery_failed", None, base, now)
        return "failed"


def _connector(db: Database, delivery_id: int, vault: Vault):
    connector_id, target, text, key = _work(db, delivery_id)
    try:
        return store.connector_for(db, connector_id, vault), target, text, key
    except VaultError as exc:
        raise ConnectorError("auth", str(exc), retryable=False) from None


def _send(db: Database, now: datetime, delivery_id: int, token: str, vault: Vault, cfg: OutboxConfig,
          result: TickResult, fault=None, connector=None, recovered: bool = False) -> None:
    try:
        if connector is None:
            connector, target, text, key = _connector(db, delivery_id, vault)
        else:
            _, target, text, key = _work(db, delivery_id)
        if fault:
            fault("after_claim")
        # measured as sent: the same rule as the 422 at save/submit/publish
        over = connector.limit.over_by(registry.platform(connector.platform).final_text(target, text))
        if over:
            raise ConnectorError("limit", f"the reply is {over} {connector.limit.unit} over the platform's limit",
                                 retryable=False)
        posted = connector.reply(target, text, key)
    except ConnectorError as exc:
        outcome = record_failure(db, now, delivery_id, token, f"{exc.kind}: {exc}", cfg, exc.retryable)
        (result.failed if outcome == "failed" else result.retrying).append(delivery_id)
        return
    except Exception as exc:  # a client surprise is a failed try, not a lost reply
        log.exception("delivery %s: reply raised", delivery_id)
        outcome = record_failure(db, now, delivery_id, token, f"{type(exc).__name__}: {exc}", cfg)
        (result.failed if outcome == "failed" else result.retrying).append(delivery_id)
        return
    if fault:
        fault("after_send")
    if record_posted(db, now, delivery_id, token, posted, recovered):
        result.posted.append(delivery_id)


def recover_stale(db: Database, now: datetime, token: str, vault: Vault, cfg: OutboxConfig,
                  result: TickResult, fault=None, alive=paging.claimer_alive) -> None:
    rows = db.execute("SELECT id, claim_token, claimed_at FROM deliveries WHERE state = 'sending'").fetchall()
    for delivery_id, old, claimed_at in rows:
        stale = parse_iso(claimed_at) < now - timedelta(seconds=cfg.stale_seconds)
        if old == token or alive(old, stale):
            continue
        with transaction(db):
            won = db.execute("UPDATE deliveries SET claim_token = ? WHERE id = ? AND state = 'sending'"
                             " AND claim_token = ?", [token, delivery_id, old]).rowcount == 1
        if not won:
            continue
        try:
            connector, target, _, key = _connector(db, delivery_id, vault)
            found = connector.find_reply(target, key)
        except ConnectorError as exc:
            if exc.retryable:  # cannot tell yet: keep the claim, look again next tick
                log.warning("delivery %s: recovery look-up failed: %s", delivery_id, exc)
                continue
            record_failure(db, now, delivery_id, token, f"{exc.kind}: {exc}", cfg, False)
            result.failed.append(delivery_id)
            continue
        except Exception as exc:
            log.warning("delivery %s: recovery look-up failed: %s", delivery_id, exc)
            continue
        result.recovered.append(delivery_id)
        if found is not None:
            if record_posted(db, now, delivery_id, token, found, recovered=True):
                result.posted.append(delivery_id)
        else:
            _send(db, now, delivery_id, token, vault, cfg, result, fault, connector, recovered=True)
    return None


def tick(db: Database, now: datetime, vault: Vault, token: str, cfg: OutboxConfig = OutboxConfig(),
         fault=None, alive=paging.claimer_alive) -> TickResult:
    """Recover deliveries whose claimer died, then claim, send and record the due ones."""
    result = TickResult()
    recover_stale(db, now, token, vault, cfg, result, fault, alive)
    for delivery_id in claim_due(db, now, token):
        _send(db, now, delivery_id, token, vault, cfg, result, fault)
    return result


def mark_posted_by_hand(db: Database, now: datetime, user: User, delivery_id: int, url: str) -> Delivery:
    """A lead records that a failed delivery was posted by hand, and where."""
    if not has_role(user, "lead"):
        raise DeliveryError("user", "only a lead can mark a reply as posted by hand")
    url = (url or "").strip() if isinstance(url, str) else ""
    if not url.startswith(("https://", "http://")) or len(url) > 2000 or any(c.isspace() for c in url):
        raise DeliveryError("url", "the URL of the reply on the platform (http:// or https://) is required")
    with transaction(db):
        d = get(db, delivery_id)
        if d is None:
            raise DeliveryError("delivery_id", f"no delivery {delivery_id}")
        if d.state != "failed":
            raise DeliveryError("delivery_id", f"the delivery is {d.state}; only a failed one can be marked")
        db.execute("UPDATE deliveries SET state = 'posted_by_hand', url = ?, posted_at = ?, marked_by = ?"
                   " WHERE id = ? AND state = 'failed'", [url, iso(now), user.name, delivery_id])
        events.append(db, d.room_id, "response.posted_by_hand", user.name, {
            "delivery_id": d.id, "response_id": d.response_id, "mention_id": d.mention_id,
            "platform": d.platform, "url": url}, now)
    return get(db, delivery_id)
