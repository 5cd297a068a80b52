"""The golden scenario: a storm scripted through the domain functions on a fixed
clock, then every number of the JSON export checked against values computed
here from the scenario itself (not from the report code), the same numbers
found in the Markdown and the HTML, and the JSON validated against its schema.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from datetime import UTC, datetime, timedelta
from functools import partial
from html import unescape
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import launch_chromium, make_user, rev
from warroom import db as dbmod
from warroom import escalation, playbooks, postmortem, responses, rooms, roster
from warroom.clock import iso
from warroom.escalation import paging
from warroom.listening import mentions, sentiment, spikes
from warroom.listening.sentiment import Scorer
from warroom.postmortem import lessons, render
from warroom.roster import handover

SCHEMA = Path(__file__).resolve().parents[2] / "warroom" / "postmortem" / "postmortem.schema.json"

OPEN = datetime(2026, 3, 29, 8, 30, tzinfo=UTC)
SPIKE = datetime(2026, 3, 29, 9, 15, tzinfo=UTC)
CLOSE = datetime(2026, 3, 29, 12, 30, tzinfo=UTC)
EXPORT = datetime(2026, 3, 29, 13, 0, tzinfo=UTC)
TARGET_MIN = 15

PLAYBOOK = """+++
id = "golden-storm"
version = 3
title = "Golden storm: stranded passengers"
based_on = "test scenario"
keywords = ["stranded", "flight"]

[[roles]]
name = "Lead"
count = 1
description = "Runs the room."

[[roles]]
name = "Tweep"
count = 2
description = "Answers on social media."

[shifts]
hours = 4
volunteers = true

[[escalation]]
after_minutes = 0
notify = ["role:Lead"]

[[escalation]]
after_minutes = 10
notify = ["user:ghost"]

