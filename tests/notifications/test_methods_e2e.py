"""End to end: a real `run.py serve`, a real SMTP server (aiosmtpd) and the
local ntfy/Twilio servers. The page e-mail is parsed, its ack link followed
over real HTTP (GET shows, POST acks), which stops the later SMS; and a
process killed (os._exit, which leaves the state as SIGKILL does) between
send and record, per method: ntfy and SMS are looked up and not sent
again, e-mail (no look-up) is sent again, as documented."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.conftest import Server, csrf_from, make_user, notify_env
from warroom import db as dbmod
from warroom import escalation, notifications, rooms
from warroom.clock import utcnow

pytestmark = pytest.mark.e2e


def _setup(db_url, rules):
    db = dbmod.connect(db_url)
    dbmod.migrate(db)
    now = utcnow()
    owner = make_user(db, "olga", "lead", now)
    ann = make_user(db, "ann", "responder", now)
    for kind, address, minute in rules:
        m = notifications.add_method(db, now, ann, kind, address)
        _, code = notifications.start_verification(db, now, ann, m.id)
        notifications.confirm_verification(db, now, ann, m.id, code)
        notifications.add_rule(db, now, ann, m.id, minute)
    room = rooms.open_room(db, now, owner, "Storm over Leeds")
    policy = escalation.Policy((escalation.PolicyStep(0, ("user:ann",)),), 0, "test")
    with dbmod.transaction(db):
        esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 100}, None)
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
    return db, esc.id


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def _env(smtp=None, ntfy=None, twilio=None, **extra):
    return {**notify_env(smtp, ntfy, twilio), "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1", **extra}


def test_page_email_ack_link_followed_over_http_stops_the_sms(tmp_path, smtp, twilio):
    srv = Server(tmp_path, extra_env=_env(smtp, twilio=twilio)).start()
    try:
        db, esc_id = _setup(srv.db_url, [("email", "ann@example.org", 0), ("sms", "+447700900123", 1)])
        mail = smtp.wait_for(1)[0]
        assert mail["To"] == "ann@example.org" and "Storm over Leeds" in mail["Subject"]
        link = re.search(r"(http://127\.0\.0\.1:\d+/ack/\S+)", mail.get_content()).group(1)
        assert link.startswith(srv.url)
        phone = requests.Session()  # not logged in
        shown = phone.get(link, timeout=10)
        assert shown.status_code == 200 and "Storm over Leeds" in shown.text
        assert db.execute("SELECT state FROM escalations WHERE id = ?", [esc_id]).fetchone()[0] == "open"
        done = phone.post(link, data={"csrf_token": csrf_from(shown.text)}, timeout=10)
        assert done.status_code == 200 and "Acknowledged" in done.text
        assert db.execute("SELECT acked_by FROM escalations WHERE id = ?", [esc_id]).fetchone()[0] == "ann"
        # the e-mail that reached ann is told who took it; the SMS (minute 1) is cancelled, never sent
        note = smtp.wait_for(2)[1]
        assert "acknowledged by ann" in note.get_content()
        assert _wait(lambda: db.execute("SELECT state FROM page_deliveries WHERE kind = 'sms'").fetchone()[0]
                     == "cancelled")
        assert twilio.messages == []
        assert phone.post(link, data={"csrf_token": csrf_from(shown.text)}, timeout=10).status_code == 410
        db.close()
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["ntfy", "sms", "email"])
def test_killed_between_send_and_record(tmp_path, smtp, ntfy, twilio, kind):
    address = {"ntfy": "pager-ann", "sms": "+447700900123", "email": "ann@example.org"}[kind]
    received = {"ntfy": lambda: len(ntfy.published("pager-ann")), "sms": lambda: len(twilio.messages),
                "email": lambda: len(smtp.messages)}[kind]
    srv = Server(tmp_path, extra_env=_env(smtp, ntfy, twilio, WARROOM_FAULT="after_send")).start()
    db, _ = _setup(srv.db_url, [(kind, address, 0)])
    assert srv.proc.wait(30) == 137  # os._exit right after the send, before recording it
    srv.stop()
    assert received() == 1
    assert db.execute("SELECT state FROM page_deliveries").fetchone()[0] == "sending"
    again = Server(tmp_path, extra_env=_env(smtp, ntfy, twilio), db_url=srv.db_url).start()
    try:
        _wait(lambda: db.execute("SELECT state FROM page_deliveries").fetchone()[0] == "sent")
        # looked up where the service allows it; e-mail has no look-up: at least once
        assert received() == (2 if kind == "email" else 1)
        recovered = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'delivery.sent'"
                               " AND data LIKE '%\"recovered\":true%'").fetchone()[0]
        assert recovered == 1
    finally:
        again.stop()
        db.close()
