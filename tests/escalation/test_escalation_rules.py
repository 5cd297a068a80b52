"""Escalation and paging rules at their edges (each one found missing by a
planted bug in bench/mutants.py). The clock is fixed; the tick's parts are
called directly."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import make_user
from warroom import accounts, escalation, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.escalation import Policy, PolicyStep, paging
from warroom.escalation.policy import cycle_length, following

CFG = paging.PagingConfig(max_tries=3, backoff_seconds=30, throttle_per_15min=3, stale_seconds=60)


def _room_with_policy(db, now, policy: Policy, title="Ash cloud"):
    owner = accounts.find_user(db, "owner") or make_user(db, "owner", "lead", now)
    room = rooms.open_room(db, now, owner, title)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    with transaction(db):
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
    return room, esc


THREE = Policy((PolicyStep(0, ("user:ann",)), PolicyStep(5, ("user:bob",)), PolicyStep(15, ("user:cas",))),
               1, "t")


def test_a_new_cycle_starts_one_last_gap_after_the_last_step(db, now):
    # the last gap is between the last two steps (15 - 5), not from the first step
    assert cycle_length(THREE) == timedelta(minutes=25)
    assert following(THREE, 0, 2, now) == (1, 0, now + timedelta(minutes=25), now + timedelta(minutes=25))
    for name in ("ann", "bob", "cas"):
        make_user(db, name, "responder", now)
    _room_with_policy(db, now, THREE)
    issued = [len(escalation.issue_due_steps(db, now + timedelta(minutes=m))) for m in (0, 5, 15, 24)]
    assert issued == [1, 1, 1, 0]
    assert len(escalation.issue_due_steps(db, now + timedelta(minutes=25))) == 1
    rcpts = [r[0] for r in db.execute("SELECT recipient FROM pages ORDER BY id")]
    assert rcpts == ["user:ann", "user:bob", "user:cas", "user:ann"]


def _claimed(db, now):
    """One page to ann, claimed by "old" (which then died or stalled)."""
    make_user(db, "ann", "responder", now)
    _room_with_policy(db, now, Policy((PolicyStep(0, ("user:ann",)),), 0, "t"))
    escalation.issue_due_steps(db, now)
    [page_id] = paging.claim_due(db, now, "host:1:old", CFG)
    return page_id


def _take_over(db, page_id, token="host:2:new"):
    """What recover_stale's first step does when it wins a stale claim."""
    with transaction(db):
        db.execute("UPDATE pages SET claim_token = ? WHERE id = ?", [token, page_id])


def _claimed_then_taken_over(db, now):
    page_id = _claimed(db, now)
    _take_over(db, page_id)
    return page_id


def test_a_claimer_whose_claim_was_taken_over_cannot_record_it_sent(db, now):
    page_id = _claimed_then_taken_over(db, now)
    assert paging.record_sent(db, now, page_id, "host:1:old", "log", None, None) is False
    assert db.execute("SELECT state, claim_token FROM pages WHERE id = ?", [page_id]).fetchone() == (
        "sending", "host:2:new")
    assert paging.record_sent(db, now, page_id, "host:2:new", "log", None, None) is True


def test_a_claimer_whose_claim_was_taken_over_cannot_record_a_failure(db, now):
    page_id = _claimed_then_taken_over(db, now)
    assert paging.record_failure(db, now, page_id, "host:1:old", "boom", CFG) == "lost"
    assert db.execute("SELECT state, claim_token FROM pages WHERE id = ?", [page_id]).fetchone() == (
        "sending", "host:2:new")


def test_two_recoverers_never_both_take_over_one_stale_claim(db, now):
    page_id = _claimed(db, now)
    late = paging.TickResult()

    def dead_but_overtaken(token, stale):
        # "late" has read the row with the dead claimer's token; before its own
        # take-over, recoverer "new" wins the same claim
        _take_over(db, page_id)
        return False

    paging.recover_stale(db, now, "host:3:late", paging.LogSender(), CFG, None, late, alive=dead_but_overtaken)
    assert late.recovered == [] and late.sent == []
    assert db.execute("SELECT state, claim_token FROM pages WHERE id = ?", [page_id]).fetchone() == (
        "sending", "host:2:new")


def test_a_permanent_send_error_fails_the_page_at_the_first_try(db, now):
    page_id = _claimed(db, now)
    assert paging.record_failure(db, now, page_id, "host:1:old", "channel_not_found", CFG,
                                 permanent=True) == "failed"
    assert db.execute("SELECT state, attempts FROM pages WHERE id = ?", [page_id]).fetchone() == ("failed", 1)


def test_as_many_pending_pages_as_free_messages_all_go_out_alone():
    assert paging.plan_throttle([1, 2], 1, 3) == ([1, 2], None, [], [])
    assert paging.plan_throttle([1, 2, 3], 1, 3) == ([1], 2, [3], [])


def test_a_message_claimed_exactly_fifteen_minutes_ago_has_left_the_throttle_window(db, now):
    make_user(db, "bob", "responder", now)
    to_bob = Policy((PolicyStep(0, ("user:bob",)),), 0, "t")
    for i in range(3):
        _room_with_policy(db, now, to_bob, f"Room {i}")
    escalation.issue_due_steps(db, now)
    assert len(paging.claim_due(db, now, "host:1:a", CFG)) == 3  # bob's 3 messages this window
    later = now + paging.THROTTLE_WINDOW
    _room_with_policy(db, later, to_bob, "Room 3")
    escalation.issue_due_steps(db, later)
    assert len(paging.claim_due(db, later, "host:1:a", CFG)) == 1  # not held


def test_a_page_that_went_out_inside_a_bundle_is_not_a_message_of_its_own(db, now):
    make_user(db, "bob", "responder", now)
    to_bob = Policy((PolicyStep(0, ("user:bob",)),), 0, "t")
    for i in range(3):
        _room_with_policy(db, now, to_bob, f"Room {i}")
    escalation.issue_due_steps(db, now)
    alone, carrier, member = (r[0] for r in db.execute("SELECT id FROM pages ORDER BY id"))
    with transaction(db):
        # two messages to bob: one alone and one carrying the third page, which
        # had been tried once on its own before (so it has a claimed_at too)
        db.execute("UPDATE pages SET state = 'sent', claimed_at = ?, sent_at = ? WHERE id IN (?, ?)",
                   [iso(now), iso(now), alone, carrier])
        db.execute("UPDATE pages SET state = 'sent', claimed_at = ?, sent_at = ?, bundled_into = ?"
                   " WHERE id = ?", [iso(now), iso(now), carrier, member])
    later = now + timedelta(minutes=1)
    _room_with_policy(db, later, to_bob, "Room 3")
    escalation.issue_due_steps(db, later)
    assert len(paging.claim_due(db, later, "host:1:a", CFG)) == 1  # the third message: not held
