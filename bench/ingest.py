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
from warroom import accounts, replay, rooms, tokens  # noqa: E402
from warroom import db as dbmod  # noqa: E402
from warroom.sentiment import Scorer  # noqa: E402

BATCH = 1000


def records(n: int) -> tuple[str, list[dict]]:
    airline = shared_data_dir() / "airline_tweets" / "airline_tweets_2015.csv"
    path = airline if airline.exists() else ROOT / "warroom" / "data" / "demo_storm.ndjson"
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


def sentiment_alone(texts: list[str]) -> float:
    scorer = Scorer()
    t = time.perf_counter()
    for text in texts:
        scorer.score(text)
    return len(texts) / (time.perf_counter() - t)


def raw_executemany(recs: list[dict], folder: Path) -> float:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE mentions (id INTEGER PRIMARY KEY, room_id INTEGER, source TEXT, external_id TEXT,"
        " author TEXT, text TEXT, url TEXT, created_at TEXT, received_at TEXT, lang TEXT,"
        " followers INTEGER, sentiment REAL, sentiment_label TEXT, UNIQUE (source, external_id))"
    )
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
    rate = len(rows) / (time.perf_counter() - t)
    conn.close()
    return rate


def api_path(recs: list[dict], folder: Path) -> float:
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
    try:
        for _ in range(200):
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        s = requests.Session()
        s.headers.update({"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        endpoint = f"{url}/api/v1/rooms/{room.id}/mentions"
        warm = [{**r, "external_id": "warm-" + r["external_id"]} for r in recs[:50]]
        assert s.post(endpoint, data=json.dumps(warm)).status_code == 202  # builds the scorer
        bodies = [json.dumps(recs[i:i + BATCH]) for i in range(0, len(recs), BATCH)]
        accepted = 0
        t = time.perf_counter()
        for body in bodies:
            resp = s.post(endpoint, data=body)
            assert resp.status_code == 202, resp.text
            accepted += resp.json()["accepted"]
        rate = len(recs) / (time.perf_counter() - t)
        assert accepted == len(recs), (accepted, len(recs))
        return rate
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10, help="batches of 1,000 (default 10)")
    args = parser.parse_args()
    name, recs = records(args.batches * BATCH)
    texts = [r["text"] for r in recs]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        api = api_path(recs, folder)
        senti = sentiment_alone(texts)
        raw = raw_executemany(recs, folder)
    print(f"ingest bench: {len(recs)} mentions from {name}, batches of {BATCH},"
          " real HTTP to a real `run.py serve` process (Werkzeug, threading)")
    print(f"  API path (HTTP+JSON+validate+dedup+sentiment+store+counts+detector+event): {api:10.0f} mentions/s")
    print(f"  sentiment alone (warroom.sentiment.Scorer, same texts):                   {senti:10.0f} texts/s")
    print(f"  raw sqlite3 executemany (same rows, one transaction):                    {raw:10.0f} rows/s")
    print(f"  API / sentiment-alone = {api / senti:.2f}  (target >= 0.50)")
    print(f"  API / raw executemany = {api / raw:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
