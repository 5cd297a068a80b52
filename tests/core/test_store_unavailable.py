"""A store that cannot serve (locked by another process, read-only) is a 503
with Retry-After on HTTP, an error reply on Socket.IO and a failing /healthz;
nothing already accepted is lost and nothing is half-written.

The lock is real: a second connection holds the write lock as another
process would (SQLite: BEGIN IMMEDIATE; PostgreSQL, with
WARROOM_TEST_STORE=postgresql: the advisory write lock of dialect.write_lock).
Read-only is SQLite's own ``query_only`` (it raises SQLITE_READONLY, as a
read-only file does; the tests run as root, for whom file modes do not bite),
so those two tests are SQLite-only; tests/core/test_pg_store.py and
test_dialect.py cover PostgreSQL's busy and read-only errors.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest

from warroom import config as configmod
from warroom import db as dbmod
from warroom import rooms
from warroom.app import create_app
from warroom.clock import utcnow
from warroom.listening import tokens

from .. import pg_server
from ..conftest import FIXED_NOW, login_client, make_user, sock, store_env

BODY = [{"external_id": f"lock-{i}", "source": "twitter", "author": "@anna",
         "text": "my flight is cancelled", "url": "", "created_at": "2026-03-29T09:00:00Z"}
        for i in range(3)]


@pytest.fixture
def settings(tmp_path):
    # A short busy timeout so that a held lock fails fast instead of after 5 s.
    return configmod.load(None, env={**store_env(tmp_path), "WARROOM_SECRET_KEY": "test-secret",
                                     "WARROOM_DB_BUSY_TIMEOUT_MS": "100"})


@pytest.fixture
def app(settings):
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def world(app, settings):
    db = dbmod.connect(settings.db_url)
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, utcnow(), lead, "Locked")
    _token, secret = tokens.create(db, FIXED_NOW, "twitter", room.id, rate_per_minute=1000)
    db.close()
    return {"room": room, "secret": secret}


@contextmanager
def write_lock(settings):
    """Another connection holding the write lock, as another process would."""
    if dbmod.is_postgresql(settings.db_url):
        import psycopg

        from warroom import dialect

        with psycopg.connect(settings.db_url, autocommit=True) as other:
            other.execute("BEGIN")
            other.execute(dialect.write_lock(dialect.POSTGRESQL))
            try:
                yield
            finally:
                other.execute("ROLLBACK")
        return
    other = sqlite3.connect(str(settings.db_path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def post(client, world, body=BODY):
    return client.post(f"/api/v1/rooms/{world['room'].id}/mentions", json=body,
                       headers={"Authorization": f"Bearer {world['secret']}"})


def stored(settings) -> int:
    db = dbmod.connect(settings.db_url)
    try:
        return db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
    finally:
        db.close()


@pg_server.sqlite_only("BEGIN IMMEDIATE and PRAGMA query_only")
def test_unavailable_names_the_store_state_from_sqlite_itself(settings, db):
    with write_lock(settings):
        quick = dbmod.connect(settings.db_url, busy_timeout_ms=50)
        with pytest.raises(sqlite3.OperationalError) as locked:
            quick.execute("BEGIN IMMEDIATE")
        quick.close()
    assert dbmod.unavailable(locked.value) == "busy"
    db.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as readonly:
        db.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES ('x', 'viewer', '', '')")
    assert dbmod.unavailable(readonly.value) == "read-only"
    with pytest.raises(sqlite3.OperationalError) as bug:
        db.execute("SELECT * FROM no_such_table")
    assert dbmod.unavailable(bug.value) is None  # a real bug stays a 500
    assert dbmod.unavailable(ValueError("database is locked")) is None
    assert dbmod.retry_after("busy") == 1 and dbmod.retry_after("read-only") > 1


def test_ingest_under_a_held_lock_is_503_then_succeeds(app, world, settings):
    client = app.test_client()
    with write_lock(settings):
        refused = post(client, world)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert "busy" in refused.get_json()["error"]
    assert stored(settings) == 0  # nothing half-written
    accepted = post(client, world)
    assert accepted.status_code == 202 and accepted.get_json()["accepted"] == 3
    assert stored(settings) == 3


def test_healthz_reports_a_database_it_cannot_write(app, world, settings):
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with write_lock(settings):
        sick = client.get("/healthz")
    assert sick.status_code == 503
    assert sick.get_json()["database"] == "busy" and sick.headers["Retry-After"] == "1"
    assert client.get("/healthz").status_code == 200  # and well again once released


@pg_server.sqlite_only("PRAGMA query_only makes the store read-only")
def test_read_only_store_is_503_on_pages_api_and_healthz(app, world, settings):
    client = app.test_client()
    login_client(client, "lena")
    assert post(client, world).status_code == 202
    plain = app.extensions["warroom_open_db"]

    def read_only():
        db = plain()
        db.execute("PRAGMA query_only = 1")
        return db

    app.extensions["warroom_open_db"] = read_only
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "read-only"
    refused = post(client, world, [dict(BODY[0], external_id="ro-1")])
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 1
    # reads still work: the board can be looked at while writes are refused
    listing = client.get(f"/api/v1/rooms/{world['room'].id}/mentions")
    assert listing.status_code == 200 and len(listing.get_json()["mentions"]) == 3
    app.extensions["warroom_open_db"] = plain
    assert stored(settings) == 3  # what was accepted before is all there
    # and writable again at once: no pooled connection stays read-only
    assert post(client, world, [dict(BODY[0], external_id="rw-1")]).status_code == 202
    assert stored(settings) == 4


def test_html_page_under_a_lock_is_a_503_page(app, world, settings):
    client = app.test_client()
    page = client.get("/login")
    with write_lock(settings):
        from ..conftest import PASSWORD, csrf_from

        resp = client.post("/login", data={"name": "lena", "password": PASSWORD,
                                           "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
    assert "text/html" in resp.content_type and "busy" in resp.text


def test_socket_command_under_a_lock_gets_an_error_reply(app, world, settings):
    _client, sc = sock(app, "lena")
    with write_lock(settings):
        reply = sc.emit("facts.update", {"room": world["room"].id, "text": "Flights resume at 6pm"},
                        namespace="/board", callback=True)
    assert reply is not None and "busy" in reply["error"] and reply["retry_after"] == 1
    again = sc.emit("facts.update", {"room": world["room"].id, "text": "Flights resume at 6pm"}, namespace="/board", callback=True)
    assert again.get("ok") is True, again
