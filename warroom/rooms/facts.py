"""The fact sheet: a room's confirmed facts and its holding statement.

Leads keep them; every change is a new version (old versions stay in
``fact_versions``). Published replies record the fact versions they relied
on (``responses.publish``), so changing a fact can list the replies that
cited the old text and need a correction. The sheet is part of the
room's record, so a closed room's sheet is final (``require_open``).

A fact may carry a ``key`` (``rebooking_url``), unique in its room: reply
templates name it as ``{fact:rebooking_url}`` (``fact_values``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from .. import events
from ..accounts import User, has_role
from ..clock import iso
from ..db import Database, transaction
from .room import require_open

KINDS = ("fact", "holding")
MAX_TEXT = 1000
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")  # as playbooks.templates.KEY_RE


class FactError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Fact:
    id: int
    room_id: int
    kind: str
    version: int
    text: str
    retired: bool
    updated_by: str
    updated_at: str
    key: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A published reply that relied on an older version of a fact."""

    response_id: int
    mention_id: int | None
    version: int
    old_text: str
    published_at: str

    def to_dict(self) -> dict:
        return asdict(self)


_COLS = "id, room_id, kind, version, text, retired, updated_by, updated_at, key"


def _fact(row) -> Fact | None:
    if row is None:
        return None
    v = list(row)
    v[5] = bool(v[5])
    return Fact(*v)


def get_fact(db: Database, fact_id: int) -> Fact | None:
    return _fact(db.execute(f"SELECT {_COLS} FROM facts WHERE id = ?", [fact_id]).fetchone())


def room_facts(db: Database, room_id: int, include_retired: bool = False) -> list[Fact]:
    """The sheet: the holding statement first, then facts in the order they were added."""
    where = "" if include_retired else " AND retired = 0"
    rows = db.execute(
        f"SELECT {_COLS} FROM facts WHERE room_id = ?{where}"
        " ORDER BY CASE kind WHEN 'holding' THEN 0 ELSE 1 END, id",
        [room_id],
    ).fetchall()
    return [_fact(r) for r in rows]


def fact_values(db: Database, room_id: int) -> dict[str, str]:
    """key -> text of the room's live facts that have a key (what templates fill in)."""
    rows = db.execute(
        "SELECT key, text FROM facts WHERE room_id = ? AND retired = 0 AND key IS NOT NULL", [room_id]
    ).fetchall()
    return {k: t for k, t in rows}


def _check_key(db: Database, room_id: int, key, fact_id) -> str | None:
    if key is None or key == "":
        return None
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise FactError("key", "a fact key is lower-case letters, digits and '_' (at most 40)")
    row = db.execute("SELECT id FROM facts WHERE room_id = ? AND key = ?", [room_id, key]).fetchone()
    if row is not None and row[0] != fact_id:
        raise FactError("key", f"fact {row[0]} already has the key {key!r}")
    return key


def versions(db: Database, fact_id: int) -> list[dict]:
    rows = db.execute(
        "SELECT version, text, retired, author, created_at FROM fact_versions"
        " WHERE fact_id = ? ORDER BY version",
        [fact_id],
    ).fetchall()
    return [
        {"version": r[0], "text": r[1], "retired": bool(r[2]), "author": r[3], "created_at": r[4]}
        for r in rows
    ]


def citations_of_old(db: Database, fact_id: int, current_version: int) -> list[Citation]:
    """Published replies that cited a version of the fact older than ``current_version``."""
    rows = db.execute(
        "SELECT r.id, r.mention_id, rf.version, v.text, r.published_at"
        " FROM response_facts rf JOIN responses r ON r.id = rf.response_id"
        " JOIN fact_versions v ON v.fact_id = rf.fact_id AND v.version = rf.version"
        " WHERE rf.fact_id = ? AND rf.version < ? ORDER BY r.id",
        [fact_id, current_version],
    ).fetchall()
    return [Citation(*r) for r in rows]


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise FactError("text", "a fact needs text")
    if len(text) > MAX_TEXT:
        raise FactError("text", f"a fact is at most {MAX_TEXT} characters")
    return text


def update_fact(
    db: Database, now: datetime, user: User, room_id: int, text: str,
    fact_id: int | None = None, kind: str = "fact", retire: bool = False, key: str | None = None,
) -> tuple[Fact, list[Citation]]:
    """Add a fact (``fact_id`` None), change its text, or retire it.

    Returns the new version and the published replies that cited an older
    one. Only leads keep the sheet. The room has at most one holding
    statement: adding another replaces its text. ``key`` (optional) names
    the fact for templates; given on a change, it replaces the old key.
    """
    if not has_role(user, "lead"):
        raise FactError("user", "only a lead can change the fact sheet")
    if kind not in KINDS:
        raise FactError("kind", f"kind must be one of {', '.join(KINDS)}")
    with transaction(db):
        require_open(db, room_id)
        if fact_id is None and kind == "holding":
            row = db.execute(
                "SELECT id FROM facts WHERE room_id = ? AND kind = 'holding'", [room_id]
            ).fetchone()
            fact_id = row[0] if row else None
        if fact_id is None:
            if retire:
                raise FactError("fact_id", "retire needs the id of an existing fact")
            text = _check_text(text)
            cur = db.execute(
                "INSERT INTO facts (room_id, kind, version, text, retired, updated_by, updated_at, key)"
                " VALUES (?, ?, 1, ?, 0, ?, ?, ?)",
                [room_id, kind, text, user.name, iso(now), _check_key(db, room_id, key, None)],
            )
            fact_id = cur.lastrowid
            version, previous = 1, None
        else:
            old = get_fact(db, int(fact_id))
            if old is None or old.room_id != room_id:
                raise FactError("fact_id", f"no fact {fact_id} in room {room_id}")
            text = old.text if retire else _check_text(text)
            new_key = old.key if key is None else _check_key(db, room_id, key, old.id)
            if not retire and text == old.text and not old.retired and new_key == old.key:
                raise FactError("text", "the text is unchanged")
            db.execute("UPDATE facts SET key = ? WHERE id = ?", [new_key, fact_id])
            version, previous = old.version + 1, old.text
            db.execute(
                "UPDATE facts SET version = ?, text = ?, retired = ?, updated_by = ?, updated_at = ?"
                " WHERE id = ?",
                [version, text, int(retire), user.name, iso(now), fact_id],
            )
        db.execute(
            "INSERT INTO fact_versions (fact_id, version, text, retired, author, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [fact_id, version, text, int(retire), user.name, iso(now)],
        )
        cited = citations_of_old(db, fact_id, version)
        fact = get_fact(db, fact_id)
        events.append(
            db, room_id, "facts.updated", user.name,
            {
                "fact_id": fact_id, "kind": fact.kind, "key": fact.key, "version": version, "text": text,
                "previous": previous, "retired": retire,
                "cited_by": [c.response_id for c in cited][:200],
            },
            now,
        )
    return fact, cited


def current_versions(db: Database, fact_ids: list[int], room_id: int) -> list[tuple[int, int]]:
    """(fact id, current version) for the live facts of the room among ``fact_ids``."""
    out = []
    for fid in dict.fromkeys(int(f) for f in fact_ids):
        fact = get_fact(db, fid)
        if fact is not None and fact.room_id == room_id and not fact.retired:
            out.append((fid, fact.version))
    return out
