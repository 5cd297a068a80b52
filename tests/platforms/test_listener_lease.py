"""Several hosts run the listeners job on one PostgreSQL (tests/pg_server.py):
each connector is listened to by one host at a time (a session lock per
connector), and another host takes it over once that host's session is gone."""

from __future__ import annotations

import pytest

from tests import pg_server
from tests.conftest import make_user
from warroom import db as dbmod
from warroom import dialect, rooms
from warroom.clock import iso
from warroom.election import connector_lease
from warroom.platforms import crypto, listener

pytestmark = pytest.mark.postgresql  # PostgreSQL whatever the pass: run once, in its pass


@pytest.fixture
def pg_url():
    return pg_server.server().new_database()


def add_connector(db, now) -> int:
    lead = make_user(db, "lena", "lead", now)
    room = rooms.open_room(db, now, lead, "Listening")
    with dbmod.transaction(db):
        # sealed secrets that do not open: the thread stays up, retrying, and stores nothing
        return db.execute("INSERT INTO connectors (room_id, platform, name, secrets, created_at, updated_at)"
                          " VALUES (?, 'mastodon', '@brand@local', 'not-a-token', ?, ?)",
                          [room.id, iso(now), iso(now)]).lastrowid


def supervisor(url, lease, now) -> listener.Supervisor:
    return listener.Supervisor(lambda: dbmod.connect(url), crypto.Vault("k" * 32), None, lambda: now,
                               listener.ListenConfig(60, 60), lease=lease)


def test_one_host_listens_to_a_connector_and_another_takes_over_when_it_dies(pg_url, now):
    db = dbmod.connect(pg_url)
    cid = add_connector(db, now)
    host_a, host_b = supervisor(pg_url, connector_lease(pg_url), now), supervisor(pg_url, connector_lease(pg_url), now)
    try:
        assert host_a.sync() == [cid]
        assert host_b.sync() == []  # A holds it: B does not listen too
        assert host_b.sync() == []
        # A's session dies (its host is gone): B's next sync listens
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                   " AND granted AND classid = ? AND objid = ?"
                   " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", [dialect.CONNECTOR_LOCK_SPACE, cid])
        assert host_b.sync() == [cid]
        assert host_a.sync() == []  # A notices it lost the lease and stops its thread
    finally:
        host_a.stop_all()
        host_b.stop_all()
        db.close()


def test_without_a_lease_every_host_listens(pg_url, now):
    """What the old Supervisor did on several hosts: each one listened."""
    db = dbmod.connect(pg_url)
    cid = add_connector(db, now)
    host_a, host_b = supervisor(pg_url, None, now), supervisor(pg_url, None, now)
    try:
        assert host_a.sync() == [cid] and host_b.sync() == [cid]
    finally:
        host_a.stop_all()
        host_b.stop_all()
        db.close()
