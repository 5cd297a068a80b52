"""The notifier: what Slack hears from the event stream, each event at most
once, and the log when Slack is not configured."""

from __future__ import annotations

import logging

from tests.conftest import ROOT, make_user
from warroom import escalation, events, playbooks, rooms
from warroom import notifications as notifier
from warroom.db import transaction
from warroom.escalation import paging


def test_room_events_go_to_the_playbook_channel_once(db, now, slack, sender):
    assert notifier.notify(db, sender, "#general") == []  # first run starts at the present
    owner = make_user(db, "olga", "lead", now)
    pb = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    room = rooms.open_room(db, now, owner, "Ash cloud", playbook=pb)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    escalation.acknowledge(db, now, esc.id, owner)
    sent = notifier.notify(db, sender, "#general")
    texts = [n.text for n in sent]
    assert any(t.startswith("War room opened: *Ash cloud*") for t in texts)
    assert any("acknowledged by olga" in t for t in texts)
    channel = pb.slack_channel or "#general"
    assert {n.dest for n in sent} == {channel}
    assert len(slack.posted()) == len(sent)
    assert notifier.notify(db, sender, "#general") == []  # at most once
    assert len(slack.posted()) == len(sent)


def test_shift_reminder_is_a_dm_and_other_kinds_stay_quiet(db, now, slack, sender):
    notifier.notify(db, sender, "#general")
    owner = make_user(db, "olga", "lead", now)
    make_user(db, "ann", "responder", now, slack_id="U0ANN")
    room = rooms.open_room(db, now, owner, "Storm")
    with transaction(db):
        events.append(db, room.id, "roster.shift_reminder", None,
                      {"user": "ann", "slot_id": 1, "role": "Tweep", "starts_at": "2026-03-29T10:00:00.000Z"}, now)
        events.append(db, room.id, "draft.saved", "ann", {"draft": 1}, now)
        events.append(db, room.id, "response.clock_breached", None,
                      {"count": 4, "mention_ids": [1], "first_response_minutes": 60}, now)
    sent = notifier.notify(db, sender, "#general")
    dm = [c["body"] for c in slack.calls_to("chat.postMessage") if c["body"]["channel"] == "DU0ANN"]
    assert len(dm) == 1 and "Tweep shift" in dm[0]["text"]
    assert any("Response clock breached" in n.text and "4 mention" in n.text for n in sent)
    assert not any("draft" in n.text.lower() for n in sent)


def test_without_slack_notices_go_to_the_log(db, now, caplog):
    notifier.notify(db, paging.LogSender(), "")
    owner = make_user(db, "olga", "lead", now)
    with caplog.at_level(logging.INFO, logger="warroom.notifications.notices"):
        rooms.open_room(db, now, owner, "Quiet storm")
        sent = notifier.notify(db, paging.LogSender(), "")
    assert [n.text for n in sent] == ["War room opened: *Quiet storm* (open)"]
    assert "Quiet storm" in caplog.text


def test_decide_is_pure():
    ev = events.Event(1, 3, "2026-03-29T09:00:00.000Z", "spike.detected", None,
                      {"value": 120, "expected": 8.04, "score": 9.3})
    [notice] = notifier.decide(ev, "Ash", "#crisis")
    assert notice == notifier.Notice("#crisis", "Spike in *Ash*: 120 mentions/min (expected about 8.0, score 9.3)")
    assert notifier.decide(events.Event(2, 3, "t", "mentions.received", None, {}), "Ash", "#c") == []
