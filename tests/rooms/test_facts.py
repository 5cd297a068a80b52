"""The fact sheet: versioned, leads only, and changes list replies citing old text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom import events, responses, rooms
from warroom.rooms import facts
from warroom.rooms.facts import FactError

from ..conftest import make_user, rev


@pytest.fixture
def setup(db, now):
    lead = make_user(db, "lead", "lead")
    vol = make_user(db, "vol", "responder")
    appr = make_user(db, "appr", "approver")
    room = rooms.open_room(db, now, lead, "Recall")
    return lead, vol, appr, room


def publish(db, now, vol, appr, room, text, fact_ids):
    draft = responses.save_draft(db, now, vol, room.id, text, fact_ids=fact_ids)
    responses.submit(db, now, vol, draft.id)
    responses.approve(db, now, appr, draft.id, rev(db, draft.id))
    return responses.publish(db, now, vol, draft.id)


def test_leads_keep_versioned_facts(db, now, setup):
    lead, vol, _appr, room = setup
    with pytest.raises(FactError) as err:
        facts.update_fact(db, now, vol, room.id, "Batch 42 is affected.")
    assert err.value.field == "user"
    fact, cited = facts.update_fact(db, now, lead, room.id, "Batch 42 is affected.")
    assert (fact.version, fact.kind, cited) == (1, "fact", [])
    later = now + timedelta(minutes=5)
    fact2, _ = facts.update_fact(db, later, lead, room.id, "Batches 42 and 43 are affected.",
                                 fact_id=fact.id)
    assert fact2.id == fact.id and fact2.version == 2
    assert [v["text"] for v in facts.versions(db, fact.id)] == [
        "Batch 42 is affected.", "Batches 42 and 43 are affected."]
    with pytest.raises(FactError, match="unchanged"):
        facts.update_fact(db, later, lead, room.id, "Batches 42 and 43 are affected.", fact_id=fact.id)
    with pytest.raises(FactError) as empty:
        facts.update_fact(db, later, lead, room.id, "   ")
    assert empty.value.field == "text"
    updated = [e for e in events.timeline(db, room.id) if e.kind == "facts.updated"]
    assert [e.data["version"] for e in updated] == [1, 2]
    assert updated[1].data["previous"] == "Batch 42 is affected."


def test_one_holding_statement_per_room_listed_first(db, now, setup):
    lead, _vol, _appr, room = setup
    facts.update_fact(db, now, lead, room.id, "Refunds at any store.")
    h1, _ = facts.update_fact(db, now, lead, room.id, "We are recalling batch 42.", kind="holding")
    h2, _ = facts.update_fact(db, now, lead, room.id, "We are recalling batches 42-43.", kind="holding")
    assert h1.id == h2.id and h2.version == 2
    sheet = facts.room_facts(db, room.id)
    assert [f.kind for f in sheet] == ["holding", "fact"]
    assert sheet[0].text == "We are recalling batches 42-43."
    with pytest.raises(FactError):
        facts.update_fact(db, now, lead, room.id, "x", kind="rumour")


def test_changing_a_fact_lists_replies_that_cited_the_old_text(db, now, setup):
    lead, vol, appr, room = setup
    fact, _ = facts.update_fact(db, now, lead, room.id, "Flights resume at 18:00.")
    other, _ = facts.update_fact(db, now, lead, room.id, "Hotels are paid by us.")
    text = "Sorry for the wait. Flights resume at 18:00; I'll update you by 17:00."
    r1 = publish(db, now, vol, appr, room, text, [fact.id])
    r2 = publish(db, now, vol, appr, room, "Sorry! Hotels are paid by us; DM us your booking by 5pm.",
                 [other.id])
    new, cited = facts.update_fact(db, now, lead, room.id, "Flights resume at 21:00.", fact_id=fact.id)
    assert [c.response_id for c in cited] == [r1.id]
    assert cited[0].old_text == "Flights resume at 18:00." and cited[0].version == 1
    event = events.timeline(db, room.id)[-1]
    assert event.kind == "facts.updated" and event.data["cited_by"] == [r1.id]
    # a reply published after the change cites the new version and is not listed again
    r3 = publish(db, now, vol, appr, room, "Sorry. Flights resume at 21:00; next update 20:00.", [fact.id])
    assert db.execute("SELECT version FROM response_facts WHERE response_id = ?",
                      [r3.id]).fetchone()[0] == 2
    _, cited_again = facts.update_fact(db, now, lead, room.id, "Flights resume at 22:00.", fact_id=fact.id)
    assert sorted(c.response_id for c in cited_again) == [r1.id, r3.id]
    assert r2.id not in [c.response_id for c in cited_again]
    assert new.version == 2


def test_retire_a_fact(db, now, setup):
    lead, _vol, _appr, room = setup
    fact, _ = facts.update_fact(db, now, lead, room.id, "Store X is closed.")
    retired, _ = facts.update_fact(db, now, lead, room.id, "", fact_id=fact.id, retire=True)
    assert retired.retired and retired.version == 2
    assert facts.room_facts(db, room.id) == []
    assert len(facts.room_facts(db, room.id, include_retired=True)) == 1
    with pytest.raises(FactError) as err:
        facts.update_fact(db, now, lead, room.id, "x", fact_id=fact.id + 100)
    assert err.value.field == "fact_id"


def test_fact_keys_are_unique_per_room_and_feed_templates(db, now):
    lead = make_user(db, "kim", "lead")
    room = rooms.open_room(db, now, lead, "Keys")
    url, _ = facts.update_fact(db, now, lead, room.id, "https://x.example/rebook", key="rebooking_url")
    with pytest.raises(FactError) as clash:
        facts.update_fact(db, now, lead, room.id, "another", key="rebooking_url")
    assert clash.value.field == "key" and "already has the key" in str(clash.value)
    with pytest.raises(FactError) as bad:
        facts.update_fact(db, now, lead, room.id, "x", key="Rebooking URL")
    assert bad.value.field == "key"
    assert facts.fact_values(db, room.id) == {"rebooking_url": "https://x.example/rebook"}
    facts.update_fact(db, now, lead, room.id, "", fact_id=url.id, retire=True)
    assert facts.fact_values(db, room.id) == {}
