"""Bearer tokens for ingestion: one per source and room, stored as sha256.

The token itself is shown once when it is made (``run.py token add``); the
database keeps only its hash, so a copy of the database lets nobody post.
Each token has a request rate (a fixed one-minute window kept on its row).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import events, rooms
from ..clock import iso, parse_iso
from ..db import Database, transaction

PREFIX = "wr_"
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")


class TokenError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Token:
    id: int
    source: str
    room_id: int
    rate_per_minute: int | None
    created_at: str
    created_by: str | None
    revoked_at: str | None
    monitor_id: int | None = None  # a monitor's token (room_id is then None)


_COLS = "id, source, room_id, rate_per_minute, created_at, created_by, revoked_at, monitor_id"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db: Database, now: datetime, source: str, room_id: int | None, actor: str | None = None,
           rate_per_minute: int | None = None, monitor_id: int | None = None) -> tuple[Token, str]:
    """A new token for ``source`` posting into ``room_id`` (or, with
    ``monitor_id`` and no room, into a standing monitor): (row, secret text)."""
    source = (source or "").strip().lower()
    if not SOURCE.match(source):
        raise TokenError("source", "source must be 1-64 characters of a-z, 0-9, '_', '.', ':' or '-'")
    if rate_per_minute is not None and rate_per_minute < 1:
        raise TokenError("rate", "rate must be at least 1 request a minute")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction(db):
        if (room_id is None) == (monitor_id is None):
            raise TokenError("room", "a token posts into one room or one monitor")
        if monitor_id is not None:
            if db.execute("SELECT 1 FROM monitors WHERE id = ?", [monitor_id]).fetchone() is None:
                raise TokenError("monitor", f"no monitor {monitor_id}")
        elif rooms.get_room(db, room_id) is None:
            raise TokenError("room", f"no room {room_id}")
        cur = db.execute(
            "INSERT INTO ingest_tokens (source, room_id, monitor_id, token_hash, rate_per_minute,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [source, room_id, monitor_id, _hash(secret), rate_per_minute, iso(now), actor],
        )
        events.append(db, room_id, "token.created", actor, {"token_id": cur.lastrowid, "source": source}, now)
    return get(db, cur.lastrowid), secret


def get(db: Database, token_id: int) -> Token | None:
    row = db.execute(f"SELECT {_COLS} FROM ingest_tokens WHERE id = ?", [token_id]).fetchone()
    return Token(*row) if row else None


def list_tokens(db: Database, room_id: int | None = None) -> list[Token]:
    if room_id is None:
        rows = db.execute(f"SELECT {_COLS} FROM ingest_tokens ORDER BY id").fetchall()
    else:
        rows = db.execute(f"SELECT {_COLS} FROM ingest_tokens WHERE room_id = ? ORDER BY id", [room_id]).fetchall()
    return [Token(*r) for r in rows]


def authenticate(db: Database, secret: str | None) -> Token | None:
    """The live token for this secret, or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    digest = _hash(secret)
    row = db.execute(
        f"SELECT {_COLS}, token_hash FROM ingest_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        [digest],
    ).fetchone()
    if row is None or not hmac.compare_digest(row[-1], digest):
        return None
    return Token(*row[:-1])


def revoke(db: Database, now: datetime, token_id: int, actor: str | None = None) -> Token:
    with transaction(db):
        token = get(db, token_id)
        if token is None:
            raise TokenError("token", f"no token {token_id}")
        if token.revoked_at is None:
            db.execute("UPDATE ingest_tokens SET revoked_at = ? WHERE id = ?", [iso(now), token_id])
            events.append(db, token.room_id, "token.revoked", actor, {"token_id": token_id, "source": token.source}, now)
    return get(db, token_id)


def window_decision(window_start: datetime | None, window_count: int, now: datetime,
                    limit: int) -> tuple[bool, datetime, int, int]:
    """Pure rate decision for one request: (allowed, window start, new count,
    seconds until the window ends)."""
    start = now.replace(second=0, microsecond=0)
    if window_start is None or window_start != start:
        window_count = 0
    retry_after = max(1, int((start + timedelta(minutes=1) - now).total_seconds() + 0.999))
    if window_count >= limit:
        return False, start, window_count, retry_after
    return True, start, window_count + 1, retry_after


class OverRate(Exception):
    """The token has used its requests for this minute."""

    def __init__(self, retry_after: int):
        super().__init__(f"over its rate; retry in {retry_after} s")
        self.retry_after = retry_after


def _window(db: Database, token: Token) -> tuple[datetime | None, int]:
    row = db.execute(
        "SELECT window_start, window_count FROM ingest_tokens WHERE id = ?", [token.id]
    ).fetchone()
    return (parse_iso(row[0]) if row and row[0] else None), (row[1] if row else 0)


def wait_seconds(db: Database, now: datetime, token: Token, default_limit: int) -> int:
    """Read-only: 0 if one more request is allowed now, else the seconds to wait.
    Lets a caller refuse early without taking the write lock."""
    started, count = _window(db, token)
    allowed, _start, _count, retry_after = window_decision(
        started, count, now, token.rate_per_minute or default_limit)
    return 0 if allowed else retry_after


def charge(db: Database, now: datetime, token: Token, default_limit: int) -> None:
    """Count one request inside the caller's write transaction (so a request
    that is rolled back is not counted); raises OverRate when over the limit."""
    started, count = _window(db, token)
    allowed, start, count, retry_after = window_decision(
        started, count, now, token.rate_per_minute or default_limit)
    if not allowed:
        raise OverRate(retry_after)
    db.execute("UPDATE ingest_tokens SET window_start = ?, window_count = ? WHERE id = ?",
               [iso(start), count, token.id])


def hit(db: Database, now: datetime, token: Token, default_limit: int) -> int:
    """Count one request in its own transaction; 0 if allowed, else the seconds
    to wait (Retry-After)."""
    try:
        with transaction(db):
            charge(db, now, token, default_limit)
    except OverRate as exc:
        return exc.retry_after
    return 0
