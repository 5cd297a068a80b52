"""Near-duplicate campaigns in the post-mortem: the largest clusters, their
first post and their size over time, valid against the report's schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema

from tests.conftest import make_user
from warroom import postmortem, rooms
from warroom.clock import iso
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer

SCHEMA = Path(__file__).resolve().parents[2] / "warroom" / "postmortem" / "postmortem.schema.json"
BIG = "Give the orangutan a break and stop buying palm oil from the companies burning the rainforest"
SMALL = "Your new recipe tastes like cardboard and costs twice as much as the old one did"


def test_largest_campaigns_with_first_post_and_growth(db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Palm oil", status="monitoring")
    start = now - timedelta(hours=3)
    recs = []
    # The big campaign: 2 posts in the first hour, 5 in the second, 3 in the third; sent out of order.
    for i, minutes in enumerate([150, 10, 70, 75, 80, 85, 5, 130, 140, 90]):
        recs.append({"external_id": f"b{i}", "source": "twitter", "author": f"fan{i}", "url": "",
                     "text": (f"RT @fan{i}: " if i % 2 else "") + BIG, "lang": "en", "followers": 100,
                     "created_at": iso(start + timedelta(minutes=minutes))})
    for i in range(3):
        recs.append({"external_id": f"s{i}", "source": "bluesky", "author": f"eater{i}", "url": "",
                     "text": SMALL.upper(), "lang": "en", "created_at": iso(start + timedelta(minutes=i))})
    recs.append({"external_id": "own", "source": "twitter", "author": "x", "url": "",
                 "text": "where is my parcel", "created_at": iso(start)})
    mentions.ingest(db, now, room.id, mentions.validate(recs, now), Scorer())

    report = postmortem.build_report(db, room.id, now)
    got = report["campaigns"]
    assert [(c["size"], c["reach"]) for c in got] == [(10, 1000), (3, 0)]  # the singleton is no campaign
    big = got[0]
    assert big["first_at"] == iso(start + timedelta(minutes=5))
    assert big["first_post"]["author"] == "fan6"  # the earliest post, though it arrived seventh
    assert [g["size"] for g in big["growth"]] == [2, 7, 10]
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(postmortem.render.render(report, "json")))
    md = postmortem.render.render(report, "md")
    assert "### Campaigns" in md and "fan6" in md


def test_a_room_without_copies_has_no_campaigns(db, now):
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, now, lead, "Calm", status="monitoring")
    mentions.ingest(db, now, room.id, mentions.validate([{
        "external_id": "a", "source": "twitter", "author": "x", "url": "", "text": "hello there",
        "created_at": iso(now)}], now), Scorer())
    report = postmortem.build_report(db, room.id, now)
    assert "campaigns" not in report and "### Campaigns" not in postmortem.render.render(report, "md")
