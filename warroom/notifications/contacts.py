"""Contact methods, notification rules and quiet hours: how each person is
reached when paged.

A method is usable by a rule only once verified: ``start_verification``
makes a six-digit code (the adapter sends it through the method itself) and
``confirm_verification`` checks what the person typed back. Rules follow
PagerDuty's model: for a page, method M at minute N after the page goes
out. Quiet hours hold back reminders and other notices, never pages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import accounts
from ..accounts import User
from ..clock import iso, parse_iso
from ..db import Database, transaction

KINDS = ("slack", "email", "ntfy", "teams", "webhook", "sms", "voice")
CODE_MINUTES = 15
CODE_TRIES = 5
MAX_RULE_MINUTES = 1440
MAX_METHODS = 20

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_SLACK = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ContactError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ContactMethod:
    id: int
    user_id: int
    kind: str
    address: str
    label: str
    verified_at: str | None
    last_test_at: str | None
    last_test_outcome: str | None
    created_at: str
    for_notices: bool = False  # carries reminders and hand-over prompts

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "address": self.address, "label": self.label,
                "verified": self.verified, "verified_at": self.verified_at,
                "last_test_at": self.last_test_at, "last_test_outcome": self.last_test_outcome,
                "for_notices": self.for_notices}


@dataclass(frozen=True)
class Rule:
    id: int
    user_id: int
    method_id: int
    after_minutes: int
    kind: str
    address: str
    verified: bool

    def to_dict(self) -> dict:
        return {"id": self.id, "method": self.method_id, "after_minutes": self.after_minutes,
                "kind": self.kind, "address": self.address, "verified": self.verified}


@dataclass(frozen=True)
class QuietHours:
    start: str | None
    end: str | None

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end}


_COLS = ("id, user_id, kind, address, label, verified_at, last_test_at, last_test_outcome, created_at,"
         " for_notices")


def check_address(kind: str, address) -> str:
    """The address, normalised, or ContactError naming ``address``."""
    if kind not in KINDS:
        raise ContactError("kind", f"kind must be one of {', '.join(KINDS)}")
    if not isinstance(address, str) or not address.strip():
        raise ContactError("address", "an address is needed")
    a = address.strip()
    if len(a) > 500:
        raise ContactError("address", "the address is longer than 500 characters")
    ok = {
        "slack": lambda: _SLACK.match(a),
        "email": lambda: _EMAIL.match(a),
        "sms": lambda: _E164.match(a),
        "voice": lambda: _E164.match(a),
        # a topic on the configured ntfy server, or a full topic URL on another
        "ntfy": lambda: _TOPIC.match(a) or (re.match(r"^https?://[^/\s]+/[A-Za-z0-9_-]{1,64}$", a)),
        "teams": lambda: re.match(r"^https?://\S+$", a),
        "webhook": lambda: re.match(r"^https?://\S+$", a),
    }[kind]()
    if not ok:
        hint = {"slack": "a Slack member id such as U012ABCDEF", "email": "an e-mail address",
                "sms": "a number in E.164 form such as +447700900123", "voice": "a number in E.164 form",
                "ntfy": "a topic name or https://server/topic", "teams": "the webhook's https:// URL",
                "webhook": "an https:// URL"}[kind]
        raise ContactError("address", f"not a valid {kind} address: expected {hint}")
    return a


def _method(row) -> ContactMethod | None:
    return ContactMethod(*row[:9], bool(row[9])) if row else None


def get_method(db: Database, method_id: int) -> ContactMethod | None:
    return _method(db.execute(f"SELECT {_COLS} FROM contact_methods WHERE id = ?", [method_id]).fetchone())


def methods_for(db: Database, user: User) -> list[ContactMethod]:
    return [_method(r) for r in db.execute(
        f"SELECT {_COLS} FROM contact_methods WHERE user_id = ? ORDER BY id", [user.id])]


def verified_with_address(db: Database, kind: str, address: str) -> list[ContactMethod]:
    return [_method(r) for r in db.execute(
        f"SELECT {_COLS} FROM contact_methods WHERE kind = ? AND address = ? AND verified_at IS NOT NULL",
        [kind, address])]


def _owned(db: Database, user: User, method_id) -> ContactMethod:
    if not isinstance(method_id, int) or isinstance(method_id, bool):
        raise ContactError("method", "method must be an integer id")
    found = get_method(db, method_id)
    if found is None or found.user_id != user.id:
        raise ContactError("method", f"no contact method {method_id}")
    return found


def add_method(db: Database, now: datetime, user: User, kind, address, label="") -> ContactMethod:
    if not isinstance(kind, str):
        raise ContactError("kind", "kind must be a string")
    address = check_address(kind, address)
    label = label.strip()[:100] if isinstance(label, str) else ""
    with transaction(db):
        if db.execute("SELECT COUNT(*) FROM contact_methods WHERE user_id = ?", [user.id]).fetchone()[0] \
                >= MAX_METHODS:
            raise ContactError("kind", f"at most {MAX_METHODS} contact methods per person")
        if db.execute("SELECT 1 FROM contact_methods WHERE user_id = ? AND kind = ? AND address = ?",
                      [user.id, kind, address]).fetchone():
            raise ContactError("address", f"{kind} {address} is already one of your methods")
        cur = db.execute(
            "INSERT INTO contact_methods (user_id, kind, address, label, created_at) VALUES (?, ?, ?, ?, ?)",
            [user.id, kind, address, label, iso(now)])
    return get_method(db, cur.lastrowid)


def remove_method(db: Database, user: User, method_id) -> None:
    method = _owned(db, user, method_id)
    with transaction(db):
        db.execute("DELETE FROM notification_rules WHERE method_id = ?", [method.id])
        db.execute("DELETE FROM contact_methods WHERE id = ?", [method.id])


def _code_hash(method_id: int, code: str) -> str:
    return hashlib.sha256(f"{method_id}:{code}".encode()).hexdigest()


def start_verification(db: Database, now: datetime, user: User, method_id) -> tuple[ContactMethod, str]:
    """A new code for the method (the previous one stops working); the caller sends it."""
    method = _owned(db, user, method_id)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction(db):
        db.execute("UPDATE contact_methods SET code_hash = ?, code_expires_at = ?, code_tries = 0 WHERE id = ?",
                   [_code_hash(method.id, code), iso(now + timedelta(minutes=CODE_MINUTES)), method.id])
    return method, code


def confirm_verification(db: Database, now: datetime, user: User, method_id, code) -> ContactMethod:
    method = _owned(db, user, method_id)
    code = str(code or "").strip()
    with transaction(db):
        row = db.execute("SELECT code_hash, code_expires_at, code_tries FROM contact_methods WHERE id = ?",
                         [method.id]).fetchone()
        stored, expires, tries = row
        if stored is None:
            raise ContactError("code", "no code was sent to this method; send one first")
        if parse_iso(expires) < now:
            raise ContactError("code", "the code has expired; send a new one")
        if tries >= CODE_TRIES:
            raise ContactError("code", "too many wrong codes; send a new one")
        if not hmac.compare_digest(stored, _code_hash(method.id, code)):
            db.execute("UPDATE contact_methods SET code_tries = code_tries + 1 WHERE id = ?", [method.id])
            raise ContactError("code", "wrong code")
        db.execute("UPDATE contact_methods SET verified_at = ?, code_hash = NULL, code_expires_at = NULL"
                   " WHERE id = ?", [iso(now), method.id])
    return get_method(db, method.id)


def record_test(db: Database, now: datetime, method_id: int, outcome: str) -> None:
    with transaction(db):
        db.execute("UPDATE contact_methods SET last_test_at = ?, last_test_outcome = ? WHERE id = ?",
                   [iso(now), outcome[:300], method_id])


# -- rules -----------------------------------------------------------------------


def rules_for(db: Database, user: User, usable_only: bool = False) -> list[Rule]:
    """The person's rules by minute; ``usable_only`` keeps those with a verified method."""
    rows = db.execute(
        "SELECT r.id, r.user_id, r.method_id, r.after_minutes, m.kind, m.address, m.verified_at IS NOT NULL"
        " FROM notification_rules r JOIN contact_methods m ON m.id = r.method_id"
        " WHERE r.user_id = ? ORDER BY r.after_minutes, r.id", [user.id]).fetchall()
    rules = [Rule(*r[:6], bool(r[6])) for r in rows]
    return [r for r in rules if r.verified] if usable_only else rules


