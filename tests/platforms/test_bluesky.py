"""The Bluesky connector against the real reference PDS (tests/pds)."""

from __future__ import annotations

import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import serve

from tests.platforms.conftest import collect
from warroom.platforms import bluesky
from warroom.platforms.connector import ConnectorError

pytestmark = pytest.mark.e2e


def texts(posts):
    return [p.text for p in posts]


def has(*wanted):
    return lambda posts: all(w in texts(posts) for w in wanted)


def test_listen_yields_a_mention_and_a_keyword_post_with_their_fields(pds, bsky):
    mention = pds.post(bsky.customer, f"@{bsky.brand.handle} my bag is lost")
    keyword = pds.post(bsky.customer, f"Still {bsky.keyword.upper()} at AMS, day two")
    pds.post(bsky.customer, "nothing to see here")
    pds.like(bsky.customer, mention)
    posts, batches = collect(bsky.connect(), "0", has(f"@{bsky.brand.handle} my bag is lost",
                                                        f"Still {bsky.keyword.upper()} at AMS, day two"))
    mine = [p for p in posts if p.author == bsky.customer.handle]
    assert texts(mine) == [f"@{bsky.brand.handle} my bag is lost", f"Still {bsky.keyword.upper()} at AMS, day two"]
    first = mine[0]
    rkey = mention["uri"].rsplit("/", 1)[1]
    assert first.external_id == mention["uri"]
    assert first.url == f"https://bsky.app/profile/{bsky.customer.did}/post/{rkey}"
    assert first.created_at.endswith("Z") and first.created_at[:2] == "20"
    assert first.reply_ref == {"uri": mention["uri"], "cid": mention["cid"],
                               "root_uri": mention["uri"], "root_cid": mention["cid"]}
    assert mine[1].reply_ref["uri"] == keyword["uri"]
    assert all(b.cursor and b.cursor.isdigit() for b in batches)


def test_a_reply_in_the_brands_thread_and_a_facet_mention_are_picked_up(pds, bsky):
    root = pds.post(bsky.brand, "Update: flights resume at noon")
    reply = pds.post(bsky.customer, "which terminal?", reply={"root": root, "parent": root})
    tagged = "hey you, any news"
    pds.post(bsky.customer, tagged, facets=[{"index": {"byteStart": 4, "byteEnd": 7}, "features": [
        {"$type": "app.bsky.richtext.facet#mention", "did": bsky.brand.did}]}])
    posts, _ = collect(bsky.connect(), "0", has("which terminal?", tagged))
    assert "Update: flights resume at noon" not in texts(posts)  # the brand's own post
    got = next(p for p in posts if p.text == "which terminal?")
    assert got.reply_ref == {"uri": reply["uri"], "cid": reply["cid"],
                             "root_uri": root["uri"], "root_cid": root["cid"]}


def test_restart_from_the_saved_cursor_misses_nothing_and_repeats_nothing(pds, bsky):
    pds.post(bsky.customer, f"{bsky.keyword} one")
    first, batches = collect(bsky.connect(), "0", has(f"{bsky.keyword} one"))
    saved = batches[-1].cursor
    # Posted while nobody listens:
    pds.post(bsky.customer, f"{bsky.keyword} two")
    pds.post(bsky.customer, f"{bsky.keyword} three")
    second, _ = collect(bsky.connect(), saved, has(f"{bsky.keyword} two", f"{bsky.keyword} three"))
    mine = [t for t in texts(first) + texts(second) if t.startswith(bsky.keyword)]
    # The stream is in seq order, so a replay of "one" would come before "three".
    assert mine == [f"{bsky.keyword} one", f"{bsky.keyword} two", f"{bsky.keyword} three"]
    ids = [p.external_id for p in first + second]
    assert len(ids) == len(set(ids))


def test_reply_lands_as_a_reply_with_root_parent_and_utf8_facets(pds, bsky):
    root = pds.post(bsky.brand, "All flights from AMS are cancelled today")
    first = pds.post(bsky.customer, "cancelled again", reply={"root": root, "parent": root})
    child = pds.post(bsky.customer, "and no refund", reply={"root": root, "parent": first})
    posts, _ = collect(bsky.connect(), "0", has("and no refund"))
    target = next(p for p in posts if p.text == "and no refund").reply_ref
    text = f"Désolé 🙏 @{bsky.customer.handle}, see https://example.com/refunds?x=1. @nobody.test"
    connector = bsky.connect()
    assert connector.find_reply(target, "wr-k1") is None
    posted = connector.reply(target, text, "wr-k1")
    value = pds.record(posted.external_id)["value"]
    assert value["reply"]["root"]["uri"] == root["uri"] and value["reply"]["root"]["cid"] == root["cid"]
    assert value["reply"]["parent"]["uri"] == child["uri"] and value["reply"]["parent"]["cid"] == child["cid"]
    raw = text.encode("utf-8")
    spans = {f["features"][0]["$type"].rsplit("#", 1)[1]:
             (raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0])
             for f in value["facets"]}
    assert spans["mention"] == (f"@{bsky.customer.handle}", {
        "$type": "app.bsky.richtext.facet#mention", "did": bsky.customer.did})
    assert spans["link"] == ("https://example.com/refunds?x=1", {
        "$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/refunds?x=1"})
    assert len(value["facets"]) == 2  # @nobody.test resolves to no one: plain text
    assert posted.url == f"https://bsky.app/profile/{bsky.brand.did}/post/{posted.external_id.rsplit('/', 1)[1]}"
    assert connector.find_reply(target, "wr-k1") == posted


