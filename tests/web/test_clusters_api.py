"""The cluster fields on GET /mentions, the clusters queue and a cluster's
members, through the Flask app (real SQLite, real ingest)."""

from __future__ import annotations

import pytest

from tests.conftest import FIXED_NOW, login_client, make_user
from warroom import db as dbmod
from warroom import rooms
from warroom.clock import iso
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer

CAMPAIGN = "Give the orangutan a break, stop buying palm oil from the people burning the forest"


@pytest.fixture
def setup(app, settings):
    db = dbmod.connect(settings.db_url)
    lead = make_user(db, "lena", "lead", now=FIXED_NOW)
    room = rooms.open_room(db, FIXED_NOW, lead, "Swarm", status="monitoring")
    other = rooms.open_room(db, FIXED_NOW, lead, "Other", status="monitoring")
    records = [{"external_id": f"c{i}", "source": "twitter", "author": f"a{i}", "url": "",
                "text": (f"RT @a{i}: " if i % 2 else "") + CAMPAIGN.upper() if i % 3 == 0 else CAMPAIGN + f" @brand{i}",
                "created_at": iso(FIXED_NOW.replace(minute=i)), "lang": "en" if i < 4 else "nl",
                "followers": 10 * i} for i in range(6)]
    records.append({"external_id": "own", "source": "bluesky", "author": "b", "url": "",
                    "text": "my parcel never arrived and the tracking page is blank", "created_at": iso(FIXED_NOW)})
    mentions.ingest(db, FIXED_NOW, room.id, mentions.validate(records, FIXED_NOW), Scorer())
    client = app.test_client()
    csrf = login_client(client, "lena")
    yield {"csrf": csrf, "db": db, "room": room.id, "other": other.id, "client": client, "lead": lead}
    db.close()


def test_listing_carries_cluster_and_the_queue_shows_it_once(setup):
    c, room = setup["client"], setup["room"]
    listed = c.get(f"/api/v1/rooms/{room}/mentions").get_json()["mentions"]
    sizes = {m["external_id"]: (m["cluster_id"], m["cluster_size"]) for m in listed}
    campaign_cluster = sizes["c0"][0]
    assert all(sizes[f"c{i}"] == (campaign_cluster, 6) for i in range(6))
    assert sizes["own"][1] == 1 and sizes["own"][0] != campaign_cluster

    queue = c.get(f"/api/v1/rooms/{room}/clusters").get_json()["clusters"]
    assert [q["id"] for q in queue] == [campaign_cluster]  # min_size 2 by default: copies only
    q = queue[0]
    assert (q["size"], q["reach"], q["languages"]) == (6, 150, ["en", "nl"])
    assert q["first"]["external_id"] == "c0" and q["first_at"] == iso(FIXED_NOW.replace(minute=0))
    assert len(c.get(f"/api/v1/rooms/{room}/clusters?min_size=1").get_json()["clusters"]) == 2

    page = c.get(f"/api/v1/rooms/{room}/clusters/{campaign_cluster}?limit=4").get_json()
    assert [m["external_id"] for m in page["members"]] == ["c0", "c1", "c2", "c3"] and page["more"] is True
    rest = c.get(f"/api/v1/rooms/{room}/clusters/{campaign_cluster}?after={page['last_id']}").get_json()
    assert [m["external_id"] for m in rest["members"]] == ["c4", "c5"] and rest["more"] is False


def test_bad_cluster_requests_name_the_field(setup):
    c, room = setup["client"], setup["room"]
    cid = c.get(f"/api/v1/rooms/{room}/clusters").get_json()["clusters"][0]["id"]
    for url, status, field in [
        (f"/api/v1/rooms/{setup['other']}/clusters/{cid}", 404, "cluster"),  # another room's cluster
        (f"/api/v1/rooms/{room}/clusters/999999", 404, "cluster"),
        (f"/api/v1/rooms/{room}/clusters?min_size=zero", 400, "min_size"),
        (f"/api/v1/rooms/{room}/clusters/{cid}?limit=0", 400, "limit"),
        ("/api/v1/rooms/424242/clusters", 404, "room"),
    ]:
        r = c.get(url)
        assert (r.status_code, r.get_json().get("field")) == (status, field), url


def test_publish_cluster_over_http_answers_every_copy_once(setup):
    from warroom import responses

    db, room, c = setup["db"], setup["room"], setup["client"]
    csrf = setup["csrf"]
    appr = make_user(db, "appr", "approver", now=FIXED_NOW)
    first = db.execute("SELECT id FROM mentions WHERE external_id = 'c0'").fetchone()[0]
    author = setup["lead"]
    d = responses.save_draft(db, FIXED_NOW, author, room, "So sorry, we are looking into it and will update by 5pm.",
                             mention_id=first)
    d = responses.submit(db, FIXED_NOW, author, d.id)
    responses.approve(db, FIXED_NOW, appr, d.id, d.revision)
    r = c.post(f"/api/v1/drafts/{d.id}/publish_cluster", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    body = r.get_json()
    assert (body["copies"], body["deliveries"], len(body["by_hand"])) == (5, 0, 5)
    again = c.post(f"/api/v1/drafts/{d.id}/publish_cluster", json={}, headers={"X-CSRF-Token": csrf})
    assert (again.status_code, again.get_json()["field"]) == (422, "draft_id")  # published already
    assert len(responses.answered(db, room)) == 6
