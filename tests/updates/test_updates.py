"""Stakeholder updates: the two-person rule through responses' face, the
Slack channel, the e-mail list over real SMTP, the status page's rules,
the final update on close; and templates meeting the stock-answer rule."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest

from tests.conftest import ROOT, add_mention, make_user
from warroom import accounts, notifications, playbooks, responses, rooms, updates
from warroom.db import transaction
from warroom.notifications import EmailSender

MASS = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
TEXT = ("Flights from Amsterdam stay grounded until at least 18:00 UTC. We rebook everyone in order of"
        " departure; hotels are paid. Next update at 18:00 UTC.")


@pytest.fixture
def people(db):
    return {"lead": make_user(db, "lena", "lead"), "lead2": make_user(db, "lars", "lead"),
            "appr": make_user(db, "appr", "approver"), "vol": make_user(db, "vol", "responder")}


@pytest.fixture
def room(db, now, people):
    return rooms.open_room(db, now, people["lead"], "Ash cloud over Schiphol", playbook=MASS)


def published(db, now, people, room, text=TEXT, audience="public", **kw):
    u = updates.submit_update(db, now, people["lead"], room.id, text, audience, **kw)
    updates.approve_update(db, now, people["lead2"], u.id)
    return updates.publish_update(db, now, people["lead"], u.id)


def test_the_author_never_approves_and_a_responder_cannot(db, now, people, room):
    u = updates.submit_update(db, now, people["lead"], room.id, TEXT, "public")
    with pytest.raises(updates.UpdateError) as own:
        updates.approve_update(db, now, people["lead"], u.id)
    assert own.value.field == "update_id" and "their own update" in str(own.value)
    for who in ("vol", "appr"):  # a responder never; an approver not where the playbook wants a lead
        with pytest.raises(updates.UpdateError) as role:
            updates.approve_update(db, now, people[who], u.id)
        assert role.value.field == "user"
    with pytest.raises(updates.UpdateError) as early:
        updates.publish_update(db, now, people["lead"], u.id)
    assert "not approved" in str(early.value)
    assert updates.approve_update(db, now, people["lead2"], u.id).status == "approved"
    assert updates.publish_update(db, now, people["lead"], u.id).status == "published"


def test_only_leads_write_and_the_lint_blocks_a_defensive_update(db, now, people, room):
    with pytest.raises(updates.UpdateError) as who:
        updates.submit_update(db, now, people["appr"], room.id, TEXT, "internal")
    assert who.value.field == "user"
    with pytest.raises(updates.UpdateError) as lint:
        updates.submit_update(db, now, people["lead"], room.id, "We are not responsible for the ash cloud.", "public")
    assert lint.value.field == "text" and "defensive" in {f["rule"] for f in lint.value.findings}


def test_published_update_reaches_the_room_channel(db, now, people, room, slack, sender):
    notifications.notify(db, sender, "#general")  # the notifier's first run starts now
    published(db, now, people, room)
    sent = notifications.notify(db, sender, "#general")
    assert [n.dest for n in sent] == [MASS.slack_channel]
    assert sent[0].text.startswith("Public update in *Ash cloud over Schiphol* (by lena, approved by lars): Flights")
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0]["body"]["text"] == sent[0].text


def test_published_update_is_mailed_to_the_room_list_over_smtp(db, now, people, room, smtp):
    updates.set_mail_list(db, now, people["lead"], room.id, "exec@example.org, Press@Example.org")
    u = published(db, now, people, room, audience="internal")
    mailer = EmailSender(smtp.host, smtp.port, "warroom@example.org", mode="insecure")
    assert updates.mail.deliver(db, now, mailer) == {"sent": 2, "failed": 0}
    got = smtp.wait_for(2)
    assert sorted(m["To"] for m in got) == ["exec@example.org", "press@example.org"]
    assert {m["Subject"] for m in got} == {"Internal update: Ash cloud over Schiphol"}
    assert "grounded until at least 18:00" in got[0].get_content()
    assert updates.mail.mail_states(db, u.id) == {"exec@example.org": "sent", "press@example.org": "sent"}
    assert updates.mail.deliver(db, now, mailer) == {"sent": 0, "failed": 0}  # each once


def test_a_bad_address_names_the_field(db, now, people, room):
    with pytest.raises(updates.UpdateError) as exc:
        updates.set_mail_list(db, now, people["lead"], room.id, ["exec@example.org", "not an address"])
    assert exc.value.field == "addresses"


def test_status_page_shows_only_published_public_updates_in_order(db, now, people, room):
    first = published(db, now, people, room)
    published(db, now, people, room, text="Internal: crews are rested, next briefing 09:00.", audience="internal")
    waiting = updates.submit_update(db, now, people["lead"], room.id, "Not approved yet: do not show.", "public")
    second = published(db, now + timedelta(minutes=30), people, room,
                      text="Schiphol reopens at 20:00 UTC; first flights leave at 21:00. Next update 20:00 UTC.")
    rejected = updates.submit_update(db, now, people["lead"], room.id, "Rejected text, never shown.", "public")
    updates.reject_update(db, now, people["lead2"], rejected.id, "wrong time")
    slug = updates.status.status_slug(db, room.id)
    assert slug == f"ash-cloud-over-schiphol-{room.id}"
    page = updates.status.status_room(db, slug)
    assert [u.id for u in page.updates] == [first.id, second.id]
    assert waiting.id not in [u.id for u in page.updates]
    feed = feedparser.parse(updates.status.atom_feed(page, "https://w.example/status/" + slug,
                                                     "https://w.example/status/" + slug + ".atom"))
    assert not feed.bozo, feed.bozo_exception
    assert [e.id for e in feed.entries] == [f"https://w.example/status/{slug}#update-{i}" for i in (second.id, first.id)]
    assert feed.entries[1].summary == TEXT


def test_private_room_has_no_public_updates_and_vanishes_from_the_page(db, now, people, room):
    published(db, now, people, room)
    etag = updates.status.status_room(db, updates.status.status_slug(db, room.id)).etag
    accounts.set_private(db, now, room.id, True, "lena")
    assert updates.status.status_room(db, updates.status.status_slug(db, room.id)) is None
    assert updates.status.status_index(db) == []
    with pytest.raises(updates.UpdateError) as exc:
        updates.submit_update(db, now, people["lead"], room.id, TEXT, "public")
    assert exc.value.field == "audience"
    accounts.set_private(db, now, room.id, False, "lena")
    assert updates.status.status_room(db, updates.status.status_slug(db, room.id)).etag == etag


def test_closing_after_public_updates_needs_the_final_update(db, now, people, room):
    published(db, now, people, room)
    with pytest.raises(updates.UpdateError) as exc:
        updates.close_room(db, now, people["lead2"], room.id)
    assert exc.value.field == "final_update"
    assert rooms.get_room(db, room.id).status == "open"
    later = now + timedelta(hours=2)
    closed = updates.close_room(db, later, people["lead2"], room.id,
                                "All stranded passengers are rebooked; this page closes. Thank you for your patience.")
    assert closed.status == "closed"
    page = updates.status.status_room(db, updates.status.status_slug(db, room.id))
    assert page.updates[-1].is_final and page.status == "closed"
    kinds = [(e.kind, e.data.get("final")) for e in __import__("warroom").events.timeline(db, room.id)
             if e.kind in ("update.published", "room.closed")]
    assert kinds[-2:] == [("update.published", True), ("room.closed", None)]


def test_closing_a_room_that_told_nobody_needs_no_final_update(db, now, people, room):
    assert updates.close_room(db, now, people["lead"], room.id).status == "closed"


# -- templates -------------------------------------------------------------------


def _author(db, mention_id, name):
    with transaction(db):
        db.execute("UPDATE mentions SET author = ? WHERE id = ?", [name, mention_id])


def test_template_fills_customer_case_next_update_and_facts(db, now, people, room):
    rooms.facts.update_fact(db, now, people["lead"], room.id, "https://klm.example/rebook", key="rebooking_url")
    published(db, now, people, room, next_update_at=now + timedelta(minutes=45))
    m = add_mention(db, room.id, now)
    _author(db, m, "@anna")
    filled = updates.fill_template(db, now, room.id, "stranded-rebook", mention_id=m)
    assert filled.missing == ()
    assert filled.text.startswith("Hi @anna, we're sorry you're stuck.")
    assert "rebook yourself at https://klm.example/rebook." in filled.text
    at = now + timedelta(minutes=45)
    assert filled.text.endswith(f"Our next update on Ash cloud over Schiphol is at {at:%H:%M} UTC.")


def _send(db, now, people, room, mention_id, text):
    d = responses.save_draft(db, now, people["vol"], room.id, text, mention_id=mention_id)
    responses.submit(db, now, people["vol"], d.id)
    d = responses.approve(db, now, people["lead2"], d.id, responses.get_draft(db, d.id).revision)
    responses.publish(db, now, people["vol"], d.id)


@pytest.mark.parametrize("how", ["template", "typed"])
def test_stock_rule_counts_template_sends_like_typed_ones(db, now, people, room, how):
    """Three sends of one template to three people make the fourth a stock
    answer, exactly as three hand-typed copies do."""
    rooms.facts.update_fact(db, now, people["lead"], room.id, "https://klm.example/rebook", key="rebooking_url")
    published(db, now, people, room, next_update_at=now + timedelta(hours=1))
    names = ["@anna", "@bram", "@chen", "@dina"]
    ids = []
    for name in names:
        ids.append(add_mention(db, room.id, now, label="neutral"))
        _author(db, ids[-1], name)

    def text_for(i):
        if how == "template":
            return updates.fill_template(db, now, room.id, "stranded-rebook", mention_id=ids[i]).text
        return (f"Hi {names[i]}, we're sorry you're stuck. Send us your booking number by DM and a rebooker"
                " will look for your next seat right now. You can also rebook yourself at"
                " https://klm.example/rebook. Our next update on Ash cloud over Schiphol is at"
                f" {now + timedelta(hours=1):%H:%M} UTC.")

    assert responses.check(db, room.id, text_for(0), ids[0]) == []
    for i in range(3):
        _send(db, now, people, room, ids[i], text_for(i))
    assert [f.rule for f in responses.check(db, room.id, text_for(3), ids[3])] == ["stock-answer"]


class _Recorder:
    def __init__(self, during=None, fail=False):
        self.sent, self.during, self.fail = [], during, fail

    def send_text(self, address, subject, text):
        if self.during is not None:
            during, self.during = self.during, None
            during()
        if self.fail:
            raise RuntimeError("smtp timed out")
        self.sent.append(address)


def test_a_slow_host_whose_claim_was_taken_over_does_not_undo_the_new_owners_send(db, now, people, room):
    """Host A claims the mail and its SMTP call hangs past stale_seconds; host B
    takes the claim over and sends. A's late failure must not put the mail
    back to pending (a third send): only the claim's owner records."""
    updates.set_mail_list(db, now, people["lead"], room.id, "exec@example.org")
    u = published(db, now, people, room, audience="internal")
    b = _Recorder()
    later = now + timedelta(seconds=updates.mail.STALE_SECONDS + 1)
    a = _Recorder(during=lambda: updates.mail.deliver(db, later, b, token="hostB:2:b"), fail=True)
    assert updates.mail.deliver(db, now, a, token="hostA:1:a") == {"sent": 0, "failed": 0}
    assert b.sent == ["exec@example.org"]
    assert updates.mail.mail_states(db, u.id) == {"exec@example.org": "sent"}
    assert updates.mail.deliver(db, later, b, token="hostB:2:b") == {"sent": 0, "failed": 0}
    assert b.sent == ["exec@example.org"]  # once
