"""Users, roles, password hashes, server-side sessions and login throttling.

Installation roles are ordered: admin > lead > approver > responder > viewer;
``has_role(user, "approver")`` means "approver or above".
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import events
from ..clock import iso
from ..db import Database, transaction

ROLES = ("viewer", "responder", "approver", "lead", "admin")
ROLE_RANK = {name: rank for rank, name in enumerate(ROLES)}

# scrypt, memory-hard (RFC 7914); 2**14 x 8 x 1 = 16 MiB and ~40 ms a check here.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """Bad input for an account operation; ``field`` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    slack_id: str | None
    tz: str
    disabled: bool
    must_change_password: bool = False
    # not part of who the user is: a login must not make them a different User
    last_login_at: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "tz": self.tz}


def has_role(user: User | None, minimum: str) -> bool:
    return user is not None and not user.disabled and ROLE_RANK[user.role] >= ROLE_RANK[minimum]


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(stored: str, password: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algo != "scrypt":
        return False
    got = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
        dklen=32, maxmem=64 * 1024 * 1024,
    )
    return hmac.compare_digest(got, base64.b64decode(digest))


def _user(row) -> User | None:
    if row is None:
        return None
    return User(row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]), row[7])


_USER_COLS = "id, name, role, slack_id, tz, disabled, must_change_password, last_login_at"


def get_user(db: Database, user_id: int) -> User | None:
    return _user(db.execute(f"SELECT {_USER_COLS} FROM users WHERE id = ?", [user_id]).fetchone())


def find_user(db: Database, name: str) -> User | None:
    return _user(db.execute(f"SELECT {_USER_COLS} FROM users WHERE name = ?", [name]).fetchone())


def find_by_slack_id(db: Database, slack_id: str) -> User | None:
    return _user(db.execute(f"SELECT {_USER_COLS} FROM users WHERE slack_id = ?", [slack_id]).fetchone())


def list_users(db: Database) -> list[User]:
    return [_user(r) for r in db.execute(f"SELECT {_USER_COLS} FROM users ORDER BY name")]


def count_users(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def add_user(
    db: Database, now: datetime, name: str, role: str, password: str,
    slack_id: str | None = None, actor: str | None = None, one_time: bool = False,
) -> User:
    """Add a user; ``one_time``: the password was generated and shown once, so
    the user must choose their own at first login."""
    name = (name or "").strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise AccountError("name", "name must be 1-64 characters without spaces")
    if role not in ROLE_RANK:
        raise AccountError("role", f"role must be one of {', '.join(ROLES)}")
    check_new_password(password)
    with transaction(db):
        if find_user(db, name):
            raise AccountError("name", f"a user named {name!r} already exists")
        if slack_id and find_by_slack_id(db, slack_id):
            raise AccountError("slack_id", f"slack id {slack_id} belongs to another user")
        cur = db.execute(
            "INSERT INTO users (name, role, password_hash, slack_id, created_at, must_change_password)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [name, role, hash_password(password), slack_id or None, iso(now), int(one_time)],
        )
        events.append(db, None, "user.added", actor, {"name": name, "role": role}, now)
    return get_user(db, cur.lastrowid)


def check_new_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < 10:
        raise AccountError("password", "password must be at least 10 characters")
    if len(password) > 1024:
        raise AccountError("password", "password must be at most 1024 characters")


def change_password(db: Database, now: datetime, user: User, current: str, new: str) -> User:
    """Replace the password (the current one must match); ends one-time status
    and every session of the user, in the same transaction: whoever knew the
    old password is out. The caller starts a new session for the one asking."""
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user.id]).fetchone()
    if row is None or not check_password(row[0], current):
        raise AccountError("current", "the current password is wrong")
    check_new_password(new)
    if new == current:
        raise AccountError("password", "choose a password different from the current one")
    with transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
            [hash_password(new), user.id],
        )
        db.execute("DELETE FROM sessions WHERE user_id = ?", [user.id])
        events.append(db, None, "user.password_changed", user.name, {"name": user.name}, now)
    return get_user(db, user.id)


