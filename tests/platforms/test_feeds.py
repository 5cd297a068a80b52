"""Feed polling against RSS/Atom files served by a local HTTP server started in
the test: ETag and Last-Modified are sent back and the 304s counted; entries
are keyword-matched (playbook + feed keywords) into mentions."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import make_user
from warroom import playbooks, rooms
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer
from warroom.platforms import rss as feeds

ROOT = Path(__file__).resolve().parents[2]
SCORER = Scorer()


def rss(items):
    body = "".join(
        f"<item><title>{t}</title><link>https://example.invalid/{g}</link><guid isPermaLink='false'>{g}</guid>"
        f"<description>&lt;p&gt;{d}&lt;/p&gt;</description><author>{a}</author>"
        f"<pubDate>Sun, 29 Mar 2026 08:{m:02d}:00 GMT</pubDate></item>"
        for g, t, d, a, m in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Snack news</title>{body}</channel></rss>'


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Forest watch</title>
<entry><id>urn:fw:1</id><title>Orangutan habitat cleared for palm oil</title>
<link href="https://example.invalid/fw1"/><updated>2026-03-29T08:30:00Z</updated>
<summary>Satellite images show the clearing.</summary></entry>
<entry><id>urn:fw:2</id><title>Local bakery wins award</title>
<link href="https://example.invalid/fw2"/><updated>2026-03-29T08:31:00Z</updated></entry>
</feed>"""


