"""Who may see what, walked over the whole url_map: a user of another team
and a non-member of a private room are refused every route that names the
private room or anything in it (403/404), and no route's answer, listings
included, carries its title; the same over Socket.IO and Slack."""

import time

import pytest

from tests.accounts.test_security_routes import routes, sample_url
from tests.conftest import add_mention, board_events, call, login_client, make_user, sock
from warroom import accounts, escalation, events, live, responses, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.publisher import Publisher

SECRET = "Zq-HR-investigation-Varga"      # the private room's title
BRAND = "Zq-brand-b-monitor"              # the other team's monitor
PLAYBOOK_TITLE = "Zq-legal-playbook"
# URL arguments that do not name a room's object (formats, actions, files)
NOT_OBJECTS = {"fmt", "action", "filename", "token", "name"}


@pytest.fixture
def world(app, db, now):
    """Room 1 private to `insider`; mention, draft, escalation, connector,
    delivery 1 in it; monitor 1 and playbook "x" owned by team brand-b."""
    admin = make_user(db, "root", "admin")
    insider = make_user(db, "insider", "lead", slack_id="UINSIDER")
    outsider = make_user(db, "outsider", "lead", slack_id="UOUTSIDER")
    brand_b = accounts.add_team(db, now, "brand-b", "root")
    accounts.add_team(db, now, "brand-a", "root")
    accounts.set_user_teams(db, now, insider.id, ["brand-b"], "root")
    accounts.set_user_teams(db, now, outsider.id, ["brand-a"], "root")
    room = rooms.open_room(db, now, admin, SECRET, "who knew what")
    assert room.id == 1
    accounts.assign(db, now, "room", room.id, "brand-b", "root")
    accounts.set_private(db, now, room.id, True, "root", members=[insider.id])
    mention = add_mention(db, room.id, now)
    draft = responses.save_draft(db, now, insider, room.id, "We are looking into it and will DM you by 5pm.",
                                 mention_id=mention)
    esc = escalation.manual_page(db, now, room.id, admin, "legal")
    assert (mention, draft.id, esc.id) == (1, 1, 1)
    with transaction(db):
        db.execute("INSERT INTO connectors (room_id, platform, name, secrets, created_at, updated_at)"
                   " VALUES (1, 'mastodon', ?, 'x', ?, ?)",
                   [SECRET + "-connector", iso(now), iso(now)])
        db.execute("INSERT INTO deliveries (response_id, room_id, mention_id, connector_id, text, key,"
                   " next_attempt_at, created_at) VALUES (1, 1, 1, 1, 'hi', 'k1', ?, ?)", [iso(now), iso(now)])
        db.execute("INSERT INTO monitors (brand, playbook_id, open_room, status, created_at, updated_at)"
                   " VALUES (?, 'x', 'offer', 'active', ?, ?)", [BRAND, iso(now), iso(now)])
        db.execute("INSERT INTO playbook_versions (playbook_id, version, sha256, title, text, source,"
                   " created_by, created_at) VALUES ('x', 1, 'abc', ?, 'body', 'editor', 'root', ?)",
                   [PLAYBOOK_TITLE, iso(now)])
    accounts.assign(db, now, "monitor", 1, brand_b.id, "root")
    accounts.assign(db, now, "playbook", "x", brand_b.id, "root")
    accounts.assign(db, now, "connector", 1, brand_b.id, "root")
    return {"admin": admin, "insider": insider, "outsider": outsider, "room": room}


def _walk(app, name):
    client = app.test_client()
    csrf = login_client(client, name)
    answers = []
    for rule, method in routes(app):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "warroom_public", False) or rule.endpoint == "static":
            continue  # bearer, signed or token links: their own credentials (test_security_routes)
        if rule.endpoint == "auth.logout":
            continue  # would end the walk's own session
        resp = client.open(sample_url(rule), method=method,
                           headers={"Accept": "application/json", "X-CSRF-Token": csrf})
        answers.append((rule, method, resp))
    return answers


def test_an_outsider_is_refused_every_route_and_no_answer_leaks(app, world):
    problems = []
    answers = _walk(app, "outsider")
    for rule, method, resp in answers:
        names_object = set(rule.arguments) - NOT_OBJECTS
        body = resp.get_data(as_text=True)
        if names_object and resp.status_code not in (403, 404):
            problems.append(f"{method} {rule.rule} -> {resp.status_code}")
        for secret in (SECRET, BRAND, PLAYBOOK_TITLE):
            if secret in body:
                problems.append(f"{method} {rule.rule} leaks {secret!r}")
        assert resp.status_code < 500, (rule.rule, body[:300])
    assert len(answers) > 60
    assert problems == []


