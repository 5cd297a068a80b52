"""A local server speaking Jetstream's documented protocol
(github.com/bluesky-social/jetstream, README "Consuming Jetstream"):
a WebSocket at ``/subscribe`` that sends one JSON text message per event,
``{"did", "time_us", "kind", "commit"|"identity"|"account"}``, filtered by
``wantedCollections`` (commits only), replaying from ``cursor`` (a unix
microseconds time, inclusive) before going live; without a cursor it sends
only what happens after the connection opened."""

from __future__ import annotations

import itertools
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve


class JetstreamServer:
    def __init__(self):
        self.events: list[dict] = []
        self.raw: list[tuple[int, str]] = []  # (time_us, text) also for malformed messages
        self.connections = 0
        self._stopping = False
        self._cond = threading.Condition()
        self._rkeys = itertools.count(1)
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}"

    def start(self) -> JetstreamServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()

    def _now_us(self) -> int:
        last = self.raw[-1][0] if self.raw else 0
        return max(int(time.time() * 1e6), last + 1)

    def _add(self, make) -> dict:
        with self._cond:
            time_us = self._now_us()
            event = make(time_us)
            text = event if isinstance(event, str) else json.dumps(event)
            self.raw.append((time_us, text))
            self._cond.notify_all()
        return event

    def post(self, did: str, text: str, *, reply: dict | None = None, collection="app.bsky.feed.post") -> dict:
        rkey = f"3l{next(self._rkeys):011d}"
        record = {"$type": collection, "text": text, "createdAt": "2026-12-01T10:00:00.000Z", "langs": ["en"]}
        if reply:
            record["reply"] = reply
        return self._add(lambda t: {"did": did, "time_us": t, "kind": "commit", "commit": {
            "rev": f"rev{t}", "operation": "create", "collection": collection, "rkey": rkey,
            "record": record, "cid": f"bafyrei{t}"}})

    def identity(self, did: str, handle: str) -> dict:
        return self._add(lambda t: {"did": did, "time_us": t, "kind": "identity",
                                    "identity": {"did": did, "handle": handle, "seq": t}})

    def malformed(self, text: str = "{not json") -> None:
        self._add(lambda t: text)

    def _handle(self, ws) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        wanted = set(query.get("wantedCollections", []))
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        with self._cond:
            self.connections += 1
            self._cond.notify_all()
            sent = 0 if cursor is not None else len(self.raw)
        try:
            while True:
                with self._cond:
                    while sent >= len(self.raw) and not self._stopping:
                        self._cond.wait(0.5)
                    if self._stopping:
                        return
                    batch = self.raw[sent:]
                    sent = len(self.raw)
                for time_us, text in batch:
                    if cursor is not None and time_us < cursor:
                        continue
                    if wanted and '"kind": "commit"' in text and not any(f'"collection": "{c}"' in text
                                                                          for c in wanted):
                        continue
                    ws.send(text)
        except ConnectionClosed:
            pass

    def wait_connections(self, n: int, timeout: float = 10) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.connections >= n, timeout):
                raise AssertionError(f"{self.connections} Jetstream connections, wanted {n}")
