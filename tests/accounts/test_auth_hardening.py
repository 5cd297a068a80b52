"""Hardening found by an outside probe: the login redirect, login timing,
sessions ended by a password change, expired sessions and disabled users."""

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from warroom import accounts
from warroom import db as dbmod
from warroom.web import auth as web_auth

from ..conftest import PASSWORD, csrf_from, login_client, make_user


def _db(app):
    return app.extensions["warroom_open_db"]()


# -- next= after login ---------------------------------------------------------

# As they travel in the query string: each decodes to something a browser
# would take to another origin (after dropping tabs and newlines, stripping
# leading controls and spaces, reading "\" as "/"), or is not a path at all.
HOSTILE_NEXT = [
    "/%09/evil.example",            # tab, dropped by the browser: //evil.example
    "/%0A/evil.example",            # newline, dropped too
    "/%0D%0A/evil.example",         # CR LF (was a 500: a header injection attempt)
    "%09//evil.example",            # leading tab
    "%20//evil.example",            # leading space, stripped
    "%00//evil.example",            # leading NUL, stripped
    "//evil.example",
    "///evil.example",
    "/%5Cevil.example",             # /\evil.example
    "%5C%5Cevil.example",           # \\evil.example
    "/%5C/evil.example",
    "https://evil.example/",
    "https:evil.example",           # a special scheme without slashes is still absolute
    "http:%5C%5Cevil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",           # encoded // (decoded once by the server)
    "%252F%252Fevil.example",       # double-encoded: %2F%2F... is not a path
    "evil.example",
    "",
]

# Same-origin paths survive unchanged (an encoded slash stays part of the path).
FRIENDLY_NEXT = {
    "/rooms/7": "/rooms/7",
    "/rooms/7%3Ftab%3Dfacts": "/rooms/7?tab=facts",
    "/%252F%252Fevil.example": "/%2F%2Fevil.example",
}


def test_login_redirect_while_logged_in_stays_on_this_origin(app):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    login_client(c, "lena")
    for raw in HOSTILE_NEXT:
        r = c.get("/login", query_string=f"next={raw}")
        assert (raw, r.status_code, r.headers.get("Location")) == (raw, 302, "/")
    for raw, location in FRIENDLY_NEXT.items():
        r = c.get("/login", query_string=f"next={raw}")
        assert (raw, r.status_code, r.headers.get("Location")) == (raw, 302, location)


@pytest.mark.parametrize("raw", HOSTILE_NEXT + list(FRIENDLY_NEXT))
def test_login_post_redirect_stays_on_this_origin(app, raw):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    page = c.get("/login")
    r = c.post("/login", data={"name": "lena", "password": PASSWORD, "next": unquote(raw),
                               "csrf_token": csrf_from(page.text)})
    assert r.status_code == 302
    assert r.headers["Location"] == FRIENDLY_NEXT.get(raw, "/")


# -- login timing: the same scrypt work whether the name exists or not ----------


def test_login_runs_exactly_one_scrypt_check_for_known_unknown_and_disabled_names(db, now, monkeypatch):
    make_user(db, "lena", "lead")
    make_user(db, "dora", "responder")
    with dbmod.transaction(db):
        db.execute("UPDATE users SET disabled = 1 WHERE name = 'dora'")
    real = hashlib.scrypt
    costs = []

    def counting(*args, **kwargs):
        costs.append((kwargs["n"], kwargs["r"], kwargs["p"]))
        return real(*args, **kwargs)

    # the dummy hash for unknown names is made once, on first need
    accounts.authenticate(db, "warm-up", PASSWORD, "198.51.100.7", now)
    monkeypatch.setattr(hashlib, "scrypt", counting)
    attempts = [("lena", "wrong password"), ("lena", PASSWORD), ("nobody", PASSWORD),
                ("ghost", "wrong password"), ("dora", PASSWORD)]
    for name, password in attempts:
        costs.clear()
        accounts.authenticate(db, name, password, "198.51.100.7", now)
        # every path verifies exactly once, at the cost of a real hash
        assert (name, costs) == (name, [(2**14, 8, 1)])
    assert accounts.authenticate(db, "lena", PASSWORD, "198.51.100.7", now).name == "lena"
    assert accounts.authenticate(db, "dora", PASSWORD, "198.51.100.7", now) is None
    assert accounts.authenticate(db, "nobody", PASSWORD, "198.51.100.7", now) is None


