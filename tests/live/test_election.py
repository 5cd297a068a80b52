"""The elected publisher on a real PostgreSQL (tests/pg_server.py): of several
publishers on one database exactly one sends; when its session dies another
takes over from the saved cursor; a commit wakes it by LISTEN/NOTIFY."""

from __future__ import annotations

import pytest

from tests import pg_server
from warroom import db as dbmod
from warroom import dialect, events
from warroom.election import ElectedPublisher

from ..conftest import FIXED_NOW, wait_until
from .test_publisher import RecordingEmitter

pytestmark = pytest.mark.postgresql  # PostgreSQL whatever the pass: run once, in its pass


@pytest.fixture
def pg_url():
    return pg_server.server().new_database()


def commit_event(db, kind: str = "test.ping") -> events.Event:
    with dbmod.transaction(db):
        return events.append(db, None, kind, "test", {}, FIXED_NOW)


def publisher(url, emitter, holder, poll_ms=50) -> ElectedPublisher:
    return ElectedPublisher(url, lambda: dbmod.connect(url), emitter, poll_ms=poll_ms, holder=holder)


def lock_holders(db) -> int:
    key1, key2 = dialect.PUBLISHER_LOCK
    return db.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                      " AND classid = ? AND objid = ? AND objsubid = 2"
                      " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                      [key1, key2]).fetchone()[0]


def test_one_of_three_publishes_and_another_takes_over_from_the_saved_cursor(pg_url):
    writer = dbmod.connect(pg_url)
    before = commit_event(writer, "test.history")  # before any publisher: never replayed
    emitters = [RecordingEmitter() for _ in range(3)]
    pubs = [publisher(pg_url, e, f"host{i}:1") for i, e in enumerate(emitters)]
    try:
        for pub in pubs:
            pub.start()
        wait_until(lambda: sum(p.leader for p in pubs) == 1, what="a leader")
        assert lock_holders(writer) == 1
        first = [commit_event(writer).id for _ in range(5)]
        leader = next(p for p in pubs if p.leader)
        lead_emitter = emitters[pubs.index(leader)]
        wait_until(lambda: lead_emitter.sent[-1:] == first[-1:], what="the first events sent")
        assert lead_emitter.sent == first and before.id not in lead_emitter.sent
        assert all(e.sent == [] for e in emitters if e is not lead_emitter)  # the others sent nothing
        # written right after each send
        wait_until(lambda: writer.execute("SELECT last_id, sent_by FROM publisher_cursor WHERE name = 'board'")
                   .fetchone() == (first[-1], leader.holder), what="the saved cursor")

        # The leader's session dies (as when its host is SIGKILLed) and its thread stops.
        leader.stop()
        writer.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                       " AND granted AND classid = ? AND objid = ?"
                   " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", list(dialect.PUBLISHER_LOCK))
        later = [commit_event(writer).id for _ in range(5)]
        survivors = [p for p in pubs if p is not leader]
        wait_until(lambda: any(p.leader for p in survivors), what="a new leader")
        new = next(p for p in survivors if p.leader)
        new_emitter = emitters[pubs.index(new)]
        wait_until(lambda: new_emitter.sent[-1:] == later[-1:], what="the later events sent")
        # resumed after the saved cursor: nothing lost, nothing before it resent
        assert new_emitter.sent == later
        assert sum(p.leader for p in pubs) == 1
    finally:
        for pub in pubs:
            pub.stop()
        writer.close()


def test_a_commit_wakes_the_leader_by_notify_long_before_its_poll(pg_url):
    emitter = RecordingEmitter()
    # a poll of ten minutes: only the commit's NOTIFY can make this quick
    pub = publisher(pg_url, emitter, "host:1", poll_ms=600_000)
    writer = dbmod.connect(pg_url)
    try:
        pub.start()
        wait_until(lambda: pub.leader, what="the lock")
        event = commit_event(writer)
        wait_until(lambda: emitter.sent == [event.id], timeout=10, what="the event, woken by NOTIFY")
        pub.stop()  # even in the middle of its ten-minute poll
        wait_until(lambda: lock_holders(writer) == 0, what="the lock freed at stop")
    finally:
        pub.stop()
        writer.close()


def test_a_rolled_back_transaction_notifies_nobody(pg_url):
    listener = dbmod.connect(pg_url)
    listener.conn.raw.execute(f"LISTEN {dialect.EVENTS_CHANNEL}")
    writer = dbmod.connect(pg_url)
    try:
        with pytest.raises(RuntimeError):
            with dbmod.transaction(writer):
                events.append(writer, None, "test.undone", "test", {}, FIXED_NOW)
                raise RuntimeError("abort")
        kept = commit_event(writer)
        got = [n.payload for n in listener.conn.raw.notifies(timeout=5, stop_after=1)]
        assert got == [str(kept.id)]  # only the committed one, carrying its last event id
    finally:
        listener.close()
        writer.close()


def test_a_deposed_publisher_sends_nothing_and_never_moves_the_cursor_back(pg_url):
    emitter = RecordingEmitter()
    pub = publisher(pg_url, emitter, "old:1")
    writer = dbmod.connect(pg_url)
    try:
        pub.start()
        wait_until(lambda: pub.leader, what="the lock")
        e1 = commit_event(writer)
        wait_until(lambda: emitter.sent == [e1.id], what="the first event")
        pub.stop()
        pub._thread.join(5)
        assert not pub.leader
        e2 = commit_event(writer)
        pub.notify([e2])  # a commit in its process after it lost the lock
        assert emitter.sent == [e1.id]
        writer.execute("UPDATE publisher_cursor SET last_id = ? WHERE name = 'board'", [e2.id])
        pub._save_cursor(e1.id)  # a late write from before it lost the lock
        assert writer.execute("SELECT last_id FROM publisher_cursor").fetchone()[0] == e2.id
    finally:
        pub.stop()
        writer.close()


def test_the_lock_is_free_again_once_the_publisher_stops(pg_url):
    pub = publisher(pg_url, RecordingEmitter(), "host:1")
    db = dbmod.connect(pg_url)
    try:
        pub.start()
        wait_until(lambda: lock_holders(db) == 1, what="the lock taken")
        pub.stop()
        wait_until(lambda: lock_holders(db) == 0, what="the lock freed")
    finally:
        pub.stop()
        db.close()
