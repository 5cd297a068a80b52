"""Room life-cycle rules (each one found missing by a planted bug in
bench/mutants.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom import events, rooms

from ..conftest import make_user


def test_a_room_closes_once(db, now):
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Recall")
    closed = rooms.close_room(db, now + timedelta(hours=1), lead, room.id)
    assert closed.status == "closed" and closed.closed_at == "2026-03-29T10:00:00.000Z"
    with pytest.raises(rooms.RoomError, match="already closed") as err:
        rooms.close_room(db, now + timedelta(hours=2), lead, room.id)
    assert err.value.field == "room"
    assert rooms.get_room(db, room.id).closed_at == "2026-03-29T10:00:00.000Z"  # the first close stands
    assert [e.kind for e in events.timeline(db, room.id)].count("room.closed") == 1


def test_a_monitoring_room_can_be_closed(db, now):
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Quiet watch", status="monitoring")
    assert rooms.close_room(db, now, lead, room.id).status == "closed"


@pytest.mark.parametrize("status", ["closed", "archived", ""])
def test_a_room_opens_as_open_or_monitoring_only(db, now, status):
    lead = make_user(db, "lead", "lead")
    with pytest.raises(rooms.RoomError) as err:
        rooms.open_room(db, now, lead, "Recall", status=status)
    assert err.value.field == "status"
    assert rooms.list_rooms(db) == []
