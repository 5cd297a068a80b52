"""The publisher sends every committed event once, in id order: directly from
the committing thread when the events follow the last one sent, through the
database when another process committed in between."""

from __future__ import annotations

from warroom import db as dbmod
from warroom import events
from warroom.live import Publisher

from ..conftest import FIXED_NOW


def commit_event(db, kind: str) -> events.Event:
    with dbmod.transaction(db):
        return events.append(db, None, kind, "test", {}, FIXED_NOW)


def make_publisher(settings, sent: list, fail: set | None = None) -> Publisher:
    def emit(event):
        if fail and event.kind in fail:
            fail.discard(event.kind)  # fails once, like a dropped connection
            raise RuntimeError("emit failed")
        sent.append(event.id)

    pub = Publisher(lambda: dbmod.connect(settings.db_path), emit, poll_ms=50)
    db = dbmod.connect(settings.db_path)
    pub.last_id = events.last_id(db)  # as start() does, without its thread
    db.close()
    return pub


def test_a_commit_in_this_process_is_sent_before_the_commit_returns(db, settings):
    sent: list[int] = []
    pub = make_publisher(settings, sent)
    db.after_commit.append(pub.notify)
    first = commit_event(db, "a")
    assert sent == [first.id]  # no thread ran: the committing thread sent it
    second = commit_event(db, "b")
    assert sent == [first.id, second.id] and pub.last_id == second.id


def test_a_gap_left_by_another_process_goes_through_the_database_in_order(db, settings):
    sent: list[int] = []
    pub = make_publisher(settings, sent)
    db.after_commit.append(pub.notify)
    ours_before = commit_event(db, "a")
    other = dbmod.connect(settings.db_path)  # another process: it does not notify us
    theirs = commit_event(other, "theirs")
    other.close()
    ours = commit_event(db, "b")
    assert sent == [ours_before.id]  # not sent ahead of the other process's event
    assert pub.flush(db) == 2
    assert sent == [ours_before.id, theirs.id, ours.id]
    assert pub.flush(db) == 0  # nothing twice
    after = commit_event(db, "c")
    assert sent[-1] == after.id and len(sent) == len(set(sent)) == 4  # direct again


def test_a_failed_emit_does_not_fail_the_commit_and_is_sent_later(db, settings):
    sent: list[int] = []
    pub = make_publisher(settings, sent, fail={"a"})
    db.after_commit.append(pub.notify)
    event = commit_event(db, "a")  # the emit raises inside notify: the commit stands
    assert sent == [] and events.last_id(db) == event.id
    assert pub.flush(db) == 1 and sent == [event.id]



def test_flush_reads_without_the_lock_and_skips_what_was_sent_meanwhile(db, settings, monkeypatch):
    """A commit's direct send never waits on flush's SELECT, and an event it
    sends between that read and flush's emits is not sent again."""
    sent: list[int] = []
    pub = make_publisher(settings, sent)
    other = dbmod.connect(settings.db_path)
    event = commit_event(other, "late notify")  # committed, not yet sent
    other.close()
    real_since = events.since
    seen = {}

    def since_observed(read_db, after_id, *args):
        batch = real_since(read_db, after_id, *args)
        seen.setdefault("locked", pub._lock.locked())
        if batch and not pub._lock.locked():
            pub.notify(batch)  # the committing thread's notify lands right now
        return batch

    monkeypatch.setattr(events, "since", since_observed)
    assert pub.flush(db) == 0
    assert seen["locked"] is False
    assert sent == [event.id]  # once, by the direct path
