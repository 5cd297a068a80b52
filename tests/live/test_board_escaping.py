"""Hostile mention text on the live board stays text: no tag, no handler runs."""

from __future__ import annotations

import pytest
import requests

from warroom.clock import utcnow
from warroom.listening import tokens

from ..conftest import browser_login, make_user, mention_sel, open_board

pytestmark = pytest.mark.e2e

HOSTILE = ('<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
           '<b onmouseover="window.__pwned=3">bold</b> your airline lost my bag')


def test_html_in_mention_text_is_shown_as_text(server, browser):  # noqa: F811
    db = server.db()
    make_user(db, "lead", "lead")
    db.close()
    http = server.login("lead")
    resp = http.post(server.url + "/rooms", data={"title": "Hostile"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    db = server.db()
    _row, token = tokens.create(db, utcnow(), "twitter", room_id)
    db.close()

    page = browser_login(browser.new_context(), server, "lead")
    open_board(page, server, room_id)
    posted = requests.post(f"{server.url}/api/v1/rooms/{room_id}/mentions", json={
        "external_id": "x1", "source": "twitter", "author": "<i>@mallory</i>", "text": HOSTILE,
        "url": "https://example.org/1", "created_at": utcnow().isoformat(),
    }, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert posted.status_code == 202, posted.text
    mid = requests.get(f"{server.url}/api/v1/rooms/{room_id}/mentions", cookies=http.cookies,
                       timeout=10).json()["mentions"][-1]["id"]
    item = page.wait_for_selector(mention_sel(mid), timeout=5000)
    assert "<script>window.__pwned=2</script>" in item.inner_text()
    assert "<i>@mallory</i>" in item.inner_text()
    assert item.query_selector("img, script, b, i") is None
    assert page.evaluate("() => window.__pwned") is None
