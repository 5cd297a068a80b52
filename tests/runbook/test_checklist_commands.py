"""checklist.mark over Socket.IO: the role it needs, the access rule, the
closed-room rule and clear error replies; the tick reaches the other board as
a checklist.item_done event; the JSON state names it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import call, make_user, sock
from warroom import accounts, events, live, playbooks, rooms
from warroom.clock import utcnow
from warroom.publisher import Publisher

KLM = (Path(__file__).resolve().parents[2] / "playbooks" / "mass-disruption.md").read_text()


def _room(app, private=False):
    db = app.extensions["warroom_open_db"]()
    lead = make_user(db, "lena", "lead")
    make_user(db, "rui", "responder")
    make_user(db, "vic", "viewer")
    room = rooms.open_room(db, utcnow(), lead, "Ash", playbook=playbooks.parse(KLM, "klm.md"))
    db.close()
    return room


def test_mark_checks_role_item_and_closed_room(app):
    room = _room(app)
    _c, viewer = sock(app, "vic")
    assert call(viewer, "checklist.mark", {"room": room.id, "item": 1}) == {
        "error": "forbidden: checklist.mark needs the responder role"}
    http, rui = sock(app, "rui")
    _c2, lena = sock(app, "lena")
    call(lena, "join", {"room": room.id})
    lena.get_received("/board")
    open_db = app.extensions["warroom_open_db"]
    publisher = Publisher(open_db, live.socket_emitter(app.extensions["socketio"], open_db), poll_ms=50)
    db = open_db()
    publisher.last_id = events.last_id(db)
    db.close()
    assert call(rui, "checklist.mark", {"room": room.id, "item": 99}) == {
        "error": "the room's checklist has no item 99", "field": "item"}
    assert call(rui, "checklist.mark", {"room": room.id, "item": "x"})["field"] == "item"
    assert call(rui, "checklist.mark", {"room": room.id, "item": 1, "state": "skipped"}) == {
        "error": "say why the item is skipped", "field": "reason"}
    ok = call(rui, "checklist.mark", {"room": room.id, "item": 1})
    assert ok["ok"] is True and ok["item"]["state"] == "done" and ok["item"]["by"] == "rui"
    again = call(rui, "checklist.mark", {"room": room.id, "item": 1})
    assert again == {"error": "item 1 is already done", "field": "item"}

    db = open_db()
    publisher.flush(db)  # what the after-commit publisher sends
    db.close()
    done = [e for e in lena.get_received("/board") if e["name"] == "event"]
    assert [(e["args"][0]["kind"], e["args"][0]["data"]["item"]) for e in done] == [("checklist.item_done", 1)]
    state = http.get(f"/api/v1/rooms/{room.id}/runbook").get_json()
    assert [i["state"] for i in state["items"]][:2] == ["done", "open"]
    assert state["rhythm"][0]["describe"] == "public-update every 2 h"

    db = app.extensions["warroom_open_db"]()
    rooms.close_room(db, utcnow(), accounts.find_user(db, "lena"), room.id)
    db.close()
    assert call(rui, "checklist.mark", {"room": room.id, "item": 2}) == {"error": "the room is closed", "field": "room"}


def test_a_private_room_is_not_found_for_a_non_member(app):
    room = _room(app)
    db = app.extensions["warroom_open_db"]()
    accounts.set_private(db, utcnow(), room.id, True, "lena")
    db.close()
    http, rui = sock(app, "rui")
    assert call(rui, "checklist.mark", {"room": room.id, "item": 1}) == {"error": f"no room {room.id}"}
    assert http.get(f"/api/v1/rooms/{room.id}/runbook").status_code == 404