def add_rule(db: Database, now: datetime, user: User, method_id, after_minutes) -> Rule:
    method = _owned(db, user, method_id)
    if not method.verified:
        raise ContactError("method", "verify this method before a rule uses it")
    if not isinstance(after_minutes, int) or isinstance(after_minutes, bool) \
            or not 0 <= after_minutes <= MAX_RULE_MINUTES:
        raise ContactError("after_minutes", f"after_minutes must be a whole number from 0 to {MAX_RULE_MINUTES}")
    with transaction(db):
        if db.execute("SELECT 1 FROM notification_rules WHERE user_id = ? AND method_id = ? AND after_minutes = ?",
                      [user.id, method.id, after_minutes]).fetchone():
            raise ContactError("after_minutes", "that rule exists already")
        cur = db.execute("INSERT INTO notification_rules (user_id, method_id, after_minutes, created_at)"
                         " VALUES (?, ?, ?, ?)", [user.id, method.id, after_minutes, iso(now)])
    return next(r for r in rules_for(db, user) if r.id == cur.lastrowid)


def remove_rule(db: Database, user: User, rule_id) -> None:
    if not isinstance(rule_id, int) or isinstance(rule_id, bool):
        raise ContactError("rule", "rule must be an integer id")
    with transaction(db):
        if db.execute("DELETE FROM notification_rules WHERE id = ? AND user_id = ?",
                      [rule_id, user.id]).rowcount != 1:
            raise ContactError("rule", f"no rule {rule_id}")


