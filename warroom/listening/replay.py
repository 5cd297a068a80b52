"""Replaying recorded mentions (CSV or NDJSON) into a room, optionally paced.

``read_records`` turns a file into (line, raw record) pairs: NDJSON (lines
starting with ``#`` are notes), a CSV with the API's field names, or the
Twitter US Airline Sentiment CSV (``tweet_id``, ``tweet_created``, ...).
``replay`` validates, sorts by ``created_at`` and ingests in batches; with
``speed`` it keeps the original rhythm sped up (``speed=60``: an hour in a
minute), flushing what is due at most every ``min_interval`` seconds so that
a fast replay still commits in batches, never per mention. The clock and
sleep are parameters, so tests pace without waiting.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import validate as checks
from ..clock import iso, parse_iso, utcnow
from ..db import Database
from . import mentions


class ReplayFileError(ValueError):
    """``file:line: message``."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class ReplayResult:
    total: int
    accepted: int
    duplicates: int
    batches: int
    spikes: int


def _airline(row: dict) -> dict:
    """Twitter US Airline Sentiment (2015) columns -> mention fields."""
    created = datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z")
    name = row.get("name") or "unknown"
    return {
        "external_id": row["tweet_id"],
        "source": "twitter",
        "author": name,
        "text": row.get("text") or "",
        "url": f"https://twitter.com/{name}/status/{row['tweet_id']}",
        "created_at": iso(created),
    }


def _generic(row: dict) -> dict:
    rec = {k: (v if v != "" else None) for k, v in row.items() if k is not None}
    if rec.get("url") is None:
        rec["url"] = ""  # a CSV without links is still a valid import
    if rec.get("followers") is not None:
        try:
            rec["followers"] = int(rec["followers"])
        except ValueError:
            pass  # validation names the field
    return rec


def read_records(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, raw record) for every mention in a CSV or NDJSON file."""
    p = Path(path)
    try:
        fh = open(p, encoding="utf-8", newline="")
    except OSError as exc:
        raise ReplayFileError(str(p), 0, f"cannot read: {exc.strerror}") from None
    with fh:
        first = fh.read(1)
        fh.seek(0)
        if p.suffix.lower() == ".csv" or (p.suffix.lower() not in (".ndjson", ".jsonl", ".json") and first not in "{#"):
            reader = csv.DictReader(fh)
            fields = set(reader.fieldnames or [])
            airline = {"tweet_id", "tweet_created", "text"} <= fields
            if not airline and not {"external_id", "text", "created_at"} <= fields:
                raise ReplayFileError(str(p), 1, "CSV header needs external_id, text and created_at"
                                      " (or the airline tweets' tweet_id, text, tweet_created)")
            start = 2
            for row in reader:
                try:
                    yield start, (_airline(row) if airline else _generic(row))
                except (ValueError, KeyError, OverflowError) as exc:
                    raise ReplayFileError(str(p), start, f"bad row: {exc}") from None
                start = reader.line_num + 1
            return
        for no, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                record = checks.loads(text, "line", unicode=False)  # bounded nesting
            except checks.Invalid as exc:
                raise ReplayFileError(str(p), no, f"not JSON: {exc.reason or exc}") from None
            yield no, record


def load(path: str | Path, now: datetime, limits: mentions.Limits | None = None,
         default_source: str | None = None) -> list[mentions.NewMention]:
    """Read and validate a whole file (nothing is stored if a row is bad),
    sorted by created_at (stable, so equal times keep file order)."""
    limits = limits or mentions.Limits()
    out = []
    for line, rec in read_records(path):
        if default_source and isinstance(rec, dict) and not rec.get("source"):
            rec = {**rec, "source": default_source}
        try:
            out.append(mentions.validate_one(rec, line, now, limits))
        except mentions.MentionInvalid as exc:
            raise ReplayFileError(str(path), line, f"{exc.field}: {exc.message}") from None
    out.sort(key=lambda m: m.created_at)
    return out


def replay(
    db: Database, room_id: int, batch: list[mentions.NewMention], scorer, *,
    speed: float | None = None, batch_size: int = 1000, min_interval: float = 0.25,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
    now_fn: Callable[[], datetime] = utcnow, progress: Callable[[int, int], None] | None = None,
    actor: str | None = "replay", detector_params=None,
) -> ReplayResult:
    """Ingest ``batch`` (sorted by created_at) into the room; see module doc.
    ``detector_params``: the spike detector's settings (``[spikes]`` of
    config.toml, as live ingestion passes them; the playbook's still win)."""
    if speed is not None and speed <= 0:
        raise ValueError("speed must be positive")
    total = len(batch)
    done = accepted = duplicates = batches = spikes = 0
    pending: list[mentions.NewMention] = []

    def flush():
        nonlocal done, accepted, duplicates, batches, spikes, pending
        if not pending:
            return
        result = mentions.ingest(db, now_fn(), room_id, pending, scorer, actor=actor,
                                 detector_params=detector_params)
        done += len(pending)
        accepted += result.accepted
        duplicates += result.duplicates
        spikes += len(result.alarms)
        batches += 1
        pending = []
        if progress:
            progress(done, total)

    if speed is None:
        for m in batch:
            pending.append(m)
            if len(pending) >= batch_size:
                flush()
        flush()
        return ReplayResult(total, accepted, duplicates, batches, spikes)

    t0 = parse_iso(batch[0].created_at) if batch else None
    start = clock()
    for m in batch:
        due = (parse_iso(m.created_at) - t0).total_seconds() / speed
        wait = due - (clock() - start)
        if wait >= min_interval or (wait > 0 and len(pending) >= batch_size):
            flush()  # everything before this mention is due now
            wait = due - (clock() - start)
            if wait > 0:
                sleep(wait)
        pending.append(m)
        if len(pending) >= batch_size:
            flush()
    flush()
    return ReplayResult(total, accepted, duplicates, batches, spikes)
