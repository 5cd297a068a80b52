"""Hostile input at every entry point gets a clear 4xx (or a Socket.IO error
reply) naming the field, never a 500 or a command without an answer: deep
JSON, lone surrogates, timestamps at the ends of the calendar, integers
beyond SQLite's 64 bits, and odd but correctly signed Slack payloads."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from warroom import db as dbmod
from warroom import escalation, rooms, roster
from warroom.clock import iso, utcnow
from warroom.listening import tokens
from warroom.slack import ACK_ACTION

from ..conftest import FIXED_NOW, add_mention, call, login_client, make_user, sock

SECRET = "test-signing-secret"  # as in tests/slack
DEEP = "[" * 5000 + "]" * 5000
SURROGATE = '"\\ud800"'  # a lone surrogate, escaped the way JSON allows
HUGE = "9" * 5000  # more digits than Python parses into an int


def raw_json(value) -> str:
    """JSON text; "@S" becomes a lone surrogate and "@H" a 5000-digit number."""
    return json.dumps(value).replace('"@S"', SURROGATE).replace('"@H"', HUGE)


@pytest.fixture
def world(app, settings, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    db = dbmod.connect(settings.db_url)
    lead = make_user(db, "lena", "lead", slack_id="U0LENA")
    make_user(db, "ann", "responder", slack_id="U0ANN")
    room = rooms.open_room(db, FIXED_NOW, lead, "Swarm", status="monitoring")
    now = utcnow()
    slots = roster.create_slots(db, now, room.id, [("Tweep", 1)], 4,
                                now.replace(minute=0, second=0, microsecond=0), span_hours=8)
    _t, secret = tokens.create(db, FIXED_NOW, "twitter", room.id, rate_per_minute=10_000)
    yield {"db": db, "room": room.id, "slot": slots[0].id, "secret": secret, "app": app}
    db.close()


def stored(w) -> int:
    return w["db"].execute("SELECT COUNT(*) FROM mentions").fetchone()[0]


def mention(i=1, **kw) -> dict:
    return {"external_id": f"h{i}", "author": "a", "text": "my flight is cancelled",
            "url": "", "created_at": iso(utcnow()), **kw}


def ingest(w, raw: str, content_type="application/json"):
    return w["app"].test_client().post(
        f"/api/v1/rooms/{w['room']}/mentions", data=raw, content_type=content_type,
        headers={"Authorization": f"Bearer {w['secret']}"})


# -- the ingestion API -------------------------------------------------------------


@pytest.mark.parametrize("raw, field", [
    (DEEP, "body"),
    ('{"a": ' * 3000 + "1" + "}" * 3000, "body"),
    (raw_json(mention(text="@S")), "text"),
    (raw_json(mention(external_id="@H")), "body"),
    (json.dumps(mention(followers=2**64)), "followers"),
    (json.dumps(mention(followers=1.5)), "followers"),
    (json.dumps(mention(created_at="0001-01-01T00:30:00+01:00")), "created_at"),
    (json.dumps(mention(created_at="0001-01-01T01:30:00+01:00")), "created_at"),
    (json.dumps(mention(created_at="1969-12-31T23:59:59Z")), "created_at"),
    (json.dumps(mention(created_at="9999-12-31T23:30:00-01:00")), "created_at"),
])
def test_ingest_refuses_hostile_rows_with_4xx_naming_the_field(world, raw, field):
    r = ingest(world, raw)
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.json["field"] == field, r.json
    assert stored(world) == 0


def test_ndjson_line_with_a_surrogate_names_its_row(world):
    body = json.dumps(mention(1)) + "\n" + json.dumps(mention(2)).replace('"a"', SURROGATE) + "\n"
    r = ingest(world, body, "application/x-ndjson")
    assert r.status_code == 422 and (r.json["field"], r.json["row"]) == ("author", 2), r.json
    assert stored(world) == 0


def test_a_mention_of_year_one_cannot_break_the_rooms_volume(world):
    client = world["app"].test_client()
    login_client(client, "lena")
    refused = ingest(world, json.dumps(mention(1, created_at="0001-01-01T01:30:00+01:00")))
    assert refused.status_code == 422
    vol = client.get(f"/api/v1/rooms/{world['room']}/volume?minutes=1440")
    assert vol.status_code == 200 and vol.json["total"] == 0
    assert ingest(world, json.dumps(mention(2))).status_code == 202
    vol = client.get(f"/api/v1/rooms/{world['room']}/volume?minutes=1440")
    assert vol.status_code == 200 and vol.json["total"] == 1


# -- JSON bodies of session APIs (Flask's get_json) --------------------------------


def session_client(w, name="lena"):
    c = w["app"].test_client()
    return c, {"X-CSRF-Token": login_client(c, name)}


@pytest.mark.parametrize("raw", [DEEP, raw_json({"slot_id": "@H"})])
def test_roster_api_refuses_unparseable_json_bodies_with_400(world, raw):
    c, h = session_client(world, "ann")
    r = c.post(f"/api/v1/rooms/{world['room']}/roster/signup", data=raw,
               content_type="application/json", headers=h)
    assert r.status_code == 400 and r.json["field"] == "body", r.get_data(as_text=True)[:300]


@pytest.mark.parametrize("body, field", [
    ('{"slot_id": 1.9}', "slot_id"),
    ('{"slot_id": true}', "slot_id"),
    (raw_json({"slot_id": 2**64}), "slot_id"),
    (raw_json({"slot_id": "SLOT", "user": "@S"}), "user"),
    (raw_json({"slot_id": "SLOT", "note": "@S"}), "note"),
])
def test_roster_api_names_the_bad_field(world, body, field):
    c, h = session_client(world)
    body = body.replace('"SLOT"', str(world["slot"]))
    action = {"user": "assign", "note": "handover"}.get(field, "signup")
    r = c.post(f"/api/v1/rooms/{world['room']}/roster/{action}", data=body,
               content_type="application/json", headers=h)
    assert r.status_code == 400 and r.json["field"] == field, (r.status_code, r.get_data(as_text=True)[:300])


def test_other_json_apis_refuse_deep_or_surrogate_bodies(world):
    c, h = session_client(world)
    for url in (f"/api/v1/rooms/{world['room']}/page", "/api/v1/playbooks/validate",
                "/api/v1/me/settings", f"/rooms/{world['room']}/lessons"):
        for raw in (DEEP, raw_json({"note": "@S", "text": "@S", "tz": "@S", "lessons": "@S"})):
            r = c.post(url, data=raw, content_type="application/json", headers=h)
            assert 400 <= r.status_code < 500, (url, raw[:20], r.status_code, r.get_data(as_text=True)[:200])


# -- Slack, correctly signed --------------------------------------------------------


def slack_post(w, path: str, form: dict):
    body = urlencode(form)
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return w["app"].test_client().post(path, data=body, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("text", ["ack 99999999999999999999999", "ack #" + "9" * 5000, "page ²",
                                  "page 99999999999999999999999 why", "ack ¹", "page ١٢"])
def test_slash_command_with_odd_numbers_gets_a_polite_reply(world, text):
    r = slack_post(world, "/slack/commands", {"user_id": "U0LENA", "text": text})
    assert r.status_code == 200, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.json["response_type"] == "ephemeral" and r.json["text"]


@pytest.mark.parametrize("payload, field", [
    (DEEP, "payload"),
    (raw_json({"user": {"id": "@S"}, "actions": [{"action_id": ACK_ACTION, "value": "1"}]}), "user"),
    (raw_json({"user": {"id": "U0ANN"}, "actions": [{"action_id": ACK_ACTION, "value": "9" * 30}]}),
     "actions"),
    (raw_json({"user": {"id": "U0ANN"}, "actions": [{"action_id": ACK_ACTION, "value": 2**70}]}), "actions"),
    (raw_json({"user": {"id": "U0ANN"}, "actions": [{"action_id": ACK_ACTION, "value": "@H"}]}), "payload"),
    (raw_json({"user": "U0ANN", "actions": [{"action_id": ACK_ACTION, "value": "1"}]}), "user"),
    (raw_json({"user": {"id": "U0ANN"}, "actions": {"action_id": ACK_ACTION}}), "actions"),
])
def test_signed_interaction_with_a_hostile_payload_is_a_400_naming_the_field(world, payload, field):
    r = slack_post(world, "/slack/interactions", {"payload": payload})
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.json["field"] == field


def test_signed_interaction_still_acknowledges(world):
    db = world["db"]
    with dbmod.transaction(db):
        esc = escalation.open_escalation(db, FIXED_NOW, world["room"], "spike", {"value": 1}, None)
    payload = json.dumps({"user": {"id": "U0ANN"}, "actions": [{"action_id": ACK_ACTION, "value": str(esc.id)}]})
    r = slack_post(world, "/slack/interactions", {"payload": payload})
    assert r.status_code == 200 and f"#{esc.id}" in r.json["text"]


# -- Socket.IO commands -------------------------------------------------------------


@pytest.mark.parametrize("command, payload, field", [
    ("mention.claim", {"mention_id": 2**64}, "mention_id"),
    ("mention.claim", {"mention_id": -(2**63) - 1}, "mention_id"),
    ("mention.claim", {"mention_id": True}, "mention_id"),
    ("mention.claim", {"mention_id": 1.5}, "mention_id"),
    ("mention.claim", {"mention_id": "9" * 5000}, "mention_id"),
    ("draft.save", {"room": "ROOM", "text": "\ud800"}, "text"),
    ("draft.save", {"room": "ROOM", "text": "ok", "fact_ids": [[1]]}, "fact_ids"),
    ("draft.save", {"room": "ROOM", "text": "ok", "fact_ids": [2**64]}, "fact_ids"),
    ("draft.submit", {"draft_id": 1, "override_reason": "\udfff"}, "override_reason"),
    ("lint.check", {"room": 2**64, "text": "hi"}, "room"),
    ("facts.update", {"room": "ROOM", "text": "x", "kind": {"a": [1]}}, "kind"),
    ("escalation.ack", {"escalation": 2**64}, "escalation"),
    ("escalation.page", {"room": 2**64}, "room"),
    ("escalation.page", {"room": "ROOM", "note": "\ud800"}, "note"),
    ("join", {"room": 2**64}, "room"),
    ("leave", {"room": [[[]]]}, "room"),
    ("presence.ping", {"room": "\ud800"}, "room"),
])
def test_socket_commands_answer_hostile_arguments_with_an_error(app, world, command, payload, field):
    add_mention(world["db"], world["room"], FIXED_NOW)
    payload = {k: (world["room"] if v == "ROOM" else v) for k, v in payload.items()}
    _, sc = sock(app, "lena")
    try:
        reply = call(sc, command, payload)
    finally:
        sc.disconnect(namespace="/board")
    assert isinstance(reply, dict) and isinstance(reply.get("error"), str), reply
    assert reply.get("field") == field, reply


def test_socket_command_with_deeply_nested_payload_gets_an_error(app, world):
    nested: list = []
    for _ in range(200):
        nested = [nested]
    _, sc = sock(app, "lena")
    try:
        reply = call(sc, "draft.save", {"room": world["room"], "text": "ok", "extra": nested})
    finally:
        sc.disconnect(namespace="/board")
    assert reply.get("field") == "extra" and "nested" in reply["error"], reply


def test_a_command_that_fails_unexpectedly_still_answers_and_logs(app, world, caplog):
    from warroom.live import Command

    def broken(db, user, payload, now):
        raise RuntimeError("a bug")

    app.extensions["warroom_commands"]["test.broken"] = Command("test.broken", "viewer", broken)
    _, sc = sock(app, "lena")
    try:
        reply = call(sc, "test.broken", {})
    finally:
        sc.disconnect(namespace="/board")
    assert reply == {"error": "internal error"}
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records)
