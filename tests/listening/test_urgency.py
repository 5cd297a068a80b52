"""The queue's order (listening.urgency): reach, negativity and waiting, each
named as a reason; and the board's mirror (static/urgency.js) run under
Node on the same inputs gives the same score and the same reasons."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW
from warroom.clock import iso
from warroom.listening.urgency import urgency

JS = Path(__file__).resolve().parents[2] / "static" / "urgency.js"


def _u(minutes=0.0, label="neutral", followers=None, answered=False, limit=60, mid=7):
    received = iso(FIXED_NOW - timedelta(minutes=minutes))
    return urgency(mention_id=mid, received_at=received, sentiment_label=label, followers=followers,
                   answered=answered, first_response_minutes=limit, now=FIXED_NOW)


def test_reach_lifts_a_mention_and_is_named_with_its_followers():
    plain, reasons = _u(minutes=5, followers=10)
    big, big_reasons = _u(minutes=5, followers=250_000)
    assert big > plain
    assert [r["code"] for r in reasons] == []
    assert big_reasons == [{"code": "reach", "weight": pytest.approx(0.1 * 5.39794, abs=1e-4), "followers": 250_000}]


def test_reach_is_logarithmic_so_a_celebrity_does_not_bury_a_breaching_complaint():
    celebrity, _ = _u(minutes=1, followers=50_000_000)          # +0.77
    breaching, reasons = _u(minutes=75, label="negative", followers=20)
    assert breaching > celebrity
    assert [r["code"] for r in reasons] == ["breaching", "negative"]


def test_waiting_is_named_from_half_the_clock_and_breaching_from_all_of_it():
    assert _u(minutes=29)[1] == []
    assert [r["code"] for r in _u(minutes=31)[1]] == ["waiting"]
    assert [r["code"] for r in _u(minutes=61)[1]] == ["breaching"]
    assert _u(minutes=31)[1][0]["minutes"] == pytest.approx(31)


def test_reasons_go_strongest_first():
    _, reasons = _u(minutes=40, label="negative", followers=5_000_000)   # waiting .67, reach .67+, negative .5
    assert [r["code"] for r in reasons] == ["reach", "waiting", "negative"]


def test_answered_sinks_below_every_open_mention():
    answered, reasons = _u(minutes=500, label="negative", followers=10**9, answered=True)
    assert answered < _u(minutes=0)[0]
    assert reasons == [{"code": "answered", "weight": 0.0}]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_boards_mirror_gives_the_same_scores_and_reasons():
    cases = []
    for minutes, label, followers, answered, limit in itertools.product(
            [0, 0.25, 12.5, 29.999, 30.5, 59, 61, 600], ["negative", "neutral", "positive", "unknown"],
            [None, 0, 999, 1000, 12_345, 10**7], [False, True], [60, 15, None]):
        received = iso(FIXED_NOW - timedelta(minutes=minutes))
        cases.append({"m": {"id": 42, "received_at": received, "sentiment_label": label, "followers": followers},
                      "answered": answered, "limit": limit})
    script = (
        "const u = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        f"const now = Date.parse({json.dumps(iso(FIXED_NOW))});"
        "console.log(JSON.stringify(cases.map(c => u(c.m, Date.parse(c.m.received_at), c.answered, c.limit, now))));"
    )
    out = subprocess.run(["node", "-e", script, str(JS)], input=json.dumps(cases), capture_output=True,
                         text=True, check=True, timeout=60).stdout
    mirrored = json.loads(out)
    assert len(mirrored) == len(cases) > 1000
    for case, js in zip(cases, mirrored, strict=True):
        m = case["m"]
        score, reasons = urgency(mention_id=m["id"], received_at=m["received_at"],
                                 sentiment_label=m["sentiment_label"], followers=m["followers"],
                                 answered=case["answered"], first_response_minutes=case["limit"], now=FIXED_NOW)
        assert js["score"] == pytest.approx(score, rel=1e-12, abs=1e-12), case
        assert [r["code"] for r in js["reasons"]] == [r["code"] for r in reasons], case
        for a, b in zip(js["reasons"], reasons, strict=True):
            assert a["weight"] == pytest.approx(b["weight"], rel=1e-12, abs=1e-12)
            assert a.get("followers") == b.get("followers")
            assert ("minutes" in a) == ("minutes" in b)
            if "minutes" in b:
                assert a["minutes"] == pytest.approx(b["minutes"], rel=1e-12)
