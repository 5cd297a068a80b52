"""Searching a room's mentions: full text (SQLite FTS5, ``mentions_fts`` of
migration 0038) and filters, newest first, a page at a time.

The query language is small and parsed here, never handed to FTS5 as typed:
words (all must match), ``"a phrase"``, ``-word`` (must not match), ``word*``
(a prefix) and ``OR`` between two terms. Each term reaches FTS5 as a quoted
string, so a stray ``(``, ``:``, ``^``, ``NEAR`` or ``AND`` is a word like any
other and cannot change the query; what cannot be read (an unclosed quote, a
dangling ``OR``, only exclusions) is a ``SearchInvalid`` naming the field,
which the API answers with a 400. Words match whole tokens after Unicode
case folding and without diacritics, in any language: nothing here assumes
one brand, platform or alphabet. A handle is a word too (``@klm`` and ``klm``
find the same posts: author and text are both indexed).

Filters are exact: ``author`` is one handle (any case, the @ optional),
``source`` one or more platforms, ``lang`` one or more language codes,
``sentiment`` one or more labels; ``since``/``until`` bound ``created_at``
(when the post was made, which is what a reader means by "between 9 and 10").
Pages go newest first by id with ``before`` as the cursor: stable while a
storm adds rows, and cheap on 100,000 mentions (FTS5 walks its rowids in
order and stops at the page's end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .. import dialect
from .. import validate as checks
from ..clock import iso
from ..db import Database
from .mentions import _COLS, Mention

MAX_QUERY = 500        # characters of q
MAX_TERMS = 16         # terms in one query: each one is a walk of the index
MAX_VALUES = 20        # values of one list filter
MAX_PAGE = 200
SENTIMENTS = ("negative", "neutral", "positive", "unknown")  # "unknown": languages the scorer cannot read
_WORDISH = re.compile(r"\w", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SearchInvalid(ValueError):
    """A query or filter that cannot be read; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _tokens(q: str, field: str) -> list[str]:
    """Split into words and "phrases" (a phrase keeps its leading - and trailing *)."""
    out, i, n = [], 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        start = i
        if q[i] == "-" and i + 1 < n and q[i + 1] == '"':
            i += 1
        if q[i] == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise SearchInvalid(field, f"{field} has an unclosed quote (a phrase is \"two words\")")
            i = end + 1
            if i < n and q[i] == "*":
                i += 1
            if i < n and not q[i].isspace():
                raise SearchInvalid(field, f"{field}: put a space after a closing quote")
        else:
            while i < n and not q[i].isspace():
                if q[i] == '"':
                    raise SearchInvalid(field, f"{field} has a quote inside a word; quote whole phrases")
                i += 1
        out.append(q[start:i])
    return out


def _term(tok: str) -> tuple[bool, dialect.Term | None]:
    """(excluded, term) for one token; None when it holds nothing to search for."""
    neg = tok.startswith("-") and len(tok) > 1
    body = tok[1:] if neg else tok
    prefix = body.endswith("*") and len(body) > 1
    if prefix:
        body = body[:-1]
    if body.startswith('"'):
        body = body[1:-1]
    if not _WORDISH.search(body):
        return neg, None  # punctuation alone: the tokenizer would find no word in it
    return neg, dialect.Term(body, prefix)


def parse_query(q, field: str = "q") -> dialect.TextQuery | None:
    """The user's query, read into terms (None: nothing to match on).

    Each term is text to look for (its words as a phrase), never syntax: the
    store's own query language is written from these by ``dialect.text_match``.
    OR joins the terms either side of it, and adjacent terms are ANDed."""
    if q is None:
        return None
    if not isinstance(q, str) or not checks.is_unicode(q):
        raise SearchInvalid(field, f"{field} must be text")
    q = q.strip()
    if not q:
        return None
    if len(q) > MAX_QUERY:
        raise SearchInvalid(field, f"{field} is longer than {MAX_QUERY} characters")
    if _CONTROL.search(q):
        # FTS5 ends a quoted string at NUL ("unterminated string"); no one types these
        raise SearchInvalid(field, f"{field} must not contain control characters")
    groups: list[list[dialect.Term]] = []   # ANDed groups of ORed terms
    excluded: list[dialect.Term] = []
    pending_or = False
    for tok in _tokens(q, field):
        if tok == "OR":
            if not groups or pending_or:
                raise SearchInvalid(field, f"{field}: OR needs a word on each side")
            pending_or = True
            continue
        neg, term = _term(tok)
        if neg:
            if pending_or:
                raise SearchInvalid(field, f"{field}: OR cannot join an excluded word")
            if term:
                excluded.append(term)
            continue
        if term is None:
            if pending_or:
                raise SearchInvalid(field, f"{field}: OR needs a word on each side")
            continue
        if pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    if pending_or:
        raise SearchInvalid(field, f"{field}: OR needs a word on each side")
    if not groups:
        if excluded:
            raise SearchInvalid(field, f"{field} needs at least one word to look for, not only -exclusions")
        raise SearchInvalid(field, f"{field} has no words to search for")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise SearchInvalid(field, f"{field} has more than {MAX_TERMS} terms")
    return dialect.TextQuery(tuple(tuple(g) for g in groups), tuple(excluded))


