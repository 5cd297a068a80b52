"""E-mailing published updates to the room's list: claim, send, record.

Each (update, address) is a row queued in the publishing transaction. A
tick claims due rows in one short transaction, sends each through the
sender handed in (``notifications.EmailSender``: anything with
``send_text(address, subject, text)``), and records the outcome in
another; never a write transaction across SMTP. A claim carries this
host's token and only its owner records the outcome. SMTP has no look-up, so a
crash between send and record sends again after ``stale_seconds``: at
least once, like e-mail pages. A failure is retried up to ``max_tries``,
then the row is ``failed`` with an ``update.mail_failed`` event.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from .. import events, rooms
from ..clock import iso
from ..db import Database, transaction

log = logging.getLogger(__name__)
MAX_TRIES = 3
STALE_SECONDS = 300
BATCH = 100


def _claim(db: Database, now: datetime, stale_seconds: int, token: str) -> list[tuple]:
    stale = iso(now - timedelta(seconds=stale_seconds))
    with transaction(db):
        rows = db.execute(
            "SELECT m.id, m.address, u.id, u.room_id, u.audience, u.text, u.is_final, u.next_update_at"
            " FROM update_mails m JOIN stakeholder_updates u ON u.id = m.update_id"
            " WHERE m.state = 'pending' OR (m.state = 'sending' AND m.claimed_at < ?)"
            " ORDER BY m.id LIMIT ?", [stale, BATCH]).fetchall()
        db.conn.executemany("UPDATE update_mails SET state = 'sending', claimed_at = ?, claim_token = ?,"
                            " tries = tries + 1 WHERE id = ?", [(iso(now), token, r[0]) for r in rows])
    return rows


def message(room_title: str, audience: str, text: str, is_final: bool, next_update_at: str | None) -> tuple[str, str]:
    """(subject, body) of one update's e-mail."""
    kind = "Final update" if is_final else ("Public update" if audience == "public" else "Internal update")
    body = text + (f"\n\nNext update: {next_update_at}" if next_update_at else "")
    if audience == "internal":
        body += "\n\nInternal: do not forward outside the company."
    return f"{kind}: {room_title}", body


def deliver(db: Database, now: datetime, sender, max_tries: int = MAX_TRIES,
            stale_seconds: int = STALE_SECONDS, token: str | None = None) -> dict:
    """Send every due e-mail once; returns counts of sent and failed.
    ``token`` names this claimer (``host:pid:uuid``); only the owner of a
    claim records its outcome."""
    token = token or f"mail:{uuid.uuid4().hex}"
    sent = failed = 0
    for mail_id, address, update_id, room_id, audience, text, is_final, next_at in _claim(db, now, stale_seconds,
                                                                                         token):
        room = rooms.get_room(db, room_id)
        subject, body = message(room.title if room else "", audience, text, bool(is_final), next_at)
        try:
            sender.send_text(address, subject, body)
        except Exception as exc:  # noqa: BLE001 (any failure of the sender is recorded)
            tries = db.execute("SELECT tries FROM update_mails WHERE id = ?", [mail_id]).fetchone()[0]
            final = tries >= max_tries
            with transaction(db):
                mine = db.execute("UPDATE update_mails SET state = ?, error = ?, claim_token = NULL"
                                  " WHERE id = ? AND state = 'sending' AND claim_token = ?",
                                  ["failed" if final else "pending", str(exc)[:300], mail_id, token]).rowcount
                if final and mine:
                    events.append(db, room_id, "update.mail_failed", None,
                                  {"update_id": update_id, "address": address, "error": str(exc)[:200]}, now)
            failed += bool(final and mine)
            log.warning("update %s to %s failed (try %s): %s", update_id, address, tries, exc)
            continue
        with transaction(db):
            mine = db.execute("UPDATE update_mails SET state = 'sent', sent_at = ?, error = NULL, claim_token = NULL"
                              " WHERE id = ? AND state = 'sending' AND claim_token = ?",
                              [iso(now), mail_id, token]).rowcount
        sent += mine  # not ours any more: the host that took the claim over records it
    return {"sent": sent, "failed": failed}


def mail_states(db: Database, update_id: int) -> dict[str, str]:
    return dict(db.execute("SELECT address, state FROM update_mails WHERE update_id = ? ORDER BY address",
                           [update_id]).fetchall())