# -- a password change ends the user's other sessions ----------------------------


def _change_password(client, current, new):
    token = csrf_from(client.get("/me/password").text)
    return client.post("/me/password", data={"current": current, "password": new, "csrf_token": token})


def test_changing_the_password_ends_other_sessions_and_renews_this_one(app):
    db = _db(app)
    make_user(db, "lena", "lead")
    make_user(db, "kim", "responder")
    here, laptop, other = app.test_client(), app.test_client(), app.test_client()
    for c, name in ((here, "lena"), (laptop, "lena"), (other, "kim")):
        login_client(c, name)
    old_cookie = here.get_cookie("session").value
    assert laptop.get("/").status_code == 200

    r = _change_password(here, PASSWORD, "a brand new secret")
    assert r.status_code == 302
    assert laptop.get("/").status_code == 401            # the other session is gone
    assert here.get("/").status_code == 200              # this one lives on ...
    assert here.get_cookie("session").value != old_cookie
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/").status_code == 401            # ... under a new id
    assert other.get("/").status_code == 200             # other people are untouched
    lena = accounts.find_user(db, "lena")
    assert db.execute("SELECT COUNT(*) FROM sessions WHERE user_id = ?", [lena.id]).fetchone()[0] == 1
    # the renewed session has a working CSRF token
    token = csrf_from(here.get("/").text)
    assert here.post("/rooms", data={"title": "After change", "csrf_token": token}).status_code == 302


def test_change_password_in_the_domain_ends_every_session(db, now):
    lena = make_user(db, "lena", "lead")
    kim = make_user(db, "kim", "responder")
    tokens = [accounts.start_session(db, lena, now, 12)[0] for _ in range(3)]
    kims, _ = accounts.start_session(db, kim, now, 12)
    accounts.change_password(db, now, lena, PASSWORD, "a brand new secret")
    assert [accounts.session_user(db, t, now) for t in tokens] == [None, None, None]
    assert accounts.session_user(db, kims, now)[0].name == "kim"


# -- expired sessions and disabled users ---------------------------------------


def test_an_expired_session_is_refused(db, now):
    lena = make_user(db, "lena", "lead")
    token, csrf = accounts.start_session(db, lena, now, hours=12)
    assert accounts.session_user(db, token, now + timedelta(hours=11, minutes=59)) == (lena, csrf)
    assert accounts.session_user(db, token, now + timedelta(hours=12)) is None
    assert accounts.session_user(db, token, now + timedelta(days=30)) is None


def test_an_expired_session_is_refused_over_http(app, monkeypatch):
    make_user(_db(app), "lena", "lead")
    c = app.test_client()
    login_client(c, "lena")
    assert c.get("/").status_code == 200
    hours = app.extensions["warroom"].auth.session_hours
    later = datetime.now(UTC) + timedelta(hours=hours, minutes=1)
    # only the server's clock moves; the signed cookie itself is still fresh
    monkeypatch.setattr(web_auth, "utcnow", lambda: later)
    assert c.get("/").status_code == 401
    assert c.get("/api/v1/rooms").json == {"error": "login required"}


def test_a_disabled_users_session_and_login_are_refused(app, now):
    db = _db(app)
    make_user(db, "lena", "lead")
    c = app.test_client()
    login_client(c, "lena")
    token, _ = accounts.start_session(db, accounts.find_user(db, "lena"), now, 12)
    # No admin action disables a user yet; the flag is set the only way there is.
    with dbmod.transaction(db):
        db.execute("UPDATE users SET disabled = 1 WHERE name = 'lena'")
    assert accounts.session_user(db, token, now) is None
    assert c.get("/").status_code == 401
    page = c.get("/login")
    r = c.post("/login", data={"name": "lena", "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert r.status_code == 401
