"""The Mastodon connector and the shared listening/publishing machinery, against
the local Mastodon-compatible server (tests/mastodon_server.py) and real SQLite.

Posts carry the server's wall-clock time, so the listener runs on the real
clock here (a fixed one would see them as posts from the future)."""

from __future__ import annotations

import threading
from functools import partial

import pytest

from warroom import db as dbmod
from warroom import responses
from warroom.clock import utcnow
from warroom.escalation import paging
from warroom.listening import mentions
from warroom.platforms import listener, outbox, store
from warroom.platforms.connector import ConnectorError, key_matches, reply_key
from warroom.platforms.mastodon import MastodonConnector

from ..conftest import wait_until as _wait_until
from .conftest import SCORER, TOKEN

wait_until = partial(_wait_until, timeout=15.0, every=0.05)  # the streams reconnect with back-off


class Running:
    """listen_forever in a thread on its own connections, as the supervisor runs it."""

    def __init__(self, settings, connector_id, vault):
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=listener.listen_forever, daemon=True,
            args=(lambda: dbmod.connect(settings.db_url), connector_id, vault, SCORER, self.stop, utcnow,
                  listener.ListenConfig(backoff_seconds=0.2, max_backoff_seconds=0.5)))
        self.thread.start()

    def halt(self):
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


def texts(db, room_id):
    return sorted(m.text for m in mentions.listing(db, room_id))


def test_catch_up_stream_restart_each_post_once(db, settings, vault, room, masto, masto_connector):
    masto.toot("anna@elsewhere", "@brand my flight is cancelled")  # before connecting: REST catch-up
    run = Running(settings, masto_connector.id, vault)
    wait_until(lambda: len(texts(db, room.id)) == 1, what="the caught-up post")
    masto.wait_streams(2)  # the user stream and #ashcloud
    masto.toot("bob@x", "@brand still no answer")
    masto.toot("carl@x", "stuck at the airport #ashcloud")
    wait_until(lambda: len(texts(db, room.id)) == 3, what="the streamed posts")
    run.halt()
    masto.toot("dora@x", "@brand hello? posted while Warroom was down")
    run = Running(settings, masto_connector.id, vault)  # a restart resumes from the stored cursor
    wait_until(lambda: len(texts(db, room.id)) == 4, what="the post made while stopped")
    masto.wait_streams(2)
    masto.drop_streams()  # the streaming server goes away: reconnect, catch up, stream again
    masto.toot("erik@x", "@brand posted while the stream was down")
    wait_until(lambda: len(texts(db, room.id)) == 5, what="the post made while the stream was down")
    run.halt()
    assert texts(db, room.id) == sorted([
        "@brand my flight is cancelled", "@brand still no answer", "stuck at the airport #ashcloud",
        "@brand hello? posted while Warroom was down", "@brand posted while the stream was down"])
    info = store.get(db, masto_connector.id)
    assert info.state == "connected" and info.posts == 5 and info.last_post_at
    assert info.limit.max_length == 500
    src, ref = store.source_of(db, mentions.latest(db, room.id, 1)[0].id)
    assert src.id == masto_connector.id and ref["acct"] == "erik@x" and ref["visibility"] == "public"


def test_malformed_event_is_skipped_shown_and_listening_goes_on(db, settings, vault, room, masto,
                                                                masto_connector, monkeypatch):
    uncaught = []  # what would be a traceback on stderr from mastodon-py's stream thread
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    run = Running(settings, masto_connector.id, vault)
    masto.wait_streams(2)
    masto.send_raw("user", b"event: notification\ndata: {this is not json\n\n")
    wait_until(lambda: store.get(db, masto_connector.id).skipped >= 1, what="the skipped event")
    info = store.get(db, masto_connector.id)
    assert "malformed" in info.last_error and info.errors >= 1
    assert mentions.count(db, room.id) == 0  # nothing stored from it
    masto.toot("anna@x", "@brand after the bad event")
    wait_until(lambda: texts(db, room.id) == ["@brand after the bad event"], what="the next post")
    assert store.get(db, masto_connector.id).state == "connected"
    run.halt()
    assert uncaught == []


