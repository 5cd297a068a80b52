"""The stock-answer index: the same findings as comparing every published
reply, from a few LSH candidates, caught up incrementally across processes."""

from __future__ import annotations

import random

from warroom import db as dbmod
from warroom import responses, rooms
from warroom.responses import lint
from warroom.responses import stock as stockmod

from ..conftest import make_user

STOCK = "Sorry for the disruption. We are rebooking everyone and will update you at 5pm."
# Customer-service words plus made-up ones: a room's replies share greetings,
# sign-offs and the incident's words, and differ in the rest.
COMMON = ("flight bag refund hotel voucher crew gate delay storm ash cloud rebook seat meal train "
          "airport desk queue app email phone tomorrow tonight morning evening").split()
VOCAB = COMMON + [a + b + c for a in ("ka", "lo", "mi", "su", "te", "ra")
                  for b in ("ven", "dor", "pli", "mas", "tuk", "ber")
                  for c in ("a", "o", "is", "um", "et", "ing", "ly", "er")]


def varied(rng: random.Random, n: int) -> list[str]:
    """Personal replies: each draws its own words, so few are alike."""
    out = []
    for _ in range(n):
        words = rng.sample(VOCAB, rng.randint(10, 18))
        out.append("Hi, " + " ".join(words) + ". We'll DM you by 6pm.")
    return out


def publish_raw(db, room_id: int, author: str, texts: list[str], at: str) -> None:
    """Published replies written as rows (what ``publish`` leaves), many at once."""
    with dbmod.transaction(db):
        for text in texts:
            cur = db.execute(
                "INSERT INTO drafts (room_id, author, text, status, created_at, updated_at)"
                " VALUES (?, ?, ?, 'published', ?, ?)", [room_id, author, text, at, at])
            db.execute(
                "INSERT INTO responses (room_id, draft_id, text, author, approved_by, published_by,"
                " published_at) VALUES (?, ?, ?, ?, 'appr', ?, ?)",
                [room_id, cur.lastrowid, text, author, author, at])


def test_check_matches_the_linear_scan_at_500_replies(db, now):
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Ash")
    rng = random.Random(7)
    near = [STOCK.replace("5pm", f"{h}pm").replace("everyone", w)
            for h, w in [(5, "everyone"), (6, "everybody"), (7, "all of you"), (8, "everyone"), (9, "you all")]]
    texts = varied(rng, 495) + near
    rng.shuffle(texts)
    publish_raw(db, room.id, "vol", texts, "2026-03-29T08:00:00Z")
    probes = [STOCK, STOCK.upper(), "Sorry for the disruption.", *varied(random.Random(8), 20), *texts[:20]]
    rules = responses.rules_for_room(db, room.id)
    for probe in probes:
        linear = lint.lint(probe, rules, published=texts)
        assert responses.check(db, room.id, probe) == linear, probe
    assert [f.rule for f in responses.check(db, room.id, STOCK)] == ["stock-answer"]
    assert "already published to 5 people" in responses.check(db, room.id, STOCK)[0].reason
    # the point: a handful of candidates, not 500 comparisons
    index = stockmod.index_for(db, room.id, rules.stock_answer_similarity)
    assert index.size == 500
    assert 5 <= len(index.candidates(STOCK)) <= 50
    assert len(index.candidates(varied(random.Random(9), 1)[0])) <= 50


def test_index_catches_up_with_replies_published_elsewhere(db, now, settings):
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Ash")
    other_room = rooms.open_room(db, now, lead, "Elsewhere")
    assert responses.check(db, room.id, STOCK) == []
    index = stockmod.index_for(db, room.id, 0.8)
    # another process (its own connection) publishes the stock answer three times
    other = dbmod.connect(settings.db_url)
    try:
        publish_raw(other, room.id, "vol", [STOCK, STOCK.replace("5pm", "6pm")], "2026-03-29T08:00:00Z")
        publish_raw(other, other_room.id, "vol", [STOCK] * 5, "2026-03-29T08:00:00Z")
        assert responses.check(db, room.id, STOCK) == []  # two are not "many"; other rooms do not count
        publish_raw(other, room.id, "vol", [STOCK.replace("5pm", "7pm")], "2026-03-29T08:01:00Z")
    finally:
        other.close()
    found = responses.check(db, room.id, STOCK)
    assert [f.rule for f in found] == ["stock-answer"] and "to 3 people" in found[0].reason
    assert stockmod.index_for(db, room.id, 0.8) is index and index.size == 3  # caught up, not rebuilt


def test_lsh_threshold_stays_below_the_bound_the_ratio_implies():
    for t in (0.5, 0.8, 0.9, 1.0):
        bound = t / (2 - t)
        assert stockmod.lsh_threshold(t) < bound
    assert stockmod.lsh_threshold(0.0) == 0.1
