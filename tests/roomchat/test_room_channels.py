"""Each war room's Slack channel, through the real slack-sdk against
tests/slack_server.py and a fixed clock: the name, create or link, a crash
between create and record, invites as people come on shift, each key event
posted once across restarts and crashes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import make_user, shipped_version
from warroom import accounts, events, playbooks, responses, roomchat, rooms, roster
from warroom.clock import iso, parse_iso
from warroom.db import transaction
from warroom.playbooks import store
from warroom.slack import SlackRoomApi, make_client

from ..conftest import ROOT

SERVICE = (ROOT / "playbooks" / "service-complaint.md").read_text()


@pytest.fixture
def api(settings, slack):
    s = replace(settings, slack=replace(settings.slack, base_url=slack.url))
    return SlackRoomApi(make_client(s, env={"SLACK_BOT_TOKEN": "xoxb-test"}), "http://board.test")


def fresh_api(settings, slack):
    """A new process's adapter: nothing remembered from the last one."""
    s = replace(settings, slack=replace(settings.slack, base_url=slack.url))
    return SlackRoomApi(make_client(s, env={"SLACK_BOT_TOKEN": "xoxb-test"}), "http://board.test")


@pytest.fixture
def lead(db):
    return make_user(db, "lena", "lead", slack_id="U0LENA")


def posted_keys(slack, channel):
    return [m["metadata"]["event_payload"]["key"] for m in slack.messages.get(channel, [])]


@pytest.mark.parametrize("title, expected", [
    ("Ash cloud: KLM", "wr-7-ash-cloud-klm"),
    ("Crème brûlée — recall!", "wr-7-creme-brulee-recall"),
    ("日本語だけ", "wr-7"),
    ("x" * 200, "wr-7-" + "x" * 75),
    ("Under_score  and.dots", "wr-7-under_score-and-dots"),
])
def test_channel_names_follow_slacks_rules(title, expected):
    name = roomchat.channel_name(7, title)
    assert name == expected
    assert len(name) <= 80 and all(c.islower() or c.isdigit() or c in "-_" for c in name)


def test_opening_a_room_creates_its_channel_once_and_links_an_existing_one(db, now, api, slack, lead):
    room = rooms.open_room(db, now, lead, "Ash cloud")
    other = rooms.open_room(db, now, lead, "Hail")
    existing = slack.add_channel(roomchat.channel_name(other.id, "Hail"))  # made by hand in Slack

    result = roomchat.sync(db, now, api)
    mine = roomchat.get_channel(db, room.id)
    assert mine.how == "created" and mine.name == f"wr-{room.id}-ash-cloud"
    assert roomchat.get_channel(db, other.id).channel_id == existing
    assert roomchat.get_channel(db, other.id).how == "linked"
    assert "UBOT" in slack.members(existing)  # joined, so it can invite and read history
    assert sorted(result.linked) == sorted([(room.id, mine.channel_id), (other.id, existing)])
    assert len(slack.calls_to("conversations.create")) == 1

    roomchat.sync(db, now, api)
    assert len(slack.calls_to("conversations.create")) == 1  # idempotent
    linked = [e for e in events.after(db, room.id) if e.kind == "room.channel_linked"]
    assert [e.data["how"] for e in linked] == ["created"]


def test_a_crash_after_create_before_record_links_the_channel_instead_of_a_second(
        db, now, settings, slack, lead):
    room = rooms.open_room(db, now, lead, "Ash cloud")
    name = roomchat.channel_name(room.id, room.title)
    first = fresh_api(settings, slack)
    made = first.create_channel(name, private=False)  # ... and the process died here
    assert roomchat.get_channel(db, room.id) is None

    roomchat.sync(db, now, fresh_api(settings, slack))
    assert roomchat.get_channel(db, room.id).channel_id == made
    assert len(slack.calls_to("conversations.create")) == 1


