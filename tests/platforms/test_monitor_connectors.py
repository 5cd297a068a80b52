"""A platform connector that belongs to a standing monitor (issue 16): set-up
names the monitor, its batches go through the monitor's stream with the
cursor in the same transaction, a paused monitor stores nothing; on the web
the monitor page links to its connectors and the API sets one up (422 naming
the field). Against the local Mastodon-compatible server."""

from __future__ import annotations

import json

import pytest

from warroom import db as dbmod
from warroom.clock import iso, utcnow
from warroom.listening import mentions, monitors
from warroom.platforms import listener, store
from warroom.platforms.connector import Batch, Post

from ..conftest import FIXED_NOW, ROOT, csrf_from, login_client, make_user
from .conftest import SCORER, TOKEN


def _monitor(db, **extra):
    from warroom.playbooks import parse
    from warroom.playbooks import store as books

    make_user(db, "lena", "lead")
    book = parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    books.store(db, FIXED_NOW, book, actor="test", source="test")
    return monitors.create(db, FIXED_NOW, "lena", {"brand": "Acme", "keywords": ["acme", "outage"],
                                                    "playbook_id": "mass-disruption", **extra})


def _connect(db, vault, masto, monitor_id, **kw):
    return store.create_for_monitor(db, utcnow(), "lena", vault, monitor_id, "mastodon", "@acme@local",
                                    settings={"instance_url": masto.url, **kw}, secrets={"access_token": TOKEN})


def _batch(ids, cursor):
    now = iso(utcnow())
    return Batch(tuple(Post(str(i), f"user{i}", f"@acme outage again {i}", f"https://m/{i}", now,
                            reply_ref={"status_id": str(i)}) for i in ids), cursor)


def _stored(db, monitor_id):
    return sorted(r[0] for r in db.execute(
        "SELECT external_id FROM monitor_mentions WHERE monitor_id = ? AND source = 'mastodon'", [monitor_id]))


def test_a_monitors_connector_stores_through_the_monitor_with_its_cursor(db, vault, masto):
    monitor = _monitor(db)
    info = _connect(db, vault, masto, monitor.id)
    assert (info.room_id, info.monitor_id) == (None, monitor.id)
    assert info.settings["keywords"] == "acme,outage"  # the monitor's keywords, followed on the platform
    assert store.for_monitor(db, monitor.id) == [info] and store.active(db) == [info]
    result = listener.store_batch(db, utcnow(), info.id, _batch([1, 2, 3], "c1"), SCORER)
    assert (result.accepted, result.duplicates) == (3, 0)
    result = listener.store_batch(db, utcnow(), info.id, _batch([3, 4], "c2"), SCORER)
    assert (result.accepted, result.duplicates) == (1, 1)
    assert _stored(db, monitor.id) == ["1", "2", "3", "4"]
    assert db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == 0  # no room: the monitor's own
    got = store.get(db, info.id)
    assert got.cursor == "c2" and got.posts == 4 and got.duplicates == 1
    # One transaction: a batch the monitor refuses moves neither posts nor cursor.
    monitors.update(db, utcnow(), monitor.id, "lena", {"sources": ["twitter"]})
    with pytest.raises(mentions.MentionInvalid):
        listener.store_batch(db, utcnow(), info.id, _batch([5], "c3"), SCORER)
    assert store.get(db, info.id).cursor == "c2" and _stored(db, monitor.id) == ["1", "2", "3", "4"]
    # Paused: stores nothing, the cursor moves on (counted as skipped).
    monitors.update(db, utcnow(), monitor.id, "lena", {"sources": [], "status": "paused"})
    assert listener.store_batch(db, utcnow(), info.id, _batch([6, 7], "c4"), SCORER) is None
    got = store.get(db, info.id)
    assert got.cursor == "c4" and got.skipped == 2 and _stored(db, monitor.id) == ["1", "2", "3", "4"]


def test_set_up_for_a_monitor_refuses_naming_the_field(db, vault, masto):
    monitor = _monitor(db, sources=["twitter"])
    with pytest.raises(store.SetupError) as exc:
        _connect(db, vault, masto, monitor.id)
    assert exc.value.field == "platform"
    with pytest.raises(store.SetupError) as exc:
        _connect(db, vault, masto, monitor.id + 99)
    assert exc.value.field == "monitor"
    assert db.execute("SELECT COUNT(*) FROM connectors").fetchone()[0] == 0


def test_the_monitor_page_links_to_its_connectors_set_up_over_http(app, settings, vault, masto):
    db = dbmod.connect(settings.db_url)
    monitor = _monitor(db)
    make_user(db, "rob", "responder")
    c = app.test_client()
    csrf = login_client(c, "lena")
    h = {"X-CSRF-Token": csrf}
    view = c.get(f"/monitors/{monitor.id}")
    assert f'href="/monitors/{monitor.id}/connectors" id="monitor-connectors"' in view.text
    page = c.get(f"/monitors/{monitor.id}/connectors")
    assert page.status_code == 200 and "No platform is connected to this monitor." in page.text
    body = {"platform": "mastodon", "name": "@acme@local", "settings": {"instance_url": masto.url},
            "secrets": {"access_token": TOKEN}}
    r = c.post(f"/api/v1/monitors/{monitor.id}/connectors", json=body, headers=h)
    assert r.status_code == 201 and r.json["connector"]["monitor_id"] == monitor.id
    assert TOKEN not in r.text and TOKEN not in c.get(f"/monitors/{monitor.id}/connectors").text
    listed = c.get(f"/api/v1/monitors/{monitor.id}/connectors").json["connectors"]
    assert [x["id"] for x in listed] == [r.json["connector"]["id"]] and listed[0]["room_id"] is None
    bad = c.post(f"/api/v1/monitors/{monitor.id}/connectors", json={**body, "name": ""}, headers=h)
    assert bad.status_code == 422 and bad.json["field"] == "name"
    assert c.post(f"/api/v1/monitors/{monitor.id + 9}/connectors", json=body, headers=h).status_code == 404
    # The form, then disconnecting from the monitor's page, which it returns to.
    form = {"platform": "mastodon", "name": "@acme2@local", "settings.instance_url": masto.url,
            "secrets.access_token": TOKEN, "csrf_token": csrf_from(page.text)}
    r = c.post(f"/monitors/{monitor.id}/connectors", data=form)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/monitors/{monitor.id}/connectors")
    second = store.for_monitor(db, monitor.id)[-1]
    r = c.post(f"/connectors/{second.id}/disconnect", data={"csrf_token": form["csrf_token"]})
    assert r.headers["Location"].endswith(f"/monitors/{monitor.id}/connectors")
    assert store.get(db, second.id).state == "stopped"
    added = [json.loads(d) for (d,) in db.execute("SELECT data FROM events WHERE kind = 'connector.added'")]
    assert [a.get("monitor") for a in added] == [monitor.id, monitor.id]
    other = app.test_client()
    login_client(other, "rob")
    assert other.get(f"/monitors/{monitor.id}/connectors").status_code == 403
    db.close()
