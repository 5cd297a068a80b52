"""A room run through its checklist and update rhythm on a fixed clock, one
scheduler tick a minute: reminders at the right minutes, overdue items told
to the person on shift, and the post-mortem's counts, each checked against
values worked out here from the script below."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FIXED_NOW, make_user
from warroom import events, notifications, playbooks, postmortem, rooms, roster, runbook
from warroom.clock import iso
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer

T0 = FIXED_NOW  # 2026-03-29 09:00 UTC, the day the UK moves to BST: 10:30 London is 09:30 UTC
SCORER = Scorer()

PLAYBOOK = """+++
id = "clockwork"
version = 1
title = "Clockwork"
keywords = ["late"]

[[roles]]
name = "Lead"
count = 1
[[roles]]
name = "Tweep"
count = 2

[shifts]
hours = 4
volunteers = true

[[escalation]]
after_minutes = 0
notify = ["role:Lead"]

[rules]
first_response_minutes = 60
approval = "lead"
banned_phrases = []

[[checklist]]
stage = "first-hour"
text = "Post the holding statement"
owner = "Lead"
due_minutes = 15
command = "statement.post"

[[checklist]]
stage = "first-hour"
text = "Fill the Tweep shifts for the day"
owner = "Tweep"
due_minutes = 20
command = "shift.open"

[[checklist]]
stage = "while-it-runs"
text = "Check every fact against operations"
owner = "Lead"
due_minutes = 90

[[checklist]]
stage = "closing"
text = "Write the hand-over"
owner = "Lead"

[[rhythm]]
kind = "public-update"
every = "30m"
while_negative_share_above = 0.4
owner = "Lead"