def _values(raw, field: str, allowed: tuple[str, ...] | None = None, limit: int = 64) -> list[str]:
    """A list filter: a comma-separated string or a list of strings, lower-cased."""
    if raw is None or raw == "" or raw == []:
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise SearchInvalid(field, f"{field} must be text")
    out = []
    for v in items:
        if not isinstance(v, str) or not checks.is_unicode(v) or len(v) > limit:
            raise SearchInvalid(field, f"{field} values must be text of at most {limit} characters")
        v = v.strip().lower()
        if not v:
            continue
        if allowed is not None and v not in allowed:
            raise SearchInvalid(field, f"{field} must be one of {', '.join(allowed)}, not {v!r}")
        out.append(v)
    if len(out) > MAX_VALUES:
        raise SearchInvalid(field, f"{field} has more than {MAX_VALUES} values")
    return out


def _time(raw, field: str) -> str | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return iso(raw)
    try:
        return iso(checks.timestamp(raw, field))
    except checks.Invalid as exc:
        raise SearchInvalid(field, str(exc)) from None


@dataclass(frozen=True)
class Criteria:
    """A checked search; build it with ``criteria(...)``."""

    text: dialect.TextQuery | None = None
    author: str | None = None
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None


def criteria(q=None, author=None, source=None, lang=None, sentiment=None, since=None, until=None) -> Criteria:
    """Check every filter (SearchInvalid names the first bad one)."""
    if author is not None and author != "":
        if not isinstance(author, str) or not checks.is_unicode(author) or len(author) > 200:
            raise SearchInvalid("author", "author must be a handle of at most 200 characters")
        author = author.strip().lstrip("@") or None
    else:
        author = None
    lo, hi = _time(since, "since"), _time(until, "until")
    if lo and hi and lo > hi:
        raise SearchInvalid("until", "until is before since")
    return Criteria(parse_query(q), author, tuple(_values(source, "source")), tuple(_values(lang, "lang", limit=16)),
                    tuple(_values(sentiment, "sentiment", SENTIMENTS)), lo, hi)


@dataclass(frozen=True)
class Page:
    mentions: list[Mention]
    next_before: int | None   # the cursor of the next (older) page; None: this was the last


def _marks(values) -> str:
    return ",".join("?" for _ in values)


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise SearchInvalid("limit", f"limit must be between 1 and {MAX_PAGE}")


def room_filter(alias: str, room_id: int, before: int | None, crit: Criteria,
                time_col: str) -> tuple[list[str], list]:
    """The conditions every search of a room's rows starts from: the room, the
    page cursor (ids below ``before``) and the time range on ``time_col``."""
    where, args = [f"{alias}.room_id = ?"], [room_id]
    if before is not None:
        where.append(f"{alias}.id < ?")
        args.append(before)
    if crit.since:
        where.append(f"{alias}.{time_col} >= ?")
        args.append(crit.since)
    if crit.until:
        where.append(f"{alias}.{time_col} <= ?")
        args.append(crit.until)
    return where, args


def newest_first(db: Database, *, table: str, alias: str, cols: str, where: list[str], args: list,
                 text: dialect.TextQuery | None, limit: int, hint: str = "") -> list[tuple]:
    """Up to ``limit + 1`` rows of ``table`` meeting ``where`` (and matching
    ``text`` in its ``<table>_fts`` index), newest first: one more than a page
    says whether there is a next one."""
    cols = ", ".join(f"{alias}." + c.strip() for c in cols.split(","))
    if text:
        fts = f"{table}_fts"
        key, match, match_args = dialect.text_match(db.dialect, fts, text)
        sql = (f"SELECT {cols} FROM {fts} JOIN {table} {alias} ON {alias}.id = {fts}.{key}"
               f" WHERE {match} AND {' AND '.join(where)} ORDER BY {fts}.{key} DESC LIMIT ?")
        args = [*match_args, *args]
    else:
        sql = f"SELECT {cols} FROM {table} {alias}{hint} WHERE {' AND '.join(where)} ORDER BY {alias}.id DESC LIMIT ?"
    return db.execute(sql, [*args, limit + 1]).fetchall()


def search(db: Database, room_id: int, crit: Criteria, before: int | None = None, limit: int = 50) -> Page:
    """A room's mentions matching ``crit``, newest first, ids below ``before``."""
    check_limit(limit)
    where, args = room_filter("m", room_id, before, crit, "created_at")
    if crit.author:
        # the stored handle with or without its @ (platforms differ)
        where.append("m.author COLLATE NOCASE IN (?, ?)")
        args += [crit.author, "@" + crit.author]
    for col, values in (("source", crit.sources), ("lang", crit.langs), ("sentiment_label", crit.sentiments)):
        if values:
            where.append(f"lower(m.{col}) IN ({_marks(values)})")
            args += list(values)
    # One author's posts straight from their index (room, handle, id), not a
    # walk of the whole room newest first looking for them.
    hint = " INDEXED BY mentions_room_author" if crit.author and not crit.text else ""
    rows = newest_first(db, table="mentions", alias="m", cols=_COLS, where=where, args=args,
                        text=crit.text, limit=limit, hint=hint)
    found = [Mention(*r) for r in rows[:limit]]
    return Page(found, found[-1].id if len(rows) > limit else None)