def set_timezone(db: Database, user: User, tz: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise AccountError("tz", f"unknown time zone {tz!r}") from None
    with transaction(db):
        db.execute("UPDATE users SET tz = ? WHERE id = ?", [tz, user.id])


# -- administration (admins, through the web UI or the CLI) -------------------


def _existing(db: Database, user_id: int) -> User:
    user = get_user(db, user_id)
    if user is None:
        raise AccountError("user", f"no user {user_id}")
    return user


def set_disabled(db: Database, now: datetime, user_id: int, disabled: bool, actor: str | None) -> User:
    """Disable (or enable again) a user. Disabling ends every session in the
    same transaction; the caller also disconnects the user's sockets."""
    with transaction(db):
        user = _existing(db, user_id)
        db.execute("UPDATE users SET disabled = ? WHERE id = ?", [int(disabled), user_id])
        if disabled:
            db.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])
        events.append(db, None, "user.disabled" if disabled else "user.enabled", actor, {"name": user.name}, now)
    return get_user(db, user_id)


def set_role(db: Database, now: datetime, user_id: int, role: str, actor: str | None) -> User:
    if role not in ROLE_RANK:
        raise AccountError("role", f"role must be one of {', '.join(ROLES)}")
    with transaction(db):
        user = _existing(db, user_id)
        if user.role != role:
            db.execute("UPDATE users SET role = ? WHERE id = ?", [role, user_id])
            events.append(db, None, "user.role_changed", actor,
                          {"name": user.name, "from": user.role, "to": role}, now)
    return get_user(db, user_id)


def reset_password(db: Database, now: datetime, user_id: int, actor: str | None) -> str:
    """A new one-time password (shown once to the admin); ends the user's
    sessions, so whoever knew the old one is out."""
    password = generate_password()
    with transaction(db):
        user = _existing(db, user_id)
        db.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 1 WHERE id = ?",
            [hash_password(password), user_id],
        )
        db.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])
        events.append(db, None, "user.password_reset", actor, {"name": user.name}, now)
    return password


# -- sessions -----------------------------------------------------------------


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, user: User, now: datetime, hours: int) -> tuple[str, str]:
    """A new session: (token for the cookie, csrf token). Only hashes are stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE expires_at < ?", [iso(now)])
        db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [iso(now), user.id])
        db.execute(
            "INSERT INTO sessions (id, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_token_id(token), user.id, csrf, iso(now), iso(now + timedelta(hours=hours))],
        )
    return token, csrf


def session_user(db: Database, token: str | None, now: datetime) -> tuple[User, str] | None:
    """(user, csrf) for a live session token, else None."""
    if not token:
        return None
    row = db.execute(
        "SELECT user_id, csrf FROM sessions WHERE id = ? AND expires_at > ?",
        [_token_id(token), iso(now)],
    ).fetchone()
    if row is None:
        return None
    user = get_user(db, row[0])
    if user is None or user.disabled:
        return None
    return user, row[1]


def end_session(db: Database, token: str | None) -> None:
    if token:
        with transaction(db):
            db.execute("DELETE FROM sessions WHERE id = ?", [_token_id(token)])


# -- login throttling ---------------------------------------------------------

THROTTLE_WINDOW = timedelta(minutes=15)


def login_blocked(db: Database, name: str, address: str, now: datetime, limit: int) -> bool:
    since = iso(now - THROTTLE_WINDOW)
    for key in (f"name:{name.lower()}", f"ip:{address}"):
        n = db.execute(
            "SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?", [key, since]
        ).fetchone()[0]
        if n >= limit:
            return True
    return False


def authenticate(
    db: Database, name: str, password: str, address: str, now: datetime, limit: int = 10
) -> User | None:
    """The user if name and password match and neither is throttled; records failures.

    Known, unknown and disabled names cost the same one scrypt check."""
    if login_blocked(db, name, address, now, limit):
        return None
    row = db.execute("SELECT id, password_hash, disabled FROM users WHERE name = ?", [name]).fetchone()
    # Always one scrypt check, against a dummy hash for an unknown name, and
    # before looking at the disabled flag: the answer's timing must not tell
    # which names exist.
    matches = check_password(row[1] if row is not None else _dummy_hash(), password)
    ok = row is not None and not row[2] and matches
    if not ok:
        with transaction(db):
            db.execute("DELETE FROM login_failures WHERE at < ?", [iso(now - THROTTLE_WINDOW)])
            for key in (f"name:{name.lower()}", f"ip:{address}"):
                db.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", [key, iso(now)])
        return None
    return get_user(db, row[0])


@functools.cache
def _dummy_hash() -> str:
    """A hash of a password nobody knows, made once (on the first unknown name)
    with the same scrypt cost as real ones."""
    return hash_password(secrets.token_urlsafe(32))


def generate_password() -> str:
    return secrets.token_urlsafe(12)
