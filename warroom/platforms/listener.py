"""Listening: a connector's batches into its room's mentions (or its standing
monitor's), one thread each.

``store_batch`` is the rule: a batch's posts (through
``listening.mentions.ingest``, so the ``(room, source, external_id)`` rule
drops any post seen twice), their reply references and the connector's new
cursor commit in ONE transaction. A monitor's connector stores its posts
through ``listening.watch.ingest`` instead (unique per monitor on source and
external id; the monitor's detector decides them and its open room receives
them), with the cursor in that same transaction; a paused monitor stores
nothing, so its batches only move the cursor (counted as skipped). A restart resumes from the cursor of the
last stored batch: nothing is lost, nothing stored twice. A post that fails
validation is skipped and counted, never stored.

``listen_forever`` is one connector's loop: build it, read its limit, store
every batch; a ``ConnectorError`` is written on the connector's state and
retried after a back-off (doubling up to a ceiling; a non-retryable one, such
as a revoked token, waits the ceiling); the loop ends only when ``stop`` is
set or the connector is stopped. ``Supervisor`` keeps one such thread per
active connector (on several hosts, per connector on one host at a time:
its ``lease``); the scheduler adapter calls its ``sync`` and ``stop_all``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..clock import iso
from ..db import Database, transaction
from ..listening import mentions, monitors, watch
from . import store
from .connector import Batch, ConnectorError
from .crypto import Vault, VaultError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenConfig:
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 300.0


def _records(platform: str, batch: Batch) -> list[dict]:
    return [{"source": platform, "external_id": p.external_id, "author": p.author, "text": p.text,
             "url": p.url, "created_at": p.created_at, "lang": p.lang, "followers": p.followers}
            for p in batch.posts]


class Stopped(Exception):
    """The connector was disconnected (or deleted) while it listened."""


def store_batch(db: Database, now, connector_id: int, batch: Batch,
                scorer) -> mentions.IngestResult | watch.WatchResult | None:
    """Store a batch's posts, their reply refs and the cursor in one transaction
    (the result is None when no post in it was valid)."""
    info = store.get(db, connector_id)
    if info is None or info.state == "stopped":
        raise Stopped(connector_id)
    valid, refs, skipped = [], {}, batch.skipped
    for i, (record, post) in enumerate(zip(_records(info.platform, batch), batch.posts, strict=True)):
        try:
            m = mentions.validate_one(record, i + 1, now)
            json.dumps(post.reply_ref)
        except (mentions.MentionInvalid, TypeError, ValueError) as exc:
            log.warning("connector %s: skipped post %r: %s", connector_id, post.external_id[:80], exc)
            skipped += 1
            continue
        valid.append(m)
        refs[m.external_id] = json.dumps(post.reply_ref, sort_keys=True)
    with transaction(db):
        result = None
        if valid and info.room_id is None:
            monitor = monitors.get(db, info.monitor_id)
            if monitor is not None and monitor.status == "active":
                result = watch.ingest(db, now, info.monitor_id, valid, scorer)
            else:
                skipped += len(valid)
        elif valid:
            result = mentions.ingest(db, now, info.room_id, valid, scorer)
            marks = ",".join("?" for _ in refs)
            rows = db.execute(
                f"SELECT id, external_id FROM mentions WHERE room_id = ? AND source = ? AND external_id IN ({marks})",
                [info.room_id, info.platform, *refs],
            ).fetchall()
            db.conn.executemany(
                "INSERT OR IGNORE INTO mention_sources (mention_id, connector_id, reply_ref) VALUES (?, ?, ?)",
                [(mid, connector_id, refs[ext]) for mid, ext in rows],
            )
        db.execute(
            "UPDATE connectors SET cursor = COALESCE(?, cursor), posts = posts + ?, duplicates = duplicates + ?,"
            " skipped = skipped + ?, last_post_at = CASE WHEN ? > 0 THEN ? ELSE last_post_at END,"
            " updated_at = ? WHERE id = ?",
            [batch.cursor, result.accepted if result else 0, result.duplicates if result else 0, skipped,
             result.accepted if result else 0, iso(now), iso(now), connector_id],
        )
        store.record_ok(db, now, connector_id)
    return result


def listen_forever(open_db: Callable[[], Database], connector_id: int, vault: Vault, scorer,
                   stop: threading.Event, clock: Callable, cfg: ListenConfig = ListenConfig()) -> None:
    backoff = cfg.backoff_seconds
    while not stop.is_set():
        db = open_db()
        delay = cfg.backoff_seconds
        try:
            info = store.get(db, connector_id)
            if info is None or info.state == "stopped":
                return
            try:
                connector = store.connector_for(db, connector_id, vault)
            except VaultError as exc:
                raise ConnectorError("auth", str(exc), retryable=False) from None
            store.record_limit(db, connector_id, connector.limit)
            batches = connector.listen(info.cursor, stop)
            try:
                for batch in batches:
                    store_batch(db, clock(), connector_id, batch, scorer)
                    backoff = cfg.backoff_seconds
                    if stop.is_set():
                        break
            finally:
                close = getattr(batches, "close", None)  # the connector's streams end with it
                if close:
                    close()
        except Stopped:
            return
        except ConnectorError as exc:
            log.warning("connector %s: %s: %s", connector_id, exc.kind, exc)
            store.record_error(db, clock(), connector_id, exc, skipped=1 if exc.kind == "malformed" else 0)
            delay = backoff if exc.retryable else cfg.max_backoff_seconds
            backoff = min(backoff * 2, cfg.max_backoff_seconds)
        except mentions.RoomNotListening as exc:
            store.disconnect(db, clock(), None, connector_id, reason=str(exc))
            return
        except Exception as exc:  # a bug or a library surprise: shown, retried, never the thread's end
            log.exception("connector %s: listening failed", connector_id)
            store.record_error(db, clock(), connector_id, f"{type(exc).__name__}: {exc}")
            delay = backoff
            backoff = min(backoff * 2, cfg.max_backoff_seconds)
        finally:
            db.close()
        stop.wait(delay)


class Supervisor:
    """One listening thread per active connector of this process.

    ``lease(connector_id)`` (optional) decides which process listens when
    several hosts run this: it returns a held lease (``held()``,
    ``release()``) or None when another process listens to that connector.
    Without it this process listens to every active connector (one host)."""

    def __init__(self, open_db: Callable[[], Database], vault: Vault, scorer, clock: Callable,
                 cfg: ListenConfig = ListenConfig(), lease: Callable | None = None):
        self.open_db, self.vault, self.scorer, self.clock, self.cfg = open_db, vault, scorer, clock, cfg
        self.lease = lease
        self._threads: dict[int, tuple[threading.Thread, threading.Event, object]] = {}
        self._lock = threading.Lock()

    def sync(self) -> list[int]:
        """Start threads for new connectors, stop those of stopped ones (and
        those whose lease was lost); returns the running ids."""
        db = self.open_db()
        try:
            wanted = {c.id for c in store.active(db)}
        finally:
            db.close()
        with self._lock:
            for cid, (thread, stop, held) in list(self._threads.items()):
                if cid not in wanted or not thread.is_alive() or (held is not None and not held.held()):
                    stop.set()
                    del self._threads[cid]
            for cid in sorted(wanted - set(self._threads)):
                held = self.lease(cid) if self.lease is not None else None
                if self.lease is not None and held is None:
                    continue  # another host listens to it
                stop = threading.Event()
                thread = threading.Thread(
                    target=self._listen, name=f"warroom-connector-{cid}", daemon=True, args=(cid, stop, held))
                self._threads[cid] = (thread, stop, held)
                thread.start()
            return sorted(self._threads)

    def _listen(self, cid: int, stop: threading.Event, held) -> None:
        try:
            listen_forever(self.open_db, cid, self.vault, self.scorer, stop, self.clock, self.cfg)
        finally:
            if held is not None:
                held.release()  # only once this thread stored its last batch

    def stop_all(self, timeout: float = 5.0) -> int:
        """Stop every listening thread; returns how many ended within ``timeout``."""
        with self._lock:
            running = list(self._threads.values())
            self._threads.clear()
        for _, stop, _ in running:
            stop.set()
        for thread, _, _ in running:
            thread.join(timeout)
        return sum(1 for thread, _, _ in running if not thread.is_alive())
