"""The publisher: every committed event sent once, in id order, to whoever hears it.

Fan-out after commit (DESIGN.md's spine): commits in this process are sent
by the committing thread; commits by other processes (``run.py ingest``, a
second worker) are read from the events table within ``[live] poll_ms``. On
PostgreSQL every host runs ``election.ElectedPublisher``, which sends only
while it holds the publisher lock. The publisher knows nothing of Socket.IO:
an emitter (``live.SocketEmitter``) says who hears an event and sends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from . import events

log = logging.getLogger(__name__)


# At most this many events in one ``events`` message: a reconnecting board
# catching up by HTTP pages the rest, and one message stays small.
MAX_BATCH = 100


class Publisher:
    """Sends committed events to Socket.IO, in id order, each exactly once.

    Two paths, one lock. A commit in this process hands its events to
    ``notify``, which sends them at once in the committing thread when they
    directly follow the last event sent (SQLite serialises writers, so ids
    are in commit order across processes). Otherwise (a gap: another
    process committed in between) the publisher thread reads the events
    after ``last_id`` from the database, and it polls every ``poll_ms`` for
    other processes' commits. Every send happens under the lock and
    ``last_id`` only moves forward, so nothing is sent twice or out of order.

    Batching under load only: an event that comes more than ``coalesce_ms``
    after the last send goes alone and at once, so a quiet room pays no
    latency. One that comes sooner waits in ``_pending`` until that much
    time has passed since the last send, and the publisher thread then sends
    everything pending, consecutive events for the same audience as one
    ``events`` message (so does a thread that finds another one sending).
    The cost of a message to N boards (a queue hand-off and a WebSocket
    frame per board) is then paid once per batch instead of once per event,
    which is what holds a storm's fan-out up.
    """

    def __init__(self, open_db: Callable, emitter, poll_ms: int, coalesce_ms: int = 0,
                 clock: Callable[[], float] = time.monotonic):
        self.open_db = open_db
        self.emitter = emitter
        self.poll_s = max(poll_ms, 10) / 1000
        self.coalesce_s = max(coalesce_ms, 0) / 1000
        self.clock = clock
        self._last_send = float("-inf")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[events.Event] = []
        self._draining = False
        self._thread: threading.Thread | None = None
        self.last_id = 0

    def notify(self, committed=None) -> None:
        if not committed:
            self._wake.set()
            return
        with self._pending_lock:
            self._pending.extend(committed)
            if self._draining:
                return  # the thread sending now sends these next
            if self.clock() - self._last_send < self.coalesce_s:
                self._wake.set()  # sent with what follows, by the publisher thread
                return
            self._draining = True
        self._drain()

    def send_pending(self) -> None:
        """Send what ``notify`` held back, unless a thread is sending already
        (it sends them next)."""
        with self._pending_lock:
            if self._draining or not self._pending:
                return
            self._draining = True
        self._drain()

    def _pending_due_in(self) -> float | None:
        """Seconds until held-back events are due (<= 0: now), None if none."""
        with self._pending_lock:
            if not self._pending:
                return None
            return self._last_send + self.coalesce_s - self.clock()

    def _drain(self) -> None:
        while True:
            with self._pending_lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._draining = False
                    return
            if not self._send_direct(sorted(batch, key=lambda e: e.id)):
                self._wake.set()  # a gap or a failed send: the thread reads the database

    def _send_direct(self, batch: list[events.Event]) -> bool:
        """Send what follows ``last_id``; False on a gap or a failed send."""
        with self._lock:
            ready: list[events.Event] = []
            for event in batch:
                expected = self.last_id + len(ready) + 1
                if event.id < expected:
                    continue  # the thread sent it meanwhile
                if event.id != expected:
                    self._send(ready)
                    return False  # a gap: the thread reads the rest from the database
                ready.append(event)
            return self._send(ready) == len(ready)

    def _send(self, ready: list[events.Event]) -> int:
        """Send events that follow ``last_id``, one message per run of the
        same audience; returns how many were sent (under ``_lock``)."""
        sent = 0
        for audience, run in _runs(ready, self.emitter.audience):
            try:
                self.emitter.send(audience, run)
            except Exception:  # committed already: never fail the command
                log.exception("publisher: send of events %s..%s failed", run[0].id, run[-1].id)
                return sent
            self.last_id = run[-1].id
            self._last_send = self.clock()
            sent += len(run)
        return sent

    def start(self) -> None:
        db = self.open_db()
        try:
            self.last_id = events.last_id(db)
        finally:
            db.close()
        self._thread = threading.Thread(target=self._run, name="warroom-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        db = self.open_db()
        try:
            while not self._stop.is_set():
                self._wake.wait(self.poll_s)
                self._wake.clear()
                due = self._pending_due_in()
                if due is not None and due > 0:
                    self._stop.wait(due)  # let the batch gather
                try:
                    self.send_pending()
                    self.flush(db)
                except Exception:  # keep publishing; the board catches up by id
                    log.exception("publisher: flush failed")
        finally:
            db.close()

    def flush(self, db) -> int:
        sent = 0
        while True:
            # Read without the lock (a commit's direct send must not wait on
            # this SELECT); under it, skip what the direct path sent meanwhile.
            batch = events.since(db, self.last_id)
            if not batch:
                return sent
            with self._lock:
                ready = [e for e in batch if e.id > self.last_id]
                done = self._send(ready)
                sent += done
                if done < len(ready):
                    raise RuntimeError(f"publisher: {len(ready) - done} events not sent; retrying")


def _runs(batch: list[events.Event], audience_of: Callable) -> list[tuple[tuple[str, ...], list]]:
    """Consecutive events with the same audience, at most MAX_BATCH each, in
    order: a client in several channels still sees every event in id order."""
    runs: list[tuple[tuple[str, ...], list]] = []
    for event in batch:
        audience = audience_of(event)
        if runs and runs[-1][0] == audience and len(runs[-1][1]) < MAX_BATCH:
            runs[-1][1].append(event)
        else:
            runs.append((audience, [event]))
    return runs