[rules]
first_response_minutes = 15
approval = "two-person"
approval_timeout_minutes = 30
banned_phrases = ["we are not responsible"]
+++
# Golden storm
Say what you know.
"""

GOOD_1 = ("We're sorry you were stranded. We are rebooking everyone on the 14:00 flight "
          "and will update you here by 10:00.")
GOOD_2 = ("We're so sorry for the wait. Your new booking is on the 15:00 flight; "
          "we will message you the boarding pass within the hour.")
BANNED = ("We are sorry. We are not responsible for the ash cloud, but we will rebook you "
          "on the 16:00 flight and update you by 11:00.")


def minute_batch(minute: datetime, n: int, text: str, tag: str) -> list[mentions.NewMention]:
    return [
        mentions.NewMention("twitter", f"{tag}-{minute:%H%M}-{i}", f"user{i}", f"{text} #{i}",
                            "", iso(minute + timedelta(seconds=i % 60)), "en", 10)
        for i in range(n)
    ]


def mention_plan() -> list[tuple[datetime, list[mentions.NewMention]]]:
    """(ingest time, batch): baseline, the spike minute, the tail, the calm after."""
    plan = []
    for k in range(45):  # 08:30 .. 09:14, two a minute
        m = OPEN + timedelta(minutes=k)
        plan.append((m + timedelta(seconds=40),
                     minute_batch(m, 1, "Any news on my flight?", "base-a")
                     + minute_batch(m, 1, "Still waiting at the gate, this is terrible", "base-b")))
    plan.append((SPIKE + timedelta(seconds=40),
                 minute_batch(SPIKE, 60, "Worst airline ever, stranded for hours, awful", "spike")))
    for k in range(1, 30):  # 09:16 .. 09:44
        m = SPIKE + timedelta(minutes=k)
        plan.append((m + timedelta(seconds=40),
                     minute_batch(m, 2, "Thanks for the quick update, great help", "tail")))
    for k in range(30, 45):  # 09:45 .. 09:59, after the storm window
        m = SPIKE + timedelta(minutes=k)
        plan.append((m + timedelta(seconds=40), minute_batch(m, 1, "Got rebooked, thank you", "calm")))
    return plan


def at(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2026, 3, 29, h, m, s, tzinfo=UTC)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("golden") / "golden.db"
    db = dbmod.connect(path)
    dbmod.migrate(db)
    lea = make_user(db, "lea", "lead", OPEN)
    ann = make_user(db, "ann", "approver", OPEN)
    rob = make_user(db, "rob", "responder", OPEN)
    tim = make_user(db, "tim", "responder", OPEN)
    book = playbooks.parse(PLAYBOOK)
    room = rooms.open_room(db, OPEN, lea, "Ash <cloud> | day 1", "Flights grounded", playbook=book)
    rid = room.id
    slots = {(s.role, s.starts_at): s.id for s in roster.slots(db, rid)}
    s8, s12 = "2026-03-29T08:00:00.000Z", "2026-03-29T12:00:00.000Z"
    scorer = Scorer()
    params = spikes.Params(warmup_minutes=20, normal_per_hour=120)  # the stated normal: two a minute
    ids = {}

    def ingest(now, batch):
        result = mentions.ingest(db, now, rid, batch, scorer, detector_params=params)
        for m, mid in zip(batch, result.ids, strict=True):
            ids[m.external_id] = mid

    def tick(now):
        paging.tick(db, now, paging.LogSender(), paging.PagingConfig(), "golden-token")

    def m(key):
        return ids[key]

    def reply_1(now):
        d = responses.save_draft(db, now, rob, rid, GOOD_1, mention_id=m("spike-0915-0"))
        responses.submit(db, now + timedelta(minutes=1), rob, d.id)
        responses.approve(db, now + timedelta(minutes=2), ann, d.id, rev(db, d.id))
        responses.publish(db, now + timedelta(minutes=3), rob, d.id)  # 09:21:00

    actions = [
        (at(8, 31), lambda now: roster.sign_up(db, now, lea, slots[("Lead", s8)])),
        (at(8, 32), lambda now: roster.sign_up(db, now, rob, slots[("Tweep", s8)])),
        (at(8, 33), lambda now: roster.sign_up(db, now, tim, slots[("Tweep", s8)])),
        (at(8, 34), lambda now: roster.sign_up(db, now, tim, slots[("Tweep", s12)])),
        (at(9, 17), tick),                        # step 1: role:Lead -> lea, sent 09:17
        (at(9, 18), reply_1),
        (at(9, 27), tick),                        # step 2: user:ghost -> nobody -> failed
        (CLOCK_CHECKS[0], lambda now: responses.check_clocks(db, now)),  # the scheduler's check
        (at(9, 29), lambda now: escalation.acknowledge(
            db, now, escalation.for_room(db, rid)[0].id, lea)),
    ]
    plan = [(t, partial(lambda batch, now: ingest(now, batch), b)) for t, b in mention_plan()]
    everything = sorted(plan + actions, key=lambda pair: pair[0])
    for now, act in everything:
        act(now)
    # m2: a draft rejected, then rewritten and published at 09:35 (after the target)
    d1 = db.execute("SELECT id FROM drafts WHERE mention_id = ?", [m("spike-0915-0")]).fetchone()[0]
    d2 = responses.save_draft(db, at(10, 0), tim, rid, GOOD_2, mention_id=m("spike-0915-1"))
    responses.submit(db, at(10, 1), tim, d2.id)
    responses.reject(db, at(10, 2), ann, d2.id, rev(db, d2.id), "Too vague | say which <flight>")
    responses.save_draft(db, at(10, 3), tim, rid, GOOD_2 + " Again, sorry.", draft_id=d2.id)
    responses.submit(db, at(10, 4), tim, d2.id)
    responses.approve(db, at(10, 5), ann, d2.id, rev(db, d2.id))
    responses.publish(db, at(10, 6), tim, d2.id)
    # m3: a blocking banned phrase overridden by the lead with a reason
    d3 = responses.save_draft(db, at(10, 10), rob, rid, BANNED, mention_id=m("spike-0915-2"))
    responses.override_lint(db, at(10, 11), lea, d3.id, "Legal insisted on this wording")
    responses.submit(db, at(10, 12), rob, d3.id)
    responses.approve(db, at(10, 13), ann, d3.id, rev(db, d3.id))
    responses.publish(db, at(10, 14), rob, d3.id)
    # a draft that never went out
    responses.save_draft(db, at(10, 20), rob, rid, GOOD_1, mention_id=m("spike-0915-3"))
    responses.check_clocks(db, CLOCK_CHECKS[1])
    handover.write_note(db, at(11, 50), rob, slots[("Tweep", s8)], "Two refunds pending legal",
                        open_items=["refund for user7"], promises=["update at 13:00"])
    lessons.save_lessons(db, at(12, 0), rid, "lea", "First draft of lessons")
    lessons.close_with_lessons(
        db, CLOSE, lea, rid, "## What went well\n- Fast first reply\n\n<script>alert(1)</script>")
    report = postmortem.build_report(db, rid, EXPORT)
    yield {"db": db, "room": rid, "report": report, "ids": ids, "drafts": (d1, d2.id, d3.id),
           "slots": slots, "sha256": book.sha256}
    db.close()



# -- expected values, computed from the scenario above -------------------------------


def nearest_rank(values, p):
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def expected_mentions():
    """(created_at, ingested at, compound, label) per mention, scored one by one
    with the project's sentiment contract (what ingestion stores)."""
    rows = []
    for ingested_at, batch in mention_plan():
        for m in batch:
            scored = sentiment.score(m.text)
            rows.append((m.created_at, ingested_at, scored.compound, scored.label))
    return rows


