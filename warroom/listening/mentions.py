"""Mentions: validating, de-duplicating, scoring and storing posts about a room.

``validate`` is pure: raw records (dicts from JSON, CSV or a feed) in,
normalised ``NewMention`` tuples out, or ``MentionInvalid`` naming the row and
the field. ``ingest`` gives each mention its language (the platform's
``lang`` when sane, else detected, the whole batch in one loop), scores the batch
in that language (before taking the write lock: scoring
is the costly part), then in ONE transaction inserts the new rows with one
``executemany`` (a ``(source, external_id)`` this room already has is skipped
and counted as a duplicate; another room may hold the same post), adds them to the room's per-minute counts, appends one
``mentions.received`` event and lets ``volume.advance`` run the spike detector
over the minutes that closed. Nothing of a bad batch is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from .. import events, rooms
from .. import validate as checks
from ..clock import iso
from ..db import Database, transaction
from . import clusters, language, minhash, volume

REQUIRED = ("external_id", "source", "author", "text", "url", "created_at")
EVENT_IDS = 200  # ids listed in one mentions.received event


@dataclass(frozen=True)
class Limits:
    """Per-field limits (characters); longer values are refused, not cut."""

    text: int = 10_000
    author: int = 200
    external_id: int = 200
    source: int = 64
    url: int = 2_000
    lang: int = 16
    # created_at further ahead of `now` than this is a bad clock, not a post
    # (a little skew is normal; more would close minutes that have not happened).
    future_minutes: int = 5


class MentionInvalid(ValueError):
    """A bad record. ``status`` is 422 (bad value) or 413 (over a field limit)."""

    def __init__(self, row: int, field: str, message: str, status: int = 422):
        super().__init__(f"row {row}: {field}: {message}")
        self.row = row
        self.field = field
        self.message = message
        self.status = status


class RoomNotListening(ValueError):
    def __init__(self, room_id: int, message: str):
        super().__init__(message)
        self.room_id = room_id
        self.field = "room"


class NewMention(NamedTuple):
    source: str
    external_id: str
    author: str
    text: str
    url: str
    created_at: str  # iso() form
    lang: str | None
    followers: int | None


@dataclass(frozen=True)
class Mention:
    id: int
    room_id: int
    source: str
    external_id: str
    author: str
    text: str
    url: str
    created_at: str
    received_at: str
    lang: str | None
    followers: int | None
    sentiment: float
    sentiment_label: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    negative: int
    ids: tuple[int, ...]
    alarms: tuple[volume.MinuteDecision, ...]


def _text_field(rec: dict, name: str, row: int, limit: int, *, required: bool = True,
                allow_empty: bool = False) -> str | None:
    value = rec.get(name)
    if value is None:
        if required:
            raise MentionInvalid(row, name, f"the field {name!r} is missing")
        return None
    if name == "external_id" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise MentionInvalid(row, name, f"{name} must be a string, got {type(value).__name__}")
    if not checks.is_unicode(value):
        raise MentionInvalid(row, name, f"{name} is not valid Unicode (a lone surrogate)")
    value = value.strip()
    if not value and not allow_empty:
        raise MentionInvalid(row, name, f"{name} must not be empty")
    if len(value) > limit:
        raise MentionInvalid(row, name, f"{name} is longer than {limit} characters", status=413)
    return value


def validate_one(rec, row: int, now: datetime, limits: Limits = Limits(),
                 default_source: str | None = None) -> NewMention:
    """One raw record -> NewMention; ``row`` (1-based) goes into the error."""
    if not isinstance(rec, dict):
        raise MentionInvalid(row, "row", f"each mention must be a JSON object, got {type(rec).__name__}")
    if default_source is not None and rec.get("source") is None:
        rec = {**rec, "source": default_source}
    source = _text_field(rec, "source", row, limits.source).lower()
    if default_source is not None and source != default_source:
        raise MentionInvalid(row, "source", f"this token posts for source {default_source!r}, not {source!r}")
    external_id = _text_field(rec, "external_id", row, limits.external_id)
    author = _text_field(rec, "author", row, limits.author)
    text = _text_field(rec, "text", row, limits.text)
    url = _text_field(rec, "url", row, limits.url, allow_empty=True)
    if url and not url.startswith(("http://", "https://")):
        raise MentionInvalid(row, "url", "url must start with http:// or https://")
    raw_ts = rec.get("created_at")
    if raw_ts is None:
        raise MentionInvalid(row, "created_at", "the field 'created_at' is missing")
    try:
        # In UTC and within the years the product can store, count and show
        # (validate.TS_MIN..TS_MAX): year 1 at +01:00 used to break /volume.
        created = checks.timestamp(raw_ts, "created_at")
    except checks.Invalid as exc:
        raise MentionInvalid(row, "created_at", str(exc)) from None
    if created > now + timedelta(minutes=limits.future_minutes):
        raise MentionInvalid(row, "created_at", f"created_at {raw_ts!r} is in the future")
    lang = _text_field(rec, "lang", row, limits.lang, required=False, allow_empty=True) or None
    try:
        followers = checks.optional_integer(rec.get("followers"), "followers", low=0)
    except checks.Invalid:
        raise MentionInvalid(row, "followers",
                             f"followers must be a whole number from 0 to {checks.INT_MAX}") from None
    return NewMention(source, external_id, author, text, url, iso(created), lang, followers)


def validate(records, now: datetime, limits: Limits = Limits(),
             default_source: str | None = None, rows: list[int] | None = None) -> list[NewMention]:
    """Validate a whole batch; the first bad record raises (nothing is partial)."""
    out = []
    for i, rec in enumerate(records):
        out.append(validate_one(rec, rows[i] if rows else i + 1, now, limits, default_source))
    return out


def _room_for_ingest(db: Database, room_id: int) -> rooms.Room:
    room = rooms.get_room(db, room_id)
    if room is None:
        raise RoomNotListening(room_id, f"no room {room_id}")
    if room.status == "closed":
        raise RoomNotListening(room_id, f"room {room_id} is closed and no longer listens")
    return room


def ingest(db: Database, now: datetime, room_id: int, batch: list[NewMention], scorer,
           actor: str | None = None, detector_params=None, charge=None,
           clustering: bool = True) -> IngestResult:
    """Store a validated batch in one transaction; see the module docstring.
    New mentions join their near-duplicate clusters (``clusters``) in it too;
    ``clustering=False`` is for the bench's baseline only.

    ``charge(db)``, when given, runs first inside that transaction (an ingestion
    token's rate: one write transaction per request, not two).
    """
    _room_for_ingest(db, room_id)
    received = iso(now)
    tagged = [language.platform_lang(m.lang) for m in batch]
    # One normalisation serves language detection and clustering.
    words = [minhash.normalise(m.text) if clustering or lang is None else ""
             for m, lang in zip(batch, tagged, strict=True)]
    # The whole batch's detection in one loop, before any scoring: lingua's
    # models stay in the CPU's caches (interleaved with scoring, each call
    # cost about three times as much in bench/queue_storm.py).
    langs = [lang or language.detect_words(w) for lang, w in zip(tagged, words, strict=True)]
    prepared = ({(m.source, m.external_id): clusters.prepare(m.text, w) for m, w in zip(batch, words, strict=True)}
                if clustering else None)
    scored = []
    for m, lang in zip(batch, langs, strict=True):
        s = scorer.score(m.text, lang)
        compound = float(s.compound)
        if math.isnan(compound):
            compound = 0.0
        scored.append((room_id, *m._replace(lang=lang), received, compound, s.label))
    with transaction(db):
        if charge is not None:
            charge(db)
        _room_for_ingest(db, room_id)  # it may have closed meanwhile
        before = db.execute("SELECT COALESCE(MAX(id), 0) FROM mentions").fetchone()[0]
        db.conn.executemany(
            "INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
            " lang, followers, received_at, sentiment, sentiment_label)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (room_id, source, external_id) DO NOTHING",
            scored,
        )
        # The new rows are the ids above the old maximum (we hold the write
        # lock). Not total_changes: the search index's triggers count there too.
        ids: tuple[int, ...] = tuple(r[0] for r in db.execute(
            "SELECT id FROM mentions WHERE id > ? ORDER BY id", [before]).fetchall())
        accepted = len(ids)
        negative = 0
        alarms: tuple = ()
        if accepted:
            negative = volume.count_new(db, room_id, before)
            if prepared is not None:
                clusters.assign_new(db, room_id, before, prepared)
            events.append(db, room_id, "mentions.received", actor, {
                "count": accepted, "ids": list(ids[:EVENT_IDS]), "negative": negative,
                "duplicates": len(batch) - accepted, "sources": sources_since(db, room_id, before),
            }, now)
            alarms = tuple(volume.advance(db, now, room_id, params=detector_params))
    return IngestResult(accepted, len(batch) - accepted, negative, ids, alarms)


def sources_since(db: Database, room_id: int, before: int) -> list[str]:
    """The sources of a room's mentions with id > before (one batch's): the
    board's timeline says where a storm comes from."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT source FROM mentions WHERE room_id = ? AND id > ? ORDER BY source",
        [room_id, before])]


