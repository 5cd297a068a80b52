"""Post-mortem pieces on their own: the statistics, the storm window without a
spike, reading a database without the escalation tables, charts, lessons."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.conftest import make_user
from warroom import dialect, events, postmortem, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer
from warroom.postmortem import charts, lessons, render


def test_median_and_nearest_rank_percentile():
    assert postmortem.median([]) is None and postmortem.percentile([], 90) is None
    assert postmortem.median([3, 1, 2, 10]) == 2.5
    values = list(range(1, 11))  # 1..10
    assert postmortem.percentile(values, 90) == 9  # ceil(0.9 * 10) = 9th smallest
    assert postmortem.percentile(values, 91) == 10
    assert postmortem.percentile([7], 90) == 7
    assert postmortem.percentile([5, 1, 3], 50) == 3


def test_reply_histogram_bins_are_half_open():
    bins = postmortem.reply_histogram([0, 299, 300, 899.9, 900, 3600 * 5])
    assert [b["count"] for b in bins] == [2, 2, 1, 0, 0, 0, 1]
    assert bins[-1] == {"from_minutes": 240, "to_minutes": None, "count": 1}


def test_without_a_spike_the_storm_window_is_the_span_of_the_mentions(db, now):
    lead = make_user(db, "lea", "lead")
    room = rooms.open_room(db, now, lead, "Quiet")
    batch = [mentions.NewMention("rss", str(i), "a", text, "", iso(now + timedelta(minutes=m)), "en", 1)
             for i, (m, text) in enumerate([(-5, "terrible awful service"), (1, "great, thanks"),
                                            (2, "awful delay again")])]
    mentions.ingest(db, now + timedelta(minutes=3), room.id, batch, Scorer())
    report = postmortem.build_report(db, room.id, now + timedelta(hours=2))
    s = report["summary"]
    assert s["spikes"] == 0 and s["closed_at"] is None
    # issue 19: the room's life put a replayed storm all "before"; the mentions' own span does not
    assert (s["storm_start"], s["storm_end"]) == (iso(now - timedelta(minutes=5)), iso(now + timedelta(minutes=3)))
    assert s["duration_seconds"] == 7200
    assert [s["sentiment"][p]["mentions"] for p in ("before", "during", "after")] == [0, 3, 0]
    assert s["sentiment"]["after"]["mean_compound"] is None
    assert s["total_mentions"] == 3 and s["peak"]["mentions_per_minute"] == 1
    assert s["peak"]["minute"] == iso(now - timedelta(minutes=5))  # ties: the earliest minute
    assert report["responses"]["share_within_target"] is None  # no playbook, nothing replied


def test_escalation_read_from_events_when_its_tables_are_absent(db, now):
    lead = make_user(db, "lea", "lead")
    room = rooms.open_room(db, now, lead, "Old database")
    # PostgreSQL refuses to drop a table others reference unless told CASCADE
    # (which drops those foreign keys); SQLite has no such word and no such check.
    cascade = " CASCADE" if db.dialect == dialect.POSTGRESQL else ""
    with transaction(db):
        db.execute("DROP TABLE pages" + cascade)
        db.execute("DROP TABLE notifier_cursor" + cascade)
        db.execute("DROP TABLE escalations" + cascade)
    t = now + timedelta(minutes=1)
    with transaction(db):
        events.append(db, room.id, "escalation.opened", None, {"escalation": 7, "reason": "spike"}, t)
        events.append(db, room.id, "page.sent", None,
                      {"page": 1, "escalation": 7, "target": "role:Lead", "recipient": "user:lea"}, t)
        events.append(db, room.id, "page.retrying", None, {"page": 2, "error": "timeout"}, t)
        events.append(db, room.id, "page.failed", None,
                      {"page": 2, "escalation": 7, "target": "user:x", "error": "slack down"}, t)
        events.append(db, room.id, "escalation.acknowledged", "lea", {"escalation": 7, "by": "lea"},
                      t + timedelta(minutes=4))
        events.append(db, room.id, "response.clock_breached", None,
                      {"count": 3, "mention_ids": [1, 2, 3], "first_response_minutes": 15}, t)
        events.append(db, room.id, "response.clock_breached", None, {"count": 2, "mention_ids": [4, 5]}, t)
    report = postmortem.build_report(db, room.id, t + timedelta(hours=1))
    assert report["responses"]["clock_breaches"] == 5
    assert "| Mentions unanswered past the target | 5 |" in render.to_markdown(report)
    esc = report["escalation"]
    assert esc["escalations"] == [{
        "id": 7, "reason": "spike", "state": "acknowledged", "opened_at": iso(t),
        "acknowledged_at": iso(t + timedelta(minutes=4)), "acknowledged_by": "lea",
        "seconds_to_ack": 240.0, "updates": 0}]
    sent, failed = esc["pages"]
    assert (sent["target"], sent["recipient"], sent["seconds_to_ack"]) == ("role:Lead", "user:lea", 240.0)
    assert (failed["status"], failed["error"], failed["seconds_to_ack"]) == ("failed", "slack down", None)
    assert (esc["pages_sent"], esc["pages_failed"], esc["retries"]) == (1, 1, 1)


def test_unknown_room_gives_no_report(db, now):
    assert postmortem.build_report(db, 42, now) is None


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def test_charts_are_wellformed_svg_with_escaped_text():
    minutes = [{"minute": "2026-03-29T09:00:00.000Z", "count": 3, "negative": 1},
               {"minute": "2026-03-29T09:01:00.000Z", "count": 40, "negative": 30},
               {"minute": "2026-03-29T09:05:00.000Z", "count": 2, "negative": 0}]
    vol = _parse(charts.volume(minutes, ["2026-03-29T09:01:00.000Z", "<b>&"]))
    ns = "{http://www.w3.org/2000/svg}"
    spikes = [c for c in vol.iter(f"{ns}circle") if c.get("class") == "spike"]
    assert len(spikes) == 2
    assert "<b>&" in "".join(spikes[1].itertext())  # escaped on the way in, intact when parsed
    xs = [float(p.split(",")[0]) for p in vol.find(f"{ns}polyline").get("points").split()]
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[1]) / 4)  # positioned by time, gaps kept
    neg = _parse(charts.negative_share(minutes))
    assert neg.find(f"{ns}polyline") is not None
    hist = postmortem.reply_histogram([60, 600, 4000])
    bars = _parse(charts.reply_times(hist, 15)).findall(f"{ns}rect[@class='bar']")
    assert len(bars) == 7 and [b.get("fill") for b in bars[:3]] == ["#15803d", "#15803d", "#c2410c"]
    for svg in (charts.volume([], []), charts.negative_share([]), charts.reply_times(hist[:0], None)):
        assert "no " in "".join(_parse(svg).itertext())


def test_lessons_versions_and_errors(db, now):
    lead = make_user(db, "lea", "lead")
    room = rooms.open_room(db, now, lead, "Lessons")
    with pytest.raises(lessons.LessonsError) as err:
        lessons.save_lessons(db, now, room.id, "lea", "   ")
    assert err.value.field == "lessons"
    with pytest.raises(lessons.LessonsError) as err:
        lessons.save_lessons(db, now, room.id, "lea", "x" * (lessons.MAX_LESSONS_CHARS + 1))
    assert err.value.field == "lessons"
    with pytest.raises(lessons.LessonsError) as err:
        lessons.save_lessons(db, now, 999, "lea", "text")
    assert err.value.field == "room"
    first = lessons.save_lessons(db, now, room.id, "lea", "one\r\ntwo")
    same = lessons.save_lessons(db, now + timedelta(minutes=1), room.id, "lea", "one\ntwo")
    second = lessons.save_lessons(db, now + timedelta(minutes=2), room.id, "ann", "three")
    assert (first.version, same.version, second.version) == (1, 1, 2)
    assert first.text == "one\ntwo" and lessons.lessons(db, room.id) == second
    saved = [e.data for e in events.timeline(db, room.id) if e.kind == "postmortem.lessons_saved"]
    assert saved == [{"version": 1, "chars": 7}, {"version": 2, "chars": 5}]
    report = postmortem.build_report(db, room.id, now + timedelta(hours=1))
    assert report["lessons"]["version"] == 2 and report["lessons"]["versions"] == 2
    assert "Version 2 of 2, by ann" in render.to_markdown(report)
