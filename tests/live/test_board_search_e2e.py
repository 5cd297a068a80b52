"""The board in real Chromium against a real server: the queue's search box
finds mentions by a word and by a handle (rendered like the queue), a bad
query shows the server's message, Clear brings the queue back; and each
mention says why it ranks where it does (reach, negative, waiting)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from warroom.clock import iso, utcnow
from warroom.listening import tokens

from .. import pg_server
from ..conftest import browser_login, make_user, mention_sel, open_board

pytestmark = [pytest.mark.e2e, pg_server.needs_pg_fts]


def test_search_by_word_and_handle_and_the_why_of_a_mention(server, browser):
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

    def shown():
        return [int(li.get_attribute("data-mention-id"))
                for li in page.query_selector_all("#mention-list li.mention")]

    page.fill("#queue-search", "suitcase")
    page.click("#queue-search-form button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 2")
    assert shown() == [3, 1]
    assert "found for" in page.inner_text("#queue-count")
    assert page.query_selector(mention_sel(3) + " .claim-btn") is not None   # rendered like the queue

    page.fill("#queue-search", "@bob")
    page.press("#queue-search", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 1")
    assert shown() == [2]

    page.fill("#queue-search", '"suitcase')
    page.press("#queue-search", "Enter")
    page.wait_for_function("() => document.getElementById('queue-search-error').textContent !== ''")
    assert "unclosed quote" in page.inner_text("#queue-search-error")

    page.click("#queue-search-clear")
    page.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 3")
    assert shown()[0] == 1            # the queue's own order again: reach and negativity first
