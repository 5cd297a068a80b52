"""SIGKILL from outside, between a method's send and its record, for every
contact method: a real `run.py serve` with its scheduler pages a person whose
rules fire Slack DM, e-mail, ntfy, SMS, voice and a chat webhook at minute 0.
``WARROOM_HOLD_AFTER_SEND`` holds the process after a send and before it is
recorded (a FIFO barrier, not a sleep); the test kills it with SIGKILL and
restarts it.

One process sends its deliveries one after another, so one kill catches one
method in that window. The test chains them in one run: each restart
recovers the delivery the last kill caught (and the others the dead process
had claimed) and is killed again at the next method's first send, until all
are recorded. Per method: nothing sent twice where the service can be asked
(Slack, ntfy, SMS), no second call, and e-mail and webhook (no look-up) sent
at most once more, the repeat carrying the same ``ref`` line."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import Server, make_user, notify_env
from warroom import db as dbmod
from warroom import escalation, notifications, rooms
from warroom.clock import utcnow

pytestmark = pytest.mark.e2e

ADDRESSES = {"slack": "U0ANN", "email": "ann@example.org", "ntfy": "pager-ann", "sms": "+447700900123",
             "voice": "+447700900124"}


def _setup(db_url, hook_url):
    db = dbmod.connect(db_url)
    dbmod.migrate(db)
    now = utcnow()
    owner = make_user(db, "olga", "lead", now)
    ann = make_user(db, "ann", "responder", now)
    for kind, address in [*ADDRESSES.items(), ("webhook", hook_url)]:
        m = notifications.add_method(db, now, ann, kind, address)
        _, code = notifications.start_verification(db, now, ann, m.id)
        notifications.confirm_verification(db, now, ann, m.id, code)
        notifications.add_rule(db, now, ann, m.id, 0)
    room = rooms.open_room(db, now, owner, "Storm over Leeds")
    policy = escalation.Policy((escalation.PolicyStep(0, ("user:ann",)),), 0, "test")
    with dbmod.transaction(db):  # the test policy in the escalation's own transaction: no tick sees another
        esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 100}, None)
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
    return db


def _held(folder) -> set[str]:
    return {p.name.removeprefix("held-") for p in folder.iterdir() if p.name.startswith("held-")}


def _all_sent(db) -> bool:
    states = [r[0] for r in db.execute("SELECT state FROM page_deliveries")]
    return len(states) == 6 and set(states) == {"sent"}


def _until(predicate, srv: Server, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if srv.proc.poll() is not None:
            raise AssertionError(f"server exited: {srv.output()[-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out; server log: {srv.output()[-2000:]}")


def test_sigkill_between_send_and_record_for_every_method(tmp_path, slack, smtp, ntfy, twilio, teams):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**notify_env(smtp, ntfy, twilio), "SLACK_BOT_TOKEN": "xoxb-e2e", "WARROOM_SLACK_BASE_URL": slack.url,
           "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1", "WARROOM_HOLD_AFTER_SEND": str(barrier)}
    srv = Server(tmp_path, extra_env=env).start()
    db = _setup(srv.db_url, teams.url + "/hook")
    keys = {}  # kind -> the delivery's send_key
    killed = []  # the kind each kill caught, in order
    try:
        while True:
            # one more message sent and not recorded (a new held- file), or nothing left to send
            state = _until(lambda: (_held(barrier) - {keys[k] for k in killed}) or _all_sent(db), srv)
            if state is True:
                break
            [key] = state
            keys.update(dict(db.execute("SELECT kind, send_key FROM page_deliveries")))
            kind = next(k for k, v in keys.items() if v == key)
            assert db.execute("SELECT state FROM page_deliveries WHERE send_key = ?", [key]).fetchone()[0] \
                == "sending"  # sent, not recorded
            os.kill(srv.proc.pid, signal.SIGKILL)
            assert srv.proc.wait(10) == -signal.SIGKILL
            srv.stop()
            killed.append(kind)
            assert len(killed) <= 6, killed
            srv = Server(tmp_path, extra_env=env, db_url=srv.db_url).start()
    finally:
        srv.stop()
    # every method was caught in the window by a kill, each once
    assert sorted(killed) == sorted([*ADDRESSES, "webhook"])

    slack_dm = [p for p in slack.posted() if (p.get("metadata") or {}).get("event_payload", {}).get("page_key")
                == keys["slack"]]
    ntfy_got = [m for m in ntfy.published("pager-ann") if f"wr-{keys['ntfy']}" in m["tags"]]
    sms = [m for m in twilio.messages if m["to"] == ADDRESSES["sms"]]
    calls = [c for c in twilio.calls_made if c["to"] == ADDRESSES["voice"]]
    assert (len(slack_dm), len(ntfy_got), len(sms), len(calls)) == (1, 1, 1, 1)  # looked up, not sent again
    # no look-up: the recovery sent them again, once, with the same ref line
    mails = [m.get_content() for m in smtp.messages if m["Subject"].startswith("Warroom page")]
    hooks = [p["text"] for p in teams.posted()]
    for got, kind in ((mails, "email"), (hooks, "webhook")):
        assert len(got) == 2, (kind, len(got))
        refs = {line for text in got for line in text.splitlines() if line.startswith("ref ")}
        assert refs == {f"ref {keys[kind][:10]}"}
    rows = dict(db.execute("SELECT kind, state FROM page_deliveries"))
    assert set(rows.values()) == {"sent"}
    recovered = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'delivery.sent'"
                           " AND data LIKE '%\"recovered\":true%'").fetchone()[0]
    assert recovered == 6
    db.close()


def test_sigkill_between_send_and_record_of_a_plain_slack_page(tmp_path, slack):
    """A person without rules is paged by Slack DM (``escalation.paging``): the same
    barrier, the same kill; the restart finds the message and does not post it again."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {"SLACK_BOT_TOKEN": "xoxb-e2e", "WARROOM_SLACK_BASE_URL": slack.url,
           "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1", "WARROOM_HOLD_AFTER_SEND": str(barrier)}
    srv = Server(tmp_path, extra_env=env).start()
    db = srv.db()
    dbmod.migrate(db)
    now = utcnow()
    owner = make_user(db, "olga", "lead", now)
    make_user(db, "ann", "responder", now, slack_id="U0ANN")
    room = rooms.open_room(db, now, owner, "Storm over Leeds")
    with dbmod.transaction(db):
        esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 100}, None)
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?",
                   [escalation.Policy((escalation.PolicyStep(0, ("user:ann",)),), 0, "t").to_json(), esc.id])
    try:
        [key] = _until(lambda: _held(barrier), srv)
        assert db.execute("SELECT state FROM pages WHERE send_key = ?", [key]).fetchone()[0] == "sending"
        os.kill(srv.proc.pid, signal.SIGKILL)
        assert srv.proc.wait(10) == -signal.SIGKILL
        srv.stop()
        srv = Server(tmp_path, extra_env=env, db_url=srv.db_url).start()
        _until(lambda: db.execute("SELECT state FROM pages").fetchone()[0] == "sent", srv)
    finally:
        srv.stop()
    pages = [p for p in slack.posted() if (p.get("metadata") or {}).get("event_payload", {}).get("page_key") == key]
    assert len(pages) == 1
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'page.sent'"
                      " AND data LIKE '%\"recovered\":true%'").fetchone()[0] == 1
    db.close()
