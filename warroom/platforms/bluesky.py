"""Bluesky (AT Protocol): the brand's mentions, replies and keyword posts in,
replies out, through the ``atproto`` SDK.

Listening reads the repository event stream
(``com.atproto.sync.subscribeRepos``) of the configured service: a PDS, or a
relay such as ``wss://bsky.network`` for the whole network. The cursor is the
stream's ``seq``; the service sends what came after it, so a restart resumes
where the last stored batch ended. ``FirehoseConsumer`` turns one binary
frame into ``Post`` values with the SDK's decoders: a post mentioning the
brand (a mention facet with its DID, or ``@handle`` in the text), a reply in
one of the brand's threads, or a post with a keyword. Everything else (likes,
follows, identity and account events, the brand's own posts) is skipped. A
frame that cannot be decoded is counted and skipped; the stream goes on.

Replying writes an ``app.bsky.feed.post`` with reply references (root = the
thread's root, parent = the post) and facets for links and ``@handles``
(UTF-8 byte offsets). Its record key is a TID derived from the delivery's
``key`` alone, so a retry after a crash finds the same record instead of
posting a second one (``createRecord`` refuses an existing key;
``find_reply`` reads it back).

Settings: ``handle`` (the brand account, watched and replying), ``service``
(its PDS, default https://bsky.social), optional ``firehose`` (the event
stream's base URL; default the service's), ``keywords`` (list or
comma-separated), ``plc_url`` (for authors' handles), ``web_url`` (links,
default https://bsky.app). Secret: ``app_password``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from websockets import exceptions as ws_errors
from websockets.sync.client import connect

from ..clock import iso, utcnow
from .bluesky_stream import POST, FirehoseConsumer, JetstreamConsumer, Watch
from .connector import Batch, ConnectorError, Limit, Platform, Post, Posted

if TYPE_CHECKING:
    from atproto import Client


def _sdk():
    """The atproto SDK, imported on first use: its client package takes about
    0.8 s to import, which every ``run.py`` process (a CLI call, a server
    start) would pay whether or not a Bluesky connector is configured."""
    import atproto
    from atproto_client import exceptions

    return atproto, exceptions

NAME = "bluesky"  # the mentions' source
LIMIT = Limit(300, "graphemes")
MAX_TEXT_BYTES = 3000  # app.bsky.feed.post's text: maxLength (UTF-8 bytes) beside maxGraphemes 300

SETTINGS = (("handle", "Brand handle (e.g. brand.bsky.social)", True),
            ("service", "PDS URL (default https://bsky.social)", False),
            ("firehose", "Event stream URL (default: the PDS; wss://bsky.network for the network)", False),
            ("jetstream", "Jetstream URL instead of the event stream (wss://jetstream2.us-east.bsky.network)",
             False),
            ("keywords", "Keywords, comma-separated", False),
            ("plc_url", "PLC directory URL, for authors' handles (default https://plc.directory)", False),
            ("web_url", "Web app for links (default https://bsky.app)", False))
SECRETS = (("app_password", "App password (Settings > Privacy and security > App passwords)", True),)

# Batching (each batch is one transaction for the caller): a batch holding a
# post goes out as soon as the frames already received are read, so a lone
# mention reaches the board at once and a busy relay still fills batches;
# one holding only skipped events (just a cursor move) waits up to
# BATCH_MAX_SECONDS for more. BATCH_FRAMES caps either.
BATCH_FRAMES = 500
BATCH_MAX_SECONDS = 0.5


# -- pure parts: record keys, facets, watching -------------------------------------

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def tid_for_key(key: str) -> str:
    """The record key for a delivery: ``key`` itself when it already is a TID,
    else a TID made from its sha256 (63 bits, top bit zero as TIDs require).
    Deterministic, so every retry of one delivery writes the same record."""
    if _TID.match(key):
        return key
    value = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") >> 1
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


# A link is http(s):// up to whitespace, without trailing punctuation that is
# usually the sentence's; a mention is @handle (a domain name) not inside a word.
_LINK = re.compile(r"https?://[^\s<>\"]+")
_MENTION = re.compile(r"(?<![\w@.])@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
                      r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)")
_TRAILING = ".,;:!?)]}'\""


def _byte_span(text: str, start: int, end: int) -> dict:
    before = len(text[:start].encode("utf-8"))
    return {"byteStart": before, "byteEnd": before + len(text[start:end].encode("utf-8"))}


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict]:
    """Link and mention facets of ``text`` with UTF-8 byte offsets. ``resolve``
    maps a handle to its DID (None: left as plain text)."""
    out = []
    for m in _LINK.finditer(text):
        url = m.group(0)
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and "(" in url):
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        out.append({"index": _byte_span(text, m.start(), m.start() + len(url)),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    for m in _MENTION.finditer(text):
        handle = m.group(1).rstrip(".").lower()
        did = resolve(handle)
        if did:
            out.append({"index": _byte_span(text, m.start(), m.start() + 1 + len(handle)),
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]})
    out.sort(key=lambda f: f["index"]["byteStart"])
    return out


# -- the connector ------------------------------------------------------------------

def _sdk_error(exc: Exception, doing: str) -> ConnectorError:
    """The SDK's exceptions in the connector's words."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    detail = str(exc) or type(exc).__name__
    _, sdk_errors = _sdk()
    if isinstance(exc, sdk_errors.UnauthorizedError) or status == 401 or (
            "AuthFactorTokenRequired" in detail or "AuthenticationRequired" in detail
            or "ExpiredToken" in detail or "Invalid identifier or password" in detail):
        return ConnectorError("auth", f"{doing}: the app password was refused ({detail})", retryable=False)
    if isinstance(exc, sdk_errors.NetworkError) or status in (None, 429) or (status or 0) >= 500:
        return ConnectorError("unavailable", f"{doing}: {detail}")
    return ConnectorError("rejected", f"{doing}: {detail}", retryable=False)


