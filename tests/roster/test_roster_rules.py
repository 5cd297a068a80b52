"""Roster rules at their edges (each one found missing by a planted bug in
bench/mutants.py)."""

from datetime import timedelta

import pytest

from warroom import rooms, roster
from warroom.db import transaction
from warroom.roster import swaps

from ..conftest import make_user


def _room(db, now):
    return rooms.open_room(db, now, make_user(db, "lena", "lead"), "Ash cloud")


def _slot(db, room_id, role, start, hours=4, capacity=4):
    return roster.create_slots(db, start, room_id, [(role, capacity)], hours=hours, start=start,
                               span_hours=hours)[0]


def test_a_slot_holds_its_start_and_not_its_end(db, now):
    room = _room(db, now)
    morning = _slot(db, room.id, "Tweep", now)
    assert morning.contains(now)
    assert morning.contains(now + timedelta(hours=4) - timedelta(microseconds=1000))
    assert not morning.contains(now + timedelta(hours=4))
    assert not morning.contains(now - timedelta(seconds=1))


def test_the_pure_who_is_on_hands_over_exactly_at_the_shift_boundary(db, now):
    room = _room(db, now)
    ann, cas = make_user(db, "ann", "responder"), make_user(db, "cas", "responder")
    roster.sign_up(db, now, ann, _slot(db, room.id, "Tweep", now).id)
    roster.sign_up(db, now, cas, _slot(db, room.id, "Tweep", now + timedelta(hours=4)).id)
    shifts = roster.staffed(db, room.id)
    assert roster.on_at(shifts, "Tweep", now) == ["ann"]
    assert roster.on_at(shifts, "Tweep", now + timedelta(hours=4)) == ["cas"]


def test_a_disabled_user_is_not_on_shift(db, now):
    room = _room(db, now)
    ann, bob = make_user(db, "ann", "responder"), make_user(db, "bob", "responder")
    slot = _slot(db, room.id, "Tweep", now)
    roster.sign_up(db, now, ann, slot.id)
    roster.sign_up(db, now, bob, slot.id)
    with transaction(db):
        db.execute("UPDATE users SET disabled = 1 WHERE name = 'ann'")
    assert [u.name for u in roster.who_is_on(db, room.id, "Tweep", now)] == ["bob"]


def test_a_swap_never_gives_the_taker_a_shift_overlapping_one_they_have(db, now):
    room = _room(db, now)
    lou = make_user(db, "lou", "lead")
    ann, bob = make_user(db, "ann", "responder"), make_user(db, "bob", "responder")
    tweep = _slot(db, room.id, "Tweep", now)                                   # 09-13
    rebook = _slot(db, room.id, "Rebooker", now + timedelta(hours=2))          # 11-15
    roster.sign_up(db, now, ann, tweep.id)
    roster.sign_up(db, now, bob, rebook.id)
    with pytest.raises(roster.RosterError, match="bob is on another shift") as err:
        swaps.lead_swap(db, now, lou, tweep.id, ann, bob)  # bob to cover ann's Tweep shift
    assert err.value.status == 409 and err.value.field == "user"
    assert [u.name for u in roster.people_on(db, tweep.id)] == ["ann"]


def test_an_exchange_never_gives_the_proposer_a_shift_overlapping_one_they_have(db, now):
    room = _room(db, now)
    lou = make_user(db, "lou", "lead")
    ann, bob = make_user(db, "ann", "responder"), make_user(db, "bob", "responder")
    first = _slot(db, room.id, "Tweep", now)                                   # 09-13
    second = _slot(db, room.id, "Tweep", now + timedelta(hours=4))             # 13-17
    late = _slot(db, room.id, "Rebooker", now + timedelta(hours=6))            # 15-19
    roster.sign_up(db, now, ann, first.id)
    roster.sign_up(db, now, ann, late.id)
    roster.sign_up(db, now, bob, second.id)
    with pytest.raises(roster.RosterError, match="ann is on another shift") as err:
        swaps.lead_swap(db, now, lou, first.id, ann, bob, target_slot_id=second.id)
    assert err.value.status == 409 and err.value.field == "target_slot_id"
    assert [u.name for u in roster.people_on(db, second.id)] == ["bob"]
