"""Real `run.py serve` processes, real HTTP, the real slack-sdk against
tests/slack_server.py: signed interactions and slash commands, crash
recovery across a kill between claim and send (or just after the send), and
two scheduler processes sharing one database."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from slack_sdk.signature import SignatureVerifier

from tests.conftest import Server, make_user, shipped_version
from warroom import accounts, escalation, rooms
from warroom import db as dbmod
from warroom.clock import utcnow

SECRET = "test-signing-secret"


def _env(slack, **extra):
    return {"SLACK_BOT_TOKEN": "xoxb-e2e", "SLACK_SIGNING_SECRET": SECRET,
            "WARROOM_SLACK_BASE_URL": slack.url, "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1",
            "WARROOM_ESCALATION_BACKOFF_SECONDS": "1",
            # these tests count pages; the rooms' own channels have theirs (test_room_channels_e2e)
            "WARROOM_SLACK_ROOM_CHANNELS": "false", **extra}


def _setup(db_url, targets=("user:ann",), rooms_n=1, steps=None, pause=0.0):
    """Users, rooms and open escalations written straight into the server's database
    (the test policy in the escalation's own transaction, so no tick sees another)."""
    db = dbmod.connect(db_url)
    dbmod.migrate(db)
    now = utcnow()
    owner = make_user(db, "olga", "lead", now, slack_id="U0OLGA")
    make_user(db, "ann", "responder", now, slack_id="U0ANN")
    policy = escalation.Policy(steps or (escalation.PolicyStep(0, tuple(targets)),), 0, "test")
    ids = []
    for i in range(rooms_n):
        room = rooms.open_room(db, now, owner, f"Storm {i}")
        with dbmod.transaction(db):
            esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 100 + i}, None)
            db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
        ids.append(esc.id)
        time.sleep(pause)
    return db, ids


def _signed(body: str, ts: int | None = None, secret: str = SECRET) -> dict:
    ts = int(time.time()) if ts is None else ts
    sig = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded"}


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def _state(db, esc_id):
    return db.execute("SELECT state FROM escalations WHERE id = ?", [esc_id]).fetchone()[0]


def test_signed_interaction_acks_a_bad_signature_changes_nothing_and_slash_commands(tmp_path, slack):
    srv = Server(tmp_path, extra_env=_env(slack)).start()
    try:
        steps = (escalation.PolicyStep(0, ("user:ann",)), escalation.PolicyStep(1, ("user:olga",)))
        db, [esc_id] = _setup(srv.db_url, steps=steps)
        page = slack.wait_for("chat.postMessage", 1)[0]["body"]
        assert page["channel"] == "DU0ANN"
        button = page["blocks"][1]["elements"][0]
        payload = {"type": "block_actions", "user": {"id": "U0ANN"},
                   "actions": [{"action_id": button["action_id"], "value": button["value"]}]}
        body = urlencode({"payload": json.dumps(payload)})

        bad = requests.post(srv.url + "/slack/interactions", data=body,
                            headers=_signed(body, secret="not-the-secret"), timeout=10)
        assert bad.status_code == 401
        stale = requests.post(srv.url + "/slack/interactions", data=body,
                              headers=_signed(body, ts=int(time.time()) - 301), timeout=10)
        assert stale.status_code == 401
        assert _state(db, esc_id) == "open"  # nothing changed

        ok = requests.post(srv.url + "/slack/interactions", data=body, headers=_signed(body), timeout=10)
        assert ok.status_code == 200 and "You took escalation" in ok.json()["text"]
        assert _state(db, esc_id) == "acknowledged"
        update = slack.wait_for("chat.update", 1)[0]["body"]  # close the loop
        assert update["ts"] and "ann" in update["text"]
        # the climb stopped: step 2 (due a minute later) never goes out
        row = db.execute("SELECT next_at FROM escalations WHERE id = ?", [esc_id]).fetchone()
        assert row[0] is None
        assert escalation.issue_due_steps(db, utcnow() + timedelta(minutes=5)) == []
        assert len(slack.calls_to("chat.postMessage")) == 1

        # an unknown Slack user is refused politely; a second ack is explained
        payload["user"]["id"] = "U0STRANGER"
        body2 = urlencode({"payload": json.dumps(payload)})
        resp = requests.post(srv.url + "/slack/interactions", data=body2, headers=_signed(body2), timeout=10)
        assert resp.status_code == 200 and "not linked" in resp.json()["text"]
        _slash_commands(srv, db)
        db.close()
    finally:
        srv.stop()