def expected_sentiment(rows):
    start, end = iso(SPIKE), iso(SPIKE + timedelta(minutes=30))
    out = {}
    for name, keep in (("before", lambda t: t < start), ("during", lambda t: start <= t < end),
                       ("after", lambda t: t >= end)):
        cs = [c for t, _, c, _ in rows if keep(t)]
        neg = sum(1 for t, _, _, label in rows if keep(t) and label == "negative")
        out[name] = {"mentions": len(cs), "mean_compound": sum(cs) / len(cs) if cs else None,
                     "negative": neg, "negative_share": neg / len(cs) if cs else None}
    return out


PUBLISHED = [at(9, 21), at(10, 6), at(10, 14)]
RECEIVED = SPIKE + timedelta(seconds=40)  # the spike batch was ingested at 09:15:40
REPLY_SECONDS = [(p - RECEIVED).total_seconds() for p in PUBLISHED]
CLOCK_CHECKS = (at(9, 40), at(12, 0, 30))


def expected_breaches() -> int:
    """Mentions found unanswered past the target by the two clock checks (once each)."""
    replied = {"spike-0915-0": PUBLISHED[0], "spike-0915-1": PUBLISHED[1], "spike-0915-2": PUBLISHED[2]}
    breached = set()
    for check in CLOCK_CHECKS:
        cutoff = check - timedelta(minutes=TARGET_MIN)
        for ingested_at, batch in mention_plan():
            for m in batch:
                answered = m.external_id in replied and replied[m.external_id] <= check
                if ingested_at < cutoff and not answered:
                    breached.add(m.external_id)
    return len(breached)


ESC_OPENED = SPIKE + timedelta(minutes=1, seconds=40)  # the 09:16 batch closed the spike minute
ACKED = at(9, 29)


