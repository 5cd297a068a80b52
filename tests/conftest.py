"""Shared fixtures: real SQLite files in tmp folders, a fixed clock, the Flask
app with its test client, and a real `run.py serve` process on a free port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from warroom import accounts
from warroom import config as configmod
from warroom import db as dbmod

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
FIXED_NOW = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def shared_data_dir() -> Path:
    return Path(os.environ.get("WARROOM_SHARED_DATA", ROOT.parent / "shared" / "data"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def now():
    return FIXED_NOW


@pytest.fixture
def settings(tmp_path):
    return configmod.load(None, env={"WARROOM_DB_PATH": str(tmp_path / "warroom.db"),
                                     "WARROOM_SECRET_KEY": "test-secret"})


@pytest.fixture
def db(settings):
    database = dbmod.connect(settings.db_path)
    dbmod.migrate(database)
    yield database
    database.close()


def make_user(db, name: str, role: str, now=FIXED_NOW, slack_id=None):
    return accounts.add_user(db, now, name, role, PASSWORD, slack_id=slack_id)


@pytest.fixture
def app(settings):
    from warroom.app import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    return application


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert m, "no CSRF token in page"
    return m.group(1)


def login_client(client, name: str, password: str = PASSWORD):
    """Log a Flask test client in through the real form; returns its CSRF token."""
    page = client.get("/login")
    resp = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 302, resp.text
    return csrf_from(client.get("/").text)


class Server:
    """A real `python run.py serve` process on a free port and its own database."""

    def __init__(self, tmp_path: Path, extra_env: dict | None = None, db_path: Path | None = None):
        self.port = free_port()
        self.db_path = db_path or tmp_path / "server.db"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "WARROOM_DB_PATH": str(self.db_path),
            "WARROOM_SERVER_PORT": str(self.port),
            "WARROOM_SECRET_KEY": "e2e-secret",
            "WARROOM_LIVE_POLL_MS": "50",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.log_path = tmp_path / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> Server:
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "run.py", "serve", "--config", str(ROOT / "config.toml")],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=None) -> None:
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "run.py", *args, "--config", str(ROOT / "config.toml")],
            cwd=ROOT, env=self.env, input=stdin, capture_output=True, text=True, timeout=60,
        )

    def add_user(self, name: str, role: str, password: str = PASSWORD) -> None:
        done = self.cli("user", "add", name, "--role", role, "--password-stdin", stdin=password + "\n")
        assert done.returncode == 0, done.stderr

    def login(self, name: str, password: str = PASSWORD) -> requests.Session:
        s = requests.Session()
        page = s.get(self.url + "/login")
        resp = s.post(self.url + "/login", data={"name": name, "password": password,
                                                  "csrf_token": csrf_from(page.text)},
                      allow_redirects=False)
        assert resp.status_code == 302, resp.text
        s.headers["X-CSRF-Token"] = csrf_from(s.get(self.url + "/").text)
        return s


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path).start()
    yield srv
    srv.stop()


def socket_client(server: Server, http: requests.Session | None):
    """A python-socketio client connected to /board over the WebSocket transport."""
    import socketio

    client = socketio.Client(reconnection=False)
    headers = {}
    if http is not None:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client.connect(server.url, namespaces=["/board"], transports=["websocket"], headers=headers,
                   wait_timeout=10)
    return client


def close_clients(*clients) -> None:
    """Disconnect in parallel: against Werkzeug each disconnect waits ~3 s for a close frame."""
    import threading

    threads = [threading.Thread(target=c.disconnect) for c in clients if c.connected]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free loopback port (installed by `make test`)."""
    import shutil

    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `make test` installs it (apt-get install redis-server)"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--maxmemory", "64mb"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


# -- Slack: the local Slack-compatible server and a sender pointed at it -----


@pytest.fixture
def slack():
    from .slack_server import SlackServer

    srv = SlackServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def sender(settings, slack):
    from dataclasses import replace

    from warroom.slack import SlackSender, make_client

    s = replace(settings, slack=replace(settings.slack, base_url=slack.url))
    return SlackSender(make_client(s, env={"SLACK_BOT_TOKEN": "xoxb-test"}), "http://board.test")


# -- live board events --------------------------------------------------------


def collect_events(client):
    """A queue that receives every `event` the client's /board gets."""
    import queue

    q = queue.Queue()
    client.on("event", q.put, namespace="/board")
    return q


def wait_for_kind(q, kind: str, timeout: float = 5.0) -> dict:
    """The next event of ``kind`` from ``q`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {kind} event within {timeout}s"
        event = q.get(timeout=left)
        if event["kind"] == kind:
            return event