[[rhythm]]
kind = "briefing"
at = ["10:30"]
time_zone = "Europe/London"
owner = "Lead"
+++
Guidance.
"""

ANGRY = "This is terrible, awful service, I hate it, worst airline ever"
HAPPY = "Great, thank you so much, wonderful help, love it"


class Recorder:
    def __init__(self):
        self.sent = []

    def post(self, dest, text):
        self.sent.append((dest, text))


def at(m: int):
    return T0 + timedelta(minutes=m)


@pytest.fixture
def world(db):
    lea = make_user(db, "lea", "lead", slack_id="U_LEA")
    tia = make_user(db, "tia", "responder", slack_id="U_TIA")
    pb = playbooks.parse(PLAYBOOK, "clockwork.md")
    room = rooms.open_room(db, T0, lea, "Delays", playbook=pb)
    for slot in roster.slots(db, room.id):
        if slot.starts_at == iso(T0) and slot.role == "Lead":
            roster.sign_up(db, T0, lea, slot.id)
        if slot.starts_at == iso(T0) and slot.role == "Tweep":
            roster.sign_up(db, T0, tia, slot.id)
    return room, lea, tia


def say(db, room_id, minute, text, n):
    rows = [{"external_id": f"m{minute}-{i}", "source": "twitter", "author": f"u{i}", "text": text,
             "url": "", "created_at": iso(at(minute))} for i in range(n)]
    mentions.ingest(db, at(minute), room_id, mentions.validate(rows, at(minute)), SCORER)


def test_a_room_runs_through_its_checklist_and_rhythm(db, world):
    room, lea, tia = world
    slack = Recorder()
    notifications.notify(db, slack, "#crisis")  # the notifier's cursor starts here
    told = {}  # minute -> notices sent that minute
    script = {
        5: lambda: say(db, room.id, 5, ANGRY, 3),
        10: lambda: (rooms.facts.update_fact(db, at(10), lea, room.id, "We know; next update by 09:40.",
                                             kind="holding"),
                     runbook.mark(db, at(10), lea, room.id, 1)),
        15: lambda: say(db, room.id, 15, ANGRY, 2),
        25: lambda: runbook.mark(db, at(25), tia, room.id, 2),
        30: lambda: say(db, room.id, 30, ANGRY, 2),
        50: lambda: say(db, room.id, 50, HAPPY, 4),
        80: lambda: say(db, room.id, 80, ANGRY, 3),
        85: lambda: say(db, room.id, 85, ANGRY, 1),
        100: lambda: runbook.mark(db, at(100), lea, room.id, 4, "skipped", "the shift did not end"),
    }
    for m in range(0, 121):
        if m in script:
            script[m]()
        runbook.tick(db, at(m))
        before = len(slack.sent)
        notifications.notify(db, slack, "#crisis")
        told[m] = slack.sent[before:]
    rooms.close_room(db, at(121), lea, room.id)

    timeline = events.timeline(db, room.id)

    def minutes_of(kind, **match):
        return [_minute(e.ts) for e in timeline if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())]

    # Worked out by hand from the script:
    # public update every 30 min: the holding statement at 10 resets the clock (due 40);
    # 7 negative of 7 in [10, 40) -> reminder at 35, missed at 40; [40, 70) only happy
    # mentions -> 70 is quiet, no reminder at 65; [70, 100) 4 of 4 negative -> reminder
    # at 95, missed at 100; next due 130.
    # briefing at 10:30 London = 09:30 UTC = minute 30: no fact or internal update -> reminder 25, missed 30.
    assert minutes_of("rhythm.reminder", rhythm=1) == [35, 95]
    assert minutes_of("rhythm.missed", rhythm=1) == [40, 100]
    assert minutes_of("rhythm.reminder", rhythm=2) == [25]
    assert minutes_of("rhythm.missed", rhythm=2) == [30]
    # item 1 done at 10 (due 15): never overdue; item 2 due 20, done at 25: overdue at 20,
    # told to tia (on the Tweep shift); item 3 due 90, never done: overdue at 90, told to lea.
    assert minutes_of("checklist.item_overdue") == [20, 90]
    overdue = {e.data["item"]: e.data["users"] for e in timeline if e.kind == "checklist.item_overdue"}
    assert overdue == {2: ["tia"], 3: ["lea"]}
    assert any(dest == "U_TIA" and "Fill the Tweep shifts" in text for dest, text in told[20])
    assert any(dest == "U_LEA" and "Check every fact" in text for dest, text in told[90])
    assert not any(dest == "U_TIA" for dest, _ in told[90])

    report = postmortem.build_report(db, room.id, at(130))
    rb = report["runbook"]
    assert (rb["done"], rb["late"], rb["skipped"], rb["skipped_on_purpose"]) == (2, 1, 2, 1)
    assert rb["missed_updates"] == 3
    by_item = {i["number"]: i for i in rb["items"]}
    assert (by_item[1]["by"], by_item[1]["at"], by_item[1]["late"]) == ("lea", iso(at(10)), False)
    assert (by_item[2]["by"], by_item[2]["at"], by_item[2]["late"]) == ("tia", iso(at(25)), True)
    assert by_item[3]["state"] == "open" and by_item[4]["reason"] == "the shift did not end"
    public = rb["rhythm"][0]
    assert public["missed"] == [iso(at(40)), iso(at(100))] and public["quiet"] == [iso(at(70))]
    assert public["updates"] == 1
    md = postmortem.render.render(report, "md")
    assert "Checklist: 2 done (1 late), 2 skipped (1 on purpose) · updates: 1 posted, 3 missed" in md
    assert "| 2 | first-hour | Fill the Tweep shifts for the day | Tweep |" in md
    assert "the shift did not end" in postmortem.render.render(report, "html")


def _minute(ts: str) -> int:
    from warroom.clock import parse_iso

    return round((parse_iso(ts) - T0).total_seconds() / 60)


def test_a_room_keeps_the_checklist_of_its_pinned_version(db, world):
    room, lea, _tia = world
    newer = playbooks.parse(PLAYBOOK.replace('version = 1', 'version = 2')
                            .replace("Post the holding statement", "Post a statement"), "clockwork.md")
    playbooks.store.store(db, T0, newer, "lea", "test")
    assert playbooks.store.latest(db, "clockwork").version == 2
    items = runbook.room_checklist(db, room.id, at(1))
    assert items[0].text == "Post the holding statement"


def test_ticking_is_refused_in_a_closed_room_and_for_unknown_items(db, world):
    room, lea, _tia = world
    with pytest.raises(runbook.RunbookError) as bad:
        runbook.mark(db, at(1), lea, room.id, 99)
    assert bad.value.field == "item"
    with pytest.raises(runbook.RunbookError) as no_reason:
        runbook.mark(db, at(1), lea, room.id, 1, "skipped", "  ")
    assert no_reason.value.field == "reason"
    rooms.close_room(db, at(2), lea, room.id)
    with pytest.raises(rooms.RoomClosedError):
        runbook.mark(db, at(3), lea, room.id, 1)
