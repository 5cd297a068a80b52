"""Alerts for one person: an event that pages someone (or puts them on a
shift) reaches that person's own sockets as ``alert``, wherever their board
is, and nobody else's; a room they may not see raises nothing for them."""

from __future__ import annotations

from warroom import accounts, events, rooms
from warroom import db as dbmod
from warroom.live import socket_emitter

from ..conftest import FIXED_NOW, make_user, sock


def commit(db, room_id, kind, actor, data):
    with dbmod.transaction(db):
        return events.append(db, room_id, kind, actor, data, FIXED_NOW)


def alerts_of(sc):
    return [m["args"][0] for m in sc.get_received("/board") if m["name"] == "alert"]


def test_a_page_alerts_its_recipient_only_and_not_for_a_room_they_cannot_see(app, db):
    lead = make_user(db, "lena", "lead")
    make_user(db, "paul", "responder")
    make_user(db, "ada", "admin")
    room = rooms.open_room(db, FIXED_NOW, lead, "Ash cloud")
    _, lena = sock(app, "lena")
    _, paul = sock(app, "paul")
    for sc in (lena, paul):
        sc.get_received("/board")
    emit = socket_emitter(app.extensions["socketio"], app.extensions["warroom_open_db"])

    page = commit(db, room.id, "page.sent", None, {"page": 1, "escalation": 7, "recipient": "user:lena",
                                                   "via": "log"})
    emit(page)
    got = alerts_of(lena)
    assert [(a["kind"], a["room"], a["event"]) for a in got] == [("paged", room.id, page.id)]
    assert "Ash cloud" in got[0]["title"] and "#7" in got[0]["body"]
    assert alerts_of(paul) == []  # the event itself is room news; the alert is lena's

    # A channel page concerns no one person.
    emit(commit(db, room.id, "page.sent", None, {"page": 2, "escalation": 7, "recipient": "channel:#crisis"}))
    assert alerts_of(lena) == [] and alerts_of(paul) == []

    # Paul is paged in a private room he is not a member of: nothing reaches him, not even the title.
    secret = rooms.open_room(db, FIXED_NOW, lead, "Secret merger")
    accounts.set_private(db, FIXED_NOW, secret.id, True, "lena")
    emit(commit(db, secret.id, "page.failed", None, {"page": 3, "escalation": 8, "recipient": "user:paul",
                                                      "error": "x"}))
    assert alerts_of(paul) == []


def test_a_lead_putting_someone_on_a_shift_alerts_them_but_a_sign_up_does_not(app, db):
    lead = make_user(db, "lena", "lead")
    make_user(db, "paul", "responder")
    room = rooms.open_room(db, FIXED_NOW, lead, "Storm")
    _, paul = sock(app, "paul")
    paul.get_received("/board")
    emit = socket_emitter(app.extensions["socketio"], app.extensions["warroom_open_db"])
    shift = {"user": "paul", "slot_id": 1, "role": "Tweep", "starts_at": "09:00", "ends_at": "13:00"}
    emit(commit(db, room.id, "roster.signed_up", "paul", shift))
    emit(commit(db, room.id, "roster.assigned", "paul", shift))  # by himself: not news to him
    assert alerts_of(paul) == []
    emit(commit(db, room.id, "roster.assigned", "lena", {**shift, "by": "lena"}))
    got = alerts_of(paul)
    assert len(got) == 1 and got[0]["kind"] == "assigned" and "lena put you on Tweep" in got[0]["body"]