def test_the_member_and_the_admin_do_see_it(app, world):
    for name in ("insider", "root"):
        client = app.test_client()
        login_client(client, name)
        assert SECRET in client.get("/rooms/1").text
        assert SECRET in client.get("/").text
        assert [r["title"] for r in client.get("/api/v1/rooms").json["rooms"]] == [SECRET]
        assert client.get("/rooms/1/export.json").status_code == 200
        assert PLAYBOOK_TITLE in client.get("/playbooks").text
        assert BRAND in client.get("/monitors").text


def test_a_team_room_is_seen_by_its_team_only(app, db, now, world):
    """Not private, but brand-b's: brand-b's members see it, brand-a's do not."""
    accounts.set_private(db, now, 1, False, "root")
    team_mate = make_user(db, "teammate", "viewer")
    accounts.set_user_teams(db, now, team_mate.id, ["brand-b"], "root")
    assert accounts.may_see_room(db, accounts.get_user(db, team_mate.id), 1)
    assert not accounts.may_see_room(db, world["outsider"], 1)
    client = app.test_client()
    login_client(client, "teammate")
    assert client.get("/rooms/1").status_code == 200
    other = app.test_client()
    login_client(other, "outsider")
    assert other.get("/rooms/1").status_code == 404


def test_an_installation_wide_room_is_everyones(db, now, world):
    """Existing rooms have no team row: nothing changes for them."""
    room = rooms.open_room(db, now, world["admin"], "Public outage")
    assert accounts.may_see_room(db, world["outsider"], room.id)
    assert accounts.may_see_room(db, world["insider"], room.id)


def test_every_grant_is_an_event(db, world):
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE kind LIKE 'team.%' OR kind LIKE 'access.%'")]
    assert kinds.count("team.created") == 2
    assert kinds.count("team.member_added") == 2
    assert kinds.count("access.team_assigned") == 4
    assert kinds.count("access.room_private") == 1
    assert kinds.count("access.member_added") == 1


def test_socket_join_and_commands_are_refused_to_an_outsider(app, world):
    _client, sc = sock(app, "outsider")
    assert call(sc, "join", {"room": 1}) == {"error": "no room 1"}
    assert call(sc, "presence.ping", {"room": 1}) == {"error": "no room 1"}
    assert call(sc, "mention.claim", {"mention_id": 1}) == {"error": "not found"}
    assert call(sc, "draft.submit", {"draft_id": 1}) == {"error": "not found"}
    assert call(sc, "escalation.ack", {"escalation": 1}) == {"error": "not found"}
    _c2, member = sock(app, "insider")
    assert call(member, "join", {"room": 1})["ok"] is True


def test_lobby_news_of_a_private_room_reaches_members_and_admins_only(app, db, now, world):
    _c1, outsider = sock(app, "outsider")
    _c2, insider = sock(app, "insider")
    _c3, admin = sock(app, "root")
    for sc in (outsider, insider, admin):
        sc.get_received("/board")
    publisher = Publisher(app.extensions["warroom_open_db"],
                               live.socket_emitter(app.extensions["socketio"], app.extensions["warroom_open_db"]),
                               poll_ms=50)
    publisher.last_id = events.last_id(db)
    rooms.close_room(db, now, world["admin"], 1)                       # room.closed: lobby news
    marker = rooms.open_room(db, now, world["admin"], "Public marker")  # everyone's
    accounts.add_team(db, now, "brand-c", "root")                       # a grant: admins only
    publisher.flush(db)

    def got(sc):
        return [(e["kind"], e["room"]) for e in board_events(sc.get_received("/board"))]

    seen = {"outsider": got(outsider), "insider": got(insider), "admin": got(admin)}
    assert seen["outsider"] == [("room.opened", marker.id)]
    assert seen["insider"] == [("room.closed", 1), ("room.opened", marker.id)]
    assert seen["admin"] == [("room.closed", 1), ("room.opened", marker.id), ("team.created", None)]


SLACK_SECRET = "access-test-signing-secret"


def _slack(client, user_id: str, text: str) -> str:
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier

    body = urlencode({"user_id": user_id, "text": text, "command": "/warroom"})
    ts = str(int(time.time()))  # Slack's 5-minute window is checked against the real clock
    sig = SignatureVerifier(SLACK_SECRET).generate_signature(timestamp=ts, body=body)
    resp = client.post("/slack/commands", data=body, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200, resp.text
    return resp.json["text"]


def test_slack_commands_refuse_an_outsider(app, world, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SLACK_SECRET)
    client = app.test_client()
    assert _slack(client, "UOUTSIDER", "page 1 why") == "No room 1."
    assert _slack(client, "UOUTSIDER", "ack 1") == "Could not acknowledge: no escalation 1."
    status = _slack(client, "UOUTSIDER", "status")
    assert SECRET not in status and status.startswith("0 war room(s) open, 0 escalation(s)")
    assert "Which escalation? Open: none" in _slack(client, "UOUTSIDER", "ack")
    # the member is answered as before
    assert SECRET in _slack(client, "UINSIDER", "status")
