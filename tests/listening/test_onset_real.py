"""Issue 16 on real data (skipped only where ../shared/data is absent): a quiet
real week pages nobody; a real sentiment swing at flat volume pages as
`sentiment`."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import shared_data_dir
from warroom.listening.spikes import SpikeDetector

DATA = shared_data_dir()
CRISIS = DATA / "crisislex_2012" / "2012_Colorado_wildfires" / "2012_Colorado_wildfires-tweetids_entire_period.csv"
AIRLINES = DATA / "airline_tweets" / "airline_tweets_2015.csv"


@pytest.mark.skipif(not CRISIS.is_file(), reason=f"shared data absent: {CRISIS}")
def test_a_quiet_real_week_pages_nobody():
    # The Colorado wildfire collection's first week (2012-06-08..15): real
    # keyword traffic, a few posts an hour with real bursts, before any fire
    # made news; counted in 5-minute buckets, no stated expectations.
    with CRISIS.open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    stamps = sorted({r[1]: datetime.strptime(r[0].strip(), "%a %b %d %H:%M:%S %z %Y") for r in rows}.values())
    start = stamps[0].replace(minute=stamps[0].minute // 5 * 5, second=0)
    counts = [0] * (7 * 288)
    for t in stamps:
        i = int((t - start).total_seconds() // 300)
        if i < len(counts):
            counts[i] += 1
    assert sum(counts) > 300 and max(counts) >= 3  # real traffic, not an empty week
    det = SpikeDetector()
    fired = [i for i, v in enumerate(counts) if det.update(start + timedelta(minutes=5 * i), v).alarm]
    assert fired == []


@pytest.mark.skipif(not AIRLINES.is_file(), reason=f"shared data absent: {AIRLINES}")
def test_a_real_sentiment_swing_at_flat_volume_pages_as_sentiment():
    # Real hand-labelled tweets at a flat 20 per 5 minutes: two days of Virgin
    # America's (about a third negative), then United's (about two thirds).
    with AIRLINES.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    virgin = [r["airline_sentiment"] == "negative" for r in rows if r["airline"] == "Virgin America"]
    united = [r["airline_sentiment"] == "negative" for r in rows if r["airline"] == "United"]
    per = 20
    calm = [virgin[(k * per + j) % len(virgin)] for k in range(576) for j in range(per)]
    angry = united[: 24 * per]
    assert 0.25 < sum(calm) / len(calm) < 0.45 and sum(angry) / len(angry) > 0.6
    det = SpikeDetector({"normal_per_hour": per * 12})
    start = datetime(2015, 2, 17, tzinfo=UTC)
    out = []
    for k in range(576 + 24):
        flags = calm[k * per:(k + 1) * per] if k < 576 else angry[(k - 576) * per:(k - 575) * per]
        out.append(det.update(start + timedelta(minutes=5 * k), per, sum(flags)))
    fired = [(k, d.kind) for k, d in enumerate(out) if d.alarm]
    assert len(fired) == 1  # one page for the swing, none in two calm days
    k, kind = fired[0]
    assert kind == "sentiment" and 576 <= k < 576 + 12  # within the swing's first hour
    assert "negative" in out[k].why
