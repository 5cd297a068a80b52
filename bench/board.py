"""Board load: a room with 100,000 mentions against an empty room, same run.

One real `run.py serve` and one database holding both rooms; real Chromium
(Debian's, through Playwright, as the tests use) opens each board ``--loads``
times, alternating, in a fresh browser context each time (a cold page, the
session cookie only). Two numbers per load, read from the performance marks
that static/board.js sets, in ms from the navigation's start:

- first meaningful paint: ``warroom:queue-painted``, the queue's first page
  drawn (its first rows, or "No mentions yet" for the empty room);
- time to interactive: ``warroom:interactive``, every piece of the board's
  state loaded (board, mentions, volume) and the room joined with its
  missed events replayed, so the queue, the composer and the keys work.

The mentions are stored with ``listening.mentions.ingest`` (VADER scoring,
per-minute volume and the detector, as ``run.py ingest`` does), spread over
``--hours``. Medians are printed per room and the ratio full/empty; the
absolute numbers depend on the machine and on what else runs on it.

    .venv/bin/python bench/board.py [--mentions 100000] [--loads 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MARKS = ("warroom:queue-painted", "warroom:interactive")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(db_path: Path, n: int, hours: float) -> tuple[int, int, float]:
    """Two rooms (full, empty) and the lead who opens them; returns their ids and the seconds taken."""
    from warroom import accounts, rooms
    from warroom import db as dbmod
    from warroom.clock import iso, utcnow
    from warroom.listening import mentions, sentiment

    db = dbmod.connect(db_path)
    dbmod.migrate(db)
    now = utcnow()
    lead = accounts.add_user(db, now, "bench", "lead", PASSWORD)
    full = rooms.open_room(db, now, lead, f"{n:,} mentions")
    empty = rooms.open_room(db, now, lead, "No mentions")
    scorer = sentiment.Scorer()
    words = ["cancelled", "stranded", "rebook", "refund", "queue", "gate", "hotel", "voucher", "delay", "crew"]
    start = now - timedelta(hours=hours)
    step = hours * 3600 / max(1, n)
    t0 = time.perf_counter()
    batch = 5000
    for first in range(0, n, batch):
        rows = []
        for i in range(first, min(n, first + batch)):
            at = start + timedelta(seconds=i * step)
            text = (f"flight {i % 977} {words[i % 10]} again, {words[(i * 7) % 10]} at the desk for "
                    f"{i % 5 + 1} hours and nobody answers @airline #{i % 31}")
            rows.append(mentions.NewMention("twitter", f"t{i}", f"@user{i % 20011}", text,
                                            f"https://x.test/{i}", iso(at), "en", i % 5000))
        mentions.ingest(db, start + timedelta(seconds=(first + batch) * step), full.id, rows, scorer)
        print(f"  stored {min(n, first + batch):,}/{n:,}", end="\r", flush=True)
    took = time.perf_counter() - t0
    print()
    db.close()
    return full.id, empty.id, took


def start_server(db_path: Path, tmp: Path) -> tuple[subprocess.Popen, str]:
    import requests

    port = free_port()
    env = {**os.environ, "WARROOM_DB_PATH": str(db_path), "WARROOM_SERVER_PORT": str(port),
           "WARROOM_SECRET_KEY": "bench-secret", "PYTHONUNBUFFERED": "1"}
    log = open(tmp / "server.log", "ab")
    proc = subprocess.Popen([sys.executable, "run.py", "serve", "--config", str(ROOT / "config.toml")],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(tmp / 'server.log').read_text()[-2000:]}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def login_cookies(url: str) -> list[dict]:
    import re

    import requests

    s = requests.Session()
    page = s.get(url + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = s.post(url + "/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token},
                  allow_redirects=False)
    assert resp.status_code == 302, resp.text
    return [{"name": k, "value": v, "url": url} for k, v in s.cookies.items()]


def load_once(browser, url: str, cookies: list[dict], room_id: int, timeout_s: float) -> dict:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        ctx.add_cookies(cookies)
        page = ctx.new_page()
        page.goto(f"{url}/rooms/{room_id}", wait_until="commit")
        page.wait_for_function("() => performance.getEntriesByName('warroom:interactive').length > 0",
                               timeout=timeout_s * 1000, polling=50)
        got = page.evaluate("(names) => names.map(n => performance.getEntriesByName(n)[0].startTime)", list(MARKS))
        rows = page.evaluate("() => document.querySelectorAll('#mention-list li.mention').length")
        return {"paint": got[0], "interactive": got[1], "rows": rows}
    finally:
        ctx.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mentions", type=int, default=100_000)
    p.add_argument("--hours", type=float, default=6.0, help="the span the mentions are spread over")
    p.add_argument("--loads", type=int, default=3, help="page loads per room (alternating)")
    p.add_argument("--timeout", type=float, default=300, help="seconds one load may take at most")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"board load: {args.mentions:,} mentions over {args.hours:g} h vs an empty room; {args.loads} loads "
          f"each; Chromium {CHROMIUM}; {os.cpu_count()} cores, load average %.1f" % os.getloadavg()[0])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db_path = tmp / "bench.db"
        full, empty, took = populate(db_path, args.mentions, args.hours)
        print(f"  ingest: {took:.1f} s ({args.mentions / took:,.0f} mentions/s)")
        proc, url = start_server(db_path, tmp)
        try:
            cookies = login_cookies(url)
            results: dict[int, list[dict]] = {full: [], empty: []}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    load_once(browser, url, cookies, empty, args.timeout)  # warm the server's caches once
                    for _ in range(args.loads):
                        for room_id in (empty, full):
                            results[room_id].append(load_once(browser, url, cookies, room_id, args.timeout))
                finally:
                    browser.close()
        except BaseException:
            sys.stderr.write("server log (tail):\n" + (tmp / "server.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            proc.terminate()
            proc.wait(10)
    med = {r: {k: statistics.median(x[k] for x in rows) for k in ("paint", "interactive")}
           for r, rows in results.items()}
    print(f"{'room':<20}{'rows shown':>11}{'first paint':>13}{'interactive':>13}   (ms, median of {args.loads})")
    for name, r in (("empty", empty), (f"{args.mentions:,} mentions", full)):
        print(f"{name:<20}{results[r][-1]['rows']:>11}{med[r]['paint']:>13.0f}{med[r]['interactive']:>13.0f}"
              "   all: " + ", ".join(f"{x['paint']:.0f}/{x['interactive']:.0f}" for x in results[r]))
    print(f"ratio full/empty: first paint x{med[full]['paint'] / med[empty]['paint']:.2f}, "
          f"interactive x{med[full]['interactive'] / med[empty]['interactive']:.2f}")


if __name__ == "__main__":
    main()
