"""End to end with a real `run.py serve`, a real Socket.IO client and the local
Mastodon-compatible server: a post becomes a mention on the live board; the
reply, approved by a second person, arrives once as a reply to that post,
with its URL on the board; and a SIGKILL between sending and recording still
gives exactly one reply after the restart."""

from __future__ import annotations

import signal
import time

import pytest

from ..conftest import Server, close_clients, collect_events, socket_client, wait_for_kind
from ..mastodon_server import MastodonServer

pytestmark = pytest.mark.e2e
TOKEN = "tok-brand"


def _setup(server, masto):
    for name, role in (("lena", "lead"), ("vic", "responder"), ("abe", "approver")):
        server.add_user(name, role)
    lead = server.login("lena")
    resp = lead.post(server.url + "/rooms", data={"title": "Ash cloud"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    made = lead.post(f"{server.url}/api/v1/rooms/{room_id}/connectors", json={
        "platform": "mastodon", "name": "@brand@local",
        "settings": {"instance_url": masto.url, "hashtags": "ashcloud"}, "secrets": {"access_token": TOKEN}})
    assert made.status_code == 201, made.text
    assert TOKEN not in made.text
    return room_id, server.login("vic"), server.login("abe")


def _reply_approved_published(vic_sock, abe_sock, room_id, mention_id):
    ack = vic_sock.call("draft.save", {"room": room_id, "mention_id": mention_id,
                                       "text": "So sorry Anna, I'm rebooking you now and will DM you by 5pm."},
                        namespace="/board", timeout=10)
    assert ack.get("ok"), ack
    draft = vic_sock.call("draft.submit", {"draft_id": ack["draft"]["id"]}, namespace="/board", timeout=10)
    assert draft.get("ok"), draft
    ok = abe_sock.call("draft.approve", {"draft_id": draft["draft"]["id"], "revision": draft["draft"]["revision"]},
                       namespace="/board", timeout=10)
    assert ok.get("ok"), ok
    pub = vic_sock.call("draft.publish", {"draft_id": draft["draft"]["id"]}, namespace="/board", timeout=10)
    assert pub.get("ok"), pub
    return pub["response"]["id"]


def _wait(check, timeout=20.0, what="it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_mastodon_post_to_board_and_approved_reply_back_once(tmp_path):
    masto = MastodonServer().start()
    server = Server(tmp_path).start()
    try:
        room_id, vic, abe = _setup(server, masto)
        vic_sock, abe_sock = socket_client(server, vic), socket_client(server, abe)
        try:
            seen = collect_events(vic_sock)
            assert vic_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]
            assert abe_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]
            masto.wait_streams(2, timeout=30)
            original = masto.toot("anna@elsewhere", "@brand my flight is cancelled and nobody answers")
            received = wait_for_kind(seen, "mentions.received", timeout=20)
            (mention_id,) = received["data"]["ids"]
            _reply_approved_published(vic_sock, abe_sock, room_id, mention_id)
            delivered = wait_for_kind(seen, "response.delivered", timeout=20)
            replies = masto.replies_to(original["id"])
            assert len(replies) == 1 and delivered["data"]["url"] == replies[0]["url"]
            board = vic.get(f"{server.url}/api/v1/rooms/{room_id}/board").json()
            assert [(d["state"], d["url"]) for d in board["deliveries"]] == [("posted", replies[0]["url"])]
        finally:
            close_clients(vic_sock, abe_sock)
    finally:
        server.stop()
        masto.stop()


def test_sigkill_between_send_and_record_gives_one_reply_after_restart(tmp_path):
    masto = MastodonServer().start()
    server = Server(tmp_path).start()
    try:
        room_id, vic, abe = _setup(server, masto)
        vic_sock, abe_sock = socket_client(server, vic), socket_client(server, abe)
        try:
            seen = collect_events(vic_sock)
            vic_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)
            masto.wait_streams(2, timeout=30)
            original = masto.toot("anna@elsewhere", "@brand where is my bag")
            (mention_id,) = wait_for_kind(seen, "mentions.received", timeout=20)["data"]["ids"]
            masto.hold_posts()  # the reply is made on the platform, its answer never reaches Warroom
            _reply_approved_published(vic_sock, abe_sock, room_id, mention_id)
            assert masto.holding.wait(20)
        finally:
            close_clients(vic_sock, abe_sock)
        server.stop(signal.SIGKILL)
        assert len(masto.replies_to(original["id"])) == 1
        masto.release()
        server = Server(tmp_path, db_url=server.db_url).start()
        lead = server.login("lena")
        _wait(lambda: lead.get(f"{server.url}/api/v1/rooms/{room_id}/deliveries").json()["deliveries"][0]["state"]
              == "posted", what="the recovered delivery")
        (d,) = lead.get(f"{server.url}/api/v1/rooms/{room_id}/deliveries").json()["deliveries"]
        replies = masto.replies_to(original["id"])
        assert len(replies) == 1 and d["url"] == replies[0]["url"]
        assert len(masto.posts) == 1  # found by the look-up after the restart, not sent again
    finally:
        server.stop()
        masto.stop()


def test_sigterm_stops_the_listening_threads_before_the_process_ends(tmp_path):
    masto = MastodonServer().start()
    server = Server(tmp_path).start()
    try:
        _setup(server, masto)
        masto.wait_streams(2, timeout=30)  # the connector's thread is listening
        server.stop()  # SIGTERM, as a service manager stops it
        assert server.proc.returncode == 0, server.output()
        assert "Warroom stopped: scheduler and 1 connector listener(s) stopped" in server.output()
        assert "Traceback" not in server.output()
    finally:
        server.stop()
        masto.stop()


def _stored(server) -> list[str]:
    db = server.db()
    try:
        return [r[0] for r in db.execute("SELECT text FROM mentions WHERE source = 'mastodon' ORDER BY id").fetchall()]
    finally:
        db.close()


def test_sigkill_while_the_stream_delivers_every_post_is_stored_once(tmp_path):
    import threading

    masto = MastodonServer().start()
    server = Server(tmp_path).start()
    made, done = [], threading.Event()

    def text(i):
        return f"{'@brand' if i % 2 else '#ashcloud'} post {i}"

    def storm():  # a steady storm through the kill, the restart and the catch-up
        while not done.is_set():
            made.append(masto.toot(f"user{len(made)}@x", text(len(made)))["id"])
            time.sleep(0.02)

    poster = threading.Thread(target=storm)
    try:
        _setup(server, masto)
        masto.wait_streams(2, timeout=30)
        poster.start()
        _wait(lambda: len(_stored(server)) >= 10, what="the first streamed posts")
        server.stop(signal.SIGKILL)  # by its PID, mid-stream
        assert len(_stored(server)) < len(made)
        server = Server(tmp_path, db_url=server.db_url).start()
        masto.wait_streams(2, timeout=30)
        at_restart = len(made)
        _wait(lambda: len(_stored(server)) >= at_restart + 20, what="posts streamed after the restart")
        done.set()
        poster.join(10)
        total = len(made)
        _wait(lambda: len(_stored(server)) >= total, what="every post of the storm")
        stored = _stored(server)
        assert sorted(stored) == sorted(text(i) for i in range(total))  # each once, none lost
    finally:
        done.set()
        server.stop()
        masto.stop()
