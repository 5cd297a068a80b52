"""One reply to a near-duplicate cluster: published to each member through
its connector (the local Mastodon-compatible server), listed for posting by
hand where a member has none, and counted once by the stock-answer rule."""

from __future__ import annotations

import threading

from warroom import responses
from warroom.clock import iso, utcnow
from warroom.escalation import paging
from warroom.listening import clusters, mentions
from warroom.platforms import listener, outbox
from warroom.platforms.mastodon import MastodonConnector

from .conftest import SCORER, TOKEN

CAMPAIGN = "your ash cloud refund form has been broken for three days and nobody answers the phone"
REPLY = "So sorry, the refund form is broken on our side. I'm fixing it and will DM each of you by 5pm."


def _publish(db, people, draft_text, mention_id, cluster=False):
    now = utcnow()
    d = responses.save_draft(db, now, people["vol"], mention_room(db, mention_id), draft_text, mention_id=mention_id)
    d = responses.submit(db, now, people["vol"], d.id)
    responses.approve(db, now, people["appr"], d.id, d.revision)
    if cluster:
        return responses.answer_cluster(db, now, people["vol"], d.id)
    return responses.publish(db, now, people["vol"], d.id)


def mention_room(db, mention_id):
    return mentions.get(db, mention_id).room_id


def stock_findings(db, room_id, text):
    return [f for f in responses.check(db, room_id, text) if f.rule == "stock-answer"]


def test_one_reply_answers_the_cluster_through_each_connector_and_counts_once(db, vault, room, masto,
                                                                              masto_connector, people):
    statuses = [masto.toot(f"fan{i}@elsewhere", ("@brand " if i else "@brand RT @x: ") + CAMPAIGN.upper() * (i == 2)
                           + CAMPAIGN * (i != 2) + " #ashcloud") for i in range(3)]
    conn = MastodonConnector(masto_connector.settings, {"access_token": TOKEN})
    stop = threading.Event()
    batch = next(iter(conn.listen(None, stop)))
    stop.set()
    listener.store_batch(db, utcnow(), masto_connector.id, batch, SCORER)
    # Two more copies pasted elsewhere, ingested from a file (no connector to reply through).
    now = utcnow()
    pasted = [{"external_id": f"fb{i}", "source": "facebook", "author": f"Fan {i}", "text": CAMPAIGN + "!!",
               "url": f"https://facebook.invalid/p/{i}", "created_at": iso(now)} for i in range(2)]
    mentions.ingest(db, now, room.id, mentions.validate(pasted, now), SCORER)
    listed = mentions.listing(db, room.id)
    assert len(listed) == 5
    cluster_id, size = clusters.of_mentions(db, [listed[0].id])[listed[0].id]
    assert size == 5

    answer = _publish(db, people, REPLY, listed[0].id, cluster=True)
    assert (answer.cluster_id, answer.copies, answer.deliveries) == (cluster_id, 4, 2)
    assert sorted(h["url"] for h in answer.by_hand) == ["https://facebook.invalid/p/0", "https://facebook.invalid/p/1"]
    assert set(responses.answered(db, room.id)) == {m.id for m in listed}  # every member's clock stopped

    result = outbox.tick(db, utcnow(), vault, paging.new_claim_token())
    assert len(result.posted) == 3
    assert [len(masto.replies_to(s["id"])) for s in statuses] == [1, 1, 1]
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE kind = 'cluster.answered'")]
    assert kinds == ["cluster.answered"]

    # The cluster answer counts once: the same reply to a separate person is not yet a stock answer ...
    assert stock_findings(db, room.id, REPLY) == []
    # ... but the rule still applies to replies to separate people.
    for i in range(2):
        other = mentions.ingest(db, now, room.id, mentions.validate([{
            "external_id": f"own{i}", "source": "facebook", "author": f"P{i}", "url": "", "created_at": iso(now),
            "text": f"different complaint number {i} about a lost suitcase in {['Oslo', 'Rome'][i]}"}], now), SCORER)
        _publish(db, people, REPLY, other.ids[0])
    assert len(stock_findings(db, room.id, REPLY)) == 1


def test_a_mention_without_copies_is_refused_naming_the_draft(db, room, people):
    now = utcnow()
    r = mentions.ingest(db, now, room.id, mentions.validate([{
        "external_id": "solo", "source": "facebook", "author": "P", "url": "", "created_at": iso(now),
        "text": "my suitcase went to Oslo"}], now), SCORER)
    try:
        _publish(db, people, REPLY, r.ids[0], cluster=True)
    except responses.ResponseError as exc:
        assert exc.field == "draft_id" and "no copies" in str(exc)
    else:
        raise AssertionError("a singleton was answered as a cluster")
    assert responses.answered(db, room.id) == {}  # nothing published
