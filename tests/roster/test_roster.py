"""Roster domain: who is on, sign-ups under concurrency, withdrawals, assignment."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from warroom import db as dbmod
from warroom import events, rooms, roster

from ..conftest import make_user


def _room(db, now, lead=None):
    lead = lead or make_user(db, "lena", "lead")
    return rooms.open_room(db, now, lead, "Ash cloud")


def _slot(db, room_id, role, start, hours=4, capacity=4):
    made = roster.create_slots(db, start, room_id, [(role, capacity)], hours=hours, start=start,
                               span_hours=hours)
    return made[0]


def test_who_is_on_across_shift_boundaries(db, now):
    room = _room(db, now)
    ann, bob, cas = (make_user(db, n, "responder") for n in ("ann", "bob", "cas"))
    morning = _slot(db, room.id, "Tweep", now)                       # 09:00-13:00Z
    noon = _slot(db, room.id, "Tweep", now + timedelta(hours=4))     # 13:00-17:00Z
    _slot(db, room.id, "Rebooker", now)  # an empty slot of another role
    roster.sign_up(db, now, ann, morning.id)
    roster.sign_up(db, now, bob, morning.id)
    roster.sign_up(db, now, cas, noon.id)

    def names(at, role="Tweep"):
        return [u.name for u in roster.who_is_on(db, room.id, role, at)]

    assert names(now - timedelta(seconds=1)) == []
    assert names(now) == ["ann", "bob"]                     # start inclusive
    assert names(now + timedelta(hours=3, minutes=59)) == ["ann", "bob"]
    assert names(now + timedelta(hours=4)) == ["cas"]       # end exclusive
    assert names(now + timedelta(hours=8)) == []
    assert names(now, "tweep") == ["ann", "bob"]            # role is case-insensitive
    assert names(now, "TWEEP") == ["ann", "bob"]
    assert names(now, "Rebooker") == []
    # the pure form agrees with the database form
    shifts = roster.staffed(db, room.id)
    assert roster.on_at(shifts, "tweep", now + timedelta(hours=5)) == ["cas"]


def test_who_is_on_ignores_other_rooms(db, now):
    lead = make_user(db, "lena", "lead")
    a, b = rooms.open_room(db, now, lead, "A"), rooms.open_room(db, now, lead, "B")
    ann = make_user(db, "ann", "approver")  # a Lead slot needs who may approve (issue 19)
    seat = _slot(db, a.id, "Lead", now, capacity=1)
    roster.sign_up(db, now, ann, seat.id)
    assert [u.name for u in roster.who_is_on(db, a.id, "lead", now)] == ["ann"]
    with pytest.raises(roster.RosterError, match="full"):
        roster.sign_up(db, now, lead, seat.id)
    assert roster.who_is_on(db, b.id, "lead", now) == []


def test_twenty_threads_never_overbook_a_four_person_slot(db, now, settings):
    room = _room(db, now)
    slot = _slot(db, room.id, "Tweep", now + timedelta(hours=1), capacity=4)
    users = [make_user(db, f"vol{i:02d}", "responder") for i in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(user):
        conn = dbmod.connect(settings.db_url, busy_timeout_ms=30000)  # own connection; slow CI waits
        try:
            barrier.wait()
            try:
                roster.sign_up(conn, now, user, slot.id)
                result = "ok"
            except roster.RosterError as exc:
                result = f"refused:{exc.status}"
            with lock:
                outcomes.append(result)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes).count("ok") == 4
    assert outcomes.count("refused:409") == 16
    count = db.execute("SELECT COUNT(*) FROM shift_signups WHERE slot_id = ?", [slot.id]).fetchone()[0]
    assert count == 4
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert kinds.count("roster.signed_up") == 4


def test_sign_up_rules_and_withdrawal(db, now):
    room = _room(db, now)
    ann = make_user(db, "ann", "responder")
    vic = make_user(db, "vic", "viewer")
    slot = _slot(db, room.id, "Tweep", now, capacity=1)
    overlapping = _slot(db, room.id, "Rebooker", now + timedelta(hours=2))
    with pytest.raises(roster.RosterError) as viewer:
        roster.sign_up(db, now, vic, slot.id)
    assert viewer.value.status == 403
    roster.sign_up(db, now, ann, slot.id)
    with pytest.raises(roster.RosterError) as twice:
        roster.sign_up(db, now, ann, slot.id)
    assert twice.value.status == 409
    with pytest.raises(roster.RosterError, match="already on Tweep"):
        roster.sign_up(db, now, ann, overlapping.id)
    with pytest.raises(roster.RosterError) as missing:
        roster.sign_up(db, now, ann, 9999)
    assert missing.value.status == 404
    roster.withdraw(db, now, ann, slot.id)
    assert roster.who_is_on(db, room.id, "Tweep", now) == []
    with pytest.raises(roster.RosterError, match="not on this shift"):
        roster.withdraw(db, now, ann, slot.id)
    # a shift that is over can no longer change
    with pytest.raises(roster.RosterError, match="over"):
        roster.sign_up(db, now + timedelta(hours=4), ann, slot.id)
    last = events.timeline(db, room.id)[-1]
    assert last.kind == "roster.withdrawn"
    assert last.data["user"] == "ann" and last.data["slot_id"] == slot.id


def test_lead_assigns_and_removes_within_capacity(db, now):
    lead = make_user(db, "lena", "lead")
    room = _room(db, now, lead)
    ann, bob = make_user(db, "ann", "responder"), make_user(db, "bob", "responder")
    slot = _slot(db, room.id, "Tweep", now, capacity=1)
    with pytest.raises(roster.RosterError) as not_lead:
        roster.assign(db, now, ann, slot.id, bob)
    assert not_lead.value.status == 403
    roster.assign(db, now, lead, slot.id, ann)
    with pytest.raises(roster.RosterError, match="full"):
        roster.assign(db, now, lead, slot.id, bob)
    with pytest.raises(roster.RosterError) as other:
        roster.withdraw(db, now, bob, slot.id, ann)
    assert other.value.status == 403
    roster.withdraw(db, now, lead, slot.id, ann)
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert kinds[-2:] == ["roster.assigned", "roster.unassigned"]
    assigned = db.execute("SELECT COUNT(*) FROM shift_signups").fetchone()[0]
    assert assigned == 0


def test_closed_room_roster_is_frozen(db, now):
    lead = make_user(db, "lena", "lead")
    room = _room(db, now, lead)
    ann = make_user(db, "ann", "responder")
    slot = _slot(db, room.id, "Tweep", now)
    rooms.close_room(db, now, lead, room.id)
    with pytest.raises(roster.RosterError, match="closed"):
        roster.sign_up(db, now, ann, slot.id)


def test_shift_times_are_utc_text(db):
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, start, lead, "T")
    s = _slot(db, room.id, "Tweep", start)
    assert (s.starts_at, s.ends_at) == ("2026-10-25T00:00:00.000Z", "2026-10-25T04:00:00.000Z")
