"""APScheduler adapter: the background jobs of a serving process.

Exactly one scheduler per process (a module-level guard), none at all when
``[scheduler] enabled = false`` (extra web workers). ``serve`` runs without
Werkzeug's reloader; a dev runner that uses it passes ``use_reloader=True``
and then only the serving child (``WERKZEUG_RUN_MAIN=true``) schedules, never
the watching parent.
Jobs are thin: they open a database, call a domain tick with ``now`` and
close it; the domain does the work in its own short transactions.

To add a job, add a ``Job`` to ``jobs()``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from .config import Settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_running: BackgroundScheduler | None = None


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable  # run(app) -> None; opens its own database
    seconds: Callable[[Settings], float]
    # Event kind prefixes: a commit in this process with such an event runs
    # the job at once instead of waiting for the interval.
    wake_on: tuple[str, ...] = ()


def jobs() -> list[Job]:
    from . import jobs as glue
    from .notifications import WAKE_ON as NOTIFIER_WAKE_ON
    from .roomchat import WAKE_ON as ROOM_CHANNEL_WAKE_ON
    from .web import board
    from .web import playbooks as playbooks_web
    from .web import roster as roster_web
    from .web import runbook as runbook_web

    return [
        Job("escalation", glue.run_tick, lambda s: s.scheduler.interval_seconds,
            wake_on=("escalation.opened", "escalation.advanced", "escalation.acknowledged")),
        Job("notifier", glue.run_notifier, lambda s: s.scheduler.interval_seconds,
            wake_on=NOTIFIER_WAKE_ON),
        Job("room_channels", glue.run_room_channels, lambda s: s.scheduler.interval_seconds,
            wake_on=ROOM_CHANNEL_WAKE_ON),
        Job("feeds", glue.run_feed_poll, lambda s: min(s.ingest.feed_interval_seconds, 60)),
        Job("volume", glue.run_volume_tick, lambda s: 15),
        Job("listeners", glue.run_listeners, lambda s: 10, wake_on=("connector.added", "connector.stopped")),
        Job("outbox", glue.run_outbox, lambda s: s.scheduler.interval_seconds, wake_on=("response.published",)),
        Job("update-mail", glue.run_update_mail, lambda s: s.scheduler.interval_seconds,
            wake_on=("update.published",)),
        Job("responses", board.run_tick, lambda s: s.scheduler.interval_seconds),
        Job("roster", roster_web.run_tick, lambda s: s.scheduler.interval_seconds),
        # An update posted or an item ticked can cancel a reminder due now.
        Job("runbook", runbook_web.run_tick, lambda s: s.scheduler.interval_seconds,
            wake_on=("checklist.", "facts.updated", "update.published", "room.opened")),
        # `serve` imports the folder before it starts; this catches later file
        # edits, and gunicorn (which never runs `serve`) within a minute.
        Job("playbooks", playbooks_web.run_import, lambda s: 60),
        Job("retention", glue.run_retention, lambda s: max(1, s.privacy.sweep_minutes) * 60),
    ]


_wakers: dict[str, threading.Event] = {}
_job_locks: dict[str, threading.Lock] = {}


def wake(name: str) -> None:
    """Run job ``name`` now (if this process runs a scheduler)."""
    event = _wakers.get(name)
    if event is not None:
        event.set()


def _on_commit(committed) -> None:
    for job_name, prefixes in _wake_prefixes.items():
        if any(e.kind.startswith(prefixes) for e in committed):
            wake(job_name)


_wake_prefixes: dict[str, tuple[str, ...]] = {}


def _install_wakers(app, wanted: list[Job]) -> None:
    """A thread per wakeable job; commits made through the app's connections wake it."""
    for job in wanted:
        if not job.wake_on:
            continue
        event = _wakers[job.name] = threading.Event()
        _wake_prefixes[job.name] = job.wake_on
        run = _guarded(job, app)

        def loop(event=event, run=run):
            while True:
                event.wait()
                event.clear()
                run()

        threading.Thread(target=loop, name=f"warroom-wake-{job.name}", daemon=True).start()
    open_db = app.extensions["warroom_open_db"]
    if getattr(open_db, "warroom_wakes", False):
        return

    def open_db_waking():
        db = open_db()
        db.after_commit.append(_on_commit)
        return db

    open_db_waking.warroom_wakes = True
    app.extensions["warroom_open_db"] = open_db_waking


def start(app, use_reloader: bool = False) -> BackgroundScheduler | None:
    global _running
    settings: Settings = app.extensions["warroom"]
    if not settings.scheduler.enabled:
        return None
    if use_reloader and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the reloader's watching parent: its serving child schedules
    with _lock:
        if _running is not None:
            return _running
        scheduler = BackgroundScheduler(
            daemon=True,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        wanted = jobs()
        _install_wakers(app, wanted)
        for job in wanted:
            scheduler.add_job(
                _guarded(job, app), "interval", seconds=job.seconds(settings), id=job.name,
                name=job.name,
            )
        scheduler.start()
        _running = scheduler
        app.extensions["warroom_scheduler"] = scheduler
        return scheduler


def _guarded(job: Job, app) -> Callable[[], None]:
    # The interval run and a wake-up run of one job never overlap.
    lock = _job_locks.setdefault(job.name, threading.Lock())

    def run() -> None:
        try:
            with lock:
                job.run(app)
        except Exception:  # a failing tick must not kill the scheduler
            log.exception("scheduler job %s failed", job.name)

    return run


def shutdown(app=None) -> int:
    """Stop the scheduler and, given the app, its connectors' listening
    threads; returns how many of those ended."""
    global _running
    stopped = 0
    with _lock:
        if _running is not None:
            _running.shutdown(wait=False)
            _running = None
        if app is not None:  # the connectors' listening threads end with the scheduler
            from . import jobs as glue

            stopped = glue.stop_listeners(app)
        _wake_prefixes.clear()  # commits no longer wake anything
        _wakers.clear()
    return stopped
