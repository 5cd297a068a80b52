"""A backup taken while a real server ingests restores to a sound database that
holds every mention acknowledged (202) before the backup began."""

import subprocess
import sys
import time

import pytest

from warroom import accounts, rooms
from warroom import db as dbmod
from warroom.clock import utcnow

from .. import pg_server
from ..conftest import PASSWORD, ROOT, Server

# run.py backup copies a SQLite file (on PostgreSQL: pg_dump or run.py db copy).
pytestmark = [pytest.mark.e2e, pg_server.sqlite_only("run.py backup/restore copy a SQLite file")]


def _acknowledged(path) -> list[str]:
    # Only whole lines: the client may be half-way through writing the last one.
    text = path.read_text() if path.exists() else ""
    return text[: text.rfind("\n") + 1].split()


def test_backup_during_ingest_restores_every_acknowledged_mention(tmp_path):
    srv = Server(tmp_path).start()
    db = srv.db()
    lead = accounts.add_user(db, utcnow(), "lena", "lead", PASSWORD)
    room = rooms.open_room(db, utcnow(), lead, "Backup drill")
    db.close()
    made = srv.cli("token", "add", "crash-test", "--room", str(room.id), "--rate", "100000")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]

    accepted_file, stop_file = tmp_path / "accepted.txt", tmp_path / "stop"
    client = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest_client", srv.url, str(room.id), token,
         str(accepted_file), str(stop_file)], cwd=ROOT,
    )
    copy = tmp_path / "backup.db"
    try:
        deadline = time.monotonic() + 30
        while len(_acknowledged(accepted_file)) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = set(_acknowledged(accepted_file))
        assert len(before) >= 100, "the client got too few 202s"
        done = srv.cli("backup", str(copy))
        assert done.returncode == 0, done.stderr
        # the ingest went on while the backup ran
        deadline = time.monotonic() + 30
        while len(_acknowledged(accepted_file)) <= len(before) + 25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.poll() is None, "the client stopped while the backup ran"
    finally:
        stop_file.touch()
        client.wait(30)
        srv.stop()
    assert client.returncode == 0
    after = set(_acknowledged(accepted_file))
    assert len(after) > len(before)

    restored = Server(tmp_path, db_path=tmp_path / "restored.db")
    done = restored.cli("restore", str(copy))
    assert done.returncode == 0, done.stderr
    db = restored.db()
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in db.execute("SELECT external_id FROM mentions WHERE source = 'crash-test'")}
        assert before - stored == set()
        # a snapshot of one moment: whole batches of 25, never half of one
        assert len(stored) % 25 == 0
        assert dbmod.applied_migrations(db) == [n for n, _name, _sql in dbmod.available_migrations()]
    finally:
        db.close()
