"""The stock-answer lint: time per ``responses.check`` with the room's LSH
index against the old linear scan (every one of the latest 500 published
replies compared with the exact similarity), measured in the same run on the
same room and the same probe texts, printed as a ratio.

The room gets --replies published replies written as rows in a temporary
SQLite file: personal answers drawn from an incident vocabulary with shared
greetings and sign-offs, plus a few stock answers sent to several people.
The index's one-off build is timed separately. Best of --repeat runs.

    .venv/bin/python bench/lint_stock.py [--replies 500] [--checks 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warroom import accounts, responses, rooms  # noqa: E402
from warroom import db as dbmod  # noqa: E402
from warroom.responses import lint, stock  # noqa: E402

AT = "2026-03-29T08:00:00Z"
WORDS = ("flight bag refund hotel voucher crew gate delay storm ash cloud rebook seat meal train airport "
         "desk queue app email phone tomorrow tonight morning evening luggage tracking claim form receipt "
         "taxi bus lounge upgrade status window aisle pilot weather runway strike staff ticket").split()
WORDS += [a + b + c for a in ("ka", "lo", "mi", "su", "te", "ra") for b in ("ven", "dor", "pli", "mas", "tuk")
          for c in ("a", "o", "is", "um", "et", "ing", "ly")]
STOCK = "Sorry for the disruption. We are rebooking everyone and will update you at {h}pm."


def reply(rng: random.Random) -> str:
    name = rng.choice(["Anna", "Bob", "Chen", "Dara", "Eli", "Fay"])
    return f"Hi {name}, sorry: " + " ".join(rng.sample(WORDS, rng.randint(10, 20))) + ". We'll DM you by 6pm."


def build(path: Path, n: int) -> tuple[dbmod.Database, int, list[str]]:
    rng = random.Random(7)
    db = dbmod.connect(path)
    dbmod.migrate(db)
    from datetime import UTC, datetime

    now = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    lead = accounts.add_user(db, now, "lead", "lead", "bench-password-1")
    room = rooms.open_room(db, now, lead, "Bench")
    texts = [reply(rng) for _ in range(n - 10)] + [STOCK.format(h=5 + i % 4) for i in range(10)]
    rng.shuffle(texts)
    with dbmod.transaction(db):
        for text in texts:
            cur = db.execute("INSERT INTO drafts (room_id, author, text, status, created_at, updated_at)"
                             " VALUES (?, 'vol', ?, 'published', ?, ?)", [room.id, text, AT, AT])
            db.execute("INSERT INTO responses (room_id, draft_id, text, author, approved_by, published_by,"
                       " published_at) VALUES (?, ?, ?, 'vol', 'appr', 'vol', ?)", [room.id, cur.lastrowid, text, AT])
    probes = [reply(rng) for _ in range(8)] + [STOCK.format(h=9), texts[0]]
    return db, room.id, probes


def linear_check(db, room_id: int, text: str):
    """The check as it was: the latest 500 replies, each compared exactly."""
    published = [r[0] for r in db.execute(
        "SELECT text FROM responses WHERE room_id = ? ORDER BY id DESC LIMIT 500", [room_id])]
    return lint.lint(text, responses.rules_for_room(db, room_id), published=published)


def per_check(fn, probes: list[str], checks: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(checks):
            fn(probes[i % len(probes)])
        best = min(best, (time.perf_counter() - start) / checks)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replies", type=int, default=500)
    ap.add_argument("--checks", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db, room_id, probes = build(Path(tmp) / "bench.db", args.replies)
        similarity = responses.rules_for_room(db, room_id).stock_answer_similarity
        start = time.perf_counter()
        index = stock.index_for(db, room_id, similarity)
        build_s = time.perf_counter() - start
        for p in probes:  # same answers, or the comparison means nothing
            assert responses.check(db, room_id, p) == linear_check(db, room_id, p), p
        indexed = per_check(lambda t: responses.check(db, room_id, t), probes, args.checks, args.repeat)
        linear = per_check(lambda t: linear_check(db, room_id, t), probes, args.checks, args.repeat)
        cands = sum(len(index.candidates(p)) for p in probes) / len(probes)
        db.close()
    print(f"published replies: {args.replies}; index build (once per room per process,"
          f" with loading datasketch): {build_s * 1000:.1f} ms")
    print(f"LSH candidates per check: {cands:.1f} on average")
    print(f"linear scan: {linear * 1000:.3f} ms per check")
    print(f"with index:  {indexed * 1000:.3f} ms per check")
    print(f"ratio (linear / index): {linear / indexed:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