# -- reminders and hand-over prompts ---------------------------------------------------


def set_notice_methods(db: Database, user: User, method_ids) -> list[ContactMethod]:
    """Mark exactly these (verified) methods as the ones that carry notices;
    an empty list goes back to the default (see ``notice_methods``)."""
    if not isinstance(method_ids, list | tuple):
        raise ContactError("methods", "methods must be a list of method ids")
    chosen = [_owned(db, user, m) for m in method_ids]
    for m in chosen:
        if not m.verified:
            raise ContactError("methods", f"verify {m.kind} {m.address} before reminders use it")
    with transaction(db):
        db.execute("UPDATE contact_methods SET for_notices = 0 WHERE user_id = ?", [user.id])
        for m in chosen:
            db.execute("UPDATE contact_methods SET for_notices = 1 WHERE id = ?", [m.id])
    return notice_methods(db, user)


def notice_methods(db: Database, user: User) -> list[ContactMethod]:
    """The verified methods that carry the person's reminders and hand-over
    prompts: those they marked; else those of their earliest page rule (how
    they asked to be reached first, not the call at minute 10); else none,
    and the caller falls back to a Slack DM."""
    verified = [m for m in methods_for(db, user) if m.verified]
    marked = [m for m in verified if m.for_notices]
    if marked:
        return marked
    rules = rules_for(db, user, usable_only=True)
    if not rules:
        return []
    first = {r.method_id for r in rules if r.after_minutes == rules[0].after_minutes}
    return [m for m in verified if m.id in first]


# -- quiet hours ---------------------------------------------------------------------


def quiet_hours(db: Database, user: User) -> QuietHours:
    row = db.execute("SELECT quiet_start, quiet_end FROM notification_prefs WHERE user_id = ?",
                     [user.id]).fetchone()
    return QuietHours(*row) if row else QuietHours(None, None)


def set_quiet_hours(db: Database, user: User, start, end) -> QuietHours:
    start = (start or "").strip() if isinstance(start, str) or start is None else start
    end = (end or "").strip() if isinstance(end, str) or end is None else end
    for name, value in (("quiet_start", start), ("quiet_end", end)):
        if value and (not isinstance(value, str) or not _HHMM.match(value)):
            raise ContactError(name, f"{name} must be HH:MM (24-hour) or empty")
    if bool(start) != bool(end):
        raise ContactError("quiet_end" if start else "quiet_start", "give both ends of the quiet hours, or neither")
    with transaction(db):
        db.execute("INSERT INTO notification_prefs (user_id, quiet_start, quiet_end) VALUES (?, ?, ?)"
                   " ON CONFLICT (user_id) DO UPDATE SET quiet_start = excluded.quiet_start,"
                   " quiet_end = excluded.quiet_end", [user.id, start or None, end or None])
    return quiet_hours(db, user)


def is_quiet(hours: QuietHours, tz: str, now: datetime) -> bool:
    """Pure: whether ``now`` falls in the quiet hours, read in the person's time zone."""
    if not hours.start or not hours.end:
        return False
    try:
        local = now.astimezone(ZoneInfo(tz or "UTC")).time()
    except (KeyError, ValueError):
        local = now.time()
    start, end = time.fromisoformat(hours.start), time.fromisoformat(hours.end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # across midnight, e.g. 22:00-07:00


def user_of(db: Database, recipient: str) -> User | None:
    """The user of a page recipient such as ``user:ann``."""
    if not recipient.startswith("user:"):
        return None
    return accounts.find_user(db, recipient[5:])
