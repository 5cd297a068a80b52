"""Acknowledging from anywhere: a signed link per (page, person), and an SMS
reply carrying the page's code.

A link token is ``<page>-<expiry, base 36>-<HMAC-SHA256>``, the MAC (keyed
with the server's secret key, cut to 128 bits) taken over the page, its
recipient and the expiry, so it names one page for one person and cannot be
stretched. It is single-use (``ack_links_used``). Every way a link can be
wrong (forged, tampered, for another person, expired, used) is refused
with a message that names no room, page or person: only a genuine link
learns anything about its page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import accounts, notifications
from ..accounts import User
from ..clock import iso
from ..db import Database, transaction
from .policy import acknowledge, get

_TOKEN = re.compile(r"^([0-9]{1,18})-([0-9a-z]{1,10})-([A-Za-z0-9_-]{22})$")
REFUSED = {
    "forged": "This link is not valid.",
    "expired": "This link has expired.",
    "used": "This link has been used already.",
    "other": "This link is not yours.",
}


@dataclass(frozen=True)
class LinkCheck:
    ok: bool
    reason: str  # "ok", or a key of REFUSED
    page_id: int | None = None
    recipient: str | None = None
    escalation_id: int | None = None
    room_title: str = ""
    acked_by: str | None = None

    @property
    def message(self) -> str:
        return REFUSED.get(self.reason, "")


def _mac(key: str, page_id: int, recipient: str, exp: str) -> str:
    digest = hmac.new(key.encode(), f"ack|{page_id}|{recipient}|{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def make_token(key: str, page_id: int, recipient: str, expires_at: datetime) -> str:
    exp = _b36(int(expires_at.timestamp()))
    return f"{page_id}-{exp}-{_mac(key, page_id, recipient, exp)}"


def link_maker(key: str, base_url: str, now, hours: int):
    """``link_for(page_id, recipient) -> URL``, expiring ``hours`` after ``now()``."""
    def link_for(page_id: int, recipient: str) -> str:
        return f"{base_url.rstrip('/')}/ack/{make_token(key, page_id, recipient, now() + timedelta(hours=hours))}"
    return link_for


def check(db: Database, now: datetime, key: str, token: str, viewer: User | None = None) -> LinkCheck:
    m = _TOKEN.match(token or "")
    if not m:
        return LinkCheck(False, "forged")
    page_id, exp = int(m.group(1)), m.group(2)
    row = db.execute("SELECT p.recipient, p.escalation_id, r.title, e.acked_by FROM pages p"
                     " JOIN rooms r ON r.id = p.room_id JOIN escalations e ON e.id = p.escalation_id"
                     " WHERE p.id = ?", [page_id]).fetchone()
    # the MAC is checked against the page's real recipient: a link made for
    # one person never verifies for another's page, and an unknown page id
    # is checked against a dummy so both take the same time
    recipient = row[0] if row else "\x00"
    if not hmac.compare_digest(_mac(key, page_id, recipient, exp), m.group(3)) or row is None:
        return LinkCheck(False, "forged")
    if datetime.fromtimestamp(int(exp, 36), UTC) < now:
        return LinkCheck(False, "expired")
    if viewer is not None and f"user:{viewer.name}" != recipient:
        return LinkCheck(False, "other")
    if db.execute("SELECT 1 FROM ack_links_used WHERE page_id = ?", [page_id]).fetchone():
        return LinkCheck(False, "used")
    return LinkCheck(True, "ok", page_id, recipient, row[1], row[2], row[3])


def use(db: Database, now: datetime, key: str, token: str, viewer: User | None = None) -> tuple[LinkCheck, str]:
    """Acknowledge through a link: (the check, what happened) ."""
    with transaction(db):
        found = check(db, now, key, token, viewer)
        if not found.ok:
            return found, found.message
        db.execute("INSERT INTO ack_links_used (page_id, used_at, outcome) VALUES (?, ?, ?)",
                   [found.page_id, iso(now), "pending"])
        user = accounts.find_user(db, found.recipient[5:])
        try:
            esc = acknowledge(db, now, found.escalation_id, user)
            outcome, text = "acknowledged", f"Acknowledged: you have {found.room_title}. Everyone paged is told."
        except ValueError as exc:  # EscalationError, or the room closed meanwhile
            outcome, text = "refused", str(exc)
            current = get(db, found.escalation_id)
            if current is not None and current.acked_by:
                text = f"Already acknowledged by {current.acked_by}."
            esc = None
        db.execute("UPDATE ack_links_used SET outcome = ? WHERE page_id = ?", [outcome, found.page_id])
    return (found if esc is None else LinkCheck(True, "ok", found.page_id, found.recipient, found.escalation_id,
                                                found.room_title, esc.acked_by)), text


def sms_ack(db: Database, now: datetime, from_number: str, body: str) -> str:
    """An SMS reply: the code of an open page to the person whose verified
    number sent it acknowledges that page. Returns the reply text."""
    code = re.search(r"\b(\d{6})\b", body or "")
    owners = {m.user_id for m in notifications.verified_with_address(db, "sms", (from_number or "").strip())}
    if not code or not owners:
        return "No open page matches that reply."
    for user_id in sorted(owners):
        user = accounts.get_user(db, user_id)
        if user is None:
            continue
        row = db.execute(
            "SELECT p.escalation_id FROM pages p JOIN escalations e ON e.id = p.escalation_id"
            " WHERE p.ack_code = ? AND p.recipient = ? AND e.state = 'open' ORDER BY p.id DESC LIMIT 1",
            [code.group(1), f"user:{user.name}"]).fetchone()
        if row:
            try:
                esc = acknowledge(db, now, row[0], user)
            except ValueError as exc:
                return str(exc)
            return f"Acknowledged escalation #{esc.id}. Thank you."
    return "No open page matches that reply."
