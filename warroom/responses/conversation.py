"""One author's conversation with us in one room: their mentions and our
replies to them (drafts at every status and the published text), in time order.

An author is a handle on one source: ``@ana`` on Bluesky and ``@ana`` on
Mastodon need not be one person, so only mentions of the same source and
the same handle (case-insensitive, as platforms treat handles) belong to the
conversation, whichever channel (connector, feed, monitor, CSV) brought them.
An erased mention (``privacy``) has no author any more: its conversation is
itself and our replies to it, shown as ``[erased]``, never linked to others.
"""

from __future__ import annotations

from ..db import Database
from ..privacy import ERASED

MAX_MENTIONS = 500   # a bounded answer; ``more`` says when the author wrote more


def _rows(db: Database, sql: str, args) -> list[dict]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def conversation(db: Database, room_id: int, mention_id: int) -> dict | None:
    """The conversation of the author of ``mention_id`` in ``room_id``, or None
    when the mention is not in that room.

    ``items`` are ``{"type": "mention", ...}`` (at its ``created_at``) and
    ``{"type": "reply", "status": ..., ...}``: a published reply at its
    ``published_at``, any other draft at its last change (``updated_at``),
    ordered by that time, mentions before replies at the same instant."""
    row = db.execute("SELECT source, author, erased_at FROM mentions WHERE id = ? AND room_id = ?",
                     [mention_id, room_id]).fetchone()
    if row is None:
        return None
    source, author, erased_at = row
    cols = ("id, source, external_id, author, text, url, created_at, received_at, sentiment,"
            " sentiment_label, erased_at")
    erased = erased_at is not None or not author
    if erased:
        found = _rows(db, f"SELECT {cols} FROM mentions WHERE id = ?", [mention_id])
    else:
        found = _rows(db, f"SELECT {cols} FROM mentions WHERE room_id = ? AND source = ?"
                          " AND author = ? COLLATE NOCASE AND erased_at IS NULL"
                          " ORDER BY created_at, id LIMIT ?",
                      [room_id, source, author, MAX_MENTIONS + 1])
    more = len(found) > MAX_MENTIONS
    found = found[:MAX_MENTIONS]
    items: list[dict] = []
    for m in found:
        items.append({"type": "mention", "at": m["created_at"], "mention_id": m["id"],
                      "author": m["author"] or ERASED, "text": m["text"], "url": m["url"],
                      "source": m["source"], "received_at": m["received_at"],
                      "sentiment": m["sentiment"], "sentiment_label": m["sentiment_label"],
                      "erased": m["erased_at"] is not None})
    ids = [m["id"] for m in found]
    for i in range(0, len(ids), 400):   # below SQLite's variable limit
        part = ids[i:i + 400]
        marks = ",".join("?" for _ in part)
        for d in _rows(db, "SELECT d.id, d.mention_id, d.author, d.text, d.status, d.updated_at,"
                           " d.submitted_at, d.decided_by, r.id AS response_id, r.text AS published_text,"
                           " r.published_by, r.published_at"
                           f" FROM drafts d LEFT JOIN responses r ON r.draft_id = d.id"
                           f" WHERE d.room_id = ? AND d.mention_id IN ({marks})", [room_id, *part]):
            published = d["response_id"] is not None
            items.append({"type": "reply", "at": d["published_at"] if published else d["updated_at"],
                          "mention_id": d["mention_id"], "draft_id": d["id"],
                          "response_id": d["response_id"],
                          "status": "published" if published else d["status"],
                          "author": d["author"],
                          # the published text is final; a draft's is its latest revision
                          "text": d["published_text"] if published else d["text"],
                          "published_by": d["published_by"], "approved_by": d["decided_by"]})
    items.sort(key=lambda it: (it["at"], it["type"] != "mention", it.get("draft_id") or it["mention_id"]))
    return {"room": room_id, "mention_id": mention_id, "source": source,
            "author": ERASED if erased else author, "erased": erased,
            "mentions": len(found), "replies": sum(1 for it in items if it["type"] == "reply"),
            "more": more, "items": items}
