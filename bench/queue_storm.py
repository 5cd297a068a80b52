"""The queue under a storm: what its features cost at ingest.

A script of sections; each is a function in ``SECTIONS`` taking the parsed
arguments and printing its own lines, so a new measurement (search latency,
language detection) is one more function. Run all, or some with --only:

    .venv/bin/python bench/queue_storm.py [--only clusters rebuild] [--mentions 20000] [--batch 500]

Sections:
- ``clusters``: ``mentions.ingest`` of the same seeded storm (the acceptance
  test's: 3/4 copies of 12 campaign texts, varied) into two rooms of one
  temporary database, clustering off and on, batch by batch alternately so
  both see the same machine noise, and a third room with clustering on and
  the language tags removed (every mention's language detected); prints
  mentions/s of each and the ratios (target >= 0.5). What a process pays
  once (datasketch's import, lingua's models) is timed before and printed
  apart.
- ``rebuild``: what a restart costs: the clustered room's in-memory LSH index
  dropped and rebuilt from the stored signatures; prints the variants, their
  bytes and the milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import FIXED_NOW  # noqa: E402
from tests.listening.test_clusters import storm  # noqa: E402
from warroom import accounts, rooms  # noqa: E402
from warroom import db as dbmod  # noqa: E402
from warroom.listening import clusters, language, mentions, minhash  # noqa: E402
from warroom.listening.sentiment import Scorer  # noqa: E402


def _setup(folder: Path):
    db = dbmod.connect(folder / "bench.db")
    dbmod.migrate(db)
    lead = accounts.add_user(db, FIXED_NOW, "lena", "lead", "bench-password-1")
    return db, lead


def section_clusters(args, state) -> None:
    db, lead = state["db"], state["lead"]
    off = rooms.open_room(db, FIXED_NOW, lead, "off", status="monitoring")
    on = rooms.open_room(db, FIXED_NOW, lead, "on", status="monitoring")
    both = rooms.open_room(db, FIXED_NOW, lead, "on+detect", status="monitoring")
    copies = args.mentions * 3 // 4
    recs, _truth = storm(seed=14, copies=copies, distinct=args.mentions - copies)
    batches = [mentions.validate(recs[i:i + args.batch], FIXED_NOW) for i in range(0, len(recs), args.batch)]
    # the same posts with no platform language tag: ingest detects each one's (lingua)
    untagged = [[m._replace(lang=None) for m in batch] for batch in batches]
    scorer = Scorer()
    # Once per process, not per mention: the first use imports datasketch
    # (numpy, scipy) and loads lingua's models. Timed apart, out of the rates.
    t = time.perf_counter()
    minhash.lsh(clusters.THRESHOLD, clusters.NUM_PERM)
    first_lsh = time.perf_counter() - t
    t = time.perf_counter()
    language.warm()
    first_lingua = time.perf_counter() - t
    spent = {"off": 0.0, "on": 0.0, "on+detect": 0.0}
    for tagged, bare in zip(batches, untagged, strict=True):
        for name, room, batch, clustering in (("off", off, tagged, False), ("on", on, tagged, True),
                                              ("on+detect", both, bare, True)):
            t = time.perf_counter()
            mentions.ingest(db, FIXED_NOW, room.id, batch, scorer, clustering=clustering)
            spent[name] += time.perf_counter() - t
    rate = {k: len(recs) / v for k, v in spent.items()}
    items = len(clusters.queue(db, on.id, limit=10**6, min_size=2))
    print(f"clusters: {len(recs)} mentions in batches of {args.batch} ({copies} copies of 12 campaign texts)")
    print(f"  ingest, clustering off: {rate['off']:8.0f} mentions/s")
    print(f"  ingest, clustering on:  {rate['on']:8.0f} mentions/s   ({items} clusters of copies)")
    print(f"  ingest, clustering on and every language detected: {rate['on+detect']:8.0f} mentions/s")
    print(f"  once per process, not in the rates: datasketch import {first_lsh * 1000:.0f} ms,"
          f" lingua's models {first_lingua * 1000:.0f} ms")
    print(f"  ratio on/off: {rate['on'] / rate['off']:.2f}; clustering and detection on / both off: "
          f"{rate['on+detect'] / rate['off']:.2f}   (target >= 0.5)")
    state["room"] = on


def section_rebuild(args, state) -> None:
    db = state["db"]
    room = state.get("room")
    if room is None:
        section_clusters(args, state)
        room = state["room"]
    variants, size = db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(signature)), 0) FROM cluster_variants"
                                " WHERE room_id = ?", [room.id]).fetchone()
    clusters.forget(db, room.id)
    t = time.perf_counter()
    clusters.index_for(db, room.id)
    ms = (time.perf_counter() - t) * 1000
    print(f"rebuild: {variants} stored variants ({size / 1024:.0f} KiB of signatures) "
          f"-> LSH index in {ms:.0f} ms ({ms * 1000 / max(1, variants):.0f} us per variant)")


SECTIONS = {"clusters": section_clusters, "rebuild": section_rebuild}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), help="run these sections only")
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-queue-") as tmp:
        db, lead = _setup(Path(tmp))
        state = {"db": db, "lead": lead}
        for name in args.only or list(SECTIONS):
            SECTIONS[name](args, state)
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
