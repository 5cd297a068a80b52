"""`run.py backup` and `restore` on PostgreSQL (a real server, tests/pg_server.py):
the backup is an SQLite Warroom file taken from one snapshot while another
connection writes, checked by counts and checksums; it restores into an empty
PostgreSQL database (or into SQLite) with every row; a refused or failed
restore changes nothing."""

from __future__ import annotations

import sqlite3

import pytest

from tests import pg_server
from tests.conftest import make_user
from warroom import backup, dbcopy, events, rooms
from warroom import db as dbmod
from warroom.cli import main
from warroom.db import transaction

pytestmark = pytest.mark.postgresql  # PostgreSQL whatever the pass: run once, in its pass


def _fill(db, now) -> None:
    lead = make_user(db, "Kim", "lead", now)
    room = rooms.open_room(db, now, lead, "Ash cloud")
    with transaction(db):
        for i in range(30):
            db.execute("INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
                       " received_at, followers, sentiment, sentiment_label)"
                       " VALUES (?, 'mastodon', ?, '@anna', 'stranded at the gate', 'https://x/1', ?, ?, 12,"
                       " -0.5, 'negative')", [room.id, f"e{i}", "2026-03-29T09:00:00Z", "2026-03-29T09:00:01Z"])


def _sums(db) -> dict[str, tuple[int, str]]:
    """table -> (rows, checksum), as db copy checks them."""
    return {t: dbcopy.checksum(db, t, dbcopy._columns(db, t)) for t in dbcopy.table_order(db)}


@pytest.fixture
def pg(now):
    database = dbmod.connect(pg_server.server().new_database())
    _fill(database, now)
    yield database
    database.close()


def test_backup_is_one_snapshot_while_another_connection_writes(pg, tmp_path, now):
    before = _sums(pg)
    writer = dbmod.connect(pg.url)
    written: list[str] = []

    def progress(line: str) -> None:
        # Once, after the first batch: rows in tables already copied and in
        # tables still to come, committed while the backup runs.
        if written:
            return
        with transaction(writer):
            user = make_user(writer, "Late", "responder", now)
            events.append(writer, None, "test.during_backup", "late", {}, now)
            writer.execute("INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
                           " received_at, sentiment, sentiment_label)"
                           " VALUES (1, 'mastodon', 'late', '@late', 'x', 'u', 'a', 'b', 0.0, 'neutral')")
        written.append(line)
        assert user.id  # the write committed: the backup blocks no writer

    assert not (tmp_path / "pg.db").exists()
    copy = backup.backup(pg, tmp_path / "pg.db", progress)
    writer.close()
    assert written
    raw = sqlite3.connect(copy)  # one self-contained file (db.connect would switch it to WAL)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    raw.close()
    saved = dbmod.connect(copy)
    try:
        assert _sums(saved) == before  # the database as of the backup's start, every table
        assert saved.execute("SELECT COUNT(*) FROM mentions WHERE external_id = 'late'").fetchone()[0] == 0
        assert saved.execute("SELECT COUNT(*) FROM users WHERE name = 'Late'").fetchone()[0] == 0
    finally:
        saved.close()
    assert not (tmp_path / "pg.db.partial").exists()
    # the later rows are in the live database
    assert pg.execute("SELECT COUNT(*) FROM mentions WHERE external_id = 'late'").fetchone()[0] == 1


def test_cli_backup_then_restore_into_an_empty_database_gives_back_every_row(pg, tmp_path, monkeypatch,
                                                                              capsys, now):
    monkeypatch.setenv("WARROOM_DB_URL", pg.url)
    copy = tmp_path / "nightly.db"
    assert main(["backup", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == f"backed up to {copy}"
    original = _sums(pg)
    last_event = events.last_id(pg)

    empty = pg_server.server().new_database(migrated=False)
    monkeypatch.setenv("WARROOM_DB_URL", empty)
    assert main(["restore", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == f"restored {copy} into {empty}"
    restored = dbmod.connect(empty)
    try:
        assert _sums(restored) == original
        assert original["mentions"][0] == 30 and original["events"][0] > 0
        with transaction(restored):  # identities continue after the restored ids
            assert events.append(restored, None, "test.after_restore", "kim", {}, now).id == last_event + 1
    finally:
        restored.close()

    # the same file restores into SQLite: one format for both stores
    monkeypatch.delenv("WARROOM_DB_URL")
    monkeypatch.setenv("WARROOM_DB_PATH", str(tmp_path / "lite.db"))
    assert main(["restore", str(copy)]) == 0
    lite = dbmod.connect(tmp_path / "lite.db")
    try:
        assert _sums(lite) == original
    finally:
        lite.close()


def test_restore_refuses_a_database_that_has_rows_and_changes_nothing(pg, tmp_path, monkeypatch, capsys):
    copy = backup.backup(pg, tmp_path / "copy.db")
    before = _sums(pg)
    monkeypatch.setenv("WARROOM_DB_URL", pg.url)
    assert main(["restore", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{copy}: the target is not empty (table "), err
    assert _sums(pg) == before


def test_a_restore_that_fails_half_way_leaves_the_database_empty(pg, tmp_path, monkeypatch, capsys):
    copy = backup.backup(pg, tmp_path / "copy.db")
    # SQLite keeps a NUL inside TEXT; PostgreSQL refuses one, after the
    # tables before mentions were already inserted.
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE mentions SET text = 'nul' || char(0) || 'here' WHERE external_id = 'e7'")
    conn.commit()
    conn.close()
    empty = pg_server.server().new_database(migrated=False)
    monkeypatch.setenv("WARROOM_DB_URL", empty)
    assert main(["restore", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{copy}: table mentions: "), err
    target = dbmod.connect(empty)
    try:
        assert all(rows == 0 for rows, _sum in _sums(target).values())
    finally:
        target.close()
