"""The publisher on PostgreSQL: every host takes part, one at a time publishes.

With several app hosts on one PostgreSQL, each host with ``[live] publish =
true`` runs an ``ElectedPublisher``. The one that holds the session-level
advisory lock ``dialect.PUBLISHER_LOCK`` (``pg_try_advisory_lock`` on a
dedicated connection, the "lease") sends every committed event to Socket.IO,
and Flask-SocketIO's Redis queue carries it to every host's boards; the
others only try the lock again every ``[live] poll_ms``. When the holder
dies (SIGKILL, a lost machine), its session ends, PostgreSQL frees the lock
(TCP keepalives on the lease bound how long a silent network death takes),
and the next host to try it publishes from there.

The cursor survives the handover: the ``publisher_cursor`` row is written
after each send and read by the new holder when it takes the lock. A host
killed between a send and that write makes its successor send that batch
again; boards drop what they have already seen by event id (static/room.js
keeps ``seen``), so a board sees every event once, in id order.

The holder waits for commits on ``LISTEN warroom_events``: ``db.transaction``
NOTIFYs in every committing transaction that appended events, and
PostgreSQL delivers it at commit, so another host's commit is published at
once rather than on the next poll (``poll_ms`` stays the upper bound).
Commits made on the holder's own host go out at once from the committing
thread, as with ``publisher.Publisher``.

Why a lock and not ``SELECT ... FOR UPDATE SKIP LOCKED`` on the cursor row:
a row lock lasts one transaction, and holding a transaction open on the
row for as long as a host publishes would pin the cursor row and keep
vacuum from cleaning behind it; a session lock is exactly "while this
process is alive and connected", which is what leadership is.
"""

from __future__ import annotations

import logging
import time

import psycopg

from . import dialect, events, keycheck, publisher
from .clock import iso, utcnow

log = logging.getLogger(__name__)
CURSOR = "board"
# A lease on a dead network is noticed by PostgreSQL after about
# idle + interval * count seconds; a process death at once (its socket closes).
WAIT_SLICE_S = 0.25
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


