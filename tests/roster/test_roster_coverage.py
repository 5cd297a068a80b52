"""Coverage (on now, next, gaps), extension by leads, and the daylight-saving
changes in Europe/Amsterdam (last Sunday of March and of October 2026)."""

from datetime import UTC, datetime, timedelta

import pytest

from warroom import events, playbooks, rooms, roster
from warroom.roster import coverage

from ..conftest import make_user

AMS = "Europe/Amsterdam"


def _names(db, room, at, role="Tweep"):
    return [u.name for u in roster.who_is_on(db, room.id, role, at)]


def test_coverage_now_next_and_gaps(db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Storm")
    # Tweep shifts 09-13, 13-17 (then nothing); Lead 09-13 only.
    t1, t2 = roster.create_slots(db, now, room.id, [("Tweep", 2)], 4, now, span_hours=8)
    (l1,) = roster.create_slots(db, now, room.id, [("Lead", 1)], 4, now, span_hours=4)
    ann, bob = make_user(db, "ann", "responder"), make_user(db, "bob", "responder")
    roster.sign_up(db, now, ann, t1.id)
    roster.sign_up(db, now, bob, t1.id)
    roster.sign_up(db, now, ann, t2.id)
    roster.assign(db, now, lead, l1.id, lead)
    at = now + timedelta(hours=1)
    cov = {c.role: c for c in coverage.coverage(db, room.id, at)}
    tweep = cov["Tweep"]
    assert tweep.on_now == ("ann", "bob") and tweep.now_slot.id == t1.id
    assert tweep.next_slot.id == t2.id and tweep.next_people == ("ann",)
    assert [(g.starts_at, g.ends_at, g.missing) for g in tweep.gaps] == [
        ("2026-03-29T13:00:00.000Z", "2026-03-29T17:00:00.000Z", 1),     # t2 one short
        ("2026-03-29T17:00:00.000Z", "2026-03-30T10:00:00.000Z", None),  # no shifts at all
    ]
    lead_cov = cov["Lead"]
    assert lead_cov.on_now == ("lena",) and lead_cov.next_slot is None
    assert [(g.starts_at, g.missing) for g in lead_cov.gaps] == [("2026-03-29T13:00:00.000Z", None)]
    # for display, back-to-back gaps of one kind merge into runs
    runs = coverage.gap_runs([
        coverage.Gap("T", "a", "b", 1), coverage.Gap("T", "b", "c", 3), coverage.Gap("T", "c", "d", None),
        coverage.Gap("T", "d", "e", None), coverage.Gap("T", "f", "g", 2)])
    assert [(r.starts_at, r.ends_at, r.least, r.most) for r in runs] == [
        ("a", "c", 1, 3), ("c", "e", None, None), ("f", "g", 2, 2)]


def test_lead_extends_the_roster(db, now):
    lead = make_user(db, "lena", "lead")
    ann = make_user(db, "ann", "responder")
    room = rooms.open_room(db, now, lead, "Storm")
    with pytest.raises(roster.RosterError, match="no playbook and no shifts"):
        coverage.extend(db, now, lead, room.id, 2)
    roster.create_slots(db, now, room.id, [("Tweep", 3), ("Lead", 1)], 4, now, span_hours=8)
    with pytest.raises(roster.RosterError) as forbidden:
        coverage.extend(db, now, ann, room.id, 2)
    assert forbidden.value.status == 403
    with pytest.raises(roster.RosterError) as bad:
        coverage.extend(db, now, lead, room.id, 0)
    assert bad.value.field == "shifts"
    made = coverage.extend(db, now, lead, room.id, 3)
    assert len(made) == 6
    assert min(s.starts_at for s in made) == "2026-03-29T17:00:00.000Z"
    assert max(s.ends_at for s in made) == "2026-03-30T05:00:00.000Z"
    assert {(s.role, s.capacity) for s in made} == {("Tweep", 3), ("Lead", 1)}
    ev = events.timeline(db, room.id)[-1]
    assert (ev.kind, ev.actor, ev.data["slots"]) == ("roster.slots_created", "lena", 6)


SHIPPED = """+++
id = "t"
version = 1
title = "T"
based_on = "test"
keywords = ["x"]
[[roles]]
name = "Lead"
count = 1
[[roles]]
name = "Tweep"
count = 2
[shifts]
hours = 6
volunteers = false
[[escalation]]
after_minutes = 0
notify = ["role:Lead"]
[rules]
first_response_minutes = 60
approval = "lead"
banned_phrases = []
+++
# T
"""


def test_playbook_rules_extension_and_assignment_only(db, now):
    lead = make_user(db, "lena", "lead")
    ann = make_user(db, "ann", "responder")
    book = playbooks.parse(SHIPPED)
    room = rooms.open_room(db, now, lead, "Storm", playbook=book)
    first = roster.slots(db, room.id)
    assert len(first) == 8  # 4 six-hour shifts x 2 roles
    tweep = next(s for s in first if s.role == "Tweep")
    with pytest.raises(roster.RosterError, match="lead assigns"):
        roster.sign_up(db, now, ann, tweep.id)
    roster.assign(db, now, lead, tweep.id, ann)
    assert [u.name for u in roster.who_is_on(db, room.id, "tweep", now)] == ["ann"]
    made = coverage.extend(db, now, lead, room.id, 1)
    assert {(s.role, s.capacity, s.starts_at) for s in made} == {
        ("Lead", 1, "2026-03-30T09:00:00.000Z"), ("Tweep", 2, "2026-03-30T09:00:00.000Z")}


def test_who_is_on_and_local_display_across_march_dst_change(db):
    # 2026-03-29 01:00Z: Amsterdam jumps from 02:00 CET to 03:00 CEST.
    start = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    lead = make_user(db, "lena", "lead", now=start)
    night, dawn = make_user(db, "nina", "responder"), make_user(db, "dora", "responder")
    room = rooms.open_room(db, start, lead, "Night")
    s1, s2, s3 = roster.create_slots(db, start, room.id, [("Tweep", 1)], 2, start, span_hours=6)
    # 21-23Z, 23-01Z, 01-03Z: the DST jump falls exactly on the s2/s3 boundary
    roster.sign_up(db, start, night, s2.id)
    roster.sign_up(db, start, dawn, s3.id)
    switch = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert _names(db, room, switch - timedelta(microseconds=1000)) == ["nina"]
    assert _names(db, room, switch) == ["dora"]
    assert _names(db, room, switch + timedelta(hours=1, minutes=59)) == ["dora"]
    assert _names(db, room, switch + timedelta(hours=2)) == []
    # shown in Amsterdam time: s2 is 00:00-02:00 CET, s3 is 03:00-05:00 CEST (2 h long)
    assert coverage.local_text(s2.starts_at, AMS) == "Sun 29 Mar 00:00 CET"
    assert coverage.local_text(s2.ends_at, AMS) == "Sun 29 Mar 03:00 CEST"
    assert coverage.local_text(s3.starts_at, AMS) == "Sun 29 Mar 03:00 CEST"
    assert coverage.local_text(s3.ends_at, AMS) == "Sun 29 Mar 05:00 CEST"
    assert coverage.span_text(s2.starts_at, s2.ends_at, AMS) == "Sun 00:00 CET–03:00 CEST"
    assert coverage.span_text(s3.starts_at, s3.ends_at, AMS) == "Sun 03:00–05:00 CEST"
    assert coverage.span_text(s1.starts_at, s1.ends_at, AMS) == "Sat 22:00–Sun 00:00 CET"
    cov = coverage.coverage(db, room.id, switch - timedelta(minutes=30))[0]
    assert cov.on_now == ("nina",)
    assert coverage.local_text(cov.now_slot.ends_at, AMS) == "Sun 29 Mar 03:00 CEST"
    assert cov.next_people == ("dora",)


def test_who_is_on_and_local_display_across_october_dst_change(db):
    # 2026-10-25 01:00Z: Amsterdam falls back from 03:00 CEST to 02:00 CET,
    # so 02:00-03:00 local happens twice. UTC storage keeps them apart.
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    lead = make_user(db, "lena", "lead", now=start)
    first, second = make_user(db, "fred", "responder"), make_user(db, "sam", "responder")
    room = rooms.open_room(db, start, lead, "Night")
    s1, s2 = roster.create_slots(db, start, room.id, [("Tweep", 1)], 1, start, span_hours=2)
    roster.sign_up(db, start, first, s1.id)
    roster.sign_up(db, start, second, s2.id)
    assert (coverage.local_text(s1.starts_at, AMS), coverage.local_text(s1.ends_at, AMS)) == (
        "Sun 25 Oct 02:00 CEST", "Sun 25 Oct 02:00 CET")
    assert (coverage.local_text(s2.starts_at, AMS), coverage.local_text(s2.ends_at, AMS)) == (
        "Sun 25 Oct 02:00 CET", "Sun 25 Oct 03:00 CET")
    # 02:30 local, the first time (00:30Z) and the second time (01:30Z)
    assert _names(db, room, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == ["fred"]
    assert _names(db, room, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == ["sam"]
    assert _names(db, room, datetime(2026, 10, 25, 1, 0, tzinfo=UTC)) == ["sam"]
    assert _names(db, room, datetime(2026, 10, 25, 2, 0, tzinfo=UTC)) == []
