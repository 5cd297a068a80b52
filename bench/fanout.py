"""Board fan-out: N python-socketio clients on one room, E events published.

The same run measures the servers on loopback, one after the other:
- warroom, once per store (``--stores sqlite,postgresql``; both by default
  when PostgreSQL is installed, started by tests/pg_server.py in a temporary
  folder): a real `run.py serve`; a driver client sends E `draft.save`
  commands (each one a domain call, a commit and a `draft.saved` event that
  the publisher fans out to the room);
- bare: a python-socketio server (threading mode, simple-websocket on
  Werkzeug, like `serve`) whose handler broadcasts each message to the room.

Clients are split over 2 processes (threaded `socketio.Client`s). First a
paced phase (``--paced`` events at ``--rate``/s: latency without a queue),
then a burst of E events as fast as a flow-control window allows (at most
20 events published and not yet delivered to every client: the sustained
throughput, and latency under load with bounded queues). Latency is receive time minus the driver's send time, over
every (client, event) pair; events/s is E over the time from the burst's
first send to its last delivery; server CPU s is the server process's CPU
time over the round (from /proc); ev/msg is events per Socket.IO message
(warroom sends events committed within ``[live] coalesce_ms`` of its last
send as one ``events`` list; the bare server sends one message per event;
``--unbatched`` adds a warroom round per store with coalescing off). The figures are the
warroom/bare ratio per store and the PostgreSQL/SQLite ratio; absolute numbers depend on
the machine and on what else runs on it.

    .venv/bin/python bench/fanout.py [--clients 200] [--events 500] [--deadline 120] [--unbatched]
        [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 1"
STORES = ("sqlite", "postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in {timeout} s")


# -- the bare python-socketio server (a child process) ----------------------


def bare_server(port: int) -> None:
    import socketio
    from werkzeug.serving import run_simple

    sio = socketio.Server(async_mode="threading")

    @sio.on("join", namespace="/board")
    def join(sid, data):
        sio.enter_room(sid, f"room:{data['room']}", namespace="/board")
        return {"ok": True}

    @sio.on("pub", namespace="/board")
    def pub(sid, data):
        sio.emit("event", {"kind": "bench", "data": data}, to=f"room:{data['room']}", namespace="/board")
        return {"ok": True}

    def health(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = socketio.WSGIApp(sio, health)
    run_simple("127.0.0.1", port, app, threaded=True)


# -- a process of clients ----------------------------------------------------


def client_process(url: str, cookie: str, room: int, n: int, expect: int, deadline: float) -> None:
    """Connect n clients, join, print READY, then collect; print one JSON line."""
    import socketio

    lock = threading.Lock()
    latencies: list[float] = []
    last_recv: dict[int, float] = {}
    counts = [0] * n
    messages = [0]  # Socket.IO messages received (a batch is one)
    done = threading.Event()
    finished = [0]

    def make(k):
        c = socketio.Client(reconnection=False)

        def on_event(e):
            now = time.time()
            i = event_index(e)
            if i is None:
                return
            d = e["data"]
            sent = float(d["text"].split()[2]) if e["kind"] == "draft.saved" else float(d["t"])
            with lock:
                latencies.append((i, now - sent))
                if now > last_recv.get(i, 0):
                    last_recv[i] = now
                counts[k] += 1
                if counts[k] == expect:
                    finished[0] += 1
                    if finished[0] == n:
                        done.set()

        def on_one(e):
            with lock:
                messages[0] += 1
            on_event(e)

        def on_batch(batch):
            with lock:
                messages[0] += 1
            for e in batch:
                on_event(e)

        c.on("event", on_one, namespace="/board")
        # warroom sends events committed during a send as one list (see publisher.Publisher)
        c.on("events", on_batch, namespace="/board")
        return c

    clients = [make(k) for k in range(n)]

    def connect(c):
        headers = {"Cookie": cookie} if cookie else {}
        c.connect(url, namespaces=["/board"], transports=["websocket"], headers=headers, wait_timeout=20)
        ack = c.call("join", {"room": room}, namespace="/board", timeout=20)
        assert ack.get("ok"), ack

    threads = [threading.Thread(target=connect, args=(c,)) for c in clients]
    for i, t in enumerate(threads):
        t.start()
        if i % 20 == 19:
            time.sleep(0.05)  # do not stampede the accept queue
    for t in threads:
        t.join(60)
    connected = sum(1 for c in clients if c.connected)
    print(json.dumps({"ready": connected}), flush=True)
    out_lock = threading.Lock()

    def report():
        # how many events every client of this process has: the driver's flow control
        last = -1
        while not done.is_set():
            low = min(counts)
            if low != last:
                with out_lock:
                    print(json.dumps({"progress": low}), flush=True)
                last = low
            time.sleep(0.02)

    threading.Thread(target=report, daemon=True).start()
    done.wait(max(1.0, deadline - time.time()))
    with lock:
        out = {"latencies": latencies, "last_recv": last_recv, "received": sum(counts), "messages": messages[0],
               "connected": connected, "dropped": connected - sum(1 for c in clients if c.connected)}
    with out_lock:
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    os._exit(0)  # no polite disconnects: each takes ~3 s against Werkzeug


# -- one measured round -------------------------------------------------------


def run_round(name: str, url: str, cookie: str, room: int, args, send) -> dict:
    """A paced phase (unloaded latency) then a burst (throughput, latency under load)."""
    deadline = time.time() + args.deadline
    total = args.paced + args.events
    half = [args.clients // 2, args.clients - args.clients // 2]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--as-clients", url, "--cookie", cookie, "--room", str(room),
             "--n", str(k), "--expect", str(total), "--until", str(deadline)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        for k in half
    ]
    ready = sum(json.loads(p.stdout.readline())["ready"] for p in procs)
    progress = [0] * len(procs)
    results: list[dict] = [{} for _ in procs]

    def read(k, proc):
        for line in proc.stdout:
            msg = json.loads(line)
            if "progress" in msg:
                progress[k] = msg["progress"]
            else:
                results[k] = msg

    readers = [threading.Thread(target=read, args=(k, p), daemon=True) for k, p in enumerate(procs)]
    for t in readers:
        t.start()

    def delivered() -> int:
        return min(progress)

    paced_out = send(range(args.paced), 1.0 / args.rate, deadline, delivered)
    burst_start = time.time()
    burst_out = send(range(args.paced, total), 0.0, deadline, delivered)
    sends = {k: paced_out[k] + burst_out[k] for k in ("sent", "acked", "failed")}
    if sends["sent"] < total or sends["acked"] < sends["sent"] or sends["failed"]:
        print(f"  {name}: sent {sends['sent']}/{total}, acknowledged {sends['acked']}, failed "
              f"{sends['failed']} {paced_out['first_error'] or burst_out['first_error']} "
              f"(deadline {args.deadline:g} s)", file=sys.stderr)
    for t in readers:
        t.join(max(1.0, deadline - time.time() + 5))
    for p in procs:
        p.wait(10)
    paced = sorted(lat for r in results for i, lat in r.get("latencies", []) if i < args.paced)
    burst = sorted(lat for r in results for i, lat in r.get("latencies", []) if i >= args.paced)
    last = max((t for r in results for i, t in r.get("last_recv", {}).items() if int(i) >= args.paced),
               default=burst_start)

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    return {"name": name, "connected": ready, "dropped": sum(r.get("dropped", 0) for r in results),
            "expected": args.clients * total, "received": sum(r.get("received", 0) for r in results),
            "messages": sum(r.get("messages", 0) for r in results),
            "paced_p50": pct(paced, 0.5), "paced_p99": pct(paced, 0.99),
            "burst_p50": pct(burst, 0.5), "burst_p99": pct(burst, 0.99),
            # burst messages delivered per client per second (= E / T when all arrive)
            "events_per_s": len(burst) / args.clients / max(1e-9, last - burst_start)}


def event_index(e: dict) -> int | None:
    """The bench index an `event` message carries (warroom or bare), else None."""
    d = e.get("data") or {}
    if e.get("kind") == "draft.saved" and str(d.get("text", "")).startswith("bench "):
        return int(d["text"].split()[1])
    if e.get("kind") == "bench":
        return int(d["i"])
    return None


def driver(url: str, cookie: str, event_name: str, payload_of):
    """The publishing client. In a burst at most ``window`` events are
    published and not yet delivered to every client (the client processes
    report their slowest client): an unbounded burst only measures how a
    server drowns (its pings queue behind the backlog and the clients drop)."""
    import socketio

    c = socketio.Client(reconnection=False)
    c.connect(url, namespaces=["/board"], transports=["websocket"],
              headers={"Cookie": cookie} if cookie else {}, wait_timeout=20)

    def send(indices, gap: float, until: float, delivered, window: int = 20) -> dict:
        """Emit one message per index, ``gap`` seconds apart or as fast as the
        window allows; then wait for the acknowledgements and deliveries;
        nothing waits past ``until``. ``delivered()`` is how many events
        every client has."""
        acks = []
        start = time.time()
        sent = 0
        first = delivered()
        for i in indices:
            if gap:
                time.sleep(max(0.0, start + sent * gap - time.time()))
            while sent - (delivered() - first) >= window and time.time() < until and c.connected:
                time.sleep(0.002)
            if time.time() >= until or not c.connected:
                break
            c.emit(event_name, payload_of(i, time.time()), namespace="/board",
                   callback=lambda ack=None: acks.append(ack))
            sent += 1
        while ((delivered() - first) < sent or len(acks) < sent) and time.time() < until and c.connected:
            time.sleep(0.02)
        failed = [a for a in acks if not (a or {}).get("ok")]
        return {"sent": sent, "acked": len(acks), "failed": len(failed), "first_error": failed[:1]}

    return c, send


def warroom_round(args, tmp: Path, store: str, coalesce_ms: int | None = None) -> dict:
    import requests

    from tests import pg_server
    from warroom import accounts, rooms
    from warroom import db as dbmod
    from warroom.clock import utcnow

    port = free_port()
    db_path = tmp / f"bench-{store}-{coalesce_ms}.db"
    url = f"sqlite:///{db_path}" if store == "sqlite" else pg_server.server().new_database(migrated=False)
    env = {**os.environ, "WARROOM_DB_URL": url, "WARROOM_DB_PATH": str(db_path), "WARROOM_SERVER_PORT": str(port),
           "WARROOM_SECRET_KEY": "bench", "WARROOM_SCHEDULER_ENABLED": "false",
           "WARROOM_SERVER_THREADS": str(args.clients + 50),
           # the driver is one session sending as fast as the window allows: a
           # person's command limit would measure the limiter, not the fan-out
           "WARROOM_LIVE_COMMANDS_PER_SECOND": "100000", "WARROOM_LIVE_COMMAND_BURST": "100000"}
    if coalesce_ms is not None:
        env["WARROOM_LIVE_COALESCE_MS"] = str(coalesce_ms)
    db = dbmod.connect(url)
    dbmod.migrate(db)
    lead = accounts.add_user(db, utcnow(), "bench", "lead", PASSWORD)
    room = rooms.open_room(db, utcnow(), lead, "Fan-out bench")
    db.close()
    log = open(tmp / "warroom.log", "wb")
    proc = subprocess.Popen([sys.executable, "run.py", "serve"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/healthz", proc)
        s = requests.Session()
        page = s.get(url + "/login").text
        import re
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = s.post(url + "/login", data={"name": "bench", "password": PASSWORD, "csrf_token": csrf},
                   allow_redirects=False)
        assert r.status_code == 302, r.text
        cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
        drv, send = driver(url, cookie, "draft.save",
                           lambda i, t: {"room": room.id, "text": f"bench {i} {t!r}"})
        try:
            cpu0 = cpu_seconds(proc.pid)
            name = f"warroom {store}" if coalesce_ms is None else f"warroom {store} coalesce {coalesce_ms}"
            row = run_round(name, url, cookie, room.id, args, send)
            return {**row, "server_cpu_s": cpu_seconds(proc.pid) - cpu0}
        finally:
            drv.eio.disconnect(abort=True)
    finally:
        proc.kill()
        proc.wait(10)
        log.close()


def bare_round(args) -> dict:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--bare-server", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/", proc)
        drv, send = driver(url, "", "pub", lambda i, t: {"room": 1, "i": i, "t": t})
        try:
            cpu0 = cpu_seconds(proc.pid)
            row = run_round("bare python-socketio", url, "", 1, args, send)
            return {**row, "server_cpu_s": cpu_seconds(proc.pid) - cpu0}
        finally:
            drv.eio.disconnect(abort=True)
    finally:
        proc.kill()
        proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--events", type=int, default=500)
    p.add_argument("--paced", type=int, default=50, help="events first sent at --rate, for unloaded latency")
    p.add_argument("--rate", type=float, default=10, help="events/s of the paced phase")
    p.add_argument("--unbatched", action="store_true",
                   help="also measure warroom with [live] coalesce_ms = 0 (one message per event)")
    p.add_argument("--deadline", type=float, default=120, help="seconds per server at most")
    p.add_argument("--stores", default=None,
                   help="comma-separated: sqlite,postgresql (default both when PostgreSQL is installed)")
    p.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    p.add_argument("--as-clients", help=argparse.SUPPRESS)
    p.add_argument("--cookie", default="", help=argparse.SUPPRESS)
    p.add_argument("--room", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    p.add_argument("--until", type=float, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return
    if args.as_clients:
        client_process(args.as_clients, args.cookie, args.room, args.n, args.expect, args.until)
        return

    from tests import pg_server

    stores = args.stores.split(",") if args.stores else list(STORES) if pg_server.installed() else ["sqlite"]
    if not stores or set(stores) - set(STORES):
        p.error(f"--stores: choose from {','.join(STORES)}")
    if not args.stores and "postgresql" not in stores:
        print("PostgreSQL is not installed (make system-deps): SQLite only", file=sys.stderr)
    print(f"fan-out: {args.clients} clients in 2 processes; {args.paced} events paced at "
          f"{args.rate:g}/s, then a burst of {args.events}; loopback, {os.cpu_count()} cores, "
          "load average %.1f (other work on the machine skews both servers)" % os.getloadavg()[0])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rows = [bare_round(args)] + [warroom_round(args, Path(tmp), s) for s in stores]
            if args.unbatched:
                rows += [warroom_round(args, Path(tmp), s, coalesce_ms=0) for s in stores]
        except BaseException:
            log = Path(tmp) / "warroom.log"
            if log.exists():
                sys.stderr.write("server log (tail):\n" + log.read_text(errors="replace")[-3000:])
            raise
        finally:
            if "postgresql" in stores:
                from tests import pg_server

                pg_server.stop()
    print(f"{'server':<34}{'conn':>6}{'dropped':>8}{'delivered':>10}{'paced p50':>10}{'p99':>8}"
          f"{'burst p50':>10}{'p99':>8}{'burst ev/s':>11}{'server CPU s':>13}{'ev/msg':>7}   (ms)")
    for r in rows:
        share = r["received"] / r["expected"] if r["expected"] else 0
        print(f"{r['name']:<34}{r['connected']:>6}{r['dropped']:>8}{share:>10.1%}{r['paced_p50']:>10.1f}{r['paced_p99']:>8.1f}"
              f"{r['burst_p50']:>10.1f}{r['burst_p99']:>8.1f}{r['events_per_s']:>11.1f}{r['server_cpu_s']:>13.1f}"
              f"{r['received'] / max(1, r['messages']):>7.2f}")
    bare = rows[0]
    for war in rows[1:]:
        print(f"ratio {war['name']}/bare: "
              f"paced p50 x{war['paced_p50'] / bare['paced_p50']:.2f}, p99 x{war['paced_p99'] / bare['paced_p99']:.2f}; "
              f"burst p50 x{war['burst_p50'] / bare['burst_p50']:.2f}, p99 x{war['burst_p99'] / bare['burst_p99']:.2f}; "
              f"events/s x{war['events_per_s'] / bare['events_per_s']:.2f}; "
              f"server CPU x{war['server_cpu_s'] / max(1e-9, bare['server_cpu_s']):.2f}")
    by_name = {r["name"]: r for r in rows}
    for suffix in ("", " coalesce 0"):
        pg, lite = by_name.get(f"warroom postgresql{suffix}"), by_name.get(f"warroom sqlite{suffix}")
        if pg and lite:
            print(f"ratio postgresql/sqlite{suffix}: "
                  f"paced p50 x{pg['paced_p50'] / lite['paced_p50']:.2f}, p99 x{pg['paced_p99'] / lite['paced_p99']:.2f}; "
                  f"burst p50 x{pg['burst_p50'] / lite['burst_p50']:.2f}, p99 x{pg['burst_p99'] / lite['burst_p99']:.2f}; "
                  f"events/s x{pg['events_per_s'] / lite['events_per_s']:.2f}; "
                  f"server CPU x{pg['server_cpu_s'] / max(1e-9, lite['server_cpu_s']):.2f} "
                  "(PostgreSQL's own processes not counted)")


if __name__ == "__main__":
    main()
