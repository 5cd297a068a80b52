"""A Mastodon-compatible server on loopback, for tests (the documented REST
and streaming formats, as the Slack-compatible server is for Slack).

It answers what Warroom's connector uses: ``GET /api/v1/instance`` and
``/api/v2/instance`` (``configuration.statuses.max_characters``), ``GET
/api/v1/notifications`` (``types[]``, ``since_id``, ``limit``; newest first),
``GET /api/v1/timelines/tag/<tag>``, ``POST /api/v1/statuses`` (form or JSON;
``Idempotency-Key`` honoured as Mastodon does: a repeat with the same key and
token answers the status already made, for as long as the key is kept),
``GET /api/v1/accounts/verify_credentials``, ``GET
/api/v1/accounts/:id/statuses`` (newest first; ``max_id``, ``since_id``,
``min_id``, ``limit``), ``GET /api/v1/statuses/:id/source`` (``text``, the
plain source) and the SSE streams
``/api/v1/streaming/user`` (``event: notification``) and
``/api/v1/streaming/hashtag?tag=`` (``event: update``). A bearer token it does
not know (``revoke``) is a 401 ``{"error": "The access token is invalid"}``.

Test controls: ``toot`` (someone posts; a mention of the brand notifies it,
a hashtag reaches that tag's stream), ``send_raw`` (bytes straight into the
open streams: a malformed event), ``hold_posts``/``release`` (a reply is made
at once but its answer held back: the client is killed before it hears),
``drop_streams`` (the streaming server goes away), ``expire_keys`` (the hour
Mastodon keeps an ``Idempotency-Key`` has passed).
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class MastodonServer:
    def __init__(self, max_characters: int = 500, brand: str = "brand", token: str = "tok-brand"):
        self.max_characters = max_characters
        self.tokens = {token: brand}
        self.brand = brand
        self.statuses: list[dict] = []
        self.notifications: list[dict] = []
        self.posts: list[dict] = []  # every POST /api/v1/statuses: headers, form, answered status
        self._keys: dict[tuple[str, str], dict] = {}
        self._streams: list[tuple[str, queue.Queue]] = []  # (stream name, queue of raw bytes)
        self._lock = threading.Lock()
        self._next = 100
        self._held = threading.Event()
        self._held.set()
        self.holding = threading.Event()  # set while a reply's answer is held back
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                owner._handle(self, "GET")

            def do_POST(self):  # noqa: N802
                owner._handle(self, "POST")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> MastodonServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.drop_streams()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- test controls -------------------------------------------------------------

    def _id(self) -> str:
        self._next += 1
        return str(self._next)

    def account(self, acct: str) -> dict:
        return {"id": str(abs(hash(acct)) % 10**9), "username": acct.split("@")[0], "acct": acct,
                "display_name": acct, "url": f"{self.url}/@{acct}", "followers_count": 42,
                "created_at": "2020-01-01T00:00:00.000Z", "locked": False, "bot": False, "note": "",
                "avatar": "", "header": "", "fields": [], "emojis": [], "statuses_count": 1,
                "following_count": 1}

    def _status(self, acct: str, text: str, visibility: str = "public", in_reply_to_id=None,
                tags=()) -> dict:
        sid = self._id()
        content = "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>"
        return {"id": sid, "uri": f"{self.url}/users/{acct}/statuses/{sid}", "url": f"{self.url}/@{acct}/{sid}",
                "account": self.account(acct), "content": content, "text": text,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "visibility": visibility, "language": "en", "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "",
                "mentions": [], "tags": [{"name": t, "url": f"{self.url}/tags/{t}"} for t in tags],
                "emojis": [], "media_attachments": [], "reblogs_count": 0, "favourites_count": 0,
                "replies_count": 0, "reblog": None, "poll": None, "card": None}

    def toot(self, acct: str, text: str, visibility: str = "public") -> dict:
        """Someone posts: ``@brand`` in the text notifies the brand, ``#tag`` reaches that tag."""
        tags = [t.lower() for t in re.findall(r"#(\w+)", text)]
        with self._lock:
            status = self._status(acct, text, visibility, tags=tags)
            self.statuses.append(status)
            out = []
            if f"@{self.brand}" in text:
                note = {"id": self._id(), "type": "mention", "created_at": status["created_at"],
                        "account": status["account"], "status": status}
                self.notifications.append(note)
                out.append(("user", "notification", note))
            for tag in tags:
                out.append((f"tag:{tag}", "update", status))
        for stream, event, payload in out:
            self._push(stream, f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode())
        return status

    def _push(self, stream: str, raw: bytes) -> None:
        with self._lock:
            targets = [q for name, q in self._streams if name == stream]
        for q in targets:
            q.put(raw)

    def send_raw(self, stream: str, raw: bytes) -> None:
        self._push(stream, raw)

    def wait_streams(self, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._streams) >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"fewer than {count} open streams after {timeout}s")

    def drop_streams(self) -> None:
        with self._lock:
            streams, self._streams = self._streams, []
        for _, q in streams:
            q.put(None)

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def hold_posts(self) -> None:
        self._held.clear()

    def release(self) -> None:
        self._held.set()

    def expire_keys(self) -> None:
        with self._lock:
            self._keys.clear()

    def replies_to(self, status_id: str) -> list[dict]:
        with self._lock:
            return [s for s in self.statuses if s["in_reply_to_id"] == status_id]

    # -- the API ---------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        path = parts.path.rstrip("/") or "/"  # mastodon-py asks for /api/v2/instance/
        if path in ("/api/v1/instance", "/api/v2/instance"):
            return self._json(h, 200, self._instance(path.endswith("v2/instance")))
        token = (h.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        acct = self.tokens.get(token)
        if acct is None:
            return self._json(h, 401, {"error": "The access token is invalid"})
        if method == "GET" and path == "/api/v1/notifications":
            types = query.get("types[]") or query.get("types")
            with self._lock:
                found = [n for n in self.notifications if not types or n["type"] in types]
            return self._json(h, 200, self._page(found, query))
        m = re.fullmatch(r"/api/v1/timelines/tag/(\w+)", path)
        if method == "GET" and m:
            with self._lock:
                found = [s for s in self.statuses if any(t["name"] == m.group(1).lower() for t in s["tags"])]
            return self._json(h, 200, self._page(found, query))
        if method == "GET" and path in ("/api/v1/streaming/user", "/api/v1/streaming/hashtag"):
            return self._stream(h, "user" if path.endswith("user") else f"tag:{query.get('tag', [''])[0].lower()}")
        if method == "POST" and path == "/api/v1/statuses":
            return self._post_status(h, token, acct)
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return self._json(h, 200, {**self.account(acct), "source": {"privacy": "public", "note": ""}})
        m = re.fullmatch(r"/api/v1/accounts/(\w+)/statuses", path)
        if method == "GET" and m:
            with self._lock:
                found = [s for s in self.statuses if s["account"]["id"] == m.group(1)]
            return self._json(h, 200, self._page(found, query))
        m = re.fullmatch(r"/api/v1/statuses/(\w+)/source", path)
        if method == "GET" and m:
            with self._lock:
                found = [s for s in self.statuses if s["id"] == m.group(1) and s["account"]["acct"] == acct]
            if not found:
                return self._json(h, 404, {"error": "Record not found"})
            return self._json(h, 200, {"id": found[0]["id"], "text": found[0]["text"], "spoiler_text": ""})
        return self._json(h, 404, {"error": "Record not found"})

    def _instance(self, v2: bool) -> dict:
        ws = self.url.replace("http://", "ws://")
        if v2:
            return {"domain": "127.0.0.1", "title": "Local", "version": "4.3.0",
                    "configuration": {"statuses": {"max_characters": self.max_characters,
                                                   "max_media_attachments": 4},
                                      "urls": {"streaming": ws},
                                      "timelines_access": {k: {"local": "public", "remote": "public"}
                                                           for k in ("live_feeds", "hashtag_feeds",
                                                                     "trending_link_feeds")}}}
        return {"uri": "127.0.0.1", "title": "Local", "version": "4.3.0", "urls": {"streaming_api": ws},
                "configuration": {"statuses": {"max_characters": self.max_characters}}}

    @staticmethod
    def _page(items: list[dict], query: dict) -> list[dict]:
        """Newest first, as Mastodon: ``since_id`` gives the newest ``limit``
        items after it, ``min_id`` the ones right after it (paging forward),
        ``max_id`` only those before it (paging back)."""
        limit = int(query.get("limit", ["20"])[0] or 20)
        if query.get("max_id"):
            before = int(query["max_id"][0])
            items = [i for i in items if int(i["id"]) < before]
        if query.get("min_id"):
            after = int(query["min_id"][0])
            newer = sorted((i for i in items if int(i["id"]) > after), key=lambda i: int(i["id"]))
            return newer[:limit][::-1]
        since = int(query.get("since_id", ["0"])[0] or 0)
        newer = sorted((i for i in items if int(i["id"]) > since), key=lambda i: -int(i["id"]))
        return newer[:limit]

    def _post_status(self, h, token: str, acct: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode()
        if "json" in (h.headers.get("Content-Type") or ""):
            form = json.loads(raw or "{}")
        else:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
        key = h.headers.get("Idempotency-Key")
        text = str(form.get("status") or "")
        record = {"headers": dict(h.headers), "form": form}
        with self._lock:
            existing = self._keys.get((token, key)) if key else None
            if existing is None:
                if len(text) > self.max_characters:
                    answer = (422, {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"})
                else:
                    status = self._status(acct, text, str(form.get("visibility") or "public"),
                                          in_reply_to_id=form.get("in_reply_to_id"))
                    self.statuses.append(status)
                    if key:
                        self._keys[(token, key)] = status
                    answer = (200, status)
            else:
                answer = (200, existing)
            record["answer"] = answer
            self.posts.append(record)
        if not self._held.is_set():
            self.holding.set()
            self._held.wait()
        self._json(h, *answer)

    def _stream(self, h: BaseHTTPRequestHandler, name: str) -> None:
        q: queue.Queue = queue.Queue()
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.end_headers()
        with self._lock:
            self._streams.append((name, q))
        try:
            h.wfile.write(b":)\n")
            h.wfile.flush()
            while True:
                try:
                    raw = q.get(timeout=1.0)
                except queue.Empty:
                    raw = b":thump\n"
                if raw is None:
                    break
                h.wfile.write(raw)
                h.wfile.flush()
        except OSError:
            pass
        finally:
            with self._lock:
                self._streams = [(n, s) for n, s in self._streams if s is not q]

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, body) -> None:
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=utf-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client was killed while we held its answer


if __name__ == "__main__":  # a manual run: python -m tests.mastodon_server
    srv = MastodonServer().start()
    print(srv.url, flush=True)
    threading.Event().wait()
