"""Standing monitors on the web (issue 16): the JSON API (each bad input a
4xx naming its field), the token push path, the monitors page with CSRF,
and the sensitivity in plain words."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXED_NOW, ROOT, csrf_from, login_client, make_user
from warroom import db as dbmod
from warroom import rooms
from warroom.clock import iso, utcnow
from warroom.listening import monitors, tokens
from warroom.playbooks import parse, store

GOOD = {"brand": "Acme", "keywords": ["acme"], "sources": ["twitter"], "playbook_id": "mass-disruption",
        "open_room": "offer"}


@pytest.fixture
def s(app, settings):
    db = dbmod.connect(settings.db_url)
    make_user(db, "lena", "lead")
    make_user(db, "rob", "responder")
    book = parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    store.store(db, FIXED_NOW, book, actor="test", source="test")
    client = app.test_client()
    csrf = login_client(client, "lena")
    yield {"db": db, "client": client, "h": {"X-CSRF-Token": csrf}, "app": app}
    db.close()


def api(s, method, path, body=None, headers=None):
    return getattr(s["client"], method)(path, data=json.dumps(body) if body is not None else None,
                                        content_type="application/json", headers=s["h"] if headers is None else headers)


@pytest.mark.parametrize("change, field", [
    ({"brand": None}, "brand"),
    ({"brand": ""}, "brand"),
    ({"brand": "x" * 201}, "brand"),
    ({"keywords": 7}, "keywords"),
    ({"keywords": ["ok", 3]}, "keywords"),
    ({"sources": ["Twitter Feed!"]}, "sources"),
    ({"playbook_id": "no-such-book"}, "playbook_id"),
    ({"playbook_id": 3}, "playbook_id"),
    ({"oncall": ["ona"]}, "oncall"),
    ({"oncall": {"people": ["ona"], "timezone": "Mars/Base"}}, "oncall"),
    ({"oncall": {"people": ["ona"], "rotation_days": 0}}, "oncall"),
    ({"oncall": {"people": ["ona"], "pager": "x"}}, "oncall"),
    ({"open_room": "sometimes"}, "open_room"),
    ({"status": "asleep"}, "status"),
    ({"colour": "red"}, "colour"),
])
def test_each_bad_field_is_a_422_naming_it_and_stores_nothing(s, change, field):
    body = {k: v for k, v in (GOOD | change).items() if v is not None}
    r = api(s, "post", "/api/v1/monitors", body)
    assert r.status_code == 422 and r.json["field"] == field, r.json
    assert s["db"].execute("SELECT COUNT(*) FROM monitors").fetchone()[0] == 0


def test_bad_bodies_missing_fields_roles_and_unknown_monitors(s):
    r = api(s, "post", "/api/v1/monitors", {"brand": "Acme"})
    assert r.status_code == 422 and r.json["field"] == "playbook_id"
    r = s["client"].post("/api/v1/monitors", data="[1]", content_type="application/json", headers=s["h"])
    assert r.status_code == 400 and r.json["field"] == "body"
    r = api(s, "patch", "/api/v1/monitors/99", {"status": "paused"})
    assert r.status_code == 404 and r.json["field"] == "monitor"
    r = api(s, "post", "/api/v1/monitors", GOOD, headers={})  # no CSRF token
    assert r.status_code in (400, 403)
    other = s["app"].test_client()
    h = {"X-CSRF-Token": login_client(other, "rob")}
    r = other.post("/api/v1/monitors", data=json.dumps(GOOD), content_type="application/json", headers=h)
    assert r.status_code == 403
    assert s["db"].execute("SELECT COUNT(*) FROM monitors").fetchone()[0] == 0


def test_create_list_edit_pause_through_the_api(s):
    r = api(s, "post", "/api/v1/monitors", GOOD | {"oncall": {"people": ["rob"], "start": "2026-03-23"}})
    assert r.status_code == 201
    mid = r.json["id"]
    assert r.json["sensitivity"].startswith("Pages when posts reach 5x normal")
    assert "at least 20 in an hour" in r.json["sensitivity"] and "every 5 days" in r.json["sensitivity"]
    r = api(s, "patch", f"/api/v1/monitors/{mid}", {"status": "paused", "keywords": ["acme", "acme inc"]})
    assert r.status_code == 200 and r.json["status"] == "paused" and r.json["keywords"] == ["acme", "acme inc"]
    r = s["client"].get("/api/v1/monitors")
    assert [m["brand"] for m in r.json["monitors"]] == ["Acme"] and r.json["monitors"][0]["status"] == "paused"
    r = api(s, "patch", f"/api/v1/monitors/{mid}", {"open_room": "never"})
    assert r.status_code == 422 and r.json["field"] == "open_room"
    assert s["client"].get(f"/api/v1/monitors/{mid}").json["open_room"] == "offer"


def _rec(i, **kw):
    return {"external_id": f"t{i}", "source": "twitter", "author": f"a{i}", "text": "acme is down again",
            "url": "", "created_at": iso(utcnow()), **kw}


def test_the_token_push_path_into_a_monitor(s):
    db = s["db"]
    monitor = monitors.create(db, FIXED_NOW, "lena", GOOD)
    room = rooms.open_room(db, FIXED_NOW, make_user(db, "lee", "lead"), "A room")
    _t, secret = tokens.create(db, FIXED_NOW, "twitter", None, monitor_id=monitor.id)
    _r, room_secret = tokens.create(db, FIXED_NOW, "twitter", room.id)
    c = s["app"].test_client()

    def push(body, secret=secret, mid=monitor.id):
        return c.post(f"/api/v1/monitors/{mid}/mentions", data=json.dumps(body), content_type="application/json",
                      headers={"Authorization": f"Bearer {secret}"})

    r = push([_rec(1), _rec(2), _rec(1)])
    assert r.status_code == 202 and (r.json["accepted"], r.json["duplicates"]) == (2, 1)
    assert db.execute("SELECT COUNT(*) FROM monitor_mentions").fetchone()[0] == 2
    r = push([_rec(3)], secret=room_secret)
    assert r.status_code == 403 and r.json["field"] == "Authorization" and f"room {room.id}" in r.json["error"]
    r = c.post(f"/api/v1/rooms/{room.id}/mentions", data=json.dumps(_rec(4)), content_type="application/json",
               headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 403 and f"monitor {monitor.id}" in r.json["error"]
    r = push([_rec(5, source="rss")])
    assert r.status_code == 422 and r.json["field"] == "source"
    r = push([_rec(6, created_at="yesterday")])
    assert r.status_code == 422 and r.json["field"] == "created_at"
    r = push([_rec(7)], secret="wr_nope")
    assert r.status_code == 401
    monitors.update(db, FIXED_NOW, monitor.id, "lena", {"status": "paused"})
    r = push([_rec(8)])
    assert r.status_code == 409 and r.json["field"] == "monitor"
    assert db.execute("SELECT COUNT(*) FROM monitor_mentions").fetchone()[0] == 2


def test_the_monitors_page_creates_and_pauses_with_csrf_and_is_linked_from_the_rooms_list(s):
    c = s["client"]
    assert 'id="monitors-link"' in c.get("/").text
    page = c.get("/monitors")
    assert page.status_code == 200 and 'id="monitor-create"' in page.text
    form = {"brand": "Acme", "keywords": "acme, acme inc", "sources": "", "playbook_id": "mass-disruption",
            "open_room": "auto", "oncall_people": "rob", "oncall_rotation_days": "7", "oncall_start": "2026-03-23"}
    assert c.post("/monitors", data=form).status_code in (400, 403)  # no CSRF token
    r = c.post("/monitors", data=form | {"csrf_token": csrf_from(page.text), "oncall_rotation_days": "x"})
    assert r.status_code == 422 and 'data-field="oncall"' in r.text
    r = c.post("/monitors", data=form | {"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    m = monitors.list_monitors(s["db"])[0]
    assert m.keywords == ("acme", "acme inc") and m.open_room == "auto" and m.oncall["people"] == ["rob"]
    view = c.get(r.headers["Location"])
    assert "at least 20 in an hour" in view.text and "Pause" in view.text
    r = c.post(f"/monitors/{m.id}", data={"status": "paused", "csrf_token": csrf_from(view.text)})
    assert r.status_code == 303 and monitors.get(s["db"], m.id).status == "paused"
    other = s["app"].test_client()
    login_client(other, "rob")
    assert other.get("/monitors").status_code == 403


def test_a_room_states_its_sensitivity_from_its_playbook_params(s):
    db = s["db"]
    book = store.latest_playbook(db, "mass-disruption")
    room = rooms.open_room(db, FIXED_NOW, monitors_lead(db), "Room", playbook=book)
    text = s["client"].get(f"/rooms/{room.id}").text
    assert "Pages when posts reach 5x normal (learned from the stream) and at least 20 in an hour" in text


def monitors_lead(db):
    from warroom import accounts
    return accounts.find_user(db, "lena")
