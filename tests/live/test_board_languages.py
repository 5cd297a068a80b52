"""Languages end to end: mentions posted through the ingestion API get their
language detected by the real server, a language sentiment cannot read is
stored and shown as unknown (not neutral), and the /volume answer leaves it
out of the negative share."""

from __future__ import annotations

import pytest
import requests

from warroom.clock import utcnow
from warroom.listening import tokens

from ..conftest import browser_login, make_user, mention_sel, open_board

pytestmark = pytest.mark.e2e

POSTS = [
    ("pl1", "Mój lot został odwołany i nikt nie odpowiada na telefon"),
    ("fr1", "Vol annulé, deux heures au téléphone et toujours aucune réponse"),
    ("de1", "Danke, das Team war super freundlich und hilfsbereit!"),
]


def test_unknown_language_is_shown_as_such(server, browser):  # noqa: F811
    db = server.db()
    make_user(db, "lead", "lead")
    db.close()
    http = server.login("lead")
    resp = http.post(server.url + "/rooms", data={"title": "Global"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    db = server.db()
    _row, token = tokens.create(db, utcnow(), "twitter", room_id)
    db.close()

    page = browser_login(browser.new_context(), server, "lead")
    open_board(page, server, room_id)
    posted = requests.post(f"{server.url}/api/v1/rooms/{room_id}/mentions", json=[
        {"external_id": ext, "source": "twitter", "author": f"@{ext}", "text": text, "url": "",
         "created_at": utcnow().isoformat()} for ext, text in POSTS
    ], headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert posted.status_code == 202, posted.text
    listed = requests.get(f"{server.url}/api/v1/rooms/{room_id}/mentions", cookies=http.cookies,
                          timeout=10).json()["mentions"]
    got = {m["external_id"]: m for m in listed}
    assert [(got[e]["lang"], got[e]["sentiment_label"]) for e, _ in POSTS] == [
        ("pl", "unknown"), ("fr", "negative"), ("de", "positive")]

    badge = page.wait_for_selector(mention_sel(got["pl1"]["id"]) + " .badge.sentiment", timeout=5000)
    assert badge.inner_text() == "unknown (pl)"
    assert "unknown" in (badge.get_attribute("class") or "")
    fr = page.wait_for_selector(mention_sel(got["fr1"]["id"]) + " .badge.sentiment", timeout=5000)
    assert fr.inner_text().startswith("negative -0.")

    vol = requests.get(f"{server.url}/api/v1/rooms/{room_id}/volume", cookies=http.cookies, timeout=10).json()
    assert (vol["total"], vol["negative"], vol["unknown"]) == (3, 1, 1)
    assert vol["negative_share"] == 0.5  # 1 negative of the 2 read, not of 3
