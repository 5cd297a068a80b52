from datetime import timedelta

from warroom import rooms, roster

from ..conftest import make_user


def test_slots_cover_the_span_and_are_not_duplicated(db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    made = roster.create_slots(db, now + timedelta(minutes=20), room.id, [("Tweep", 4), ("Rebooker", 4)],
                               hours=4, start=now + timedelta(minutes=20))
    assert len(made) == 12  # 6 shifts x 2 roles
    assert made[0].starts_at == "2026-03-29T09:00:00.000Z"
    assert {s.capacity for s in made} == {4}
    again = roster.create_slots(db, now, room.id, [("Tweep", 4)], hours=4, start=now)
    assert again == []
    assert len(roster.slots(db, room.id)) == 12
