"""run.py privacy export|erase|retention, backup and restore (in process: main(argv))."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import make_user
from warroom import db as dbmod
from warroom import rooms
from warroom.cli import main
from warroom.clock import utcnow


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("WARROOM_DB_PATH", str(path))
    db = dbmod.connect(path)
    dbmod.migrate(db)
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, utcnow(), lead, "Ash cloud")
    with dbmod.transaction(db):
        for i, author in enumerate(["@anna", "@anna", "@bob"]):
            db.execute("INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
                       " received_at, followers, sentiment, sentiment_label)"
                       " VALUES (?, 'mastodon', ?, ?, 'stranded', 'https://x/1', '2026-03-29T09:00:00Z',"
                       " '2026-03-29T09:00:00Z', 12, -0.5, 'negative')", [room.id, f"e{i}", author])
    yield db, path
    db.close()


def test_export_then_erase_then_export_is_empty(cli_db, capsys, tmp_path):
    db, _path = cli_db
    assert main(["privacy", "export", "@anna"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [m["author"] for m in found["mentions"]] == ["@anna", "@anna"]
    assert main(["privacy", "erase", "@anna"]) == 0
    assert "mentions 2" in capsys.readouterr().out
    out = tmp_path / "export.json"
    assert main(["privacy", "export", "@anna", "--out", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["mentions"] == [] and again["responses"] == []
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE author = '@bob'").fetchone()[0] == 1
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE kind LIKE 'privacy.%' ORDER BY id")]
    assert kinds == ["privacy.exported", "privacy.erased", "privacy.exported"]


def test_bad_author_is_a_usage_error(cli_db, capsys):
    assert main(["privacy", "erase", "  "]) == 2
    assert "privacy erase: author:" in capsys.readouterr().err


def test_retention_set_and_shown(cli_db, capsys):
    db, _ = cli_db
    from warroom import accounts

    accounts.add_team(db, utcnow(), "Airline", "admin")
    assert main(["privacy", "retention", "airline", "30"]) == 0
    assert main(["privacy", "retention"]) == 0
    assert "Airline\t30" in capsys.readouterr().out
    assert main(["privacy", "retention", "airline", "0"]) == 2
    assert "retention_days" in capsys.readouterr().err
    assert main(["privacy", "retention", "nope", "3"]) == 2


def test_backup_and_restore_round_trip(cli_db, tmp_path, capsys):
    db, path = cli_db
    copy = tmp_path / "copy.db"
    assert main(["backup", str(copy)]) == 0
    with dbmod.transaction(db):
        db.execute("DELETE FROM mentions")
    assert main(["restore", str(copy)]) == 0
    assert db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == 3
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the copy is one self-contained file
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_restore_refuses_what_it_cannot_trust(cli_db, tmp_path, capsys):
    db, _path = cli_db
    before = db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert main(["restore", str(junk)]) == 2
    assert capsys.readouterr().err.strip() == f"{junk}: not an SQLite database"

    missing = tmp_path / "missing.db"
    assert main(["restore", str(missing)]) == 2
    assert capsys.readouterr().err.startswith(f"{missing}: cannot read")

    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    assert main(["restore", str(foreign)]) == 2
    assert "no schema_migrations" in capsys.readouterr().err

    newer = tmp_path / "newer.db"
    assert main(["backup", str(newer)]) == 0
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', 'x')")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["restore", str(newer)]) == 2
    assert "unknown migrations 9999_from_the_future" in capsys.readouterr().err

    corrupt = tmp_path / "corrupt.db"
    assert main(["backup", str(corrupt)]) == 0
    raw = bytearray(corrupt.read_bytes())
    page = 4096
    for offset in range(2 * page, len(raw) - page, page):   # scribble over interior pages
        raw[offset + 8:offset + 200] = b"\xff" * 192
    corrupt.write_bytes(bytes(raw))
    capsys.readouterr()
    assert main(["restore", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{corrupt}: integrity_check failed"), err
    assert db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == before


def test_backup_into_a_missing_folder_is_a_usage_error(cli_db, tmp_path, capsys):
    target = tmp_path / "nope" / "copy.db"
    assert main(["backup", str(target)]) == 2
    assert capsys.readouterr().err.strip() == f"{target}: its folder does not exist"
