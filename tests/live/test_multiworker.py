"""Two `run.py serve` workers on one database share the fan-out through a real
redis-server (Flask-SocketIO's message queue): a board on worker A sees an
event committed on worker B, and the other way round."""

import queue
import time

import pytest

from warroom import accounts, escalation
from warroom import db as dbmod
from warroom.clock import utcnow

from ..conftest import Server, close_clients, collect_events, make_user, socket_client
from ..slack_server import SlackServer

pytestmark = pytest.mark.e2e


def kinds_until(q, want: str, timeout=8.0):
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        try:
            event = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        got.append(event)
        if event["kind"] == want:
            return event
    raise AssertionError(f"no {want} within {timeout}s; got {[e['kind'] for e in got]}")


def test_cross_worker_delivery_through_redis_and_each_page_sent_once(tmp_path, redis_url):
    slack = SlackServer().start()
    common = {"WARROOM_LIVE_MESSAGE_QUEUE": redis_url, "SLACK_BOT_TOKEN": "xoxb-mw",
              "WARROOM_SLACK_BASE_URL": slack.url, "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1",
              "WARROOM_SLACK_ROOM_CHANNELS": "false"}  # only pages are counted here
    a = Server(tmp_path, extra_env=common)
    dbmod.migrate(a.db())  # before two processes race to create the schema
    a.start()
    # README runs one scheduler per database; B runs one too, to show that the
    # page claims in SQLite keep paging exactly-once even then.
    b = Server(tmp_path, db_url=a.db_url, extra_env={
        **common,
        "WARROOM_LIVE_PUBLISH": "false",       # one publisher per database
    }).start()
    clients = []
    try:
        a.add_user("lena", "lead")
        on_a, on_b = a.login("lena"), b.login("lena")
        client_a, client_b = socket_client(a, on_a), socket_client(b, on_b)
        clients = [client_a, client_b]
        qa, qb = collect_events(client_a), collect_events(client_b)

        # Committed on worker B (which does not publish itself) ...
        resp = on_b.post(b.url + "/rooms", data={"title": "Opened on B"}, allow_redirects=False)
        assert resp.status_code == 302
        room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        # ... reaches the boards on both workers.
        assert kinds_until(qa, "room.opened")["data"]["title"] == "Opened on B"
        assert kinds_until(qb, "room.opened")["room"] == room_id

        for client in clients:
            assert client.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]
        # Committed on worker A reaches the board on worker B.
        assert on_a.post(f"{a.url}/rooms/{room_id}/close", allow_redirects=False).status_code == 302
        closed_b = kinds_until(qb, "room.closed")
        closed_a = kinds_until(qa, "room.closed")
        assert closed_a["id"] == closed_b["id"]
        # A client in both the room and the lobby gets each event once.
        time.sleep(0.5)
        extra = [qa.get_nowait()["id"] for _ in range(qa.qsize())]
        assert closed_a["id"] not in extra

        # A page: both workers run a scheduler tick every second; Slack hears it once
        # and both boards see it sent.
        resp = on_b.post(b.url + "/rooms", data={"title": "Paging"}, allow_redirects=False)
        paging_room = int(resp.headers["Location"].rsplit("/", 1)[1])
        for client in clients:
            assert client.call("join", {"room": paging_room}, namespace="/board", timeout=5)["ok"]
        db = a.db()
        with dbmod.transaction(db):
            db.execute("UPDATE users SET slack_id = 'U0LENA' WHERE name = 'lena'")
            esc = escalation.open_escalation(db, utcnow(), paging_room, "spike", {"value": 99}, None)
            policy = escalation.Policy((escalation.PolicyStep(0, ("user:lena",)),), 0, "test")
            db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
        assert accounts.find_by_slack_id(db, "U0LENA").name == "lena"
        db.close()
        sent_a, sent_b = kinds_until(qa, "page.sent", 15), kinds_until(qb, "page.sent", 15)
        assert sent_a["id"] == sent_b["id"]
        time.sleep(2.5)  # two more ticks on each worker: nothing may go out again
        opened = slack.calls_to("conversations.open")
        posted = slack.calls_to("chat.postMessage")
        assert len(opened) == 1 and len(posted) == 1, (opened, posted)
        assert "page_key" in str(posted[0]["body"])
    finally:
        close_clients(*clients)
        a.stop()
        b.stop()
        slack.stop()


def test_presence_is_the_same_on_both_workers(tmp_path, redis_url):
    """Who is on the board lives in the shared database and its changes go
    through Redis: a viewer on worker B is listed on worker A, and leaves there."""
    common = {"WARROOM_LIVE_MESSAGE_QUEUE": redis_url}
    a = Server(tmp_path, extra_env=common)
    dbmod.migrate(a.db())
    a.start()
    b = Server(tmp_path, db_url=a.db_url, extra_env={**common, "WARROOM_LIVE_PUBLISH": "false"}).start()
    clients = []
    try:
        db = a.db()
        make_user(db, "lena", "lead")
        make_user(db, "paul", "responder")
        db.close()
        on_a, on_b = a.login("lena"), b.login("paul")
        resp = on_a.post(a.url + "/rooms", data={"title": "Who is here"}, allow_redirects=False)
        room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        lena, paul = socket_client(a, on_a), socket_client(b, on_b)
        clients = [lena, paul]
        seen_by_lena = queue.Queue()
        lena.on("presence", seen_by_lena.put, namespace="/board")
        for client in clients:
            assert client.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]

        assert lena.call("presence.ping", {"room": room_id}, namespace="/board", timeout=5)["viewers"] == ["lena"]
        # Paul's heartbeat on B: B's answer already knows lena (from the shared table) ...
        assert paul.call("presence.ping", {"room": room_id}, namespace="/board",
                         timeout=5)["viewers"] == ["lena", "paul"]
        # ... and lena's board on A hears the change, through Redis.
        deadline = time.monotonic() + 8
        last = None
        while last != ["lena", "paul"] and time.monotonic() < deadline:
            last = seen_by_lena.get(timeout=max(0.01, deadline - time.monotonic()))["viewers"]
        assert last == ["lena", "paul"]
        # A's own answer agrees, and paul closing his board on B shows on A.
        assert lena.call("presence.ping", {"room": room_id}, namespace="/board",
                         timeout=5)["viewers"] == ["lena", "paul"]
        assert paul.call("presence.leave", {"room": room_id}, namespace="/board", timeout=5)["ok"]
        deadline = time.monotonic() + 8
        while last != ["lena"] and time.monotonic() < deadline:
            last = seen_by_lena.get(timeout=max(0.01, deadline - time.monotonic()))["viewers"]
        assert last == ["lena"]
    finally:
        close_clients(*clients)
        a.stop()
        b.stop()
