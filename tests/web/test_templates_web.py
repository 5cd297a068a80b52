"""Team reply templates through the JSON API and the web page; a room offers
its playbook's and its team's, filled for one mention."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, add_mention, csrf_from, login_client, make_user
from warroom import accounts, playbooks, rooms
from warroom.clock import utcnow
from warroom.db import transaction

MASS = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")


@pytest.fixture
def world(app):
    db = app.extensions["warroom_open_db"]()
    now = utcnow()
    lena = make_user(db, "lena", "lead")
    make_user(db, "olaf", "lead")
    make_user(db, "ron", "responder")
    team = accounts.add_team(db, now, "klm", "root")
    accounts.set_user_teams(db, now, lena.id, ["klm"], "root")
    room = rooms.open_room(db, now, lena, "Ash cloud", playbook=MASS)
    accounts.assign(db, now, "room", room.id, "klm", "root")
    mention = add_mention(db, room.id, now)
    with transaction(db):
        db.execute("UPDATE mentions SET author = '@bram' WHERE id = ?", [mention])
    accounts.set_user_teams(db, now, make_user(db, "rita", "responder").id, ["klm"], "root")
    db.close()
    out = {}
    for name in ("lena", "olaf", "rita"):
        c = app.test_client()
        out[name] = (c, login_client(c, name))
    return team, room, mention, out


def api(clients, who, method, path, body=None):
    c, csrf = clients[who]
    return c.open(path, method=method, json=body, headers={"X-CSRF-Token": csrf})


def test_team_templates_are_checked_and_offered_in_the_team_room(world):
    team, room, mention, clients = world
    bad = api(clients, "lena", "POST", f"/api/v1/teams/{team.id}/templates",
              {"name": "delay", "text": "Hi {customer}, next update {nxt}"})
    assert bad.status_code == 422 and bad.json["field"] == "text" and "unknown variable {nxt}" in bad.json["error"]
    assert api(clients, "olaf", "POST", f"/api/v1/teams/{team.id}/templates",
               {"name": "x", "text": "Hi {customer}"}).status_code == 404  # not his team
    made = api(clients, "lena", "POST", f"/api/v1/teams/{team.id}/templates",
               {"name": "delay", "text": "Hi {customer}, about {case}: we are on it, [your name] here."})
    assert made.status_code == 201
    offered = api(clients, "rita", "GET", f"/api/v1/rooms/{room.id}/templates").json["templates"]
    assert [(t["source"], t["name"]) for t in offered] == (
        [("playbook", t.name) for t in MASS.templates] + [("team", "delay")])
    filled = api(clients, "rita", "POST", f"/api/v1/rooms/{room.id}/templates/fill",
                 {"name": "delay", "source": "team", "mention_id": mention})
    assert filled.status_code == 200, filled.text
    assert filled.json["text"] == "Hi @bram, about Ash cloud: we are on it, [your name] here." and filled.json["missing"] == []
    playbook_one = api(clients, "rita", "POST", f"/api/v1/rooms/{room.id}/templates/fill",
                       {"name": "stranded-rebook", "mention_id": mention})
    assert playbook_one.json["missing"] == ["fact:rebooking_url", "next_update"]
    assert "[fact:rebooking_url]" in playbook_one.json["text"]
    unknown = api(clients, "rita", "POST", f"/api/v1/rooms/{room.id}/templates/fill", {"name": "nope"})
    assert unknown.status_code == 422 and unknown.json["field"] == "name"
    tid = made.json["template"]["id"]
    assert api(clients, "olaf", "DELETE", f"/api/v1/templates/{tid}").status_code == 404
    assert api(clients, "lena", "PUT", f"/api/v1/templates/{tid}", {"text": "Hi {customr}"}).json["field"] == "text"
    assert api(clients, "lena", "DELETE", f"/api/v1/templates/{tid}").status_code == 200


def test_team_templates_page_adds_and_reports_errors(world):
    team, _room, _mention, clients = world
    c, _ = clients["lena"]
    page = c.get(f"/teams/{team.id}/templates")
    assert page.status_code == 200
    bad = c.post(f"/teams/{team.id}/templates", data={"csrf_token": csrf_from(page.text), "name": "t1",
                                                      "text": "Hi {client}"})
    assert bad.status_code == 422 and "unknown variable {client}" in bad.text
    ok = c.post(f"/teams/{team.id}/templates", data={"csrf_token": csrf_from(page.text), "name": "t1",
                                                     "text": "Hi {customer}, [your name] here."})
    assert ok.status_code == 302 and "[your name] here." in c.get(f"/teams/{team.id}/templates").text
    assert clients["olaf"][0].get(f"/teams/{team.id}/templates").status_code == 404