class FeedServer:
    """Serves /rss (ETag) and /atom (Last-Modified only) and counts answers."""

    def __init__(self):
        self.docs = {"/rss": (rss([]), '"v0"', None), "/atom": (ATOM, None, "Sun, 29 Mar 2026 08:40:00 GMT")}
        self.log: list[tuple[str, int]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body, etag, modified = outer.docs[self.path]
                fresh = (etag and self.headers.get("If-None-Match") == etag) or (
                    modified and not etag and self.headers.get("If-Modified-Since") == modified)
                code = 304 if fresh else 200
                outer.log.append((self.path, code))
                self.send_response(code)
                if etag:
                    self.send_header("ETag", etag)
                if modified:
                    self.send_header("Last-Modified", modified)
                if code == 200:
                    data = body.encode()
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def not_modified(self, path):
        return sum(1 for p, c in self.log if p == path and c == 304)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server():
    srv = FeedServer()
    yield srv
    srv.close()


@pytest.fixture
def room(db, now):
    lead = make_user(db, "lena", "lead")
    pb = playbooks.parse((ROOT / "playbooks" / "activist-swarm.md").read_text(encoding="utf-8"))
    return rooms.open_room(db, now, lead, "Swarm watch", status="monitoring", playbook=pb)


def test_rss_etag_and_keywords(db, room, now, feed_server):
    feed_server.docs["/rss"] = (rss([
        ("g1", "Boycott Snackworks now", "Palm oil from burnt forest", "ana", 1),
        ("g2", "New flavour launched", "Tastes like summer", "ben", 2),
        ("g3", "Why I quit the brand", "It is the deforestation, stupid", "cy", 3),
    ]), '"v1"', None)
    feed = feeds.add_feed(db, now, room.id, feed_server.url + "/rss")
    first = feeds.poll_feed(db, now, feed, SCORER)
    assert (first.status, first.entries, first.matched, first.accepted) == (200, 3, 2, 2)
    stored = mentions.listing(db, room.id)
    assert {m.external_id for m in stored} == {f"{feed.id}:g1", f"{feed.id}:g3"}
    assert stored[0].source == "rss" and stored[0].url.startswith("https://example.invalid/")
    assert "<p>" not in stored[0].text and "Palm oil" in stored[0].text
    assert stored[0].created_at == "2026-03-29T08:01:00.000Z"

    feed = feeds.get_feed(db, feed.id)
    assert feed.etag == '"v1"'
    second = feeds.poll_feed(db, now + timedelta(minutes=5), feed, SCORER)
    assert second.status == 304 and second.accepted == 0
    assert feed_server.not_modified("/rss") == 1
    assert feeds.get_feed(db, feed.id).not_modified == 1

    feed_server.docs["/rss"] = (rss([
        ("g4", "Shame on you Snackworks", "orangutan", "dee", 9),
        ("g1", "Boycott Snackworks now", "Palm oil from burnt forest", "ana", 1),
    ]), '"v2"', None)
    third = feeds.poll_feed(db, now + timedelta(minutes=10), feeds.get_feed(db, feed.id), SCORER)
    assert (third.status, third.accepted, third.duplicates) == (200, 1, 1)
    assert feeds.get_feed(db, feed.id).etag == '"v2"'
    assert mentions.count(db, room.id) == 3
    assert [c for p, c in feed_server.log if p == "/rss"] == [200, 304, 200]


def test_atom_last_modified_and_feed_keywords(db, now, feed_server):
    lead = make_user(db, "otto", "lead")
    plain = rooms.open_room(db, now, lead, "No playbook")
    feed = feeds.add_feed(db, now, plain.id, feed_server.url + "/atom", keywords="palm oil, ")
    assert feed.keywords == "palm oil"
    out = feeds.poll_feed(db, now, feed, SCORER)
    assert (out.status, out.entries, out.accepted) == (200, 2, 1)
    assert feeds.get_feed(db, feed.id).modified == "Sun, 29 Mar 2026 08:40:00 GMT"
    again = feeds.poll_feed(db, now, feeds.get_feed(db, feed.id), SCORER)
    assert again.status == 304
    assert feed_server.not_modified("/atom") == 1


def test_due_interval_errors_and_bad_urls(db, room, now, feed_server, settings):
    feed = feeds.add_feed(db, now, room.id, feed_server.url + "/rss")
    assert [f.id for f in feeds.due_feeds(db, now, 300)] == [feed.id]
    feeds.poll_all(db, now, settings, scorer=SCORER)
    assert feeds.due_feeds(db, now + timedelta(seconds=299), 300) == []
    assert [f.id for f in feeds.due_feeds(db, now + timedelta(seconds=300), 300)] == [feed.id]
    with pytest.raises(feeds.FeedError) as info:
        feeds.add_feed(db, now, room.id, "file:///etc/passwd")
    assert info.value.field == "url"
    with pytest.raises(feeds.FeedError):
        feeds.add_feed(db, now, room.id, feed_server.url + "/rss")  # already polled
    gone = feeds.add_feed(db, now, room.id, feed_server.url.replace(feed_server.url.rsplit(":", 1)[1], "9") + "/x")
    out = feeds.poll_feed(db, now, gone, SCORER, timeout=2)
    assert out.error and feeds.get_feed(db, gone.id).last_error


def test_scheduler_jobs_run(app, settings, feed_server, now):
    """The feed and volume jobs as the scheduler calls them (app in, own db)."""
    from warroom import db as dbmod
    from warroom import jobs, scheduler

    assert {"feeds", "volume"} <= {j.name for j in scheduler.jobs()}
    db = dbmod.connect(settings.db_url)
    room = rooms.open_room(db, now, make_user(db, "lena", "lead"), "Jobs", status="monitoring")
    feed_server.docs["/rss"] = (rss([("j1", "Anything at all", "no keywords here", "ann", 5)]), '"j"', None)
    feeds.add_feed(db, now, room.id, feed_server.url + "/rss")
    jobs.run_feed_poll(app)
    jobs.run_volume_tick(app)
    assert mentions.count(db, room.id) == 1  # a room without a playbook takes every entry
    assert feeds.list_feeds(db)[0].last_status == 200
    # the detector's state starts with the stream's first minute (the tick leaves
    # this old, not live, stream alone)
    assert db.execute("SELECT COUNT(*) FROM spike_state WHERE room_id = ?", [room.id]).fetchone()[0] == 1
    db.close()
