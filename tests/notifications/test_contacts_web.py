"""Contact methods through the web page and the JSON API (a real SMTP server
receives the verification code), and the ack links: a genuine one acks on
POST only; forged, tampered, expired, reused and other people's links do
nothing, say so, and show nothing of the page. Twilio's inbound SMS webhook
checks X-Twilio-Signature as Twilio documents and acks by the page's code."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import csrf_from, login_client, make_user
from warroom import escalation, notifications, rooms
from warroom.db import transaction
from warroom.escalation import acklinks


@pytest.fixture
def mail_app(settings, smtp):
    from warroom.app import create_app

    s = replace(settings, notify=replace(settings.notify, smtp_host=smtp.host, smtp_port=smtp.port,
                                         smtp_from="warroom@example.org", smtp_mode="insecure"))
    application = create_app(s)
    application.config["TESTING"] = True
    return application


def _code_from(message) -> str:
    return re.search(r"\b(\d{6})\b", message.get_content()).group(1)


def test_a_method_is_verified_by_the_code_it_received_and_tested(mail_app, smtp, db, now):
    make_user(db, "ann", "responder", now)
    client = app_client = mail_app.test_client()
    csrf = login_client(app_client, "ann")
    page = client.post("/users/ann/contacts", data={"csrf_token": csrf, "action": "add", "kind": "email",
                                                     "address": "ann@example.org"})
    assert page.status_code == 200 and "code sent to ann@example.org" in page.text
    method_id = int(re.search(r'data-method-id="(\d+)"', page.text).group(1))
    # a rule needs a verified method
    refused = client.post("/api/v1/users/ann/rules", json={"method": method_id, "after_minutes": 0},
                          headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422 and refused.get_json()["field"] == "method"
    wrong = client.post(f"/api/v1/users/ann/contacts/{method_id}/confirm", json={"code": "000000x"},
                        headers={"X-CSRF-Token": csrf})
    assert wrong.status_code == 422 and wrong.get_json() == {"error": "wrong code", "field": "code"}
    code = _code_from(smtp.wait_for(1)[0])
    ok = client.post("/users/ann/contacts", data={"csrf_token": csrf, "action": "confirm", "method": method_id,
                                                   "code": code})
    assert "verified" in ok.text and ">verified<" in ok.text
    rule = client.post("/api/v1/users/ann/rules", json={"method": method_id, "after_minutes": 2},
                       headers={"X-CSRF-Token": csrf})
    assert rule.status_code == 201 and rule.get_json()["rule"]["after_minutes"] == 2
    test = client.post(f"/api/v1/users/ann/contacts/{method_id}/test", headers={"X-CSRF-Token": csrf})
    assert test.get_json() == {"outcome": "ok", "ok": True}
    assert smtp.wait_for(2)[1]["Subject"] == "Warroom test message"


def test_a_test_message_that_fails_shows_why(app, db, now):
    make_user(db, "ann", "responder", now)
    client = app.test_client()
    csrf = login_client(client, "ann")
    added = client.post("/api/v1/users/ann/contacts", json={"kind": "email", "address": "ann@example.org"},
                        headers={"X-CSRF-Token": csrf})
    assert added.status_code == 201 and "smtp_host" in added.get_json()["verification"]
    mid = added.get_json()["method"]["id"]
    test = client.post(f"/api/v1/users/ann/contacts/{mid}/test", headers={"X-CSRF-Token": csrf}).get_json()
    assert test["ok"] is False and "smtp_host" in test["outcome"]
    state = client.get("/api/v1/users/ann/contacts").get_json()
    assert state["methods"][0]["last_test_outcome"] == test["outcome"]


def test_bad_input_and_other_people(app, db, now):
    make_user(db, "ann", "responder", now)
    make_user(db, "root", "admin", now)
    make_user(db, "ben", "responder", now)
    client = app.test_client()
    csrf = login_client(client, "ann")
    bad = client.post("/api/v1/users/ann/contacts", json={"kind": "sms", "address": "0770"},
                      headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422 and bad.get_json()["field"] == "address"
    assert client.post("/api/v1/users/ann/contacts", json={"kind": "fax", "address": "x"},
                       headers={"X-CSRF-Token": csrf}).get_json()["field"] == "kind"
    assert client.get("/api/v1/users/ben/contacts").status_code == 403
    admin = app.test_client()
    csrf2 = login_client(admin, "root")
    assert admin.post("/api/v1/users/ben/contacts", json={"kind": "sms", "address": "+447700900123"},
                      headers={"X-CSRF-Token": csrf2}).status_code == 201


def _paged(db, now):
    olga = make_user(db, "olga", "lead", now)
    ann = make_user(db, "ann", "responder", now)
    ben = make_user(db, "ben", "responder", now)
    room = rooms.open_room(db, now, olga, "Secret merger leak")
    with transaction(db):
        esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
        cur = db.execute("INSERT INTO pages (escalation_id, room_id, cycle, step, target, recipient, state, due_at,"
                         " send_key, created_at) VALUES (?, ?, 0, 0, 'user:ann', 'user:ann', 'sent', ?, 'k1', ?)",
                         [esc.id, room.id, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])
        cur2 = db.execute("INSERT INTO pages (escalation_id, room_id, cycle, step, target, recipient, state, due_at,"
                          " send_key, created_at) VALUES (?, ?, 0, 0, 'user:ben', 'user:ben', 'sent', ?, 'k2', ?)",
                          [esc.id, room.id, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])
    return esc, cur.lastrowid, cur2.lastrowid, ann, ben


def _path(app, page_id, recipient, expires):
    return "/ack/" + acklinks.make_token(app.config["SECRET_KEY"], page_id, recipient, expires)


def test_a_genuine_link_acks_on_post_only(app, db):
    from warroom.clock import utcnow

    now = utcnow()
    esc, ann_page, _, _, _ = _paged(db, now)
    client = app.test_client()
    path = _path(app, ann_page, "user:ann", now + timedelta(hours=1))
    shown = client.get(path)
    assert shown.status_code == 200 and "Secret merger leak" in shown.text
    assert escalation.get(db, esc.id).state == "open"  # a GET (a mail scanner) never acks
    done = client.post(path, data={"csrf_token": csrf_from(shown.text)})
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert escalation.get(db, esc.id).acked_by == "ann"
    again = client.post(path, data={"csrf_token": csrf_from(shown.text)})
    assert again.status_code == 410 and "used already" in again.text and "merger" not in again.text


@pytest.mark.parametrize("how", ["forged", "tampered", "expired", "other_persons", "garbage"])
def test_wrong_links_do_nothing_say_so_and_leak_nothing(app, db, how):
    from warroom.clock import utcnow

    now = utcnow()
    esc, ann_page, ben_page, _, _ = _paged(db, now)
    later = now + timedelta(hours=1)
    path = {
        "forged": "/ack/" + acklinks.make_token("another-key", ann_page, "user:ann", later),
        "tampered": _path(app, ann_page, "user:ann", later).replace(f"/ack/{ann_page}-", f"/ack/{ben_page}-"),
        "expired": _path(app, ann_page, "user:ann", now - timedelta(seconds=1)),
        # a link made for ann, naming ben's page: the MAC binds page and person
        "other_persons": "/ack/" + acklinks.make_token(app.config["SECRET_KEY"], ben_page, "user:ann", later),
        "garbage": "/ack/' OR 1=1 --",
    }[how]
    client = app.test_client()
    shown = client.get(path)
    assert shown.status_code in (404, 410)
    posted = client.post(path, data={"csrf_token": csrf_from(shown.text)})
    assert posted.status_code in (404, 410) and "Nothing was acknowledged" in posted.text
    for text in (shown.text, posted.text):
        assert "merger" not in text and "ann" not in text.replace("Announce", "") and "ben" not in text
    assert ("expired" in posted.text) == (how == "expired")
    assert escalation.get(db, esc.id).state == "open"


def test_a_logged_in_other_person_cannot_use_someone_elses_link(app, db):
    from warroom.clock import utcnow

    now = utcnow()
    esc, ann_page, _, _, _ = _paged(db, now)
    client = app.test_client()
    login_client(client, "ben")
    shown = client.get(_path(app, ann_page, "user:ann", now + timedelta(hours=1)))
    assert shown.status_code == 404 and "not yours" in shown.text and "merger" not in shown.text
    assert escalation.get(db, esc.id).state == "open"


def test_twilio_inbound_sms_with_the_code_acks_and_a_bad_signature_does_nothing(app, db, monkeypatch):
    from warroom.clock import utcnow
    from warroom.web.contacts import twilio_signature

    now = utcnow()
    esc, ann_page, _, ann, _ = _paged(db, now)
    m = notifications.add_method(db, now, ann, "sms", "+447700900123")
    _, code = notifications.start_verification(db, now, ann, m.id)
    notifications.confirm_verification(db, now, ann, m.id, code)
    with transaction(db):
        db.execute("UPDATE pages SET ack_code = '482913' WHERE id = ?", [ann_page])
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tw-token")
    url = app.extensions["warroom"].url + "/twilio/sms"
    form = {"From": "+447700900123", "Body": "ok 482913", "MessageSid": "SM1", "To": "+15005550006"}
    client = app.test_client()
    forged = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": twilio_signature("nope", url, form)})
    assert forged.status_code == 403 and escalation.get(db, esc.id).state == "open"
    stranger = {**form, "From": "+15550001111"}
    resp = client.post("/twilio/sms", data=stranger,
                       headers={"X-Twilio-Signature": twilio_signature("tw-token", url, stranger)})
    assert "No open page" in resp.text and escalation.get(db, esc.id).state == "open"
    ok = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": twilio_signature("tw-token", url, form)})
    assert ok.status_code == 200 and "<Message>Acknowledged" in ok.text
    assert escalation.get(db, esc.id).acked_by == "ann"


def test_quiet_hours_skip_a_shift_reminder_but_never_a_page(db, now, slack, sender, method_senders):
    from warroom.escalation import paging
    from warroom.notifications.notices import Notice, deliver

    ann = make_user(db, "ann", "responder", now, slack_id="U0ANN")  # FIXED_NOW is 09:00 UTC
    notifications.set_quiet_hours(db, ann, "08:00", "10:00")
    deliver(db, sender, Notice("user:ann", "Reminder: your shift starts"), now)
    assert slack.posted() == []
    deliver(db, sender, Notice("user:ann", "Reminder: your shift starts"), now + timedelta(hours=2))
    assert len(slack.posted()) == 1
    olga = make_user(db, "olga", "lead", now)
    room = rooms.open_room(db, now, olga, "Night storm")
    with transaction(db):
        esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?",
                   [escalation.Policy((escalation.PolicyStep(0, ("user:ann",)),), 0, "t").to_json(), esc.id])
    paging.tick(db, now, sender, paging.PagingConfig(), "host:1:a", alive=lambda t, s: True,
                senders=method_senders)
    assert len(slack.posted()) == 2  # the page went in the quiet hours
