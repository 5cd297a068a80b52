"""NAB standard-profile raw score of `warroom.spikes` on the real Twitter series.

Reads `nab_tweets/*.csv` and `windows.json` in place from the shared data
folder (env WARROOM_SHARED_DATA, default ../shared/data) and prints the raw
score per file and the sum, next to the published numbers on these five files
(ARTime 9.05, Twitter AnomalyDetection 2.28, never-fires -15).

Scoring, as defined by Lavin & Ahmad (2015) "Evaluating Real-time Anomaly
Detection Algorithms - the Numenta Anomaly Benchmark" (arXiv:1510.03336) and
quoted in issue 5; written here from that definition:
rows i = 0..N-1; alarms in the first min(floor(0.15 N), 750) rows (probation)
count nothing; sigma(y) = 2/(1+e^(5y)) - 1, and -1 for y > 3; in a window of W
rows ending at row R the best alarm at row i earns A_TP*sigma(-(R-i+1)/W)/sigma(-1);
a window without an alarm costs A_FN; an alarm outside every window costs
A_FP*sigma(|R'-i|/(W'-1)) for the preceding window (R', W'), or -A_FP when
none precedes it. Standard profile: A_TP = 1, A_FP = 0.11, A_FN = 1.

Usage: python bench/spikes_nab.py [--verbose]
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warroom.listening.spikes import SpikeDetector  # noqa: E402

A_TP, A_FP, A_FN = 1.0, 0.11, 1.0
PUBLISHED = [("ARTime (best published)", 9.05), ("Twitter AnomalyDetection", 2.28), ("never fires", -15.0)]


def data_dir() -> Path:
    return Path(os.environ.get("WARROOM_SHARED_DATA", ROOT.parent / "shared" / "data")) / "nab_tweets"


def sigma(y: float) -> float:
    if y > 3:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def load_series(path: Path) -> tuple[list[datetime], list[float]]:
    stamps, values = [], []
    with path.open(newline="") as fh:
        for row in csv.reader(fh):
            if not row or row[0] == "timestamp":
                continue
            stamps.append(parse_ts(row[0]))
            values.append(float(row[1]))
    return stamps, values


def window_rows(stamps: list[datetime], windows: list[list[str]]) -> list[tuple[int, int]]:
    """(first row, last row) of each labelled window, rows whose timestamps fall inside it."""
    out = []
    for start, end in windows:
        s, e = parse_ts(start), parse_ts(end)
        rows = [i for i, t in enumerate(stamps) if s <= t <= e]
        if rows:
            out.append((rows[0], rows[-1]))
    return sorted(out)


def nab_score(n_rows: int, windows: list[tuple[int, int]], alarms: list[int]) -> dict:
    probation = min(math.floor(0.15 * n_rows), 750)
    best = [None] * len(windows)
    fp_total, fp_count = 0.0, 0
    for i in sorted(alarms):
        if i < probation:
            continue
        for k, (s, r) in enumerate(windows):
            if s <= i <= r:
                w = r - s + 1
                value = A_TP * sigma(-(r - i + 1) / w) / sigma(-1.0)
                if best[k] is None or value > best[k]:
                    best[k] = value
                break
        else:
            before = [(s, r) for s, r in windows if r < i]
            if before:
                s, r = before[-1]
                w = r - s + 1
                fp_total += A_FP * sigma(abs(r - i) / (w - 1))
            else:
                fp_total -= A_FP
            fp_count += 1
    tp_total = sum(v for v in best if v is not None)
    missed = sum(1 for v in best if v is None)
    return {
        "score": tp_total + fp_total - A_FN * missed,
        "tp": tp_total, "fp": fp_total, "fp_count": fp_count, "missed": missed,
        "hits": best, "probation": probation,
    }


def fired_by(d) -> str:
    """Which test paged: the one-bucket residual, the level CUSUM or the burst-rate CUSUM."""
    tests = (("z", d.z, d.threshold), ("cusum", d.cusum, d.cusum_threshold),
             ("burst", d.burst, d.burst_threshold))
    return "+".join(name for name, stat, thr in tests if stat >= thr)


def run_detector(stamps, values) -> tuple[list[int], list[str]]:
    det = SpikeDetector()
    alarms, why = [], []
    for i, (t, v) in enumerate(zip(stamps, values, strict=True)):
        d = det.update(t, v)
        if d.alarm:
            alarms.append(i)
            why.append(fired_by(d))
    return alarms, why


def main(argv: list[str]) -> int:
    folder = data_dir()
    if not folder.is_dir():
        print(f"no data: {folder} is absent (set WARROOM_SHARED_DATA)", file=sys.stderr)
        return 1
    labels = json.loads((folder / "windows.json").read_text())
    verbose = "--verbose" in argv
    total = null_total = 0.0
    rows_done, elapsed = 0, 0.0
    fp_all = days_all = 0.0
    print(f"{'file':<28}{'rows':>7}{'windows':>8}{'alarms':>8}{'missed':>7}{'FP':>5}{'FP/day':>8}{'raw score':>11}")
    for path in sorted(folder.glob("*.csv")):
        stamps, values = load_series(path)
        wins = window_rows(stamps, labels.get(f"realTweets/{path.name}", []))
        t0 = time.perf_counter()
        alarms, why = run_detector(stamps, values)
        elapsed += time.perf_counter() - t0
        rows_done += len(values)
        res = nab_score(len(values), wins, alarms)
        null_total += nab_score(len(values), wins, [])["score"]
        total += res["score"]
        # False alarms per day of scored data (after the probation rows).
        days = (stamps[-1] - stamps[res["probation"]]).total_seconds() / 86400.0
        fp_all += res["fp_count"]
        days_all += days
        print(f"{path.name:<28}{len(values):>7}{len(wins):>8}{len(alarms):>8}{res['missed']:>7}"
              f"{res['fp_count']:>5}{res['fp_count'] / days:>8.2f}{res['score']:>11.3f}")
        if verbose:
            print(f"    windows {wins} alarms {alarms}")
            print(f"    fired by {why}")
            print(f"    hits {[None if h is None else round(h, 3) for h in res['hits']]} fp {res['fp']:.3f}")
    print(f"{'sum':<55}{fp_all / days_all:>8.2f}{total:>11.3f}"
          f"   (FP/day: alarms outside every labelled window, per day after probation)")
    print(f"scorer check: never-fires detector sums to {null_total:.2f} here (issue: -15)")
    for name, ref in PUBLISHED:
        print(f"reference  {name:<28}{ref:>8.2f}")
    print(f"detector speed: {rows_done / elapsed:,.0f} updates/s on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
