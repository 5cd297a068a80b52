"""Slack all the way: `/warroom open PLAYBOOK` opens a room from the
playbook, its channel is made and kept by roomchat, and a draft posted
there is approved or rejected from Slack exactly as on the board (the same
commands, the same refusals). Real Flask app, real slack-sdk, signed
requests, tests/slack_server.py."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.conftest import call, make_user, shipped_version, sock
from warroom import events, playbooks, responses, roomchat, rooms, roster
from warroom import jobs as glue
from warroom.app import create_app
from warroom.clock import parse_iso, utcnow
from warroom.playbooks import store

from ..conftest import ROOT

SECRET = "test-signing-secret"
SERVICE = (ROOT / "playbooks" / "service-complaint.md").read_text()


@pytest.fixture
def slack_app(settings, slack, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    app = create_app(replace(settings, slack=replace(settings.slack, base_url=slack.url)))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def people(db):
    return {"lena": make_user(db, "lena", "lead", slack_id="U0LENA"),
            "ava": make_user(db, "ava", "approver", slack_id="U0AVA"),
            "bob": make_user(db, "bob", "approver", slack_id="U0BOB"),
            "rex": make_user(db, "rex", "responder", slack_id="U0REX")}


def signed(client, path: str, fields: dict):
    body = urlencode(fields)
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return client.post(path, data=body, headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
                                                 "Content-Type": "application/x-www-form-urlencoded"})


def command(client, text: str, user: str = "U0LENA"):
    return signed(client, "/slack/commands", {"command": "/warroom", "text": text, "user_id": user})


def click(client, message: dict, channel: str, action_id: str, user: str):
    """A block_actions payload as Slack sends it for a button of ``message``."""
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == action_id)
    payload = {"type": "block_actions", "user": {"id": user}, "trigger_id": "T123.456",
               "channel": {"id": channel}, "message": {"ts": message["ts"]},
               "actions": [{"action_id": action_id, "value": button["value"]}]}
    return signed(client, "/slack/interactions", {"payload": json.dumps(payload)})


def submit_reason(client, view: dict, user: str, reason: str):
    payload = {"type": "view_submission", "user": {"id": user},
               "view": {"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                        "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}}}}
    return signed(client, "/slack/interactions", {"payload": json.dumps(payload)})


def sync(app, now=None):
    db = app.extensions["warroom_open_db"]()
    try:
        return roomchat.sync(db, now or utcnow(), glue.room_api_for(app))
    finally:
        db.close()


def test_slash_open_needs_a_known_playbook_and_opens_a_room_pinned_to_it(slack_app, db, people):
    client = slack_app.test_client()
    store.store(db, utcnow(), playbooks.parse(SERVICE, "service-complaint.md"), "lena", "test")
    bad = command(client, "open no-such-thing Storm").json
    assert bad["response_type"] == "ephemeral"
    assert "No playbook `no-such-thing`" in bad["text"] and "`service-complaint`" in bad["text"]
    assert rooms.list_rooms(db) == []
    assert "lead role" in command(client, "open service-complaint", user="U0REX").json["text"]
    assert "not linked" in command(client, "open service-complaint", user="U0NOBODY").json["text"]

    opened = command(client, "open service-complaint Billing meltdown").json
    version = shipped_version("service-complaint")
    assert opened["response_type"] == "in_channel" and f"from service-complaint v{version}" in opened["text"]
    room = rooms.list_rooms(db)[0]
    assert (room.title, room.playbook_id, room.playbook_version) == ("Billing meltdown", "service-complaint", version)
    assert {s.role for s in roster.slots(db, room.id)} == {"Lead", "Owner", "Fixer"}  # the playbook's shifts
    untitled = command(client, "open service-complaint").json
    assert "Service complaint going viral" in untitled["text"]


def test_opened_from_slack_people_invited_on_shift_once_and_events_posted_once(slack_app, slack, db, people):
    client = slack_app.test_client()
    store.store(db, utcnow(), playbooks.parse(SERVICE, "service-complaint.md"), "lena", "test")
    command(client, "open service-complaint Billing meltdown")
    room = rooms.list_rooms(db)[0]
    owners = sorted((s for s in roster.slots(db, room.id) if s.role == "Owner"), key=lambda s: s.starts_at)
    later = next(s for s in owners if s.starts_at > owners[0].starts_at)
    roster.sign_up(db, utcnow(), people["rex"], later.id)

    sync(slack_app)
    ch = roomchat.get_channel(db, room.id)
    assert ch.name == f"wr-{room.id}-billing-meltdown"
    assert slack.members(ch.channel_id) == {"UBOT", "U0LENA"}  # rex is not on yet
    start = parse_iso(later.starts_at)
    sync(slack_app, start)
    sync(slack_app, start + timedelta(minutes=1))
    assert slack.members(ch.channel_id) == {"UBOT", "U0LENA", "U0REX"}
    assert [c["body"]["users"] for c in slack.calls_to("conversations.invite")] == ["U0LENA", "U0REX"]
    slack_app.extensions.pop("warroom_room_api")  # as after a restart
    sync(slack_app)
    keys = [m["metadata"]["event_payload"]["key"] for m in slack.messages[ch.channel_id]]
    assert len(keys) == len(set(keys)) == 1  # room.opened, once
    assert slack.messages[ch.channel_id][0]["text"].startswith("War room opened by lena from playbook")


def _submitted(db, people, room, text="So sorry, Anna: the ash cloud grounded your flight. I'll rebook you by 5pm."):
    draft = responses.save_draft(db, utcnow(), people["ava"], room.id, text)
    return responses.submit(db, utcnow(), people["ava"], draft.id)


def _approval_message(slack_app, slack, db, room):
    sync(slack_app)
    ch = roomchat.get_channel(db, room.id)
    msg = next(m for m in reversed(slack.messages[ch.channel_id]) if m["blocks"] and len(m["blocks"]) == 3)
    return ch.channel_id, copy.deepcopy(msg)  # as the approver's Slack shows it (the server edits its own)


def test_approve_from_slack_by_the_second_person_and_the_author_refused_as_on_the_board(
        slack_app, slack, db, people):
    client = slack_app.test_client()
    room = rooms.open_room(db, utcnow(), people["lena"], "Ash cloud")
    draft = _submitted(db, people, room)
    channel, msg = _approval_message(slack_app, slack, db, room)
    assert "grounded your flight" in msg["blocks"][0]["text"]["text"]
    assert msg["blocks"][1]["text"]["text"] == "*Honesty lint:*\n• none"

    # The board's refusal, word for word, for the author approving her own draft.
    _http, sc = sock(slack_app, "ava")
    board = call(sc, "draft.approve", {"draft_id": draft.id, "revision": draft.revision})
    assert board["error"] == "the author cannot approve or reject their own draft"
    own = click(client, msg, channel, "draft.approve", "U0AVA").json
    assert own["response_type"] == "ephemeral" and board["error"] in own["text"]
    assert slack.calls_to("chat.postEphemeral")[-1]["body"]["user"] == "U0AVA"
    assert responses.get_draft(db, draft.id).status == "submitted"

    # A responder lacks the role: the board's words again.
    board = call(sock(slack_app, "rex")[1], "draft.approve", {"draft_id": draft.id, "revision": draft.revision})
    assert board["error"] in click(client, msg, channel, "draft.approve", "U0REX").json["text"]
    assert "not linked" in click(client, msg, channel, "draft.approve", "U0NOBODY").json["text"]

    done = click(client, msg, channel, "draft.approve", "U0BOB").json
    assert f"You approved draft #{draft.id}" in done["text"]
    decided = responses.get_draft(db, draft.id)
    assert (decided.status, decided.decided_by) == ("approved", "bob")
    approved = [e for e in events.after(db, room.id) if e.kind == "draft.approved"]
    assert [e.data["revision"] for e in approved] == [draft.revision]
    update = slack.calls_to("chat.update")[-1]["body"]
    assert update["ts"] == msg["ts"] and "approved by bob" in update["text"]
    again = click(client, msg, channel, "draft.approve", "U0BOB").json["text"]  # a second click
    assert "the draft is approved, not submitted" in again
    sync(slack_app)
    assert slack.messages[channel][-1]["text"] == f"Draft #{draft.id} by ava approved by bob"


def test_a_stale_version_is_refused(slack_app, slack, db, people):
    client = slack_app.test_client()
    room = rooms.open_room(db, utcnow(), people["lena"], "Ash cloud")
    draft = _submitted(db, people, room)
    channel, old = _approval_message(slack_app, slack, db, room)
    # ava changes the text and submits again: the old message shows the old text
    responses.save_draft(db, utcnow(), people["ava"], room.id, "Sorry Anna, we rebook you today; DM by 5pm.",
                         draft_id=draft.id)
    newer = responses.submit(db, utcnow(), people["ava"], draft.id)
    refused = click(client, old, channel, "draft.approve", "U0BOB").json["text"]
    assert "changed since you read it" in refused and f"it is now revision {newer.revision}" in refused
    assert responses.get_draft(db, draft.id).status == "submitted"
    _channel, fresh = _approval_message(slack_app, slack, db, room)
    assert "rebook you today" in fresh["blocks"][0]["text"]["text"]
    assert "You approved" in click(client, fresh, channel, "draft.approve", "U0BOB").json["text"]


def test_reject_from_slack_shows_the_lint_findings_asks_for_a_reason_and_rejects(slack_app, slack, db, people):
    client = slack_app.test_client()
    room = rooms.open_room(db, utcnow(), people["lena"], "Ash cloud")
    text = "We are not responsible for the ash cloud. I'll rebook you and DM you by 5pm."
    draft = responses.save_draft(db, utcnow(), people["ava"], room.id, text)
    responses.override_lint(db, utcnow(), people["lena"], draft.id, "legal insisted")
    draft = responses.submit(db, utcnow(), people["ava"], draft.id)
    channel, msg = _approval_message(slack_app, slack, db, room)
    lint_text = msg["blocks"][1]["text"]["text"]
    assert "*blocking* `defensive`: defensive: blames the customer" in lint_text
    assert any(m["text"].startswith("lena overrode the honesty lint") for m in slack.messages[channel])
    assert click(client, msg, channel, "draft.reject", "U0BOB").status_code == 200
    view = slack.calls_to("views.open")[-1]["body"]["view"]
    assert view["callback_id"] == "draft.reject"
    assert responses.get_draft(db, draft.id).status == "submitted"  # nothing decided yet

    empty = submit_reason(client, view, "U0BOB", "  ").json
    assert empty["response_action"] == "errors" and "a rejection needs a reason" in empty["errors"]["reason"]
    own = submit_reason(client, view, "U0AVA", "mine").json
    assert "the author cannot approve or reject their own draft" in own["errors"]["reason"]
    ok = submit_reason(client, view, "U0BOB", "Say when the next update comes.")
    assert ok.status_code == 200 and ok.get_data() == b""
    rejected = responses.get_draft(db, draft.id)
    assert (rejected.status, rejected.decided_by, rejected.reject_reason) == (
        "rejected", "bob", "Say when the next update comes.")
    assert "rejected by bob" in slack.calls_to("chat.update")[-1]["body"]["text"]
    sync(slack_app)
    assert slack.messages[channel][-1]["text"].startswith(f"Draft #{draft.id} by ava rejected by bob")
