"""Post-mortem export speed on a big room: 100,000 mentions and 20,000 events.

The fixture database is built directly with executemany in a temporary
folder (users, a room with a playbook snapshot, mentions and their
per-minute counts, shift slots and sign-ups, an escalation with pages, and a
timeline of drafts, approvals, rejections, lint overrides, publications,
pages and hand-over notes). In the same run it times reading those rows raw
from SQLite (the floor any export must pay) and prints each export next to
it as a ratio. Best of --repeat runs.

    .venv/bin/python bench/export.py [--mentions 100000] [--events 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warroom import db as dbmod  # noqa: E402
from warroom import postmortem  # noqa: E402
from warroom.clock import iso  # noqa: E402
from warroom.postmortem import render  # noqa: E402

START = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def build(path: Path, n_mentions: int, n_events: int) -> int:
    rnd = random.Random(7)
    db = dbmod.connect(path)
    dbmod.migrate(db)
    text = (ROOT / "playbooks" / "mass-disruption.md").read_text(encoding="utf-8")
    c = db.conn
    with dbmod.transaction(db):
        c.executemany(
            "INSERT INTO users (id, name, role, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)",
            [(i, f"user{i}", "lead" if i == 1 else "responder", iso(START)) for i in range(1, 21)])
        room_id = c.execute(
            "INSERT INTO rooms (title, status, owner_id, opened_at, closed_at, playbook_id,"
            " playbook_version, playbook_text) VALUES ('Bench storm', 'closed', 1, ?, ?,"
            " 'mass-disruption', 1, ?)",
            [iso(START), iso(START + timedelta(hours=30)), text]).lastrowid
        minutes = max(1, n_mentions // 100)  # about 100 a minute
        mentions, per_minute = [], {}
        for i in range(n_mentions):
            created = START + timedelta(minutes=rnd.randrange(minutes), seconds=rnd.randrange(60))
            compound = round(rnd.uniform(-1, 1), 4)
            label = "negative" if compound <= -0.05 else "positive" if compound >= 0.05 else "neutral"
            mentions.append((i + 1, room_id, "bench", f"m{i}", f"author{i % 5000}", f"text {i}", "",
                             iso(created), iso(created + timedelta(seconds=20)), "en", 100,
                             compound, label))
            key = iso(created.replace(second=0))
            n, neg = per_minute.get(key, (0, 0))
            per_minute[key] = (n + 1, neg + (label == "negative"))
        c.executemany("INSERT INTO mentions (id, room_id, source, external_id, author, text, url,"
                      " created_at, received_at, lang, followers, sentiment, sentiment_label)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", mentions)
        c.executemany("INSERT INTO mention_minutes (room_id, minute, count, negative) VALUES (?, ?, ?, ?)",
                      [(room_id, k, n, neg) for k, (n, neg) in per_minute.items()])
        for hour in range(0, 32, 4):
            for role, cap in (("Lead", 1), ("Tweep", 4), ("Rebooker", 4)):
                slot = c.execute("INSERT INTO shift_slots (room_id, role, starts_at, ends_at, capacity)"
                                 " VALUES (?, ?, ?, ?, ?)",
                                 [room_id, role, iso(START + timedelta(hours=hour)),
                                  iso(START + timedelta(hours=hour + 4)), cap]).lastrowid
                for u in rnd.sample(range(2, 21), rnd.randrange(cap + 1)):
                    c.execute("INSERT INTO shift_signups (slot_id, user_id, created_at) VALUES (?, ?, ?)",
                              [slot, u, iso(START)])
        esc = c.execute("INSERT INTO escalations (room_id, reason, state, policy, opened_at, updated_at,"
                        " cycle_started_at, acked_by, acked_at) VALUES (?, 'spike', 'acknowledged', '{}',"
                        " ?, ?, ?, 'user1', ?)",
                        [room_id, iso(START + timedelta(hours=2)), iso(START + timedelta(hours=2)),
                         iso(START + timedelta(hours=2)), iso(START + timedelta(hours=2, minutes=9))]
                        ).lastrowid
        for k in range(6):
            state = "failed" if k == 5 else "sent"
            c.execute("INSERT INTO pages (escalation_id, room_id, cycle, step, target, recipient, state,"
                      " due_at, attempts, send_key, sent_at, last_error, created_at)"
                      " VALUES (?, ?, 0, ?, 'role:Lead', ?, ?, ?, 1, ?, ?, ?, ?)",
                      [esc, room_id, k, f"user:user{k + 1}", state, iso(START + timedelta(hours=2)),
                       f"k{k}", None if state == "failed" else iso(START + timedelta(hours=2, minutes=k)),
                       "slack down" if state == "failed" else None, iso(START)])
        kinds = ["draft.saved", "draft.submitted", "draft.approved", "response.published",
                 "mentions.received", "draft.rejected", "lint.overridden", "roster.handover_note",
                 "roster.signed_up", "mention.claimed"]
        events = []
        for i in range(n_events):
            kind = kinds[i % len(kinds)]
            at = START + timedelta(seconds=i * 5)
            mention = rnd.randrange(1, n_mentions + 1)
            data = {"draft_id": i // 10, "mention_id": mention}
            if kind == "draft.rejected":
                data["reason"] = "too defensive"
            elif kind == "lint.overridden":
                data.update(rules=["defensive"], reason="legal wording")
            elif kind == "roster.handover_note":
                data = {"user": "user3", "slot_id": 1, "role": "Tweep", "note": f"note {i}",
                        "open_items": ["call back"], "promises": []}
            elif kind == "mentions.received":
                data = {"count": 100, "ids": list(range(mention, mention + 200)), "negative": 40,
                        "duplicates": 0}
            events.append((room_id, iso(at), kind, "user2", json.dumps(data)))
        c.executemany("INSERT INTO events (room_id, ts, kind, actor, data) VALUES (?, ?, ?, ?, ?)", events)
    db.close()
    return room_id


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t = time.perf_counter()
        room_id = build(path, args.mentions, args.events)
        print(f"fixture: {args.mentions:,} mentions, {args.events:,} events built in "
              f"{time.perf_counter() - t:.2f} s ({path.stat().st_size / 1e6:.1f} MB)")
        db = dbmod.connect(path)
        now = START + timedelta(hours=31)

        def raw():
            m = db.execute("SELECT * FROM mentions WHERE room_id = ?", [room_id]).fetchall()
            e = db.execute("SELECT * FROM events WHERE room_id = ?", [room_id]).fetchall()
            return len(m) + len(e)

        raw_s, rows = best(raw, args.repeat)
        assert rows == args.mentions + args.events + 0, rows
        build_s, report = best(lambda: postmortem.build_report(db, room_id, now), args.repeat)
        print(f"{'step':<34}{'seconds':>9}{'x raw read':>12}")
        print(f"{'raw read (mentions + events rows)':<34}{raw_s:>9.3f}{1.0:>12.1f}")
        print(f"{'build_report':<34}{build_s:>9.3f}{build_s / raw_s:>12.1f}")
        for fmt in ("json", "md", "html"):
            r_s, text = best(lambda f=fmt: render.render(report, f), args.repeat)
            total = build_s + r_s
            print(f"{'render ' + fmt + f' ({len(text) / 1e6:.1f} MB)':<34}{r_s:>9.3f}{r_s / raw_s:>12.1f}")
            print(f"{'export ' + fmt + ' (build + render)':<34}{total:>9.3f}{total / raw_s:>12.1f}")
        s, resp = report["summary"], report["responses"]
        print(f"check: total_mentions={s['total_mentions']:,} peak={s['peak']['mentions_per_minute']}/min"
              f" replied={resp['replied_mentions']:,} timeline={len(report['timeline']):,}")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
