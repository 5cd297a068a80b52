"""The updates adapter: the JSON API names the field, forms need CSRF, the
close form needs the final update, and the public status page (no login,
cache validators, 304, Atom) shows only published public updates of rooms
that are not private."""

from __future__ import annotations

import re

import feedparser
import pytest

from tests.conftest import ROOT, login_client, make_user
from warroom import accounts, playbooks, rooms
from warroom.clock import utcnow

MASS = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
PUBLIC = "Schiphol stays closed until 18:00 UTC; we rebook everyone in departure order. Next update 18:00 UTC."


@pytest.fixture
def world(app):
    db = app.extensions["warroom_open_db"]()
    lena = make_user(db, "lena", "lead")
    make_user(db, "lars", "lead")
    make_user(db, "vic", "viewer")
    room = rooms.open_room(db, utcnow(), lena, "Ash cloud", playbook=MASS)
    db.close()
    clients = {}
    for name in ("lena", "lars", "vic"):
        c = app.test_client()
        clients[name] = (c, login_client(c, name))
    return room, clients


def api(clients, who, method, path, body=None):
    c, csrf = clients[who]
    return c.open(path, method=method, json=body, headers={"X-CSRF-Token": csrf})


def publish_public(clients, room_id, text=PUBLIC):
    made = api(clients, "lena", "POST", f"/api/v1/rooms/{room_id}/updates", {"text": text, "audience": "public"})
    assert made.status_code == 201, made.text
    uid = made.json["update"]["id"]
    assert api(clients, "lars", "POST", f"/api/v1/updates/{uid}/approve").status_code == 200
    assert api(clients, "lena", "POST", f"/api/v1/updates/{uid}/publish").status_code == 200
    return uid


def test_api_errors_name_the_field(world):
    room, clients = world
    bad = api(clients, "lena", "POST", f"/api/v1/rooms/{room.id}/updates", {"text": "x", "audience": "everyone"})
    assert bad.status_code == 422 and bad.json["field"] == "audience"
    empty = api(clients, "lena", "POST", f"/api/v1/rooms/{room.id}/updates", {"audience": "public"})
    assert empty.status_code == 422 and empty.json["field"] == "text"
    past = api(clients, "lena", "POST", f"/api/v1/rooms/{room.id}/updates",
               {"text": PUBLIC, "audience": "public", "next_update_at": "2000-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.json["field"] == "next_update_at"
    uid = api(clients, "lena", "POST", f"/api/v1/rooms/{room.id}/updates",
              {"text": PUBLIC, "audience": "public"}).json["update"]["id"]
    own = api(clients, "lena", "POST", f"/api/v1/updates/{uid}/approve")
    assert own.status_code == 422 and own.json["field"] == "update_id"
    viewer = api(clients, "vic", "POST", f"/api/v1/updates/{uid}/approve")
    assert viewer.status_code == 403
    no_reason = api(clients, "lars", "POST", f"/api/v1/updates/{uid}/reject", {})
    assert no_reason.status_code == 422 and no_reason.json["field"] == "reason"
    mails = api(clients, "lena", "PUT", f"/api/v1/rooms/{room.id}/update-mail-list", {"addresses": ["nope"]})
    assert mails.status_code == 422 and mails.json["field"] == "addresses"


def test_forms_need_csrf(world):
    room, clients = world
    c, _csrf = clients["lena"]
    assert c.post(f"/rooms/{room.id}/updates", data={"text": PUBLIC, "audience": "public"}).status_code == 403


def test_status_page_is_public_cacheable_and_shows_only_what_was_published(app, world):
    room, clients = world
    first = publish_public(clients, room.id)
    pending = api(clients, "lena", "POST", f"/api/v1/rooms/{room.id}/updates",
                  {"text": "Pending, not approved: never on the page.", "audience": "public"})
    assert pending.status_code == 201
    slug = api(clients, "vic", "GET", f"/api/v1/rooms/{room.id}/updates").json["status_url"].rsplit("/", 1)[1]
    anon = app.test_client()
    page = anon.get(f"/status/{slug}")
    assert page.status_code == 200 and PUBLIC in page.text and "Pending, not approved" not in page.text
    assert page.headers["Cache-Control"] == "public, no-cache"  # stored, revalidated every time
    assert page.headers["Last-Modified"] and "Set-Cookie" not in page.headers
    etag = page.headers["ETag"]
    assert anon.get(f"/status/{slug}", headers={"If-None-Match": etag}).status_code == 304
    index = anon.get("/status")
    assert index.status_code == 200 and f'href="/status/{slug}"' in index.text
    assert anon.get("/status", headers={"If-None-Match": index.headers["ETag"]}).status_code == 304
    feed = anon.get(f"/status/{slug}.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    parsed = feedparser.parse(feed.data)
    assert not parsed.bozo and [e.summary for e in parsed.entries] == [PUBLIC]
    # a second update changes the validator: the old ETag no longer matches
    second = publish_public(clients, room.id, "Schiphol reopens at 20:00 UTC. Next update 20:00 UTC.")
    again = anon.get(f"/status/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    ids = [int(i) for i in re.findall(r'id="update-(\d+)"', again.text)]
    assert ids == [first, second]


def test_private_room_shows_nothing(app, world):
    room, clients = world
    publish_public(clients, room.id)
    slug = api(clients, "vic", "GET", f"/api/v1/rooms/{room.id}/updates").json["status_url"].rsplit("/", 1)[1]
    db = app.extensions["warroom_open_db"]()
    accounts.set_private(db, utcnow(), room.id, True, "lena")
    db.close()
    anon = app.test_client()
    assert anon.get(f"/status/{slug}").status_code == 404
    assert anon.get(f"/status/{slug}.atom").status_code == 404
    index = anon.get("/status")
    assert "Ash cloud" not in index.text and slug not in index.text


def test_close_form_needs_the_final_update_once_the_public_was_told(app, world):
    room, clients = world
    publish_public(clients, room.id)
    c, csrf = clients["lena"]
    refused = c.post(f"/rooms/{room.id}/close", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "final_update" in refused.text
    done = c.post(f"/rooms/{room.id}/close", data={"csrf_token": csrf,
                                                   "final_update": "All passengers are rebooked. Thank you."})
    assert done.status_code == 302
    slug = api(clients, "vic", "GET", f"/api/v1/rooms/{room.id}/updates").json["status_url"].rsplit("/", 1)[1]
    page = app.test_client().get(f"/status/{slug}")
    assert "Final update" in page.text and "All passengers are rebooked" in page.text and "Resolved" in page.text


def test_every_updates_and_templates_api_route_is_documented(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or not rule.endpoint.startswith("updates."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []
