"""Local servers that speak the documented APIs of the contact methods'
services, for tests and benches (as tests/slack_server.py does for Slack):

- ``NtfyServer``: ntfy's publish (``POST /`` with a JSON body, or
  ``POST /<topic>`` with ``X-Title``/``X-Tags`` headers) and its poll API
  (``GET /<topic>/json?poll=1&since=<unix>&tags=<tag>``, newline-delimited JSON).
- ``WebhookServer``: an incoming webhook (Teams' Workflows or any chat's):
  ``POST <path>`` with JSON, answered 200 (or a programmed failure).
- ``TwilioServer``: ``POST /2010-04-01/Accounts/<sid>/Messages.json`` and
  ``Calls.json`` (form bodies, HTTP basic auth with the account SID and auth
  token, 201 with a sid), and the list endpoints (``GET`` with ``To``,
  ``From``, ``DateSent>``/``StartTime>``) with Twilio's JSON shapes.
- ``SmtpServer``: aiosmtpd's real SMTP server, keeping each parsed message.

Each records what arrived and when (``at``, ``time.time()``), can be told to
``fail(times, status)`` and to ``delay(seconds)`` its answers.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Http:
    def __init__(self):
        self.calls: list[dict] = []
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self.pause = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                owner._serve(self, "POST")

            def do_GET(self):  # noqa: N802
                owner._serve(self, "GET")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def delay(self, seconds: float) -> None:
        self.pause = seconds

    def wait_for(self, count: int, timeout: float = 15.0, method: str = "POST") -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.calls if c["method"] == method and c["status"] < 300]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} calls, got {len(self.calls)}")

    def _serve(self, req: BaseHTTPRequestHandler, method: str) -> None:
        arrived = time.time()
        parts = urlsplit(req.path)
        raw = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        with self._lock:
            failure = self._failures.pop(0) if (self._failures and method == "POST") else None
            call = {"method": method, "path": parts.path, "query": parse_qs(parts.query), "raw": raw,
                    "headers": dict(req.headers), "at": arrived, "status": failure or 200}
            if failure:
                status, ctype, body = failure, "application/json", json.dumps({"error": "programmed"}).encode()
            else:
                status, ctype, body = self.answer(call)
                call["status"] = status
            self.calls.append(call)
        if self.pause:
            time.sleep(self.pause)
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def answer(self, call: dict) -> tuple[int, str, bytes]:  # pragma: no cover (overridden)
        raise NotImplementedError


class NtfyServer(_Http):
    def __init__(self):
        self.messages: list[dict] = []
        super().__init__()

    def published(self, topic: str | None = None) -> list[dict]:
        return [m for m in self.messages if topic is None or m["topic"] == topic]

    def answer(self, call):
        if call["method"] == "POST":
            path = call["path"].strip("/")
            h = {k.lower(): v for k, v in call["headers"].items()}
            if not path:  # JSON publishing: the topic is in the body
                data = json.loads(call["raw"] or b"{}")
                topic, title, text = data.get("topic", ""), data.get("title", ""), data.get("message", "")
                tags = data.get("tags") or []
            else:
                topic, text = path, call["raw"].decode()
                title = h.get("x-title") or h.get("title") or ""
                tags = []
            tag_header = h.get("x-tags") or h.get("tags") or ""
            tags = list(tags) + [t.strip() for t in tag_header.split(",") if t.strip()]
            if not topic:
                return 400, "application/json", b'{"code":40001,"error":"topic missing"}'
            msg = {"id": uuid.uuid4().hex[:12], "time": int(time.time()), "event": "message", "topic": topic,
                   "title": title, "message": text, "tags": tags, "at": call["at"],
                   "priority": h.get("x-priority", "")}
            self.messages.append(msg)
            return 200, "application/json", json.dumps({k: v for k, v in msg.items() if k != "at"}).encode()
        # GET /<topic>/json?poll=1&since=..&tags=..
        topic = call["path"].strip("/").removesuffix("/json")
        since = int((call["query"].get("since") or ["0"])[0])
        want = [t for t in (call["query"].get("tags") or [""])[0].split(",") if t]
        lines = [json.dumps({k: v for k, v in m.items() if k != "at"}) for m in self.messages
                 if m["topic"] == topic and m["time"] >= since and all(t in m["tags"] for t in want)]
        return 200, "application/x-ndjson", ("\n".join(lines) + ("\n" if lines else "")).encode()


class WebhookServer(_Http):
    def posted(self) -> list[dict]:
        return [json.loads(c["raw"]) for c in self.calls if c["method"] == "POST" and c["status"] < 300]

    def answer(self, call):
        return 200, "text/plain", b"1"


class TwilioServer(_Http):
    SID = "AC" + "0" * 32
    TOKEN = "twilio-test-token"

    def __init__(self):
        self.messages: list[dict] = []
        self.calls_made: list[dict] = []
        super().__init__()

    def answer(self, call):
        expected = "Basic " + base64.b64encode(f"{self.SID}:{self.TOKEN}".encode()).decode()
        if call["headers"].get("Authorization") != expected:
            return 401, "application/json", b'{"code": 20003, "message": "Authenticate", "status": 401}'
        prefix = f"/2010-04-01/Accounts/{self.SID}/"
        if not call["path"].startswith(prefix):
            return 404, "application/json", b'{"code": 20404, "status": 404}'
        resource = call["path"][len(prefix):]
        now = email.utils.formatdate(usegmt=True)
        if call["method"] == "POST":
            form = {k: v[0] for k, v in parse_qs(call["raw"].decode()).items()}
            if not form.get("To", "").startswith("+") or not form.get("From"):
                return 400, "application/json", b'{"code": 21211, "message": "Invalid To", "status": 400}'
            if resource == "Messages.json":
                item = {"sid": "SM" + uuid.uuid4().hex, "to": form["To"], "from": form["From"],
                        "body": form.get("Body", ""), "status": "queued", "date_created": now, "date_sent": now,
                        "at": call["at"]}
                self.messages.append(item)
            elif resource == "Calls.json":
                item = {"sid": "CA" + uuid.uuid4().hex, "to": form["To"], "from": form["From"],
                        "twiml": form.get("Twiml", ""), "status": "queued", "date_created": now,
                        "start_time": now, "at": call["at"]}
                self.calls_made.append(item)
            else:
                return 404, "application/json", b'{"code": 20404, "status": 404}'
            return 201, "application/json", json.dumps({k: v for k, v in item.items() if k != "at"}).encode()
        q = {k: v[0] for k, v in call["query"].items()}
        items = self.messages if resource == "Messages.json" else self.calls_made
        found = [{k: v for k, v in i.items() if k != "at"} for i in items
                 if i["to"] == q.get("To", i["to"]) and i["from"] == q.get("From", i["from"])]
        key = "messages" if resource == "Messages.json" else "calls"
        return 200, "application/json", json.dumps({key: list(reversed(found)), "next_page_uri": None}).encode()


class SmtpServer:
    """aiosmtpd on a free loopback port; ``messages`` holds each parsed e-mail."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.arrived: list[float] = []
        owner = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                owner.arrived.append(time.time())
                owner.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        from tests.conftest import free_port

        # aiosmtpd checks that it is up by connecting to the port it was given, so not port 0
        self.host, self.port = "127.0.0.1", free_port()
        self.controller = Controller(Handler(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} e-mails, got {len(self.messages)}")