def test_a_private_room_gets_a_private_channel(db, now, api, slack, lead):
    room = rooms.open_room(db, now, lead, "Quiet one")
    accounts.set_private(db, now, room.id, True, lead.name, members=[lead.id])
    roomchat.sync(db, now, api)
    ch = roomchat.get_channel(db, room.id)
    assert slack.info[ch.channel_id]["is_private"] is True


def test_people_are_invited_as_they_come_on_shift_each_once(db, now, api, slack, lead):
    pb = playbooks.parse(SERVICE, "service-complaint.md")
    room = rooms.open_room(db, now, lead, "Viral complaint", playbook=pb)
    ann = make_user(db, "ann", "responder", slack_id="U0ANN")
    bo = make_user(db, "bo", "responder", slack_id="U0BO")
    make_user(db, "nos", "responder")  # no Slack id: nothing to invite
    owners = [s for s in roster.slots(db, room.id) if s.role == "Owner"]
    first, second = owners[0], next(s for s in owners if s.starts_at > owners[0].starts_at)
    roster.sign_up(db, now, ann, first.id)
    roster.sign_up(db, now, bo, second.id)
    roster.sign_up(db, now, accounts.find_user(db, "nos"), first.id)

    roomchat.sync(db, now, api)
    ch = roomchat.get_channel(db, room.id)
    assert slack.members(ch.channel_id) == {"UBOT", "U0LENA", "U0ANN"}  # the opener and who is on now
    assert roomchat.invited(db, room.id) == {"lena": "invited", "ann": "invited"}

    room_time = parse_iso(second.starts_at)
    roomchat.sync(db, room_time - timedelta(seconds=1), api)
    assert "U0BO" not in slack.members(ch.channel_id)  # not on yet
    roomchat.sync(db, room_time, api)
    roomchat.sync(db, room_time + timedelta(minutes=5), api)
    assert slack.members(ch.channel_id) == {"UBOT", "U0LENA", "U0ANN", "U0BO"}
    invites = [c["body"]["users"] for c in slack.calls_to("conversations.invite")]
    assert sorted(invites) == ["U0ANN", "U0BO", "U0LENA"]  # each once


def test_an_invite_cut_off_by_a_crash_is_made_again_and_counts_as_done(db, now, api, slack, lead):
    room = rooms.open_room(db, now, lead, "Ash cloud")
    roomchat.sync(db, now, api)
    ch = roomchat.get_channel(db, room.id)
    with transaction(db):  # as if the invite reached Slack and the process died before recording it
        db.execute("DELETE FROM room_channel_invites WHERE room_id = ?", [room.id])
    roomchat.sync(db, now, api)
    assert roomchat.invited(db, room.id) == {"lena": "already in channel"}
    assert slack.members(ch.channel_id) == {"UBOT", "U0LENA"}


def test_an_unknown_slack_user_is_not_asked_again(db, now, api, slack, lead):
    slack.missing_users.add("U0LENA")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    roomchat.sync(db, now, api)
    roomchat.sync(db, now, api)
    assert roomchat.invited(db, room.id) == {"lena": "slack: user_not_found"}
    assert len(slack.calls_to("conversations.invite")) == 1


def _storm(db, now, lead):
    """A room with a spike, a page and its ack, a holding statement, a submitted draft."""
    from warroom import escalation
    from warroom.rooms import facts

    room = rooms.open_room(db, now, lead, "Ash cloud")
    with transaction(db):
        events.append(db, room.id, "spike.detected", None, {"value": 120, "expected": 8.0, "score": 9.1}, now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 120}, None)
    escalation.acknowledge(db, now, esc.id, lead)
    facts.update_fact(db, now, lead, room.id, "We are rebooking everyone today.", kind="holding")
    author = make_user(db, "ava", "approver", slack_id="U0AVA")
    draft = responses.save_draft(db, now, author, room.id, "Sorry Anna, we will rebook you today and DM you by 5pm.")
    responses.submit(db, now, author, draft.id)
    return room, draft


