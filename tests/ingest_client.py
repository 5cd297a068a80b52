"""A separate client process for the crash test: posts batches of mentions
until told to stop, and appends the external ids of every batch that got a
202 to a file (flushed per batch), retrying a batch while the server is down.

usage: python -m tests.ingest_client URL ROOM TOKEN ACCEPTED_FILE STOP_FILE
"""

import json
import os
import sys
import time

import requests


def _sleep_unless(stop_path: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not os.path.exists(stop_path):
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def main() -> int:
    url, room, token, accepted_path, stop_path = sys.argv[1:6]
    endpoint = f"{url}/api/v1/rooms/{room}/mentions"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    batch_no = 0
    with open(accepted_path, "a", encoding="utf-8") as accepted:
        while not os.path.exists(stop_path):
            ids = [f"crash-{batch_no}-{i}" for i in range(25)]
            body = "\n".join(json.dumps({
                "external_id": ext, "source": "crash-test", "author": "@storm",
                "text": f"Still stranded, flight cancelled again ({ext})",
                "url": f"https://example.org/{ext}", "created_at": "2026-03-29T09:00:00Z",
            }) for ext in ids)
            while not os.path.exists(stop_path):
                try:
                    resp = requests.post(endpoint, data=body, headers=headers, timeout=5)
                except requests.RequestException:
                    time.sleep(0.05)   # server down: same batch again
                    continue
                if resp.status_code == 202:
                    accepted.write("\n".join(ids) + "\n")
                    accepted.flush()
                    break
                if resp.status_code in (429, 503):
                    # A token's rate answers up to 60 s; wait it out, but stop
                    # when told (the test waits 30 s for this process to end).
                    _sleep_unless(stop_path, float(resp.headers.get("Retry-After", "0.2")))
                    continue
                print(f"unexpected {resp.status_code}: {resp.text}", file=sys.stderr)
                return 1
            batch_no += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
