"""The spine end to end: a real server process, a real WebSocket, a real file."""

from __future__ import annotations

import pytest
import socketio

from warroom import accounts, rooms
from warroom.clock import utcnow

from ..conftest import close_clients, collect_events, socket_client, wait_for_kind

pytestmark = pytest.mark.e2e


def test_event_reaches_live_board_and_late_board_catches_up(server):
    server.add_user("lena", "lead")
    http = server.login("lena")

    live = socket_client(server, http)
    try:
        assert live.transport() == "websocket"
        received = collect_events(live)

        # Open a room through the real form POST (CSRF header set by login()).
        resp = http.post(server.url + "/rooms", data={"title": "Ash cloud", "description": "KLM drill"},
                         allow_redirects=False)
        assert resp.status_code == 302
        room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        opened = wait_for_kind(received, "room.opened")  # lobby gets room.* events
        assert opened["room"] == room_id and opened["data"]["title"] == "Ash cloud"
        assert set(opened) == {"id", "room", "ts", "kind", "actor", "data"}

        ack = live.call("join", {"room": room_id}, namespace="/board", timeout=5)
        assert ack["ok"] is True

        # A domain call from another process on the same SQLite file: the
        # server's publisher picks the committed event up and fans it out.
        db = server.db()
        lead = accounts.find_user(db, "lena")
        rooms.close_room(db, utcnow(), lead, room_id)
        db.close()
        closed = wait_for_kind(received, "room.closed")
        assert closed["room"] == room_id and closed["actor"] == "lena"
    finally:
        close_clients(live)

    # A board that connects later asks for what it missed, after the id it knew.
    page = http.get(f"{server.url}/api/v1/rooms/{room_id}/events", params={"after": opened["id"]}).json()
    assert [e["kind"] for e in page["events"]] == ["room.closed"]
    assert page["events"][0]["id"] == closed["id"]
    everything = http.get(f"{server.url}/api/v1/rooms/{room_id}/events", params={"after": 0}).json()
    assert [e["id"] for e in everything["events"]] == [opened["id"], closed["id"]]


def test_unauthenticated_socket_is_refused(server):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=["/board"], transports=["websocket"], wait_timeout=5)
    assert not client.connected


def test_logged_out_session_cannot_connect_or_command(server):
    server.add_user("vic", "viewer")
    http = server.login("vic")
    client = socket_client(server, http)
    try:
        assert client.call("join", {"room": 999}, namespace="/board", timeout=5) == {"error": "no room 999"}
        http.post(server.url + "/logout", allow_redirects=False)
        # The session is gone on the server: commands on the open socket fail.
        assert client.call("join", {"room": 1}, namespace="/board", timeout=5) == {"error": "unauthorized"}
    finally:
        close_clients(client)
    again = socketio.Client(reconnection=False)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect(server.url, namespaces=["/board"], transports=["websocket"],
                      headers={"Cookie": cookie}, wait_timeout=5)


def test_first_serve_creates_admin_and_prints_password_once(tmp_path):
    from ..conftest import Server

    srv = Server(tmp_path).start()
    try:
        out = srv.output()
        assert "one-time password" in out and srv.url in out
        password = out.split("/login):")[1].split()[0]
        http = srv.login("admin", password)
        # one-time: every page leads to choosing a password, the API refuses
        first = http.get(srv.url + "/", allow_redirects=False)
        assert first.status_code == 302 and first.headers["Location"].endswith("/me/password")
        assert http.get(srv.url + "/api/v1/rooms").status_code == 403
        changed = http.post(srv.url + "/me/password", allow_redirects=False,
                            data={"current": password, "password": "a brand new secret"})
        assert changed.status_code == 302
        assert "War rooms" in http.get(srv.url + "/").text
        assert srv.login("admin", "a brand new secret")
    finally:
        srv.stop()
    srv2 = Server(tmp_path, db_url=srv.db_url).start()
    try:
        assert "one-time password" not in srv2.output()
    finally:
        srv2.stop()


def test_board_page_serves_vendored_client(server):
    server.add_user("lena", "lead")
    http = server.login("lena")
    js = http.get(server.url + "/static/vendor/socket.io.min.js")
    assert js.status_code == 200 and b"Socket.IO v4.8.4" in js.content
