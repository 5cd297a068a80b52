"""Paging through the real slack-sdk against tests/slack_server.py, on a fixed
clock with the tick called directly: the on-shift role is paged, no ack
climbs, 429s wait for Retry-After, exhausted tries climb at once, throttling
bundles, acks close the loop, and crashed claims are recovered once."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.conftest import ROOT, make_user
from warroom import escalation, events, playbooks, rooms, roster
from warroom.clock import iso
from warroom.db import transaction
from warroom.escalation import paging

CFG = paging.PagingConfig(max_tries=2, backoff_seconds=30, throttle_per_15min=3, stale_seconds=60)


def _playbook_room(db, now):
    owner = make_user(db, "olga", "lead", now, slack_id="U0OLGA")
    pb = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    room = rooms.open_room(db, now, owner, "Ash cloud", playbook=pb)
    ann = make_user(db, "ann", "lead", now, slack_id="U0ANN")  # the Lead slot needs a lead here
    lead_slot = next(s for s in roster.slots(db, room.id) if s.role == "Lead" and s.starts_at <= iso(now))
    roster.sign_up(db, now, ann, lead_slot.id)
    return room, owner, ann


def _tick(db, now, sender, token="host:1:a", cfg=CFG, **kw):
    # claimers whose token says "dead" are gone; every other claimer is at work
    return paging.tick(db, now, sender, cfg, token, alive=lambda t, stale: "dead" not in t, **kw)


def test_spike_pages_the_on_shift_role_by_dm_with_buttons(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 120, "expected": 8.0}, None)
    result = _tick(db, now, sender)
    assert result.issued == 1 and len(result.sent) == 1
    assert slack.calls_to("conversations.open")[0]["body"]["users"] == "U0ANN"
    post = slack.posted()[0]
    assert post["channel"] == "DU0ANN"
    assert post["metadata"]["event_payload"]["page_key"]
    buttons = post["blocks"][1]["elements"]
    assert buttons[0]["action_id"] == "escalation.ack" and buttons[0]["value"] == str(esc.id)
    assert buttons[1]["url"] == f"http://board.test/rooms/{room.id}"
    assert slack.calls_to("chat.postMessage")[0]["auth"] == "Bearer xoxb-test"
    sent = [e for e in events.timeline(db, room.id) if e.kind == "page.sent"]
    assert sent[0].data["recipient"] == "user:ann" and sent[0].data["target"] == "role:Lead"


def test_a_real_spike_pages_the_on_shift_lead(db, now, slack, sender):
    from warroom.listening import mentions, sentiment, spikes

    room, _, _ = _playbook_room(db, now)
    make_user(db, "ben", "responder", now, slack_id="U0BEN")  # not on shift: not paged
    params, scorer, n = spikes.Params(warmup_minutes=10), sentiment.Scorer(), 0

    def minute(m, k):
        nonlocal n
        batch = []
        for i in range(k):
            n += 1
            batch.append(mentions.NewMention("x", str(n), "a", "stranded again, flight cancelled", "",
                                             iso(now + timedelta(minutes=m, seconds=i % 60)),
                                             None, None))
        mentions.ingest(db, now + timedelta(minutes=m), room.id, batch, scorer, detector_params=params)

    for m in range(40):
        minute(m, 2)
    minute(40, 300)
    minute(41, 2)  # closes minute 40: the alarm
    assert escalation.open_for_room(db, room.id).reason == "spike"
    result = _tick(db, now + timedelta(minutes=41), sender)
    assert len(result.sent) == 1
    assert [p["channel"] for p in slack.posted()] == ["DU0ANN"]  # the Lead on shift, nobody else


def test_no_ack_climbs_to_step_two_at_the_right_time(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    escalation.open_escalation(db, now, room.id, "spike", {}, None)
    _tick(db, now, sender)
    assert len(slack.posted()) == 1
    _tick(db, now + timedelta(minutes=9, seconds=59), sender)
    assert len(slack.posted()) == 1  # not yet
    result = _tick(db, now + timedelta(minutes=10), sender)
    assert len(result.sent) == 2
    channels = sorted(p["channel"] for p in slack.posted()[1:])
    assert channels == ["C0CRISIS", "DU0OLGA"]  # room-owner and channel:#crisis


def test_acknowledge_stops_the_climb_and_closes_the_loop(db, now, slack, sender):
    room, owner, ann = _playbook_room(db, now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    _tick(db, now, sender)
    escalation.acknowledge(db, now + timedelta(minutes=2), esc.id, ann)
    result = _tick(db, now + timedelta(minutes=2), sender)
    assert result.updated == 1
    update = slack.calls_to("chat.update")[0]["body"]
    assert update["channel"] == "DU0ANN" and "acknowledged by" in update["text"].lower()
    assert "ann" in update["text"]
    _tick(db, now + timedelta(hours=2), sender)
    assert len(slack.posted()) == 1  # nobody else paged after the ack


def test_429_is_retried_after_retry_after(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    escalation.open_escalation(db, now, room.id, "spike", {}, None)
    slack.fail("chat.postMessage", 429, times=1, retry_after=1)
    result = _tick(db, now, sender)
    assert len(result.sent) == 1
    calls = slack.calls_to("chat.postMessage")
    assert [c["status"] for c in calls] == [429, 200]
    assert calls[1]["at"] - calls[0]["at"] >= 0.9  # it waited for Retry-After: 1


def test_after_the_tries_run_out_the_next_step_goes_out(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    escalation.open_escalation(db, now, room.id, "spike", {}, None)
    slack.fail("chat.postMessage", 500, times=2)
    r1 = _tick(db, now, sender)
    assert r1.retrying and not r1.sent
    assert not _tick(db, now + timedelta(seconds=29), sender).failed  # backing off
    r2 = _tick(db, now + timedelta(seconds=30), sender)
    assert r2.failed
    failed = [e for e in events.timeline(db, room.id) if e.kind == "page.failed"]
    assert failed and failed[0].data["attempts"] == 2
    r3 = _tick(db, now + timedelta(seconds=31), sender)  # step 2 at once, not at 10 minutes
    assert sorted(p["channel"] for p in slack.posted()) == ["C0CRISIS", "DU0OLGA"]
    assert len(r3.sent) == 2


def test_throttle_bundles_pages_beyond_the_limit(db, now, slack, sender):
    owner = make_user(db, "olga", "lead", now)
    make_user(db, "bob", "responder", now, slack_id="U0BOB")
    pol = escalation.Policy((escalation.PolicyStep(0, ("user:bob",)),), 0, "t")
    for i in range(6):
        room = rooms.open_room(db, now, owner, f"Room {i}")
        esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
        with transaction(db):
            db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [pol.to_json(), esc.id])
    _tick(db, now, sender)
    posts = slack.posted()
    assert len(posts) == 3  # at most 3 messages in 15 minutes
    assert "+3 more" in posts[2]["text"]  # the third carries itself and three more
    states = sorted(r[0] for r in db.execute("SELECT state FROM pages"))
    assert states == ["sent"] * 6
    # a seventh page inside the window waits, and goes out when the window frees
    room = rooms.open_room(db, now, owner, "Room 7")
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    with transaction(db):
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [pol.to_json(), esc.id])
    _tick(db, now + timedelta(minutes=5), sender)
    assert len(slack.posted()) == 3
    assert db.execute("SELECT state FROM pages WHERE escalation_id = ?", [esc.id]).fetchone()[0] == "held"
    _tick(db, now + timedelta(minutes=15, seconds=1), sender)
    assert len(slack.posted()) == 4


def test_plan_throttle_is_pure():
    assert paging.plan_throttle([1, 2], 0, 3) == ([1, 2], None, [], [])
    assert paging.plan_throttle([1, 2, 3, 4], 1, 3) == ([1], 2, [3, 4], [])
    assert paging.plan_throttle([1, 2], 3, 3) == ([], None, [], [1, 2])


def test_crash_after_send_is_recovered_without_sending_again(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    escalation.open_escalation(db, now, room.id, "spike", {}, None)
    escalation.issue_due_steps(db, now)
    dead = "host:999:dead"
    [page_id] = paging.claim_due(db, now, dead, CFG)
    sender.send_page(paging.message_for(db, page_id))  # sent, then the claimer "died"
    assert len(slack.posted()) == 1
    result = _tick(db, now + timedelta(seconds=1), sender, token="host:2:b")
    assert result.recovered == [page_id] and result.sent == [page_id]
    assert len(slack.posted()) == 1
    assert slack.calls_to("conversations.history")
    ev = [e for e in events.timeline(db, room.id) if e.kind == "page.sent"][0]
    assert ev.data["recovered"] is True


def test_crash_after_claim_is_recovered_by_sending_once(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    escalation.open_escalation(db, now, room.id, "spike", {}, None)
    escalation.issue_due_steps(db, now)
    [page_id] = paging.claim_due(db, now, "host:999:dead", CFG)
    result = _tick(db, now + timedelta(seconds=1), sender, token="host:2:b")
    assert result.sent == [page_id] and len(slack.posted()) == 1
    _tick(db, now + timedelta(seconds=2), sender, token="host:3:c")
    assert len(slack.posted()) == 1


def test_live_claims_are_not_taken_over(db, now, slack, sender):
    room, _, _ = _playbook_room(db, now)
    escalation.open_escalation(db, now, room.id, "spike", {}, None)
    escalation.issue_due_steps(db, now)
    paging.claim_due(db, now, "host:1:alive", CFG)
    r = paging.tick(db, now, sender, CFG, "host:2:b", alive=lambda t, stale: not stale)
    assert r.recovered == [] and slack.posted() == []


def test_concurrent_ticks_send_each_page_once(settings, now, slack, sender):
    from warroom import db as dbmod

    main = dbmod.connect(settings.db_url)
    dbmod.migrate(main)
    owner = make_user(main, "olga", "lead", now)
    pol = escalation.Policy((escalation.PolicyStep(0, ("channel:#crisis", "channel:#general")),), 0, "t")
    for i in range(15):
        room = rooms.open_room(main, now, owner, f"Room {i}")
        esc = escalation.open_escalation(main, now, room.id, "spike", {}, None)
        with transaction(main):
            main.execute("UPDATE escalations SET policy = ? WHERE id = ?", [pol.to_json(), esc.id])
    errors = []

    def worker(n):
        conn = dbmod.connect(settings.db_url)
        try:
            for _ in range(3):
                _tick(conn, now, sender, token=f"host:{n}:t")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    keys = [p["metadata"]["event_payload"]["page_key"] for p in slack.posted()]
    assert len(keys) == 30 and len(set(keys)) == 30
    main.close()


def test_a_crashed_claim_of_an_acknowledged_escalation_is_not_sent(db, now, slack, sender):
    room, _, ann = _playbook_room(db, now)
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    escalation.issue_due_steps(db, now)
    [page_id] = paging.claim_due(db, now, "host:999:dead", CFG)
    escalation.acknowledge(db, now, esc.id, ann)
    result = _tick(db, now + timedelta(seconds=1), sender, token="host:2:b")
    assert result.recovered == [page_id] and slack.posted() == []
    assert db.execute("SELECT state FROM pages WHERE id = ?", [page_id]).fetchone()[0] == "cancelled"


def test_claimer_alive_checks_the_pid_on_this_host():
    import os
    import socket
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = f"{socket.gethostname()}:{done.stdout.strip()}:x"
    assert paging.claimer_alive(gone, stale=False) is False  # that process has exited
    parent = f"{socket.gethostname()}:{os.getppid()}:x"
    assert paging.claimer_alive(parent, stale=False) is True
    assert paging.claimer_alive(parent, stale=True) is False
    assert paging.claimer_alive("elsewhere:1:x", stale=False) is True
    assert paging.claimer_alive(f"{socket.gethostname()}:{os.getpid()}:not-ours", stale=False) is False