def test_the_same_key_twice_is_one_record(pds, bsky):
    root = pds.post(bsky.customer, f"@{bsky.brand.handle} hello?")
    target = {"uri": root["uri"], "cid": root["cid"], "root_uri": root["uri"], "root_cid": root["cid"]}
    first = bsky.connect().reply(target, "We are on it.", "wr-same-key")
    again = bsky.connect().reply(target, "We are on it.", "wr-same-key")  # a retry after a crash
    assert again == first
    replies = [r for r in pds.records(bsky.brand) if r["value"].get("reply", {}).get("parent", {}).get("uri") == root["uri"]]
    assert [r["uri"] for r in replies] == [first.external_id]
    other = bsky.connect().reply(target, "We are on it.", "wr-other-key")
    assert other.external_id != first.external_id


def test_limits_300_graphemes_and_3000_bytes_agree_with_the_pds(pds, bsky):
    root = pds.post(bsky.customer, f"@{bsky.brand.handle} limits")
    target = {"uri": root["uri"], "cid": root["cid"]}
    connector = bsky.connect()
    accent = "e\u0301"  # two code points, one grapheme
    connector.reply(target, accent * 300, "wr-fits")  # the PDS checks maxGraphemes too
    before = len(pds.records(bsky.brand))
    with pytest.raises(ConnectorError) as over:
        connector.reply(target, accent * 301, "wr-over")
    assert over.value.kind == "limit" and not over.value.retryable and "1 graphemes over" in str(over.value)
    england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # 28 bytes
    with pytest.raises(ConnectorError) as heavy:
        connector.reply(target, england * 120, "wr-heavy")
    assert heavy.value.kind == "limit" and "3360 bytes" in str(heavy.value)
    assert len(pds.records(bsky.brand)) == before
    assert connector.limit.max_length == 300 and connector.limit.unit == "graphemes"


def test_a_wrong_app_password_is_an_auth_error_that_waits_for_a_person(pds, bsky):
    bad = bsky.connect({"app_password": "aaaa-bbbb-cccc-dddd"})
    with pytest.raises(ConnectorError) as listening:
        next(bad.listen("0", threading.Event()))
    assert listening.value.kind == "auth" and listening.value.retryable is False
    with pytest.raises(ConnectorError) as replying:
        bsky.connect({"app_password": "wrong"}).reply({"uri": "at://x/y/z", "cid": "c"}, "hi", "k")
    assert replying.value.kind == "auth"


def test_a_revoked_app_password_is_an_auth_error(pds, bsky):
    pds.xrpc("com.atproto.server.revokeAppPassword", token=bsky.brand.access_jwt,
             body={"name": "warroom"})
    with pytest.raises(ConnectorError) as exc:
        next(bsky.connect().listen("0", threading.Event()))
    assert exc.value.kind == "auth"


