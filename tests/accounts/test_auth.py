"""Login, roles, CSRF and sessions through the Flask app (no server process)."""

import re

from warroom import accounts

from ..conftest import PASSWORD, csrf_from, login_client, make_user


def _db(app):
    return app.extensions["warroom_open_db"]()


def test_every_page_and_api_needs_a_session(app):
    c = app.test_client()
    assert c.get("/").status_code == 401
    assert c.get("/rooms/1").status_code == 401
    r = c.get("/api/v1/rooms")
    assert r.status_code == 401 and r.json == {"error": "login required"}
    assert c.get("/healthz").status_code == 200


def test_post_without_csrf_token_is_rejected(app):
    db = _db(app)
    make_user(db, "lena", "lead")
    c = app.test_client()
    login_client(c, "lena")
    r = c.post("/rooms", data={"title": "No token"})
    assert r.status_code == 403
    assert db.execute("SELECT COUNT(*) FROM rooms").fetchone()[0] == 0


def test_login_post_needs_csrf_too(app):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    r = c.post("/login", data={"name": "lena", "password": PASSWORD})
    assert r.status_code == 403


def test_viewer_cannot_open_a_room_but_lead_can(app):
    db = _db(app)
    make_user(db, "vic", "viewer")
    make_user(db, "lena", "lead")
    viewer = app.test_client()
    token = login_client(viewer, "vic")
    assert viewer.post("/rooms", data={"title": "x", "csrf_token": token}).status_code == 403
    lead = app.test_client()
    token = login_client(lead, "lena")
    r = lead.post("/rooms", data={"title": "Ash cloud", "csrf_token": token})
    assert r.status_code == 302
    kinds = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds[-1] == "room.opened"


def test_room_title_required_names_field(app):
    db = _db(app)
    make_user(db, "lena", "lead")
    c = app.test_client()
    token = login_client(c, "lena")
    r = c.post("/rooms", data={"title": "  ", "csrf_token": token})
    assert r.status_code == 422 and "title:" in r.text


def test_cookie_flags_and_fresh_session_on_login(app):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    page = c.get("/login")
    before = c.get_cookie("session").value
    r = c.post("/login", data={"name": "lena", "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert c.get_cookie("session").value != before


def test_logout_ends_the_server_side_session(app):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    token = login_client(c, "lena")
    stolen = c.get_cookie("session").value
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 401


def test_login_is_rate_limited(app):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    limit = app.extensions["warroom"].auth.login_attempts
    for attempt in range(1, limit + 1):
        page = c.get("/login")
        r = c.post("/login", data={"name": "lena", "password": "wrong-password", "csrf_token": csrf_from(page.text)})
        assert r.status_code == (429 if attempt == limit else 401)
    page = c.get("/login")
    r = c.post("/login", data={"name": "lena", "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert r.status_code == 429  # right password, but throttled


def test_passwords_are_scrypt_hashed(db, now):
    make_user(db, "kim", "responder")
    stored = db.execute("SELECT password_hash FROM users WHERE name='kim'").fetchone()[0]
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert accounts.check_password(stored, PASSWORD)
    assert not accounts.check_password(stored, PASSWORD + "x")


def test_security_headers(app):
    r = app.test_client().get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r"<script>(?!</script>)", r.text)  # no inline script


def test_session_fixation_a_planted_cookie_stays_anonymous(app):
    make_user(_db(app), "lena", "lead")
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("session").value
    victim = app.test_client()
    victim.set_cookie("session", planted)       # the attacker's cookie, planted
    login_client(victim, "lena")
    assert victim.get("/").status_code == 200
    assert victim.get_cookie("session").value != planted
    assert attacker.get("/").status_code == 401  # the planted id was never logged in


def test_one_time_password_must_be_replaced_first(app, now):
    db = _db(app)
    accounts.add_user(db, now, "otto", "lead", "generated-once-123", one_time=True)
    c = app.test_client()
    page = c.get("/login")
    c.post("/login", data={"name": "otto", "password": "generated-once-123", "csrf_token": csrf_from(page.text)})
    r = c.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/me/password")
    assert c.get("/api/v1/rooms").json["field"] == "password"
    token = csrf_from(c.get("/me/password").text)
    bad = c.post("/me/password", data={"current": "wrong", "password": "x" * 12, "csrf_token": token})
    assert bad.status_code == 422 and "current:" in bad.text
    short = c.post("/me/password", data={"current": "generated-once-123", "password": "short",
                                         "csrf_token": token})
    assert short.status_code == 422 and "password:" in short.text
    ok = c.post("/me/password", data={"current": "generated-once-123", "password": "my own secret",
                                      "csrf_token": token})
    assert ok.status_code == 302
    assert c.get("/").status_code == 200
    assert accounts.authenticate(db, "otto", "my own secret", "t", now) is not None
    assert accounts.authenticate(db, "otto", "generated-once-123", "t", now) is None


def test_events_api_refuses_bad_paging_with_the_field(app):
    make_user(_db(app), "vic", "viewer")
    c = app.test_client()
    login_client(c, "vic")
    _db(app).execute("INSERT INTO rooms (title, status, opened_at) VALUES ('r', 'open', 'x')")
    assert c.get("/api/v1/rooms/1/events?after=99999999999999999999").json["field"] == "after"
    assert c.get("/api/v1/rooms/1/events?after=-1").json["field"] == "after"
    assert c.get("/api/v1/rooms/1/events?limit=0").json["field"] == "limit"
    assert c.get("/api/v1/rooms/1/events?limit=99999999999999999999").status_code == 200
    assert c.get("/api/v1/rooms/1/events?after=x").status_code == 400