def test_key_events_are_posted_once_each_also_after_a_restart(db, now, settings, api, slack, lead):
    room, draft = _storm(db, now, lead)
    result = roomchat.sync(db, now, api)
    ch = roomchat.get_channel(db, room.id)
    texts = [m["text"] for m in slack.messages[ch.channel_id]]
    assert [t.split(":")[0].split(" by")[0] for t in texts] == [
        "War room opened", "Spike", "Paging", "Escalation #1 acknowledged", "Holding statement v1",
        f"Draft #{draft.id} (revision {responses.get_draft(db, draft.id).revision})"]
    assert len(result.posted) == 6
    approval = slack.messages[ch.channel_id][-1]["blocks"]
    assert "Sorry Anna" in approval[0]["text"]["text"] and "Honesty lint" in approval[1]["text"]["text"]
    assert [b["action_id"] for b in approval[2]["elements"]][:2] == ["draft.approve", "draft.reject"]

    roomchat.sync(db, now, fresh_api(settings, slack))  # a restarted process
    rooms.close_room(db, now, lead, room.id)
    roomchat.sync(db, now, fresh_api(settings, slack))
    roomchat.sync(db, now, fresh_api(settings, slack))
    keys = posted_keys(slack, ch.channel_id)
    assert len(keys) == 7 and len(set(keys)) == 7
    assert slack.messages[ch.channel_id][-1]["text"].startswith("War room closed")


@pytest.mark.parametrize("reached_slack", [True, False])
def test_a_post_cut_off_by_a_crash_is_looked_up_before_sending_again(
        db, now, settings, api, slack, lead, reached_slack):
    room = rooms.open_room(db, now, lead, "Ash cloud")
    roomchat.sync(db, now, api)
    ch = roomchat.get_channel(db, room.id)
    with transaction(db):
        event = events.append(db, room.id, "room.closed", lead.name, {}, now)
        # another process claimed it and died (after its post reached Slack, or before)
        db.execute("UPDATE room_channels SET pending_event = ?, pending_token = 'dead', pending_at = ?"
                   " WHERE room_id = ?", [event.id, iso(now), room.id])
    if reached_slack:
        api.post(ch.channel_id, roomchat.Post(f"wr-event-{event.id}", room.id, room.title, "War room closed"))
    before = len(slack.messages[ch.channel_id])

    roomchat.sync(db, now + timedelta(seconds=10), fresh_api(settings, slack))
    assert len(slack.messages[ch.channel_id]) == before  # a live claim is left alone
    roomchat.sync(db, now + timedelta(seconds=roomchat.STALE_SECONDS + 1), fresh_api(settings, slack))
    keys = posted_keys(slack, ch.channel_id)
    assert keys.count(f"wr-event-{event.id}") == 1
    assert roomchat.get_channel(db, room.id).pending_event is None
    assert roomchat.get_channel(db, room.id).posted_through == event.id


def test_a_failing_slack_is_retried_next_time_without_losing_the_event(db, now, api, slack, lead):
    room = rooms.open_room(db, now, lead, "Ash cloud")
    roomchat.sync(db, now, api)
    ch = roomchat.get_channel(db, room.id)
    rooms.close_room(db, now, lead, room.id)
    slack.fail("chat.postMessage", 500, times=1)
    result = roomchat.sync(db, now, api)
    assert result.errors and "internal_error" in result.errors[0]
    assert roomchat.get_channel(db, room.id).pending_event is None  # released, not lost
    roomchat.sync(db, now, api)
    assert slack.messages[ch.channel_id][-1]["text"].startswith("War room closed")


def test_a_room_opened_from_a_stored_playbook_says_which_version(db, now, api, slack, lead):
    store.store(db, now, playbooks.parse(SERVICE, "service-complaint.md"), "lena", "test")
    room = rooms.open_room(db, now, lead, "Viral", playbook=store.latest_playbook(db, "service-complaint"))
    roomchat.sync(db, now, api)
    first = slack.messages[roomchat.get_channel(db, room.id).channel_id][0]["text"]
    version = shipped_version("service-complaint")
    assert first == f"War room opened by lena from playbook service-complaint v{version}: Viral"
