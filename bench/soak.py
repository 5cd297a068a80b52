"""Soak: a real server, 300 board clients, mentions at a steady rate and a spike.

A bounded run on loopback (default 3 minutes of load, ``--minutes`` to change):
- a real `run.py serve` process on a free 127.0.0.1 port with a fresh SQLite
  file in a temporary folder (scheduler on; Slack pointed at a closed
  loopback port so nothing leaves the machine);
- ``--clients`` python-socketio clients over the WebSocket transport on
  namespace /board, all joined to one room, split over ``--procs`` client
  processes (this script with ``--worker``) so they do not starve on one core;
- mentions POSTed as NDJSON to /api/v1/rooms/<id>/mentions with a bearer
  token, one batch every 0.5 s at ``--rate`` mentions/s, and ``--spike``
  times that for ``--spike-seconds`` in the middle of the run; 429/503 are
  retried after their Retry-After (at most 5 tries per batch).

Per 15-second interval (by the event's commit time): batches by HTTP
status, the POST time, `mentions.received` events committed (read from the
database afterwards) and delivered to the clients (per client), delivery
latency p50/p99/max (receive time at the client minus the event's `ts`, one
clock on one machine; `ts` is the `now` the ingestion endpoint takes when the
request arrives, so this includes parsing, scoring and the commit as well as
the publisher and the fan-out), the server's RSS (VmRSS of its pid) and errors
(client disconnects, exceptions). Nothing is written into the repository.

    .venv/bin/python bench/soak.py [--minutes 3] [--clients 300] [--procs 3]

``--senders N`` adds N closed-loop ingest clients, each with its own token,
posting ``--batch`` mentions back to back for the whole run (the shape of a
storm pushed by many collectors at once; 50 senders and 100 boards for 30 s
reproduced "database is locked" 500s before the store's busy path). The last
line is the verdict: server errors (5xx other than the 503 back-pressure
answer, which carries Retry-After and is retried), events committed but not
delivered to a client still connected, delivery p50/p99.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "soak password 1"
INTERVAL = 15.0
TICK = 0.5  # seconds between batches
MAX_TRIES = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def epoch(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values, in ms."""
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


# -- a client process (this script with --worker) ---------------------------


def worker(url: str, cookie: str, room: int, n: int, until: float) -> None:
    """Connect n clients and join the room; print READY; collect the
    `mentions.received` events until "stop" on stdin or ``until``; print one
    JSON line with the latencies by event id and the errors."""
    import socketio

    lock = threading.Lock()
    latencies: dict[int, list[float]] = {}
    counts = [0] * n
    disconnects: list[float] = []
    errors: list[str] = []
    stopping = threading.Event()

    def make(k: int):
        c = socketio.Client(reconnection=False)

        def on_event(e):
            got = time.time()
            if e.get("kind") != "mentions.received":
                return
            try:
                lat = got - epoch(e["ts"])
            except (KeyError, TypeError, ValueError) as exc:
                with lock:
                    errors.append(f"bad event: {exc!r}")
                return
            with lock:
                latencies.setdefault(int(e["id"]), []).append(lat)
                counts[k] += 1

        def on_disconnect(*_reason):
            if not stopping.is_set():
                with lock:
                    disconnects.append(time.time())

        c.on("event", on_event, namespace="/board")
        c.on("disconnect", on_disconnect, namespace="/board")
        return c

    clients = [make(k) for k in range(n)]

    def connect(c) -> None:
        try:
            c.connect(url, namespaces=["/board"], transports=["websocket"],
                      headers={"Cookie": cookie}, wait_timeout=20)
            ack = c.call("join", {"room": room}, namespace="/board", timeout=20)
            if not (ack or {}).get("ok"):
                raise RuntimeError(f"join refused: {ack}")
        except Exception as exc:  # noqa: BLE001 -- reported, not fatal
            with lock:
                errors.append(f"connect/join: {exc!r}")

    threads = [threading.Thread(target=connect, args=(c,), daemon=True) for c in clients]
    for i, t in enumerate(threads):
        t.start()
        if i % 20 == 19:
            time.sleep(0.1)  # do not stampede the accept queue
    for t in threads:
        t.join(max(0.1, min(60.0, until - time.time())))
    print(json.dumps({"ready": sum(1 for c in clients if c.connected)}), flush=True)

    def wait_stop() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stopping.set()

    threading.Thread(target=wait_stop, daemon=True).start()
    stopping.wait(max(0.0, until - time.time()))
    stopping.set()
    with lock:
        out = {"latencies": latencies, "counts": counts, "disconnects": disconnects,
               "errors": errors[:20], "n_errors": len(errors),
               "connected_at_end": sum(1 for c in clients if c.connected)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)  # no polite disconnects: each takes ~3 s against Werkzeug


