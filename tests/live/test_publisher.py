"""The publisher sends every committed event once, in id order: directly from
the committing thread when the events follow the last one sent, through the
database when another process committed in between."""

from __future__ import annotations

import threading
import time

from warroom import db as dbmod
from warroom import events, live, publisher, rooms
from warroom.publisher import Publisher

from ..conftest import FIXED_NOW


def commit_event(db, kind: str) -> events.Event:
    with dbmod.transaction(db):
        return events.append(db, None, kind, "test", {}, FIXED_NOW)


class RecordingEmitter:
    """Records each message: its audience and the ids it carries. Events of
    kinds in ``fail`` fail once, like a dropped connection; ``gate`` (an
    Event) holds the first send until it is set."""

    def __init__(self, fail: set | None = None, gate: threading.Event | None = None):
        self.messages: list[tuple[tuple[str, ...], list[int]]] = []
        self.sent: list[int] = []  # every id sent, in order
        self.fail = fail or set()
        self.gate = gate
        self.sending = threading.Event()

    def audience(self, event):
        return (f"room:{event.room}",)

    def send(self, audience, batch):
        self.sending.set()
        if self.gate is not None:
            self.gate.wait(10)
            self.gate = None
        for event in batch:
            if event.kind in self.fail:
                self.fail.discard(event.kind)
                raise RuntimeError("emit failed")
        self.messages.append((audience, [e.id for e in batch]))
        self.sent.extend(e.id for e in batch)


def make_publisher(settings, emitter: RecordingEmitter) -> Publisher:
    pub = Publisher(lambda: dbmod.connect(settings.db_url), emitter, poll_ms=50)
    db = dbmod.connect(settings.db_url)
    pub.last_id = events.last_id(db)  # as start() does, without its thread
    db.close()
    return pub


def test_a_commit_in_this_process_is_sent_before_the_commit_returns(db, settings):
    emitter = RecordingEmitter()
    pub = make_publisher(settings, emitter)
    sent = emitter.sent
    db.after_commit.append(pub.notify)
    first = commit_event(db, "a")
    assert sent == [first.id]  # no thread ran: the committing thread sent it
    second = commit_event(db, "b")
    assert sent == [first.id, second.id] and pub.last_id == second.id


def test_a_gap_left_by_another_process_goes_through_the_database_in_order(db, settings):
    emitter = RecordingEmitter()
    pub = make_publisher(settings, emitter)
    sent = emitter.sent
    db.after_commit.append(pub.notify)
    ours_before = commit_event(db, "a")
    other = dbmod.connect(settings.db_url)  # another process: it does not notify us
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
    emitter = RecordingEmitter(fail={"a"})
    pub = make_publisher(settings, emitter)
    sent = emitter.sent
    db.after_commit.append(pub.notify)
    event = commit_event(db, "a")  # the emit raises inside notify: the commit stands
    assert sent == [] and events.last_id(db) == event.id
    assert pub.flush(db) == 1 and sent == [event.id]



def test_flush_reads_without_the_lock_and_skips_what_was_sent_meanwhile(db, settings, monkeypatch):
    """A commit's direct send never waits on flush's SELECT, and an event it
    sends between that read and flush's emits is not sent again."""
    emitter = RecordingEmitter()
    pub = make_publisher(settings, emitter)
    sent = emitter.sent
    other = dbmod.connect(settings.db_url)
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


def commit_in_room(db, room: int | None, kind: str) -> events.Event:
    with dbmod.transaction(db):
        return events.append(db, room, kind, "test", {}, FIXED_NOW)


def test_commits_made_while_a_send_is_under_way_go_out_next_as_one_message(db, settings):
    """No timer: the first event goes alone at once; the ones committed by
    other threads meanwhile wait for that send and then go as one batch."""
    gate = threading.Event()
    emitter = RecordingEmitter(gate=gate)
    pub = make_publisher(settings, emitter)

    def commit_first():
        conn = dbmod.connect(settings.db_url)
        conn.after_commit.append(pub.notify)
        commit_in_room(conn, None, "first")
        conn.close()

    first_thread = threading.Thread(target=commit_first)
    first_thread.start()
    assert emitter.sending.wait(5)  # the first commit's thread is sending (held)
    others = []
    for k in range(3):
        conn = dbmod.connect(settings.db_url)
        conn.after_commit.append(pub.notify)
        others.append(commit_in_room(conn, None, f"other {k}"))  # returns at once
        conn.close()
    assert emitter.messages == []
    gate.set()
    first_thread.join(5)
    first_id = others[0].id - 1
    assert emitter.messages == [(("room:None",), [first_id]),
                                (("room:None",), [e.id for e in others])]
    assert pub.last_id == others[-1].id


