"""``mention.assign`` / ``mention.unassign`` over Socket.IO: the lead role,
the access rule, the closed-room rule, errors naming the field, the event
on the room's channel and the alert on the assignee's own sockets only; and
what the board reads: assignments, people a lead may assign, the sources a
shift answers first, the account each mention came through."""

from __future__ import annotations

import time
from pathlib import Path

from warroom import accounts, events, platforms, playbooks, responses, rooms, roster
from warroom import db as dbmod
from warroom.live import socket_emitter

from ..conftest import add_mention, call, login_client, make_user, sock

ROOT = Path(__file__).resolve().parents[2]
MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()


def flat(messages):
    """Events from ``event`` (one) and ``events`` (a list) messages."""
    out = []
    for m in messages:
        out.extend(m if isinstance(m, list) else [m])
    return out


def test_assign_needs_a_lead_who_sees_the_room_and_an_open_room(app, db, now):
    lead = make_user(db, "lena", "lead")
    vol = make_user(db, "vic", "responder")
    make_user(db, "otto", "lead")
    make_user(db, "wim", "viewer")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    mid = add_mention(db, room.id, now)
    _, wim = sock(app, "wim")
    _, vic = sock(app, "vic")
    for sc in (wim, vic):
        assert call(sc, "mention.assign", {"mention_id": mid, "user": "vic"}) == {
            "error": "forbidden: mention.assign needs the lead role"}
        assert "forbidden" in call(sc, "mention.unassign", {"mention_id": mid})["error"]

    _, lena = sock(app, "lena")
    assert call(lena, "mention.assign", {"mention_id": mid, "user": "ghost"}) == {
        "error": "no user 'ghost'", "field": "user"}
    assert call(lena, "mention.assign", {"mention_id": mid}) == {
        "error": "user is required: the name of the person to assign", "field": "user"}
    assert call(lena, "mention.assign", {"mention_id": "x", "user": "vic"}) == {
        "error": "mention_id must be an integer", "field": "mention_id"}
    assert call(lena, "mention.assign", {"mention_id": mid, "user": "wim"}) == {
        "error": "wim is a viewer and cannot reply", "field": "user"}
    ok = call(lena, "mention.assign", {"mention_id": mid, "user": "vic"})
    assert ok["ok"] is True and ok["assignment"]["user"] == "vic" and ok["assignment"]["mention_id"] == mid

    # A lead of another team (here: not a member of the now private room)
    # gets the answer a mention that does not exist gets.
    accounts.set_private(db, now, room.id, True, "lena", members=[lead.id, vol.id])
    _, otto = sock(app, "otto")
    assert call(otto, "mention.unassign", {"mention_id": mid}) == {"error": "not found"}

    rooms.close_room(db, now, lead, room.id)
    closed = call(lena, "mention.unassign", {"mention_id": mid})
    assert closed["field"] == "room" and "closed" in closed["error"]

    # Rate-limited like every command: a looping script is told to slow down.
    limiter = app.extensions["warroom_command_limiter"]
    later = time.monotonic() + 1000  # a full bucket, then frozen: no tokens come back during the loop
    limiter.clock = lambda: later
    answers = [call(lena, "mention.assign", {"mention_id": mid, "user": "vic"}) for _ in range(int(limiter.burst) + 1)]
    slow = {"error": "too many commands, slow down"}
    assert slow not in answers[:-1] and answers[-1] == slow
    for sc in (wim, vic, lena, otto):
        sc.disconnect(namespace="/board")


