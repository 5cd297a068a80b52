"""Mastodon, with mastodon-py: the account's mentions and the room's hashtags
in, replies out.

Listening: a REST catch-up from the cursor (``GET
/api/v1/notifications?types[]=mention`` and ``GET /api/v1/timelines/tag/<tag>``
for each hashtag, from the last id seen: as ``min_id``, Mastodon's since-id
that pages forward, so a gap longer than one page is read oldest first and
nothing in it is skipped), then the
streaming API (SSE: ``/api/v1/streaming/user`` for notifications,
``/api/v1/streaming/hashtag?tag=`` for each hashtag). The streams are opened
before the catch-up reads, so a post made in between is queued, not missed;
the cursor only moves forward. When a stream ends, the connector reconnects
and catches up over REST again, so a post made while it was away still
arrives, once. The cursor is JSON: the newest
notification id and, per hashtag, the newest status id seen. A malformed
stream event ends that stream: mastodon-py reports it to the listener and
then raises in its stream thread, which ``_Collector.handle_stream`` catches
(no stray traceback); the loop raises ``ConnectorError`` ``malformed``
(counted as skipped on the connector's state) and the next ``listen``
catches up over REST.

Replying: ``POST /api/v1/statuses`` with ``in_reply_to_id``, the mention's
own visibility (a direct message is answered directly), the author's
``@handle`` in front unless the text names them (without it Mastodon tells
nobody, and a direct reply would reach nobody; ``reply_prefix``, which the
length check and the composer count too), and ``Idempotency-Key`` = the
delivery key: Mastodon keeps the key for an hour and answers a repeat with
the status it already made. Past that hour only a look-up helps, so
``find_reply`` reads the account's own statuses (``GET
/api/v1/accounts/:id/statuses``) for one in reply to the target whose source
text (``GET /api/v1/statuses/:id/source``) is the key's text.
``verify`` (at set-up) is ``GET /api/v1/accounts/verify_credentials``.
The reply limit is the instance's own
(``/api/v2/instance`` ``configuration.statuses.max_characters``).
"""

from __future__ import annotations

import html
import json
import queue
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser

from mastodon import Mastodon, StreamListener
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonMalformedEventError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
)

from ..clock import iso
from .connector import Batch, ConnectorError, Limit, Platform, Post, Posted, key_matches
from .connector import compose as connector_compose

DEFAULT_LIMIT = Limit(500, "characters")
PAGE = 40
FIND_PAGES = 10  # find_reply looks at most 400 of the account's statuses back