class Relay:
    """A loopback websocket between the connector and the PDS that sends a
    garbage frame first, then forwards the PDS's frames untouched."""

    def __init__(self, upstream: str, garbage: bytes):
        self.upstream, self.garbage = upstream, garbage
        self.closing = threading.Event()

        def handler(ws):
            with ws_connect(self.upstream.replace("http", "ws", 1) + ws.request.path) as up:
                ws.send(self.garbage)
                while not self.closing.is_set():
                    try:
                        ws.send(up.recv(timeout=0.2))
                    except TimeoutError:
                        continue
                    except ConnectionClosed:
                        return

        self.server = serve(handler, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.parametrize("garbage", [b"\xff\x00not cbor", b"\xa2bopb\x01at"], ids=["not-cbor", "header-only"])
def test_a_malformed_frame_is_counted_and_the_stream_keeps_going(pds, bsky, garbage):
    relay = Relay(pds.url, garbage)
    try:
        pds.post(bsky.customer, f"after the bad frame {bsky.keyword}")
        connector = bsky.connect(firehose=relay.url)
        posts, batches = collect(connector, "0", has(f"after the bad frame {bsky.keyword}"))
        assert connector.skipped == 1
        assert connector.last_error.kind == "malformed"
        if hasattr(batches[0], "skipped"):
            assert sum(b.skipped for b in batches) == 1
    finally:
        relay.closing.set()
        relay.server.shutdown()


def test_the_decoder_refuses_a_bad_frame_and_reads_the_next(pds, bsky):
    frames = []
    with ws_connect(pds.url.replace("http", "ws", 1) + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0") as ws:
        pds.post(bsky.customer, f"{bsky.keyword} frame")
        consumer = bsky.connect().consumer()
        while True:
            frames.append(ws.recv(timeout=10))
            seq, posts = consumer.decode(frames[-1])
            if posts and posts[0].text == f"{bsky.keyword} frame":
                break
    with pytest.raises(ConnectorError) as bad:
        consumer.decode(frames[-1][:-7])  # cut short
    assert bad.value.kind == "malformed"
    assert consumer.decode(frames[-1])[1][0].text == f"{bsky.keyword} frame"
    with pytest.raises(ConnectorError):
        consumer.decode("text frame")
    assert bluesky.tid_for_key("wr-a") == bluesky.tid_for_key("wr-a") != bluesky.tid_for_key("wr-b")


def test_setup_checks_the_app_password_once_and_stores_nothing_when_refused(pds, bsky, db, now, vault, room):
    from warroom.platforms import registry, store

    assert registry.platform("bluesky").default_limit == bluesky.LIMIT
    settings = {"handle": bsky.brand.handle, "service": pds.url, "plc_url": pds.plc_url}
    with pytest.raises(store.SetupError) as refused:
        store.create(db, now, "lead", vault, room.id, "bluesky", "@brand", settings=settings,
                     secrets={"app_password": "wrong-wrong-wrong"})
    assert refused.value.field == "secrets.app_password"
    assert db.execute("SELECT COUNT(*) FROM connectors").fetchone()[0] == 0
    made = store.create(db, now, "lead", vault, room.id, "bluesky", "@brand", settings=settings,
                        secrets={"app_password": bsky.app_password})
    assert made.platform == "bluesky" and made.state == "connected"
    assert bsky.app_password not in repr(made)


# -- Jetstream (a local server speaking its documented JSON protocol) -----------


@pytest.fixture
def jetstream():
    from tests.jetstream_server import JetstreamServer

    server = JetstreamServer().start()
    yield server
    server.stop()


def test_jetstream_where_configured_yields_the_same_posts_with_time_cursors(pds, bsky, jetstream):
    connector = bsky.connect(jetstream=jetstream.url)
    stop = threading.Event()
    got, batches = [], []

    def run():
        for batch in connector.listen(None, stop):
            batches.append(batch)
            got.extend(batch.posts)

    reader = threading.Thread(target=run)
    reader.start()
    try:
        jetstream.wait_connections(1)
        jetstream.identity(bsky.customer.did, bsky.customer.handle)
        mention = jetstream.post(bsky.customer.did, f"@{bsky.brand.handle} my refund never came")
        jetstream.post(bsky.customer.did, "lovely weather")
        jetstream.post(bsky.customer.did, "liked", collection="app.bsky.feed.like")
        jetstream.malformed()
        keyword = jetstream.post(bsky.customer.did, f"so {bsky.keyword} at the gate")
        _until(lambda: len(got) >= 2 and batches[-1].cursor == str(keyword["time_us"]))
    finally:
        stop.set()
        reader.join(10)
    assert [p.text for p in got] == [mention["commit"]["record"]["text"], keyword["commit"]["record"]["text"]]
    first = got[0]
    rkey = mention["commit"]["rkey"]
    assert first.external_id == f"at://{bsky.customer.did}/app.bsky.feed.post/{rkey}"
    assert first.author == bsky.customer.handle and first.lang == "en"
    assert first.reply_ref["cid"] == mention["commit"]["cid"]
    assert sum(b.skipped for b in batches) == 1  # the malformed message, and the stream went on


def test_jetstream_resumes_from_its_time_cursor_losing_nothing(pds, bsky, jetstream):
    connector = bsky.connect(jetstream=jetstream.url)
    jetstream.wait_connections(0)
    early = jetstream.post(bsky.customer.did, f"{bsky.keyword} one")
    posts, batches = collect(connector, str(early["time_us"]), has(f"{bsky.keyword} one"))
    cursor = batches[-1].cursor
    while_stopped = [jetstream.post(bsky.customer.did, f"{bsky.keyword} {w}") for w in ("two", "three")]
    again, _ = collect(connector, cursor, has(f"{bsky.keyword} two", f"{bsky.keyword} three"))
    texts_again = [p.text for p in again]
    assert texts_again[-2:] == [e["commit"]["record"]["text"] for e in while_stopped]
    # the cursor is inclusive (Jetstream replays from that instant): at most the
    # cursor's own post comes again, which the (room, source, external_id) rule drops
    assert texts_again[:-2] in ([], [f"{bsky.keyword} one"])


def _until(check, timeout=20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
