"""The board's sockets obey the same session rules as pages: a one-time
password must be replaced first, a password change ends the user's sockets,
an expired session is refused (Flask-SocketIO's test client, in-process)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from warroom import accounts, live, rooms
from warroom import db as dbmod

from ..conftest import PASSWORD, call, close_clients, csrf_from, make_user, sock, socket_client


def _one_time(db, name):
    with dbmod.transaction(db):
        db.execute("UPDATE users SET must_change_password = 1 WHERE name = ?", [name])


def test_a_one_time_password_cannot_open_a_socket(app, db, now):
    accounts.add_user(db, now, "otto", "lead", "generated-once-123", one_time=True)
    client = app.test_client()
    page = client.get("/login")
    r = client.post("/login", data={"name": "otto", "password": "generated-once-123",
                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 302
    assert client.get("/").headers["Location"].endswith("/me/password")  # logged in, gated
    sc = app.extensions["socketio"].test_client(app, namespace="/board", flask_test_client=client)
    assert not sc.is_connected("/board")


def test_every_command_refuses_a_session_that_must_change_its_password(app, db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Recall")
    _, sc = sock(app, "lena")
    # e.g. a password reset to a generated one while the board was open
    _one_time(db, "lena")
    for name, payload in [("facts.update", {"room": room.id, "text": "Batch 42 only.", "kind": "fact"}),
                          ("escalation.page", {"room": room.id, "note": "help"}),
                          ("join", {"room": room.id})]:
        reply = call(sc, name, payload)
        assert reply == {"error": "choose your own password first (/me/password)", "field": "password"}, name
    assert db.execute("SELECT COUNT(*) FROM facts").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM escalations").fetchone()[0] == 0
    sc.disconnect(namespace="/board")


def test_a_password_change_disconnects_the_users_sockets_only(app, db, now):
    lena = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lena, "Recall")
    make_user(db, "kim", "responder")
    here, own_socket = sock(app, "lena")
    _, laptop_socket = sock(app, "lena")
    _, kims_socket = sock(app, "kim")
    token = csrf_from(here.get("/me/password").text)
    r = here.post("/me/password", data={"current": PASSWORD, "password": "a brand new secret",
                                        "csrf_token": token})
    assert r.status_code == 302
    # both of lena's sockets carry the old session: ended, then disconnected
    assert not laptop_socket.is_connected("/board")
    assert not own_socket.is_connected("/board")
    assert kims_socket.is_connected("/board")
    assert call(kims_socket, "join", {"room": room.id})["ok"] is True
    # this browser reconnects with its renewed session
    again = app.extensions["socketio"].test_client(app, namespace="/board", flask_test_client=here)
    assert again.is_connected("/board")
    for c in (kims_socket, again):
        c.disconnect(namespace="/board")


def test_a_socket_whose_session_ended_elsewhere_is_refused_on_its_next_command(app, db, now):
    # The password changed on another worker: no disconnect reached this one,
    # but each command re-reads the session from the shared database.
    lena = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lena, "Recall")
    _, sc = sock(app, "lena")
    assert call(sc, "join", {"room": room.id})["ok"] is True
    accounts.change_password(db, now, lena, PASSWORD, "a brand new secret")
    assert call(sc, "facts.update", {"room": room.id, "text": "x", "kind": "fact"}) == {"error": "unauthorized"}
    sc.disconnect(namespace="/board")


def test_an_expired_session_is_refused_on_connect_and_on_commands(app, db, now, monkeypatch):
    lena = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lena, "Recall")
    client, sc = sock(app, "lena")
    later = datetime.now(UTC) + timedelta(hours=app.extensions["warroom"].auth.session_hours, minutes=1)
    monkeypatch.setattr(live, "utcnow", lambda: later)
    assert call(sc, "join", {"room": room.id}) == {"error": "unauthorized"}
    fresh = app.extensions["socketio"].test_client(app, namespace="/board", flask_test_client=client)
    assert not fresh.is_connected("/board")
    sc.disconnect(namespace="/board")


def test_a_disabled_user_is_refused_on_commands(app, db, now):
    lena = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lena, "Recall")
    _, sc = sock(app, "lena")
    with dbmod.transaction(db):
        db.execute("UPDATE users SET disabled = 1 WHERE id = ?", [lena.id])
    assert call(sc, "join", {"room": room.id}) == {"error": "unauthorized"}
    sc.disconnect(namespace="/board")


@pytest.mark.e2e
def test_a_password_change_drops_a_real_websocket_of_the_user(server):
    server.add_user("lena", "lead")
    here, laptop = server.login("lena"), server.login("lena")
    client = socket_client(server, laptop)
    dropped = threading.Event()
    client.on("disconnect", lambda *reason: dropped.set(), namespace="/board")
    try:
        assert client.transport() == "websocket"
        r = here.post(server.url + "/me/password", allow_redirects=False,
                      data={"current": PASSWORD, "password": "a brand new secret"})
        assert r.status_code == 302
        assert dropped.wait(10), "the server did not drop the socket"
        assert laptop.get(server.url + "/", allow_redirects=False).status_code == 401
    finally:
        close_clients(client)