def test_a_batch_is_split_where_the_audience_changes_and_keeps_id_order(db, settings):
    from tests.conftest import make_user

    room = rooms.open_room(db, FIXED_NOW, make_user(db, "lena", "lead"), "Ash cloud").id
    emitter = RecordingEmitter()
    pub = make_publisher(settings, emitter)
    other = dbmod.connect(settings.db_url)  # not notified: flush reads them as one batch
    made = [commit_in_room(other, r, "k") for r in (None, None, room, None)]
    other.close()
    assert pub.flush(db) == 4
    ids = [e.id for e in made]
    assert emitter.messages == [(("room:None",), ids[:2]), ((f"room:{room}",), [ids[2]]),
                                (("room:None",), [ids[3]])]


def test_a_message_carries_at_most_max_batch_events(db, settings):
    emitter = RecordingEmitter()
    pub = make_publisher(settings, emitter)
    other = dbmod.connect(settings.db_url)
    with dbmod.transaction(other):
        for k in range(publisher.MAX_BATCH + 5):
            events.append(other, None, "k", "test", {"k": k}, FIXED_NOW)
    other.close()
    assert pub.flush(db) == publisher.MAX_BATCH + 5
    assert [len(ids) for _a, ids in emitter.messages] == [publisher.MAX_BATCH, 5]
    assert emitter.sent == sorted(set(emitter.sent))


def test_the_socket_emitter_sends_one_event_alone_and_several_as_a_list(app, db, now):
    from tests.conftest import make_user, sock

    make_user(db, "vic", "viewer")
    _c, board = sock(app, "vic")
    board.get_received("/board")
    emitter = live.socket_emitter(app.extensions["socketio"])
    made = [commit_in_room(db, None, f"k{k}") for k in range(3)]
    emitter.send(("lobby",), made[:1])
    emitter.send(("lobby",), made[1:])
    got = [(m["name"], m["args"][0]) for m in board.get_received("/board")]
    assert got[0] == ("event", made[0].to_dict())
    assert got[1] == ("events", [e.to_dict() for e in made[1:]])


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_under_load_events_wait_for_the_window_and_go_as_one_message(db, settings):
    clock = FakeClock()
    emitter = RecordingEmitter()
    pub = Publisher(lambda: dbmod.connect(settings.db_url), emitter, poll_ms=50, coalesce_ms=20, clock=clock)
    pub.last_id = events.last_id(db)
    db.after_commit.append(pub.notify)
    first = commit_event(db, "first")
    assert emitter.sent == [first.id]  # after a quiet spell: at once, alone
    clock.t += 0.005
    held = [commit_event(db, "b"), commit_event(db, "c")]
    assert emitter.sent == [first.id]  # within 20 ms of the last send: held
    assert abs(pub._pending_due_in() - 0.015) < 1e-9
    clock.t += 0.015
    pub.send_pending()  # what the publisher thread does when the window ends
    assert emitter.messages[1][1] == [e.id for e in held]
    clock.t += 1.0
    later = commit_event(db, "quiet again")
    assert emitter.messages[-1][1] == [later.id] and pub._pending_due_in() is None


def test_the_publisher_thread_sends_what_was_held_back(db, settings):
    emitter = RecordingEmitter()
    pub = Publisher(lambda: dbmod.connect(settings.db_url), emitter, poll_ms=60000, coalesce_ms=50)
    pub.start()
    try:
        db.after_commit.append(pub.notify)
        made = [commit_event(db, f"k{k}") for k in range(5)]
        deadline = time.monotonic() + 10
        while len(emitter.sent) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        # all five, once each, in order: woken by notify, not by the 60 s poll
        assert emitter.sent == [e.id for e in made]
    finally:
        pub.stop()
