"""`run.py export ROOM --format md|html|json [-o FILE]` as a real process."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import FIXED_NOW, Server, make_user
from warroom import db as dbmod
from warroom import rooms
from warroom.clock import iso


def setup_room(tmp_path, extra_events: int = 0):
    runner = Server(tmp_path)  # not started: only its env and .cli()
    db = runner.db()
    dbmod.migrate(db)
    lead = make_user(db, "lea", "lead")
    room = rooms.open_room(db, FIXED_NOW, lead, "Recall | batch 7", "")
    if extra_events:
        rows = [(room.id, iso(FIXED_NOW + timedelta(seconds=i)), "note.added", "lea", json.dumps({"n": i}))
                for i in range(extra_events)]
        with dbmod.transaction(db):
            db.conn.executemany(
                "INSERT INTO events (room_id, ts, kind, actor, data) VALUES (?, ?, ?, ?, ?)", rows)
    db.close()
    return runner, room.id


def test_export_formats_files_and_errors(tmp_path):
    runner, room_id = setup_room(tmp_path)
    out = tmp_path / "out" / "report.md"
    done = runner.cli("export", str(room_id), "--format", "md", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # a small room prints no progress
    text = out.read_text()
    assert text.startswith("# Post-mortem: Recall \\| batch 7")
    for name in ("volume", "negative", "replies"):
        svg = out.parent / f"report-{name}.svg"
        assert f"](report-{name}.svg)" in text and svg.read_text().startswith("<svg")

    done = runner.cli("export", str(room_id), "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["room"]["id"] == room_id and doc["room"]["title"] == "Recall | batch 7"
    assert [e["kind"] for e in doc["timeline"]] == ["room.opened"]

    done = runner.cli("export", "99", "--format", "html")
    assert done.returncode == 2 and "export: room: no room 99" in done.stderr
    done = runner.cli("export", "first", "--format", "md")
    assert done.returncode == 2 and "expected a room id" in done.stderr
    done = runner.cli("export", str(room_id), "--format", "pdf")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_large_room_reports_progress(tmp_path):
    runner, room_id = setup_room(tmp_path, extra_events=12_000)
    out = tmp_path / "big.html"
    done = runner.cli("export", str(room_id), "--format", "html", "-o", str(out))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any("folding 12001 events" in line for line in lines), lines
    assert lines[-1].startswith(f"export: wrote {out}")
    assert out.read_text().count("note.added") == 12_000
