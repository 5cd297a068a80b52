"""Issue 19 defects 3, 4 and 6: the Lead slot only for someone who may lead,
Approve only for who may approve in this room, and a double-booked sign-up
answered on the room page in words, not a bare 409 with raw ids."""

from __future__ import annotations

import re

import pytest

from warroom import accounts, rooms, roster
from warroom.clock import iso, utcnow
from warroom.playbooks import store as playbook_store

from ..conftest import ROOT, csrf_from, login_client, make_user


@pytest.fixture
def world(app, db):
    now = utcnow()
    lead = make_user(db, "lena", "lead")
    make_user(db, "ann", "responder")
    make_user(db, "abe", "approver")
    playbook_store.import_files(db, now, [ROOT / "playbooks" / "mass-disruption.md"], actor="test")
    room = rooms.open_room(db, now, lead, "Ash cloud", playbook=playbook_store.latest_playbook(db, "mass-disruption"))
    return room


def _slot(db, room_id, role, later=0):
    slots = [s for s in roster.slots(db, room_id) if s.role == role and s.ends_at > iso(utcnow())]
    return slots[later]


def test_a_responder_cannot_take_the_lead_slot(app, db, world):
    ann = accounts.find_user(db, "ann")
    lead_slot = _slot(db, world.id, "Lead")
    with pytest.raises(roster.RosterError) as err:
        roster.sign_up(db, utcnow(), ann, lead_slot.id)
    assert err.value.status == 403 and "lead" in str(err.value).lower()
    # a lead may; and a lead cannot assign a responder to it either
    lena = accounts.find_user(db, "lena")
    with pytest.raises(roster.RosterError):
        roster.assign(db, utcnow(), lena, lead_slot.id, ann)
    roster.sign_up(db, utcnow(), lena, lead_slot.id)
    # the panel offers a responder no Sign up in the Lead column
    c = app.test_client()
    login_client(c, "ann")
    html = c.get(f"/rooms/{world.id}").get_data(as_text=True)
    other = _slot(db, world.id, "Lead", later=1)
    cell = re.search(rf'data-slot-id="{other.id}">(.*?)</td>', html, re.S).group(1)
    assert "Sign up" not in cell


def test_approve_is_offered_only_to_who_may_approve_here(app, db, world):
    c = app.test_client()
    login_client(c, "abe")
    me = c.get(f"/api/v1/rooms/{world.id}/board").json["me"]
    assert me["can_approve"] is False  # approval = "lead" in mass-disruption
    c2 = app.test_client()
    login_client(c2, "lena")
    assert c2.get(f"/api/v1/rooms/{world.id}/board").json["me"]["can_approve"] is True


def test_a_double_booking_comes_back_to_the_room_in_words(app, db, world):
    c = app.test_client()
    login_client(c, "ann")
    page = c.get(f"/rooms/{world.id}").get_data(as_text=True)
    token = csrf_from(page)
    tweep = _slot(db, world.id, "Tweep")
    fb = next(s for s in roster.slots(db, world.id)
              if s.role == "Facebooker" and s.starts_at == tweep.starts_at)
    ok = c.post(f"/rooms/{world.id}/roster/signup", data={"slot_id": tweep.id, "csrf_token": token})
    assert ok.status_code == 303
    clash = c.post(f"/rooms/{world.id}/roster/signup", data={"slot_id": fb.id, "csrf_token": token})
    assert clash.status_code == 303, clash.get_data(as_text=True)
    assert clash.headers["Location"].endswith(f"/rooms/{world.id}#roster")
    html = c.get(clash.headers["Location"]).get_data(as_text=True)
    note = re.search(r'class="[^"]*roster-error[^"]*"[^>]*>(.*?)</p>', html, re.S)
    assert note, "no roster message on the room page"
    text = note.group(1)
    assert "already on Tweep" in text and "slot_id" not in text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no raw ISO
