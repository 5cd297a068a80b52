"""Text holding NUL (0x00): SQLite stores it, PostgreSQL cannot. A JSON body
with one is refused before any view (400 naming the field, on both stores),
and anything else that reaches PostgreSQL with one (a form field) is a 400
from the store's refusal, never a 500. The API fuzz found the 500 on
PostgreSQL: PUT /api/v1/rooms/<id>/access with a member named "\\x00"."""

from __future__ import annotations

from warroom import accounts, rooms
from warroom.clock import utcnow

from ..conftest import csrf_from, login_client, make_user


def test_a_json_body_with_nul_is_refused_naming_its_field_and_nothing_changes(app, db):
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, utcnow(), lead, "NUL")
    client = app.test_client()
    token = login_client(client, "lead")
    resp = client.put(f"/api/v1/rooms/{room.id}/access", json={"members": ["lead\x00"]},
                      headers={"X-CSRF-Token": token})
    assert resp.status_code == 400, resp.text
    assert resp.json["field"] == "members" and "NUL" in resp.json["error"]
    assert accounts.room_member_ids(db, room.id) == []


def test_a_form_field_with_nul_is_a_client_error_on_either_store(app, db):
    make_user(db, "lead", "lead")
    client = app.test_client()
    page = client.get("/login")
    resp = client.post("/login", data={"name": "lead\x00", "password": "x", "csrf_token": csrf_from(page.text)})
    assert 400 <= resp.status_code < 500, resp.status_code
    assert "Traceback" not in resp.text

