"""Retention and data-subject requests over the rows that hold personal data.

Personal data here is what a platform author gave us: a mention's ``author``,
``text``, ``url`` and ``followers`` (in ``mentions`` and ``monitor_mentions``),
its platform post id (``external_id``, which on some platforms embeds the
author's identifier) and its ``mention_sources.reply_ref``. Erasing keeps the
row and everything counted from it (source, timestamps, language, sentiment
score and label), so per-minute counts, the post-mortem and the timeline's
shape are unchanged; it blanks the personal fields, replaces the post id by
``erased:<sha256>`` (still unique per room) and stamps ``erased_at``.

Replies to an erased mention keep their text, minus the author's name: every
``@handle`` (or bare handle) of theirs in a draft, a published response, the
outbox copy and the ``draft.*``/``response.published`` events becomes
``[erased]``. The ``responses`` trigger allows exactly that one change, once.

Events of a run name no author (that would keep what was erased); they
carry counts only and have no room, so only the audit view shows them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import events
from ..clock import iso
from ..db import Database, transaction

ERASED = "[erased]"
CHUNK = 500          # mentions per retention transaction: writers never wait long
MAX_AUTHOR = 200     # the ingest limit on author


class PrivacyError(ValueError):
    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


def _author(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PrivacyError("author", "author must be a non-empty string")
    value = value.strip()
    if len(value) > MAX_AUTHOR:
        raise PrivacyError("author", f"author must be at most {MAX_AUTHOR} characters")
    return value


def _name_pattern(author: str) -> re.Pattern:
    """The author's handle in a reply: with or without its @, not inside a longer word."""
    bare = author.lstrip("@")
    return re.compile(r"(?<![\w@])@?" + re.escape(bare) + r"(?![\w])", re.IGNORECASE)


def scrub(text: str, author: str) -> str:
    """``text`` with every occurrence of ``author``'s handle replaced by [erased]."""
    if not author.lstrip("@"):
        return text
    return _name_pattern(author).sub(ERASED, text)


# -- export --------------------------------------------------------------------------------


def _rows(db: Database, sql: str, args) -> list[dict]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _marks(ids) -> str:
    return ",".join("?" for _ in ids)


def _about(db: Database, author: str) -> dict:
    """Every row about ``author`` (case-insensitive, exact handle), not yet erased."""
    mentions = _rows(db, "SELECT * FROM mentions WHERE author = ? COLLATE NOCASE AND erased_at IS NULL"
                         " ORDER BY id", [author])
    monitor = _rows(db, "SELECT * FROM monitor_mentions WHERE author = ? COLLATE NOCASE"
                        " AND erased_at IS NULL ORDER BY id", [author])
    ids = [m["id"] for m in mentions]
    out = {"mentions": mentions, "monitor_mentions": monitor, "mention_sources": [],
           "claims": [], "drafts": [], "responses": [], "deliveries": []}
    # chunks keep each IN (...) below SQLite's variable limit
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        q = _marks(part)
        out["mention_sources"] += _rows(db, f"SELECT * FROM mention_sources WHERE mention_id IN ({q})", part)
        out["claims"] += _rows(db, f"SELECT * FROM mention_claims WHERE mention_id IN ({q})", part)
        out["drafts"] += _rows(db, f"SELECT * FROM drafts WHERE mention_id IN ({q}) ORDER BY id", part)
        out["responses"] += _rows(db, f"SELECT * FROM responses WHERE mention_id IN ({q}) ORDER BY id", part)
        out["deliveries"] += _rows(db, f"SELECT * FROM deliveries WHERE mention_id IN ({q}) ORDER BY id",
                                   part)
    return out


def _counts(found: dict) -> dict:
    return {k: len(v) for k, v in found.items()}


def export_author(db: Database, now: datetime, author, actor: str | None) -> dict:
    """A data-subject export: every row about a platform author, as JSON-ready dicts.

    The run is an event (``privacy.exported``) carrying counts, not the name."""
    author = _author(author)
    found = _about(db, author)
    with transaction(db):
        events.append(db, None, "privacy.exported", actor, {"rows": _counts(found)}, now)
    return {"author": author, "exported_at": iso(now), **found}


# -- erasure -------------------------------------------------------------------------------


def _hashed(external_id: str) -> str:
    return "erased:" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:40]


def _erase_room_mentions(db: Database, now: datetime, rows: list[tuple[int, str, str]]) -> dict:
    """Erase room mentions (id, author, external_id) and scrub replies to them. In a transaction."""
    stamp = iso(now)
    done = {"mentions": 0, "drafts": 0, "responses": 0, "deliveries": 0, "events": 0}
    for mid, author, external_id in rows:
        db.execute("UPDATE mentions SET author = '', text = '', url = '', followers = NULL,"
                   " external_id = ?, erased_at = ? WHERE id = ? AND erased_at IS NULL",
                   [_hashed(external_id), stamp, mid])
        done["mentions"] += 1
        db.execute("UPDATE mention_sources SET reply_ref = '{}' WHERE mention_id = ?", [mid])
        # A reply not yet sent can no longer reach anyone: fail it rather than post a scrubbed text.
        db.execute("UPDATE deliveries SET state = 'failed', last_error = 'the author was erased'"
                   " WHERE mention_id = ? AND state IN ('pending', 'sending')", [mid])
        for table in ("drafts", "responses", "deliveries"):
            for rid, text in db.execute(f"SELECT id, text FROM {table} WHERE mention_id = ?", [mid]).fetchall():
                new = scrub(text, author)
                if new == text:
                    continue
                extra = ", erased_at = ?" if table == "responses" else ""
                db.execute(f"UPDATE {table} SET text = ?{extra} WHERE id = ?",
                           [new, stamp, rid] if extra else [new, rid])
                done[table] += 1
        for eid, data in db.execute(
                "SELECT id, data FROM events WHERE CAST(json_extract(data, '$.mention_id') AS TEXT) = CAST(? AS TEXT)"
                " AND json_type(data, '$.text') = 'text'", [mid]).fetchall():
            payload = json.loads(data)
            new = scrub(payload["text"], author)
            if new != payload["text"]:
                payload["text"] = new
                db.execute("UPDATE events SET data = ? WHERE id = ?",
                           [json.dumps(payload, separators=(",", ":"), sort_keys=True), eid])
                done["events"] += 1
    return done


