"""Bluesky: firehose events per second through Warroom's consumer next to the
SDK's bare decode of the same frames, and post-to-yield latency on the live PDS.

It boots the reference PDS (tests/pds, installed by `make test-pds`), creates
a brand and a few customers, and writes ``--posts`` records: a quarter mention
the brand, a quarter carry a keyword, the rest are unrelated posts and likes
(what a consumer must read and drop). It records every frame of the
repository event stream once (``subscribeRepos`` from cursor 0) and then, in
the same run, over the same recorded frames:

- sdk: ``Frame.from_bytes`` + ``parse_subscribe_repos_message`` + ``CAR.from_bytes``
  of each commit's blocks (what any SDK consumer pays before it can look);
- warroom: ``FirehoseConsumer.decode``: the same frame and message decoding,
  but a commit's blocks only when it creates a post (a like or follow is
  dropped from its ops alone), then choosing the brand's mentions, replies
  and keyword posts and normalising them to Posts. So the ratio can exceed
  1 when many events are not posts: that skipped work is the point.

Each is timed ``--rounds`` times over all frames; the best round counts, and
the warroom/sdk ratio is printed. Then the connector listens live while
``--latency`` posts are written one at a time: latency is from just before
``createRecord`` is sent to the batch holding that post leaving ``listen``
(p50 and p99). Absolute numbers depend on the machine and on what else runs.

    .venv/bin/python bench/platforms.py [--posts 400] [--rounds 5] [--latency 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atproto import CAR  # noqa: E402
from atproto_firehose import parse_subscribe_repos_message  # noqa: E402
from atproto_subscription.frames import Frame  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from tests.pds_server import PdsServer  # noqa: E402
from warroom.platforms import bluesky  # noqa: E402


def write_posts(pds, brand, customers, n: int) -> int:
    matching = 0
    for i in range(n):
        who = customers[i % len(customers)]
        kind = i % 4
        if kind == 0:
            pds.post(who, f"@{brand.handle} where is my bag? #{i}")
            matching += 1
        elif kind == 1:
            pds.post(who, f"stranded in AMS, day {i}")
            matching += 1
        elif kind == 2:
            pds.post(who, f"lunch was fine {i} 🍜")
        else:
            pds.like(who, pds.post(who, f"note to self {i}"))
    return matching


def record_frames(pds) -> list[bytes]:
    frames = []
    url = pds.url.replace("http", "ws", 1) + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
    with connect(url, max_size=5 * 1024 * 1024) as ws:
        while True:
            try:
                frames.append(ws.recv(timeout=1.0))  # the backlog arrives at once; quiet = done
            except TimeoutError:
                return frames


def sdk_decode(frames: list[bytes]) -> int:
    n = 0
    for raw in frames:
        message = parse_subscribe_repos_message(Frame.from_bytes(raw))
        blocks = getattr(message, "blocks", None)
        if blocks:
            CAR.from_bytes(blocks)
        n += 1
    return n


def warroom_decode(consumer, frames: list[bytes]) -> int:
    found = 0
    for raw in frames:
        found += len(consumer.decode(raw)[1])
    return found


def best_rate(fn, frames, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(frames)
        best = min(best, time.perf_counter() - t0)
    return len(frames) / best


def latency(pds, connector, customer, n: int) -> list[float]:
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = threading.Event()
    ready = threading.Event()
    cursor = str(max(0, int(pds_latest_seq(pds))))

    def listen():
        gen = connector.listen(cursor, stop)
        ready.set()
        for batch in gen:
            now = time.perf_counter()
            for post in batch.posts:
                seen.setdefault(post.text, now)
            if len(seen) >= n:
                break
        gen.close()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(30)
    time.sleep(0.5)  # the listener's websocket is open before the first post (setup, not a measurement)
    for i in range(n):
        text = f"stranded at gate {i}"
        sent[text] = time.perf_counter()
        pds.post(customer, text)
        deadline = time.monotonic() + 10
        while text not in seen and time.monotonic() < deadline:
            time.sleep(0.001)
    stop.set()
    thread.join(10)
    return [(seen[t] - sent[t]) * 1000 for t in sent if t in seen]


def pds_latest_seq(pds) -> int:
    frames = record_frames(pds)
    seq = 0
    for raw in frames:
        body = Frame.from_bytes(raw).body
        if isinstance(body, dict) and isinstance(body.get("seq"), int):
            seq = max(seq, body["seq"])
    return seq


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--latency", type=int, default=50)
    args = ap.parse_args()

    pds = PdsServer().start()
    try:
        brand = pds.account("brand")
        customers = [pds.account(f"cust{i}") for i in range(4)]
        connector = bluesky.factory({"handle": brand.handle, "service": pds.url, "keywords": "stranded",
                                     "plc_url": pds.plc_url}, {"app_password": pds.app_password(brand)})
        t0 = time.perf_counter()
        matching = write_posts(pds, brand, customers, args.posts)
        frames = record_frames(pds)
        print(f"recorded {len(frames)} frames ({sum(map(len, frames)) / 1024:.0f} KiB) from "
              f"{args.posts} writes in {time.perf_counter() - t0:.1f}s")

        consumer = connector.consumer()
        found = warroom_decode(consumer, frames)  # warm: authors' handles resolved once
        assert found == matching, f"the consumer kept {found} posts, {matching} were written to match"
        sdk = best_rate(sdk_decode, frames, args.rounds)
        ours = best_rate(lambda f: warroom_decode(consumer, f), frames, args.rounds)
        print(f"sdk bare decode   {sdk:10.0f} events/s")
        print(f"warroom consumer  {ours:10.0f} events/s  ({found} posts kept per pass)")
        print(f"ratio warroom/sdk {ours / sdk:10.2f}")

        lat = latency(pds, connector, customers[0], args.latency)
        if len(lat) < args.latency:
            print(f"latency: only {len(lat)} of {args.latency} posts arrived")
        if lat:
            print(f"post-to-yield latency over {len(lat)} posts: p50 {statistics.median(lat):.1f} ms, "
                  f"p99 {pct(lat, 99):.1f} ms")
    finally:
        pds.stop()


if __name__ == "__main__":
    main()