def test_revoked_token_is_a_clear_error_and_the_listener_keeps_running(db, settings, vault, room, masto,
                                                                       masto_connector):
    masto.revoke(TOKEN)
    masto.toot("anna@x", "@brand cannot be read with a revoked token")
    run = Running(settings, masto_connector.id, vault)
    wait_until(lambda: store.get(db, masto_connector.id).state == "error", what="the error state")
    info = store.get(db, masto_connector.id)
    assert "access token" in info.last_error
    assert mentions.count(db, room.id) == 0
    assert run.thread.is_alive()
    masto.tokens[TOKEN] = "brand"  # the token works again: the listener recovers by itself
    wait_until(lambda: mentions.count(db, room.id) == 1, what="recovery")
    assert store.get(db, masto_connector.id).state == "connected"
    run.halt()


def test_reply_in_thread_with_visibility_and_idempotency_key(masto):
    original = masto.toot("anna@elsewhere", "@brand where is my bag", visibility="direct")
    c = MastodonConnector({"instance_url": masto.url}, {"access_token": TOKEN})
    target = {"status_id": original["id"], "visibility": "direct", "acct": "anna@elsewhere"}
    key = reply_key("Sorry Anna, it is on its way")
    first = c.reply(target, "Sorry Anna, it is on its way", key)
    again = c.reply(target, "Sorry Anna, it is on its way", key)  # a retry after a crash
    assert first == again
    replies = masto.replies_to(original["id"])
    assert len(replies) == 1
    assert replies[0]["visibility"] == "direct" and replies[0]["text"].startswith("@anna@elsewhere ")
    assert masto.posts[0]["headers"]["Idempotency-Key"] == key
    assert key_matches(key, "Sorry Anna, it is on its way") and not key_matches(key, "other")


def test_limit_is_the_instances_own(masto):
    masto.max_characters = 1000
    assert MastodonConnector({"instance_url": masto.url}, {"access_token": TOKEN}).limit.max_length == 1000


def test_over_limit_reply_is_refused_before_sending(masto):
    masto.max_characters = 20
    c = MastodonConnector({"instance_url": masto.url}, {"access_token": TOKEN})
    with pytest.raises(ConnectorError) as err:
        c.reply({"status_id": "1", "acct": "a"}, "x" * 30, reply_key("x" * 30))
    assert err.value.kind == "limit" and not masto.posts


# -- publishing through the outbox ------------------------------------------------


def _mention_via_connector(db, settings, vault, room, masto, connector, text="@brand my bag is lost"):
    status = masto.toot("anna@elsewhere", text)
    conn = MastodonConnector(connector.settings, {"access_token": TOKEN})
    stop = threading.Event()
    batch = next(iter(conn.listen(None, stop)))
    stop.set()
    listener.store_batch(db, utcnow(), connector.id, batch, SCORER)
    return status, mentions.latest(db, room.id, 1)[0]


def _publish(db, people, room, mention_id, text):
    now = utcnow()
    d = responses.save_draft(db, now, people["vol"], room.id, text, mention_id=mention_id)
    d = responses.submit(db, now, people["vol"], d.id)
    responses.approve(db, now, people["appr"], d.id, d.revision)
    return responses.publish(db, now, people["vol"], d.id)


def test_published_reply_is_delivered_once_with_its_url(db, settings, vault, room, masto, masto_connector,
                                                        people):
    status, mention = _mention_via_connector(db, settings, vault, room, masto, masto_connector)
    response = _publish(db, people, room, mention.id, "So sorry Anna, I'm on it and will DM you by 5pm.")
    d = outbox.for_response(db, response.id)
    assert d.state == "pending"
    result = outbox.tick(db, utcnow(), vault, paging.new_claim_token())
    assert result.posted == [d.id]
    again = outbox.tick(db, utcnow(), vault, paging.new_claim_token())
    assert again.posted == [] and len(masto.replies_to(status["id"])) == 1
    d = outbox.get(db, d.id)
    assert d.state == "posted" and d.url == masto.replies_to(status["id"])[0]["url"]
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE kind LIKE 'response.deliver%'")]
    assert kinds == ["response.delivered"]
    from warroom import postmortem  # the URL reaches the post-mortem too

    report = postmortem.build_report(db, room.id, utcnow())
    assert [(x["state"], x["url"]) for x in report["responses"]["deliveries"]] == [("posted", d.url)]
    assert d.url in postmortem.render.render(report, "md")


