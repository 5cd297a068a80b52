"""The response workflow on a real SQLite file with a fixed clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from warroom import db as dbmod
from warroom import escalation, events, playbooks, responses, rooms
from warroom.clock import iso
from warroom.responses import ResponseError
from warroom.rooms import facts

from ..conftest import DEFENSIVE, GOOD, ROOT, add_mention, make_user, rev


def kinds(db, room_id):
    return [e.kind for e in events.timeline(db, room_id)]


def test_happy_path_states_and_events(db, now, people, room):
    mid = add_mention(db, room.id, now)
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD, mention_id=mid)
    assert draft.status == "draft"
    # saving on an unclaimed mention claims it
    assert [c.user_name for c in responses.room_claims(db, room.id)] == ["vol"]
    assert responses.submit(db, now, people["vol"], draft.id).status == "submitted"
    approved = responses.approve(db, now + timedelta(minutes=1), people["appr"], draft.id, rev(db, draft.id))
    assert approved.status == "approved" and approved.decided_by == "appr"
    published = responses.publish(db, now + timedelta(minutes=2), people["vol"], draft.id)
    assert published.text == GOOD and published.published_by == "vol"
    assert published.approved_by == "appr"
    assert published.clock_seconds == 120.0
    assert responses.get_draft(db, draft.id).status == "published"
    assert kinds(db, room.id)[-5:] == [
        "mention.claimed", "draft.saved", "draft.submitted", "draft.approved", "response.published"]
    event = events.timeline(db, room.id)[-1]
    assert event.data["mention_id"] == mid and event.data["breached"] is False
    assert responses.answered(db, room.id) == {mid: (iso(now + timedelta(minutes=2)), 120.0)}


def test_author_can_never_approve_own_draft(db, now, people, room):
    draft = responses.save_draft(db, now, people["lead"], room.id, GOOD)
    responses.submit(db, now, people["lead"], draft.id)
    with pytest.raises(ResponseError, match="own draft"):
        responses.approve(db, now, people["lead"], draft.id, rev(db, draft.id))
    with pytest.raises(ResponseError, match="own draft"):
        responses.reject(db, now, people["lead"], draft.id, rev(db, draft.id), "no")
    # a responder is not an approver either
    with pytest.raises(ResponseError, match="approver"):
        responses.approve(db, now, people["vol"], draft.id, rev(db, draft.id))
    assert responses.get_draft(db, draft.id).status == "submitted"


def test_reject_needs_reason_and_edit_returns_to_draft(db, now, people, room):
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    responses.submit(db, now, people["vol"], draft.id)
    with pytest.raises(ResponseError) as err:
        responses.reject(db, now, people["appr"], draft.id, rev(db, draft.id), "  ")
    assert err.value.field == "reason"
    rejected = responses.reject(db, now, people["appr"], draft.id, rev(db, draft.id), "say when the next update is")
    assert rejected.status == "rejected" and rejected.reject_reason == "say when the next update is"
    with pytest.raises(ResponseError, match="not approved"):
        responses.publish(db, now, people["vol"], draft.id)
    again = responses.save_draft(db, now, people["vol"], room.id, GOOD + " Update at 6pm.",
                                 draft_id=draft.id)
    assert again.status == "draft" and again.decided_by is None
    # only the author edits
    with pytest.raises(ResponseError, match="only the author"):
        responses.save_draft(db, now, people["vol2"], room.id, "mine now", draft_id=draft.id)


def test_approval_names_the_revision_read_and_a_stale_one_is_refused(db, now, people, room):
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    read = responses.submit(db, now, people["vol"], draft.id)
    assert read.revision > draft.revision
    # the author changes the text and resubmits while the approver is reading
    changed = responses.save_draft(db, now, people["vol"], room.id, GOOD + " Meals are on us.",
                                   draft_id=draft.id)
    resubmitted = responses.submit(db, now, people["vol"], changed.id)
    assert resubmitted.status == "submitted" and resubmitted.revision > read.revision
    for decide in (lambda r: responses.approve(db, now, people["appr"], draft.id, r),
                   lambda r: responses.reject(db, now, people["appr"], draft.id, r, "vague")):
        with pytest.raises(ResponseError, match="changed since you read it") as err:
            decide(read.revision)
        assert err.value.field == "revision"
        with pytest.raises(ResponseError, match="revision") as err:
            decide(None)
        assert err.value.field == "revision"
    assert responses.get_draft(db, draft.id).status == "submitted"
    approved = responses.approve(db, now, people["appr"], draft.id, resubmitted.revision)
    assert approved.status == "approved" and approved.text == GOOD + " Meals are on us."
    assert events.timeline(db, room.id)[-1].data["revision"] == resubmitted.revision


def test_editing_an_approved_draft_sends_it_back_for_approval(db, now, people, room):
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    submitted = responses.submit(db, now, people["vol"], draft.id)
    approved = responses.approve(db, now, people["appr"], draft.id, submitted.revision)
    edited = responses.save_draft(db, now, people["vol"], room.id, GOOD + " PS: no refunds.",
                                  draft_id=draft.id)
    assert edited.status == "draft" and edited.decided_by is None and edited.decided_at is None
    assert edited.revision > approved.revision
    # the edited text can neither be published nor approved under the old approval
    with pytest.raises(ResponseError, match="not approved"):
        responses.publish(db, now, people["vol"], draft.id)
    with pytest.raises(ResponseError, match="changed since you read it"):
        responses.approve(db, now, people["appr"], draft.id, approved.revision)
    assert responses.room_responses(db, room.id) == []
    again = responses.submit(db, now, people["vol"], draft.id)
    assert again.status == "submitted"
    assert responses.approve(db, now, people["appr"], draft.id, again.revision).status == "approved"
    assert responses.publish(db, now, people["vol"], draft.id).text == GOOD + " PS: no refunds."


def test_published_text_is_immutable(db, now, people, room):
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    responses.submit(db, now, people["vol"], draft.id)
    responses.approve(db, now, people["appr"], draft.id, rev(db, draft.id))
    published = responses.publish(db, now, people["vol"], draft.id)
    with pytest.raises(ResponseError, match="published"):
        responses.save_draft(db, now, people["vol"], room.id, "changed", draft_id=draft.id)
    with pytest.raises(ResponseError, match="not approved"):
        responses.publish(db, now, people["vol"], draft.id)
    # even below the domain, SQLite refuses to change or delete it
    import sqlite3
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.execute("UPDATE responses SET text = 'rewritten' WHERE id = ?", [published.id])
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.execute("DELETE FROM responses WHERE id = ?", [published.id])
    assert responses.get_response(db, published.id).text == GOOD


def test_blocking_lint_stops_submit_and_only_a_lead_overrides(db, now, people, room):
    draft = responses.save_draft(db, now, people["vol"], room.id, DEFENSIVE)
    with pytest.raises(ResponseError) as err:
        responses.submit(db, now, people["vol"], draft.id)
    assert err.value.field == "text" and err.value.findings[0]["rule"] == "defensive"
    with pytest.raises(ResponseError, match="only a lead"):
        responses.submit(db, now, people["vol"], draft.id, override_reason="I insist")
    with pytest.raises(ResponseError, match="only a lead"):
        responses.override_lint(db, now, people["appr"], draft.id, "looks fine")
    with pytest.raises(ResponseError, match="needs a reason"):
        responses.override_lint(db, now, people["lead"], draft.id, " ")
    responses.override_lint(db, now, people["lead"], draft.id, "legal confirmed the wording")
    assert responses.submit(db, now, people["vol"], draft.id).status == "submitted"
    overridden = [e for e in events.timeline(db, room.id) if e.kind == "lint.overridden"]
    assert len(overridden) == 1
    assert overridden[0].actor == "lead"
    assert overridden[0].data["reason"] == "legal confirmed the wording"
    assert overridden[0].data["rules"] == ["defensive"]


def test_editing_after_override_needs_a_new_override(db, now, people, room):
    draft = responses.save_draft(db, now, people["lead"], room.id, DEFENSIVE)
    responses.submit(db, now, people["lead"], draft.id, override_reason="statement from legal")
    responses.save_draft(db, now, people["lead"], room.id, DEFENSIVE + " Really.", draft_id=draft.id)
    with pytest.raises(ResponseError, match="blocked"):
        responses.submit(db, now, people["lead"], draft.id)


def test_lint_check_uses_mention_sentiment_and_published_replies(db, now, people, room):
    angry = add_mention(db, room.id, now, label="negative")
    calm = add_mention(db, room.id, now, label="neutral")
    text = "Your bag is on its way; we will DM you the tracking link by 5pm."
    assert [f.rule for f in responses.check(db, room.id, text, angry)] == ["non-apology"]
    assert responses.check(db, room.id, text, calm) == []
    for i in range(3):
        d = responses.save_draft(db, now, people["vol"], room.id, text.replace("5pm", f"{i + 5}pm"))
        responses.submit(db, now, people["vol"], d.id)
        responses.approve(db, now, people["appr"], d.id, rev(db, d.id))
        responses.publish(db, now, people["vol"], d.id)
    assert [f.rule for f in responses.check(db, room.id, text, calm)] == ["stock-answer"]


def test_concurrent_claims_from_ten_threads_leave_one_owner(db, now, people, room, settings):
    mid = add_mention(db, room.id, now)
    users = [make_user(db, f"t{i}", "responder") for i in range(10)]
    barrier = threading.Barrier(10)
    results = {}

    def worker(user):
        conn = dbmod.connect(settings.db_url)  # one connection per thread
        try:
            barrier.wait()
            try:
                responses.claim(conn, now, user, mid)
                results[user.name] = "won"
            except ResponseError as exc:
                results[user.name] = str(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [n for n, r in results.items() if r == "won"]
    assert len(results) == 10 and len(winners) == 1
    assert all(r == f"already claimed by {winners[0]}" for n, r in results.items() if n != winners[0])
    assert [c.user_name for c in responses.room_claims(db, room.id)] == winners
    assert kinds(db, room.id).count("mention.claimed") == 1


def test_claimed_mention_cannot_be_drafted_by_another_and_release(db, now, people, room):
    mid = add_mention(db, room.id, now)
    responses.claim(db, now, people["vol"], mid)
    with pytest.raises(ResponseError, match="claimed by vol"):
        responses.save_draft(db, now, people["vol2"], room.id, GOOD, mention_id=mid)
    with pytest.raises(ResponseError, match="only they or a lead"):
        responses.release(db, now, people["vol2"], mid)
    responses.release(db, now, people["lead"], mid)  # a lead may free a stuck claim
    assert responses.room_claims(db, room.id) == []
    responses.claim(db, now, people["vol2"], mid)
    released = [e for e in events.timeline(db, room.id) if e.kind == "mention.released"]
    assert released[0].data == {"mention_id": mid, "owner": "vol"}
    with pytest.raises(ResponseError, match="no mention"):
        responses.claim(db, now, people["vol"], 999999)


def test_clock_breach_emitted_once_and_answered_mentions_skip(db, now, people, room):
    old = add_mention(db, room.id, now, received=now - timedelta(minutes=61))
    answered = add_mention(db, room.id, now, received=now - timedelta(minutes=90))
    fresh = add_mention(db, room.id, now, received=now - timedelta(minutes=59))
    d = responses.save_draft(db, now, people["vol"], room.id, GOOD, mention_id=answered)
    responses.submit(db, now, people["vol"], d.id)
    responses.approve(db, now, people["appr"], d.id, rev(db, d.id))
    published = responses.publish(db, now, people["vol"], d.id)
    assert published.clock_seconds == 90 * 60
    assert events.timeline(db, room.id)[-1].data["breached"] is True

    first = responses.check_clocks(db, now)
    assert len(first) == 1 and first[0].kind == "response.clock_breached"
    assert first[0].data["mention_ids"] == [old] and first[0].data["count"] == 1
    assert responses.check_clocks(db, now + timedelta(seconds=5)) == []  # once
    later = responses.check_clocks(db, now + timedelta(minutes=2))
    assert [e.data["mention_ids"] for e in later] == [[fresh]]
    assert kinds(db, room.id).count("response.clock_breached") == 2


def test_reply_at_exactly_the_first_response_target_is_on_time(db, now, people, room):
    limit = responses.rules_for_room(db, room.id).first_response_minutes
    on_time = add_mention(db, room.id, now, received=now - timedelta(minutes=limit))
    late = add_mention(db, room.id, now, received=now - timedelta(minutes=limit, seconds=1))
    for mid in (on_time, late):
        d = responses.save_draft(db, now, people["vol"], room.id, GOOD + f" #{mid}", mention_id=mid)
        responses.submit(db, now, people["vol"], d.id)
        responses.approve(db, now, people["appr"], d.id, rev(db, d.id))
        responses.publish(db, now, people["vol"], d.id)
    published = {e.data["mention_id"]: e.data for e in events.timeline(db, room.id)
                 if e.kind == "response.published"}
    assert published[on_time]["clock_seconds"] == limit * 60 and published[on_time]["breached"] is False
    assert published[late]["clock_seconds"] == limit * 60 + 1 and published[late]["breached"] is True


def test_clock_breaches_once_the_limit_has_passed_not_at_it(db, now, people, room):
    limit = responses.rules_for_room(db, room.id).first_response_minutes
    mid = add_mention(db, room.id, now, received=now - timedelta(minutes=limit))
    assert responses.check_clocks(db, now) == []  # exactly at the limit: still on time
    breached = responses.check_clocks(db, now + timedelta(seconds=1))
    assert [e.data["mention_ids"] for e in breached] == [[mid]]


def test_reply_of_exactly_max_text_is_accepted_and_one_more_refused(db, now, people, room):
    longest = (GOOD + " ") * (responses.MAX_TEXT // len(GOOD))
    longest = (longest + "x" * responses.MAX_TEXT)[: responses.MAX_TEXT]
    assert len(longest) == responses.MAX_TEXT and longest == longest.strip()
    draft = responses.save_draft(db, now, people["vol"], room.id, longest)
    assert len(draft.text) == responses.MAX_TEXT
    with pytest.raises(ResponseError, match=f"longer than {responses.MAX_TEXT}") as err:
        responses.save_draft(db, now, people["vol"], room.id, longest + "y")
    assert err.value.field == "text"
    with pytest.raises(ResponseError, match="longer than"):
        responses.save_draft(db, now, people["vol"], room.id, longest + "y", draft_id=draft.id)
    # surrounding blanks are not counted
    assert len(responses.save_draft(db, now, people["vol"], room.id, f"  {longest}\n").text) == responses.MAX_TEXT


def test_approval_timeout_pages_through_escalation_once(db, now, people, room):
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    responses.submit(db, now, people["vol"], draft.id)
    assert responses.check_approvals(db, now + timedelta(minutes=14)) == []
    assert escalation.open_for_room(db, room.id) is None
    assert responses.check_approvals(db, now + timedelta(minutes=16)) == [draft.id]
    esc = escalation.open_for_room(db, room.id)
    assert esc is not None and esc.reason == "approval"
    assert esc.detail["draft_id"] == draft.id and esc.detail["waiting_minutes"] == 16.0
    assert responses.check_approvals(db, now + timedelta(minutes=30)) == []  # pages once
    assert kinds(db, room.id).count("draft.approval_overdue") == 1
    assert kinds(db, room.id).count("escalation.opened") == 1


def test_playbook_rules_apply_lead_approval_and_banned_phrase(db, now, people):
    text = (ROOT / "playbooks" / "mass-disruption.md").read_text()
    book = playbooks.parse(text)
    assert book.rules.approval == "lead"
    room = rooms.open_room(db, now, people["lead"], "Ash", playbook=book)
    bad = responses.save_draft(db, now, people["vol"], room.id,
                               "Sorry: this is force majeure, we will update you at 5pm.")
    with pytest.raises(ResponseError) as err:
        responses.submit(db, now, people["vol"], bad.id)
    assert err.value.findings[0]["rule"] == "banned-phrase"
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    responses.submit(db, now, people["vol"], draft.id)
    with pytest.raises(ResponseError, match="needs a lead"):
        responses.approve(db, now, people["appr"], draft.id, rev(db, draft.id))
    assert responses.approve(db, now, people["lead"], draft.id, rev(db, draft.id)).status == "approved"


def test_published_reply_records_facts_it_relied_on(db, now, people, room):
    fact, _ = facts.update_fact(db, now, people["lead"], room.id, "Flights resume at 18:00 UTC.")
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD + " Flights resume at 18:00 UTC.",
                                 fact_ids=[fact.id])
    responses.submit(db, now, people["vol"], draft.id)
    responses.approve(db, now, people["appr"], draft.id, rev(db, draft.id))
    resp = responses.publish(db, now, people["vol"], draft.id)
    rows = db.execute("SELECT fact_id, version FROM response_facts WHERE response_id = ?",
                      [resp.id]).fetchall()
    assert rows == [(fact.id, 1)]
    assert events.timeline(db, room.id)[-1].data["facts"] == [{"id": fact.id, "version": 1}]
    with pytest.raises(ResponseError, match="no fact"):
        responses.save_draft(db, now, people["vol"], room.id, GOOD, fact_ids=[fact.id + 99])


def test_closed_room_accepts_no_new_work(db, now, people, room):
    mid = add_mention(db, room.id, now)
    rooms.close_room(db, now, people["lead"], room.id)
    with pytest.raises(rooms.RoomClosedError, match="closed"):
        responses.claim(db, now, people["vol"], mid)
    with pytest.raises(rooms.RoomClosedError, match="closed"):
        responses.save_draft(db, now, people["vol"], room.id, GOOD)
    assert responses.check_clocks(db, now + timedelta(hours=5)) == []


def test_migration_is_in_range():
    found = [(number, name) for number, name, _sql in dbmod.available_migrations()]
    assert (50, "responses") in found


def test_overdue_approval_names_the_approvers_on_shift(db, now, people):
    book = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text())
    room = rooms.open_room(db, now, people["lead"], "Ash", playbook=book)
    from warroom import roster

    tweep_now = [s for s in roster.slots(db, room.id)
                 if s.role == "Tweep" and s.starts_at <= iso(now) < s.ends_at][0]
    roster.sign_up(db, now, people["appr"], tweep_now.id)   # an approver on shift
    roster.sign_up(db, now, people["vol2"], tweep_now.id)   # on shift, cannot approve
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    responses.submit(db, now, people["vol"], draft.id)
    timeout = book.rules.approval_timeout_minutes
    assert responses.check_approvals(db, now + timedelta(minutes=timeout + 1)) == [draft.id]
    esc = escalation.open_for_room(db, room.id)
    assert esc.reason == "approval" and esc.detail["approvers"] == ["appr"]


def test_overdue_approval_pages_the_approvers_on_shift_first(db, now, people):
    book = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text())
    room = rooms.open_room(db, now, people["lead"], "Ash", playbook=book)
    from warroom import roster

    tweep_now = [s for s in roster.slots(db, room.id)
                 if s.role == "Tweep" and s.starts_at <= iso(now) < s.ends_at][0]
    roster.sign_up(db, now, people["appr"], tweep_now.id)
    roster.sign_up(db, now, people["vol2"], tweep_now.id)
    draft = responses.save_draft(db, now, people["vol"], room.id, GOOD)
    responses.submit(db, now, people["vol"], draft.id)
    late = now + timedelta(minutes=book.rules.approval_timeout_minutes + 1)
    responses.check_approvals(db, late)
    escalation.issue_due_steps(db, late)
    pages = db.execute("SELECT target, recipient FROM pages ORDER BY id").fetchall()
    # the approver on shift is paged at once; the volunteer on shift is not
    assert pages == [("user:appr", "user:appr")]
