"""APScheduler adapter: the background jobs of a serving process.

Exactly one scheduler per process (a module-level guard), none at all when
``[scheduler] enabled = false`` (extra web workers). ``serve`` runs without
Werkzeug's reloader, so no watching parent process schedules a second copy.
Jobs are thin: they open a database, call a domain tick with ``now`` and
close it; the domain does the work in its own short transactions.

To add a job, add a ``Job`` to ``jobs()``.
"""

from __future__ import annotations

import logging
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


def jobs() -> list[Job]:
    from . import feeds
    from .web import board

    return [
        Job("feeds", feeds.run_feed_poll, lambda s: min(s.ingest.feed_interval_seconds, 60)),
        Job("volume", feeds.run_volume_tick, lambda s: 15),
        Job("responses", board.run_tick, lambda s: s.scheduler.interval_seconds),
    ]


def start(app) -> BackgroundScheduler | None:
    global _running
    settings: Settings = app.extensions["warroom"]
    if not settings.scheduler.enabled:
        return None
    with _lock:
        if _running is not None:
            return _running
        scheduler = BackgroundScheduler(
            daemon=True,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        for job in jobs():
            scheduler.add_job(
                _guarded(job, app), "interval", seconds=job.seconds(settings), id=job.name,
                name=job.name,
            )
        scheduler.start()
        _running = scheduler
        app.extensions["warroom_scheduler"] = scheduler
        return scheduler


def _guarded(job: Job, app) -> Callable[[], None]:
    def run() -> None:
        try:
            job.run(app)
        except Exception:  # a failing tick must not kill the scheduler
            log.exception("scheduler job %s failed", job.name)

    return run


def shutdown() -> None:
    global _running
    with _lock:
        if _running is not None:
            _running.shutdown(wait=False)
            _running = None
