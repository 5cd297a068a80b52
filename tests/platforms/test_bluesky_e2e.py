"""Bluesky end to end: a real `run.py serve`, a real Socket.IO client and the
reference PDS (`@atproto/pds`). A customer's post on the PDS becomes a
mention on the live board; the reply, approved by a second person, lands on
the PDS once as a reply to that post, with its URL on the board. A SIGKILL
between sending and recording (the PDS wrote the reply, Warroom never heard)
still gives exactly one reply after the restart."""

from __future__ import annotations

import signal
import time

import pytest

from ..conftest import Server, close_clients, collect_events, socket_client, wait_for_kind
from ..hold_proxy import HoldProxy
from .test_platforms_e2e import _reply_approved_published, _wait

pytestmark = pytest.mark.e2e


def _setup(server, pds, bsky, service):
    for name, role in (("lena", "lead"), ("vic", "responder"), ("abe", "approver")):
        server.add_user(name, role)
    lead = server.login("lena")
    resp = lead.post(server.url + "/rooms", data={"title": "Ash cloud"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    made = lead.post(f"{server.url}/api/v1/rooms/{room_id}/connectors", json={
        "platform": "bluesky", "name": f"@{bsky.brand.handle}",
        "settings": {"handle": bsky.brand.handle, "service": service, "firehose": pds.url,
                     "plc_url": pds.plc_url, "keywords": bsky.keyword},
        "secrets": {"app_password": bsky.app_password}})
    assert made.status_code == 201, made.text
    assert bsky.app_password not in made.text
    return room_id, lead, server.login("vic"), server.login("abe")


def _listening(lead, server, room_id, pds, bsky):
    """Wait until the connector reads the live stream: a like (an event the
    watch skips) moves its stored cursor once the stream is open. A fresh
    connector starts at the stream's present, so posts before that are not
    its to see."""
    seed = pds.post(bsky.brand, "Service update: we are on it")

    def cursor():
        (c,) = lead.get(f"{server.url}/api/v1/rooms/{room_id}/connectors").json()["connectors"]
        return c["cursor"]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pds.like(bsky.customer, seed)
        if cursor():
            return
        time.sleep(0.5)
    raise AssertionError("the Bluesky connector never read the stream")


def _replies_to(pds, bsky, uri):
    return [r for r in pds.records(bsky.brand)
            if (r["value"].get("reply") or {}).get("parent", {}).get("uri") == uri]


def test_bluesky_post_to_board_and_approved_reply_back_once(tmp_path, pds, bsky):
    server = Server(tmp_path).start()
    try:
        room_id, lead, vic, abe = _setup(server, pds, bsky, pds.url)
        vic_sock, abe_sock = socket_client(server, vic), socket_client(server, abe)
        try:
            seen = collect_events(vic_sock)
            assert vic_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]
            _listening(lead, server, room_id, pds, bsky)
            original = pds.post(bsky.customer, f"@{bsky.brand.handle} my flight is cancelled, nobody answers")
            received = wait_for_kind(seen, "mentions.received", timeout=20)
            (mention_id,) = received["data"]["ids"]
            mention = vic.get(f"{server.url}/api/v1/rooms/{room_id}/mentions").json()["mentions"][0]
            assert (mention["source"], mention["external_id"]) == ("bluesky", original["uri"])
            _reply_approved_published(vic_sock, abe_sock, room_id, mention_id)
            delivered = wait_for_kind(seen, "response.delivered", timeout=20)
            (reply,) = _replies_to(pds, bsky, original["uri"])
            value = reply["value"]
            for ref in ("root", "parent"):  # a top-level post is its thread's root
                assert {k: value["reply"][ref][k] for k in ("uri", "cid")} == original
            assert value["text"].startswith("So sorry Anna")
            rkey = reply["uri"].rsplit("/", 1)[1]
            assert delivered["data"]["url"] == f"https://bsky.app/profile/{bsky.brand.did}/post/{rkey}"
            board = vic.get(f"{server.url}/api/v1/rooms/{room_id}/board").json()
            assert [(d["state"], d["url"]) for d in board["deliveries"]] == [("posted", delivered["data"]["url"])]
        finally:
            close_clients(vic_sock, abe_sock)
    finally:
        server.stop()


def test_sigkill_between_send_and_record_gives_one_bluesky_reply(tmp_path, pds, bsky):
    proxy = HoldProxy(pds.url).start()  # replies go through it; the stream is read from the PDS
    server = Server(tmp_path).start()
    try:
        room_id, lead, vic, abe = _setup(server, pds, bsky, proxy.url)
        vic_sock, abe_sock = socket_client(server, vic), socket_client(server, abe)
        try:
            seen = collect_events(vic_sock)
            vic_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)
            _listening(lead, server, room_id, pds, bsky)
            original = pds.post(bsky.customer, f"@{bsky.brand.handle} where is my bag")
            (mention_id,) = wait_for_kind(seen, "mentions.received", timeout=20)["data"]["ids"]
            proxy.hold("com.atproto.repo.createRecord")
            _reply_approved_published(vic_sock, abe_sock, room_id, mention_id)
            assert proxy.holding.wait(20)
        finally:
            close_clients(vic_sock, abe_sock)
        assert len(_replies_to(pds, bsky, original["uri"])) == 1  # it landed on the PDS
        server.stop(signal.SIGKILL)
        proxy.release()
        creates_before = sum("createRecord" in f for f in proxy.forwarded)
        server = Server(tmp_path, db_url=server.db_url).start()
        lead = server.login("lena")

        def state():
            return lead.get(f"{server.url}/api/v1/rooms/{room_id}/deliveries").json()["deliveries"][0]["state"]

        _wait(lambda: state() == "posted", what="the recovered delivery")
        (d,) = lead.get(f"{server.url}/api/v1/rooms/{room_id}/deliveries").json()["deliveries"]
        (reply,) = _replies_to(pds, bsky, original["uri"])
        assert d["url"].endswith("/post/" + reply["uri"].rsplit("/", 1)[1])
        # found by its record key after the restart, not written again
        assert sum("createRecord" in f for f in proxy.forwarded) == creates_before
    finally:
        server.stop()
        proxy.stop()


def _stored(server) -> list[str]:
    db = server.db()
    try:
        return [r[0] for r in db.execute("SELECT text FROM mentions WHERE source = 'bluesky' ORDER BY id").fetchall()]
    finally:
        db.close()


def test_sigkill_while_the_stream_delivers_every_bluesky_post_is_stored_once(tmp_path, pds, bsky):
    import threading

    server = Server(tmp_path).start()
    made, done = [], threading.Event()

    def storm():  # customers keep posting through the kill and the restart
        while not done.is_set():
            made.append(f"{bsky.keyword} post {len(made)}")
            pds.post(bsky.customer, made[-1])
            time.sleep(0.03)

    poster = threading.Thread(target=storm)
    try:
        room_id, lead, _vic, _abe = _setup(server, pds, bsky, pds.url)
        _listening(lead, server, room_id, pds, bsky)
        poster.start()
        _wait(lambda: len(_stored(server)) >= 10, what="the first streamed posts")
        server.stop(signal.SIGKILL)  # by its PID, mid-stream
        assert len(_stored(server)) < len(made)
        server = Server(tmp_path, db_url=server.db_url).start()
        at_restart = len(made)
        _wait(lambda: len(_stored(server)) >= at_restart + 10, what="posts after the restart")
        done.set()
        poster.join(10)
        _wait(lambda: len(_stored(server)) >= len(made), what="every post of the storm")
        assert sorted(_stored(server)) == sorted(made)  # each once, none lost
    finally:
        done.set()
        server.stop()