def _erase_monitor_mentions(db: Database, now: datetime, ids: list[int]) -> int:
    stamp = iso(now)
    for mid in ids:
        (ext,) = db.execute("SELECT external_id FROM monitor_mentions WHERE id = ?", [mid]).fetchone()
        db.execute("UPDATE monitor_mentions SET author = '', text = '', url = '', followers = NULL,"
                   " external_id = ?, erased_at = ? WHERE id = ?", [_hashed(ext), stamp, mid])
    return len(ids)


def erase_author(db: Database, now: datetime, author, actor: str | None) -> dict:
    """A data-subject erasure: everything ``export_author`` finds is erased, in one
    transaction with its ``privacy.erased`` event (counts only). Returns the counts."""
    author = _author(author)
    with transaction(db):
        rows = db.execute("SELECT id, author, external_id FROM mentions WHERE author = ? COLLATE NOCASE"
                          " AND erased_at IS NULL ORDER BY id", [author]).fetchall()
        done = _erase_room_mentions(db, now, rows)
        monitor_ids = [r[0] for r in db.execute(
            "SELECT id FROM monitor_mentions WHERE author = ? COLLATE NOCASE AND erased_at IS NULL",
            [author])]
        done["monitor_mentions"] = _erase_monitor_mentions(db, now, monitor_ids)
        events.append(db, None, "privacy.erased", actor, dict(done), now)
    return done


# -- retention -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    mentions: int = 0
    monitor_mentions: int = 0

    @property
    def total(self) -> int:
        return self.mentions + self.monitor_mentions


def _cutoffs(db: Database, kind: str, table: str, default_days: int) -> list[tuple[int, int]]:
    """(room or monitor id, retention days) for each one: its team's, else the default."""
    rows = db.execute(
        f"SELECT t.id, teams.retention_days FROM {table} t"
        " LEFT JOIN team_resources r ON r.kind = ? AND r.ref = CAST(t.id AS TEXT)"
        " LEFT JOIN teams ON teams.id = r.team_id ORDER BY t.id", [kind]).fetchall()
    return [(ref, days if days is not None else default_days) for ref, days in rows]


def retention_sweep(db: Database, now: datetime, default_days: int = 0) -> RetentionResult:
    """Erase the personal fields of mentions received more than N days ago.

    N is the owning team's ``retention_days``, else ``default_days`` (the
    installation's ``[privacy] retention_days``); 0 keeps them. Runs in
    short transactions of at most ``CHUNK`` mentions; each one that erased
    something appends a ``privacy.retention`` event (counts only)."""
    erased_room = erased_monitor = 0
    for ref, days in _cutoffs(db, "room", "rooms", default_days):
        if not days:
            continue
        cutoff = iso(now - timedelta(days=days))
        while True:
            with transaction(db):
                rows = db.execute("SELECT id, author, external_id FROM mentions WHERE room_id = ?"
                                  " AND erased_at IS NULL AND received_at < ? ORDER BY id LIMIT ?",
                                  [ref, cutoff, CHUNK]).fetchall()
                if not rows:
                    break
                done = _erase_room_mentions(db, now, rows)
                events.append(db, None, "privacy.retention", None,
                              {"room_id": ref, "days": days, **done}, now)
            erased_room += len(rows)
    for ref, days in _cutoffs(db, "monitor", "monitors", default_days):
        if not days:
            continue
        cutoff = iso(now - timedelta(days=days))
        while True:
            with transaction(db):
                ids = [r[0] for r in db.execute(
                    "SELECT id FROM monitor_mentions WHERE monitor_id = ? AND erased_at IS NULL"
                    " AND received_at < ? ORDER BY id LIMIT ?", [ref, cutoff, CHUNK])]
                if not ids:
                    break
                n = _erase_monitor_mentions(db, now, ids)
                events.append(db, None, "privacy.retention", None,
                              {"monitor_id": ref, "days": days, "monitor_mentions": n}, now)
            erased_monitor += n
    return RetentionResult(erased_room, erased_monitor)


def set_retention(db: Database, now: datetime, team_id, days, actor: str | None) -> dict:
    """Set a team's retention in days (None: the installation default)."""
    if isinstance(team_id, bool) or not isinstance(team_id, int):
        raise PrivacyError("team", "team must be a team id")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36500):
        raise PrivacyError("retention_days", "retention_days must be a whole number of days from 1 to 36500,"
                                             " or null for the installation default")
    with transaction(db):
        row = db.execute("SELECT name FROM teams WHERE id = ?", [team_id]).fetchone()
        if row is None:
            raise PrivacyError("team", f"no team {team_id}", status=404)
        db.execute("UPDATE teams SET retention_days = ? WHERE id = ?", [days, team_id])
        events.append(db, None, "privacy.retention_set", actor,
                      {"team_id": team_id, "team": row[0], "retention_days": days}, now)
    return {"team_id": team_id, "team": row[0], "retention_days": days}


def retention_of(db: Database) -> list[dict]:
    return [{"team_id": r[0], "team": r[1], "retention_days": r[2]}
            for r in db.execute("SELECT id, name, retention_days FROM teams ORDER BY name")]