def test_json_numbers_match_the_scenario(scenario):
    r = scenario["report"]
    rows = expected_mentions()
    per_minute = {}
    for created, _, _, label in rows:
        key = created[:16]
        n, neg = per_minute.get(key, (0, 0))
        per_minute[key] = (n + 1, neg + (label == "negative"))
    peak_key = max(sorted(per_minute), key=lambda k: per_minute[k][0])

    s = r["summary"]
    assert s["playbook"] == {"id": "golden-storm", "version": 3,
                             "title": "Golden storm: stranded passengers", "sha256": scenario["sha256"]}
    assert (s["opened_at"], s["closed_at"]) == (iso(OPEN), iso(CLOSE))
    assert s["duration_seconds"] == (CLOSE - OPEN).total_seconds() == 4 * 3600
    assert s["total_mentions"] == len(rows) == 223
    assert s["peak"] == {"minute": peak_key + ":00.000Z", "mentions_per_minute": per_minute[peak_key][0]}
    assert s["peak"]["minute"] == iso(SPIKE) and s["peak"]["mentions_per_minute"] == 60
    assert s["spikes"] == 1
    assert (s["storm_start"], s["storm_end"]) == (iso(SPIKE), iso(SPIKE + timedelta(minutes=30)))
    want = expected_sentiment(rows)
    for period, got in s["sentiment"].items():
        w = want[period]
        assert got["mentions"] == w["mentions"] and got["negative"] == w["negative"], period
        assert got["mean_compound"] == pytest.approx(w["mean_compound"], abs=1e-4), period
        assert got["negative_share"] == pytest.approx(w["negative_share"], abs=1e-4), period
    assert [p["mentions"] for p in s["sentiment"].values()] == [90, 118, 15]

    vol = r["volume"]
    assert {m["minute"][:16]: (m["count"], m["negative"]) for m in vol["minutes"]} == per_minute
    assert vol["spike_minutes"] == [iso(SPIKE)]

    resp = r["responses"]
    ids = scenario["ids"]
    d1, d2, d3 = scenario["drafts"]
    assert resp["first_response_minutes"] == TARGET_MIN
    assert resp["replied_mentions"] == 3
    assert resp["replies"] == [
        {"mention_id": ids[f"spike-0915-{i}"], "received_at": iso(RECEIVED), "replied_at": iso(p),
         "seconds": sec} for i, (p, sec) in enumerate(zip(PUBLISHED, REPLY_SECONDS, strict=True))]
    assert resp["median_seconds"] == statistics.median(REPLY_SECONDS) == 3020
    assert resp["p90_seconds"] == nearest_rank(REPLY_SECONDS, 90) == 3500
    within = sum(1 for x in REPLY_SECONDS if x <= TARGET_MIN * 60)
    assert resp["within_target"] == within == 1
    assert resp["share_within_target"] == round(within / 3, 4)
    assert (resp["drafts"], resp["submitted"], resp["approvals"], resp["published"]) == (4, 4, 3, 3)
    assert resp["clock_breaches"] == expected_breaches() == 222  # all but the one answered in time
    assert resp["rejections"] == [{"draft_id": d2, "at": iso(at(10, 2)), "by": "ann",
                                   "reason": "Too vague | say which <flight>"}]
    assert len(resp["lint_overrides"]) == 1
    override = resp["lint_overrides"][0]
    assert (override["draft_id"], override["at"], override["by"], override["reason"]) == (
        d3, iso(at(10, 11)), "lea", "Legal insisted on this wording")
    assert "banned-phrase" in override["rules"]
    bins = [0, 5, 15, 30, 60, 120, 240]
    hist = [sum(1 for x in REPLY_SECONDS if lo * 60 <= x < hi * 60) for lo, hi in zip(bins, bins[1:], strict=False)]
    hist.append(sum(1 for x in REPLY_SECONDS if x >= 240 * 60))
    assert [b["count"] for b in resp["histogram"]] == hist == [0, 1, 0, 2, 0, 0, 0]
    assert [(b["from_minutes"], b["to_minutes"]) for b in resp["histogram"]] == [
        *zip(bins, bins[1:], strict=False), (240, None)]

    esc = r["escalation"]
    assert esc["escalations"] == [{
        "id": esc["escalations"][0]["id"], "reason": "spike", "state": "acknowledged",
        "opened_at": iso(ESC_OPENED), "acknowledged_at": iso(ACKED), "acknowledged_by": "lea",
        "seconds_to_ack": (ACKED - ESC_OPENED).total_seconds(), "updates": 0}]
    assert esc["escalations"][0]["seconds_to_ack"] == 740
    first, second = esc["pages"]
    assert (first["target"], first["recipient"], first["status"], first["sent_at"]) == (
        "role:Lead", "user:lea", "not delivered", iso(at(9, 17)))  # LogSender: no Slack, nobody told
    assert (first["acknowledged_at"], first["seconds_to_ack"]) == (iso(ACKED), (ACKED - at(9, 17)).total_seconds())
    assert first["seconds_to_ack"] == 720 and first["attempts"] == 1
    assert (second["target"], second["status"], second["sent_at"], second["seconds_to_ack"]) == (
        "user:ghost", "failed", None, None)
    assert "nobody" in second["error"]
    eid = esc["escalations"][0]["id"]
    pages_raw = scenario["db"].execute(
        "SELECT id, escalation_id, due_at, attempts FROM pages WHERE room_id = ? ORDER BY id",
        [scenario["room"]]).fetchall()
    assert [(p["id"], p["escalation_id"], p["due_at"], p["attempts"]) for p in esc["pages"]] == [
        (pages_raw[0][0], eid, iso(at(9, 17)), 1), (pages_raw[1][0], eid, iso(at(9, 27)), 0)]
    assert (esc["pages_sent"], esc["pages_failed"], esc["pages_undelivered"], esc["retries"]) == (0, 1, 1, 0)

    # Lead: 08:00 (lea) and 12:00 (nobody) began before the 12:30 close; Tweep:
    # 08:00 full (rob, tim), 12:00 half (tim).
    assert r["roster"]["roles"] == [
        {"role": "Lead", "slots": 2, "filled": 1, "coverage": 0.5, "seats": 2, "signed_up": 1},
        {"role": "Tweep", "slots": 2, "filled": 1, "coverage": 0.75, "seats": 4, "signed_up": 3},  # seats taken
    ]
    tweep8 = scenario["slots"][("Tweep", "2026-03-29T08:00:00.000Z")]
    assert r["roster"]["handover_notes"] == [{
        "at": iso(at(11, 50)), "by": "rob", "slot_id": tweep8, "role": "Tweep",
        "note": "Two refunds pending legal", "open_items": ["refund for user7"],
        "promises": ["update at 13:00"]}]

    raw = scenario["db"].execute(
        "SELECT id, ts, kind, actor, data FROM events WHERE room_id = ? ORDER BY id",
        [scenario["room"]]).fetchall()
    assert [(e["id"], e["ts"], e["kind"], e["actor"], e["data"]) for e in r["timeline"]] == [
        (i, t, k, a, json.loads(d)) for i, t, k, a, d in raw]
    assert len(r["timeline"]) > 100
    assert r["room"] == {"id": scenario["room"], "title": "Ash <cloud> | day 1",
                         "description": "Flights grounded", "status": "closed", "is_drill": False,
                         "owner": "lea"}
    assert r["generated_at"] == iso(EXPORT) and r["schema"] == "warroom.postmortem/1"
    assert r["timeline"][0]["kind"] == "room.opened" and r["timeline"][-1]["kind"] == "room.closed"

    les = r["lessons"]
    assert (les["version"], les["versions"], les["author"], les["saved_at"]) == (
        2, 2, "lea", iso(CLOSE))
    assert les["text"].startswith("## What went well")