def test_an_assignment_is_room_news_and_an_alert_for_the_assignee_only(app, db, now):
    lead = make_user(db, "lena", "lead")
    make_user(db, "vic", "responder")
    make_user(db, "val", "responder")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    mid = add_mention(db, room.id, now)
    _, lena = sock(app, "lena")
    _, vic = sock(app, "vic")
    _, val = sock(app, "val")
    for sc in (lena, vic, val):
        assert call(sc, "join", {"room": room.id})["ok"]
        sc.get_received("/board")
    before = events.last_id(db)
    assert call(lena, "mention.assign", {"mention_id": mid, "user": "vic"})["ok"]
    # What the publisher does after the commit (it is not started in-process here).
    emit = socket_emitter(app.extensions["socketio"], app.extensions["warroom_open_db"])
    for e in events.since(db, before):
        emit(e)
    for sc in (lena, vic, val):  # everyone in the room sees who has it
        got = sc.get_received("/board")
        kinds = [e for e in flat([m["args"][0] for m in got if m["name"] in ("event", "events")])
                 if e["kind"] == "mention.assigned"]
        assert [(e["data"]["mention_id"], e["data"]["user"]) for e in kinds] == [(mid, "vic")]
        alerts = [m["args"][0] for m in got if m["name"] == "alert"]
        if sc is vic:
            assert [(a["kind"], a["room"]) for a in alerts] == [("mention", room.id)]
            assert f"#{mid}" in alerts[0]["body"]
        else:
            assert alerts == []
    before = events.last_id(db)
    assert call(lena, "mention.unassign", {"mention_id": mid}) == {"ok": True}
    for e in events.since(db, before):
        emit(e)
    assert [m for m in vic.get_received("/board") if m["name"] == "alert"] == []  # unassigning raises none
    for sc in (lena, vic, val):
        sc.disconnect(namespace="/board")


def test_the_board_state_has_assignments_people_and_the_shifts_channels(app, db, now):
    lead = make_user(db, "lena", "lead")
    vic = make_user(db, "vic", "responder")
    make_user(db, "wim", "viewer")
    room = rooms.open_room(db, now, lead, "Ash cloud", playbook=playbooks.parse(MASS, "m.md"))
    tweep = next(s for s in roster.slots(db, room.id) if s.role == "Tweep")
    mid = add_mention(db, room.id, now)
    responses.assign(db, now, lead, mid, "vic")
    lena = app.test_client()
    login_client(lena, "lena")
    state = lena.get(f"/api/v1/rooms/{room.id}/board").get_json()
    assert [(a["mention_id"], a["user"]) for a in state["assignments"]] == [(mid, "vic")]
    assert state["people"] == ["lena", "vic"]  # responders and up: the viewer cannot reply
    assert state["me"]["channels"] == []
    # On a Tweep shift now (the app's clock is real, so the slot is made to hold it).
    with dbmod.transaction(db):
        db.execute("UPDATE shift_slots SET starts_at = '2000-01-01T00:00:00Z', ends_at = '9999-01-01T00:00:00Z'"
                   " WHERE id = ?", [tweep.id])
    roster.sign_up(db, now, vic, tweep.id)
    v = app.test_client()
    login_client(v, "vic")
    mine = v.get(f"/api/v1/rooms/{room.id}/board").get_json()
    assert mine["me"]["channels"] == ["twitter", "bluesky", "mastodon"]
    assert mine["people"] == []  # only a lead is offered whom to assign


def test_the_listing_names_the_account_a_mention_came_through(app, db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    by_token = add_mention(db, room.id, now)
    via = add_mention(db, room.id, now, text="my bag is lost")
    with dbmod.transaction(db):
        cur = db.execute(
            "INSERT INTO connectors (room_id, platform, name, secrets, created_at, updated_at)"
            " VALUES (?, 'mastodon', '@klm@mastodon.social', 'sealed', ?, ?)",
            [room.id, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])
        db.execute("INSERT INTO mention_sources (mention_id, connector_id, reply_ref) VALUES (?, ?, '{}')",
                   [via, cur.lastrowid])
    assert platforms.store.accounts_of(db, room.id, by_token, via) == {via: "@klm@mastodon.social"}
    c = app.test_client()
    login_client(c, "lena")
    listed = c.get(f"/api/v1/rooms/{room.id}/mentions").get_json()["mentions"]
    assert [(m["id"], m["source"], m["account"]) for m in listed] == [
        (by_token, "twitter", None), (via, "twitter", "@klm@mastodon.social")]
