"""Page latency: from the commit that opens an escalation to the Slack
(test) server receiving the page, p50 and p99 over N spikes, next to the
scheduler's tick interval.

A real `run.py serve` (Slack pointed at tests/slack_server.py on loopback,
on-call rotation = one user with a Slack id, throttle off) and two ways of
committing the alarm:
- in-process: a lead's page over HTTP (`POST /api/v1/rooms/<id>/page`), the
  same `open_escalation` commit a spike from `POST .../mentions` makes; the
  commit wakes the escalation tick at once;
- other process: this script commits `open_escalation` straight into the
  database, as `run.py ingest` in another process would; nothing wakes the
  server, so the page waits for the next interval tick.

Then one row per contact method (``--methods N``): N lead's pages to a
person whose only rule is that method at minute 0, each timed from the
``escalation.opened`` commit to the local service receiving it (Slack
server, aiosmtpd, ntfy, Teams webhook, Twilio SMS and call).

Spikes are started every --gap seconds (not aligned with the tick) and each
one is timed on its own: commit time is the `escalation.opened` event's
timestamp (in-process) or the time right after this script's commit.

    .venv/bin/python bench/page_latency.py [--spikes 100] [--interval 5] [--gap 0.37] [--methods 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import PASSWORD, Server, make_user  # noqa: E402
from tests.slack_server import SlackServer  # noqa: E402
from warroom import db as dbmod  # noqa: E402
from warroom import escalation, rooms  # noqa: E402
from warroom.clock import parse_iso, utcnow  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def wait_for(pred, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise SystemExit("timed out waiting for pages")


def arrivals(slack: SlackServer) -> dict[int, float]:
    """escalation id -> arrival time of its page."""
    out = {}
    for c in slack.calls_to("chat.postMessage"):
        if c["status"] == 200:
            esc = int(c["body"]["blocks"][1]["elements"][0]["value"])
            out.setdefault(esc, c["at"])
    return out


def run(spikes: int, interval: int, gap: float) -> None:
    slack = SlackServer().start()
    tmp = Path(tempfile.mkdtemp(prefix="page-latency-"))
    srv = Server(tmp, extra_env={
        "SLACK_BOT_TOKEN": "xoxb-bench", "WARROOM_SLACK_BASE_URL": slack.url, "WARROOM_SLACK_ROOM_CHANNELS": "false",
        "WARROOM_SCHEDULER_INTERVAL_SECONDS": str(interval), "WARROOM_ONCALL_PEOPLE": "ann",
        "WARROOM_ESCALATION_THROTTLE_PER_15MIN": "0",
    }).start()
    try:
        db = dbmod.connect(srv.db_path)
        lead = make_user(db, "lea", "lead", utcnow())
        make_user(db, "ann", "responder", utcnow(), slack_id="U0ANN")
        ids = [rooms.open_room(db, utcnow(), lead, f"Storm {i}").id for i in range(2 * spikes)]
        http = srv.login("lea", PASSWORD)

        inproc: dict[int, float] = {}
        for room_id in ids[:spikes]:
            resp = http.post(f"{srv.url}/api/v1/rooms/{room_id}/page", json={"note": "bench"})
            resp.raise_for_status()
            esc_id = resp.json()["escalation"]["id"]
            inproc[esc_id] = parse_iso(resp.json()["escalation"]["opened_at"]).timestamp()
            time.sleep(gap)
        wait_for(lambda: len(arrivals(slack)) >= spikes, 60 + 2 * interval)

        outproc: dict[int, float] = {}
        for room_id in ids[spikes:]:
            esc = escalation.open_escalation(db, utcnow(), room_id, "spike", {"bench": True}, None)
            outproc[esc.id] = time.time()
            time.sleep(gap)
        wait_for(lambda: len(arrivals(slack)) >= 2 * spikes, 60 + 2 * interval)
        got = arrivals(slack)
        print(f"page latency over {spikes} spikes each; tick interval {interval} s "
              f"(a uniform wait for the next tick would average {interval / 2:.1f} s)")
        for name, committed in (("in-process commit (wakes the tick)", inproc),
                                ("other-process commit (interval only)", outproc)):
            lat = [(got[e] - t) * 1000 for e, t in committed.items()]
            print(f"  {name:40s} p50 {pct(lat, 50):8.1f} ms   p99 {pct(lat, 99):8.1f} ms   "
                  f"mean {statistics.mean(lat):8.1f} ms   max {max(lat):8.1f} ms   "
                  f"p50/interval {pct(lat, 50) / (interval * 1000):.3f}")
        dupes = len(slack.posted()) - len(got)
        print(f"  pages received {len(slack.posted())}, duplicates {dupes}")
        db.close()
    finally:
        srv.stop()
        slack.stop()


def run_methods(n: int, interval: int, gap: float) -> None:
    from tests.conftest import notify_env
    from tests.notify_servers import NtfyServer, SmtpServer, TwilioServer, WebhookServer
    from warroom import notifications

    slack, smtp, ntfy, teams, twilio = (SlackServer().start(), SmtpServer(), NtfyServer(), WebhookServer(),
                                        TwilioServer())
    tmp = Path(tempfile.mkdtemp(prefix="page-latency-methods-"))
    srv = Server(tmp, extra_env={
        "SLACK_BOT_TOKEN": "xoxb-bench", "WARROOM_SLACK_BASE_URL": slack.url, "WARROOM_SLACK_ROOM_CHANNELS": "false", "WARROOM_ONCALL_PEOPLE": "ann",
        "WARROOM_SCHEDULER_INTERVAL_SECONDS": str(interval), "WARROOM_ESCALATION_THROTTLE_PER_15MIN": "0",
        **notify_env(smtp, ntfy, twilio)}).start()
    # kind -> (address, arrival times in order)
    methods = {"slack": ("U0ANN", lambda: [c["at"] for c in slack.calls_to("chat.postMessage") if c["status"] == 200]),
               "email": ("ann@example.org", lambda: list(smtp.arrived)),
               "ntfy": ("pager-ann", lambda: [m["at"] for m in ntfy.published("pager-ann")]),
               "teams": (teams.url + "/hook", lambda: [c["at"] for c in teams.calls if c["method"] == "POST"]),
               "sms": ("+447700900123", lambda: [m["at"] for m in twilio.messages]),
               "voice": ("+447700900124", lambda: [c["at"] for c in twilio.calls_made])}
    try:
        db = dbmod.connect(srv.db_path)
        lead = make_user(db, "lea", "lead", utcnow())
        ann = make_user(db, "ann", "responder", utcnow())
        for kind, (address, _) in methods.items():  # every method at minute 0: one page, six deliveries
            m = notifications.add_method(db, utcnow(), ann, kind, address)
            _, code = notifications.start_verification(db, utcnow(), ann, m.id)
            notifications.confirm_verification(db, utcnow(), ann, m.id, code)
            notifications.add_rule(db, utcnow(), ann, m.id, 0)
        http = srv.login("lea", PASSWORD)
        committed = []
        for i in range(n):
            room_id = rooms.open_room(db, utcnow(), lead, f"Storm {i}").id
            resp = http.post(f"{srv.url}/api/v1/rooms/{room_id}/page", json={"note": "bench"})
            resp.raise_for_status()
            committed.append(parse_iso(resp.json()["escalation"]["opened_at"]).timestamp())
            wait_for(lambda: all(len(got()) > len(committed) - 1 for _, got in methods.values()), 60 + 2 * interval)
            time.sleep(gap)
        print(f"per contact method over {n} pages (one page, every method at minute 0; commit of the lead's"
              f" page to receipt on the local server)")
        for kind, (_, got) in methods.items():
            lat = [(t - c) * 1000 for t, c in zip(got(), committed, strict=False)]
            print(f"  {kind:6s} p50 {pct(lat, 50):8.1f} ms   p99 {pct(lat, 99):8.1f} ms   "
                  f"mean {statistics.mean(lat):8.1f} ms   max {max(lat):8.1f} ms   received {len(got())}")
        db.close()
    finally:
        srv.stop()
        for s in (slack, ntfy, teams, twilio):
            s.stop()
        smtp.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spikes", type=int, default=100)
    ap.add_argument("--interval", type=int, default=5)
    ap.add_argument("--gap", type=float, default=0.37)
    ap.add_argument("--methods", type=int, default=20, help="pages per contact method (0: skip those rows)")
    a = ap.parse_args()
    if a.spikes:
        run(a.spikes, a.interval, a.gap)
    if a.methods:
        run_methods(a.methods, a.interval, a.gap)
