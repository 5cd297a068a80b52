"""Connector set-up over HTTP (lead only, CSRF), state, disconnect; the
credentials never come back (API, logs, export); the composer's limit and the
422 of an over-limit reply; the Facebook webhook's handshake and signature
(requests signed exactly as Meta documents: sha256= + HMAC-SHA256 hex of the
raw body with the app secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest

from warroom import db as dbmod
from warroom.clock import utcnow
from warroom.listening import mentions
from warroom.platforms import store
from warroom.platforms.connector import reply_key
from warroom.platforms.facebook import FacebookConnector

from ..conftest import login_client, make_user
from ..graph_server import GraphServer

SECRET_TOKEN = "tok-VERY-SECRET-123"
APP_SECRET = "app-secret-XYZ"


@pytest.fixture
def web(app, settings):
    db = dbmod.connect(settings.db_url)
    users = {name: make_user(db, name, role)
             for name, role in (("lead", "lead"), ("vol", "responder"), ("appr", "approver"))}
    from warroom import rooms

    room = rooms.open_room(db, utcnow(), users["lead"], "Ash cloud")
    db.close()
    clients = {}
    for name in ("lead", "vol"):
        c = app.test_client()
        clients[name] = (c, login_client(c, name))
    return room, clients


def _post(client_csrf, path, body):
    c, csrf = client_csrf
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf})


@pytest.fixture
def graph():
    srv = GraphServer(page_id="PAGE1", token=SECRET_TOKEN).start()
    yield srv
    srv.stop()


def _connect_facebook(web, graph, token=SECRET_TOKEN, page_id="PAGE1"):
    room, clients = web
    return _post(clients["lead"], f"/api/v1/rooms/{room.id}/connectors", {
        "platform": "facebook", "name": "Brand Page",
        "settings": {"page_id": page_id, "graph_url": graph.url},
        "secrets": {"page_token": token, "app_secret": APP_SECRET, "verify_token": "vt-1"}})


def test_lead_connects_sees_state_and_disconnects_and_secrets_never_come_back(web, app, graph, caplog):
    room, clients = web
    caplog.set_level(logging.DEBUG)
    resp = _connect_facebook(web, graph)
    assert resp.status_code == 201, resp.text
    cid = resp.json["connector"]["id"]
    listing = clients["lead"][0].get(f"/api/v1/rooms/{room.id}/connectors")
    assert listing.json["connectors"][0]["state"] == "connected"
    page = clients["lead"][0].get(f"/rooms/{room.id}/connectors")
    room_page = clients["lead"][0].get(f"/rooms/{room.id}")
    export = clients["lead"][0].get(f"/rooms/{room.id}/export.json")
    events = clients["lead"][0].get(f"/api/v1/rooms/{room.id}/events?after=0")
    assert export.status_code == 200 and page.status_code == 200 and room_page.status_code == 200
    for answer in (resp, listing, page, room_page, export, events):
        assert SECRET_TOKEN not in answer.text and APP_SECRET not in answer.text
    assert "Brand Page" in page.text and "state-connected" in page.text
    assert SECRET_TOKEN not in caplog.text and APP_SECRET not in caplog.text
    db = dbmod.connect(app.extensions["warroom"].db_url)
    sealed = db.execute("SELECT secrets FROM connectors WHERE id = ?", [cid]).fetchone()[0]
    assert SECRET_TOKEN not in sealed and APP_SECRET not in sealed  # encrypted at rest
    gone = _post(clients["lead"], f"/api/v1/connectors/{cid}/disconnect", {})
    assert gone.json["connector"]["state"] == "stopped"
    assert db.execute("SELECT secrets FROM connectors WHERE id = ?", [cid]).fetchone()[0] == ""
    db.close()


def test_only_a_lead_sets_up_and_csrf_is_checked(web):
    room, clients = web
    body = {"platform": "mastodon", "name": "x", "settings": {"instance_url": "https://m.test"},
            "secrets": {"access_token": "t"}}
    assert _post(clients["vol"], f"/api/v1/rooms/{room.id}/connectors", body).status_code == 403
    c, _ = clients["lead"]
    no_csrf = c.post(f"/api/v1/rooms/{room.id}/connectors", json=body)
    assert no_csrf.status_code == 403 and no_csrf.json["field"] == "csrf_token"


@pytest.mark.parametrize("body,field", [
    ({"platform": "myspace", "name": "x"}, "platform"),
    ({"platform": "mastodon", "name": "x", "settings": {"instance_url": "ftp://m"},
      "secrets": {"access_token": "t"}}, "settings.instance_url"),
    ({"platform": "mastodon", "name": "x", "settings": {"instance_url": "https://m"}}, "secrets.access_token"),
    ({"platform": "mastodon", "name": "", "settings": {}, "secrets": {}}, "name"),
])
def test_bad_setup_is_422_naming_the_field(web, body, field):
    room, clients = web
    resp = _post(clients["lead"], f"/api/v1/rooms/{room.id}/connectors", body)
    assert resp.status_code == 422 and resp.json["field"] == field


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _feed(comment_id="PAGE1_POST1_C1", text="My order never arrived, three weeks now", who="USER9"):
    return {"object": "page", "entry": [{"id": "PAGE1", "time": int(time.time()), "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id,
                                   "post_id": "PAGE1_POST1", "parent_id": "PAGE1_POST1", "message": text,
                                   "from": {"id": who, "name": "Anna Jansen"},
                                   "created_time": int(time.time())}}]}]}


def test_facebook_handshake_and_signed_changes_become_mentions(web, app, graph):
    room, clients = web
    cid = _connect_facebook(web, graph).json["connector"]["id"]
    anon = app.test_client()
    ok = anon.get(f"/webhooks/facebook/{cid}?hub.mode=subscribe&hub.verify_token=vt-1&hub.challenge=12345")
    assert ok.status_code == 200 and ok.text == "12345"
    bad = anon.get(f"/webhooks/facebook/{cid}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert bad.status_code == 403
    raw = json.dumps(_feed()).encode()
    for header in (None, "sha256=" + "0" * 64, sign(raw, "wrong-secret"), sign(raw + b" ")):
        headers = {"Content-Type": "application/json"}
        if header:
            headers["X-Hub-Signature-256"] = header
        forged = anon.post(f"/webhooks/facebook/{cid}", data=raw, headers=headers)
        assert forged.status_code == 401 and forged.json["field"] == "X-Hub-Signature-256"
    db = dbmod.connect(app.extensions["warroom"].db_url)
    assert mentions.count(db, room.id) == 0  # nothing stored from a forged request
    good = anon.post(f"/webhooks/facebook/{cid}", data=raw,
                     headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)})
    assert good.status_code == 200 and good.json["accepted"] == 1
    again = anon.post(f"/webhooks/facebook/{cid}", data=raw,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)})
    assert again.json == {"accepted": 0, "duplicates": 1}  # Meta retries: stored once
    own = json.dumps(_feed("PAGE1_POST1_C2", "Thanks for waiting", who="PAGE1")).encode()
    anon.post(f"/webhooks/facebook/{cid}", data=own,
              headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(own)})
    (m,) = mentions.listing(db, room.id)
    assert m.source == "facebook" and m.external_id == "PAGE1_POST1_C1" and m.author == "Anna Jansen"
    assert store.source_of(db, m.id)[1] == {"object_id": "PAGE1_POST1_C1"}
    db.close()


def test_composer_limit_and_over_limit_reply_is_422(web, app, graph):
    room, clients = web
    cid = _connect_facebook(web, graph).json["connector"]["id"]
    raw = json.dumps(_feed()).encode()
    app.test_client().post(f"/webhooks/facebook/{cid}", data=raw,
                           headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)})
    db = dbmod.connect(app.extensions["warroom"].db_url)
    mid = mentions.listing(db, room.id)[0].id
    db.execute("UPDATE connectors SET max_length = 50 WHERE id = ?", [cid])
    db.close()
    limit = clients["vol"][0].get(f"/api/v1/mentions/{mid}/reply-limit")
    assert limit.json == {"mention_id": mid, "platform": "facebook", "prefix": "",
                          "limit": {"max_length": 50, "unit": "characters"}}
    over = _post(clients["vol"], f"/api/v1/rooms/{room.id}/drafts", {"mention_id": mid, "text": "y" * 51})
    assert over.status_code == 422 and over.json["field"] == "text" and "facebook allows 50" in over.json["error"]
    fits = _post(clients["vol"], f"/api/v1/rooms/{room.id}/drafts", {"mention_id": mid, "text": "y" * 50})
    assert fits.status_code == 200 and fits.json["draft"]["text"] == "y" * 50


# -- replies as comments through a local Graph-compatible server -----------------------


def test_facebook_reply_is_a_comment_and_found_again_by_its_key(graph):
    c = FacebookConnector({"page_id": "PAGE1", "graph_url": graph.url}, {"page_token": SECRET_TOKEN})
    text = "So sorry Anna, I've asked the warehouse and will DM you by 5pm."
    key = reply_key(text)
    assert c.find_reply({"object_id": "PAGE1_POST1_C1"}, key) is None  # before: nothing to find
    posted = c.reply({"object_id": "PAGE1_POST1_C1"}, text, key)
    assert graph.comments_on("PAGE1_POST1_C1")[0]["message"] == text
    assert c.find_reply({"object_id": "PAGE1_POST1_C1"}, key) == posted
    assert c.find_reply({"object_id": "PAGE1_POST1_C1"}, reply_key("another text")) is None
    graph.token = "rotated"
    with pytest.raises(Exception) as err:
        c.reply({"object_id": "PAGE1_POST1_C1"}, text, key)
    assert getattr(err.value, "kind", None) == "auth" and "Session has expired" in str(err.value)


def test_find_reply_pages_through_other_comments(graph):
    c = FacebookConnector({"page_id": "PAGE1", "graph_url": graph.url}, {"page_token": SECRET_TOKEN})
    text = "So sorry Anna, I've asked the warehouse and will DM you by 5pm."
    key = reply_key(text)
    posted = c.reply({"object_id": "PAGE1_POST1"}, text, key)
    for i in range(130):  # newer comments push ours past the first page of 100
        graph.comment("PAGE1_POST1", {"id": "USER9", "name": "Anna"}, f"me too {i}")
    assert c.find_reply({"object_id": "PAGE1_POST1"}, key) == posted


@pytest.mark.parametrize("token,page_id,field", [
    ("tok-expired", "PAGE1", "secrets.page_token"),
    (SECRET_TOKEN, "PAGE404", "settings.page_id"),
])
def test_a_rejected_page_token_at_set_up_is_422_naming_the_field_and_nothing_is_stored(
        web, app, graph, token, page_id, field):
    resp = _connect_facebook(web, graph, token=token, page_id=page_id)
    assert resp.status_code == 422 and resp.json["field"] == field, resp.text
    assert token not in resp.text
    db = dbmod.connect(app.extensions["warroom"].db_url)
    assert db.execute("SELECT COUNT(*) FROM connectors").fetchone()[0] == 0
    db.close()
