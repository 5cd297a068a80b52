"""The one small interface every platform connector implements.

A connector does the platform's network I/O and nothing else: it turns the
platform's posts into ``Post`` values and an approved text into a reply on
the platform. Storing posts as mentions, keeping the cursor, encrypting the
credentials and the exactly-once publishing bookkeeping live beside it in
this package and are the same for every platform, so that X, Reddit or
YouTube later are one module each.

Contract, per method:

- ``listen(cursor, stop)`` yields ``Batch`` values in the platform's order.
  ``batch.cursor`` is the position *after* the batch: the caller stores the
  batch's posts and the cursor in one transaction, so a restart resumes from
  the last stored batch and loses nothing; posts seen twice around a crash
  are dropped by the ``(room, source, external_id)`` rule. It returns when
  ``stop`` is set, and raises ``ConnectorError`` for what the caller should
  show on the connector's state (``retryable`` says whether to back off and
  try again or to wait for a person, as for a revoked credential).
- ``reply(target, text, key)`` posts ``text`` as a reply to ``target`` (the
  ``reply_ref`` a ``Post`` carried) and returns where it landed. ``key`` is
  fixed before the first attempt and is the same on every retry; each
  connector uses it so that a retry after a crash cannot post twice (a
  record key chosen up front, an idempotency header, or a look-up first).
- ``find_reply(target, key)`` returns the reply already posted with ``key``,
  or ``None``: what publishing asks after a crash between sending and
  recording, before it sends again.
- ``limit`` is the platform's length rule for a reply, which the composer
  shows and the server enforces (422 naming the field).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

import regex

_GRAPHEME = regex.compile(r"\X")

Unit = Literal["graphemes", "characters"]


def graphemes(text: str) -> int:
    """Count user-perceived characters: Unicode's extended grapheme clusters
    (UAX #29, the ``regex`` module's ``\\X``), as Bluesky counts its limit. A
    base with its combining marks, an emoji ZWJ sequence, a flag, an emoji tag
    sequence, a Hangul syllable from jamo and CR LF are one each."""
    return len(_GRAPHEME.findall(text))


@dataclass(frozen=True)
class Limit:
    max_length: int
    unit: Unit = "characters"

    def measure(self, text: str) -> int:
        return graphemes(text) if self.unit == "graphemes" else len(text)

    def over_by(self, text: str) -> int:
        """How far ``text`` is past the limit (0 when it fits)."""
        return max(0, self.measure(text) - self.max_length)


@dataclass(frozen=True)
class Post:
    """One post from a platform, normalised. ``reply_ref`` is whatever this
    connector needs later to reply to it (JSON-serialisable; for Bluesky the
    post's and its thread root's uri and cid, for Mastodon the status id and
    visibility, for Facebook the object id)."""

    external_id: str
    author: str
    text: str
    url: str
    created_at: str  # clock.iso() form, UTC
    lang: str | None = None
    followers: int | None = None
    reply_ref: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    posts: tuple[Post, ...]
    cursor: str | None


@dataclass(frozen=True)
class Posted:
    external_id: str
    url: str


class ConnectorError(Exception):
    """What went wrong, in words fit for the connector's state.

    ``kind`` is one of ``auth`` (credential rejected or expired), ``limit``
    (the text is too long), ``malformed`` (the platform sent something that
    cannot be read; skipped, the listener keeps going), ``unavailable``
    (network or platform down; retried with back-off), ``rejected`` (the
    platform refused this request for another reason)."""

    def __init__(self, kind: str, message: str, *, retryable: bool | None = None):
        super().__init__(message)
        self.kind = kind
        self.retryable = kind in ("unavailable", "malformed") if retryable is None else retryable


class Connector(Protocol):
    platform: str  # the mentions' ``source`` value: "bluesky", "mastodon", "facebook"

    @property
    def limit(self) -> Limit: ...

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]: ...

    def reply(self, target: dict, text: str, key: str) -> Posted: ...

    def find_reply(self, target: dict, key: str) -> Posted | None: ...
