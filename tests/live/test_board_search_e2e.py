"""The board in real Chromium against a real server: each mention says why it
ranks where it does (reach, negative, waiting), and a search the server
cannot read shows its message and leaves the queue as it was. Searching by a
word and by a handle, and Clear, are in issue 14's walk
(tests/live/test_queue_walk_e2e.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from warroom.clock import iso, utcnow
from warroom.listening import tokens

from ..conftest import browser_login, make_user, mention_sel, open_board

pytestmark = pytest.mark.e2e


def test_the_why_of_a_mention_and_a_search_the_server_cannot_read(server, browser):
    db = server.db()
    make_user(db, "lead", "lead")
    db.close()
    http = server.login("lead")
    resp = http.post(server.url + "/rooms", data={"title": "Search"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    db = server.db()
    _row, token = tokens.create(db, utcnow(), "twitter", room_id)
    db.close()
    at = iso(utcnow() - timedelta(minutes=1))
    posts = [
        {"external_id": "1", "author": "@anna_k", "text": "My suitcase never arrived, terrible service",
         "followers": 250_000},
        {"external_id": "2", "author": "@bob", "text": "Lovely crew on the Oslo flight today", "followers": 12},
        {"external_id": "3", "author": "@carl", "text": "Where is my suitcase? Third day waiting", "followers": 40},
    ]
    posted = requests.post(f"{server.url}/api/v1/rooms/{room_id}/mentions",
                           json=[{**p, "source": "twitter", "url": "", "created_at": at} for p in posts],
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert posted.status_code == 202, posted.text

    page = browser_login(browser.new_context(), server, "lead")
    open_board(page, server, room_id)
    page.wait_for_selector(mention_sel(3), timeout=5000)

    # why: the big account's complaint names its reach and its negativity
    why = page.inner_text(mention_sel(1) + " .why")
    assert "reach: 250,000 followers" in why and "negative" in why
    assert page.query_selector(mention_sel(2) + " .why") is None     # nothing lifts a small, happy post

    page.fill("#queue-search", '"suitcase')
    page.press("#queue-search", "Enter")
    page.wait_for_function("() => document.getElementById('queue-search-error').textContent !== ''")
    assert "unclosed quote" in page.inner_text("#queue-search-error")
    # the queue stays: the same three, in its own order (reach and negativity first)
    ids = [int(li.get_attribute("data-mention-id")) for li in page.query_selector_all("#mention-list li.mention")]
    assert len(ids) == 3 and ids[0] == 1
    assert page.is_hidden("#queue-search-clear")                      # nothing to clear: no search is shown
