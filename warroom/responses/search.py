"""Searching a room's published replies (``responses_fts`` of migration
0052): the same query language as the mentions' search (``listening.search``
parses it, so a reply and a mention are found by the same words), the
replier, a time range on ``published_at``, newest first with ``before`` as
the cursor."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Database
from ..listening import search as msearch
from .workflow import _RESP_COLS, Response


@dataclass(frozen=True)
class Page:
    replies: list[Response]
    next_before: int | None


def search_replies(db: Database, room_id: int, crit: msearch.Criteria, before: int | None = None,
                   limit: int = 50) -> Page:
    """Published replies of a room matching ``crit`` (its text query, ``author``
    as the person who wrote the reply, ``since``/``until``), newest first.
    The mention-only filters (source, lang, sentiment) are refused: a reply has
    none of its own."""
    msearch.check_limit(limit)
    for name, values in (("source", crit.sources), ("lang", crit.langs), ("sentiment", crit.sentiments)):
        if values:
            raise msearch.SearchInvalid(name, f"{name} filters mentions; replies have none")
    where, args = msearch.room_filter("r", room_id, before, crit, "published_at")
    if crit.author:
        where.append("r.author = ? COLLATE NOCASE")
        args.append(crit.author)
    rows = msearch.newest_first(db, table="responses", alias="r", cols=_RESP_COLS, where=where, args=args,
                                text=crit.text, limit=limit)
    found = [Response(*r) for r in rows[:limit]]
    return Page(found, found[-1].id if len(rows) > limit else None)
