"""RSS/Atom feeds polled into a room's mentions (adapter: it does network I/O).

Each poll sends the validators the server gave last time (``If-None-Match``
with the ETag, ``If-Modified-Since`` with Last-Modified); a 304 costs one
round-trip and no parsing. The fetch happens outside any transaction; the
matching entries are then stored through ``mentions.ingest`` (one
transaction) and the feed's validators in another short one. An entry is
kept when its title or summary contains one of the room's playbook keywords
or the feed's own keywords (all entries when there are none).

Also the scheduler's listening jobs: feed polling and closing quiet minutes
of live streams for the spike detector.
"""

from __future__ import annotations

import calendar
import html
import logging
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser

from .. import __version__, events, playbooks, rooms
from ..clock import iso
from ..db import Database, transaction
from ..listening import mentions

log = logging.getLogger(__name__)
SOURCE = "rss"
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class FeedError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Feed:
    id: int
    room_id: int
    url: str
    keywords: str
    etag: str | None
    modified: str | None
    last_polled_at: str | None
    last_status: int | None
    last_error: str | None
    polls: int
    not_modified: int
    created_at: str


@dataclass(frozen=True)
class PollOutcome:
    feed_id: int
    status: int | None
    entries: int = 0
    matched: int = 0
    accepted: int = 0
    duplicates: int = 0
    error: str | None = None


_COLS = ("id, room_id, url, keywords, etag, modified, last_polled_at, last_status, last_error,"
         " polls, not_modified, created_at")


def add_feed(db: Database, now: datetime, room_id: int, url: str, keywords: str = "",
             actor: str | None = None) -> Feed:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 2000:
        raise FeedError("url", "the feed URL must be an http(s) URL of at most 2000 characters")
    words = ",".join(k.strip() for k in (keywords or "").split(",") if k.strip())
    with transaction(db):
        if rooms.get_room(db, room_id) is None:
            raise FeedError("room", f"no room {room_id}")
        if db.execute("SELECT 1 FROM feeds WHERE room_id = ? AND url = ?", [room_id, url]).fetchone():
            raise FeedError("url", f"room {room_id} already polls {url}")
        cur = db.execute(
            "INSERT INTO feeds (room_id, url, keywords, created_at) VALUES (?, ?, ?, ?)",
            [room_id, url, words, iso(now)],
        )
        events.append(db, room_id, "feed.added", actor, {"feed_id": cur.lastrowid, "url": url}, now)
    return get_feed(db, cur.lastrowid)


def get_feed(db: Database, feed_id: int) -> Feed | None:
    row = db.execute(f"SELECT {_COLS} FROM feeds WHERE id = ?", [feed_id]).fetchone()
    return Feed(*row) if row else None


def list_feeds(db: Database) -> list[Feed]:
    return [Feed(*r) for r in db.execute(f"SELECT {_COLS} FROM feeds ORDER BY id").fetchall()]


def due_feeds(db: Database, now: datetime, interval_seconds: int) -> list[Feed]:
    """Feeds of listening rooms not polled within the interval."""
    cutoff = iso(now - timedelta(seconds=interval_seconds))
    rows = db.execute(
        f"SELECT {', '.join('f.' + c.strip() for c in _COLS.split(','))} FROM feeds f"
        " JOIN rooms r ON r.id = f.room_id WHERE r.status != 'closed'"
        " AND (f.last_polled_at IS NULL OR f.last_polled_at <= ?) ORDER BY f.id",
        [cutoff],
    ).fetchall()
    return [Feed(*r) for r in rows]


def fetch(feed: Feed, timeout: float) -> tuple[int, bytes, dict]:
    """(status, body, headers) with the conditional headers; 304 is not an error."""
    headers = {"User-Agent": f"warroom/{__version__} (+feed poller)",
               "Accept": "application/rss+xml, application/atom+xml, application/xml, text/xml, */*"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.modified:
        headers["If-Modified-Since"] = feed.modified
    req = urllib.request.Request(feed.url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) only, checked on add)
            return resp.status, resp.read(), dict(resp.headers.items())
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", dict(exc.headers.items())
        raise


