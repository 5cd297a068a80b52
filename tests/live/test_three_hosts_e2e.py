"""Three app hosts on one PostgreSQL and one Redis, every one with the
scheduler on and taking part in the publisher election (nothing is run
"only on one host"); each test SIGKILLs one of them mid-stream:

a. ingest clients post to all three; every mention acknowledged (2xx) is
   stored exactly once, the dead host's client carrying on through another;
b. a host killed while it holds a page between send and record: another host
   records it without sending again, and a page that falls due while that
   host is dead goes out from another within a tick, each once in Slack;
c. the publisher's host is killed: a board on a surviving host goes on
   receiving every later event, in id order, none twice after its dedupe.

Real parts: PostgreSQL (tests/pg_server.py), redis-server, three `run.py
serve` processes (``Server``), the local Slack server, Socket.IO over
WebSocket."""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from tests import pg_server
from warroom import accounts, escalation, events, rooms
from warroom import db as dbmod
from warroom.clock import utcnow

from ..conftest import PASSWORD, Server, close_clients, collect_events, socket_client

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql]  # PostgreSQL whatever the pass


def until(predicate, hosts, timeout: float = 30.0, what: str = "condition", state=None):
    """Poll ``predicate`` until it is truthy (its value), failing at the
    deadline or as soon as a host that should be alive has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for host in hosts:
            if host.proc.poll() is not None:
                raise AssertionError(f"a host exited: {host.output()[-2000:]}")
        time.sleep(0.05)
    shown = f"; state: {state()}" if state else ""
    raise AssertionError(f"timed out waiting for {what}{shown}; logs: "
                         + " | ".join(h.output()[-800:] for h in hosts))


def start_hosts(tmp_path: Path, url: str, redis_url: str, extra: dict | None = None) -> list[Server]:
    env = {"WARROOM_DB_URL": url, "WARROOM_LIVE_MESSAGE_QUEUE": redis_url,
           "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1", "WARROOM_SLACK_ROOM_CHANNELS": "false",
           **(extra or {})}
    hosts = []
    for i in range(3):
        folder = tmp_path / f"host{i}"  # each its own local folder, as on separate machines
        folder.mkdir()
        hosts.append(Server(folder, extra_env=env))
    try:
        for h in hosts:
            h.start(timeout=90)  # a shared 2-core machine boots three slowly
    except BaseException:
        stop_hosts(hosts)
        raise
    return hosts


def stop_hosts(hosts: list[Server]) -> None:
    for h in hosts:
        h.stop()


def kill(host: Server) -> None:
    host.proc.send_signal(signal.SIGKILL)
    assert host.proc.wait(10) == -signal.SIGKILL  # reaped: its pid is gone, not a zombie
    host.stop()


def publisher_host(db, hosts: list[Server]) -> Server | None:
    """The host whose publisher holds the lock (it names itself in the cursor row)."""
    row = db.execute("SELECT sent_by FROM publisher_cursor WHERE name = 'board'").fetchone()
    if row is None:
        return None
    pid = int(row[0].rsplit(":", 1)[1])
    return next((h for h in hosts if h.proc.pid == pid and h.proc.poll() is None), None)


@pytest.fixture
def pg_url():
    return pg_server.server().new_database()


# -- a. ingest -------------------------------------------------------------------


class IngestClient(threading.Thread):
    """Posts batches of mentions to its home host; a batch that gets no 2xx
    (the host died mid-request, or refuses) is posted again, the same
    external ids, to the next host: the API is idempotent per room on
    (source, external_id)."""

    def __init__(self, name: str, hosts: list[Server], home: int, room_id: int, token: str):
        super().__init__(daemon=True)
        self.name_, self.hosts, self.home, self.room_id, self.token = name, hosts, home, room_id, token
        self.acked: list[str] = []
        self.acked_by: list[int] = []  # the host index that acknowledged each batch
        self.stop = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        batch_no = 0
        while not self.stop.is_set():
            ids = [f"{self.name_}-{batch_no}-{i}" for i in range(10)]
            body = "\n".join(json.dumps({
                "external_id": ext, "source": "three-hosts", "author": "@storm",
                "text": f"Flight cancelled, nobody answers ({ext})", "url": f"https://example.org/{ext}",
                "created_at": "2026-11-30T09:00:00Z"}) for ext in ids)
            target = self.home
            while not self.stop.is_set():
                host = self.hosts[target]
                try:
                    resp = requests.post(f"{host.url}/api/v1/rooms/{self.room_id}/mentions", data=body, timeout=5,
                                         headers={"Authorization": f"Bearer {self.token}",
                                                  "Content-Type": "application/x-ndjson"})
                except requests.RequestException:
                    target = (target + 1) % len(self.hosts)  # not acknowledged: the same batch elsewhere
                    continue
                if 200 <= resp.status_code < 300:
                    self.acked.extend(ids)
                    self.acked_by.append(target)
                    break
                if resp.status_code in (429, 503):
                    time.sleep(float(resp.headers.get("Retry-After", "0.2")) if resp.status_code == 429 else 0.05)
                    target = (target + 1) % len(self.hosts)
                    continue
                self.error = f"{resp.status_code}: {resp.text[:300]}"
                return
            batch_no += 1


def test_ingest_on_three_hosts_loses_no_acknowledged_mention_when_one_is_killed(tmp_path, pg_url, redis_url):
    hosts = start_hosts(tmp_path, pg_url, redis_url, {"WARROOM_INGEST_REQUESTS_PER_MINUTE": "100000"})
    db = dbmod.connect(pg_url)
    clients: list[IngestClient] = []
    try:
        lead = accounts.add_user(db, utcnow(), "lena", "lead", PASSWORD)
        room = rooms.open_room(db, utcnow(), lead, "Storm on three hosts")
        made = hosts[0].cli("token", "add", "three-hosts", "--room", str(room.id))
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        clients = [IngestClient(f"c{i}", hosts, i, room.id, token) for i in range(3)]
        for c in clients:
            c.start()
        until(lambda: all(len(c.acked_by) >= 3 for c in clients), hosts, what="three batches per client")
        kill(hosts[0])  # host 0 dies mid-stream, with requests in flight
        at_kill = [len(c.acked_by) for c in clients]
        alive = hosts[1:]
        until(lambda: all(len(c.acked_by) >= n + 3 for c, n in zip(clients, at_kill, strict=True)), alive,
              what="three more batches per client after the kill")
    finally:
        for c in clients:
            c.stop.set()
        for c in clients:
            c.join(15)
        stop_hosts(hosts)
    assert [c.error for c in clients] == [None, None, None]
    # host 0's client went on through the others. The first ack counted after
    # the kill may still be host 0's: a reply it sent just before it died,
    # read by the client thread after the kill returned (the client is
    # serial, so at most one such).
    after = clients[0].acked_by[at_kill[0]:]
    assert len(after) >= 3 and set(after[1:]) <= {1, 2}, after
    stored: dict[str, int] = {}
    for (ext,) in db.execute("SELECT external_id FROM mentions WHERE room_id = ? AND source = 'three-hosts'",
                             [room.id]).fetchall():
        stored[ext] = stored.get(ext, 0) + 1
    acked = [ext for c in clients for ext in c.acked]
    assert [e for e in acked if e not in stored] == []  # nothing acknowledged is lost
    assert {n for n in stored.values()} == {1}  # nothing is stored twice
    db.close()


# -- b. pages -------------------------------------------------------------------


def _held(barrier: Path) -> dict[str, int]:
    """send key -> pid of the host holding it between send and record."""
    return {p.name[5:]: int(p.read_text()) for p in barrier.glob("held-*")}


def _open_page(db, room_id: int, user: str) -> int:
    with dbmod.transaction(db):
        esc = escalation.open_escalation(db, utcnow(), room_id, "spike", {"value": 99}, None)
        policy = escalation.Policy((escalation.PolicyStep(0, (f"user:{user}",)),), 0, "test")
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
    return esc.id


def _posted_with(slack, key: str) -> list[dict]:
    return [p for p in slack.posted() if (p.get("metadata") or {}).get("event_payload", {}).get("page_key") == key]


def test_a_page_held_by_a_killed_host_and_one_due_meanwhile_each_reach_slack_once(tmp_path, pg_url, redis_url,
                                                                                   slack):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    hosts = start_hosts(tmp_path, pg_url, redis_url, {
        "SLACK_BOT_TOKEN": "xoxb-three", "WARROOM_SLACK_BASE_URL": slack.url,
        # every host holds after a send, before recording it, until released or killed
        "WARROOM_HOLD_AFTER_SEND": str(barrier)})
    db = dbmod.connect(pg_url)
    try:
        owner = accounts.add_user(db, utcnow(), "olga", "lead", PASSWORD)
        accounts.add_user(db, utcnow(), "ann", "responder", PASSWORD)
        db.execute("UPDATE users SET slack_id = 'U0ANN' WHERE name = 'ann'")
        room = rooms.open_room(db, utcnow(), owner, "Paging on three hosts")
        _open_page(db, room.id, "ann")
        # Whichever host claimed it has sent it and holds before recording it.
        [(first_key, pid)] = until(lambda: list(_held(barrier).items()), hosts, what="a held page")
        assert db.execute("SELECT state FROM pages WHERE send_key = ?", [first_key]).fetchone()[0] == "sending"
        holder = next(h for h in hosts if h.proc.pid == pid)
        kill(holder)
        alive = [h for h in hosts if h is not holder]

        # A page that falls due while that host is dead: another host sends it
        # within a tick (and holds too; the barrier is released below).
        # (another room: a room has one open escalation at a time)
        _open_page(db, rooms.open_room(db, utcnow(), owner, "Second front").id, "ann")
        second_key = until(lambda: [k for k in _held(barrier) if k != first_key], alive, what="the second page",
                           state=lambda: db.execute("SELECT id, state, claim_token, send_key FROM pages").fetchall())[0]
        assert _held(barrier)[second_key] in {h.proc.pid for h in alive}
        with open(barrier / "release", "wb"):
            pass  # opening the FIFO for writing lets the holding host record it
        until(lambda: {s for (s,) in db.execute("SELECT state FROM pages").fetchall()} == {"sent"}, alive,
              what="both pages recorded sent")
        assert len(_posted_with(slack, first_key)) == 1  # found by its metadata, not sent again
        assert len(_posted_with(slack, second_key)) == 1
        # A third page is a barrier: once it is sent, the survivors have ticked
        # again since; the first two still went out once each.
        _open_page(db, rooms.open_room(db, utcnow(), owner, "Third front").id, "ann")
        third_key = until(lambda: [k for k in _held(barrier) if k not in (first_key, second_key)], alive,
                          what="the third page")[0]
        with open(barrier / "release", "wb"):
            pass
        until(lambda: db.execute("SELECT COUNT(*) FROM pages WHERE state = 'sent'").fetchone()[0] == 3, alive,
              what="the third page recorded")
        assert [len(_posted_with(slack, k)) for k in (first_key, second_key, third_key)] == [1, 1, 1]
        recovered = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'page.sent'"
                               " AND data LIKE '%\"recovered\":true%'").fetchone()[0]
        assert recovered == 1
    finally:
        stop_hosts(hosts)
        db.close()
    assert len(_posted_with(slack, first_key)) == 1 and len(_posted_with(slack, second_key)) == 1


# -- c. the publisher -----------------------------------------------------------


def test_the_publishers_host_is_killed_and_a_board_elsewhere_misses_nothing(tmp_path, pg_url, redis_url):
    hosts = start_hosts(tmp_path, pg_url, redis_url)
    db = dbmod.connect(pg_url)
    clients = []
    stop = threading.Event()
    try:
        lead = accounts.add_user(db, utcnow(), "lena", "lead", PASSWORD)
        room = rooms.open_room(db, utcnow(), lead, "Boards on three hosts")
        leader = until(lambda: publisher_host(db, hosts), hosts, what="a publisher")
        board_host = next(h for h in hosts if h is not leader)
        http = board_host.login("lena")
        board = socket_client(board_host, http)
        clients.append(board)
        got = collect_events(board)
        assert board.call("join", {"room": room.id}, namespace="/board", timeout=5)["ok"]

        committed: list[int] = []

        def writer() -> None:  # commits keep coming, through the kill
            own = dbmod.connect(pg_url)
            try:
                n = 0
                while not stop.is_set():
                    with dbmod.transaction(own):
                        committed.append(events.append(own, room.id, "test.tick", "test", {"n": n}, utcnow()).id)
                    n += 1
                    time.sleep(0.02)
            finally:
                own.close()

        received: list[int] = []

        def drain() -> None:
            while True:
                try:
                    e = got.get_nowait()
                except queue.Empty:
                    return
                if e["room"] == room.id and e["kind"] == "test.tick":
                    received.append(e["id"])

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        until(lambda: drain() or len(received) >= 20, hosts, what="events before the kill")
        kill(leader)
        alive = [h for h in hosts if h is not leader]
        killed_at = committed[-1]
        new_leader = until(lambda: publisher_host(db, alive), alive, what="a new publisher")
        assert new_leader is not leader
        until(lambda: drain() or len([i for i in received if i > killed_at]) >= 20, alive,
              what="events after the kill")
        stop.set()
        thread.join(10)
        last = committed[-1]
        until(lambda: drain() or (received and received[-1] >= last) or last in received, alive,
              what="the last event")
    finally:
        stop.set()
        close_clients(*clients)
        stop_hosts(hosts)
    seen: list[int] = []
    for i in received:  # the board's dedupe (static/room.js keeps `seen`)
        if i not in seen:
            seen.append(i)
    # every event committed (all after the board joined), once, in id order
    assert seen == committed
    # a repeat is only the batch resent at the failover, never an event sent after it
    repeats = [i for i in set(received) if received.count(i) > 1]
    assert all(i <= killed_at for i in repeats), repeats
    db.close()
