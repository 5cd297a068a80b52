"""Checking untrusted values at the edge: integers, strings, timestamps and
JSON. Pure (no Flask, no database); every adapter and the ingest path use it,
so a hostile value is refused the same way wherever it arrives.

Each check returns the clean value or raises ``Invalid`` (a ``ValueError``
naming the ``field``), which the adapters already turn into a 4xx or a
Socket.IO ``{"error", "field"}`` reply.

- Integers must fit SQLite's signed 64-bit INTEGER (a larger Python int makes
  sqlite3 raise OverflowError at the query); ``bool`` is not an integer, nor is
  ``1.5``; text is accepted only where asked for, as ASCII digits.
- Strings must be valid Unicode: JSON may carry a lone surrogate (``"\\ud800"``)
  that Python holds but cannot encode as UTF-8, so SQLite, Jinja and
  ``jsonify`` would fail on it later.
- Timestamps are ISO-8601 with an offset (none means UTC), converted to UTC,
  and must fall in [1970-01-01, 9999-01-01). Below: every epoch-based consumer
  (Slack's ``ts``, the charts, calendar feeds) needs non-negative seconds, and
  no social post is older. Above: the product does arithmetic around a stored
  time (a day of volume window, minute buckets, 14-day rosters, a viewer's
  time-zone offset) and Python's datetime ends at year 9999, so a year of
  headroom keeps that arithmetic from overflowing; a timestamp that converts
  outside year 1..9999 at all is refused rather than raising.
- JSON is parsed with a nesting limit (``MAX_DEPTH``) and no NaN/Infinity, and
  the whole tree is checked for lone surrogates, keys included.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from .clock import OutsideCalendar, parse_iso

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
TS_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TS_MAX = datetime(9999, 1, 1, tzinfo=UTC)  # exclusive
MAX_DEPTH = 32
_DIGITS = re.compile(r"[+-]?[0-9]{1,19}")  # ASCII only: str.isdigit() also takes "²"


class Invalid(ValueError):
    """A refused value; ``field`` names it for the client."""

    def __init__(self, field: str, message: str, reason: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.reason = reason  # json's own message, when the text was not JSON


def integer(value, field: str, *, low: int = INT_MIN, high: int = INT_MAX,
            from_text: bool = False) -> int:
    """A whole number within [low, high] (SQLite's range by default)."""
    if isinstance(value, str) and from_text:
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            raise Invalid(field, f"{field} must be a whole number")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, f"{field} must be a whole number")
    if not low <= value <= high:
        raise Invalid(field, f"{field} must be between {low} and {high}")
    return value


def optional_integer(value, field: str, **kw) -> int | None:
    """``integer`` where None or "" mean absent."""
    if value is None or value == "":
        return None
    return integer(value, field, **kw)


def is_unicode(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (it cannot be UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text(value, field: str, *, max_len: int | None = None) -> str:
    """A string of valid Unicode, at most ``max_len`` characters."""
    if not isinstance(value, str):
        raise Invalid(field, f"{field} must be a string")
    if not is_unicode(value):
        raise Invalid(field, f"{field} is not valid Unicode (a lone surrogate)")
    if "\x00" in value:
        raise Invalid(field, f"{field} holds a NUL character")
    if max_len is not None and len(value) > max_len:
        raise Invalid(field, f"{field} is longer than {max_len} characters")
    return value


def timestamp(value, field: str) -> datetime:
    """ISO-8601 text (Z, an offset, or naive = UTC) -> an aware UTC datetime in range."""
    if not isinstance(value, str) or not is_unicode(value):
        raise Invalid(field, f"{field} must be an ISO-8601 timestamp")
    try:
        utc = parse_iso(value)
    except OutsideCalendar:
        utc = None
    except ValueError:
        raise Invalid(field, f"{field} must be an ISO-8601 timestamp, got {value[:40]!r}") from None
    if utc is None or not TS_MIN <= utc < TS_MAX:
        raise Invalid(field, f"{field} must be between {TS_MIN:%Y-%m-%d} and {TS_MAX:%Y-%m-%d} (UTC),"
                      f" got {value[:40]!r}")
    return utc


def tree(value, field: str = "body", max_depth: int = MAX_DEPTH, unicode: bool = True):
    """Check a decoded JSON value: nesting at most ``max_depth`` and, with
    ``unicode``, every string (keys too) valid Unicode. The error names the
    top-level key it was found under (else ``field``). Iterative, so a deep
    value cannot exhaust the stack."""
    stack = [(value, 1, field)]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, str):
            if unicode and not is_unicode(item):
                raise Invalid(where, f"{where} holds text that is not valid Unicode (a lone surrogate)")
            if unicode and "\x00" in item:  # PostgreSQL cannot store it; no one types it
                raise Invalid(where, f"{where} holds a NUL character")
        elif isinstance(item, (dict, list, tuple)):
            if depth > max_depth:
                raise Invalid(where, f"{where} is nested more than {max_depth} levels deep")
            if isinstance(item, dict):
                for k, v in item.items():
                    # the top level's keys name the field; below, the field stays
                    name = k if depth == 1 and isinstance(k, str) and k and is_unicode(k) else where
                    stack.append((k, depth, where))
                    stack.append((v, depth + 1, name))
            else:
                stack.extend((v, depth + 1, where) for v in item)
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def loads(raw: str | bytes, field: str = "body", max_depth: int = MAX_DEPTH, unicode: bool = True):
    """``json.loads`` that raises ``Invalid`` for anything that is not plain,
    checkable JSON: bad syntax, NaN/Infinity, numbers of more than 4300
    digits, nesting deeper than ``max_depth``, lone surrogates (unless
    ``unicode`` is False: the caller checks each field it keeps and names it)."""
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise Invalid(field, f"{field} is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise Invalid(field, f"{field} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                      reason=exc.msg) from None
    except (ValueError, UnicodeDecodeError) as exc:  # int digits limit, bad UTF-8, NaN
        raise Invalid(field, f"{field} is not acceptable JSON: {exc}"[:200]) from None
    return tree(value, field, max_depth, unicode)
