"""Pages through each person's notification rules, on a fixed clock with the
tick called directly, against the real slack-sdk (tests/slack_server.py), a
real SMTP server (aiosmtpd) and local ntfy/Twilio servers: each method at its
minute, an ack stops every later method and step, a failing method backs
off and then hands over to the next rule, crashed claims are looked up."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import make_user
from warroom import escalation, events, notifications, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.escalation import acklinks, deliveries, paging

CFG = paging.PagingConfig(max_tries=2, backoff_seconds=30, throttle_per_15min=3, stale_seconds=60)
KEY = "test-secret"


def verified(db, now, user, kind, address):
    method = notifications.add_method(db, now, user, kind, address)
    _, code = notifications.start_verification(db, now, user, method.id)
    return notifications.confirm_verification(db, now, user, method.id, code)


def _room(db, now, steps=((0, "user:ann"), (10, "user:olga"))):
    olga = make_user(db, "olga", "lead", now, slack_id="U0OLGA")
    ann = make_user(db, "ann", "responder", now, slack_id="U0ANN")
    room = rooms.open_room(db, now, olga, "Ash cloud")
    policy = escalation.Policy(tuple(escalation.PolicyStep(m, (t,)) for m, t in steps), 0, "test")
    with transaction(db):
        esc = escalation.open_escalation(db, now, room.id, "spike", {"value": 120}, None)
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
    return room, esc, ann, olga


def _rules(db, now, ann, spec):
    for kind, address, minute in spec:
        m = verified(db, now, ann, kind, address)
        notifications.add_rule(db, now, ann, m.id, minute)


def _tick(db, now, senders, token="host:1:a"):
    link_for = acklinks.link_maker(KEY, "http://board.test", lambda: now, 24)
    return paging.tick(db, now, None, CFG, token, alive=lambda t, stale: "dead" not in t,
                       senders=senders, link_for=link_for)


def test_slack_0_email_2_sms_5_and_an_ack_at_3_stops_sms_and_the_next_step(
        db, now, slack, smtp, twilio, method_senders):
    room, esc, ann, olga = _room(db, now)
    _rules(db, now, ann, [("slack", "U0ANN", 0), ("email", "ann@example.org", 2), ("sms", "+447700900123", 5)])
    sent_at = {}
    for minute in range(0, 3):
        _tick(db, now + timedelta(minutes=minute), method_senders)
        sent_at[minute] = (len(slack.posted()), len(smtp.messages), len(twilio.messages))
    assert sent_at == {0: (1, 0, 0), 1: (1, 0, 0), 2: (1, 1, 0)}
    assert slack.posted()[0]["channel"] == "DU0ANN"
    page_mail = smtp.messages[0]
    assert page_mail["To"] == "ann@example.org" and "Ash cloud" in page_mail["Subject"]
    assert "http://board.test/ack/" in page_mail.get_content()

    escalation.acknowledge(db, now + timedelta(minutes=3), esc.id, ann)
    for minute in range(3, 16):
        _tick(db, now + timedelta(minutes=minute), method_senders)
    assert twilio.messages == []  # the SMS at minute 5 never went
    assert [p["channel"] for p in slack.posted()] == ["DU0ANN"]  # olga's step at 10 never went
    assert db.execute("SELECT COUNT(*) FROM pages WHERE recipient = 'user:olga'").fetchone()[0] == 0
    states = {d.kind: (d.state, d.sent_at) for d in deliveries.for_recipient(db, "user:ann")}
    assert states == {"slack": ("sent", iso(now)), "email": ("sent", iso(now + timedelta(minutes=2))),
                      "sms": ("cancelled", None)}
    # everyone reached hears who took it: the Slack message is updated, the e-mail gets a note
    assert "acknowledged by" in slack.calls_to("chat.update")[0]["body"]["text"].lower()
    assert len(smtp.messages) == 2 and "acknowledged by ann" in smtp.messages[1].get_content()


def test_a_failing_method_backs_off_then_the_next_rule_fires_at_once(db, now, ntfy, twilio, method_senders):
    room, esc, ann, _ = _room(db, now, steps=((0, "user:ann"),))
    _rules(db, now, ann, [("ntfy", "pager-ann", 0), ("sms", "+447700900123", 10)])
    ntfy.fail(times=10, status=500)
    r0 = _tick(db, now, method_senders)
    assert r0.retrying_deliveries and not twilio.messages
    r1 = _tick(db, now + timedelta(seconds=30), method_senders)  # the back-off: 30 s, then max_tries=2
    assert r1.failed_deliveries and len(twilio.messages) == 1  # minute 10's SMS went now, at 0:30
    failed = [e for e in events.timeline(db, room.id) if e.kind == "delivery.failed"]
    assert failed[0].data["kind"] == "ntfy" and failed[0].data["recipient"] == "user:ann"
    assert "(ref " in twilio.messages[0]["body"]
    code = db.execute("SELECT ack_code FROM pages").fetchone()[0]
    assert f"Reply {code}" in twilio.messages[0]["body"]
    assert escalation.get(db, esc.id).state == "open"


def test_every_method_failing_fails_the_page_and_climbs(db, now, teams, method_senders):
    room, esc, ann, olga = _room(db, now)
    _rules(db, now, ann, [("teams", teams.url + "/hook", 0)])
    teams.fail(times=1, status=404)  # a 4xx is permanent: no retry
    _tick(db, now, method_senders)
    assert db.execute("SELECT state FROM pages WHERE recipient = 'user:ann'").fetchone()[0] == "failed"
    assert escalation.get(db, esc.id).next_at == iso(now)  # olga's step brought forward


def test_a_crashed_sms_delivery_is_looked_up_not_resent(db, now, twilio, method_senders):
    room, esc, ann, _ = _room(db, now, steps=((0, "user:ann"),))
    _rules(db, now, ann, [("sms", "+447700900123", 0)])

    def die(at, key=None):
        if at == "after_send":
            raise SystemExit("killed between send and record")

    link_for = acklinks.link_maker(KEY, "http://board.test", lambda: now, 24)
    try:
        paging.tick(db, now, None, CFG, "host:1:dead", alive=lambda t, s: "dead" not in t,
                    senders=method_senders, link_for=link_for, fault=die)
    except SystemExit:
        pass
    assert len(twilio.messages) == 1
    assert db.execute("SELECT state FROM page_deliveries").fetchone()[0] == "sending"
    result = _tick(db, now + timedelta(seconds=5), method_senders, token="host:2:b")
    assert result.recovered_deliveries and len(twilio.messages) == 1  # found by its ref, not sent again
    assert db.execute("SELECT state, ref FROM page_deliveries").fetchone() == ("sent", twilio.messages[0]["sid"])


def test_a_crashed_email_delivery_is_sent_again_at_least_once(db, now, smtp, method_senders):
    room, esc, ann, _ = _room(db, now, steps=((0, "user:ann"),))
    _rules(db, now, ann, [("email", "ann@example.org", 0)])

    def die(at, key=None):
        if at == "after_send":
            raise SystemExit("killed")

    try:
        paging.tick(db, now, None, CFG, "host:1:dead", alive=lambda t, s: "dead" not in t,
                    senders=method_senders, fault=die)
    except SystemExit:
        pass
    _tick(db, now + timedelta(seconds=5), method_senders, token="host:2:b")
    # SMTP has no look-up: the documented guarantee is at least once
    assert len(smtp.messages) == 2
    ref = [line for line in smtp.messages[0].get_content().splitlines() if line.startswith("ref ")]
    assert ref and ref[0] in smtp.messages[1].get_content()  # the same delivery, and the reader can tell


def test_throttle_counts_pages_not_methods(db, now, ntfy, method_senders):
    olga = make_user(db, "olga", "lead", now)
    ann = make_user(db, "ann", "responder", now)
    _rules(db, now, ann, [("ntfy", "pager-ann", 0), ("webhook", ntfy.url + "/hook-json", 0)])
    for i in range(5):
        room = rooms.open_room(db, now, olga, f"Storm {i}")
        with transaction(db):
            e = escalation.open_escalation(db, now, room.id, "spike", {}, None)
            db.execute("UPDATE escalations SET policy = ? WHERE id = ?",
                       [escalation.Policy((escalation.PolicyStep(0, ("user:ann",)),), 0, "t").to_json(), e.id])
    _tick(db, now, method_senders)
    # three page messages in 15 minutes, the third carrying the other two; each through both methods
    assert db.execute("SELECT COUNT(*) FROM pages WHERE state = 'sent' AND bundled_into IS NULL").fetchone()[0] == 3
    assert db.execute("SELECT COUNT(*) FROM page_deliveries WHERE state = 'sent'").fetchone()[0] == 6
    assert sum("+2 more pages" in m["title"] for m in ntfy.published("pager-ann")) == 1
