"""Swaps (propose + accept, or a lead) are atomic; hand-over notes and the
timed notices (reminders, hand-over requests) happen once."""

import threading
from datetime import timedelta

import pytest

from warroom import db as dbmod
from warroom import events, rooms, roster
from warroom.roster import handover, swaps

from ..conftest import make_user


@pytest.fixture
def setup(db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    made = roster.create_slots(db, now, room.id, [("Tweep", 2)], hours=4, start=now, span_hours=12)
    people = {n: make_user(db, n, "responder") for n in ("ann", "bob", "cas", "dan")}
    return room, lead, made, people


def _on(db, slot_id):
    return [u.name for u in roster.people_on(db, slot_id)]


def test_propose_and_accept_exchanges_both_shifts(db, now, setup):
    room, lead, (s1, s2, s3), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    roster.sign_up(db, now, p["bob"], s2.id)
    swap = swaps.propose_swap(db, now, p["ann"], s1.id, p["bob"], s2.id)
    assert swap.status == "proposed"
    assert _on(db, s1.id) == ["ann"]          # nothing moves before the other agrees
    with pytest.raises(roster.RosterError) as not_target:
        swaps.accept_swap(db, now, p["cas"], swap.id)
    assert not_target.value.status == 403
    done = swaps.accept_swap(db, now, p["bob"], swap.id)
    assert done.status == "accepted"
    assert (_on(db, s1.id), _on(db, s2.id)) == (["bob"], ["ann"])
    assert [u.name for u in roster.who_is_on(db, room.id, "Tweep", now)] == ["bob"]
    ev = events.timeline(db, room.id)[-1]
    assert ev.kind == "roster.swapped"
    assert ev.data["user"] == "ann" and ev.data["with_user"] == "bob"
    assert (ev.data["slot_id"], ev.data["with_slot_id"]) == (s1.id, s2.id)
    with pytest.raises(roster.RosterError, match="already accepted"):
        swaps.accept_swap(db, now, p["bob"], swap.id)


def test_cover_and_decline(db, now, setup):
    room, lead, (s1, _s2, _s3), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    cover = swaps.propose_swap(db, now, p["ann"], s1.id, p["cas"])
    assert swaps.decline_swap(db, now, p["cas"], cover.id).status == "declined"
    assert _on(db, s1.id) == ["ann"]
    cover = swaps.propose_swap(db, now, p["ann"], s1.id, p["cas"])
    swaps.accept_swap(db, now, p["cas"], cover.id)
    assert _on(db, s1.id) == ["cas"]
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert "roster.swap_declined" in kinds and kinds[-1] == "roster.swapped"


def test_a_stale_swap_changes_nothing(db, now, setup):
    room, lead, (s1, s2, _s3), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    roster.sign_up(db, now, p["bob"], s2.id)
    swap = swaps.propose_swap(db, now, p["ann"], s1.id, p["bob"], s2.id)
    # Meanwhile a lead puts ann on bob's shift too: the exchange would leave
    # ann twice on s2, so it must fail as a whole, not half-done.
    roster.assign(db, now, lead, s2.id, p["ann"])
    before = events.last_id(db)
    with pytest.raises(roster.RosterError, match="already on that shift"):
        swaps.accept_swap(db, now, p["bob"], swap.id)
    assert (_on(db, s1.id), _on(db, s2.id)) == (["ann"], ["bob", "ann"])
    assert swaps.get_swap(db, swap.id).status == "proposed"
    assert events.last_id(db) == before


def test_withdrawing_cancels_open_proposals(db, now, setup):
    room, lead, (s1, s2, _), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    swap = swaps.propose_swap(db, now, p["ann"], s1.id, p["bob"])
    roster.withdraw(db, now, p["ann"], s1.id)
    assert swaps.get_swap(db, swap.id).status == "cancelled"
    assert events.timeline(db, room.id)[-1].data["cancelled_swaps"] == [swap.id]
    with pytest.raises(roster.RosterError, match="cancelled"):
        swaps.accept_swap(db, now, p["bob"], swap.id)
    assert _on(db, s1.id) == []


def test_concurrent_accepts_of_competing_swaps_leave_a_consistent_roster(db, now, setup, settings):
    """ann (s1) and cas (s3) both offer to exchange with bob's s2; bob accepts
    both at once from two connections: exactly one exchange happens."""
    room, lead, (s1, s2, s3), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    roster.sign_up(db, now, p["bob"], s2.id)
    roster.sign_up(db, now, p["cas"], s3.id)
    a = swaps.propose_swap(db, now, p["ann"], s1.id, p["bob"], s2.id)
    c = swaps.propose_swap(db, now, p["cas"], s3.id, p["bob"], s2.id)
    barrier = threading.Barrier(2)
    results = []

    def accept(swap_id):
        conn = dbmod.connect(settings.db_url, busy_timeout_ms=30000)
        try:
            barrier.wait()
            try:
                swaps.accept_swap(conn, now, p["bob"], swap_id)
                results.append("ok")
            except roster.RosterError:
                results.append("refused")
        finally:
            conn.close()

    threads = [threading.Thread(target=accept, args=(i,)) for i in (a.id, c.id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["ok", "refused"]
    everyone = _on(db, s1.id) + _on(db, s2.id) + _on(db, s3.id)
    assert sorted(everyone) == ["ann", "bob", "cas"]   # nobody lost, nobody doubled
    assert len(_on(db, s2.id)) == 1 and _on(db, s2.id) != ["bob"]


def test_lead_swaps_without_asking(db, now, setup):
    room, lead, (s1, s2, _), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    roster.sign_up(db, now, p["bob"], s2.id)
    with pytest.raises(roster.RosterError) as forbidden:
        swaps.lead_swap(db, now, p["cas"], s1.id, p["ann"], p["bob"], s2.id)
    assert forbidden.value.status == 403
    swaps.lead_swap(db, now, lead, s1.id, p["ann"], p["bob"], s2.id)
    assert (_on(db, s1.id), _on(db, s2.id)) == (["bob"], ["ann"])
    ev = events.timeline(db, room.id)[-1]
    assert (ev.kind, ev.actor, ev.data["by"]) == ("roster.swapped", "lena", "lena")


def test_handover_note_reaches_the_incoming_shift_first(db, now, setup):
    room, lead, (s1, s2, _), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    roster.sign_up(db, now, p["bob"], s2.id)
    with pytest.raises(roster.RosterError):
        handover.write_note(db, now, p["cas"], s1.id, "not mine")      # not on the shift
    with pytest.raises(roster.RosterError, match="write a note"):
        handover.write_note(db, now, p["ann"], s1.id, "  ")
    later = now + timedelta(hours=3, minutes=50)
    note = handover.write_note(db, later, p["ann"], s1.id, "Queue is long",
                               open_items=["DM from @pia about KL1234"],
                               promises="Call back @jo before 14:00\n\n")
    assert note.for_slot_id == s2.id and note.promises == ("Call back @jo before 14:00",)
    mine = handover.notes_for_user(db, room.id, p["bob"], later)
    assert [n.id for n in mine] == [note.id]
    assert handover.notes_for_user(db, room.id, p["ann"], later) == []
    ev = events.timeline(db, room.id)[-1]
    assert ev.kind == "roster.handover_note"
    assert ev.data["open_items"] == ["DM from @pia about KL1234"] and ev.data["for_slot_id"] == s2.id


def test_reminders_and_handover_requests_are_sent_once(db, now, setup, settings):
    room, lead, (s1, s2, s3), p = setup
    roster.sign_up(db, now, p["ann"], s1.id)
    roster.sign_up(db, now, p["bob"], s2.id)
    roster.sign_up(db, now, p["ann"], s3.id)
    early = now + timedelta(hours=3, minutes=44)           # 16 min before s2 starts
    assert handover.tick(db, early) == {"reminders": 0, "handovers": 0}
    due = now + timedelta(hours=3, minutes=50)             # 10 min before
    assert handover.tick(db, due) == {"reminders": 1, "handovers": 1}
    # a restarted process (new connection) does not repeat them
    again = dbmod.connect(settings.db_url)
    try:
        assert handover.tick(again, due + timedelta(minutes=1)) == {"reminders": 0, "handovers": 0}
    finally:
        again.close()
    got = {e.kind: e.data for e in events.timeline(db, room.id)
           if e.kind in ("roster.shift_reminder", "roster.handover_requested")}
    assert got["roster.shift_reminder"] == {"user": "bob", "slot_id": s2.id, "role": "Tweep",
                                            "starts_at": s2.starts_at}
    assert got["roster.handover_requested"]["user"] == "ann"
    assert got["roster.handover_requested"]["incoming"] == ["bob"]
    # bob writes his note before his shift ends: no request for him
    handover.write_note(db, now + timedelta(hours=7), p["bob"], s2.id, "all calm")
    out = handover.tick(db, now + timedelta(hours=7, minutes=55))
    assert out == {"reminders": 1, "handovers": 0}   # ann's reminder for s3 only