class BlueskyConnector:
    platform = NAME

    def __init__(self, *, handle: str, app_password: str, service: str = "https://bsky.social",
                 firehose: str | None = None, jetstream: str | None = None, keywords=(), plc_url: str | None = None,
                 web_url: str = "https://bsky.app", timeout: float = 15.0):
        if not handle:
            raise ConnectorError("rejected", "a Bluesky handle is needed", retryable=False)
        self.handle = handle.lstrip("@").lower()
        self.service = service.rstrip("/")
        self.firehose = (firehose or self.service).rstrip("/")
        self.jetstream = (jetstream or "").rstrip("/")
        if self.jetstream.startswith("http"):
            self.jetstream = "ws" + self.jetstream[4:]
        self.keywords = tuple(k.strip() for k in (keywords.split(",") if isinstance(keywords, str)
                                                   else keywords) if k and k.strip())
        self.web_url = web_url.rstrip("/")
        self.skipped = 0  # frames that could not be read (also on each Batch when it counts them)
        self.last_error: ConnectorError | None = None
        self._password = app_password
        self._timeout = timeout
        self._plc_url = plc_url
        self._client: Client | None = None
        self._did = ""
        self._lock = threading.Lock()

    @property
    def limit(self) -> Limit:
        return LIMIT

    # -- session ----------------------------------------------------------------

    def _session(self) -> Client:
        with self._lock:
            if self._client is None:
                client = _sdk()[0].Client(base_url=self.service)
                try:
                    # No profile fetch: that is the AppView's, which a bare PDS lacks.
                    client.login(self.handle, self._password, fetch_bsky_profile=False)
                    self._did = client.com.atproto.server.get_session().did
                except Exception as exc:  # the SDK's and httpx's errors, mapped once
                    raise _sdk_error(exc, f"logging in as {self.handle}") from None
                self._client = client
            return self._client

    @property
    def did(self) -> str:
        self._session()
        return self._did

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            return self._session().com.atproto.identity.resolve_handle({"handle": handle}).did
        except Exception:  # an unknown handle stays plain text, as the Bluesky app does
            return None

    def _handle_of(self, did: str) -> str:
        try:
            doc = _sdk()[0].IdResolver(plc_url=self._plc_url, timeout=self._timeout).did.resolve(did)
            return (doc.get_handle() if doc else None) or did
        except Exception:  # an author we cannot name is shown by DID
            return did

    def verify(self) -> None:
        """Log in once (at set-up): a refused app password names its field."""
        try:
            self._session()
        except ConnectorError as exc:
            raise ConnectorError(exc.kind, str(exc), retryable=exc.retryable,
                                 field="secrets.app_password" if exc.kind == "auth" else "settings.service"
                                 ) from None

    # -- listening ----------------------------------------------------------------

    def consumer(self) -> FirehoseConsumer:
        watch = Watch(self.did, self.handle, self.keywords)
        kind = JetstreamConsumer if self.jetstream else FirehoseConsumer
        return kind(watch, self._handle_of, self.web_url)

    def _stream_url(self, cursor: str | None) -> str:
        if self.jetstream:  # its cursor (time_us) replays from that instant; a repeat is a duplicate
            query = {"wantedCollections": POST, **({"cursor": cursor} if cursor not in (None, "") else {})}
            return f"{self.jetstream}/subscribe?{urlencode(query)}"
        base = self.firehose
        if base.startswith("http"):
            base = "ws" + base[4:]
        if not base.endswith("/xrpc"):
            base += "/xrpc"
        query = f"?{urlencode({'cursor': cursor})}" if cursor not in (None, "") else ""
        return f"{base}/com.atproto.sync.subscribeRepos{query}"

    def _batch(self, posts: list[Post], cursor: str | None, skipped: int) -> Batch:
        return Batch(tuple(posts), cursor, skipped=skipped)

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        if cursor not in (None, "") and not str(cursor).isdigit():
            raise ConnectorError("rejected", f"not a Bluesky stream cursor: {cursor!r}", retryable=False)
        consumer = self.consumer()  # logs in: a refused password shows before any frame
        try:
            ws = connect(self._stream_url(cursor), open_timeout=self._timeout,
                         max_size=5 * 1024 * 1024, close_timeout=2)
        except (OSError, ws_errors.WebSocketException, TimeoutError) as exc:
            raise ConnectorError("unavailable", f"event stream {self.jetstream or self.firehose}: {exc}") from None
        with ws:
            yield from self._frames(ws, consumer, cursor, stop)

    def _frames(self, ws, consumer: FirehoseConsumer, cursor: str | None,
                stop: threading.Event) -> Iterator[Batch]:
        posts: list[Post] = []
        skipped = frames = 0
        started = None
        last = cursor
        while not stop.is_set():
            if posts:
                wait = 0.0  # only what is already here
            elif frames:
                wait = max(0.0, BATCH_MAX_SECONDS - (time.monotonic() - started))
            else:
                wait = 0.5  # idle: look at ``stop`` twice a second
            try:
                raw = ws.recv(timeout=wait)
            except TimeoutError:
                raw = None
            except ws_errors.ConnectionClosed as exc:
                if frames:
                    yield self._batch(posts, last, skipped)
                raise ConnectorError("unavailable", f"event stream closed: {exc}") from None
            if raw is not None:
                frames += 1
                started = started or time.monotonic()
                try:
                    seq, found = consumer.decode(raw)
                except ConnectorError as exc:
                    if exc.kind != "malformed":
                        if frames > 1:
                            yield self._batch(posts, last, skipped)
                        raise
                    self.skipped += 1
                    skipped += 1
                    self.last_error = exc
                    continue
                posts.extend(found)
                if seq is not None:
                    last = str(seq)
            if frames and (raw is None or frames >= BATCH_FRAMES
                           or time.monotonic() - started >= BATCH_MAX_SECONDS):
                yield self._batch(posts, last, skipped)
                posts, skipped, frames, started = [], 0, 0, None

    # -- replying -----------------------------------------------------------------

    def check(self, text: str) -> None:
        over = LIMIT.over_by(text)
        if over:
            raise ConnectorError("limit", f"the reply is {over} graphemes over Bluesky's "
                                 f"{LIMIT.max_length}", retryable=False)
        size = len(text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise ConnectorError("limit", f"the reply is {size} bytes of UTF-8; Bluesky takes "
                                 f"{MAX_TEXT_BYTES}", retryable=False)
        if not text.strip():
            raise ConnectorError("rejected", "the reply is empty", retryable=False)

    @staticmethod
    def _target(target: dict) -> dict:
        try:
            refs = {k: str(target[k]) for k in ("uri", "cid")}
        except (KeyError, TypeError):
            raise ConnectorError("rejected", "the mention has no Bluesky reply reference",
                                 retryable=False) from None
        refs["root_uri"] = str(target.get("root_uri") or refs["uri"])
        refs["root_cid"] = str(target.get("root_cid") or refs["cid"])
        return refs

    def _posted(self, did: str, rkey: str) -> Posted:
        return Posted(external_id=f"at://{did}/{POST}/{rkey}",
                      url=f"{self.web_url}/profile/{did}/post/{rkey}")

    def reply(self, target: dict, text: str, key: str) -> Posted:
        self.check(text)
        ref = self._target(target)
        client = self._session()
        did = self._did
        rkey = tid_for_key(key)
        record = {
            "$type": POST,
            "text": text,
            "createdAt": iso(utcnow()),
            "reply": {"root": {"uri": ref["root_uri"], "cid": ref["root_cid"]},
                      "parent": {"uri": ref["uri"], "cid": ref["cid"]}},
        }
        found = facets(text, self._resolve_handle)
        if found:
            record["facets"] = found
        try:
            client.com.atproto.repo.create_record(
                {"repo": did, "collection": POST, "rkey": rkey, "record": record})
        except Exception as exc:
            # The record key is taken: an earlier attempt of this delivery landed.
            existing = self.find_reply(target, key)
            if existing is not None:
                return existing
            raise _sdk_error(exc, "posting the reply") from None
        return self._posted(did, rkey)

    def find_reply(self, target: dict, key: str) -> Posted | None:
        client = self._session()
        did = self._did
        rkey = tid_for_key(key)
        try:
            out = client.com.atproto.repo.get_record({"repo": did, "collection": POST, "rkey": rkey})
        except _sdk()[1].BadRequestError as exc:
            if "RecordNotFound" in str(exc) or "Could not locate record" in str(exc):
                return None
            raise _sdk_error(exc, "looking the reply up") from None
        except Exception as exc:
            raise _sdk_error(exc, "looking the reply up") from None
        reply = getattr(out.value, "reply", None)
        parent = reply.parent.uri if reply is not None else None
        if parent is not None and target.get("uri") and parent != target["uri"]:
            raise ConnectorError("rejected", f"record {rkey} answers {parent}, not {target['uri']}",
                                 retryable=False)
        return self._posted(did, rkey)


def factory(settings: dict, secrets: dict) -> BlueskyConnector:
    """What the platform registry calls: settings are shown again, secrets never."""
    return BlueskyConnector(
        handle=str(settings.get("handle") or ""),
        app_password=str(secrets.get("app_password") or ""),
        service=str(settings.get("service") or "https://bsky.social"),
        firehose=settings.get("firehose") or None,
        jetstream=settings.get("jetstream") or None,
        keywords=settings.get("keywords") or (),
        plc_url=settings.get("plc_url") or None,
        web_url=str(settings.get("web_url") or "https://bsky.app"),
    )


# Replies thread by reference (root and parent), so nothing is put in front of the text.
PLATFORM = Platform(name=NAME, factory=factory, settings=SETTINGS, secrets=SECRETS, default_limit=LIMIT)

__all__ = ["LIMIT", "NAME", "PLATFORM", "SECRETS", "SETTINGS", "BlueskyConnector", "FirehoseConsumer",
           "JetstreamConsumer",
           "Watch", "facets", "factory", "tid_for_key"]