def test_crash_between_send_and_record_resends_with_the_same_key(db, settings, vault, room, masto,
                                                                 masto_connector, people):
    status, mention = _mention_via_connector(db, settings, vault, room, masto, masto_connector)
    response = _publish(db, people, room, mention.id, "So sorry Anna, I'm on it and will DM you by 5pm.")
    dead = "otherhost:1:deadbeef"
    claimed = outbox.claim_due(db, utcnow(), dead)
    conn = store.connector_for(db, masto_connector.id, vault)
    _, target, text, key = outbox._work(db, claimed[0])  # noqa: SLF001 (the dead claimer's send)
    conn.reply(target, text, key)  # ...sent, then the process died before recording it
    result = outbox.tick(db, utcnow(), vault, paging.new_claim_token(), alive=lambda token, stale: False)
    assert result.recovered == claimed and result.posted == claimed
    assert len(masto.replies_to(status["id"])) == 1  # the same key: Mastodon answered the first status
    assert outbox.for_response(db, response.id).state == "posted"


def test_over_limit_draft_is_refused_naming_the_field(db, settings, vault, room, masto, masto_connector,
                                                      people):
    masto.max_characters = 40
    store.record_limit(db, masto_connector.id, MastodonConnector(
        masto_connector.settings, {"access_token": TOKEN}).limit)
    _, mention = _mention_via_connector(db, settings, vault, room, masto, masto_connector)
    handle = "@anna@elsewhere "  # what the connector puts in front: 16 characters
    with pytest.raises(responses.ResponseError) as err:
        responses.save_draft(db, utcnow(), people["vol"], room.id, "x" * 25, mention_id=mention.id)
    assert err.value.field == "text" and "mastodon allows 40" in str(err.value)
    assert "41 characters (with the @anna@elsewhere" in str(err.value)
    fits = responses.save_draft(db, utcnow(), people["vol"], room.id, "x" * 24, mention_id=mention.id)
    named = responses.save_draft(db, utcnow(), people["vol"], room.id, handle + "y" * 24, mention_id=mention.id)
    # what passed the check is what the connector sends, and it fits the instance
    conn = store.connector_for(db, masto_connector.id, vault)
    _, ref = store.source_of(db, mention.id)
    for draft in (fits, named):
        conn.reply(ref, draft.text, reply_key(draft.text))
    assert [len(p["form"]["status"]) for p in masto.posts] == [40, 40]
    assert [p["answer"][0] for p in masto.posts] == [200, 200]


def test_recovery_after_the_idempotency_window_does_not_post_twice(db, settings, vault, room, masto,
                                                                   masto_connector, people):
    status, mention = _mention_via_connector(db, settings, vault, room, masto, masto_connector)
    masto.toot("brand", "an unrelated post of the brand's, newer than the mention")
    response = _publish(db, people, room, mention.id, "So sorry Anna, I'm on it and will DM you by 5pm.")
    dead = "otherhost:1:deadbeef"
    claimed = outbox.claim_due(db, utcnow(), dead)
    conn = store.connector_for(db, masto_connector.id, vault)
    _, target, text, key = outbox._work(db, claimed[0])  # noqa: SLF001 (the dead claimer's send)
    sent = conn.reply(target, text, key)  # ...sent, then the process died before recording it
    masto.toot("brand", "@anna@elsewhere a later reply of ours with other text")
    masto.expire_keys()  # more than Mastodon's hour passes before the recovery
    result = outbox.tick(db, utcnow(), vault, paging.new_claim_token(), alive=lambda token, stale: False)
    assert result.recovered == claimed and result.posted == claimed
    assert len(masto.replies_to(status["id"])) == 1 and len(masto.posts) == 1  # found, not sent again
    d = outbox.for_response(db, response.id)
    assert d.state == "posted" and d.url == sent.url


