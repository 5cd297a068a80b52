"""A loopback HTTP proxy in front of a real server that can withhold answers.

It forwards every request as it came (method, path, headers, body) to the
upstream and passes the answer back. With ``hold(path_part)`` set, a request
whose path contains ``path_part`` is still forwarded, so the upstream does
the work, but its answer is kept back until ``release()``, and then dropped:
the client never learns that its write landed. That is the window a crash
between sending and recording leaves open, made on purpose."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "host"}


class HoldProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.held_path: str | None = None
        self.holding = threading.Event()  # set once a request's answer is being withheld
        self._released = threading.Event()
        self.forwarded: list[str] = []  # "METHOD path" of every request passed on
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                proxy.forwarded.append(f"{self.command} {self.path}")
                if proxy.held_path and proxy.held_path in self.path:
                    proxy.holding.set()
                    proxy._released.wait()
                    self.close_connection = True
                    return  # the answer is dropped: the write landed, the client never hears
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> HoldProxy:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def hold(self, path_part: str) -> None:
        self.held_path = path_part

    def release(self) -> None:
        self.held_path = None
        self._released.set()

    def stop(self) -> None:
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
