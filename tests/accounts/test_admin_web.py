"""User administration in the web UI and API (admins), the audit view, and a
room's access page (leads who may see the room)."""

import re

from tests.conftest import PASSWORD, ROOT, call, csrf_from, login_client, make_user, sock
from warroom import accounts, playbooks, rooms
from warroom.playbooks import store


def _admin(app, db):
    make_user(db, "root", "admin")
    client = app.test_client()
    return client, login_client(client, "root")


def test_an_admin_adds_a_user_whose_one_time_password_works_once(app, db, now):
    client, csrf = _admin(app, db)
    accounts.add_team(db, now, "brand-a", "root")
    resp = client.post("/admin/users", data={"name": "nina", "role": "responder", "teams": "brand-a",
                                             "csrf_token": csrf})
    assert resp.status_code == 200
    password = re.search(r'id="one-time".*?<code>([^<]+)</code>', resp.text, re.S).group(1)
    nina = accounts.find_user(db, "nina")
    assert (nina.role, nina.must_change_password) == ("responder", True)
    assert [t.name for t in accounts.user_teams(db, nina.id)] == ["brand-a"]
    other = app.test_client()
    page = other.get("/login")
    resp = other.post("/login", data={"name": "nina", "password": password, "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 302
    assert other.get("/", headers={"Accept": "application/json"}).status_code == 403  # choose a password first


def test_disabling_ends_sessions_and_sockets_at_once(app, db):
    client, csrf = _admin(app, db)
    dana = make_user(db, "dana", "responder")
    dana_http, dana_sock = sock(app, "dana")
    assert dana_http.get("/api/v1/rooms").status_code == 200
    resp = client.post(f"/admin/users/{dana.id}", data={"action": "disable", "csrf_token": csrf})
    assert resp.status_code == 302
    assert not dana_sock.is_connected("/board")
    assert dana_http.get("/api/v1/rooms").status_code == 401
    assert accounts.get_user(db, dana.id).disabled
    assert db.execute("SELECT COUNT(*) FROM sessions WHERE user_id = ?", [dana.id]).fetchone()[0] == 0
    fresh = app.test_client()
    page = fresh.get("/login")
    assert fresh.post("/login", data={"name": "dana", "password": PASSWORD,
                                      "csrf_token": csrf_from(page.text)}).status_code == 401


def test_role_teams_reset_and_last_login_through_the_api(app, db, now):
    client, csrf = _admin(app, db)
    accounts.add_team(db, now, "brand-b", "root")
    eve = make_user(db, "eve", "viewer")
    assert client.patch(f"/api/v1/users/{eve.id}", json={"role": "lead", "teams": ["brand-b"]},
                        headers={"X-CSRF-Token": csrf}).json["user"]["teams"] == ["brand-b"]
    assert accounts.get_user(db, eve.id).role == "lead"
    bad = client.patch(f"/api/v1/users/{eve.id}", json={"role": "king"}, headers={"X-CSRF-Token": csrf})
    assert (bad.status_code, bad.json["field"]) == (422, "role")
    bad = client.patch(f"/api/v1/users/{eve.id}", json={"teams": ["nope"]}, headers={"X-CSRF-Token": csrf})
    assert (bad.status_code, bad.json["field"]) == (422, "teams")
    eve_http, eve_sock = sock(app, "eve")
    reset = client.post(f"/api/v1/users/{eve.id}/password", headers={"X-CSRF-Token": csrf}).json
    assert not eve_sock.is_connected("/board")
    assert eve_http.get("/api/v1/rooms").status_code == 401
    fresh = app.test_client()
    page = fresh.get("/login")
    assert fresh.post("/login", data={"name": "eve", "password": reset["password"],
                                      "csrf_token": csrf_from(page.text)}).status_code == 302
    listed = {u["name"]: u for u in client.get("/api/v1/users").json["users"]}
    assert listed["eve"]["last_login_at"] is not None and listed["eve"]["role"] == "lead"
    assert "never" not in client.get("/admin/users").text.split('data-user="eve"')[1].split("</tr>")[0]


def test_an_admin_cannot_lock_themself_out(app, db):
    client, csrf = _admin(app, db)
    resp = client.patch("/api/v1/users/1", json={"disabled": True}, headers={"X-CSRF-Token": csrf})
    assert (resp.status_code, resp.json["field"]) == (422, "disabled")


def test_the_audit_view_filters(app, db, now):
    client, csrf = _admin(app, db)
    accounts.add_team(db, now, "brand-z", "root")
    eve = make_user(db, "eve", "viewer")
    client.patch(f"/api/v1/users/{eve.id}", json={"role": "lead"}, headers={"X-CSRF-Token": csrf})
    kinds = [e["kind"] for e in client.get("/api/v1/audit?kind=user.").json["events"]]
    assert kinds and set(kinds) <= {"user.added", "user.role_changed"} and "user.role_changed" in kinds
    assert [e["kind"] for e in client.get("/api/v1/audit?kind=team.").json["events"]] == ["team.created"]
    by_root = client.get("/api/v1/audit?actor=root").json["events"]
    assert {e["kind"] for e in by_root} == {"team.created", "user.role_changed"}
    page = client.get("/admin/audit?text=brand-z").text
    assert "team.created" in page and "user.role_changed" not in page


def test_admin_pages_need_the_admin_role(app, db):
    make_user(db, "lena", "lead")
    client = app.test_client()
    csrf = login_client(client, "lena")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/api/v1/users", json={"name": "x", "role": "admin"},
                       headers={"X-CSRF-Token": csrf}).status_code == 403


def test_a_lead_makes_a_room_private_and_the_others_lose_it_at_once(app, db, now):
    lena = make_user(db, "lena", "lead")
    make_user(db, "omar", "responder")
    room = rooms.open_room(db, now, lena, "Quiet one")
    client = app.test_client()
    csrf = login_client(client, "lena")
    _omar_http, omar_sock = sock(app, "omar")
    assert call(omar_sock, "join", {"room": room.id})["ok"] is True
    resp = client.put(f"/api/v1/rooms/{room.id}/access", json={"private": True}, headers={"X-CSRF-Token": csrf})
    assert resp.json == {"room": room.id, "team": None, "private": True, "members": ["lena"]}
    assert not omar_sock.is_connected("/board")   # boards rejoin through the rule
    _h, again = sock(app, "omar")
    assert call(again, "join", {"room": room.id}) == {"error": f"no room {room.id}"}
    kinds = [e["kind"] for e in accounts.audit_log(db, kind="access.")]
    assert kinds == ["access.member_added", "access.room_private"]


def test_the_room_form_opens_a_private_room(app, db, now):
    make_user(db, "lena", "lead")
    make_user(db, "omar", "lead")
    client = app.test_client()
    csrf = login_client(client, "lena")
    resp = client.post("/rooms", data={"title": "Private from the start", "private": "1", "csrf_token": csrf})
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert accounts.is_private(db, room_id)
    omar = app.test_client()
    login_client(omar, "omar")
    assert omar.get(f"/rooms/{room_id}").status_code == 404
    assert "Private from the start" not in omar.get("/").text


def test_a_body_naming_another_teams_playbook_is_refused(app, db, now):
    make_user(db, "lena", "lead")
    accounts.add_team(db, now, "brand-b", "root")
    client = app.test_client()
    csrf = login_client(client, "lena")
    text = (ROOT / "playbooks" / "service-complaint.md").read_text().replace(
        'id = "service-complaint"', 'id = "b-only"', 1)
    store.store(db, now, playbooks.parse(text), "root", "editor")
    accounts.assign(db, now, "playbook", "b-only", "brand-b", "root")
    resp = client.post("/api/v1/monitors", json={"brand": "x", "playbook_id": "b-only"},
                       headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 404
    resp = client.post("/rooms", data={"title": "t", "playbook": "b-only", "csrf_token": csrf})
    assert resp.status_code == 422 and "no playbook" in resp.text


def test_admins_find_people_and_audit_in_the_header_and_leads_the_room_access_link(app, db, now):
    from warroom import rooms

    client, _ = _admin(app, db)
    lead = make_user(db, "lia", "lead")
    make_user(db, "rex", "responder")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    page = client.get(f"/rooms/{room.id}").text
    assert 'id="nav-users"' in page and 'id="nav-audit"' in page
    assert f'href="/rooms/{room.id}/access"' in page and f'href="/rooms/{room.id}/connectors"' in page
    responder = app.test_client()
    login_client(responder, "rex")
    seen = responder.get(f"/rooms/{room.id}").text
    assert 'id="nav-users"' not in seen and 'id="access-link"' not in seen
