"""Back-pressure: more ingestion than the server takes at once is answered
503 with Retry-After (nothing of those requests stored), every 202 is stored,
and the board keeps answering during the storm."""

import queue
import threading

import pytest
import requests

from warroom import accounts, rooms
from warroom.clock import utcnow

from ..conftest import PASSWORD, Server, close_clients, socket_client

pytestmark = pytest.mark.e2e


def batch(tag: int, n: int = 1500) -> str:
    import json

    return "\n".join(json.dumps({
        "external_id": f"bp-{tag}-{i}", "source": "storm", "author": "@a",
        "text": "Flight cancelled and on hold for two hours, nobody answers",
        "url": "https://example.org/x", "created_at": "2026-03-29T09:00:00Z",
    }) for i in range(n))


def test_overload_gets_503_with_retry_after_and_loses_nothing(tmp_path):
    srv = Server(tmp_path, extra_env={"WARROOM_INGEST_MAX_CONCURRENT": "1"}).start()
    clients = []
    try:
        db = srv.db()
        lead = accounts.add_user(db, utcnow(), "lena", "lead", PASSWORD)
        room = rooms.open_room(db, utcnow(), lead, "Storm")
        db.close()
        token = srv.cli("token", "add", "storm", "--room", str(room.id)).stdout.strip().splitlines()[-1]
        board = socket_client(srv, srv.login("lena"))
        clients.append(board)

        results: queue.Queue = queue.Queue()
        bodies = {tag: batch(tag) for tag in range(8)}

        def post(tag):
            r = requests.post(f"{srv.url}/api/v1/rooms/{room.id}/mentions", data=bodies[tag],
                              headers={"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/x-ndjson"}, timeout=60)
            results.put((tag, r.status_code, r.headers.get("Retry-After"), r.json()))

        threads = [threading.Thread(target=post, args=(t,)) for t in bodies]
        for t in threads:
            t.start()
        # The board is answered while the storm is being processed.
        ack = board.call("join", {"room": room.id}, namespace="/board", timeout=30)
        assert ack["ok"] is True
        for t in threads:
            t.join(90)
        answers = [results.get_nowait() for _ in range(results.qsize())]
        assert len(answers) == 8
        statuses = sorted(code for _, code, _, _ in answers)
        assert set(statuses) <= {202, 503}
        assert 503 in statuses and 202 in statuses
        assert all(retry == "1" for _, code, retry, _ in answers if code == 503)
        accepted_tags = {tag for tag, code, _, _ in answers if code == 202}

        db = srv.db()
        stored = {ext.split("-")[1] for (ext,) in db.execute("SELECT external_id FROM mentions")}
        count = db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
        db.close()
        assert stored == {str(t) for t in accepted_tags}   # nothing from a 503
        assert count == 1500 * len(accepted_tags)          # everything from a 202
    finally:
        close_clients(*clients)
        srv.stop()
