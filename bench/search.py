"""Search latency (p50/p99, milliseconds) on a room of 100,000 mentions.

Builds the room in a temporary SQLite file through ``mentions.ingest`` (so
the FTS5 index is filled by its triggers, as in production), in batches of
5,000, then times ``listening.search.search`` (criteria checked and the
page of 50 read, as the API does) for a few query shapes, each with terms
drawn from the texts themselves so common and rare words both occur:

- common word: one of the 20 most frequent words
- rare word: a word seen 2-5 times
- phrase: two adjacent words of a stored text, quoted
- prefix: the first three letters of a common word, with *
- handle: an author's handle as a word (finds their posts and posts naming them)
- word + filters: a common word, one source, sentiment negative
- filters only: author exact (no text)
- next page: a common word, the page after the first

Texts: the real airline tweets from the shared data when present (read in
place), repeated with new ids and authors up to the count, else the packaged
demo storm.

``--store postgresql`` runs on a PostgreSQL server started for the run
(tests/pg_server.py: Debian's postgresql in a temporary folder, as the tests
use it; the tsvector index is filled by its triggers too); ``--store both``
builds the same room in each store and prints their figures side by side,
with the same queries.

    .venv/bin/python bench/search.py [--mentions 100000] [--queries 200] [--store sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pg_server  # noqa: E402
from tests.conftest import FIXED_NOW, shared_data_dir  # noqa: E402
from warroom import accounts, rooms  # noqa: E402
from warroom import db as dbmod  # noqa: E402
from warroom.clock import iso  # noqa: E402
from warroom.listening import mentions, replay  # noqa: E402
from warroom.listening import search as S  # noqa: E402
from warroom.listening.sentiment import Scorer  # noqa: E402

BATCH = 5000
SOURCES = ["twitter", "bluesky", "mastodon", "facebook", "instagram"]
WORD = re.compile(r"[a-z]{4,}")


def texts() -> tuple[str, list[str]]:
    airline = shared_data_dir() / "airline_tweets" / "airline_tweets_2015.csv"
    path = airline if airline.exists() else ROOT / "warroom" / "listening" / "data" / "demo_storm.ndjson"
    return path.name, [rec["text"] for _line, rec in replay.read_records(path)]


def build(db, n: int, pool: list[str]) -> tuple[int, float, list[str]]:
    lead = accounts.add_user(db, FIXED_NOW, "lead", "lead", "correct horse battery staple")
    room = rooms.open_room(db, FIXED_NOW, lead, "Search bench")
    scorer = Scorer()
    rng = random.Random(7)
    start = FIXED_NOW - timedelta(days=2)
    authors = []
    t0 = time.perf_counter()
    for b in range(0, n, BATCH):
        recs = []
        for i in range(b, min(n, b + BATCH)):
            recs.append({"external_id": str(i), "source": SOURCES[i % len(SOURCES)],
                         "author": f"@user{rng.randrange(n // 4)}", "text": pool[i % len(pool)], "url": "",
                         "followers": rng.randrange(100_000), "lang": "en",
                         "created_at": iso(start + timedelta(seconds=i))})
        now = start + timedelta(seconds=min(n, b + BATCH))
        mentions.ingest(db, now, room.id, mentions.validate(recs, now), scorer)
        authors += [r["author"] for r in recs]
    return room.id, time.perf_counter() - t0, authors


def shapes(authors: list[str], pool: list[str], rng: random.Random) -> dict[str, list[dict]]:
    counts = Counter(w for t in pool for w in set(WORD.findall(t.lower())))
    common = [w for w, _ in counts.most_common(20)]
    rare = [w for w, c in counts.items() if 2 <= c <= 5] or common
    phrases = []
    for t in pool[:2000]:
        words = WORD.findall(t.lower())
        if len(words) >= 2:
            phrases.append(f'"{words[0]} {words[1]}"')
    handles = rng.sample(authors, min(50, len(authors)))  # the same on every store
    return {
        "common word": [{"q": rng.choice(common)} for _ in range(50)],
        "rare word": [{"q": rng.choice(rare)} for _ in range(50)],
        "phrase": [{"q": rng.choice(phrases)} for _ in range(50)],
        "prefix": [{"q": rng.choice(common)[:3] + "*"} for _ in range(50)],
        "handle": [{"q": h} for h in handles],
        "word + filters": [{"q": rng.choice(common), "source": rng.choice(SOURCES), "sentiment": "negative"}
                           for _ in range(50)],
        "filters only": [{"author": h} for h in handles],
        "next page": [{"q": rng.choice(common), "_page": 2} for _ in range(50)],
    }


def timed(db, room_id: int, params: dict) -> float:
    params = dict(params)
    page_no = params.pop("_page", 1)
    t0 = time.perf_counter()
    crit = S.criteria(**params)
    page = S.search(db, room_id, crit, limit=50)
    if page_no == 2 and page.next_before:
        S.search(db, room_id, crit, before=page.next_before, limit=50)
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(db, args, name: str, pool: list[str], store: str) -> dict[str, tuple[float, float, float, dict]]:
    """Build the room in ``db`` and time every shape: label -> (p50, p99, max, example)."""
    dbmod.migrate(db)
    room_id, took, authors = build(db, args.mentions, pool)
    if store == "postgresql":
        # What autovacuum does soon after a bulk load, done now: without
        # statistics the planner walks the room's rows instead of the index.
        db.execute("ANALYZE")
    print(f"{store}: {args.mentions:,} mentions from {name} ({len(pool):,} distinct texts) ingested in {took:.1f} s"
          f" ({args.mentions / took:,.0f}/s, index by triggers)", flush=True)
    out = {}
    for label, cases in shapes(authors, pool, random.Random(11)).items():
        for c in cases[:5]:
            timed(db, room_id, c)  # warm the page cache
        runs = [timed(db, room_id, cases[i % len(cases)]) for i in range(args.queries)]
        example = {k: v for k, v in cases[0].items() if not k.startswith("_")}
        out[label] = (statistics.median(runs), pct(runs, 99), max(runs), example)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mentions", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200, help="timed queries per shape")
    ap.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = ap.parse_args()
    name, pool = texts()
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    results = {}
    try:
        for store in stores:
            with tempfile.TemporaryDirectory() as tmp:
                db = dbmod.connect(pg_server.server().new_database(migrated=False) if store == "postgresql"
                                   else Path(tmp) / "bench.db")
                try:
                    results[store] = run(db, args, name, pool, store)
                finally:
                    db.close()
    finally:
        pg_server.stop()
    head = "".join(f" {store + ' p50':>15} {'p99':>8} {'max':>8}" for store in stores)
    print(f"{'shape (ms)':<16}{head}  example")
    for label in results[stores[0]]:
        cols = "".join(f" {results[s][label][0]:15.2f} {results[s][label][1]:8.2f} {results[s][label][2]:8.2f}"
                       for s in stores)
        print(f"{label:<16}{cols}  {results[stores[0]][label][3]}")


if __name__ == "__main__":
    main()