def test_find_reply_tells_our_reply_from_others(masto):
    original = masto.toot("anna@elsewhere", "@brand where is my bag")
    c = MastodonConnector({"instance_url": masto.url}, {"access_token": TOKEN})
    target = {"status_id": original["id"], "visibility": "public", "acct": "anna@elsewhere"}
    key = reply_key("Sorry Anna, it is on its way")
    assert c.find_reply(target, key) is None
    c.reply(target, "Sorry Anna, it is different text", reply_key("Sorry Anna, it is different text"))
    assert c.find_reply(target, key) is None
    posted = c.reply(target, "Sorry Anna, it is on its way", key)
    assert c.find_reply(target, key) == posted


def test_a_rejected_token_at_set_up_is_refused_naming_the_field_and_nothing_is_stored(db, now, vault, room,
                                                                                      masto):
    with pytest.raises(store.SetupError) as err:
        store.create(db, now, "lead", vault, room.id, "mastodon", "@brand@local",
                     settings={"instance_url": masto.url}, secrets={"access_token": "tok-wrong"})
    assert err.value.field == "secrets.access_token" and "access token" in str(err.value)
    assert db.execute("SELECT COUNT(*) FROM connectors").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'connector.added'").fetchone()[0] == 0
    ok = store.create(db, now, "lead", vault, room.id, "mastodon", "@brand@local",
                      settings={"instance_url": masto.url}, secrets={"access_token": TOKEN})
    assert ok.state == "connected"


def test_failed_delivery_retries_then_fails_and_a_lead_marks_it_by_hand(db, settings, vault, room, masto,
                                                                         masto_connector, people):
    status, mention = _mention_via_connector(db, settings, vault, room, masto, masto_connector)
    response = _publish(db, people, room, mention.id, "So sorry Anna, I'm on it and will DM you by 5pm.")
    masto.revoke(TOKEN)
    result = outbox.tick(db, utcnow(), vault, paging.new_claim_token())
    d = outbox.for_response(db, response.id)
    assert result.failed == [d.id] and d.state == "failed" and "access token" in d.last_error
    with pytest.raises(outbox.DeliveryError) as err:
        outbox.mark_posted_by_hand(db, utcnow(), people["vol"], d.id, "https://x.test/1")
    assert err.value.field == "user"
    with pytest.raises(outbox.DeliveryError) as err:
        outbox.mark_posted_by_hand(db, utcnow(), people["lead"], d.id, "not a url")
    assert err.value.field == "url"
    marked = outbox.mark_posted_by_hand(db, utcnow(), people["lead"], d.id, "https://local/@brand/9")
    assert marked.state == "posted_by_hand" and marked.marked_by == "lead"


def test_mentions_without_a_connector_get_no_delivery(db, room, people, now):
    from ..conftest import add_mention

    mid = add_mention(db, room.id, now)
    response = _publish(db, people, room, mid, "So sorry Anna, I'm on it and will DM you by 5pm.")
    assert outbox.for_response(db, response.id) is None


def test_slack_hears_where_a_reply_landed_and_when_it_failed():
    from warroom import events, notifications

    ok = events.Event(1, 7, "2026-03-29T09:00:00Z", "response.delivered", None,
                      {"response_id": 3, "platform": "mastodon", "url": "https://m.test/@brand/9"})
    bad = events.Event(2, 7, "2026-03-29T09:00:00Z", "response.delivery_failed", None,
                       {"response_id": 4, "platform": "facebook", "error": "auth: token expired"})
    (n1,) = notifications.decide(ok, "Ash cloud", "#crisis")
    (n2,) = notifications.decide(bad, "Ash cloud", "#crisis")
    assert "https://m.test/@brand/9" in n1.text and "token expired" in n2.text and "by hand" in n2.text
