"""A board whose first loads fail (a busy server answers 503) loads itself
again with back-off, in a real Chromium against a real server; before, it
stayed without its state until the socket reconnected."""

from __future__ import annotations

import re

import pytest

from warroom import rooms
from warroom.clock import utcnow

from ..conftest import browser_login, make_user, open_board

pytestmark = pytest.mark.e2e


def test_the_board_retries_a_failed_first_load(server, browser):
    db = server.db()
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, utcnow(), lead, "Busy")
    db.close()
    page = browser_login(browser.new_context(), server, "lead")
    refused = []

    def busy_twice(route):
        if len(refused) < 2:  # both first loads (page start, socket connect) meet a busy store
            refused.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"},
                          body='{"error": "the database is busy; retry shortly"}')
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/rooms/\d+/board$"), busy_twice)
    open_board(page, server, room.id)  # waits until the board knows who is looking
    assert len(refused) == 2
    assert page.evaluate("() => window.warroomBoard.state.me.name") == "lead"
    assert page.text_content("#composer-status") == ""  # the error went with the retry
