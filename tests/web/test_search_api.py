"""GET /api/v1/rooms/<id>/search over HTTP: results, filters, pages, every
bad input a 400 naming its field (never a 5xx), the OpenAPI entry; and the
mentions listing's urgency and reasons. Who may call it is walked with every
other route in tests/accounts/test_access_routes.py and test_security_routes.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import pg_server
from tests.conftest import GOOD, login_client, make_user, rev
from warroom import responses, rooms
from warroom.clock import iso
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer


@pytest.fixture
def world(app, db, now):
    lead = make_user(db, "lead", "lead")
    make_user(db, "watcher", "viewer")
    vol = make_user(db, "vol", "responder")
    room = rooms.open_room(db, now, lead, "Cancellations")
    recs = [
        {"external_id": "1", "source": "twitter", "author": "@anna", "text": "flight cancelled, nobody answers",
         "url": "", "created_at": iso(now), "followers": 250_000, "lang": "en"},
        {"external_id": "2", "source": "mastodon", "author": "@bob", "text": "lovely crew, thank you",
         "url": "", "created_at": iso(now), "followers": 3, "lang": "en"},
        {"external_id": "3", "source": "twitter", "author": "@carl", "text": "Mein Flug wurde zweimal gestrichen (cancelled), eine Frechheit",
         "url": "", "created_at": iso(now), "lang": "de"},
    ]
    mentions.ingest(db, now, room.id, mentions.validate(recs, now), Scorer())
    draft = responses.save_draft(db, now, vol, room.id, "@anna " + GOOD, mention_id=1)
    responses.submit(db, now, vol, draft.id)
    responses.approve(db, now, lead, draft.id, rev(db, draft.id))
    responses.publish(db, now + timedelta(minutes=5), vol, draft.id)
    client = app.test_client()
    login_client(client, "watcher")
    return client, room


def _get(client, room, **params):
    return client.get(f"/api/v1/rooms/{room.id}/search", query_string=params,
                      headers={"Accept": "application/json"})


@pg_server.needs_pg_fts
def test_search_finds_by_word_and_handle_with_filters(world):
    client, room = world
    body = _get(client, room, q="cancelled").get_json()
    assert [m["author"] for m in body["mentions"]] == ["@carl", "@anna"] and body["next_before"] is None
    assert [m["author"] for m in _get(client, room, q="@bob").get_json()["mentions"]] == ["@bob"]
    assert [m["author"] for m in _get(client, room, q="cancelled", lang="de").get_json()["mentions"]] == ["@carl"]
    assert [m["author"] for m in _get(client, room, source=["mastodon", "twitter"], author="anna")
            .get_json()["mentions"]] == ["@anna"]
    page = _get(client, room, limit=2).get_json()
    assert len(page["mentions"]) == 2 and page["next_before"] == 2
    assert [m["id"] for m in _get(client, room, before=2).get_json()["mentions"]] == [1]


@pg_server.needs_pg_fts
def test_results_carry_urgency_and_its_reasons(world):
    client, room = world
    (anna,) = _get(client, room, author="anna").get_json()["mentions"]
    assert anna["urgency_reasons"] == [{"code": "answered", "weight": 0.0}]
    (carl,) = _get(client, room, author="carl").get_json()["mentions"]
    assert "negative" in [r["code"] for r in carl["urgency_reasons"]]


@pg_server.needs_pg_fts
def test_replies_are_searched_too(world):
    client, room = world
    body = _get(client, room, q="rebook", **{"in": "replies"}).get_json()
    assert [r["mention_id"] for r in body["replies"]] == [1] and body["in"] == "replies"


@pg_server.needs_pg_fts
@pytest.mark.parametrize("params,field", [
    ({"q": '"unclosed'}, "q"), ({"q": "OR"}, "q"), ({"q": "-only"}, "q"), ({"q": "x" * 501}, "q"),
    ({"sentiment": "furious"}, "sentiment"), ({"since": "last tuesday"}, "since"),
    ({"until": "2026-02-30T00:00:00Z"}, "until"), ({"limit": "0"}, "limit"), ({"limit": "lots"}, "limit"),
    ({"before": "-3"}, "before"), ({"in": "drafts"}, "in"), ({"in": "replies", "lang": "en"}, "lang"),
    ({"author": "a" * 201}, "author"),
])
def test_bad_input_is_a_400_naming_the_field(world, params, field):
    client, room = world
    resp = _get(client, room, **params)
    assert resp.status_code == 400, resp.text
    assert resp.get_json()["field"] == field and resp.get_json()["error"]


@pg_server.needs_pg_fts
@pytest.mark.parametrize("q", ['NEAR(a b)', 'a:b', '^x', '*', '"', '""', "'", "a AND", "(", ")", "\\", "%",
                               "{text}:x", "x\x00y", "\u202e", "🙂", "OR OR", "NOT x", "a\"b"])
def test_hostile_queries_never_answer_5xx(world, q):
    client, room = world
    resp = _get(client, room, q=q)
    assert resp.status_code in (200, 400), (q, resp.status_code, resp.text)
    if resp.status_code == 400:
        assert resp.get_json()["field"] == "q"


def test_an_unknown_room_is_a_404(world):
    client, _ = world
    resp = client.get("/api/v1/rooms/999/search", headers={"Accept": "application/json"})
    assert resp.status_code in (403, 404)


def test_the_route_is_in_the_openapi_document(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/rooms/{room_id}/search"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "author", "source", "lang", "sentiment", "since", "until", "before", "limit", "in"} <= names
    assert "400" in op["responses"]


def test_the_mentions_listing_returns_urgency_and_reasons(world):
    client, room = world
    body = client.get(f"/api/v1/rooms/{room.id}/mentions").get_json()
    by_author = {m["author"]: m for m in body["mentions"]}
    assert by_author["@anna"]["urgency"] < by_author["@bob"]["urgency"]       # answered sinks
    codes = [r["code"] for r in by_author["@carl"]["urgency_reasons"]]
    assert "negative" in codes and "breaching" in codes                      # the fixed clock is long past
    assert isinstance(by_author["@bob"]["urgency"], float)
