"""The board's adapter in-process: Socket.IO commands with their roles, the
board state API, presence and the publish webhook (a real local HTTP server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from warroom import accounts, events, responses, rooms
from warroom import db as dbmod
from warroom.web import board

from ..conftest import GOOD, add_mention, call, free_port, login_client, make_user, rev, sock


@pytest.fixture
def world(app, db, now):
    lead = make_user(db, "lead", "lead")
    make_user(db, "vol", "responder")
    make_user(db, "viewer", "viewer")
    make_user(db, "appr", "approver")
    room = rooms.open_room(db, now, lead, "Recall")
    mid = add_mention(db, room.id, now)
    return room, mid


def test_commands_check_roles_and_the_author_rule(app, world):
    room, mid = world
    _, viewer = sock(app, "viewer")
    assert "forbidden" in call(viewer, "mention.claim", {"mention_id": mid})["error"]
    _, vol = sock(app, "vol")
    assert call(vol, "mention.claim", {"mention_id": mid})["ok"] is True
    assert call(vol, "mention.claim", {"mention_id": "x"})["error"] == "mention_id must be an integer"
    findings = call(vol, "lint.check", {"room": room.id, "text": "You are mistaken.", "mention_id": mid})
    assert [f["rule"] for f in findings["findings"]] == ["defensive", "no-next-step", "non-apology"]
    saved = call(vol, "draft.save", {"room": room.id, "mention_id": mid, "text": GOOD})["draft"]
    submitted = call(vol, "draft.submit", {"draft_id": saved["id"]})["draft"]
    assert submitted["status"] == "submitted"
    shown = {"draft_id": saved["id"], "revision": submitted["revision"]}
    assert "forbidden" in call(vol, "draft.approve", shown)["error"]
    assert "forbidden" in call(vol, "facts.update", {"room": room.id, "text": "x"})["error"]
    _, appr = sock(app, "appr")
    rejected = call(appr, "draft.reject", {**shown, "reason": ""})
    assert rejected == {"error": "a rejection needs a reason", "field": "reason"}
    assert call(appr, "draft.approve", {"draft_id": saved["id"]}) == {"error": "revision is required"}
    assert call(appr, "draft.approve", shown)["draft"]["status"] == "approved"
    published = call(vol, "draft.publish", {"draft_id": saved["id"]})["response"]
    assert published["text"] == GOOD and published["mention_id"] == mid
    for c in (viewer, vol, appr):
        c.disconnect(namespace="/board")


def test_lead_override_and_facts_through_commands(app, db, world):
    room, _ = world
    _, lead = sock(app, "lead")
    fact = call(lead, "facts.update", {"room": room.id, "text": "Batch 42 only.", "kind": "fact"})
    assert fact["fact"]["version"] == 1 and fact["cited"] == []
    saved = call(lead, "draft.save", {"room": room.id, "text": "We are not responsible. Update at 5pm.",
                                      "fact_ids": [fact["fact"]["id"]]})["draft"]
    blocked = call(lead, "draft.submit", {"draft_id": saved["id"]})
    assert blocked["field"] == "text" and "defensive" in blocked["error"]
    ok = call(lead, "draft.submit", {"draft_id": saved["id"], "override_reason": "legal wording"})
    assert ok["draft"]["override_by"] == "lead"
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert "lint.overridden" in kinds and kinds.index("lint.overridden") < kinds.index("draft.submitted")
    lead.disconnect(namespace="/board")


def test_presence_broadcasts_viewers(app, world):
    room, _ = world
    _, a = sock(app, "vol")
    _, b = sock(app, "lead")
    for c in (a, b):
        assert call(c, "join", {"room": room.id})["ok"]
    assert call(a, "presence.ping", {"room": room.id})["viewers"] == ["vol"]
    assert call(b, "presence.ping", {"room": room.id})["viewers"] == ["lead", "vol"]
    got = [m["args"][0] for m in a.get_received("/board") if m["name"] == "presence"]
    assert got[-1] == {"room": room.id, "viewers": ["lead", "vol"]}
    call(b, "presence.leave", {"room": room.id})
    got = [m["args"][0] for m in a.get_received("/board") if m["name"] == "presence"]
    assert got[-1]["viewers"] == ["vol"]
    a.disconnect(namespace="/board")
    b.disconnect(namespace="/board")


def test_presence_expires_silent_viewers(db, now):
    from datetime import timedelta

    room = rooms.open_room(db, now, make_user(db, "olga", "lead"), "Presence")
    at = lambda s: now + timedelta(seconds=s)  # noqa: E731
    rooms.presence.ping(db, at(0), room.id, "ann", ttl=45)
    viewers, changed = rooms.presence.ping(db, at(30), room.id, "bob", ttl=45)
    assert viewers == ["ann", "bob"] and changed
    viewers, changed = rooms.presence.ping(db, at(50), room.id, "bob", ttl=45)
    assert viewers == ["bob"] and changed  # ann has not pinged for 50 s
    assert rooms.presence.ping(db, at(60), room.id, "bob", ttl=45) == (["bob"], False)
    assert rooms.presence.leave(db, at(61), room.id, "bob") == ([], True)


def test_board_state_api(app, db, now, world):
    room, mid = world
    client = app.test_client()
    assert client.get(f"/api/v1/rooms/{room.id}/board").status_code == 401
    login_client(client, "vol")
    vol = accounts.find_user(db, "vol")
    responses.claim(db, now, vol, mid)
    body = client.get(f"/api/v1/rooms/{room.id}/board").get_json()
    assert body["me"] == {"name": "vol", "role": "responder", "can_draft": True, "can_approve": False,
                          "is_lead": False, "channels": []}
    assert body["claims"][0]["mention_id"] == mid and body["claims"][0]["user_name"] == "vol"
    assert body["rules"]["first_response_minutes"] == 60
    assert body["last_event"] == events.last_id(db)
    missing = client.get("/api/v1/rooms/9999/board")
    assert missing.status_code == 404 and missing.get_json()["field"] == "room"
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/rooms/{room_id}/board" in doc["paths"]


class Hook(BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        Hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_publish_webhook_posts_and_records_outcome(settings, db, now, world):
    room, _ = world
    lead = accounts.find_user(db, "lead")
    appr = accounts.find_user(db, "appr")
    d = responses.save_draft(db, now, lead, room.id, GOOD)
    responses.submit(db, now, lead, d.id)
    responses.approve(db, now, appr, d.id, rev(db, d.id))
    response = responses.publish(db, now, lead, d.id)
    port = free_port()
    httpd = HTTPServer(("127.0.0.1", port), Hook)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        def open_db():
            return dbmod.connect(settings.db_url)

        assert board.send_webhook(open_db, f"http://127.0.0.1:{port}/hook", 5, response) is True
    finally:
        httpd.shutdown()
    assert Hook.bodies[-1]["kind"] == "response.published"
    assert Hook.bodies[-1]["text"] == GOOD and Hook.bodies[-1]["id"] == response.id
    # nothing listens any more: the failure is recorded, not raised
    assert board.send_webhook(open_db, f"http://127.0.0.1:{port}/hook", 2, response) is False
    outcomes = [e.data for e in events.timeline(db, room.id) if e.kind == "response.webhook"]
    assert outcomes[0] == {"response_id": response.id, "ok": True, "status": 204}
    assert outcomes[1]["ok"] is False and "error" in outcomes[1]