def test_json_validates_against_schema(scenario):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(render.to_json(scenario["report"]))
    jsonschema.Draft202012Validator(schema).validate(doc)
    broken = dict(doc, summary=dict(doc["summary"], total_mentions="223"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def _rows_in(md: str, html: str, label: str, value: str) -> None:
    """A table row starting with label, then value (cells joined by ' | ')."""
    assert re.search(rf"^\| {re.escape(label)} \| {re.escape(value)} \|", md, re.M), (label, value)
    text = unescape(re.sub(r"\s+", " ", html))
    cells = "".join(f"<t[dh]>{re.escape(c)}</t[dh]> ?" for c in [label, *value.split(" | ")])
    assert re.search(cells, text), (label, value)


def test_markdown_and_html_carry_the_same_numbers(scenario):
    r = scenario["report"]
    md, html = render.to_markdown(r), render.to_html(r)
    s = r["summary"]
    rows = expected_mentions()
    sent = expected_sentiment(rows)
    _rows_in(md, html, "Playbook", "golden-storm v3 — Golden storm: stranded passengers")
    _rows_in(md, html, "Duration", "4 h 00 min")
    _rows_in(md, html, "Total mentions", f"{len(rows):,}")
    _rows_in(md, html, "Peak mention rate", "60 per minute at 2026-03-29 09:15:00")
    _rows_in(md, html, "Spikes detected", "1")
    _rows_in(md, html, "Mentions replied", "3")
    _rows_in(md, html, "Median time to first reply", f"{statistics.median(REPLY_SECONDS) / 60:.1f} min")
    _rows_in(md, html, "p90 time to first reply", f"{nearest_rank(REPLY_SECONDS, 90) / 60:.1f} min")
    _rows_in(md, html, "Replied within target", "1 (33.3%)")
    _rows_in(md, html, "Mentions unanswered past the target", str(expected_breaches()))
    for label, value in (("Drafts", "4"), ("Submitted for approval", "4"), ("Approvals", "3"),
                         ("Rejections", "1"), ("Lint overrides", "1"), ("Published replies", "3"),
                         ("First-response target", "15 min")):
        _rows_in(md, html, label, value)
    for period, w in sent.items():
        cells = [period, str(w["mentions"]), f"{w['mean_compound']:+.3f}", str(w["negative"]),
                 "0", f"{w['negative_share'] * 100:.1f}%"]  # no unknown-language mention in this storm
        assert "| " + " | ".join(cells) + " |" in md, cells
        assert "".join(f"<td>{c}</td>" for c in cells) in re.sub(r"\s+", "", html), cells
    _rows_in(md, html, "Lead", "1 | 2 | 50.0% | 1 | 2")  # filled, slots, coverage, signed up, seats
    _rows_in(md, html, "Tweep", "1 | 2 | 75.0% | 3 | 4")
    _rows_in(md, html, "Escalation", "Reason | State | Opened | Acknowledged | By | Time to acknowledge")
    assert "| 1 | spike | acknowledged | 2026-03-29 09:16:40 | 2026-03-29 09:29:00 | lea | 12.3 min |" in md
    assert "| role:Lead | user:lea | not delivered | 2026-03-29 09:17:00 | 1 | 2026-03-29 09:29:00 | 12.0 min | — |" in md
    for text in ("12.3 min", "12.0 min", "user:ghost", "50.0%", "Two refunds pending legal",
                 "Legal insisted on this wording", "2026-03-29 09:29:00"):
        assert text in md and text in unescape(html), text
    assert s["total_mentions"] == 223
    # user text never becomes markup
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Ash &lt;cloud&gt;" in html and "<cloud>" not in html
    assert html.count("<svg") == 3 and "<script" not in html
    assert md.count("](data:image/svg+xml;base64,") == 3


def test_markdown_charts_as_files(scenario):
    text, files = render.markdown_with_files(scenario["report"], "pm")
    assert sorted(files) == ["pm-negative.svg", "pm-replies.svg", "pm-volume.svg"]
    for name, svg in files.items():
        assert f"]({name})" in text and svg.startswith("<svg")
    assert 'class="spike"' in files["pm-volume.svg"]


@pytest.mark.e2e
def test_html_renders_in_chromium_with_visible_charts(scenario):
    from playwright.sync_api import sync_playwright

    html = render.to_html(scenario["report"])
    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "postmortem.html").write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_content(html, wait_until="load")
            page.screenshot(path=str(out / "postmortem.png"), full_page=True)
            assert page.title() == "Post-mortem: Ash <cloud> | day 1"
            for name in ("volume", "negative", "replies"):
                box = page.locator(f"#chart-{name} svg").bounding_box()
                assert box and box["width"] > 300 and box["height"] > 100, (name, box)
            line = page.locator("#chart-volume polyline.series").bounding_box()
            assert line and line["width"] > 100 and line["height"] > 10
            assert page.locator("#chart-volume circle.spike").count() == 1
            bars = page.locator("#chart-replies rect.bar")
            assert bars.count() == 7
            assert max(bars.nth(i).bounding_box()["height"] for i in range(7)) > 50
            assert page.locator("table").count() >= 8
        finally:
            browser.close()
    assert (out / "postmortem.png").stat().st_size > 10_000


def test_tables_built_directly_match_the_markdown_rendering(scenario):
    import markdown

    r = scenario["report"]

    def cells(html: str) -> list[str]:
        return [unescape(c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", html, re.S)]

    via_markdown = markdown.markdown(render.to_markdown(r), extensions=["tables"])
    direct = render.to_html(r, direct_rows=0)  # every table built directly
    assert "@@table" not in direct
    assert cells(direct) == cells(via_markdown)
    assert len(cells(direct)) > 5 * (len(render.fold_batches(r["timeline"])) + 1)  # batches folded
    assert cells(render.to_html(r)) == cells(direct)
