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
  Keys are made by ``reply_key(text)``: unique, and ending in the text's
  sha256, so a platform with nowhere to put a key (Facebook comments) can
  recognise its own reply by its text (``key_matches``).
- ``verify()`` checks the credentials against the platform once, at
  set-up; ``ConnectorError.field`` names the set-up field at fault.
- ``limit`` is the platform's length rule for a reply, which the composer
  shows and the server enforces (422 naming the field). It applies to the
  text as the connector will really send it: ``Platform.reply_prefix(target)``
  is what the connector puts in front (Mastodon: the author's ``@handle``)
  and ``compose`` is the one rule for the final text, used by the connector
  when it sends, by ``store.check_length`` and, mirrored, by the composer.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator
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
    """``skipped`` counts items the connector could not read and dropped
    (malformed events): shown on the connector's state, never stored."""

    posts: tuple[Post, ...]
    cursor: str | None
    skipped: int = 0


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

    def __init__(self, kind: str, message: str, *, retryable: bool | None = None, field: str | None = None):
        super().__init__(message)
        self.kind, self.field = kind, field
        self.retryable = kind in ("unavailable", "malformed") if retryable is None else retryable


@dataclass(frozen=True)
class Platform:
    """What the registry knows of a platform: how to build its connector
    (``factory(settings, secrets) -> Connector``), which settings (shown
    again) and secrets (sealed, never shown again) the set-up form asks for,
    each ``(name, label, required)``, and the reply limit to assume until the
    connector has read the real one from the platform. ``reply_prefix(target)``
    is what the connector adds in front of a reply to ``target`` (see
    ``compose``)."""

    name: str
    factory: Callable[[dict, dict], Connector]
    settings: tuple[tuple[str, str, bool], ...]
    secrets: tuple[tuple[str, str, bool], ...]
    default_limit: Limit
    reply_prefix: Callable[[dict], str] = lambda target: ""

    def final_text(self, target: dict, text: str) -> str:
        return compose(self.reply_prefix(target), text)


def compose(prefix: str, text: str) -> str:
    """The text as sent: ``prefix`` in front unless the text already contains
    it (trimmed, case-insensitively). The composer (static/board.js) counts
    with the same rule."""
    if not prefix or prefix.strip().lower() in text.lower():
        return text
    return prefix + text


class Connector(Protocol):
    platform: str  # the mentions' ``source`` value: "bluesky", "mastodon", "facebook"

    @property
    def limit(self) -> Limit: ...

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]: ...

    def reply(self, target: dict, text: str, key: str) -> Posted: ...

    def find_reply(self, target: dict, key: str) -> Posted | None: ...

    def verify(self) -> None: ...


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def reply_key(text: str) -> str:
    """A delivery's key, fixed before the first attempt: ``wr-<random>-<sha256 of text>``
    (ASCII letters, digits and ``-``; 52 characters)."""
    return f"wr-{uuid.uuid4().hex[:16]}-{_digest(text)}"


def key_matches(key: str, text: str) -> bool:
    """Whether ``text`` is the text ``key`` was made for."""
    return key.rsplit("-", 1)[-1] == _digest(text)
