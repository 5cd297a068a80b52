"""`spikes replay FILE`: run the spike detector over a `timestamp,value` CSV."""

from __future__ import annotations

import csv
import io
import math
import sys
from datetime import UTC, datetime

from ..listening.spikes import SpikeDetector


def register(sub, common) -> None:
    p = sub.add_parser("spikes", parents=[common], help="the volume-spike detector")
    spikes_sub = p.add_subparsers(dest="spikes_command", metavar="ACTION", required=True)
    replay = spikes_sub.add_parser(
        "replay", parents=[common],
        help="read timestamp,value rows (header optional; '-' for stdin) and write "
             "timestamp,value,anomaly_score,alarm to stdout",
    )
    replay.add_argument("file", metavar="FILE")
    # A playbook's stated expectations, for the cold start (see listening/surge.py).
    replay.add_argument("--normal-per-hour", type=float, default=None, metavar="N",
                        help="normal posts an hour (the playbook's expectation; default: not stated)")
    replay.add_argument("--min-storm-posts", type=float, default=None, metavar="N",
                        help="fewest posts in 15 minutes that can page (default 5)")
    replay.add_argument("--false-alarms-per-day", type=float, default=None, metavar="B",
                        help="daily false-alarm budget of the stream (default 0.2)")
    replay.set_defaults(func=cmd_replay)


def _parse_ts(text: str) -> datetime:
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    ts = datetime.fromisoformat(raw)  # ValueError names the text
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _is_header(ts_text: str, value_text: str) -> bool:
    try:
        _parse_ts(ts_text)
        return False
    except ValueError:
        pass
    try:
        float(value_text)
        return False
    except ValueError:
        return True


def read_series(name: str, text: str) -> list[tuple[str, str, datetime, float]]:
    """Validated rows (timestamp text, value text, timestamp, value, negative or None);
    UsageError on the first bad one. An optional third column counts the negative posts."""
    from .common import UsageError

    rows = []
    last: datetime | None = None
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) not in (2, 3):
            raise UsageError(f"{name}:{lineno}: expected 2 columns timestamp,value"
                             f" (or 3 with negative), got {len(row)}")
        ts_text, value_text = row[0].strip(), row[1].strip()
        if not rows and _is_header(ts_text, value_text):  # a third column's name is not checked
            continue  # the optional header, whatever its column names
        try:
            ts = _parse_ts(ts_text)
        except ValueError:
            raise UsageError(f"{name}:{lineno}: timestamp: not an ISO-8601 timestamp: {ts_text!r}") from None
        try:
            value = float(value_text)
        except ValueError:
            raise UsageError(f"{name}:{lineno}: value: not a number: {value_text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"{name}:{lineno}: value: must be a finite count >= 0, got {value_text!r}")
        if last is not None and ts <= last:
            raise UsageError(f"{name}:{lineno}: timestamp: {ts_text} is not after the previous row")
        negative = None
        if len(row) == 3:
            try:
                negative = int(row[2].strip())
            except ValueError:
                raise UsageError(f"{name}:{lineno}: negative: not a whole number: {row[2].strip()!r}") from None
            if not 0 <= negative <= value:
                raise UsageError(f"{name}:{lineno}: negative: must be between 0 and the value")
        last = ts
        rows.append((ts_text, value_text, ts, value, negative))
    return rows


def cmd_replay(args) -> int:
    from .common import UsageError

    if args.file == "-":
        name, text = "<stdin>", sys.stdin.read()
    else:
        name = args.file
        try:
            with open(args.file, encoding="utf-8", newline="") as fh:
                text = fh.read()
        except OSError as exc:
            raise UsageError(f"{name}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{name}:1: not UTF-8 text") from None
    rows = read_series(name, text)  # all validated before any output: no half replay
    params = {}
    for key in ("normal_per_hour", "min_storm_posts", "false_alarms_per_day"):
        value = getattr(args, key)
        if value is not None:
            if not math.isfinite(value) or value < 0 or (key != "normal_per_hour" and value <= 0):
                raise UsageError(f"--{key.replace('_', '-')}: must be a positive number, got {value!r}")
            params[key] = value
    det = SpikeDetector(params)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["timestamp", "value", "anomaly_score", "alarm"])
    try:
        for ts_text, value_text, ts, value, negative in rows:
            d = det.update(ts, value, negative)
            out.writerow([ts_text, value_text, f"{d.score:.4f}", 1 if d.alarm else 0])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; stop quietly like other Unix tools.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
