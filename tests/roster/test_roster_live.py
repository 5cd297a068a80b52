"""The roster's adapters end to end: the scheduler job (reminders and on-call
hand-offs through the app's own connections) and a real server where a
sign-up reaches a board over the WebSocket and the panel fragment shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom import config as configmod
from warroom import events, rooms, scheduler
from warroom.clock import iso, utcnow
from warroom.db import transaction

from ..conftest import close_clients, collect_events, make_user, socket_client, wait_for_kind


def test_scheduler_runs_the_roster_job(tmp_path, db):
    from warroom.app import create_app
    from warroom.web import roster as roster_web

    assert "roster" in {job.name for job in scheduler.jobs()}
    settings = configmod.load(None, env={
        "WARROOM_DB_PATH": str(tmp_path / "warroom.db"), "WARROOM_SECRET_KEY": "k",
        "WARROOM_ONCALL_PEOPLE": "dana", "WARROOM_ONCALL_TIMEZONE": "Europe/Amsterdam"})
    app = create_app(settings)
    from warroom import db as dbmod

    conn = dbmod.connect(settings.db_url)
    try:
        now = utcnow()
        lead = make_user(conn, "lena", "lead", now=now)
        dana = make_user(conn, "dana", "lead", now=now)
        room = rooms.open_room(conn, now, lead, "Storm")
        with transaction(conn):   # a shift starting in ten minutes, to the second
            cur = conn.execute(
                "INSERT INTO shift_slots (room_id, role, starts_at, ends_at, capacity)"
                " VALUES (?, 'Tweep', ?, ?, 2)",
                [room.id, iso(now + timedelta(minutes=10)), iso(now + timedelta(hours=4))])
            conn.execute("INSERT INTO shift_signups (slot_id, user_id, created_at) VALUES (?, ?, ?)",
                         [cur.lastrowid, dana.id, iso(now)])
        roster_web.run_tick(app)
        roster_web.run_tick(app)   # a second tick repeats nothing
        reminders = [e for e in events.timeline(conn, room.id) if e.kind == "roster.shift_reminder"]
        assert [(e.data["user"], e.data["slot_id"]) for e in reminders] == [("dana", cur.lastrowid)]
        changed = [e for e in events.since(conn, 0) if e.kind == "oncall.changed"]
        assert [e.data["user"] for e in changed] == ["dana"]
    finally:
        conn.close()




@pytest.mark.e2e
def test_sign_up_reaches_the_board_live(server):
    server.add_user("lena", "lead")
    server.add_user("ann", "responder")
    lead = server.login("lena")
    resp = lead.post(server.url + "/rooms", data={"title": "Ash cloud", "playbook": "mass-disruption"},
                     allow_redirects=False)
    assert resp.status_code == 302, resp.text
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    roster = lead.get(f"{server.url}/api/v1/rooms/{room_id}/roster").json()
    tweep = next(s for s in roster["shifts"] if s["role"] == "Tweep" and s["starts_at"] > iso(utcnow()))
    board = socket_client(server, lead)
    try:
        got = collect_events(board)
        assert board.call("join", {"room": room_id}, namespace="/board", timeout=5)["ok"] is True
        ann = server.login("ann")
        ok = ann.post(f"{server.url}/api/v1/rooms/{room_id}/roster/signup", json={"slot_id": tweep["id"]})
        assert ok.status_code == 200, ok.text
        event = wait_for_kind(got, "roster.signed_up")
        assert event["room"] == room_id
        assert (event["data"]["user"], event["data"]["slot_id"]) == ("ann", tweep["id"])
        # what room.js fetches on such an event
        page = lead.get(f"{server.url}/rooms/{room_id}")
        assert f'data-panel-url="/rooms/{room_id}/roster/panel"' in page.text
        fragment = lead.get(f"{server.url}/rooms/{room_id}/roster/panel")
        assert fragment.status_code == 200
        row = fragment.text.split(f'data-slot-id="{tweep["id"]}"')[1].split("</tr>")[0]
        assert "ann" in row and "(1/4)" in row
    finally:
        close_clients(board)
