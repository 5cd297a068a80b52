"""POST /api/v1/rooms/<id>/mentions through the Flask app (real SQLite file,
real sentiment): each input form, each bad input class with its status and a
field-naming message and nothing stored, duplicates, the rate limit, and the
board's mention and volume reads."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXED_NOW, login_client, make_user
from warroom import db as dbmod
from warroom import rooms
from warroom.clock import iso, utcnow
from warroom.listening import tokens


def rec(i, **kw):
    return {"external_id": f"t{i}", "source": "twitter", "author": f"a{i}",
            "text": f"Flight {i} cancelled, stuck at the gate", "url": f"https://example.invalid/{i}",
            "created_at": iso(utcnow()), **kw}


@pytest.fixture
def setup(app, settings):
    db = dbmod.connect(settings.db_url)
    lead = make_user(db, "lena", "lead", now=FIXED_NOW)
    room = rooms.open_room(db, FIXED_NOW, lead, "Swarm", status="monitoring")
    other = rooms.open_room(db, FIXED_NOW, lead, "Other")
    _t, secret = tokens.create(db, FIXED_NOW, "twitter", room.id, rate_per_minute=1000)
    _o, other_secret = tokens.create(db, FIXED_NOW, "twitter", other.id)
    yield {"db": db, "room": room.id, "other": other.id, "secret": secret, "other_secret": other_secret,
           "client": app.test_client()}
    db.close()


def post(s, body, secret=None, room=None, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return s["client"].post(f"/api/v1/rooms/{room or s['room']}/mentions", data=data,
                            headers={"Authorization": f"Bearer {secret or s['secret']}"},
                            content_type=content_type)


def stored(s):
    return s["db"].execute("SELECT COUNT(*) FROM mentions").fetchone()[0]


def test_object_array_and_ndjson(setup):
    r = post(setup, rec(1))
    assert r.status_code == 202 and r.json == {"accepted": 1, "duplicates": 0, "spikes": 0}
    r = post(setup, [rec(2), rec(3), rec(1)])
    assert r.status_code == 202 and r.json["accepted"] == 2 and r.json["duplicates"] == 1
    nd = "\n".join(json.dumps(rec(i)) for i in (4, 5, 2)) + "\n\n"
    r = post(setup, nd, content_type="application/x-ndjson")
    assert r.status_code == 202 and (r.json["accepted"], r.json["duplicates"]) == (2, 1)
    # NDJSON sent as application/json is recognised too
    r = post(setup, json.dumps(rec(6)) + "\n" + json.dumps(rec(7)))
    assert r.status_code == 202 and r.json["accepted"] == 2
    assert stored(setup) == 7
    kinds = [r[0] for r in setup["db"].execute("SELECT kind FROM events WHERE room_id = ?", [setup["room"]])]
    assert kinds.count("mentions.received") == 4


@pytest.mark.parametrize("body,ctype,status,field,row", [
    ("{not json", "application/json", 400, "body", None),
    ("", "application/json", 400, "body", None),
    ('{"a": 1}\nnope\n', "application/x-ndjson", 400, "body", 2),
    ('"just a string"', "application/json", 422, "body", None),
    ([{"x": 1}], "application/json", 422, "external_id", 1),
    ("wrong-type", "application/json", 422, "row", 2),
    ("missing-field", "application/json", 422, "text", 2),
    ("bad-timestamp", "application/json", 422, "created_at", 2),
    ("field-type", "application/json", 422, "followers", 2),
    ("long-text", "application/json", 413, "text", 2),
])
def test_bad_input_stores_nothing(setup, body, ctype, status, field, row):
    good = rec(1)
    special = {
        "wrong-type": [good, ["not", "an", "object"]],
        "missing-field": [good, {k: v for k, v in rec(2).items() if k != "text"}],
        "bad-timestamp": [good, rec(2, created_at="24/02/2015 11:35")],
        "field-type": [good, rec(2, followers=-3)],
        "long-text": [good, rec(2, text="x" * 10_001)],
    }
    r = post(setup, special[body] if isinstance(body, str) and body in special else body,
             content_type=ctype)
    assert r.status_code == status, r.json
    assert r.json["field"] == field and r.json["error"]
    assert r.json.get("row") == row
    if row:
        assert f"row {row}" in r.json["error"]
    assert stored(setup) == 0


def test_oversized_body_and_too_many_rows(app, setup, settings):
    from dataclasses import replace

    app.extensions["warroom"] = replace(settings, ingest=replace(settings.ingest, max_body_bytes=2000, max_rows=3))
    r = post(setup, [rec(i, text="y" * 500) for i in range(5)])
    assert r.status_code == 413 and r.json["field"] == "body"
    r = post(setup, [rec(i) for i in range(4)])
    assert r.status_code == 413 and "at most 3" in r.json["error"]
    assert stored(setup) == 0


def test_wrong_and_other_rooms_token(setup):
    r = setup["client"].post(f"/api/v1/rooms/{setup['room']}/mentions", json=rec(1))
    assert r.status_code == 401 and r.json["field"] == "Authorization"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = post(setup, rec(1), secret="wr_not-a-token")
    assert r.status_code == 401
    r = post(setup, rec(1), secret=setup["other_secret"])
    assert r.status_code == 403 and r.json["field"] == "Authorization"
    r = post(setup, rec(1, source="facebook"))
    assert r.status_code == 422 and r.json["field"] == "source"
    assert stored(setup) == 0


AT = "2026-03-29T08:59:00Z"


def test_rate_limit_429(setup, monkeypatch):
    # The clock is fixed (09:00:20), so the minute window is exact.
    from datetime import timedelta

    from warroom.web import ingest as ingest_web

    monkeypatch.setattr(ingest_web, "utcnow", lambda: FIXED_NOW + timedelta(seconds=20))
    db = setup["db"]
    token, secret = tokens.create(db, FIXED_NOW, "rss", setup["room"], rate_per_minute=2)
    # a refused body is not counted: it never reaches the store
    assert post(setup, "{not json", secret=secret).status_code == 400
    codes = [post(setup, [rec(i, source="rss", created_at=AT)], secret=secret).status_code for i in range(3)]
    assert codes == [202, 202, 429]
    r = post(setup, [rec(10, source="rss", created_at=AT)], secret=secret)
    assert r.status_code == 429 and r.headers["Retry-After"] == "40"
    assert r.json["field"] == "Authorization"
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE source = 'rss'").fetchone()[0] == 2
    monkeypatch.setattr(ingest_web, "utcnow", lambda: FIXED_NOW + timedelta(minutes=1))
    assert post(setup, [rec(11, source="rss", created_at=AT)], secret=secret).status_code == 202  # a new window


def test_rate_is_charged_in_the_storing_transaction(setup):
    """A batch that is rolled back (here: the room closed meanwhile) is not counted."""
    from warroom.listening import mentions
    from warroom.listening.sentiment import Scorer

    db = setup["db"]
    token, _secret = tokens.create(db, FIXED_NOW, "rss", setup["room"], rate_per_minute=1)

    def charge(tx_db):
        tokens.charge(tx_db, FIXED_NOW, token, 600)

    batch = mentions.validate([rec(20, source="rss", created_at=AT)], FIXED_NOW, mentions.Limits(text=1000))
    mentions.ingest(db, FIXED_NOW, setup["room"], batch, Scorer(), charge=charge)
    assert tokens.wait_seconds(db, FIXED_NOW, token, 600) == 60
    with pytest.raises(tokens.OverRate):
        mentions.ingest(db, FIXED_NOW, setup["room"], batch, Scorer(), charge=charge)
    lead = make_user(db, "carl", "lead")
    other, _ = tokens.create(db, FIXED_NOW, "rss2", setup["room"], rate_per_minute=1)

    def charge_then_close(tx_db):  # the room closes inside the storing transaction
        tokens.charge(tx_db, FIXED_NOW, other, 600)
        rooms.close_room(tx_db, FIXED_NOW, lead, setup["room"])

    with pytest.raises(mentions.RoomNotListening):
        mentions.ingest(db, FIXED_NOW, setup["room"], batch, Scorer(), charge=charge_then_close)
    assert tokens.wait_seconds(db, FIXED_NOW, other, 600) == 0  # rolled back with the batch
    assert rooms.get_room(db, setup["room"]).closed_at is None


def test_closed_room_409(setup):
    lead = make_user(setup["db"], "cora", "lead")
    rooms.close_room(setup["db"], FIXED_NOW, lead, setup["room"])
    r = post(setup, rec(1))
    assert r.status_code == 409 and r.json["field"] == "room"


def test_board_reads_need_a_session(setup):
    c = setup["client"]
    post(setup, [rec(1), rec(2, text="Great crew, thank you!"), rec(3)])
    assert c.get(f"/api/v1/rooms/{setup['room']}/mentions").status_code == 401
    assert c.get(f"/api/v1/rooms/{setup['room']}/volume").status_code == 401
    make_user(setup["db"], "vic", "viewer")
    login_client(c, "vic")
    page = c.get(f"/api/v1/rooms/{setup['room']}/mentions?limit=2").json
    assert [m["external_id"] for m in page["mentions"]] == ["t1", "t2"] and page["more"] is True
    rest = c.get(f"/api/v1/rooms/{setup['room']}/mentions?after={page['last_id']}").json
    assert [m["external_id"] for m in rest["mentions"]] == ["t3"] and rest["more"] is False
    assert rest["mentions"][0]["sentiment_label"] == "negative"
    assert c.get(f"/api/v1/rooms/{setup['room']}/mentions?limit=0").json["field"] == "limit"
    vol = c.get(f"/api/v1/rooms/{setup['room']}/volume?minutes=5").json
    assert len(vol["minutes"]) == 5 and vol["total"] == 3 and vol["negative"] == 2
    assert vol["negative_share"] == round(2 / 3, 4)
    assert c.get(f"/api/v1/rooms/{setup['room']}/volume?minutes=x").status_code == 400


def test_openapi_documents_ingest(setup):
    doc = setup["client"].get("/api/v1/openapi.json").json
    post_op = doc["paths"]["/api/v1/rooms/{room_id}/mentions"]["post"]
    assert post_op["security"] == [{"bearer": []}]
    assert {"202", "400", "401", "403", "413", "422", "429"} <= set(post_op["responses"])
    assert "get" in doc["paths"]["/api/v1/rooms/{room_id}/volume"]


@pytest.mark.e2e
def test_real_server_token_post_and_read(server):
    """The whole path once through a real `run.py serve` process and real HTTP."""
    import requests

    server.add_user("lena", "lead")
    s = server.login("lena")
    made = s.post(server.url + "/rooms", data={"title": "Live swarm", "status": "monitoring"},
                  allow_redirects=False)
    assert made.status_code in (302, 303), made.text
    room_id = s.get(server.url + "/api/v1/rooms").json()["rooms"][0]["id"]
    tok = server.cli("token", "add", "Twitter", "--room", str(room_id))
    assert tok.returncode == 0, tok.stderr
    secret = tok.stdout.splitlines()[-1]
    url = f"{server.url}/api/v1/rooms/{room_id}/mentions"
    nd = "\n".join(json.dumps(rec(i, source="TWITTER")) for i in range(3))
    r = requests.post(url, data=nd, headers={"Authorization": f"Bearer {secret}",
                                             "Content-Type": "application/x-ndjson"}, timeout=10)
    assert r.status_code == 202 and r.json()["accepted"] == 3, r.text
    assert requests.post(url, json=rec(0), headers={"Authorization": f"Bearer {secret}"},
                         timeout=10).json() == {"accepted": 0, "duplicates": 1, "spikes": 0}
    # a browser session cannot post mentions: no token, no entry
    assert s.post(url, json=rec(9)).status_code == 401
    page = s.get(url).json()
    assert [m["source"] for m in page["mentions"]] == ["twitter"] * 3
    events = s.get(f"{server.url}/api/v1/rooms/{room_id}/events").json()["events"]
    assert [e["data"]["count"] for e in events if e["kind"] == "mentions.received"] == [3]
