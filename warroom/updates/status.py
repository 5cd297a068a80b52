"""The public status page's read model and its Atom feed (pure rendering).

What it shows, and nothing else: rooms that are not private, each with its
published public updates in publication order. A room made private after
its updates went out disappears from the page (``accounts.is_private`` is
asked on every read). Unapproved, rejected and internal updates never
appear: only ``status = 'published' AND audience = 'public'`` is read.

Each view has a validator (``etag``: it changes exactly when what the page
shows changes) and a ``last_modified`` time, so readers and caches can ask
"changed since?" and get a 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .. import accounts
from ..db import Database


@dataclass(frozen=True)
class PublicUpdate:
    id: int
    text: str
    published_at: str
    is_final: bool
    next_update_at: str | None


@dataclass(frozen=True)
class StatusRoom:
    room_id: int
    slug: str
    title: str
    status: str  # open | monitoring | closed
    closed_at: str | None
    updates: tuple[PublicUpdate, ...]

    @property
    def last_modified(self) -> str:
        stamps = [u.published_at for u in self.updates] + ([self.closed_at] if self.closed_at else [])
        return max(stamps)

    @property
    def etag(self) -> str:
        parts = f"{self.room_id}|{self.slug}|{self.title}|{self.status}|" + ",".join(
            str(u.id) for u in self.updates)
        return hashlib.sha256(parts.encode()).hexdigest()[:32]


def _updates(db: Database, room_id: int) -> tuple[PublicUpdate, ...]:
    rows = db.execute(
        "SELECT id, text, published_at, is_final, next_update_at FROM stakeholder_updates"
        " WHERE room_id = ? AND status = 'published' AND audience = 'public'"
        " ORDER BY published_at, id", [room_id]).fetchall()
    return tuple(PublicUpdate(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows)


def _room(db: Database, room_id: int, slug: str) -> StatusRoom | None:
    if accounts.is_private(db, room_id):
        return None
    row = db.execute("SELECT title, status, closed_at FROM rooms WHERE id = ?", [room_id]).fetchone()
    updates = _updates(db, room_id)
    if row is None or not updates:
        return None
    return StatusRoom(room_id, slug, row[0], row[1], row[2], updates)


def status_room(db: Database, slug: str) -> StatusRoom | None:
    """The room behind a status page slug, or None (unknown, private, or nothing public)."""
    row = db.execute("SELECT room_id FROM status_pages WHERE slug = ?", [slug]).fetchone()
    return _room(db, row[0], slug) if row else None


def status_slug(db: Database, room_id: int) -> str | None:
    row = db.execute("SELECT slug FROM status_pages WHERE room_id = ?", [room_id]).fetchone()
    return row[0] if row else None


def status_index(db: Database) -> list[StatusRoom]:
    """Every room with a public page, the most recently updated first."""
    found = [_room(db, room_id, slug) for room_id, slug in db.execute("SELECT room_id, slug FROM status_pages")]
    rooms = [r for r in found if r is not None]
    return sorted(rooms, key=lambda r: (r.last_modified, r.room_id), reverse=True)


def index_etag(rooms: list[StatusRoom]) -> str:
    return hashlib.sha256("|".join(r.etag for r in rooms).encode()).hexdigest()[:32]


def atom_feed(room: StatusRoom, page_url: str, feed_url: str) -> str:
    """The room's public updates as an Atom 1.0 feed (RFC 4287), newest first."""
    def entry(u: PublicUpdate, n: int) -> str:
        title = ("Final update" if u.is_final else f"Update {n}") + f" on {room.title}"
        return (
            "  <entry>\n"
            f"    <id>{escape(page_url)}#update-{u.id}</id>\n"
            f"    <title>{escape(title)}</title>\n"
            f"    <updated>{u.published_at}</updated>\n"
            f"    <link rel=\"alternate\" href={quoteattr(f'{page_url}#update-{u.id}')}/>\n"
            f"    <content type=\"text\">{escape(u.text)}</content>\n"
            "  </entry>\n"
        )

    entries = "".join(entry(u, n) for n, u in reversed(list(enumerate(room.updates, 1))))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>{escape(page_url)}</id>\n"
        f"  <title>{escape(room.title)}: status updates</title>\n"
        f"  <updated>{room.last_modified}</updated>\n"
        "  <author><name>Warroom status</name></author>\n"
        f"  <link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(feed_url)}/>\n"
        f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(page_url)}/>\n"
        f"{entries}"
        "</feed>\n"
    )
