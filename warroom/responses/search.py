"""Searching a room's published replies (``responses_fts`` of migration
0052): the same query language as the mentions' search (``listening.search``
parses it, so a reply and a mention are found by the same words), the
replier, a time range on ``published_at``, newest first with ``before`` as
the cursor."""

from __future__ import annotations

from dataclasses import dataclass

from .. import dialect
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
    if not 1 <= limit <= msearch.MAX_PAGE:
        raise msearch.SearchInvalid("limit", f"limit must be between 1 and {msearch.MAX_PAGE}")
    for name, values in (("source", crit.sources), ("lang", crit.langs), ("sentiment", crit.sentiments)):
        if values:
            raise msearch.SearchInvalid(name, f"{name} filters mentions; replies have none")
    where, args = ["r.room_id = ?"], [room_id]
    if before is not None:
        where.append("r.id < ?")
        args.append(before)
    if crit.author:
        where.append("r.author = ? COLLATE NOCASE")
        args.append(crit.author)
    if crit.since:
        where.append("r.published_at >= ?")
        args.append(crit.since)
    if crit.until:
        where.append("r.published_at <= ?")
        args.append(crit.until)
    cols = ", ".join("r." + c.strip() for c in _RESP_COLS.split(","))
    if crit.text:
        key, match, match_args = dialect.text_match(db.dialect, "responses_fts", crit.text)
        sql = (f"SELECT {cols} FROM responses_fts JOIN responses r ON r.id = responses_fts.{key}"
               f" WHERE {match} AND {' AND '.join(where)} ORDER BY responses_fts.{key} DESC LIMIT ?")
        args = [*match_args, *args]
    else:
        sql = f"SELECT {cols} FROM responses r WHERE {' AND '.join(where)} ORDER BY r.id DESC LIMIT ?"
    rows = db.execute(sql, [*args, limit + 1]).fetchall()
    found = [Response(*r) for r in rows[:limit]]
    return Page(found, found[-1].id if len(rows) > limit else None)
