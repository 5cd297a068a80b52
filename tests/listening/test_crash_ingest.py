"""Crash safety: a client process ingests through the API while the server
is killed with SIGKILL at random points and restarted; every mention that got
a 202 is stored exactly once and (SQLite) the database passes integrity_check."""

import random
import signal
import subprocess
import sys
import time

import pytest

from warroom import accounts, dialect, rooms
from warroom.clock import utcnow

from ..conftest import PASSWORD, ROOT, Server

pytestmark = pytest.mark.e2e


def test_acknowledged_mentions_survive_sigkill(tmp_path):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    srv = Server(tmp_path).start()
    db = srv.db()
    lead = accounts.add_user(db, utcnow(), "lena", "lead", PASSWORD)
    room = rooms.open_room(db, utcnow(), lead, "Crash drill")
    db.close()
    made = srv.cli("token", "add", "crash-test", "--room", str(room.id))
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]

    accepted_file, stop_file = tmp_path / "accepted.txt", tmp_path / "stop"
    client = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest_client", srv.url, str(room.id), token,
         str(accepted_file), str(stop_file)], cwd=ROOT,
    )
    kills = 0
    try:
        for _ in range(4):
            time.sleep(rng.uniform(0.3, 1.2))
            srv.stop(signal.SIGKILL)
            kills += 1
            srv.start()
        time.sleep(0.5)
    finally:
        stop_file.touch()
        client.wait(30)
        srv.stop()
    assert client.returncode == 0, f"client failed (seed {seed})"

    acknowledged = accepted_file.read_text().split()
    assert len(acknowledged) >= 25, "the client never got a 202"
    db = srv.db()
    stored = {}
    for (ext,) in db.execute("SELECT external_id FROM mentions WHERE source = 'crash-test'"):
        stored[ext] = stored.get(ext, 0) + 1
    missing = [e for e in set(acknowledged) if e not in stored]
    assert missing == [], f"seed {seed}: {len(missing)} acknowledged mentions lost"
    assert all(n == 1 for n in stored.values())
    if db.dialect == dialect.SQLITE:
        # The killed process wrote the SQLite file itself; on PostgreSQL it was
        # only a client of the server, which has no integrity_check to ask.
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert kills == 4