class _Text(HTMLParser):
    """Status HTML to plain text: paragraphs and <br> as newlines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(content: str) -> str:
    parser = _Text()
    parser.feed(content or "")
    parser.close()
    return html.unescape("".join(parser.parts)).strip()


def hashtags(keywords: str) -> list[str]:
    """Comma-separated keywords to hashtag names (letters, digits, _), unique."""
    out: list[str] = []
    for word in (keywords or "").split(","):
        tag = re.sub(r"\W", "", word.strip().lstrip("#"), flags=re.UNICODE).lower()
        if tag and tag not in out:
            out.append(tag)
    return out


def _newer(current: str | None, item_id) -> str:
    """The cursor after ``item_id``: never back (a queued stream event may be
    older than what the catch-up already read)."""
    new = str(item_id)
    if current and current.isdigit() and new.isdigit() and int(current) >= int(new):
        return current
    return new


def _ts(value) -> str:
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def post_from_status(status) -> Post:
    """A Mastodon status (dict-like) as a Post; KeyError/TypeError if it lacks a field."""
    account = status["account"]
    sid = str(status["id"])
    return Post(
        external_id=sid, author="@" + str(account["acct"]), text=plain_text(status["content"]),
        url=str(status.get("url") or status["uri"]), created_at=_ts(status["created_at"]),
        lang=status.get("language") or None, followers=account.get("followers_count"),
        reply_ref={"status_id": sid, "visibility": str(status.get("visibility") or "public"),
                   "acct": str(account["acct"])},
    )


def _error(exc: Exception) -> ConnectorError:
    if isinstance(exc, MastodonUnauthorizedError):
        return ConnectorError("auth", f"Mastodon refused the access token ({exc.args[1] if len(exc.args) > 1 else 401}): "
                                      "connect the account again with a valid token", retryable=False)
    if isinstance(exc, MastodonNotFoundError):
        return ConnectorError("rejected", f"Mastodon: not found: {exc}", retryable=False)
    if isinstance(exc, MastodonAPIError):
        status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        if status == 422:
            return ConnectorError("rejected", f"Mastodon refused the status: {exc.args[-1] if exc.args else exc}",
                                  retryable=False)
        return ConnectorError("unavailable", f"Mastodon answered with an error: {exc}")
    if isinstance(exc, MastodonMalformedEventError):
        return ConnectorError("malformed", f"Mastodon sent a malformed stream event: {exc}")
    return ConnectorError("unavailable", f"cannot reach Mastodon: {exc}")


class _Collector(StreamListener):
    """Puts (stream, kind, payload) on a queue; never raises in the stream thread."""

    def __init__(self, q: queue.Queue, stream: str):
        self.q, self.stream = q, stream

    def on_notification(self, notification):
        self.q.put((self.stream, "notification", notification))

    def on_update(self, status):
        self.q.put((self.stream, "update", status))

    def on_abort(self, err):
        self.q.put((self.stream, "abort", err))

    def on_unknown_event(self, name, unknown_event=None):
        pass  # new event kinds are not ours to read

    def handle_stream(self, response):
        # mastodon-py calls on_abort (queued above) and then raises, which would
        # end its thread with a traceback on stderr; the listening loop decides.
        try:
            super().handle_stream(response)
        except MastodonError:
            pass


class MastodonConnector:
    platform = "mastodon"

    def __init__(self, settings: dict, secrets: dict, *, timeout: float = 15.0, poll: float = 0.5):
        self.base = settings["instance_url"].rstrip("/")
        self.tags = hashtags(settings.get("hashtags") or settings.get("keywords") or "")
        self.poll = poll
        self.api = Mastodon(access_token=secrets["access_token"], api_base_url=self.base,
                            request_timeout=timeout, version_check_mode="none", ratelimit_method="throw")
        self._limit: Limit | None = None
        self._account_id: str | None = None

    @property
    def limit(self) -> Limit:
        if self._limit is None:
            try:
                info = self.api.instance_v2()
                chars = int(info["configuration"]["statuses"]["max_characters"])
                self._limit = Limit(chars, "characters")
            except (MastodonError, KeyError, TypeError, ValueError) as exc:
                if isinstance(exc, MastodonUnauthorizedError):
                    raise _error(exc) from None
                return DEFAULT_LIMIT
        return self._limit

    # -- listening -----------------------------------------------------------------

    @staticmethod
    def _cursor(cursor: str | None) -> dict:
        try:
            data = json.loads(cursor) if cursor else {}
        except ValueError:
            data = {}
        return {"n": data.get("n"), "t": dict(data.get("t") or {})}

    def _catch_up(self, pos: dict) -> Iterator[Batch]:
        try:
            notes = self.api.notifications(types=["mention"], min_id=pos["n"], limit=PAGE)
            while notes:
                posts, skipped = [], 0
                for n in sorted(notes, key=lambda n: int(n["id"])):
                    if n.get("type") == "mention" and n.get("status"):
                        try:
                            posts.append(post_from_status(n["status"]))
                        except (KeyError, TypeError, ValueError):
                            skipped += 1
                    pos["n"] = str(n["id"])
                yield Batch(tuple(posts), json.dumps(pos, sort_keys=True), skipped)
                notes = self.api.notifications(types=["mention"], min_id=pos["n"], limit=PAGE)
            for tag in self.tags:
                statuses = self.api.timeline_hashtag(tag, min_id=pos["t"].get(tag), limit=PAGE)
                while statuses:
                    posts, skipped = [], 0
                    for s in sorted(statuses, key=lambda s: int(s["id"])):
                        try:
                            posts.append(post_from_status(s))
                        except (KeyError, TypeError, ValueError):
                            skipped += 1
                        pos["t"][tag] = str(s["id"])
                    yield Batch(tuple(posts), json.dumps(pos, sort_keys=True), skipped)
                    statuses = self.api.timeline_hashtag(tag, min_id=pos["t"][tag], limit=PAGE)
        except MastodonError as exc:
            raise _error(exc) from None

    def _event_batch(self, pos: dict, stream: str, kind: str, payload) -> Batch | None:
        if stream == "user" and kind == "notification":
            if payload.get("type") != "mention" or not payload.get("status"):
                return None
            item_id, status = payload.get("id"), payload["status"]
        elif stream.startswith("tag:") and kind == "update":
            item_id, status = payload.get("id"), payload
        else:
            return None
        try:
            post = post_from_status(status)
        except (KeyError, TypeError, ValueError):
            return Batch((), None, 1)
        if stream == "user":
            pos["n"] = _newer(pos["n"], item_id)
        else:
            pos["t"][stream[4:]] = _newer(pos["t"].get(stream[4:]), item_id)
        return Batch((post,), json.dumps(pos, sort_keys=True))

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        pos = self._cursor(cursor)
        while not stop.is_set():
            # Streams first, catch-up second: a post made while the REST pages
            # are read is queued by the stream, not lost in between (it may
            # come twice; the (source, external_id) rule keeps one).
            q: queue.Queue = queue.Queue()
            handles = []
            try:
                handles.append(self.api.stream_user(_Collector(q, "user"), run_async=True,
                                                    reconnect_async_wait_sec=1))
                for tag in self.tags:
                    handles.append(self.api.stream_hashtag(tag, _Collector(q, f"tag:{tag}"), run_async=True,
                                                           reconnect_async_wait_sec=1))
            except MastodonError as exc:
                for h in handles:
                    h.close()
                raise _error(exc) from None
            try:
                yield from self._catch_up(pos)
                while not stop.is_set():
                    try:
                        stream, kind, payload = q.get(timeout=self.poll)
                    except queue.Empty:
                        if any(not h.is_alive() for h in handles):
                            break  # a stream ended: catch up over REST, then reconnect
                        continue
                    if kind == "abort":
                        if isinstance(payload, MastodonMalformedEventError):
                            raise _error(payload)
                        if isinstance(payload, MastodonNetworkError):
                            break
                        continue
                    batch = self._event_batch(pos, stream, kind, payload)
                    if batch is not None:
                        yield batch
            finally:
                for h in handles:
                    h.close()

    # -- replying ------------------------------------------------------------------

    def verify(self) -> None:
        """Check the access token once (at set-up)."""
        try:
            self._me()
        except ConnectorError as exc:
            raise ConnectorError(exc.kind, str(exc), retryable=exc.retryable,
                                 field="secrets.access_token" if exc.kind == "auth" else "settings.instance_url"
                                 ) from None

    def _me(self) -> str:
        if self._account_id is None:
            try:
                self._account_id = str(self.api.account_verify_credentials()["id"])
            except MastodonError as exc:
                raise _error(exc) from None
            except (KeyError, TypeError) as exc:
                raise ConnectorError("rejected", f"Mastodon's account answer has no id: {exc}",
                                     retryable=False) from None
        return self._account_id

    def reply(self, target: dict, text: str, key: str) -> Posted:
        text = compose(target, text)
        over = self.limit.over_by(text)
        if over:
            raise ConnectorError("limit", f"the reply is {over} characters over this instance's limit "
                                          f"of {self.limit.max_length}", retryable=False)
        try:
            status = self.api.status_post(text, in_reply_to_id=target["status_id"],
                                          visibility=target.get("visibility") or "public",
                                          idempotency_key=key)
        except MastodonError as exc:
            raise _error(exc) from None
        return Posted(str(status["id"]), str(status.get("url") or status["uri"]))

    def find_reply(self, target: dict, key: str) -> Posted | None:
        """Our reply to ``target`` made with ``key``, from the account's own
        statuses (newest first, back to the target's own id), or None."""
        parent = str(target["status_id"])
        max_id = None
        try:
            me = self._me()
            for _ in range(FIND_PAGES):
                page = self.api.account_statuses(me, max_id=max_id, limit=PAGE)
                if not page:
                    return None
                for s in page:
                    if str(s.get("in_reply_to_id")) == parent and self._is_ours(s["id"], target, key):
                        return Posted(str(s["id"]), str(s.get("url") or s["uri"]))
                max_id = str(page[-1]["id"])
                if max_id.isdigit() and parent.isdigit() and int(max_id) <= int(parent):
                    return None  # a reply is never older than what it answers
        except MastodonError as exc:
            raise _error(exc) from None
        return None

    def _is_ours(self, status_id, target: dict, key: str) -> bool:
        source = str(self.api.status_source(status_id).get("text") or "")
        prefix = reply_prefix(target)
        plain = source[len(prefix):] if prefix and source.startswith(prefix) else source
        return key_matches(key, source) or key_matches(key, plain)


def reply_prefix(target: dict) -> str:
    """What ``reply`` puts in front of the text: the author's handle (see
    ``connector.compose``)."""
    return f"@{target['acct']} " if target.get("acct") else ""


def compose(target: dict, text: str) -> str:
    return connector_compose(reply_prefix(target), text)


def make(settings: dict, secrets: dict) -> MastodonConnector:
    return MastodonConnector(settings, secrets)


PLATFORM = Platform(
    name="mastodon", factory=make,
    settings=(("instance_url", "Instance URL (https://mastodon.example)", True),
              ("hashtags", "Hashtags to follow, comma-separated (default: the playbook's keywords)", False),
              ("keywords", "The playbook's keywords (filled in when connected)", False)),
    secrets=(("access_token", "Access token (read:notifications read:statuses write:statuses)", True),),
    default_limit=DEFAULT_LIMIT, reply_prefix=reply_prefix,
)
