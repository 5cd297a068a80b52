"""Shared fixtures, defined once for every test folder: real SQLite files in
tmp folders (or, with WARROOM_TEST_STORE=postgresql, one fresh database per
test on a real PostgreSQL server: tests/pg_server.py), a fixed clock, the Flask app with its test client, Socket.IO
test clients, a mention row, a real `run.py serve` process on a free port,
real Chromium, a Slack-compatible server and redis-server."""

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

from . import pg_server

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
FIXED_NOW = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def shipped_version(playbook_id: str) -> int:
    """The version number of a shipped playbook (playbooks/<id>.md) as it is today.

    Tests compare against this, not a literal, so a bump of the shipped text
    (required whenever its content changes) does not break them."""
    from warroom import playbooks

    return playbooks.parse((ROOT / "playbooks" / f"{playbook_id}.md").read_text()).version


def with_version(text: str, version: int) -> str:
    """A playbook text with its front matter's ``version = N`` line set to ``version``, whatever N was."""
    out, n = re.subn(r"(?m)^version = \d+$", f"version = {version}", text, count=1)
    assert n == 1, "no `version = N` line in the playbook text"
    return out


def shared_data_dir() -> Path:
    return Path(os.environ.get("WARROOM_SHARED_DATA", ROOT.parent / "shared" / "data"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, what: str = "condition", every: float = 0.01):
    """Poll ``predicate`` until it returns something truthy (returned), or fail
    naming ``what`` after ``timeout`` seconds: a deadline, not a sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


@pytest.fixture
def now():
    return FIXED_NOW


def pytest_sessionfinish(session, exitstatus):
    pg_server.stop()


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """On PostgreSQL, drop the databases a test made once it is done (its
    servers are stopped by then: this fixture is set up first, so torn down
    last). Databases of module-scoped fixtures are made before it and kept."""
    mark = pg_server.mark()
    yield
    pg_server.drop_since(mark)


def store_env(tmp_path: Path) -> dict:
    """The settings' store: a SQLite file in tmp_path, or a fresh PostgreSQL
    database when WARROOM_TEST_STORE=postgresql (its folder still holds the
    secret key and other local files)."""
    env = {"WARROOM_DB_PATH": str(tmp_path / "warroom.db")}
    if pg_server.wanted():
        env["WARROOM_DB_URL"] = pg_server.server().new_database()
    return env


@pytest.fixture
def settings(tmp_path):
    return configmod.load(None, env={**store_env(tmp_path), "WARROOM_SECRET_KEY": "test-secret"})


@pytest.fixture
def db(settings):
    database = dbmod.connect(settings.db_url)
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


# -- the board over Socket.IO (Flask-SocketIO's test client) -------------------


def sock(app, name):
    """A logged-in HTTP test client and its /board socket."""
    client = app.test_client()
    login_client(client, name)
    socketio = app.extensions["socketio"]
    sc = socketio.test_client(app, namespace="/board", flask_test_client=client)
    assert sc.is_connected("/board")
    return client, sc


def call(sc, name, payload):
    """A board command and its acknowledgement."""
    return sc.emit(name, payload, namespace="/board", callback=True)


# -- mentions and replies --------------------------------------------------------

GOOD = "So sorry, Anna: the ash cloud grounded your flight. I'll rebook you and DM you by 5pm."
DEFENSIVE = "We are not responsible for the ash cloud. I'll rebook you and DM you by 5pm."


def rev(db, draft_id: int) -> int:
    """A draft's current revision: what an approver who just read it names."""
    from warroom import responses

    return responses.get_draft(db, draft_id).revision


def add_mention(db, room_id, now, text="my flight is cancelled and nobody answers",
                label="negative", ext=None, received=None):
    """One mention row, written directly (the ingest path has its own tests)."""
    from warroom.clock import iso

    with dbmod.transaction(db):
        cur = db.execute(
            "INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
            " received_at, sentiment, sentiment_label) VALUES (?, 'twitter', ?, '@anna', ?, '', ?, ?, ?, ?)",
            [room_id, ext or f"t{db.execute('SELECT COUNT(*) FROM mentions').fetchone()[0]}",
             text, iso(received or now), iso(received or now), -0.6 if label == "negative" else 0.0,
             label],
        )
    return cur.lastrowid


# -- real Chromium (Debian's; Playwright's own browser is not downloaded) --------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs it")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def browser_login(context, server, name):
    """A new page in this browser context, logged in through the form."""
    page = context.new_page()
    # What went wrong in the page, for open_board's message (CI shows only that).
    trouble: list[str] = []
    page.on("pageerror", lambda exc: trouble.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: trouble.append(f"request failed: {req.url} ({req.failure})"))
    page.on("console", lambda msg: trouble.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") else None)
    page.warroom_trouble = trouble
    page.goto(server.url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def open_board(page, server, room_id):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{server.url}/rooms/{room_id}")
    page.wait_for_selector("#live-state.on", timeout=10000)
    # 20 s: under `make test` two workers share 2 cores, and a file next door
    # may be running three servers and PostgreSQL (the board retries its load).
    try:
        page.wait_for_function("() => window.warroomBoard && window.warroomBoard.state.me !== null",
                               timeout=20000)
    except PlaywrightTimeout:
        # Say why: the board's own status line names the failed load, and the
        # server's log has the store's warnings (CI shows only this message).
        status = page.text_content("#composer-status")
        state = page.evaluate("""() => ({
            board: typeof window.warroomBoard,
            loaded: performance.getEntriesByType("resource").map(r => r.name.replace(location.origin, "")
                                                                 + " " + (r.responseStatus || "")),
        })""")
        log = server.output().splitlines()[-30:]
        raise AssertionError(
            f"the board did not load in 20 s; it says {status!r}; window.warroomBoard is {state['board']};"
            f" requests: {state['loaded']}; trouble in the page: {getattr(page, 'warroom_trouble', None)};"
            " the server's log ends:\n" + "\n".join(log)) from None


def mention_sel(mid):
    return f'#mention-list li.mention[data-mention-id="{mid}"]'


def command(page, name, payload):
    return page.evaluate("([n, p]) => window.warroomBoard.command(n, p)", [name, payload])


class Server:
    """A real `python run.py serve` process on a free port and its own database.

    The store follows WARROOM_TEST_STORE: a SQLite file in tmp_path, or a
    fresh PostgreSQL database (passed as WARROOM_DB_URL). ``db_url`` names it
    either way and ``db()`` opens it; ``db_url=other.db_url`` starts a second
    process (or a restart) on the same store. ``db_path`` is the SQLite file
    (None on PostgreSQL); passing ``db_path`` pins a SQLite file, and a
    WARROOM_DB_URL in ``extra_env`` wins over both. WARROOM_DB_PATH always
    points into tmp_path: its folder holds the secret key and other local
    files on either store."""

    def __init__(self, tmp_path: Path, extra_env: dict | None = None, db_path: Path | None = None,
                 db_url: str | None = None):
        self.port = free_port()
        extra_env = dict(extra_env or {})
        db_url = extra_env.get("WARROOM_DB_URL") or db_url
        if db_url and dbmod.is_postgresql(db_url):
            self.db_path = None
        elif db_url:
            self.db_path = Path(dbmod.sqlite_path(db_url))
        elif db_path is None and pg_server.wanted():
            self.db_path = None
            db_url = pg_server.server().new_database()
        else:
            self.db_path = Path(db_path or tmp_path / "server.db")
        self.db_url = db_url or f"sqlite:///{self.db_path}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "WARROOM_DB_PATH": str(self.db_path or tmp_path / "server.db"),
            "WARROOM_SERVER_PORT": str(self.port),
            "WARROOM_SECRET_KEY": "e2e-secret",
            "WARROOM_LIVE_POLL_MS": "50",
            # 2 s of CPU per start, hundreds of starts: models load on first use
            # here (tests/listening/test_language_warm.py starts one that warms)
            "WARROOM_INGEST_WARM_LANGUAGES": "false",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        if dbmod.is_postgresql(self.db_url):
            self.env["WARROOM_DB_URL"] = self.db_url
        else:
            self.env.pop("WARROOM_DB_URL", None)  # not the caller's own environment's store
        self.log_path = tmp_path / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def db(self) -> dbmod.Database:
        """A connection to this server's store (close it when done)."""
        return dbmod.connect(self.db_url)

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


def save_from_composer(page, mention_id: int, text: str) -> int:
    """Reply to a mention through the board's composer and save: the draft's id."""
    page.click(mention_sel(mention_id) + " .reply-btn")
    page.fill("#composer-text", text)
    page.click("#composer-save")
    page.wait_for_function("() => /saved draft/.test(document.getElementById('composer-status').textContent)")
    return page.evaluate("() => window.warroomBoard.state.draftId")


def approve_as(server: Server, name: str, draft: dict):
    """``name`` approves the submitted ``draft`` (its id and revision) over their
    own /board socket; returns the connected client (close it with close_clients)."""
    client = socket_client(server, server.login(name))
    ok = client.call("draft.approve", {"draft_id": draft["id"], "revision": draft["revision"]},
                     namespace="/board", timeout=10)
    assert ok.get("ok"), ok
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
    """A queue that receives every event the client's /board gets, one by
    one, whether it came alone (`event`) or in a batch (`events`)."""
    import queue

    q = queue.Queue()
    client.on("event", q.put, namespace="/board")
    client.on("events", lambda batch: [q.put(e) for e in batch], namespace="/board")
    return q


def board_events(received: list[dict]) -> list[dict]:
    """The events in a Flask-SocketIO test client's ``get_received``, in order,
    single (`event`) and batched (`events`) alike."""
    out: list[dict] = []
    for message in received:
        if message["name"] == "event":
            out.append(message["args"][0])
        elif message["name"] == "events":
            out.extend(message["args"][0])
    return out


def wait_for_kind(q, kind: str, timeout: float = 5.0) -> dict:
    """The next event of ``kind`` from ``q`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {kind} event within {timeout}s"
        event = q.get(timeout=left)
        if event["kind"] == kind:
            return event


# -- contact methods' services: real SMTP (aiosmtpd), local ntfy, webhook, Twilio --


@pytest.fixture
def smtp():
    from .notify_servers import SmtpServer

    srv = SmtpServer()
    yield srv
    srv.stop()


@pytest.fixture
def ntfy():
    from .notify_servers import NtfyServer

    srv = NtfyServer()
    yield srv
    srv.stop()


@pytest.fixture
def teams():
    from .notify_servers import WebhookServer

    srv = WebhookServer()
    yield srv
    srv.stop()


@pytest.fixture
def twilio():
    from .notify_servers import TwilioServer

    srv = TwilioServer()
    yield srv
    srv.stop()


def notify_env(smtp=None, ntfy=None, twilio=None) -> dict:
    """WARROOM_NOTIFY_* and secrets pointing a server process at the local services."""
    from .notify_servers import TwilioServer

    env = {}
    if smtp is not None:
        env.update({"WARROOM_NOTIFY_SMTP_HOST": smtp.host, "WARROOM_NOTIFY_SMTP_PORT": str(smtp.port),
                    "WARROOM_NOTIFY_SMTP_FROM": "warroom@example.org", "WARROOM_NOTIFY_SMTP_MODE": "insecure"})
    if ntfy is not None:
        env["WARROOM_NOTIFY_NTFY_URL"] = ntfy.url
    if twilio is not None:
        env.update({"WARROOM_NOTIFY_TWILIO_BASE_URL": twilio.url, "WARROOM_NOTIFY_TWILIO_FROM": "+15005550006",
                    "TWILIO_ACCOUNT_SID": TwilioServer.SID, "TWILIO_AUTH_TOKEN": TwilioServer.TOKEN})
    return env


@pytest.fixture
def method_senders(smtp, ntfy, twilio, sender):
    """kind -> sender for every contact method, pointed at the local services."""
    from warroom import notifications
    from warroom.slack import SlackMethod

    from .notify_servers import TwilioServer

    out = {"email": notifications.EmailSender(smtp.host, smtp.port, "warroom@example.org", mode="insecure"),
           "ntfy": notifications.NtfySender(ntfy.url),
           "teams": notifications.WebhookSender("teams"), "webhook": notifications.WebhookSender("webhook"),
           "slack": SlackMethod(sender)}
    for kind in ("sms", "voice"):
        out[kind] = notifications.TwilioSender(kind, twilio.url, TwilioServer.SID, TwilioServer.TOKEN, "+15005550006")
    return out
