"""Facebook end to end: a real `run.py serve`, a real Socket.IO client and the
local Graph-compatible server (tests/graph_server.py). A webhook POST signed
as Meta documents becomes a mention on the live board; the reply, approved by
a second person, arrives on the Graph server as a comment on that object,
once, with its URL on the board; a SIGKILL between sending and recording
still gives exactly one comment after the restart (found by the look-up)."""

from __future__ import annotations

import json
import signal

import pytest
import requests

from ..conftest import Server, close_clients, collect_events, socket_client, wait_for_kind
from ..graph_server import GraphServer, feed_change, sign
from .test_platforms_e2e import _reply_approved_published, _wait

pytestmark = pytest.mark.e2e
PAGE_TOKEN = "tok-page-SECRET"
APP_SECRET = "app-secret-XYZ"
ANNA = {"id": "USER9", "name": "Anna Jansen"}


def _setup(server, graph):
    for name, role in (("lena", "lead"), ("vic", "responder"), ("abe", "approver")):
        server.add_user(name, role)
    lead = server.login("lena")
    resp = lead.post(server.url + "/rooms", data={"title": "Lost parcels"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    made = lead.post(f"{server.url}/api/v1/rooms/{room_id}/connectors", json={
        "platform": "facebook", "name": "Brand Page",
        "settings": {"page_id": graph.page_id, "graph_url": graph.url},
        "secrets": {"page_token": PAGE_TOKEN, "app_secret": APP_SECRET, "verify_token": "vt-1"}})
    assert made.status_code == 201, made.text
    assert PAGE_TOKEN not in made.text and APP_SECRET not in made.text
    cid = made.json()["connector"]["id"]
    hook = f"{server.url}/webhooks/facebook/{cid}"
    shake = requests.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": "vt-1",
                                       "hub.challenge": "1158201444"}, timeout=5)
    assert shake.status_code == 200 and shake.text == "1158201444"
    return room_id, hook, server.login("vic"), server.login("abe")


def _deliver(hook: str, payload: dict, secret: str = APP_SECRET) -> requests.Response:
    raw = json.dumps(payload, separators=(",", ":")).encode()  # signed over these exact bytes
    return requests.post(hook, data=raw, timeout=5, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)})


def test_facebook_comment_to_board_and_approved_reply_back_once(tmp_path):
    graph = GraphServer(token=PAGE_TOKEN).start()
    server = Server(tmp_path).start()
    try:
        room_id, hook, vic, abe = _setup(server, graph)
        vic_sock, abe_sock = socket_client(server, vic), socket_client(server, abe)
        try:
            seen = collect_events(vic_sock)
            assert vic_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]
            assert abe_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"]
            payload = feed_change("PAGE1", "PAGE1_POST1", "PAGE1_POST1_C1",
                                  "My order never arrived, three weeks now", ANNA)
            forged = _deliver(hook, payload, secret="not-the-app-secret")
            assert forged.status_code == 401 and forged.json()["field"] == "X-Hub-Signature-256"
            ok = _deliver(hook, payload)
            assert ok.status_code == 200 and ok.json()["accepted"] == 1, ok.text
            received = wait_for_kind(seen, "mentions.received", timeout=20)
            (mention_id,) = received["data"]["ids"]
            listed = vic.get(f"{server.url}/api/v1/rooms/{room_id}/mentions").json()
            assert "My order never arrived, three weeks now" in json.dumps(listed)
            _reply_approved_published(vic_sock, abe_sock, room_id, mention_id)
            delivered = wait_for_kind(seen, "response.delivered", timeout=20)
            (comment,) = graph.comments_on("PAGE1_POST1_C1")
            assert comment["from"]["id"] == "PAGE1" and comment["message"].startswith("So sorry Anna")
            assert delivered["data"]["external_id"] == comment["id"]
            board = vic.get(f"{server.url}/api/v1/rooms/{room_id}/board").json()
            assert [(d["state"], d["url"]) for d in board["deliveries"]] == [("posted", delivered["data"]["url"])]
            assert comment["id"] in delivered["data"]["url"]
            assert len(graph.posts) == 1
        finally:
            close_clients(vic_sock, abe_sock)
    finally:
        server.stop()
        graph.stop()


def test_sigkill_between_send_and_record_gives_one_comment_after_restart(tmp_path):
    graph = GraphServer(token=PAGE_TOKEN).start()
    server = Server(tmp_path).start()
    try:
        room_id, hook, vic, abe = _setup(server, graph)
        vic_sock, abe_sock = socket_client(server, vic), socket_client(server, abe)
        try:
            seen = collect_events(vic_sock)
            vic_sock.call("join", {"room": room_id}, namespace="/board", timeout=5)
            assert _deliver(hook, feed_change("PAGE1", "PAGE1_POST1", "PAGE1_POST1_C1",
                                              "Where is my parcel?", ANNA)).status_code == 200
            (mention_id,) = wait_for_kind(seen, "mentions.received", timeout=20)["data"]["ids"]
            graph.comment("PAGE1_POST1_C1", ANNA, "hello??")  # another comment on the same object
            graph.hold_posts()  # the comment is made on the platform, its answer never reaches Warroom
            _reply_approved_published(vic_sock, abe_sock, room_id, mention_id)
            assert graph.holding.wait(20)
        finally:
            close_clients(vic_sock, abe_sock)
        server.stop(signal.SIGKILL)
        assert len(graph.posts) == 1
        graph.release()
        server = Server(tmp_path, db_url=server.db_url).start()
        lead = server.login("lena")
        url = f"{server.url}/api/v1/rooms/{room_id}/deliveries"
        _wait(lambda: lead.get(url).json()["deliveries"][0]["state"] == "posted", what="the recovered delivery")
        (d,) = lead.get(url).json()["deliveries"]
        ours = [c for c in graph.comments_on("PAGE1_POST1_C1") if c["from"]["id"] == "PAGE1"]
        assert len(ours) == 1 and len(graph.posts) == 1  # found by the look-up, not sent again
        assert d["external_id"] == ours[0]["id"] and ours[0]["id"] in d["url"]
    finally:
        server.stop()
        graph.stop()
