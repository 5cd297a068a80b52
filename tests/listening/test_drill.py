"""Replays: pacing with --speed (fake clock and sleep, no wall time), batching,
`run.py ingest` and `run.py drill` as real processes, and the real airline
tweets replaying the same way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_user, shared_data_dir
from warroom import db as dbmod
from warroom import rooms
from warroom.clock import iso
from warroom.listening import mentions, replay, volume
from warroom.listening.sentiment import Scorer

SCORER = Scorer()
AIRLINE = shared_data_dir() / "airline_tweets" / "airline_tweets_2015.csv"


def rec(i, ts, text="Where is my refund?"):
    return {"external_id": f"r{i}", "source": "twitter", "author": f"u{i}", "text": text,
            "url": "", "created_at": iso(ts)}


class FakeTime:
    def __init__(self):
        self.t = 0.0
        self.slept = []

    def clock(self):
        return self.t

    def sleep(self, s):
        self.slept.append(s)
        self.t += s


@pytest.fixture
def room(db, now):
    return rooms.open_room(db, now, make_user(db, "lena", "lead"), "Replay")


def test_speed_keeps_rhythm_scaled(db, room, now):
    start = now - timedelta(hours=2)
    offsets = [0, 10, 20, 60, 61, 600, 3600]  # seconds into the recording
    batch = mentions.validate([rec(i, start + timedelta(seconds=o)) for i, o in enumerate(offsets)], now)
    fake = FakeTime()
    flushes = []
    result = replay.replay(db, room.id, batch, SCORER, speed=60, clock=fake.clock, sleep=fake.sleep,
                           now_fn=lambda: now, progress=lambda done, total: flushes.append((fake.t, done)))
    assert result.accepted == len(offsets)
    # an hour of recording took a minute of (fake) time
    assert fake.t == pytest.approx(3600 / 60)
    # each flush happened no earlier than the due time of the mentions it sent
    # (minus the quarter second that groups close mentions into one batch)
    sent = 0
    for t, done in flushes:
        for o in offsets[sent:done]:
            assert t >= o / 60 - 0.25, (t, o)
        sent = done
    # at speed 60, 0 s and 10 s are 1/6 s apart (< 0.25 s: one batch); 60 s and
    # 61 s too; everything else waits for its own time.
    assert [d for _t, d in flushes] == [2, 3, 5, 6, 7]


def test_speed_twice_as_fast_halves_the_time(db, room, now):
    start = now - timedelta(hours=1)
    batch = mentions.validate([rec(i, start + timedelta(seconds=30 * i)) for i in range(40)], now)
    a, b = FakeTime(), FakeTime()
    replay.replay(db, room.id, batch, SCORER, speed=10, clock=a.clock, sleep=a.sleep, now_fn=lambda: now)
    replay.replay(db, room.id, batch, SCORER, speed=20, clock=b.clock, sleep=b.sleep, now_fn=lambda: now)
    assert a.t == pytest.approx(2 * b.t) and a.t == pytest.approx(39 * 30 / 10)


def test_as_fast_as_possible_batches(db, room, now):
    start = now - timedelta(hours=1)
    batch = mentions.validate([rec(i, start + timedelta(seconds=i)) for i in range(2500)], now)
    fake = FakeTime()
    seen = []
    result = replay.replay(db, room.id, batch, SCORER, clock=fake.clock, sleep=fake.sleep,
                           progress=lambda done, total: seen.append(done))
    assert (result.accepted, result.batches, fake.slept) == (2500, 3, [])
    assert seen == [1000, 2000, 2500]


def test_read_records_forms(tmp_path, now):
    nd = tmp_path / "m.ndjson"
    nd.write_text("# a note\n" + json.dumps(rec(1, now)) + "\n\n" + json.dumps(rec(2, now - timedelta(minutes=1))) + "\n")
    loaded = replay.load(nd, now)
    assert [m.external_id for m in loaded] == ["r2", "r1"]  # sorted by created_at
    csv_file = tmp_path / "m.csv"
    csv_file.write_text("external_id,source,author,text,url,created_at,followers\n"
                        f'9,fb,ann,"two\nlines",,{iso(now)},12\n'
                        f"10,fb,bob,hello,,not-a-time,\n")
    bare = tmp_path / "bare.csv"
    bare.write_text(f"external_id,author,text,created_at\n1,ann,hello,{iso(now)}\n")
    (only,) = replay.load(bare, now, default_source="Forum")
    assert (only.source, only.url) == ("forum", "")
    with pytest.raises(replay.ReplayFileError) as info:
        replay.load(csv_file, now)
    assert str(info.value) == f"{csv_file}:4: created_at: created_at must be an ISO-8601 timestamp, got 'not-a-time'"


def run_cli(tmp_path, *args):
    env = {**os.environ, "WARROOM_DB_PATH": str(tmp_path / "cli.db"), "WARROOM_SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def cli_main(tmp_path, monkeypatch, capsys, *args):
    """The real CLI in this process (faster than a subprocess): (exit code, stdout, stderr)."""
    from warroom.cli import main

    monkeypatch.setenv("WARROOM_DB_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WARROOM_SECRET_KEY", "x")
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_ingest_and_token(tmp_path, now, monkeypatch, capsys):
    db = dbmod.connect(tmp_path / "cli.db")
    dbmod.migrate(db)
    room = rooms.open_room(db, now, make_user(db, "lena", "lead"), "Imports")
    db.close()
    nd = tmp_path / "m.ndjson"
    nd.write_text("".join(json.dumps(rec(i, now - timedelta(minutes=10 - i))) + "\n" for i in range(5)))
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "ingest", str(room.id), str(nd))
    assert code == 0, err
    assert "5 accepted, 0 duplicates" in out and "5/5 100%" in err
    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps(rec(1, now)) + "\n{oops\n")
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "ingest", str(room.id), str(bad))
    assert code == 2 and err.strip().startswith(f"{bad}:2: not JSON")
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "token", "add", "twitter", "--room", str(room.id))
    assert code == 0 and out.splitlines()[-1].startswith("wr_")
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "token", "list")
    assert "twitter" in out and "wr_" not in out  # secrets are never shown again
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "token", "add", "twitter", "--room", "99")
    assert code == 2 and "room" in err
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "token", "add", "twitter", "--monitor", "99")
    assert code == 2 and "monitor: no monitor 99" in err


def test_cli_drill_activist_swarm(tmp_path):
    done = run_cli(tmp_path, "drill", "activist-swarm")
    assert done.returncode == 0, done.stderr
    assert "nobody real was paged" in done.stdout
    db = dbmod.connect(tmp_path / "cli.db")
    room = rooms.list_rooms(db)[0]
    assert room.is_drill and room.title.startswith("DRILL") and room.playbook_id == "activist-swarm"
    n = mentions.count(db, room.id)
    assert 2000 < n < 10000
    sources = {r[0] for r in db.execute("SELECT DISTINCT source FROM mentions")}
    assert sources == {"synthetic-demo"}
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE room_id = ? ORDER BY id", [room.id])]
    assert kinds[0] == "room.opened" and "drill.started" in kinds and kinds[-1] == "drill.finished"
    spikes = [json.loads(r[0]) for r in db.execute(
        "SELECT data FROM events WHERE kind = 'spike.detected' AND room_id = ?", [room.id])]
    assert spikes and all(s["is_drill"] for s in spikes)
    # the storm's rise starts at 10:00 (see make_demo_storm.py) and peaks at 10:12
    assert "2025-03-17T10:00" <= spikes[0]["minute"] < "2025-03-17T10:30"
    assert db.execute("SELECT COUNT(*) FROM escalations").fetchone()[0] == 0  # no pages in a drill
    db.close()


def test_drill_rooms_get_their_own_copy_and_page_real(db, now):
    from warroom import playbooks
    from warroom.listening import drills

    lead = make_user(db, "lena", "lead")
    pb = playbooks.parse((ROOT / "playbooks" / "activist-swarm.md").read_text(encoding="utf-8"))
    start = now - timedelta(hours=5)
    quiet = [rec(i, start + timedelta(minutes=i)) for i in range(240)]
    swarm = [rec(1000 + i, start + timedelta(minutes=240, seconds=i), "Boycott! Shame on you")
             for i in range(59)]
    batch = mentions.validate([*quiet, *swarm, rec(9999, start + timedelta(minutes=242))], now)
    counts = []
    for page_real in (False, True):
        room = drills.start(db, now, lead, pb, "test.ndjson", None, page_real=page_real)
        result = replay.replay(db, room.id, drills.scoped(room.id, batch), SCORER, now_fn=lambda: now)
        counts.append((result.accepted, result.spikes))
        escalations = db.execute("SELECT COUNT(*) FROM escalations WHERE room_id = ?", [room.id]).fetchone()[0]
        assert escalations == int(page_real)  # only --page-real lets a drill page
    assert counts[0] == counts[1] and counts[0][0] == len(batch) and counts[0][1] >= 1


@pytest.mark.skipif(not AIRLINE.exists(), reason=f"shared data absent: {AIRLINE}")
def test_airline_tweets_replay(db, room, now):
    batch = replay.load(AIRLINE, now)  # every row parses and validates
    assert len(batch) == 14640
    assert (batch[0].created_at, batch[-1].created_at) == ("2015-02-17T07:36:05.000Z", "2015-02-24T19:53:37.000Z")
    assert len({m.external_id for m in batch}) == 14485  # PROVENANCE.md: 155 repeated ids
    head = batch[:800]  # the whole file costs seconds of sentiment; its first hours prove the path
    result = replay.replay(db, room.id, head, SCORER, now_fn=lambda: now)
    unique = len({m.external_id for m in head})
    assert (result.accepted, result.duplicates) == (unique, len(head) - unique)
    negative = db.execute("SELECT AVG(sentiment_label = 'negative') FROM mentions").fetchone()[0]
    assert 0.4 < negative < 0.8  # 63 % are hand-labelled negative
    assert volume.series(db, room.id, 60)[-1]["minute"] == batch[799].created_at[:16] + ":00.000Z"


def test_drill_file_missing_playbook(tmp_path, monkeypatch, capsys):
    code, _out, err = cli_main(tmp_path, monkeypatch, capsys, "drill", "no-such-playbook")
    assert code == 2 and "no playbook 'no-such-playbook'" in err


def test_path_constant():
    assert Path(replay.__file__).parent.joinpath("data", "demo_storm.ndjson").exists()


def test_cli_ingest_replays_with_the_configured_false_alarm_budget(tmp_path, now, monkeypatch, capsys):
    # [spikes] false_alarms_per_day reaches `run.py ingest` (listening/replay.py),
    # as it reaches live ingestion: the room's detector runs with it.
    db = dbmod.connect(tmp_path / "cli.db")
    dbmod.migrate(db)
    room = rooms.open_room(db, now, make_user(db, "lena", "lead"), "Imports")
    nd = tmp_path / "m.ndjson"
    nd.write_text("".join(json.dumps(rec(i, now - timedelta(minutes=10 - i))) + "\n" for i in range(5)))
    monkeypatch.setenv("WARROOM_SPIKES_FALSE_ALARMS_PER_DAY", "0.05")
    code, _out, err = cli_main(tmp_path, monkeypatch, capsys, "ingest", str(room.id), str(nd))
    assert code == 0, err
    state = json.loads(db.execute("SELECT state FROM spike_state WHERE room_id = ?", [room.id]).fetchone()[0])
    assert state["params"]["false_alarms_per_day"] == 0.05
    db.close()
