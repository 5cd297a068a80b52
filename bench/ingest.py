"""Mentions per second through the whole ingestion API path, against two
references measured in the same run on the same texts.

- API path: real HTTP (requests) to a real `run.py serve` process: HTTP and
  JSON parsing, token check, rate count, validation, de-duplication,
  sentiment, storage, per-minute counts, the spike detector, the event; in
  batches of 1,000 (one POST each, sequential).
- Reference 1: `warroom.sentiment.Scorer().score` alone on the same texts
  (the unavoidable work), in this process.
- Reference 2: raw `sqlite3` `executemany` of the same rows into a table of
  the same shape, one transaction.

Texts: the real airline tweets from the shared data when present (read in
place), else the packaged synthetic demo storm. Target: API >= 50 % of the
sentiment-alone rate.

    .venv/bin/python bench/ingest.py [--batches N]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.conftest import FIXED_NOW, free_port, shared_data_dir  # noqa: E402
from warroom import accounts, rooms  # noqa: E402
from warroom import db as dbmod  # noqa: E402
from warroom.listening import replay, tokens  # noqa: E402
from warroom.listening.sentiment import Scorer  # noqa: E402

BATCH = 1000


def records(n: int) -> tuple[str, list[dict]]:
    airline = shared_data_dir() / "airline_tweets" / "airline_tweets_2015.csv"
    path = airline if airline.exists() else ROOT / "warroom" / "listening" / "data" / "demo_storm.ndjson"
    seen, out = set(), []
    for _line, rec in replay.read_records(path):
        if rec["external_id"] in seen:
            continue
        seen.add(rec["external_id"])
        out.append(rec)
    out.sort(key=lambda r: r["created_at"])
    while len(out) < n:  # repeat with new ids if the file is short
        k = len(out)
        out += [{**r, "external_id": f"{r['external_id']}-{k}"} for r in out[: n - k]]
    return path.name, out[:n]


def raw_table(folder: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE mentions (id INTEGER PRIMARY KEY, room_id INTEGER, source TEXT, external_id TEXT,"
        " author TEXT, text TEXT, url TEXT, created_at TEXT, received_at TEXT, lang TEXT,"
        " followers INTEGER, sentiment REAL, sentiment_label TEXT, UNIQUE (room_id, source, external_id))"
    )
    return conn


def raw_executemany(conn: sqlite3.Connection, recs: list[dict]) -> float:
    """Seconds to insert the batch with one executemany in one transaction."""
    rows = [(1, r["source"], r["external_id"], r["author"], r["text"], r["url"], r["created_at"],
             "2026-01-01T00:00:00.000Z", None, None, 0.0, "neutral") for r in recs]
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
        " received_at, lang, followers, sentiment, sentiment_label) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.execute("COMMIT")
    return time.perf_counter() - t


def sentiment_alone(scorer: Scorer, recs: list[dict]) -> float:
    """Seconds to score the batch's texts."""
    t = time.perf_counter()
    for r in recs:
        scorer.score(r["text"])
    return time.perf_counter() - t


def start_server(folder: Path):
    db_path = folder / "server.db"
    db = dbmod.connect(db_path)
    dbmod.migrate(db)
    lead = accounts.add_user(db, FIXED_NOW, "bench", "lead", "bench password 123")
    room = rooms.open_room(db, FIXED_NOW, lead, "Bench", status="monitoring")
    _token, secret = tokens.create(db, FIXED_NOW, "twitter", room.id, rate_per_minute=100_000)
    db.close()
    port = free_port()
    env = {**os.environ, "WARROOM_DB_PATH": str(db_path), "WARROOM_SERVER_PORT": str(port),
           "WARROOM_SECRET_KEY": "bench", "WARROOM_SCHEDULER_ENABLED": "false"}
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "run.py", "serve"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    s = requests.Session()
    s.headers.update({"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    return proc, log, s, f"{url}/api/v1/rooms/{room.id}/mentions"


def api_post(s: requests.Session, endpoint: str, body: str, n: int) -> float:
    """Seconds for one POST of a batch (the body is encoded beforehand)."""
    t = time.perf_counter()
    resp = s.post(endpoint, data=body)
    took = time.perf_counter() - t
    assert resp.status_code == 202 and resp.json()["accepted"] == n, resp.text
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10, help="batches of 1,000 (default 10)")
    args = parser.parse_args()
    name, recs = records(args.batches * BATCH)
    batches = [recs[i:i + BATCH] for i in range(0, len(recs), BATCH)]
    scorer = Scorer()
    times = {"api": 0.0, "sentiment": 0.0, "raw": 0.0}
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        proc, log, session, endpoint = start_server(folder)
        raw = raw_table(folder)
        try:
            warm = [{**r, "external_id": "warm-" + r["external_id"]} for r in recs[:50]]
            api_post(session, endpoint, json.dumps(warm), len(warm))  # builds the server's scorer
            # The three are measured batch by batch, interleaved, so that load
            # from other processes on this machine falls on all of them alike.
            for batch in batches:
                api = api_post(session, endpoint, json.dumps(batch), len(batch))
                senti = sentiment_alone(scorer, batch)
                times["api"] += api
                times["sentiment"] += senti
                times["raw"] += raw_executemany(raw, batch)
                ratios.append(senti / api)
        finally:
            proc.terminate()
            proc.wait(10)
            log.close()
            raw.close()
    n = len(recs)
    api, senti, raw_rate = n / times["api"], n / times["sentiment"], n / times["raw"]
    ratios.sort()
    print(f"ingest bench: {n} mentions from {name}, {len(batches)} batches of {BATCH},"
          " real HTTP (requests) to a real `run.py serve` process (Werkzeug, threading);"
          " the three measured interleaved batch by batch")
    print(f"  API path (HTTP+JSON+token+rate+validate+dedup+sentiment+store+counts+detector+event): {api:8.0f} mentions/s")
    print(f"  sentiment alone (warroom.sentiment.Scorer, same texts):                               {senti:8.0f} texts/s")
    print(f"  raw sqlite3 executemany (same rows, one transaction per batch):                       {raw_rate:8.0f} rows/s")
    print(f"  API / sentiment-alone = {api / senti:.2f}  (target >= 0.50; median over batches"
          f" {ratios[len(ratios) // 2]:.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f})")
    print(f"  API / raw executemany = {api / raw_rate:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