# -- the driver ---------------------------------------------------------------


def demo_texts() -> list[dict]:
    path = ROOT / "warroom" / "listening" / "data" / "demo_storm.ndjson"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rec = json.loads(line)
            out.append({k: rec[k] for k in ("author", "text", "lang", "followers") if k in rec})
    return out


class Sender:
    """Posts batches on a fixed schedule from a small pool (a slow answer
    does not delay the next batch); records status and POST time per try."""

    def __init__(self, endpoint: str, secret: str, texts: list[dict], prefix: str = "soak"):
        import requests

        self.prefix = prefix
        self.endpoint = endpoint
        self.texts = texts
        self.seq = 0
        self.lock = threading.Lock()
        self.tries: list[tuple[float, int | str, float]] = []  # (time, status or error, seconds)
        self.given_up = 0
        self.local = threading.local()
        self.secret = secret
        self.requests = requests

    def session(self):
        if not hasattr(self.local, "s"):
            s = self.requests.Session()
            s.headers.update({"Authorization": f"Bearer {self.secret}",
                              "Content-Type": "application/x-ndjson"})
            self.local.s = s
        return self.local.s

    def body(self, size: int) -> str:
        with self.lock:
            first, self.seq = self.seq, self.seq + size
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        lines = []
        for i in range(first, first + size):
            rec = dict(self.texts[i % len(self.texts)])
            rec.update(external_id=f"{self.prefix}-{i}", created_at=now,
                       url=f"https://example.invalid/{self.prefix}/{i}")
            lines.append(json.dumps(rec))
        return "\n".join(lines) + "\n"

    def post(self, size: int, stop_at: float, max_tries: int = MAX_TRIES) -> None:
        body = self.body(size)
        for _ in range(max_tries):
            t = time.time()
            try:
                resp = self.session().post(self.endpoint, data=body.encode(), timeout=30)
                status: int | str = resp.status_code
            except self.requests.RequestException as exc:
                resp, status = None, type(exc).__name__
            with self.lock:
                self.tries.append((t, status, time.time() - t))
            if status in (429, 503) and resp is not None:
                wait = min(float(resp.headers.get("Retry-After", "1") or 1), 10.0)
                if time.time() + wait < stop_at:
                    time.sleep(wait)
                    continue
            if status != 202:
                with self.lock:
                    self.given_up += 1
            return
        with self.lock:  # every try was refused with Retry-After
            self.given_up += 1


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SystemExit(f"run.py {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def read_lines(proc: subprocess.Popen, q: queue.Queue) -> None:
    for line in proc.stdout:
        q.put(line)
    q.put(None)


def soak(args, tmp: Path, procs: list[subprocess.Popen]) -> None:
    import requests

    from warroom import accounts, rooms
    from warroom import db as dbmod
    from warroom.clock import utcnow

    port = free_port()
    db_path = tmp / "soak.db"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WARROOM_", "SLACK_"))}
    env = {**base, "WARROOM_DB_PATH": str(db_path), "WARROOM_SERVER_PORT": str(port),
           "WARROOM_SERVER_HOST": "127.0.0.1", "WARROOM_SECRET_KEY": "soak-secret",
           "WARROOM_SERVER_THREADS": str(args.clients + 100),
           # a closed loopback port: any Slack call fails at once, nothing leaves the machine
           "WARROOM_SLACK_BASE_URL": "http://127.0.0.1:9/", "PYTHONUNBUFFERED": "1"}
    log = open(tmp / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "run.py", "serve"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    procs.append(server)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("server did not start:\n" + (tmp / "server.log").read_text(errors="replace")[-2000:])
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    run_cli(env, "user", "add", "soak", "--role", "lead", "--password-stdin", stdin=PASSWORD + "\n")
    db = dbmod.connect(db_path)
    room = rooms.open_room(db, utcnow(), accounts.find_user(db, "soak"), "Soak")
    db.close()
    secret = run_cli(env, "token", "add", "soak", "--room", str(room.id)).strip().splitlines()[-1].strip()
    from warroom.listening import tokens

    db = dbmod.connect(db_path)
    loop_secrets = [tokens.create(db, utcnow(), f"loop{n}", room.id, rate_per_minute=100_000)[1]
                    for n in range(args.senders)]
    db.close()

    s = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(url + "/login").text).group(1)
    r = s.post(url + "/login", data={"name": "soak", "password": PASSWORD, "csrf_token": csrf},
               allow_redirects=False)
    if r.status_code != 302:
        raise SystemExit(f"login failed: {r.status_code} {r.text[:200]}")
    cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.items())

    rss0 = rss_kb(server.pid)
    load_s = args.minutes * 60
    until = time.time() + 120 + load_s + 60  # hard stop for the client processes
    split = [args.clients // args.procs + (1 if k < args.clients % args.procs else 0) for k in range(args.procs)]
    workers, queues = [], []
    for n in split:
        w = subprocess.Popen([sys.executable, __file__, "--worker", url, "--cookie", cookie,
                              "--room", str(room.id), "--n", str(n), "--until", str(until)],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(w)
        workers.append(w)
        wq: queue.Queue = queue.Queue()
        threading.Thread(target=read_lines, args=(w, wq), daemon=True).start()
        queues.append(wq)
    connected = 0
    t_conn = time.time()
    for wq in queues:
        line = wq.get(timeout=150)
        if line is None:
            raise SystemExit("a client process exited before it was ready")
        connected += json.loads(line)["ready"]
    print(f"connected {connected}/{args.clients} clients in {time.time() - t_conn:.1f} s; "
          f"server RSS {rss0 / 1024 if rss0 else float('nan'):.1f} MB before, "
          f"{(rss_kb(server.pid) or 0) / 1024:.1f} MB after", flush=True)

    # -- load ------------------------------------------------------------------
    endpoint = f"{url}/api/v1/rooms/{room.id}/mentions"
    sender = Sender(endpoint, secret, demo_texts())
    loop_senders = [Sender(endpoint, loop_secrets[n], demo_texts(), prefix=f"loop{n}")
                    for n in range(args.senders)]
    rss: list[tuple[float, int]] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(1.0):
            kb = rss_kb(server.pid)
            if kb is not None:
                rss.append((time.time(), kb))

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.time()
    stop_at = t0 + load_s
    spike_from = load_s / 2 - args.spike_seconds / 2
    sent_by_interval: dict[int, int] = {}
    pool = ThreadPoolExecutor(max_workers=8)
    loop_threads = []
    sent_lock = threading.Lock()

    def closed_loop(one: Sender) -> None:
        while time.time() < stop_at:
            idx = int((time.time() - t0) // INTERVAL)
            with sent_lock:
                sent_by_interval[idx] = sent_by_interval.get(idx, 0) + args.batch
            one.post(args.batch, stop_at + 10, max_tries=1000)  # a collector retries until the end

    for one in loop_senders:
        loop_threads.append(threading.Thread(target=closed_loop, args=(one,), daemon=True))
        loop_threads[-1].start()
    k = 0
    while True:
        at = t0 + k * TICK
        if at >= stop_at:
            break
        time.sleep(max(0.0, at - time.time()))
        rate = args.rate * (args.spike if spike_from <= k * TICK < spike_from + args.spike_seconds else 1)
        size = max(1, round(rate * TICK))
        idx = int(k * TICK // INTERVAL)
        sent_by_interval[idx] = sent_by_interval.get(idx, 0) + size
        pool.submit(sender.post, size, stop_at + 10)
        k += 1
    pool.shutdown(wait=True, cancel_futures=False)
    for t in loop_threads:
        t.join()
    time.sleep(args.drain)  # the last events reach the clients
    sampling.set()
    for w in workers:
        try:
            w.stdin.write("stop\n")
            w.stdin.flush()
        except OSError:
            pass
    results = []
    for wq in queues:
        try:
            line = wq.get(timeout=60)
        except queue.Empty:
            line = None
        results.append(json.loads(line) if line else {"missing": True})
    server_alive = server.poll() is None

    # -- what the server committed ------------------------------------------------
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    committed = {i: epoch(ts) for i, ts in conn.execute(
        "SELECT id, ts FROM events WHERE kind = 'mentions.received' AND room_id = ?", (room.id,))}
    stored = conn.execute("SELECT count(*) FROM mentions WHERE room_id = ?", (room.id,)).fetchone()[0]
    kinds = dict(conn.execute("SELECT kind, count(*) FROM events WHERE room_id = ? AND kind != ?"
                              " GROUP BY kind", (room.id, "mentions.received")))
    conn.close()
    everyone = Sender(endpoint, secret, [])
    for one in [sender, *loop_senders]:
        everyone.tries.extend(one.tries)
        everyone.given_up += one.given_up
    report(args, t0, load_s, connected, results, committed, stored, everyone, sent_by_interval, rss, rss0,
           server_alive)
    print("other events in the room: " + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))


def report(args, t0, load_s, connected, results, committed, stored, sender, sent_by_interval, rss, rss0,
           server_alive) -> None:
    last = int((load_s - 1e-9) // INTERVAL)

    def slot(t: float) -> int:
        return min(max(0, int((t - t0) // INTERVAL)), last)

    lat_by: dict[int, list[float]] = {}
    got_by: dict[int, int] = {}
    for r in results:
        for eid, lats in r.get("latencies", {}).items():
            ts = committed.get(int(eid))
            if ts is None:
                continue
            i = slot(ts)
            lat_by.setdefault(i, []).extend(lats)
            got_by[i] = got_by.get(i, 0) + len(lats)
    ev_by: dict[int, int] = {}
    for ts in committed.values():
        ev_by[slot(ts)] = ev_by.get(slot(ts), 0) + 1
    st_by: dict[int, dict] = {}
    post_by: dict[int, list[float]] = {}
    for t, status, took in sender.tries:
        i = slot(t)
        key = status if status in (202, 429, 503) else "other"
        st_by.setdefault(i, {}).setdefault(key, 0)
        st_by[i][key] += 1
        post_by.setdefault(i, []).append(took)
    disc_by: dict[int, int] = {}
    for r in results:
        for t in r.get("disconnects", []):
            disc_by[slot(t)] = disc_by.get(slot(t), 0) + 1
    rss_by: dict[int, int] = {}
    for t, kb in rss:
        rss_by[slot(t)] = max(rss_by.get(slot(t), 0), kb)

    print(f"\n{'interval':>9}{'sent/s':>8}{'202':>5}{'429':>5}{'503':>5}{'other':>6}{'post p50':>9}"
          f"{'events':>7}{'delivered':>10}{'lat p50':>8}{'p99':>7}{'max':>7}{'RSS MB':>8}{'disc':>5}")
    for i in range(last + 1):
        st = st_by.get(i, {})
        exp = ev_by.get(i, 0) * connected
        lats = sorted(lat_by.get(i, []))
        posts = sorted(post_by.get(i, []))
        share = f"{got_by.get(i, 0) / exp:.1%}" if exp else "-"
        span = min(INTERVAL, load_s - i * INTERVAL)
        print(f"{int(i * INTERVAL):>4}-{int(i * INTERVAL + span):<4}{sent_by_interval.get(i, 0) / span:>8.0f}"
              f"{st.get(202, 0):>5}{st.get(429, 0):>5}{st.get(503, 0):>5}{st.get('other', 0):>6}"
              f"{pct(posts, 0.5):>9.0f}{ev_by.get(i, 0):>7}{share:>10}{pct(lats, 0.5):>8.0f}"
              f"{pct(lats, 0.99):>7.0f}{(lats[-1] * 1000 if lats else float('nan')):>7.0f}"
              f"{rss_by.get(i, 0) / 1024:>8.1f}{disc_by.get(i, 0):>5}")
    all_lats = sorted(x for v in lat_by.values() for x in v)
    posts = sorted(p for v in post_by.values() for p in v)
    total_st: dict = {}
    for st in st_by.values():
        for key, n in st.items():
            total_st[key] = total_st.get(key, 0) + n
    exp = len(committed) * connected
    got = sum(got_by.values())
    print(f"{'all':<9}{sum(sent_by_interval.values()) / load_s:>8.0f}{total_st.get(202, 0):>5}"
          f"{total_st.get(429, 0):>5}{total_st.get(503, 0):>5}{total_st.get('other', 0):>6}{pct(posts, 0.5):>9.0f}"
          f"{len(committed):>7}{(got / exp if exp else 0):>10.1%}{pct(all_lats, 0.5):>8.0f}"
          f"{pct(all_lats, 0.99):>7.0f}{(all_lats[-1] * 1000 if all_lats else float('nan')):>7.0f}"
          f"{max((kb for _, kb in rss), default=0) / 1024:>8.1f}{sum(disc_by.values()):>5}")
    counts = [c for r in results for c in r.get("counts", [])]
    errs = [e for r in results for e in r.get("errors", [])]
    n_errs = sum(r.get("n_errors", 0) for r in results)
    sent = sum(sent_by_interval.values())
    print("(ms: POST time and delivery latency = client receive time - event ts (request arrival); RSS = max VmRSS in"
          " the interval; disc = client disconnects)")
    print(f"summary: {sent} mentions sent, {stored} stored, {len(committed)} mentions.received events;"
          f" {connected} clients connected, {sum(r.get('connected_at_end', 0) for r in results)} still at the"
          f" end; per client {min(counts, default=0)}-{max(counts, default=0)} of {len(committed)} events;"
          f" batches given up {sender.given_up}; client errors {n_errs}{' ' + repr(errs[:3]) if errs else ''};"
          f" client processes missing {sum(1 for r in results if r.get('missing'))}; server"
          f" {'alive' if server_alive else 'DEAD'}")
    server_errors = sum(1 for _t, st, _d in sender.tries if isinstance(st, int) and st >= 500 and st != 503)
    refused = sum(1 for _t, st, _d in sender.tries if st == 503)
    failed = sum(1 for _t, st, _d in sender.tries if not isinstance(st, int))
    # lost: (event, client) pairs committed but never received, over the
    # clients still connected at the end (a disconnect is its own failure)
    lost = sum(max(0, r.get("connected_at_end", 0) - len(r.get("latencies", {}).get(str(i), [])))
               for r in results for i in committed)
    disconnects = sum(len(r.get("disconnects", [])) for r in results)
    # A batch given up after MAX_TRIES answers of 503 + Retry-After is the
    # client's choice under back-pressure, not a server failure: shown, not judged.
    ok = server_errors == 0 and lost == 0 and failed == 0 and server_alive and disconnects == 0
    print(f"verdict: {'OK' if ok else 'FAIL'}: server errors (5xx but 503) {server_errors}, lost events {lost},"
          f" failed requests {failed}, client disconnects {disconnects}; batches given up after"
          f" {MAX_TRIES} refusals {sender.given_up}; 503 with Retry-After {refused}"
          f" (retried); delivery p50 {pct(all_lats, 0.5):.0f} ms, p99 {pct(all_lats, 0.99):.0f} ms")
    if rss:
        print(f"server RSS: {rss0 / 1024 if rss0 else float('nan'):.1f} MB before the clients, "
              f"{rss[0][1] / 1024:.1f} MB at the start of the load, {rss[-1][1] / 1024:.1f} MB at the end, "
              f"max {max(kb for _, kb in rss) / 1024:.1f} MB")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=3.0, help="minutes of load (default 3)")
    p.add_argument("--clients", type=int, default=300)
    p.add_argument("--procs", type=int, default=3, help="client processes")
    p.add_argument("--rate", type=float, default=20, help="steady mentions/s (default 20)")
    p.add_argument("--spike", type=float, default=10, help="spike factor (default 10)")
    p.add_argument("--spike-seconds", type=float, default=30)
    p.add_argument("--drain", type=float, default=5, help="seconds to wait for the last events")
    p.add_argument("--senders", type=int, default=0,
                   help="closed-loop ingest clients, each with its own token (default 0)")
    p.add_argument("--batch", type=int, default=25, help="mentions per closed-loop batch (default 25)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--cookie", default="", help=argparse.SUPPRESS)
    p.add_argument("--room", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--until", type=float, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.cookie, args.room, args.n, args.until)
        return 0
    if not (0 < args.minutes <= 60 and 0 < args.clients <= 2000 and 0 < args.procs <= 16
            and 0 <= args.senders <= 200 and 0 < args.batch <= 1000):
        p.error("--minutes in (0, 60], --clients in (0, 2000], --procs in (0, 16], --senders in [0, 200],"
                " --batch in (0, 1000]")

    print(f"soak: {args.minutes:g} min of load on loopback, {args.clients} board clients in {args.procs}"
          f" processes, {args.rate:g} mentions/s in batches every {TICK} s, x{args.spike:g} for"
          f" {args.spike_seconds:g} s in the middle; {os.cpu_count()} cores, load average"
          f" {os.getloadavg()[0]:.1f}", flush=True)
    # SIGTERM ends the run like Ctrl-C, so the finally below cleans up
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="warroom-soak-") as tmp:
        try:
            soak(args, Path(tmp), procs)
        except BaseException:
            log = Path(tmp) / "server.log"
            if log.exists():
                sys.stderr.write("server log (tail):\n" + log.read_text(errors="replace")[-3000:] + "\n")
            raise
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            for proc in procs:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
