"""Escalation domain: opening, updating, steps climbing on a fixed clock, acks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_user
from warroom import escalation, events, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.escalation import ON_CALL_POLICY, Policy, PolicyStep


def _room(db, now, status="open"):
    owner = make_user(db, "owner", "lead", now)
    return rooms.open_room(db, now, owner, "Ash cloud", status=status)


def _set_policy(db, esc_id, policy: Policy):
    with transaction(db):
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc_id])


def test_open_escalation_opens_once_and_updates_on_second_alarm(db, now):
    room = _room(db, now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {"score": 9.1}, None)
    assert esc.state == "open" and esc.alarms == 1
    assert esc.next_at is not None and esc.policy == ON_CALL_POLICY  # no playbook: on-call
    again = escalation.open_escalation(db, now + timedelta(minutes=1), room.id, "spike", {"score": 12}, None)
    assert again.id == esc.id and again.alarms == 2 and again.detail == {"score": 12}
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert kinds.count("escalation.opened") == 1 and kinds.count("escalation.updated") == 1


def test_open_escalation_joins_the_callers_transaction(db, now):
    room = _room(db, now)
    with pytest.raises(RuntimeError):
        with transaction(db):
            escalation.open_escalation(db, now, room.id, "spike", {}, None)
            raise RuntimeError("the spike's transaction fails")
    assert escalation.open_for_room(db, room.id) is None  # rolled back with the caller


def test_open_escalation_refuses_unknown_room(db, now):
    with pytest.raises(rooms.RoomError) as err:
        escalation.open_escalation(db, now, 999, "spike", {}, None)
    assert err.value.field == "room"


def test_steps_climb_at_the_right_time_and_repeat(db, now):
    room = _room(db, now)
    make_user(db, "ann", "responder", now)
    make_user(db, "bob", "responder", now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    _set_policy(db, esc.id, Policy((PolicyStep(0, ("user:ann",)), PolicyStep(10, ("user:bob",))), 1, "t"))
    first = escalation.issue_due_steps(db, now)
    assert len(first) == 1
    assert escalation.issue_due_steps(db, now + timedelta(minutes=9, seconds=59)) == []
    second = escalation.issue_due_steps(db, now + timedelta(minutes=10))
    rcpts = [r[0] for r in db.execute("SELECT recipient FROM pages ORDER BY id")]
    assert len(second) == 1 and rcpts == ["user:ann", "user:bob"]
    # one repeat: the next cycle starts one last gap (10 min) after the last step
    assert escalation.issue_due_steps(db, now + timedelta(minutes=19)) == []
    assert len(escalation.issue_due_steps(db, now + timedelta(minutes=20))) == 1
    assert len(escalation.issue_due_steps(db, now + timedelta(minutes=30))) == 1
    assert escalation.issue_due_steps(db, now + timedelta(hours=5)) == []  # repeat used up
    assert escalation.get(db, esc.id).next_at is None


def test_acknowledge_stops_the_climb(db, now):
    room = _room(db, now)
    ann = make_user(db, "ann", "responder", now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    _set_policy(db, esc.id, Policy((PolicyStep(0, ("user:ann",)), PolicyStep(10, ("user:ann",))), 0, "t"))
    escalation.issue_due_steps(db, now)
    acked = escalation.acknowledge(db, now + timedelta(minutes=3), esc.id, ann)
    assert acked.state == "acknowledged" and acked.acked_by == "ann"
    assert escalation.issue_due_steps(db, now + timedelta(minutes=30)) == []
    states = [r[0] for r in db.execute("SELECT state FROM pages")]
    assert states == ["cancelled"]  # the due page was not sent: cancelled
    ev = [e for e in events.timeline(db, room.id) if e.kind == "escalation.acknowledged"][0]
    assert ev.data["seconds_to_ack"] == 180 and ev.data["by"] == "ann"
    with pytest.raises(escalation.EscalationError):
        escalation.acknowledge(db, now, esc.id, ann)
    # a new alarm after the ack opens a new escalation
    assert escalation.open_escalation(db, now, room.id, "spike", {}, None).id != esc.id


def test_nobody_to_page_fails_and_climbs_at_once(db, now):
    room = _room(db, now)
    make_user(db, "bob", "responder", now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    _set_policy(db, esc.id, Policy((PolicyStep(0, ("role:Nobody",)), PolicyStep(10, ("user:bob",))), 0, "t"))
    assert escalation.issue_due_steps(db, now) == []
    assert escalation.get(db, esc.id).next_at == iso(now)
    assert len(escalation.issue_due_steps(db, now)) == 1
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert "page.failed" in kinds


def test_manual_page_needs_lead_and_climbs_an_open_escalation(db, now):
    room = _room(db, now)
    lead = make_user(db, "lea", "lead", now)
    resp = make_user(db, "rob", "responder", now)
    with pytest.raises(escalation.EscalationError):
        escalation.manual_page(db, now, room.id, resp)
    esc = escalation.manual_page(db, now, room.id, lead, "call everyone")
    assert esc.reason == "manual" and esc.opened_by == "lea"
    _set_policy(db, esc.id, Policy((PolicyStep(0, ("user:rob",)), PolicyStep(30, ("user:lea",))), 0, "t"))
    escalation.issue_due_steps(db, now)
    escalation.manual_page(db, now + timedelta(minutes=1), room.id, lead)
    assert len(escalation.issue_due_steps(db, now + timedelta(minutes=1))) == 1  # step 2 came early


def test_policy_comes_from_the_playbook_snapshot_or_the_on_call_rotation(db, now):
    from tests.conftest import ROOT
    from warroom import playbooks

    pb = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    owner = make_user(db, "owner", "lead", now)
    carol = make_user(db, "carol", "responder", now, slack_id="U0CAROL")
    room = rooms.open_room(db, now, owner, "Ash cloud", playbook=pb)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    assert [s.notify for s in esc.policy.steps] == [s.notify for s in pb.escalation]
    assert esc.policy.repeat == pb.escalation_repeat

    watch = rooms.open_room(db, now, owner, "Watching", status="monitoring", playbook=pb)
    esc2 = escalation.open_escalation(db, now, watch.id, "spike", {}, None)
    assert esc2.policy == ON_CALL_POLICY  # a monitoring room pages the on-call rotation
    escalation.issue_due_steps(db, now, on_call=lambda _db, _now: carol)
    rows = db.execute("SELECT recipient, slack_dest, target FROM pages WHERE escalation_id = ?", [esc2.id]).fetchall()
    assert rows == [("user:carol", "U0CAROL", "on-call")]
    # the same tick issued Ash cloud's step 1: nobody signed up as Lead, so
    # role:Lead fell back to the on-call person
    rows = db.execute("SELECT recipient, target FROM pages WHERE escalation_id = ?", [esc.id]).fetchall()
    assert rows == [("user:carol", "role:Lead")]


def test_closing_the_room_stops_the_climb(db, now):
    room = _room(db, now)
    owner = rooms.get_room(db, room.id).owner_id
    make_user(db, "ann", "responder", now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    _set_policy(db, esc.id, Policy((PolicyStep(0, ("user:ann",)), PolicyStep(10, ("user:ann",))), 0, "t"))
    escalation.issue_due_steps(db, now)
    from warroom.accounts import get_user

    rooms.close_room(db, now, get_user(db, owner), room.id)
    assert escalation.issue_due_steps(db, now + timedelta(minutes=10)) == []
    assert escalation.get(db, esc.id).state == "exhausted"
    assert [r[0] for r in db.execute("SELECT state FROM pages")] == ["cancelled"]
    assert "escalation.stopped" in [e.kind for e in events.timeline(db, room.id)]