class SessionLock:
    """One session-level advisory lock ``(key1, key2)`` held on its own
    connection: held while this process is alive and connected, freed by
    PostgreSQL when the session ends however it ends."""

    def __init__(self, url: str, key1: int, key2: int):
        self.url, self.keys = url, [int(key1), int(key2)]
        self.conn: psycopg.Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another session holds it
        (the connection is then closed: a loser keeps nothing open)."""
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.url, autocommit=True, **KEEPALIVE)
            if self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", self.keys).fetchone()[0]:
                return True
        except psycopg.Error as exc:
            log.warning("lock %s: %s", self.keys, exc)
        self.release()
        return False

    def held(self) -> bool:
        """Whether the session (and so the lock) is still there."""
        if self.conn is None or self.conn.closed:
            return False
        try:
            self.conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()  # the session ends: PostgreSQL frees the lock
            except psycopg.Error:
                pass


def connector_lease(url: str):
    """``lease(connector_id)`` for ``platforms.listener.Supervisor``: a held
    ``SessionLock`` per connector, or None when another host listens to it,
    so that each connector is listened to by one host at a time."""
    def lease(connector_id: int) -> SessionLock | None:
        lock = SessionLock(url, dialect.CONNECTOR_LOCK_SPACE, connector_id)
        return lock if lock.try_acquire() else None

    return lease


class ElectedPublisher(publisher.Publisher):
    """``publisher.Publisher`` that sends only while it holds the publisher lock,
    and keeps its cursor in the database (see the module docstring)."""

    def __init__(self, url: str, open_db, emitter, poll_ms: int, coalesce_ms: int = 0,
                 name: str = CURSOR, holder: str | None = None):
        super().__init__(open_db, emitter, poll_ms, coalesce_ms)
        self.url = url
        self.name = name
        self.holder = holder or keycheck.this_process()
        self.leader = False
        self._lease = SessionLock(url, *dialect.PUBLISHER_LOCK)

    # -- the committing threads' path ----------------------------------------

    def notify(self, committed=None) -> None:
        if self.leader:
            super().notify(committed)
        # else: the commit's NOTIFY reaches the host that holds the lock

    def _send(self, ready: list[events.Event]) -> int:
        if not self.leader:
            return 0  # lost the lock: the holder sends these
        sent = super()._send(ready)
        if sent:
            self._save_cursor(self.last_id)
        return sent

    def _save_cursor(self, last_id: int) -> None:
        db = self.open_db()
        try:
            # forward only: a deposed holder's late write never moves it back
            db.execute("UPDATE publisher_cursor SET last_id = ?, sent_by = ?, sent_at = ?"
                       " WHERE name = ? AND last_id < ?",
                       [last_id, self.holder, iso(utcnow()), self.name, last_id])
        except Exception:  # sent already; the successor at worst resends (boards dedupe)
            log.exception("publisher: could not save the cursor at event %s", last_id)
        finally:
            db.close()

    # -- the election ----------------------------------------------------------

    def start(self) -> None:
        import threading

        self._thread = threading.Thread(target=self._run, name="warroom-publisher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        db = self.open_db()
        try:
            while not self._stop.is_set():
                if not self.leader and not self._try_lead():
                    self._stop.wait(self.poll_s)
                    continue
                try:
                    self._wait_for_commits()
                    due = self._pending_due_in()
                    if due is not None and due > 0:
                        self._stop.wait(due)  # let the batch gather
                    self.send_pending()
                    self.flush(db)
                except (psycopg.Error, AttributeError) as exc:  # AttributeError: released meanwhile
                    self._step_down(f"the lease connection failed: {exc}")
                except Exception:  # keep publishing; boards catch up by id
                    log.exception("publisher: flush failed")
        finally:
            db.close()
            self._step_down("stopping")

    def _try_lead(self) -> bool:
        if not self._lease.try_acquire():
            return False
        try:
            # LISTEN before reading the cursor: a commit in between is heard
            self._lease.conn.execute(f"LISTEN {dialect.EVENTS_CHANNEL}")
            cursor = self._take_cursor()
        except Exception:
            log.exception("publisher: could not start publishing")
            self._lease.release()
            return False
        with self._lock:
            self.last_id = cursor
            with self._pending_lock:
                self._pending = []
            self.leader = True
        log.warning("publisher: %s holds the publisher lock; sending after event %s", self.holder, cursor)
        return True

    def _take_cursor(self) -> int:
        """The cursor row (made at the newest event on first use: no history
        is replayed), marked as this holder's."""
        db = self.open_db()
        try:
            db.execute("INSERT OR IGNORE INTO publisher_cursor (name, last_id, sent_by, sent_at)"
                       " VALUES (?, ?, ?, ?)", [self.name, events.last_id(db), self.holder, iso(utcnow())])
            db.execute("UPDATE publisher_cursor SET sent_by = ?, sent_at = ? WHERE name = ?",
                       [self.holder, iso(utcnow()), self.name])
            return db.execute("SELECT last_id FROM publisher_cursor WHERE name = ?", [self.name]).fetchone()[0]
        finally:
            db.close()

    def _wait_for_commits(self) -> None:
        """Until a commit's NOTIFY arrives, ``poll_s`` has passed, or
        ``stop``/a local wake-up asks; waits in slices of at most
        ``WAIT_SLICE_S`` so that a stop never waits for a long poll."""
        deadline = time.monotonic() + self.poll_s
        while not self._stop.is_set() and not self._wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for _ in self._lease.conn.notifies(timeout=min(left, WAIT_SLICE_S), stop_after=1):
                return
        self._wake.clear()

    def _step_down(self, why: str) -> None:
        if self.leader:
            log.warning("publisher: %s stops publishing: %s", self.holder, why)
        with self._lock:
            self.leader = False
            with self._pending_lock:
                self._pending = []
        self._lease.release()
