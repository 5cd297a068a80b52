"""Bluesky's repository event stream (``com.atproto.sync.subscribeRepos``)
read into ``Post`` values: what the Bluesky connector listens with.

``Watch`` says what counts as a mention of the brand; ``FirehoseConsumer``
decodes one binary frame with the SDK's decoders (frame, message, CAR
blocks) and keeps the posts the watch matches, normalised;
``JetstreamConsumer`` does the same for Jetstream's JSON messages. Pure apart from
the author look-up it is handed; no network I/O of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from atproto_core.exceptions import AtProtocolError

from ..clock import iso, parse_iso, utcnow
from .connector import ConnectorError, Post

POST = "app.bsky.feed.post"


@dataclass(frozen=True)
class Watch:
    """What counts as a mention: the brand (by DID and handle) and keywords."""

    brand_did: str
    brand_handle: str
    keywords: tuple[str, ...] = ()

    def __post_init__(self):
        words = [re.escape(k.strip().lower()) for k in self.keywords if k.strip()]
        object.__setattr__(self, "_keywords", re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")
                           if words else None)
        object.__setattr__(self, "_at_handle", re.compile(
            r"(?<![\w@.])@" + re.escape(self.brand_handle.lower()) + r"(?![\w-]|\.\w)"))

    def matches(self, author_did: str, record: dict) -> bool:
        if author_did == self.brand_did:
            return False  # the brand's own posts, our replies among them
        reply = record.get("reply") or {}
        brand_repo = f"at://{self.brand_did}/"
        for ref in (reply.get("parent"), reply.get("root")):
            if isinstance(ref, dict) and str(ref.get("uri", "")).startswith(brand_repo):
                return True
        for facet in record.get("facets") or ():
            for feature in (facet or {}).get("features") or ():
                if (isinstance(feature, dict) and feature.get("did") == self.brand_did
                        and str(feature.get("$type", "")).endswith("#mention")):
                    return True
        text = str(record.get("text") or "").lower()
        if self._at_handle.search(text):
            return True
        return bool(self._keywords and self._keywords.search(text))


def _created_at(value, fallback: str) -> str:
    try:
        return iso(parse_iso(value))
    except (ValueError, TypeError, OverflowError):
        return fallback  # a client's clock or a typo: the stream's time stands in


class FirehoseConsumer:
    """One ``subscribeRepos`` frame (bytes) -> ``(seq, posts)``.

    Decoding (frame, message, CAR blocks) is the SDK's; what is kept and how
    it is normalised is Warroom's. ``handle_of(did)`` names an author (the
    stream carries DIDs only); handles seen in ``#identity`` events are
    remembered first. Raises ``ConnectorError("malformed")`` for a frame that
    cannot be read, and ``ConnectorError("rejected")`` for an error frame
    from the service (such as a cursor from the future)."""

    def __init__(self, watch: Watch, handle_of: Callable[[str], str] | None = None,
                 web_url: str = "https://bsky.app"):
        self.watch = watch
        self.web_url = web_url.rstrip("/")
        self._resolve = handle_of
        self.handles: dict[str, str] = {watch.brand_did: watch.brand_handle}

    def handle(self, did: str) -> str:
        known = self.handles.get(did)
        if known is None:
            known = (self._resolve(did) if self._resolve else None) or did
            if len(self.handles) > 50_000:
                self.handles.clear()
            self.handles[did] = known
        return known

    def decode(self, raw: bytes) -> tuple[int | None, list[Post]]:
        if not isinstance(raw, bytes | bytearray):
            raise ConnectorError("malformed", "a text frame on a binary stream")
        # imported here: the firehose decoders pull in the SDK's whole client
        # package (about 0.8 s), which a process without Bluesky never needs
        from atproto_firehose import parse_subscribe_repos_message
        from atproto_subscription.frames import ErrorFrame, Frame

        try:
            frame = Frame.from_bytes(raw)
        except (AtProtocolError, ValueError, TypeError, KeyError) as exc:
            raise ConnectorError("malformed", f"unreadable frame ({len(raw)} bytes): {exc}") from None
        if isinstance(frame, ErrorFrame):
            raise ConnectorError("rejected", f"the event stream refused: {frame.body.error}: "
                                 f"{frame.body.message or ''}".rstrip(": "), retryable=True)
        kind = frame.header.t
        if kind not in ("#commit", "#identity"):
            return self._seq(frame.body), []  # #account, #sync, #info: nothing to read
        try:
            message = parse_subscribe_repos_message(frame)
        except (AtProtocolError, ValueError, TypeError, KeyError) as exc:
            raise ConnectorError("malformed", f"unreadable {kind} event: {exc}") from None
        if kind == "#identity":
            if message.handle and message.handle != "handle.invalid":
                self.handles[message.did] = message.handle
            return message.seq, []
        return message.seq, self._posts(message)

    @staticmethod
    def _seq(body) -> int | None:
        seq = body.get("seq") if isinstance(body, dict) else None
        return seq if isinstance(seq, int) else None

    def _posts(self, commit) -> list[Post]:
        creates = [op for op in commit.ops
                   if op.action == "create" and op.cid is not None and op.path.startswith(POST + "/")]
        if not creates:
            return []
        from atproto_core.car import CAR  # with pydantic: lazy, as in decode

        try:
            blocks = CAR.from_bytes(commit.blocks).blocks
        except (AtProtocolError, ValueError, TypeError, KeyError) as exc:
            raise ConnectorError("malformed", f"unreadable blocks in commit {commit.seq}: {exc}") from None
        posts = []
        for op in creates:
            record = blocks.get(op.cid)
            if not isinstance(record, dict) or record.get("$type") != POST:
                continue
            if not self.watch.matches(commit.repo, record):
                continue
            posts.append(self._post(commit, op, record))
        return posts

    def _post(self, commit, op, record: dict) -> Post:
        return self.post(commit.repo, op.path.split("/", 1)[1], str(op.cid), record,
                         _created_at(commit.time, iso(utcnow())))

    def post(self, repo: str, rkey: str, cid: str, record: dict, received_at: str) -> Post:
        """A post record, normalised; ``received_at`` stands in for a bad ``createdAt``."""
        uri = f"at://{repo}/{POST}/{rkey}"
        root = (record.get("reply") or {}).get("root") or {}
        langs = record.get("langs")
        return Post(
            external_id=uri,
            author=self.handle(repo),
            text=str(record.get("text") or ""),
            url=f"{self.web_url}/profile/{repo}/post/{rkey}",
            created_at=_created_at(record.get("createdAt"), received_at),
            lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
            reply_ref={"uri": uri, "cid": cid,
                       "root_uri": str(root.get("uri") or uri), "root_cid": str(root.get("cid") or cid)},
        )


class JetstreamConsumer(FirehoseConsumer):
    """One Jetstream message (JSON text) -> ``(time_us, posts)``.

    Jetstream (github.com/bluesky-social/jetstream) re-serves the network's
    event stream as JSON, filtered by collection, with the record inlined:
    ``{"did", "time_us", "kind": "commit"|"identity"|"account", "commit":
    {"operation", "collection", "rkey", "cid", "record"}}``. Its cursor is
    ``time_us``; the same watch decides what is kept."""

    def decode(self, raw) -> tuple[int | None, list[Post]]:
        if isinstance(raw, bytes | bytearray):
            raw = bytes(raw).decode("utf-8", "replace")
        try:
            event = json.loads(raw)
            did, time_us, kind = event["did"], event["time_us"], event["kind"]
            if not isinstance(did, str) or not isinstance(time_us, int) or isinstance(time_us, bool):
                raise TypeError("did must be text and time_us an integer")
        except (ValueError, TypeError, KeyError) as exc:
            raise ConnectorError("malformed", f"unreadable Jetstream message: {exc}") from None
        if kind == "identity":
            handle = (event.get("identity") or {}).get("handle")
            if isinstance(handle, str) and handle and handle != "handle.invalid":
                self.handles[did] = handle
            return time_us, []
        commit = event.get("commit") if kind == "commit" else None
        if not isinstance(commit, dict) or commit.get("operation") != "create" \
                or commit.get("collection") != POST:
            return time_us, []
        record, rkey, cid = commit.get("record"), commit.get("rkey"), commit.get("cid")
        if not isinstance(record, dict) or not isinstance(rkey, str) or not isinstance(cid, str):
            raise ConnectorError("malformed", f"Jetstream commit at {time_us} lacks its record, rkey or cid")
        if not self.watch.matches(did, record):
            return time_us, []
        received = iso(datetime.fromtimestamp(time_us / 1e6, UTC)) if 0 < time_us < 2**53 else iso(utcnow())
        return time_us, [self.post(did, rkey, cid, record, received)]