def _slash_commands(srv, db):
    """The same server (one start-up less): /warroom status, ack, page, open."""
    room = rooms.open_room(db, utcnow(), accounts.find_user(db, "olga"), "Hail")
    esc_id = escalation.open_escalation(db, utcnow(), room.id, "spike", {}, None).id

    def command(text, user="U0OLGA", secret=SECRET):
        body = urlencode({"command": "/warroom", "text": text, "user_id": user})
        return requests.post(srv.url + "/slack/commands", data=body, headers=_signed(body, secret=secret),
                             timeout=10)

    assert command("status", secret="wrong").status_code == 401
    status = command("status").json()["text"]
    assert f"#{esc_id}" in status and "1 escalation" in status
    assert "not linked" in command("status", user="U0NOBODY").json()["text"]
    assert "lead role" in command("open Flood", user="U0ANN").json()["text"]
    assert "No playbook `Flood`" in command("open Flood in Leeds").json()["text"]  # a playbook, not a bare room
    opened = command("open mass-disruption Flood in Leeds").json()
    assert f"opened from mass-disruption v{shipped_version('mass-disruption')}: Flood in Leeds" in opened["text"]
    assert "You took escalation" in command(f"ack {esc_id}", user="U0ANN").json()["text"]
    assert _state(db, esc_id) == "acknowledged"
    assert "already acknowledged by ann" in command(f"ack {esc_id}").json()["text"]
    room_id = db.execute("SELECT MAX(id) FROM rooms").fetchone()[0]
    assert "Paging for Flood in Leeds" in command(f"page {room_id} all hands").json()["text"]
    assert escalation.open_for_room(db, room_id).reason == "manual"


@pytest.mark.parametrize("fault", ["after_claim", "after_send"])
def test_crash_between_claim_and_send_sends_every_page_once(tmp_path, slack, fault):
    srv = Server(tmp_path, extra_env=_env(slack, WARROOM_FAULT=fault)).start()
    db, _ = _setup(srv.db_url, targets=("user:ann", "channel:#crisis", "channel:#general"))
    assert srv.proc.wait(30) == 137  # died at the fault point
    srv.stop()
    before = len(slack.posted())
    assert before == (1 if fault == "after_send" else 0)
    states = [r[0] for r in db.execute("SELECT state FROM pages ORDER BY id")]
    left = states.count("sending")
    assert left >= 1  # the crash left claims behind (one tick claims all due pages)

    again = Server(tmp_path, extra_env=_env(slack), db_url=srv.db_url).start()
    try:
        _wait(lambda: [r[0] for r in db.execute("SELECT state FROM pages")] == ["sent"] * 3)
        keys = [p["metadata"]["event_payload"]["page_key"] for p in slack.posted()]
        assert len(keys) == 3 and len(set(keys)) == 3  # every page sent, none twice
        recovered = db.execute(
            "SELECT COUNT(*) FROM events WHERE kind = 'page.sent' AND data LIKE '%\"recovered\":true%'"
        ).fetchone()[0]
        assert recovered == left
    finally:
        again.stop()
        db.close()


def test_two_scheduler_processes_send_each_page_once(tmp_path, slack):
    a = Server(tmp_path, extra_env=_env(slack))
    dbmod.migrate(a.db())  # before two processes race to create the schema
    b = Server(tmp_path, extra_env=_env(slack), db_url=a.db_url)
    starting = threading.Thread(target=b.start)
    starting.start()  # start both at once: each start-up takes seconds here
    a.start()
    starting.join()
    try:
        # escalations spread over ~2 s so that both processes' 1 s ticks find due pages
        db, ids = _setup(a.db_url, targets=("channel:#crisis", "channel:#general"), rooms_n=12, pause=0.15)
        _wait(lambda: db.execute("SELECT COUNT(*) FROM pages WHERE state = 'sent'").fetchone()[0] == 24)
        time.sleep(1.2)  # one more tick each: nothing may be sent again
        keys = [p["metadata"]["event_payload"]["page_key"] for p in slack.posted()]
        assert len(keys) == 24 and len(set(keys)) == 24
        db.close()
    finally:
        a.stop()
        b.stop()


def test_sigkill_while_slack_holds_the_answer_sends_once(tmp_path, slack):
    """A real SIGKILL: Slack has taken the message but the server never hears back."""
    import signal

    slack.delay("chat.postMessage", 60)
    srv = Server(tmp_path, extra_env=_env(slack)).start()
    db, _ = _setup(srv.db_url, targets=("channel:#crisis",))
    slack.wait_for("chat.postMessage", 1)
    srv.proc.send_signal(signal.SIGKILL)
    assert srv.proc.wait(10) == -signal.SIGKILL
    srv.stop()
    assert [r[0] for r in db.execute("SELECT state FROM pages")] == ["sending"]
    slack.delay("chat.postMessage", 0)
    again = Server(tmp_path, extra_env=_env(slack), db_url=srv.db_url).start()
    try:
        _wait(lambda: [r[0] for r in db.execute("SELECT state FROM pages")] == ["sent"])
        assert len(slack.calls_to("chat.postMessage")) == 1  # found in the history, not sent again
        assert slack.calls_to("conversations.history")
    finally:
        again.stop()
        db.close()
