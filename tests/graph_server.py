"""A Graph-API-compatible server on loopback, for tests (the documented request
and answer formats, as tests/mastodon_server.py is for Mastodon).

It answers what Warroom's Facebook connector uses, under an optional version
prefix (``/v21.0``): ``GET /me`` and ``GET /{page-id}`` (``fields``),
``POST /{object-id}/comments`` (form ``message``; the comment is made as the
Page), ``GET /{object-id}/comments`` (``limit``, ``order``, ``after``; cursor
paging with ``paging.cursors`` and ``paging.next``). The Page token is a
bearer header or the ``access_token`` parameter; another token is the OAuth
error Meta gives (HTTP 400, ``type`` OAuthException, ``code`` 190), an
unknown object is ``code`` 100.

Test controls: ``comment`` (someone comments), ``comments_on``, ``posts``
(every comment POST), ``hold_posts``/``release`` (the comment is made at once
but its answer held back: the client is killed before it hears).
``feed_change`` builds the webhook payload Meta sends for a new comment and
``sign`` its ``X-Hub-Signature-256``, as Meta documents them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


def sign(body: bytes, app_secret: str) -> str:
    """``X-Hub-Signature-256``: ``sha256=`` + the hex HMAC-SHA256 of the raw body, keyed with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def feed_change(page_id: str, post_id: str, comment_id: str, message: str, who: dict) -> dict:
    """The ``page`` webhook payload of a new comment on the Page's post."""
    now = int(time.time())
    return {"object": "page", "entry": [{"id": page_id, "time": now, "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id,
                                   "post_id": post_id, "parent_id": post_id, "message": message,
                                   "from": who, "created_time": now}}]}]}


class GraphServer:
    def __init__(self, page_id: str = "PAGE1", token: str = "tok-page", page_name: str = "Brand"):
        self.page_id, self.token, self.page_name = page_id, token, page_name
        self.comments: dict[str, list[dict]] = {}  # object id -> comments, oldest first
        self.posts: list[dict] = []
        self._lock = threading.Lock()
        self._n = 0
        self._held = threading.Event()
        self._held.set()
        self.holding = threading.Event()
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
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = self.base + "/v21.0"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> GraphServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- test controls -------------------------------------------------------------

    def comment(self, object_id: str, who: dict, message: str) -> dict:
        with self._lock:
            self._n += 1
            c = {"id": f"{object_id}_{self._n}", "message": message, "from": who,
                 "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())}
            self.comments.setdefault(object_id, []).append(c)
        return c

    def comments_on(self, object_id: str) -> list[dict]:
        with self._lock:
            return list(self.comments.get(object_id, []))

    def hold_posts(self) -> None:
        self._held.clear()

    def release(self) -> None:
        self._held.set()

    # -- the API ---------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        form = {}
        if method == "POST":
            raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0].startswith("v") and segments[0][1:].replace(".", "").isdigit():
            segments = segments[1:]
        bearer = (h.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if (bearer or query.get("access_token") or form.get("access_token")) != self.token:
            return self._json(h, 400, {"error": {
                "message": "Error validating access token: Session has expired", "type": "OAuthException",
                "code": 190, "error_subcode": 463, "fbtrace_id": "AbCdEf"}})
        if len(segments) == 1 and method == "GET" and segments[0] in ("me", self.page_id):
            return self._json(h, 200, {"id": self.page_id, "name": self.page_name})
        if len(segments) == 2 and segments[1] == "comments" and segments[0].startswith(self.page_id):
            if method == "POST":
                return self._post_comment(h, segments[0], form)
            return self._json(h, 200, self._page(segments[0], query, parts.path))
        return self._json(h, 400, {"error": {
            "message": f"Unsupported {method.lower()} request. Object with ID '{segments[0] if segments else ''}'"
                       " does not exist, cannot be loaded due to missing permissions, or does not support"
                       " this operation.", "type": "GraphMethodException", "code": 100, "fbtrace_id": "AbCdEf"}})

    def _post_comment(self, h, object_id: str, form: dict) -> None:
        message = form.get("message") or ""
        if not message.strip():
            return self._json(h, 400, {"error": {"message": "(#100) The parameter message is required",
                                                 "type": "OAuthException", "code": 100}})
        c = self.comment(object_id, {"id": self.page_id, "name": self.page_name}, message)
        with self._lock:
            self.posts.append({"object_id": object_id, "form": form, "id": c["id"]})
        if not self._held.is_set():
            self.holding.set()
            self._held.wait()
        self._json(h, 200, {"id": c["id"]})

    def _page(self, object_id: str, query: dict, path: str) -> dict:
        items = self.comments_on(object_id)
        if query.get("order") == "reverse_chronological":
            items = items[::-1]
        limit = int(query.get("limit") or 25)
        start = int(query.get("after") or 0)
        chunk = items[start:start + limit]
        out = {"data": [{k: c[k] for k in ("id", "message", "from", "created_time")} for c in chunk]}
        if chunk:
            out["paging"] = {"cursors": {"before": str(start), "after": str(start + len(chunk))}}
            if start + len(chunk) < len(items):
                out["paging"]["next"] = f"{self.base}{path}?" + urlencode({**query, "after": start + len(chunk)})
        return out

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, body) -> None:
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client was killed while we held its answer
