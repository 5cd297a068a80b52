"""Browser-free API tests (Flask test client, real SQLite file): sign-up,
withdrawal, swap and hand-over, roles (403 for a viewer) and CSRF; the room
panel in the viewer's time zone; the personal iCalendar feed."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from warroom import accounts, events, rooms, roster
from warroom.clock import utcnow

from ..conftest import login_client, make_user


@pytest.fixture
def world(app, db):
    now = utcnow()
    lead = make_user(db, "lena", "lead")
    for name in ("ann", "bob"):
        make_user(db, name, "responder")
    make_user(db, "vic", "viewer")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    start = now.replace(minute=0, second=0, microsecond=0)
    slots = roster.create_slots(db, now, room.id, [("Tweep", 2)], 4, start, span_hours=12)
    return room, slots


def client_for(app, name):
    c = app.test_client()
    csrf = login_client(c, name)
    return c, {"X-CSRF-Token": csrf}


def post(c, headers, url, body):
    return c.post(url, json=body, headers=headers)


def test_sign_up_and_withdraw(app, db, world):
    room, (s1, s2, s3) = world
    base = f"/api/v1/rooms/{room.id}/roster"
    ann, h = client_for(app, "ann")
    ok = post(ann, h, f"{base}/signup", {"slot_id": s1.id})
    assert ok.status_code == 200, ok.json
    assert ok.json["slot"]["people"] == ["ann"] and ok.json["slot"]["missing"] == 1
    again = post(ann, h, f"{base}/signup", {"slot_id": s1.id})
    assert again.status_code == 409 and again.json["field"] == "slot_id"
    bad = post(ann, h, f"{base}/signup", {"slot_id": "one"})
    assert bad.status_code == 400 and bad.json["field"] == "slot_id"
    missing = post(ann, h, f"{base}/signup", {"slot_id": 99999})
    assert missing.status_code == 404
    huge = post(ann, h, f"{base}/signup", {"slot_id": 10**30})
    assert huge.status_code == 400 and huge.json["field"] == "slot_id"
    assert post(ann, h, f"/api/v1/rooms/{10**30}/roster/signup", {"slot_id": 1}).status_code == 404
    assert ann.get(f"/api/v1/rooms/{10**30}/roster").status_code == 404
    assert post(ann, h, f"{base}/swaps/{10**30}/accept", {}).status_code == 404
    not_object = ann.post(f"{base}/signup", data="[1]", content_type="application/json", headers=h)
    assert not_object.status_code == 400 and not_object.json["field"] == "body"
    # no CSRF token: refused, nothing changes
    no_csrf = ann.post(f"{base}/signup", json={"slot_id": s2.id})
    assert no_csrf.status_code == 403 and no_csrf.json["field"] == "csrf_token"
    assert roster.people_on(db, s2.id) == []
    # a viewer may look but not sign up
    vic, hv = client_for(app, "vic")
    assert post(vic, hv, f"{base}/signup", {"slot_id": s2.id}).status_code == 403
    assert vic.get(base).status_code == 200
    # withdraw
    out = post(ann, h, f"{base}/withdraw", {"slot_id": s1.id})
    assert out.status_code == 200 and out.json["slot"]["people"] == []
    again = post(ann, h, f"{base}/withdraw", {"slot_id": s1.id})
    assert again.status_code == 409
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert kinds[-2:] == ["roster.signed_up", "roster.withdrawn"]


def test_panel_forms_redirect_back_to_the_room(app, db, world):
    room, (s1, *_rest) = world
    ann, h = client_for(app, "ann")
    resp = ann.post(f"/rooms/{room.id}/roster/signup",
                    data={"slot_id": s1.id, "csrf_token": h["X-CSRF-Token"]})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/rooms/{room.id}#roster")
    assert [u.name for u in roster.people_on(db, s1.id)] == ["ann"]
    forged = ann.post(f"/rooms/{room.id}/roster/withdraw", data={"slot_id": s1.id})
    assert forged.status_code == 403
    assert [u.name for u in roster.people_on(db, s1.id)] == ["ann"]


def test_lead_assigns_and_extends_viewer_and_responder_cannot(app, db, world):
    room, (s1, s2, s3) = world
    base = f"/api/v1/rooms/{room.id}/roster"
    ann, h = client_for(app, "ann")
    assert post(ann, h, f"{base}/assign", {"slot_id": s1.id, "user": "bob"}).status_code == 403
    assert post(ann, h, f"{base}/extend", {"shifts": 2}).status_code == 403
    lena, hl = client_for(app, "lena")
    assert post(lena, hl, f"{base}/assign", {"slot_id": s1.id, "user": "nobody"}).json["field"] == "user"
    done = post(lena, hl, f"{base}/assign", {"slot_id": s1.id, "user": "bob"})
    assert done.status_code == 200 and done.json["slot"]["people"] == ["bob"]
    ext = post(lena, hl, f"{base}/extend", {"shifts": 2})
    assert ext.status_code == 200 and len(ext.json["created"]) == 2
    assert ext.json["created"][0]["starts_at"] == s3.ends_at
    assert post(lena, hl, f"{base}/extend", {"shifts": 100}).json["field"] == "shifts"


def test_swap_by_agreement_and_by_lead(app, db, world):
    room, (s1, s2, s3) = world
    base = f"/api/v1/rooms/{room.id}/roster"
    ann, ha = client_for(app, "ann")
    bob, hb = client_for(app, "bob")
    post(ann, ha, f"{base}/signup", {"slot_id": s1.id})
    post(bob, hb, f"{base}/signup", {"slot_id": s2.id})
    offer = post(ann, ha, f"{base}/swaps", {"slot_id": s1.id, "with_user": "bob", "with_slot_id": s2.id})
    assert offer.status_code == 200, offer.json
    swap_id = offer.json["swap"]["id"]
    listed = ann.get(base).json["swaps"]
    assert [w["id"] for w in listed] == [swap_id]
    # ann cannot accept her own offer; a viewer cannot either
    assert post(ann, ha, f"{base}/swaps/{swap_id}/accept", {}).status_code == 403
    vic, hv = client_for(app, "vic")
    assert post(vic, hv, f"{base}/swaps/{swap_id}/accept", {}).status_code == 403
    accepted = post(bob, hb, f"{base}/swaps/{swap_id}/accept", {})
    assert accepted.status_code == 200 and accepted.json["swap"]["status"] == "accepted"
    assert [u.name for u in roster.people_on(db, s1.id)] == ["bob"]
    assert [u.name for u in roster.people_on(db, s2.id)] == ["ann"]
    # the lead swaps them back without asking
    assert post(ann, ha, f"{base}/swap", {"slot_id": s1.id, "user": "bob", "with_user": "ann",
                                          "with_slot_id": s2.id}).status_code == 403
    lena, hl = client_for(app, "lena")
    back = post(lena, hl, f"{base}/swap", {"slot_id": s1.id, "user": "bob", "with_user": "ann",
                                           "with_slot_id": s2.id})
    assert back.status_code == 200 and back.json["slot"]["people"] == ["ann"]
    assert [u.name for u in roster.people_on(db, s2.id)] == ["bob"]


def test_handover_over_the_api(app, db, world):
    room, (s1, s2, s3) = world
    base = f"/api/v1/rooms/{room.id}/roster"
    ann, ha = client_for(app, "ann")
    bob, hb = client_for(app, "bob")
    post(ann, ha, f"{base}/signup", {"slot_id": s1.id})
    post(bob, hb, f"{base}/signup", {"slot_id": s2.id})
    assert post(bob, hb, f"{base}/handover", {"slot_id": s1.id, "note": "x"}).status_code == 403
    bad = post(ann, ha, f"{base}/handover", {"slot_id": s1.id, "open_items": [1, 2]})
    assert bad.status_code == 422 and bad.json["field"] == "open_items"
    made = post(ann, ha, f"{base}/handover", {
        "slot_id": s1.id, "note": "Busy <b>night</b>", "open_items": ["DM @pia re KL1234"],
        "promises": ["Refund status to @jo by 18:00"]})
    assert made.status_code == 200 and made.json["note"]["for_slot_id"] == s2.id
    mine = bob.get(base).json["handover_for_you"]
    assert [n["promises"] for n in mine] == [["Refund status to @jo by 18:00"]]
    assert ann.get(base).json["handover_for_you"] == []
    # bob's panel shows it first, escaped
    page = bob.get(f"/rooms/{room.id}/roster/panel").text
    assert page.index("Hand-over for your shift") < page.index("Coverage")
    assert "Busy &lt;b&gt;night&lt;/b&gt;" in page and "<b>night" not in page
    ev = events.timeline(db, room.id)[-1]
    assert ev.kind == "roster.handover_note" and ev.data["open_items"] == ["DM @pia re KL1234"]


def test_panel_shows_times_in_the_viewers_zone(app, db, world):
    room, (s1, *_rest) = world
    ann, h = client_for(app, "ann")
    bad = post(ann, h, "/api/v1/me/settings", {"tz": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json["field"] == "tz"
    assert post(ann, h, "/api/v1/me/settings", {"tz": "Asia/Kolkata"}).json["tz"] == "Asia/Kolkata"
    page = ann.get(f"/rooms/{room.id}").text
    assert f'data-panel-url="/rooms/{room.id}/roster/panel"' in page
    assert 'data-refresh-on="roster. oncall."' in page
    start = datetime.fromisoformat(s1.starts_at.replace("Z", "+00:00"))
    end = datetime.fromisoformat(s1.ends_at.replace("Z", "+00:00"))
    a, b = start + timedelta(hours=5, minutes=30), end + timedelta(hours=5, minutes=30)
    right = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%a %H:%M")
    assert f"{a:%a %H:%M}–{right} IST" in page and "Asia/Kolkata" in page
    # the settings page changes it with a CSRF-protected form
    form = ann.post("/me/settings", data={"tz": "Europe/Amsterdam", "csrf_token": h["X-CSRF-Token"]})
    assert form.status_code == 303
    assert ann.get("/api/v1/me/settings").json["tz"] == "Europe/Amsterdam"
    assert ann.post("/me/settings", data={"tz": "UTC"}).status_code == 403


def test_calendar_feed(app, db, world):
    room, (s1, s2, s3) = world
    base = f"/api/v1/rooms/{room.id}/roster"
    ann, h = client_for(app, "ann")
    post(ann, h, f"{base}/signup", {"slot_id": s1.id})
    post(ann, h, f"{base}/signup", {"slot_id": s3.id})
    assert ann.get("/me/shifts.ics").status_code == 404
    made = ann.post("/api/v1/me/feed-token", headers=h).json
    token = made["token"]
    assert made["url"].endswith(f"/me/shifts.ics?token={token}")
    anonymous = app.test_client()
    feed = anonymous.get(f"/me/shifts.ics?token={token}")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(feed.data)
    vevents = [c for c in cal.walk("VEVENT")]
    assert len(vevents) == 2
    got = sorted((v.decoded("DTSTART"), v.decoded("DTEND")) for v in vevents)
    want = sorted((datetime.fromisoformat(s.starts_at.replace("Z", "+00:00")),
                   datetime.fromisoformat(s.ends_at.replace("Z", "+00:00"))) for s in (s1, s3))
    assert got == want
    assert all(v.decoded("DTSTART").tzinfo is not None and
               v.decoded("DTSTART").utcoffset() == timedelta(0) for v in vevents)
    assert {str(v["SUMMARY"]) for v in vevents} == {"Tweep shift: Ash cloud"}
    assert anonymous.get("/me/shifts.ics?token=wrong").status_code == 404
    # a new token replaces the old one
    newer = ann.post("/api/v1/me/feed-token", headers=h).json["token"]
    assert anonymous.get(f"/me/shifts.ics?token={token}").status_code == 404
    assert anonymous.get(f"/me/shifts.ics?token={newer}").status_code == 200
    # bob has no shifts: an empty but valid calendar
    bob, hb = client_for(app, "bob")
    bob_token = bob.post("/api/v1/me/feed-token", headers=hb).json["token"]
    empty = icalendar.Calendar.from_ical(anonymous.get(f"/me/shifts.ics?token={bob_token}").data)
    assert list(empty.walk("VEVENT")) == []


def test_feed_includes_on_call_turns(tmp_path, db):
    from warroom import config as configmod
    from warroom.roster import oncall, shiftfeed

    (tmp_path / "c.toml").write_text(
        '[oncall]\npeople = "dana, eli"\nrotation_days = 7\ntimezone = "Europe/Amsterdam"\n'
        'start = "2026-03-02"\n')
    rot = oncall.load_rotation(configmod.load(tmp_path / "c.toml", env={}))
    dana = make_user(db, "dana", "lead")
    now = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    cal = icalendar.Calendar.from_ical(shiftfeed.calendar(db, dana, now, rot))
    turns = [v for v in cal.walk("VEVENT") if "ON-CALL" in v.to_ical().decode()]
    expected = [t for t in oncall.turns(rot, now - shiftfeed.PAST, now + shiftfeed.AHEAD)
                if t.user == "dana"]
    assert len(turns) == len(expected) >= 4
    starts = sorted(v.decoded("DTSTART") for v in turns)
    assert starts == [t.starts for t in expected]
    # 09:00 Amsterdam: 08:00Z in winter, 07:00Z in summer
    assert {s.hour for s in starts} == {7, 8}


def test_oncall_api_without_rotation(app, db):
    make_user(db, "vic", "viewer")
    vic, _ = client_for(app, "vic")
    assert vic.get("/api/v1/oncall").json == {"configured": False, "turns": [], "now": None,
                                              "error": None}
    assert vic.get("/api/v1/oncall?days=x").json["field"] == "days"


def _app_with(tmp_path, **env):
    from warroom import config as configmod
    from warroom.app import create_app

    settings = configmod.load(None, env={"WARROOM_DB_PATH": str(tmp_path / "o.db"),
                                         "WARROOM_SECRET_KEY": "k", **env})
    app = create_app(settings)
    app.config["TESTING"] = True
    return app, settings


def test_on_call_on_the_panel_and_a_broken_rotation_file(tmp_path):
    from warroom import db as dbmod

    app, settings = _app_with(tmp_path, WARROOM_ONCALL_PEOPLE="dana",
                              WARROOM_ONCALL_TIMEZONE="Europe/Amsterdam")
    conn = dbmod.connect(settings.db_url)
    try:
        lead = make_user(conn, "lena", "lead")
        room = rooms.open_room(conn, utcnow(), lead, "Storm")
    finally:
        conn.close()
    lena, _ = client_for(app, "lena")
    panel = lena.get(f"/rooms/{room.id}/roster/panel").text
    assert "Duty lead on call: <strong>dana</strong>" in panel
    now = lena.get("/api/v1/oncall?days=14").json
    assert now["configured"] is True and now["now"]["user"] == "dana"
    assert len(now["turns"]) in (2, 3)
    # a broken on-call file: the board still works and says why
    (tmp_path / "bad.toml").write_text('people = ["dana"]\ntimezone = "Atlantis/Capital"\n')
    broken, _ = _app_with(tmp_path / "b", WARROOM_ONCALL_FILE=str(tmp_path / "bad.toml"))
    conn = dbmod.connect(tmp_path / "b" / "o.db")
    try:
        lead = make_user(conn, "lena", "lead")
        room = rooms.open_room(conn, utcnow(), lead, "Storm")
    finally:
        conn.close()
    lena, _ = client_for(broken, "lena")
    panel = lena.get(f"/rooms/{room.id}/roster/panel")
    assert panel.status_code == 200 and "bad.toml:2: oncall.timezone" in panel.text
    body = lena.get("/api/v1/oncall").json
    assert body["configured"] is False and "bad.toml:2" in body["error"]


def test_feed_escapes_and_folds_text(db):
    from warroom.roster import shiftfeed

    now = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    lead = make_user(db, "lena", "lead")
    title = 'Ash, cloud; "KLM" \\ stranded passengers at Schiphol and everywhere élse ' * 2
    room = rooms.open_room(db, now, lead, title.strip())
    (slot,) = roster.create_slots(db, now, room.id, [("Tweep", 1)], 4, now, span_hours=4)
    roster.sign_up(db, now, lead, slot.id)
    text = shiftfeed.calendar(db, lead, now, None)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Tweep shift: {title.strip()}"
    assert str(event["DESCRIPTION"]).splitlines()[0] == f"War room: {title.strip()}"
    assert event.decoded("DTSTART") == now and event.decoded("DTEND") == now + timedelta(hours=4)


def test_calendar_feed_leaves_out_rooms_the_person_can_no_longer_see(app, db, world):
    room, (s1, _s2, _s3) = world
    ann, h = client_for(app, "ann")
    assert post(ann, h, f"/api/v1/rooms/{room.id}/roster/signup", {"slot_id": s1.id}).status_code < 300
    token = ann.post("/api/v1/me/feed-token", headers=h).json["token"]
    feed = app.test_client().get(f"/me/shifts.ics?token={token}")
    assert b"Ash cloud" in feed.data
    accounts.set_private(db, utcnow(), room.id, True, "lena")  # ann is not a named member
    hidden = app.test_client().get(f"/me/shifts.ics?token={token}")
    assert hidden.status_code == 200 and b"Ash cloud" not in hidden.data
    assert list(icalendar.Calendar.from_ical(hidden.data).walk("VEVENT")) == []
