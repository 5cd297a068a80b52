"""An author's conversation in a room: their mentions (same source, same
handle whatever its case) and our replies, drafts with status and the
published text, in time order; erased authors stay erased; the HTTP route
answers 404 for a mention of another room and is gated like the room."""

from datetime import timedelta

from tests.conftest import login_client, make_user, rev
from warroom import privacy, responses, rooms
from warroom.clock import iso
from warroom.db import transaction

REPLY = "Sorry for the wait, Ana: we have rebooked you on the 14:05 and will DM the details by 5pm."


def put(db, room_id, at, author="@ana", source="bluesky", text="my flight is cancelled", ext=None):
    with transaction(db):
        cur = db.execute(
            "INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
            " received_at, sentiment, sentiment_label) VALUES (?, ?, ?, ?, ?, '', ?, ?, -0.5, 'negative')",
            [room_id, source, ext or f"{source}-{author}-{iso(at)}", author, text, iso(at), iso(at)])
    return cur.lastrowid


def test_the_authors_mentions_and_our_replies_in_time_order(db, now, people, room):
    first = put(db, room.id, now, text="my flight is cancelled")
    put(db, room.id, now + timedelta(minutes=1), author="@bob")                      # someone else
    put(db, room.id, now + timedelta(minutes=2), author="@ana", source="mastodon")   # another platform's @ana
    later = put(db, room.id, now + timedelta(minutes=30), author="@ANA", text="still nothing??")
    other = rooms.open_room(db, now, people["lead"], "Elsewhere")
    put(db, other.id, now + timedelta(minutes=3))                                     # another room

    t1 = now + timedelta(minutes=10)
    d = responses.save_draft(db, t1, people["vol"], room.id, REPLY, mention_id=first)
    responses.submit(db, t1, people["vol"], d.id)
    responses.approve(db, t1, people["appr"], d.id, rev(db, d.id))
    responses.publish(db, t1 + timedelta(minutes=1), people["vol"], d.id)
    pending = responses.save_draft(db, now + timedelta(minutes=31), people["vol2"], room.id,
                                   "Ana, we are on it and will update you by 6pm.", mention_id=later)

    convo = responses.conversation(db, room.id, later)
    assert (convo["author"], convo["source"], convo["erased"]) == ("@ANA", "bluesky", False)
    assert [(it["type"], it["mention_id"], it.get("status")) for it in convo["items"]] == [
        ("mention", first, None),
        ("reply", first, "published"),
        ("mention", later, None),
        ("reply", later, "draft"),
    ]
    published, draft = convo["items"][1], convo["items"][3]
    assert published["text"] == REPLY and published["published_by"] == "vol" and published["author"] == "vol"
    assert published["at"] == iso(t1 + timedelta(minutes=1))
    assert draft["draft_id"] == pending.id and draft["author"] == "vol2" and draft["response_id"] is None
    assert (convo["mentions"], convo["replies"], convo["more"]) == (2, 2, False)
    # the same conversation whichever of the author's mentions opens it
    assert responses.conversation(db, room.id, first)["items"] == convo["items"]


def test_an_erased_author_is_not_linked_to_anyone(db, now, people, room):
    a = put(db, room.id, now)
    put(db, room.id, now + timedelta(minutes=5), text="hello again")
    privacy.erase_author(db, now, "@ana", "root")
    put(db, room.id, now + timedelta(minutes=9), text="a new post after the erasure")   # a new @ana
    convo = responses.conversation(db, room.id, a)
    assert convo["erased"] is True and convo["author"] == privacy.ERASED
    assert [it["mention_id"] for it in convo["items"]] == [a]
    assert convo["items"][0]["author"] == privacy.ERASED and convo["items"][0]["text"] == ""


def test_a_mention_of_another_room_has_no_conversation_there(db, now, people, room):
    other = rooms.open_room(db, now, people["lead"], "Elsewhere")
    m = put(db, other.id, now)
    assert responses.conversation(db, room.id, m) is None
    assert responses.conversation(db, other.id, m)["mentions"] == 1


def test_the_route_answers_json_and_404s_are_named(app, db, now):
    lead = make_user(db, "lead", "lead")
    make_user(db, "watcher", "viewer")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    other = rooms.open_room(db, now, lead, "Elsewhere")
    m = put(db, room.id, now)
    n = put(db, other.id, now, ext="x2")
    client = app.test_client()
    login_client(client, "watcher")
    resp = client.get(f"/api/v1/rooms/{room.id}/mentions/{m}/conversation")
    assert resp.status_code == 200
    assert resp.json["author"] == "@ana" and [it["mention_id"] for it in resp.json["items"]] == [m]
    wrong = client.get(f"/api/v1/rooms/{room.id}/mentions/{n}/conversation")
    assert wrong.status_code == 404 and wrong.json["field"] == "mention_id"
    assert client.get(f"/api/v1/rooms/999/mentions/{m}/conversation").status_code == 404
    assert app.test_client().get(f"/api/v1/rooms/{room.id}/mentions/{m}/conversation").status_code in (401, 302)
