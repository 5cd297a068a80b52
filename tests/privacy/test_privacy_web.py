"""The admin page /admin/privacy and the JSON API /api/v1/privacy/*."""

from __future__ import annotations

import json

import pytest

from tests.conftest import add_mention, login_client, make_user
from warroom import accounts, rooms


@pytest.fixture
def world(app, db, now):
    root = make_user(db, "root", "admin")
    make_user(db, "lee", "lead")
    room = rooms.open_room(db, now, root, "Ash cloud")
    for _ in range(2):
        add_mention(db, room.id, now)          # author @anna
    return room


def _client(app, name):
    client = app.test_client()
    return client, login_client(client, name)


def test_admin_exports_and_erases_through_the_page(app, db, world):
    client, csrf = _client(app, "root")
    page = client.get("/admin/privacy")
    assert page.status_code == 200 and "Data-subject requests" in page.text
    resp = client.post("/admin/privacy/export", data={"author": "@anna", "csrf_token": csrf})
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    assert len(json.loads(resp.data)["mentions"]) == 2

    wrong = client.post("/admin/privacy/erase", data={"author": "@anna", "confirm": "@ann", "csrf_token": csrf})
    assert wrong.status_code == 422 and "confirm:" in wrong.text
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE author = '@anna'").fetchone()[0] == 2
    done = client.post("/admin/privacy/erase", data={"author": "@anna", "confirm": "@anna", "csrf_token": csrf})
    assert done.status_code == 200 and 'id="erased"' in done.text and "mentions 2" in done.text
    again = client.post("/admin/privacy/export", data={"author": "@anna", "csrf_token": csrf})
    assert json.loads(again.data)["mentions"] == []
    audit = client.get("/admin/audit?kind=privacy.")
    assert audit.text.count("privacy.exported") == 2 and "privacy.erased" in audit.text


def test_the_forms_need_the_csrf_token(app, db, world):
    client, _csrf = _client(app, "root")
    resp = client.post("/admin/privacy/erase", data={"author": "@anna", "confirm": "@anna"})
    assert resp.status_code in (400, 403)
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE author = '@anna'").fetchone()[0] == 2


def test_a_lead_is_refused(app, db, world):
    client, csrf = _client(app, "lee")
    assert client.get("/admin/privacy").status_code == 403
    resp = client.post("/api/v1/privacy/erase", json={"author": "@anna"}, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 403
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE author = '@anna'").fetchone()[0] == 2


def test_the_json_api(app, db, now, world):
    client, csrf = _client(app, "root")
    h = {"X-CSRF-Token": csrf}
    found = client.post("/api/v1/privacy/export", json={"author": "@anna"}, headers=h).get_json()
    assert len(found["mentions"]) == 2
    erased = client.post("/api/v1/privacy/erase", json={"author": "@anna"}, headers=h).get_json()
    assert erased["erased"]["mentions"] == 2
    assert client.post("/api/v1/privacy/export", json={"author": "@anna"}, headers=h).get_json()["mentions"] == []

    team = accounts.add_team(db, now, "Airline", "root")
    resp = client.put(f"/api/v1/privacy/retention/{team.id}", json={"retention_days": 14}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["retention_days"] == 14
    listed = client.get("/api/v1/privacy/retention").get_json()
    assert listed["teams"] == [{"team_id": team.id, "team": "Airline", "retention_days": 14}]
    assert listed["default_days"] == 0


@pytest.mark.parametrize("path, body, field, status", [
    ("/api/v1/privacy/erase", {"author": ""}, "author", 422),
    ("/api/v1/privacy/erase", {"author": ["@anna"]}, "author", 422),
    ("/api/v1/privacy/export", {}, "author", 422),
    ("/api/v1/privacy/export", [1], "body", 422),
    ("/api/v1/privacy/retention/1", {"retention_days": 0}, "retention_days", 422),
    ("/api/v1/privacy/retention/1", {"retention_days": "x"}, "retention_days", 422),
    ("/api/v1/privacy/retention/1", {}, "retention_days", 422),
    ("/api/v1/privacy/retention/999", {"retention_days": 3}, "team", 404),
])
def test_bad_input_names_the_field(app, db, now, world, path, body, field, status):
    accounts.add_team(db, now, "Airline", "root")
    client, csrf = _client(app, "root")
    method = client.put if "retention" in path else client.post
    resp = method(path, json=body, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == status, resp.text
    assert resp.get_json()["field"] == field


def test_retention_form(app, db, now, world):
    team = accounts.add_team(db, now, "Airline", "root")
    client, csrf = _client(app, "root")
    resp = client.post("/admin/privacy/retention", data={"team_id": str(team.id), "retention_days": "30",
                                                          "csrf_token": csrf})
    assert resp.status_code == 302
    assert db.execute("SELECT retention_days FROM teams").fetchone()[0] == 30
    bad = client.post("/admin/privacy/retention", data={"team_id": str(team.id), "retention_days": "soon",
                                                         "csrf_token": csrf})
    assert bad.status_code == 422 and "retention_days:" in bad.text
    client.post("/admin/privacy/retention", data={"team_id": str(team.id), "retention_days": "",
                                                   "csrf_token": csrf})
    assert db.execute("SELECT retention_days FROM teams").fetchone()[0] is None


def test_privacy_runs_reach_admins_sockets_only(app, db, now, world):
    from tests.conftest import board_events, sock
    from warroom import events, live, privacy
    from warroom.publisher import Publisher

    make_user(db, "vic", "viewer")
    _c1, viewer = sock(app, "vic")
    _c2, admin = sock(app, "root")
    for sc in (viewer, admin):
        sc.get_received("/board")
    open_db = app.extensions["warroom_open_db"]
    publisher = Publisher(open_db, live.socket_emitter(app.extensions["socketio"], open_db), poll_ms=50)
    publisher.last_id = events.last_id(db)
    privacy.erase_author(db, now, "@anna", "root")
    publisher.flush(db)

    def got(sc):
        return [e["kind"] for e in board_events(sc.get_received("/board"))]

    assert got(viewer) == []
    assert got(admin) == ["privacy.erased"]
