"""Post-mortem counts at their edges (each found missing by a planted bug in
bench/mutants.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import make_user
from warroom import escalation, postmortem, rooms
from warroom.db import transaction
from warroom.escalation import Policy, PolicyStep


def test_a_page_cancelled_by_the_ack_is_not_a_failed_page(db, now):
    lead = make_user(db, "lead", "lead")
    ann = make_user(db, "ann", "responder")
    room = rooms.open_room(db, now, lead, "Recall")
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    with transaction(db):
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?",
                   [Policy((PolicyStep(0, ("user:ann",)),), 0, "t").to_json(), esc.id])
    escalation.issue_due_steps(db, now)  # one page, due, not sent yet
    escalation.acknowledge(db, now + timedelta(minutes=1), esc.id, ann)
    report = postmortem.build_report(db, room.id, now + timedelta(minutes=2))["escalation"]
    assert [p["status"] for p in report["pages"]] == ["cancelled"]
    assert (report["pages_sent"], report["pages_failed"]) == (0, 0)


def test_a_reply_exactly_at_the_first_response_target_is_within_it(db, now):
    from tests.conftest import GOOD, ROOT, add_mention, rev
    from warroom import playbooks, responses

    pb = playbooks.parse((ROOT / "playbooks" / "product-recall.md").read_text(), "product-recall.md")
    lead = make_user(db, "lead", "lead")
    vol = make_user(db, "vol", "responder")
    room = rooms.open_room(db, now, lead, "Recall", playbook=pb)
    on_time, late = add_mention(db, room.id, now), add_mention(db, room.id, now)
    for mention, minutes in ((on_time, 45), (late, 46)):  # product-recall: 45 minutes
        draft = responses.save_draft(db, now, vol, room.id, GOOD, mention_id=mention)
        responses.submit(db, now, vol, draft.id)
        responses.approve(db, now, lead, draft.id, rev(db, draft.id))
        responses.publish(db, now + timedelta(minutes=minutes), vol, draft.id)
    report = postmortem.build_report(db, room.id, now + timedelta(hours=1))["responses"]
    assert report["first_response_minutes"] == 45
    assert (report["replied_mentions"], report["within_target"], report["share_within_target"]) == (2, 1, 0.5)


def test_a_page_that_only_reached_the_log_is_not_delivered(app, db, now):
    """Issue 19 defect 11: without Slack a page went to the log, showed a green
    "sent via log" and counted as sent, while nobody was told."""
    from warroom.escalation import paging
    from warroom.postmortem import render

    from ..conftest import login_client

    lead = make_user(db, "lead", "lead")
    make_user(db, "ann", "responder")
    room = rooms.open_room(db, now, lead, "Recall")
    esc = escalation.open_escalation(db, now, room.id, "spike", {}, None)
    with transaction(db):
        db.execute("UPDATE escalations SET policy = ? WHERE id = ?",
                   [Policy((PolicyStep(0, ("user:ann",)),), 0, "t").to_json(), esc.id])
    cfg = paging.PagingConfig(max_tries=2, backoff_seconds=30, throttle_per_15min=3, stale_seconds=60)
    paging.tick(db, now, paging.LogSender(), cfg, "host:1:a", alive=lambda t, stale: True)
    report = postmortem.build_report(db, room.id, now + timedelta(minutes=2))["escalation"]
    assert [p["status"] for p in report["pages"]] == ["not delivered"]
    assert (report["pages_sent"], report["pages_undelivered"]) == (0, 1)
    assert "not delivered: 1" in render.to_markdown(postmortem.build_report(db, room.id, now))
    # the escalation panel says so too, not a green "sent via log"
    c = app.test_client()
    login_client(c, "lead")
    html = c.get(f"/rooms/{room.id}/escalation/panel").get_data(as_text=True)
    assert "not delivered" in html and "via log" not in html


def test_postmortem_reads_well_for_a_drill_without_a_spike(db, now):
    """Issue 19 defect 9: lesson headings at the report's own level, every
    ingest batch a timeline row, a no-spike storm window of the room's life
    (all mentions 'before'), and 0% coverage with 1 of 4 seats taken."""
    from warroom import events, postmortem, roster
    from warroom.clock import iso
    from warroom.postmortem import render

    from ..conftest import add_mention

    lead = make_user(db, "lead", "lead")
    ann = make_user(db, "ann", "responder")
    room = rooms.open_room(db, now, lead, "Drill")
    old = now - timedelta(days=400)  # a replayed storm: its posts are from long ago
    for i in range(3):
        add_mention(db, room.id, now, received=old + timedelta(minutes=i))
    with transaction(db):
        for i in range(30):
            events.append(db, room.id, "mentions.received", None, {"count": 2}, now + timedelta(seconds=i))
    slot = roster.create_slots(db, now, room.id, [("Tweep", 4)], 4, now - timedelta(minutes=5), span_hours=4)[0]
    roster.sign_up(db, now, ann, slot.id)
    postmortem.lessons.save_lessons(db, now, room.id, "lead", "# What went well\nThe lint.\n")
    report = postmortem.build_report(db, room.id, now + timedelta(hours=1))
    s = report["summary"]
    assert (s["sentiment"]["before"]["mentions"], s["sentiment"]["during"]["mentions"]) == (0, 3)
    assert s["storm_start"] == iso(old)
    assert report["roster"]["roles"][0]["coverage"] == 0.25
    md = render.to_markdown(report)
    assert "\n### What went well" in md and "\n# What went well" not in md
    rows = [line for line in md.splitlines() if "mentions.received" in line]
    assert len(rows) == 1 and "batches=30" in rows[0] and "mentions=60" in rows[0]


def test_unknown_language_mentions_are_their_own_class_in_the_report(db, now):
    """A mention sentiment cannot read (``unknown``) is counted as such and
    left out of the negative share and the mean compound: 2 negative of the
    4 read is 50%, not 2 of 6; the per-minute chart data carries it too."""
    from warroom.listening import mentions
    from warroom.listening.sentiment import Scorer
    from warroom.postmortem import render

    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Global", status="monitoring")
    texts = ["My order never arrived and nobody answers", "Vol annulé et aucune réponse du service client",
             "Thanks so much, great help today", "Super vriendelijke hulp, bedankt!",
             "Mój lot został odwołany i nikt nie odpowiada", "Zamówienie nie dotarło, skandal"]
    batch = mentions.validate([{"external_id": f"e{i}", "source": "twitter", "author": "a", "text": t, "url": "",
                                "created_at": now.isoformat()} for i, t in enumerate(texts)], now)
    mentions.ingest(db, now, room.id, batch, Scorer())
    report = postmortem.build_report(db, room.id, now + timedelta(hours=1))
    during = report["summary"]["sentiment"]["during"]
    assert (during["mentions"], during["negative"], during["unknown"], during["negative_share"]) == (6, 2, 2, 0.5)
    assert [(m["count"], m["negative"], m["unknown"]) for m in report["volume"]["minutes"]] == [(6, 2, 2)]
    assert "| during | 6 |" in render.to_markdown(report)
    import json

    import jsonschema

    schema = json.loads((Path(postmortem.__file__).parent / "postmortem.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(report)))
