"""A Slack-compatible Web API server on loopback, for tests and benches.

It records every call (method, parsed body, arrival time) and answers the
methods Warroom uses (``auth.test``, ``conversations.open``,
``conversations.list``, ``conversations.history`` with message metadata,
``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``views.open``)
and the channel methods of room channels as Slack documents them:
``conversations.create`` (``name_taken``, the ``invalid_name_*`` errors,
``is_private``), ``conversations.join`` (``already_in_channel`` as a
warning; private channels refuse it), ``conversations.invite``
(``already_in_channel``, ``not_in_channel``, ``user_not_found``,
``cant_invite_self``), and ``conversations.list`` with ``types``,
``is_member``, ``exclude_archived`` and cursor paging by ``limit``. ``fail(method, status, times,
retry_after)`` makes the next ``times`` calls of a method answer 429 (with
Retry-After) or 500 instead; ``delay(method, seconds)`` holds the answers back.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class SlackServer:
    def __init__(self):
        self.calls: list[dict] = []
        self.messages: dict[str, list[dict]] = {}  # channel id -> messages
        self.channels = {"crisis": "C0CRISIS", "general": "C0GENERAL"}
        # channel id -> {"name", "is_private", "is_archived", "members": set of user ids}
        self.info: dict[str, dict] = {i: {"name": n, "is_private": False, "is_archived": False,
                                          "members": {"UBOT"}} for n, i in self.channels.items()}
        self.missing_users: set[str] = set()  # ids conversations.invite answers user_not_found
        self._made = 0
        self._failures: dict[str, list[tuple[int, int | None]]] = {}
        self._delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ts = 0.0
        self.on_call = None  # optional hook(call) for benches
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                owner._handle(self)

            def do_GET(self):  # noqa: N802 (read methods come as GET with a query)
                owner._handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> SlackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- programming and reading -------------------------------------------------

    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (the call is recorded and
        takes effect at once): a client killed meanwhile never hears back."""
        with self._lock:
            self._delays[method] = seconds

    def add_channel(self, name: str, private: bool = False, members=(), archived: bool = False) -> str:
        """A channel made in Slack by someone else (the bot is a member only if named)."""
        with self._lock:
            self._made += 1
            cid = f"C{'P' if private else ''}{self._made:06d}"
            self.channels[name] = cid
            self.info[cid] = {"name": name, "is_private": private, "is_archived": archived,
                              "members": set(members)}
            return cid

    def members(self, channel_id: str) -> set[str]:
        with self._lock:
            return set(self.info[channel_id]["members"])

    def calls_to(self, method: str) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if c["method"] == method]

    def posted(self) -> list[dict]:
        """Bodies of chat.postMessage calls that were answered ok."""
        return [c["body"] for c in self.calls_to("chat.postMessage") if c["status"] == 200]

    def wait_for(self, method: str, count: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} calls, got {len(self.calls_to(method))}")

    # -- the API -------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        arrived = time.time()
        path, _, query = req.path.partition("?")
        method = path.rsplit("/", 1)[-1]
        raw = req.rfile.read(int(req.headers.get("Content-Length") or 0)).decode()
        if "json" in (req.headers.get("Content-Type") or ""):
            body = json.loads(raw or "{}")
        else:
            body = {k: v[0] for k, v in parse_qs(raw).items()}
        body.update({k: v[0] for k, v in parse_qs(query).items()})
        with self._lock:
            planned = self._failures.get(method)
            failure = planned.pop(0) if planned else None
            status = failure[0] if failure else 200
            call = {"method": method, "body": body, "at": arrived, "status": status,
                    "auth": req.headers.get("Authorization", "")}
            self.calls.append(call)
            if failure:
                answer = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            else:
                answer = self._answer(method, body)
        if self.on_call:
            self.on_call(call)
        pause = self._delays.get(method, 0)
        if pause:
            time.sleep(pause)
        data = json.dumps(answer).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        if failure and failure[1] is not None:
            req.send_header("Retry-After", str(failure[1]))
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _next_ts(self) -> str:
        # Slack's ts is the wall-clock time of the message, unique per channel.
        self._ts = max(self._ts + 0.000100, time.time())
        return f"{self._ts:.6f}"

    def _channel(self, name: str) -> str | None:
        if name.startswith("#"):
            return self.channels.get(name[1:])
        return name or None

    def _answer(self, method: str, body: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "team": "test"}
        if method == "conversations.open":
            users = body.get("users", "")
            if not users:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}
        if method == "conversations.list":
            return self._list(body)
        if method == "conversations.create":
            return self._create(body)
        if method == "conversations.join":
            info = self.info.get(body.get("channel", ""))
            if info is None:
                return {"ok": False, "error": "channel_not_found"}
            if info["is_archived"]:
                return {"ok": False, "error": "is_archived"}
            if info["is_private"]:
                return {"ok": False, "error": "method_not_supported_for_channel_type"}
            answer = {"ok": True, "channel": self._public(body["channel"])}
            if "UBOT" in info["members"]:
                answer["warning"] = "already_in_channel"
            info["members"].add("UBOT")
            return answer
        if method == "conversations.invite":
            return self._invite(body)
        if method == "chat.postEphemeral":
            if not body.get("channel") or not body.get("user"):
                return {"ok": False, "error": "channel_not_found" if not body.get("channel") else "user_not_in_channel"}
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "views.open":
            if not body.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            return {"ok": True, "view": {"id": "V" + str(len(self.calls)), **(body.get("view") or {})}}
        if method == "conversations.history":
            channel = body.get("channel", "")
            oldest = float(body.get("oldest") or 0)
            msgs = [m for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
            return {"ok": True, "messages": list(reversed(msgs)), "has_more": False,
                    "response_metadata": {"next_cursor": ""}}
        if method == "chat.postMessage":
            channel = self._channel(body.get("channel", ""))
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            ts = self._next_ts()
            msg = {"ts": ts, "text": body.get("text"), "blocks": body.get("blocks")}
            if body.get("metadata"):
                msg["metadata"] = body["metadata"]
            self.messages.setdefault(channel, []).append(msg)
            return {"ok": True, "channel": channel, "ts": ts, "message": msg}
        if method == "chat.update":
            for m in self.messages.get(body.get("channel", ""), []):
                if m["ts"] == body.get("ts"):
                    m["text"], m["blocks"] = body.get("text"), body.get("blocks")
                    return {"ok": True, "channel": body["channel"], "ts": m["ts"]}
            return {"ok": False, "error": "message_not_found"}
        return {"ok": False, "error": "unknown_method"}

    def _public(self, cid: str) -> dict:
        info = self.info[cid]
        return {"id": cid, "name": info["name"], "is_channel": True, "is_private": info["is_private"],
                "is_archived": info["is_archived"], "is_member": "UBOT" in info["members"]}

    def _list(self, body: dict) -> dict:
        types = set((body.get("types") or "public_channel").split(","))
        exclude = str(body.get("exclude_archived", "")).lower() in ("1", "true")
        found = []
        for cid, info in self.info.items():
            if info["is_private"] and ("private_channel" not in types or "UBOT" not in info["members"]):
                continue  # a bot sees only the private channels it is in
            if not info["is_private"] and "public_channel" not in types:
                continue
            if exclude and info["is_archived"]:
                continue
            found.append(self._public(cid))
        start = int(body.get("cursor") or 0)
        limit = int(body.get("limit") or 100)
        page = found[start:start + limit]
        more = start + limit < len(found)
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _create(self, body: dict) -> dict:
        name = body.get("name", "")
        if not name:
            return {"ok": False, "error": "invalid_name_required"}
        if len(name) > 80:
            return {"ok": False, "error": "invalid_name_maxlength"}
        if any(not (c.isascii() and (c.islower() or c.isdigit() or c in "-_")) for c in name):
            return {"ok": False, "error": "invalid_name_specials"}
        if name in self.channels:  # archived channels keep their names too
            return {"ok": False, "error": "name_taken"}
        private = str(body.get("is_private", "")).lower() in ("1", "true")
        self._made += 1
        cid = f"C{'P' if private else ''}{self._made:06d}"
        self.channels[name] = cid
        self.info[cid] = {"name": name, "is_private": private, "is_archived": False, "members": {"UBOT"}}
        return {"ok": True, "channel": self._public(cid)}

    def _invite(self, body: dict) -> dict:
        info = self.info.get(body.get("channel", ""))
        if info is None:
            return {"ok": False, "error": "channel_not_found"}
        if "UBOT" not in info["members"]:
            return {"ok": False, "error": "not_in_channel"}
        users = [u for u in (body.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "no_user"}
        for u in users:
            if u == "UBOT":
                return {"ok": False, "error": "cant_invite_self"}
            if u in self.missing_users:
                return {"ok": False, "error": "user_not_found"}
            if u in info["members"]:
                return {"ok": False, "error": "already_in_channel"}
        info["members"].update(users)
        return {"ok": True, "channel": self._public(body["channel"])}