_COLS = ("id, room_id, source, external_id, author, text, url, created_at, received_at,"
         " lang, followers, sentiment, sentiment_label")


def listing(db: Database, room_id: int, after: int = 0, limit: int = 100) -> list[Mention]:
    """A room's mentions with id > after, oldest first."""
    rows = db.execute(
        f"SELECT {_COLS} FROM mentions WHERE room_id = ? AND id > ? ORDER BY id LIMIT ?",
        [room_id, after, limit],
    ).fetchall()
    return [Mention(*r) for r in rows]


def latest(db: Database, room_id: int, limit: int = 50) -> list[Mention]:
    """A room's newest mentions, newest first."""
    rows = db.execute(
        f"SELECT {_COLS} FROM mentions WHERE room_id = ? ORDER BY id DESC LIMIT ?",
        [room_id, limit],
    ).fetchall()
    return [Mention(*r) for r in rows]


def get(db: Database, mention_id: int) -> Mention | None:
    row = db.execute(f"SELECT {_COLS} FROM mentions WHERE id = ?", [mention_id]).fetchone()
    return Mention(*row) if row else None


def count(db: Database, room_id: int) -> int:
    return db.execute("SELECT COUNT(*) FROM mentions WHERE room_id = ?", [room_id]).fetchone()[0]
