"""Shift reminders and hand-over prompts reach each person through their own
contact methods (a real SMTP server, the local ntfy server), with times in
their time zone, once per method, and not in their quiet hours; the time
zone is set on the contacts page or the API, checked as an IANA zone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import login_client, make_user
from warroom import accounts, notifications, rooms, roster
from warroom.roster import handover


def _verified(db, now, user, kind, address, minute=None):
    m = notifications.add_method(db, now, user, kind, address)
    _, code = notifications.start_verification(db, now, user, m.id)
    notifications.confirm_verification(db, now, user, m.id, code)
    if minute is not None:
        notifications.add_rule(db, now, user, m.id, minute)
    return m


@pytest.fixture
def people(db, now):
    lead = make_user(db, "lena", "lead", now)
    amy = make_user(db, "amy", "responder", now, slack_id="U0AMY")
    nate = make_user(db, "nate", "responder", now)
    quinn = make_user(db, "quinn", "responder", now)
    for user, tz in ((amy, "Europe/Amsterdam"), (nate, "America/New_York"), (quinn, "Asia/Tokyo")):
        accounts.set_timezone(db, user, tz)
    # amy marks nothing: her earliest page rule's methods (e-mail, ntfy at 0) carry
    # reminders, not the SMS at minute 5
    _verified(db, now, amy, "email", "amy@example.org", 0)
    _verified(db, now, amy, "ntfy", "amy-pager", 0)
    _verified(db, now, amy, "sms", "+31612345678", 5)
    # nate pages by voice at 0, but asked for reminders by e-mail and ntfy
    n_mail = _verified(db, now, nate, "email", "nate@example.org")
    n_push = _verified(db, now, nate, "ntfy", "nate-pager")
    _verified(db, now, nate, "voice", "+12125550123", 0)
    notifications.set_notice_methods(db, accounts.get_user(db, nate.id), [n_mail.id, n_push.id])
    # quinn is in her quiet hours (18:45 in Tokyo) when her reminder is due
    _verified(db, now, quinn, "email", "quinn@example.org", 0)
    notifications.set_quiet_hours(db, quinn, "17:00", "20:00")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    [slot] = roster.create_slots(db, now, room.id, [("Tweep", 3)], hours=4, start=now + timedelta(hours=1),
                                 span_hours=4)
    for user in (amy, nate, quinn):
        roster.sign_up(db, now, user, slot.id)
    return room, slot


def _mail(smtp, to):
    return [m for m in smtp.messages if m["To"] == to]


def test_reminders_use_each_persons_methods_and_local_time_once(db, now, people, smtp, ntfy, twilio, slack,
                                                                sender, method_senders):
    notifications.notify(db, sender, "", senders=method_senders, now=now)  # the notifier starts at the present
    due = now + timedelta(minutes=45)  # 09:45 UTC; the shift starts at 10:00 UTC
    assert handover.tick(db, due - timedelta(minutes=1)) == {"reminders": 0, "handovers": 0}
    assert handover.tick(db, due) == {"reminders": 3, "handovers": 0}
    notifications.notify(db, sender, "", senders=method_senders, now=due)
    [amy_mail], [nate_mail] = _mail(smtp, "amy@example.org"), _mail(smtp, "nate@example.org")
    assert "starts at Sun 29 Mar 12:00 CEST." in amy_mail.get_content()
    assert "starts at Sun 29 Mar 06:00 EDT." in nate_mail.get_content()
    assert "10:00" not in amy_mail.get_content() + nate_mail.get_content()  # no UTC time
    assert amy_mail["Subject"] == "Warroom: your Tweep shift starts soon"
    [amy_push], [nate_push] = ntfy.published("amy-pager"), ntfy.published("nate-pager")
    assert "12:00 CEST" in amy_push["message"] and "06:00 EDT" in nate_push["message"]
    # not the later or louder methods, not Slack (amy's methods took the place of her DM), not quinn
    assert twilio.messages == [] and twilio.calls_made == [] and slack.posted() == []
    assert _mail(smtp, "quinn@example.org") == []
    # once: a later tick and notifier pass send nothing more
    assert handover.tick(db, due + timedelta(minutes=1)) == {"reminders": 0, "handovers": 0}
    notifications.notify(db, sender, "", senders=method_senders, now=due + timedelta(minutes=1))
    assert len(smtp.messages) == 2 and len(ntfy.messages) == 2

    ending = now + timedelta(hours=4, minutes=55)  # 13:55 UTC; the shift ends at 14:00 UTC
    assert handover.tick(db, ending) == {"reminders": 0, "handovers": 3}
    notifications.notify(db, sender, "", senders=method_senders, now=ending)
    amy_prompt = _mail(smtp, "amy@example.org")[1].get_content()
    assert "ends at Sun 29 Mar 16:00 CEST" in amy_prompt and "hand-over note" in amy_prompt
    assert "ends at Sun 29 Mar 10:00 EDT" in _mail(smtp, "nate@example.org")[1].get_content()
    assert [m["message"] for m in ntfy.published("nate-pager")][1].startswith("Your Tweep shift in Ash cloud ends")
    # 22:55 in Tokyo: out of quinn's quiet hours, so her prompt comes (her reminder never does)
    [quinn_prompt] = _mail(smtp, "quinn@example.org")
    assert "ends at Sun 29 Mar 23:00 JST" in quinn_prompt.get_content()


def test_without_methods_a_reminder_is_a_slack_dm_in_local_time(db, now, slack, sender, method_senders):
    lead = make_user(db, "lena", "lead", now)
    ann = make_user(db, "ann", "responder", now, slack_id="U0ANN")
    accounts.set_timezone(db, ann, "America/New_York")
    room = rooms.open_room(db, now, lead, "Storm")
    [slot] = roster.create_slots(db, now, room.id, [("Tweep", 1)], hours=4, start=now + timedelta(hours=1),
                                 span_hours=4)
    roster.sign_up(db, now, ann, slot.id)
    notifications.notify(db, sender, "", senders=method_senders, now=now)
    assert handover.tick(db, now + timedelta(minutes=50))["reminders"] == 1
    notifications.notify(db, sender, "", senders=method_senders, now=now + timedelta(minutes=50))
    [dm] = [c["body"]["text"] for c in slack.calls_to("chat.postMessage") if c["body"]["channel"] == "DU0ANN"]
    assert "starts at Sun 29 Mar 06:00 EDT." in dm


def test_notice_methods_must_be_verified_and_ones_own(db, now):
    ann = make_user(db, "ann", "responder", now)
    bob = make_user(db, "bob", "responder", now)
    pending = notifications.add_method(db, now, ann, "email", "ann@example.org")
    bobs = _verified(db, now, bob, "email", "bob@example.org")
    with pytest.raises(notifications.ContactError) as unverified:
        notifications.set_notice_methods(db, ann, [pending.id])
    assert unverified.value.field == "methods"
    with pytest.raises(notifications.ContactError) as other:
        notifications.set_notice_methods(db, ann, [bobs.id])
    assert other.value.field == "method"
    assert notifications.notice_methods(db, ann) == []


def test_time_zone_and_reminder_methods_on_the_contacts_page_and_api(app, db, now):
    ann = make_user(db, "ann", "responder", now)
    make_user(db, "ada", "admin", now)
    mail = _verified(db, now, ann, "email", "ann@example.org")
    client = app.test_client()
    csrf = login_client(client, "ann")
    page = client.post("/users/ann/contacts", data={"csrf_token": csrf, "action": "tz", "tz": "Europe/Amsterdam"})
    assert page.status_code == 200 and accounts.get_user(db, ann.id).tz == "Europe/Amsterdam"
    assert 'value="Europe/Amsterdam" selected' in page.text
    bad = client.post("/users/ann/contacts", data={"csrf_token": csrf, "action": "tz", "tz": "Mars/Olympus"})
    assert bad.status_code == 422 and "tz: unknown time zone" in bad.text
    api = client.put("/api/v1/users/ann/timezone", json={"tz": "Moon/Base"}, headers={"X-CSRF-Token": csrf})
    assert api.status_code == 422 and api.get_json()["field"] == "tz"
    assert client.put("/api/v1/users/ann/timezone", json={"tz": 5}, headers={"X-CSRF-Token": csrf}
                      ).get_json()["field"] == "tz"
    assert accounts.get_user(db, ann.id).tz == "Europe/Amsterdam"
    chosen = client.post("/users/ann/contacts", data={"csrf_token": csrf, "action": "notice_methods",
                                                      "methods": [str(mail.id)]})
    assert chosen.status_code == 200 and [m.id for m in notifications.notice_methods(db, ann)] == [mail.id]
    wrong = client.put("/api/v1/users/ann/notice-methods", json={"methods": ["x"]}, headers={"X-CSRF-Token": csrf})
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "method"
    # an admin sets another person's zone through the API
    admin = app.test_client()
    a_csrf = login_client(admin, "ada")
    done = admin.put("/api/v1/users/ann/timezone", json={"tz": "Asia/Tokyo"}, headers={"X-CSRF-Token": a_csrf})
    assert done.status_code == 200 and done.get_json() == {"user": "ann", "tz": "Asia/Tokyo"}


def test_a_duty_told_to_several_people_shows_each_their_own_local_time():
    from warroom import events
    from warroom.notifications import notices

    event = events.Event(id=1, room=3, ts="2026-03-29T08:00:00.000Z", kind="rhythm.missed", actor=None,
                         data={"due_at": "2026-03-29T10:00:00.000Z", "describe": "a public update",
                               "users": ["ann", "bob"]})
    got = notices.decide(event, "Ash cloud", None, tzs={"ann": "Europe/Amsterdam", "bob": "America/New_York"})
    assert [(n.dest, n.text) for n in got] == [
        ("user:ann", "Missed in Ash cloud: a public update was due at Sun 29 Mar 12:00 CEST."),
        ("user:bob", "Missed in Ash cloud: a public update was due at Sun 29 Mar 06:00 EDT."),
    ]
    assert all(n.subject == "Warroom: an update was missed" for n in got)
