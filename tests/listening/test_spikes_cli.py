"""`run.py spikes replay FILE`: output format and bad-input errors (real process)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT
from warroom.cli import main
from warroom.listening.spikes import SpikeDetector


def replay(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run.py", "spikes", "replay", *args],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60,
    )


def counts_csv(values, header=True, step=timedelta(minutes=5)) -> str:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    lines = ["timestamp,value"] if header else []
    lines += [f"{(start + i * step).strftime('%Y-%m-%d %H:%M:%S')},{v}" for i, v in enumerate(values)]
    return "\n".join(lines) + "\n"


def flat_then_spike() -> list[int]:
    return [20 + (i % 5) for i in range(600)] + [400, 500, 450] + [21] * 20


def test_replay_writes_scores_and_one_alarm_matching_the_detector(tmp_path):
    path = tmp_path / "counts.csv"
    values = flat_then_spike()
    path.write_text(counts_csv(values))
    done = replay(str(path), "--normal-per-hour", "264")  # the playbook's expectation: 22 per 5 min
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["timestamp", "value", "anomaly_score", "alarm"]
    assert len(rows) == len(values) + 1
    assert rows[1][:2] == ["2026-03-02 00:00:00", "20"]  # input echoed as given
    assert {r[3] for r in rows[1:]} == {"0", "1"}
    assert [i for i, r in enumerate(rows[1:]) if r[3] == "1"] == [600]
    assert all(0.0 <= float(r[2]) <= 1.0 for r in rows[1:])
    # Same numbers as the library gives.
    det = SpikeDetector({"normal_per_hour": 264})
    start = datetime(2026, 3, 2, tzinfo=UTC)
    expected = [det.update(start + i * timedelta(minutes=5), v) for i, v in enumerate(values)]
    assert [r[2] for r in rows[1:]] == [f"{d.score:.4f}" for d in expected]


def test_without_stated_expectations_a_busy_first_bucket_is_a_storm(tmp_path):
    # The cold-start rule: no stated normal means "quiet until shown otherwise",
    # so the second bucket of a stream at 20 a bucket pages; stating the normal
    # rate (as a playbook does) stops it.
    path = tmp_path / "counts.csv"
    path.write_text(counts_csv([20] * 12))
    alarms = [r[3] for r in csv.reader(io.StringIO(replay(str(path)).stdout))][1:]
    assert alarms.index("1") == 1
    alarms = [r[3] for r in csv.reader(io.StringIO(replay(str(path), "--normal-per-hour", "240").stdout))][1:]
    assert "1" not in alarms


def test_a_third_column_of_negative_counts_feeds_the_sentiment_test(tmp_path):
    # Two days at 30 posts a 5-minute bucket, a fifth negative; then an hour at
    # the same volume with two thirds negative.
    rows = [(30, 6)] * 576 + [(30, 20)] * 12
    start = datetime(2026, 3, 2, tzinfo=UTC)
    text = "timestamp,value,negative\n" + "".join(
        f"{(start + i * timedelta(minutes=5)).strftime('%Y-%m-%d %H:%M:%S')},{v},{n}\n"
        for i, (v, n) in enumerate(rows))
    path = tmp_path / "counts.csv"
    path.write_text(text)
    done = replay(str(path), "--normal-per-hour", "360")
    assert done.returncode == 0, done.stderr
    alarms = [i for i, r in enumerate(list(csv.reader(io.StringIO(done.stdout)))[1:]) if r[3] == "1"]
    assert len(alarms) == 1 and 576 <= alarms[0] < 588


def test_header_is_optional_and_stdin_works():
    values = flat_then_spike()
    with_header = replay("-", stdin=counts_csv(values))
    without = replay("-", stdin=counts_csv(values, header=False))
    assert with_header.returncode == without.returncode == 0
    assert with_header.stdout == without.stdout and with_header.stdout.count("\n") == len(values) + 1


def test_any_header_names_are_accepted_but_only_on_the_first_line(tmp_path, capsys):
    path = tmp_path / "named.csv"
    path.write_text("time,count\n2026-03-02T00:00:00Z,3\n2026-03-02T00:01:00Z,4\n")
    assert main(["spikes", "replay", str(path)]) == 0
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "timestamp,value,anomaly_score,alarm" and len(lines) == 3
    assert lines[1].startswith("2026-03-02T00:00:00Z,3,") and lines[2].startswith("2026-03-02T00:01:00Z,4,")
    path.write_text("2026-03-02T00:00:00Z,3\ntime,count\n")
    assert main(["spikes", "replay", str(path)]) == 2
    assert f"{path}:2: timestamp: not an ISO-8601 timestamp: 'time'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("timestamp,value\n2026-03-02T00:00:00Z,3\nyesterday,4\n", "x.csv:3: timestamp: not an ISO-8601"),
        ("2026-03-02T00:00:00Z,3\n2026-03-02T00:01:00Z,many\n", "x.csv:2: value: not a number"),
        ("2026-03-02T00:00:00Z,3\n2026-03-02T00:01:00Z,-1\n", "x.csv:2: value: must be a finite count"),
        ("2026-03-02T00:00:00Z,3\n2026-03-02T00:01:00Z,nan\n", "x.csv:2: value: must be a finite count"),
        ("2026-03-02T00:00:00Z,3\n2026-03-02T00:01:00Z,1,2,3\n", "x.csv:2: expected 2 columns"),
        ("2026-03-02T00:00:00Z,3\n2026-03-02T00:01:00Z,1,2\n", "x.csv:2: negative: must be between 0 and the value"),
        ("2026-03-02T00:05:00Z,3\n2026-03-02T00:05:00Z,4\n", "x.csv:2: timestamp: 2026-03-02T00:05:00Z is not after"),
    ],
)
def test_bad_rows_exit_2_naming_file_and_line_with_no_output(tmp_path, capsys, body, message):
    # In-process through the same entry point as run.py (a process each would be slow).
    path = tmp_path / "x.csv"
    path.write_text(body)
    assert main(["spikes", "replay", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # validated before any row is written
    assert message.replace("x.csv", str(path)) in err


def test_missing_file_is_a_usage_error_in_a_real_process(tmp_path):
    done = replay(str(tmp_path / "nope.csv"))
    assert done.returncode == 2 and "nope.csv: No such file" in done.stderr and not done.stdout
