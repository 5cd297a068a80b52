"""The scheduler: exactly one per process, also under Werkzeug's reloader
(counted across real processes), and none with ``[scheduler] enabled = false``;
a commit that opens an escalation wakes the tick at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

from tests.conftest import ROOT, free_port

SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
from warroom import config, scheduler
from warroom.app import create_app

out, port, guarded = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "guarded"

def count(app):
    with open(out, "a") as fh:
        fh.write(f"{{os.getpid()}}\\n")

scheduler.jobs = lambda: [scheduler.Job("count", count, lambda s: 0.1)]
settings = config.load(None, env={{"WARROOM_DB_PATH": {db!r}, "WARROOM_SECRET_KEY": "x"}})
app = create_app(settings)
# a dev runner with the reloader: guarded passes use_reloader=True as it should
scheduler.start(app, use_reloader=guarded)
app.extensions["socketio"].run(app, host="127.0.0.1", port=port, use_reloader=True,
                               allow_unsafe_werkzeug=True, log_output=False)
"""


def test_one_scheduler_per_process_under_the_reloader(tmp_path, mode="guarded"):
    # mode="unguarded" (scheduler.start without use_reloader=True) is the bug
    # this guards against: there both the parent and the child tick. It was
    # run once when this test was written; it is left out of the suite for time.
    script = tmp_path / "dev.py"
    script.write_text(SCRIPT.format(root=str(ROOT), db=str(tmp_path / "w.db")))
    out = tmp_path / "ticks.txt"
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(free_port()), mode],
                            cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        pids: list[str] = []
        while time.monotonic() < deadline:
            pids = out.read_text().split() if out.exists() else []
            if len(pids) >= 10 and (mode == "guarded" or len(set(pids)) >= 2):
                break
            time.sleep(0.1)
        assert len(pids) >= 10, "the job did not tick"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    ticking = set(pids)
    if mode == "guarded":
        # only the serving child schedules; the watching parent never does
        assert len(ticking) == 1 and str(proc.pid) not in ticking
    else:
        assert len(ticking) == 2 and str(proc.pid) in ticking


def test_disabled_scheduler_does_not_start(settings):
    from warroom import scheduler
    from warroom.app import create_app

    off = replace(settings, scheduler=replace(settings.scheduler, enabled=False))
    assert scheduler.start(create_app(off)) is None


def test_a_commit_that_opens_an_escalation_wakes_the_tick(settings, now):
    from tests.conftest import make_user
    from warroom import escalation, rooms, scheduler
    from warroom.app import create_app

    # a long interval: only a wake-up can run the tick within the test
    slow = replace(settings, scheduler=replace(settings.scheduler, interval_seconds=3600))
    app = create_app(slow)
    ran = []
    real_jobs = scheduler.jobs
    scheduler.jobs = lambda: [scheduler.Job("escalation", lambda a: ran.append(time.monotonic()),
                                            lambda s: s.scheduler.interval_seconds,
                                            wake_on=("escalation.opened",))]
    try:
        assert scheduler.start(app) is not None
        db = app.extensions["warroom_open_db"]()
        owner = make_user(db, "olga", "lead", now)
        room = rooms.open_room(db, now, owner, "Storm")
        time.sleep(0.3)
        assert ran == []  # other commits do not wake it
        escalation.open_escalation(db, now, room.id, "spike", {}, None)
        deadline = time.monotonic() + 5
        while not ran and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(ran) == 1
        db.close()
    finally:
        scheduler.jobs = real_jobs
        scheduler.shutdown()
