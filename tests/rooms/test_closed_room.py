"""A closed room's record is final: every action that would change it is
refused by ``rooms.require_open``, in the domain and through each adapter
(Socket.IO, HTTP, Slack); the lessons learned and the exports stay open."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from warroom import escalation, events, postmortem, responses, rooms
from warroom.rooms import facts
from warroom.slack import ACK_ACTION

from ..conftest import DEFENSIVE, GOOD, add_mention, call, csrf_from, login_client, make_user, sock


@pytest.fixture
def closed(db, now):
    """A room closed with work in every state: a claim, a submitted draft,
    a blocked draft, an approved one, a fact and an open escalation."""
    lead = make_user(db, "lead", "lead", slack_id="U0LEAD")
    vol = make_user(db, "vol", "responder", slack_id="U0VOL")
    appr = make_user(db, "appr", "approver")
    room = rooms.open_room(db, now, lead, "Recall")
    claimed = add_mention(db, room.id, now)
    responses.claim(db, now, vol, claimed)
    submitted = responses.submit(db, now, vol, responses.save_draft(db, now, vol, room.id, GOOD).id)
    blocked = responses.save_draft(db, now, vol, room.id, DEFENSIVE)
    approved = responses.save_draft(db, now, vol, room.id, GOOD + " Again.")
    approved = responses.submit(db, now, vol, approved.id)
    approved = responses.approve(db, now, appr, approved.id, approved.revision)
    fact, _ = facts.update_fact(db, now, lead, room.id, "Batch 42 only.")
    esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 100}, None)
    rooms.close_room(db, now, lead, room.id)
    people = {"lead": lead, "vol": vol, "appr": appr}
    return dict(room=room, claimed=claimed, submitted=submitted, blocked=blocked, approved=approved,
                fact=fact, esc=esc, people=people, last=events.last_id(db))


def _nothing_changed(db, c):
    assert events.last_id(db) == c["last"]
    assert responses.get_draft(db, c["submitted"].id).status == "submitted"
    assert escalation.get(db, c["esc"].id).state == "open"


def test_every_domain_change_is_refused_after_close(db, now, closed):
    c, p = closed, closed["people"]
    refused = [
        lambda: responses.claim(db, now, p["vol"], add_mention(db, c["room"].id, now)),
        lambda: responses.release(db, now, p["vol"], c["claimed"]),
        lambda: responses.save_draft(db, now, p["vol"], c["room"].id, GOOD),
        lambda: responses.submit(db, now, p["vol"], c["blocked"].id, override_reason="x"),
        lambda: responses.approve(db, now, p["appr"], c["submitted"].id, c["submitted"].revision),
        lambda: responses.reject(db, now, p["appr"], c["submitted"].id, c["submitted"].revision, "vague"),
        lambda: responses.publish(db, now, p["vol"], c["approved"].id),
        lambda: responses.override_lint(db, now, p["lead"], c["blocked"].id, "the lawyers agreed"),
        lambda: facts.update_fact(db, now, p["lead"], c["room"].id, "Batch 43 too."),
        lambda: facts.update_fact(db, now, p["lead"], c["room"].id, "", fact_id=c["fact"].id, retire=True),
        lambda: escalation.manual_page(db, now, c["room"].id, p["lead"], "wake up"),
        lambda: escalation.acknowledge(db, now, c["esc"].id, p["vol"]),
    ]
    before = events.last_id(db)
    for action in refused:
        with pytest.raises(rooms.RoomClosedError, match="the room is closed") as err:
            action()
        assert err.value.field == "room"
    # add_mention itself stores a mention row, but no action appended an event
    assert events.last_id(db) == before
    assert responses.get_draft(db, c["submitted"].id).status == "submitted"
    assert responses.get_draft(db, c["approved"].id).status == "approved"
    assert facts.get_fact(db, c["fact"].id).version == 1
    assert escalation.get(db, c["esc"].id).state == "open"


def test_lessons_and_exports_stay_open_after_close(db, now, closed):
    c = closed
    saved = postmortem.lessons.save_lessons(db, now, c["room"].id, "lead", "Page the lead sooner.")
    assert saved.version == 1
    report = postmortem.build_report(db, c["room"].id, now)
    assert "Page the lead sooner." in postmortem.render.to_markdown(report)
    with pytest.raises(rooms.RoomError, match="no room") as err:
        rooms.require_open(db, c["room"].id + 99)
    assert not isinstance(err.value, rooms.RoomClosedError)


def test_board_commands_answer_an_error_after_close(app, db, closed):
    c = closed
    _, vol = sock(app, "vol")
    _, appr = sock(app, "appr")
    _, lead = sock(app, "lead")
    sub = c["submitted"]
    answers = [
        call(appr, "draft.approve", {"draft_id": sub.id, "revision": sub.revision}),
        call(appr, "draft.reject", {"draft_id": sub.id, "revision": sub.revision, "reason": "vague"}),
        call(lead, "lint.override", {"draft_id": c["blocked"].id, "reason": "lawyers agreed"}),
        call(lead, "facts.update", {"room": c["room"].id, "text": "Batch 43 too."}),
        call(lead, "escalation.page", {"room": c["room"].id, "note": "wake up"}),
        call(vol, "escalation.ack", {"escalation": c["esc"].id}),
        call(vol, "mention.release", {"mention_id": c["claimed"]}),
        call(vol, "draft.publish", {"draft_id": c["approved"].id}),
    ]
    assert answers == [{"error": "the room is closed", "field": "room"}] * len(answers)
    # reading is still fine
    assert "findings" in call(vol, "lint.check", {"room": c["room"].id, "text": GOOD})
    _nothing_changed(db, c)
    for s in (vol, appr, lead):
        s.disconnect(namespace="/board")


def test_http_ack_and_page_answer_409_after_close(app, db, closed):
    c = closed
    client = app.test_client()
    login_client(client, "lead")
    html = client.get(f"/rooms/{c['room'].id}").get_data(as_text=True)
    headers = {"X-CSRF-Token": csrf_from(html)}
    ack = client.post(f"/api/v1/rooms/{c['room'].id}/escalations/{c['esc'].id}/ack", headers=headers)
    assert ack.status_code == 409
    assert ack.get_json() == {"error": "the room is closed", "field": "room"}
    page = client.post(f"/api/v1/rooms/{c['room'].id}/page", json={"note": "x"}, headers=headers)
    assert page.status_code == 409 and page.get_json()["field"] == "room"
    _nothing_changed(db, c)


SECRET = "test-signing-secret"


def _slack_post(client, path: str, form: dict):
    body = urlencode(form)
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return client.post(path, data=body, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded"})


def test_slack_ack_button_and_slash_commands_are_refused_after_close(app, db, closed):
    c = closed
    app.extensions["warroom_slack_verifier"] = SignatureVerifier(SECRET)
    client = app.test_client()
    payload = {"type": "block_actions", "user": {"id": "U0VOL"},
               "actions": [{"action_id": ACK_ACTION, "value": str(c["esc"].id)}]}
    button = _slack_post(client, "/slack/interactions", {"payload": json.dumps(payload)})
    assert button.status_code == 200
    assert button.get_json()["text"] == "Could not acknowledge: the room is closed."
    ack = _slack_post(client, "/slack/commands", {"user_id": "U0VOL", "text": f"ack {c['esc'].id}"})
    assert ack.get_json()["text"] == "Could not acknowledge: the room is closed."
    page = _slack_post(client, "/slack/commands", {"user_id": "U0LEAD", "text": f"page {c['room'].id} now"})
    assert page.get_json()["text"] == "Sorry, the room is closed."
    _nothing_changed(db, c)
