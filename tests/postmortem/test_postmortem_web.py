"""Post-mortem on the web: export downloads by role, the lessons editor, and
"save lessons and close" (Flask test client against the real app and SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import login_client, make_user
from warroom import accounts, events, rooms
from warroom.postmortem import lessons

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "warroom" / "postmortem" / "postmortem.schema.json").read_text())


@pytest.fixture
def room(db, now):
    for name, role in (("adam", "admin"), ("lea", "lead"), ("ann", "approver"), ("rob", "responder"),
                       ("vic", "viewer")):
        make_user(db, name, role)
    lead = accounts.find_user(db, "lea")
    return rooms.open_room(db, now, lead, "Outage <b>bold</b>", "the app is down")


def client_for(app, name):
    client = app.test_client()
    csrf = login_client(client, name)
    return client, csrf


def test_export_is_forbidden_below_lead(app, room):
    for name in ("vic", "rob", "ann"):  # viewer, responder, approver
        client, _ = client_for(app, name)
        for fmt in ("md", "html", "json"):
            resp = client.get(f"/rooms/{room.id}/export.{fmt}")
            assert resp.status_code == 403, (name, fmt)
            assert "Post-mortem" not in resp.text


def test_export_needs_a_session(app, room):
    resp = app.test_client().get(f"/rooms/{room.id}/export.json")
    assert resp.status_code in (302, 401)
    assert "total_mentions" not in resp.text


@pytest.mark.parametrize("name", ["lea", "adam"])
def test_leads_and_admins_download_every_format(app, room, name):
    client, _ = client_for(app, name)  # lead, admin
    md = client.get(f"/rooms/{room.id}/export.md")
    assert md.status_code == 200 and md.headers["Content-Type"].startswith("text/markdown")
    assert "attachment" in md.headers["Content-Disposition"] and ".md" in md.headers["Content-Disposition"]
    assert md.text.startswith("# Post-mortem: Outage &lt;b&gt;bold&lt;/b&gt;")
    html = client.get(f"/rooms/{room.id}/export.html")
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in html.headers["Content-Security-Policy"]
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert "<b>bold</b>" not in html.text and html.text.count("<svg") == 3
    doc = client.get(f"/rooms/{room.id}/export.json")
    assert doc.status_code == 200 and doc.headers["Content-Type"] == "application/json"
    jsonschema.Draft202012Validator(SCHEMA).validate(doc.json)
    assert doc.json["room"]["id"] == room.id and doc.json["summary"]["total_mentions"] == 0
    assert client.get(f"/rooms/{room.id}/export.pdf").status_code == 404
    assert client.get("/rooms/999/export.json").status_code == 404


def test_lessons_are_versioned_and_only_leads_write_them(app, db, room):
    rob, rob_csrf = client_for(app, "rob")
    resp = rob.post(f"/rooms/{room.id}/lessons", json={"lessons": "x"}, headers={"X-CSRF-Token": rob_csrf})
    assert resp.status_code == 403

    lea, csrf = client_for(app, "lea")
    assert lea.post(f"/rooms/{room.id}/lessons", json={"lessons": "no token"}).status_code in (400, 403)
    for bad in (["a list"], {"lessons": 42}):
        resp = lea.post(f"/rooms/{room.id}/lessons", json=bad, headers={"X-CSRF-Token": csrf})
        assert resp.status_code == 400 and resp.json["field"] == "lessons", bad
    empty = lea.post(f"/rooms/{room.id}/lessons", json={"lessons": "  "}, headers={"X-CSRF-Token": csrf})
    assert empty.status_code == 422 and empty.json["field"] == "lessons"
    first = lea.post(f"/rooms/{room.id}/lessons", json={"lessons": "Answer faster"},
                     headers={"X-CSRF-Token": csrf})
    assert first.status_code == 200 and first.json["lessons"]["version"] == 1
    again = lea.post(f"/rooms/{room.id}/lessons", json={"lessons": "Answer faster"},
                     headers={"X-CSRF-Token": csrf})
    assert again.json["lessons"]["version"] == 1  # same text is not a new version
    form = lea.post(f"/rooms/{room.id}/lessons", data={"lessons": "Answer faster\nand kinder",
                                                       "csrf_token": csrf})
    assert form.status_code == 302 and form.headers["Location"].endswith("#postmortem")
    versions = lessons.lesson_versions(db, room.id)
    assert [(v.version, v.author, v.text) for v in versions] == [
        (1, "lea", "Answer faster"), (2, "lea", "Answer faster\nand kinder")]
    saved = [e for e in events.timeline(db, room.id) if e.kind == "postmortem.lessons_saved"]
    assert [(e.actor, e.data["version"]) for e in saved] == [("lea", 1), ("lea", 2)]
    assert rooms.get_room(db, room.id).status == "open"


def test_closing_with_lessons_closes_the_room_in_one_step(app, db, room):
    lea, csrf = client_for(app, "lea")
    resp = lea.post(f"/rooms/{room.id}/lessons", data={"lessons": "Staff the night shift",
                                                       "close": "1", "csrf_token": csrf})
    assert resp.status_code == 302
    assert rooms.get_room(db, room.id).status == "closed"
    kinds = [e.kind for e in events.timeline(db, room.id)]
    assert kinds[-2:] == ["postmortem.lessons_saved", "room.closed"]
    again = lea.post(f"/rooms/{room.id}/lessons", json={"lessons": "more", "close": True},
                     headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409
    assert len(lessons.lesson_versions(db, room.id)) == 1  # the refused close saved nothing
    page = lea.get(f"/rooms/{room.id}")
    assert "This room is closed: download the post-mortem." in page.text
    doc = lea.get(f"/rooms/{room.id}/export.json").json
    assert doc["lessons"]["text"] == "Staff the night shift" and doc["summary"]["closed_at"]


def test_room_page_panel_by_role(app, room):
    lea, _ = client_for(app, "lea")
    page = lea.get(f"/rooms/{room.id}").text
    assert f'data-panel-url="/rooms/{room.id}/postmortem/panel"' in page
    assert 'data-refresh-on="postmortem. room."' in page
    assert f'href="/rooms/{room.id}/export.html"' in page and 'name="lessons"' in page
    assert "Save lessons and close room" in page and "postmortem.js" in page
    vic, _ = client_for(app, "vic")
    page = vic.get(f"/rooms/{room.id}").text
    assert 'id="postmortem"' in page
    assert "/export." not in page and 'name="lessons"' not in page
    fragment = vic.get(f"/rooms/{room.id}/postmortem/panel")
    assert fragment.status_code == 200 and "<h2>Post-mortem</h2>" in fragment.text
    assert "<section" not in fragment.text