def _plain(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()


def entry_record(feed: Feed, entry, feed_title: str, now: datetime, max_text: int) -> dict:
    """A feedparser entry -> a raw mention record (validated by mentions)."""
    title = _plain(entry.get("title", ""))
    summary = _plain(entry.get("summary", ""))
    text = title if not summary or summary == title else f"{title}. {summary}" if title else summary
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    created = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else now
    guid = entry.get("id") or entry.get("link") or title
    return {
        "external_id": f"{feed.id}:{guid}"[:200],
        "source": SOURCE,
        "author": (_plain(entry.get("author", "")) or feed_title or feed.url)[:200],
        "text": text[:max_text],
        "url": entry.get("link", "") if str(entry.get("link", "")).startswith(("http://", "https://")) else "",
        "created_at": iso(min(created, now)),
    }


def keywords_for(db: Database, feed: Feed) -> list[str]:
    words = [k.strip().lower() for k in feed.keywords.split(",") if k.strip()]
    playbook = playbooks.room_playbook(db, feed.room_id)
    if playbook is not None:
        words += [k.lower() for k in playbook.keywords]
    return words


def matches(text: str, words: list[str]) -> bool:
    low = text.lower()
    return not words or any(w in low for w in words)


def _record_poll(db: Database, now: datetime, feed: Feed, status: int | None, headers: dict,
                 error: str | None) -> None:
    with transaction(db):
        etag = headers.get("ETag") or headers.get("Etag") or feed.etag
        modified = headers.get("Last-Modified") or feed.modified
        db.execute(
            "UPDATE feeds SET last_polled_at = ?, last_status = ?, last_error = ?, polls = polls + 1,"
            " not_modified = not_modified + ?, etag = ?, modified = ? WHERE id = ?",
            [iso(now), status, error, int(status == 304), etag, modified, feed.id],
        )


def poll_feed(db: Database, now: datetime, feed: Feed, scorer, timeout: float = 20,
              max_text: int = 10_000) -> PollOutcome:
    try:
        status, body, headers = fetch(feed, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{exc.__class__.__name__}: {getattr(exc, 'reason', exc)}"[:500]
        code = getattr(exc, "code", None)
        _record_poll(db, now, feed, code, {}, error)
        return PollOutcome(feed.id, code, error=error)
    if status == 304:
        _record_poll(db, now, feed, 304, headers, None)
        return PollOutcome(feed.id, 304)
    parsed = feedparser.parse(body, response_headers={"content-location": feed.url,
                                                      "content-type": headers.get("Content-Type", "")})
    feed_title = _plain(parsed.feed.get("title", ""))
    words = keywords_for(db, feed)
    batch, skipped = [], 0
    for i, entry in enumerate(parsed.entries, 1):
        rec = entry_record(feed, entry, feed_title, now, max_text)
        if not matches(rec["text"], words):
            continue
        try:
            batch.append(mentions.validate_one(rec, i, now))
        except mentions.MentionInvalid:
            skipped += 1  # one odd entry must not block the rest of the feed
    accepted = duplicates = 0
    error = f"{skipped} entries skipped as invalid" if skipped else None
    if batch:
        try:
            result = mentions.ingest(db, now, feed.room_id, batch, scorer, actor=f"feed:{feed.id}")
            accepted, duplicates = result.accepted, result.duplicates
        except mentions.RoomNotListening as exc:
            error = str(exc)
    _record_poll(db, now, feed, status, headers, error)
    return PollOutcome(feed.id, status, len(parsed.entries), len(batch), accepted, duplicates, error)


_scorer = None
_scorer_lock = threading.Lock()


def _default_scorer():
    global _scorer
    with _scorer_lock:
        if _scorer is None:
            from ..listening.sentiment import Scorer

            _scorer = Scorer()
        return _scorer


def poll_all(db: Database, now: datetime, settings, force: bool = False, scorer=None) -> list[PollOutcome]:
    cfg = settings.ingest
    todo = list_feeds(db) if force else due_feeds(db, now, cfg.feed_interval_seconds)
    scorer = scorer or _default_scorer()
    return [poll_feed(db, now, f, scorer, cfg.feed_timeout_seconds, cfg.max_text_chars) for f in todo]
