"""A board whose first loads fail (a busy server answers 503) loads itself
again, after the server's Retry-After, in a real Chromium against a real
server; before, it stayed without its state until the socket reconnected,
and later it backed off 1, 2, 4, 8 s whatever the server had said."""

from __future__ import annotations

import re

import pytest

from warroom import rooms
from warroom.clock import utcnow
from warroom.responses import routing

from ..conftest import add_mention, browser_login, make_user, mention_sel, open_board, wait_until

pytestmark = pytest.mark.e2e


# Every text the composer's status line shows, recorded from before board.js runs.
STATUS_LOG = """
window.statusLog = [];
new MutationObserver(function () {
  var s = document.getElementById("composer-status");
  if (s && s.textContent && window.statusLog[window.statusLog.length - 1] !== s.textContent) {
    window.statusLog.push(s.textContent);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def test_the_board_retries_a_failed_first_load_after_the_servers_retry_after(server, browser):
    db = server.db()
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, utcnow(), lead, "Busy")
    db.close()
    context = browser.new_context()
    context.add_init_script(STATUS_LOG)
    page = browser_login(context, server, "lead")
    refused = []

    def busy_three_times(route):
        # the first loads (page start, socket connect) and one retry meet a busy store
        if len(refused) < 3:
            refused.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"},
                          body='{"error": "the database is busy; retry shortly"}')
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/rooms/\d+/board$"), busy_three_times)
    open_board(page, server, room.id)  # waits until the board knows who is looking
    assert len(refused) == 3
    assert page.evaluate("() => window.warroomBoard.state.me.name") == "lead"
    # the error goes once the whole reload is in (the mentions and the chart
    # may still be on their way when the board's state has come)
    page.wait_for_function("() => document.getElementById('composer-status').textContent === ''")
    # Each wait was the 1 s the server asked for (back-off alone says 1, 2, 4 s).
    waits = [t.rsplit("trying again in ", 1)[-1] for t in page.evaluate("() => window.statusLog")]
    assert waits and set(waits) == {"1 s"}, waits


def test_a_snapshot_that_left_the_server_before_an_event_does_not_undo_it(server, browser):
    """The board's state read (``/board``) races the live events: one answered
    before an assignment and delivered after it must not take it away."""
    db = server.db()
    lead = make_user(db, "lead", "lead")
    make_user(db, "vol", "responder")
    room = rooms.open_room(db, utcnow(), lead, "Race")
    mention = add_mention(db, room.id, utcnow())
    db.close()
    page = browser_login(browser.new_context(), server, "lead")
    open_board(page, server, room.id)
    page.wait_for_selector(mention_sel(mention))
    held = []

    def answer_now_deliver_later(route):
        held.append((route, route.fetch()))  # the server answers now; the page sees it when we say

    page.route(re.compile(r"/api/v1/rooms/\d+/board$"), answer_now_deliver_later)
    page.evaluate("() => { window.reloaded = false; window.warroomBoard.reload().then(() => { window.reloaded = true; }); }")
    # (the route handler runs while this thread is inside a Playwright call)
    wait_until(lambda: (page.evaluate("1"), held)[1], what="the board's state read")

    db = server.db()
    routing.assign(db, utcnow(), lead, mention, "vol")  # after the snapshot was read
    db.close()
    page.wait_for_function(f"() => window.warroomBoard.state.assignments[{mention}] === 'vol'")

    route, stale = held[0]
    route.fulfill(response=stale)
    page.wait_for_function("() => window.reloaded")  # the stale snapshot is applied
    assert stale.json()["assignments"] == []  # it was read before the assignment
    assert page.evaluate(f"() => window.warroomBoard.state.assignments[{mention}]") == "vol"
    assert "assigned to vol" in page.inner_text(mention_sel(mention))


def test_a_socket_that_connected_before_board_js_ran_still_gets_the_board_loaded(server, browser):
    """room.js's socket can connect and join while board.js is still
    downloading; the board skipped its own load then and waited for a connect
    event that had already passed, so it never loaded (seen in CI runs)."""
    db = server.db()
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, utcnow(), lead, "Slow script")
    db.close()
    page = browser_login(browser.new_context(), server, "lead")
    held = []
    page.route(re.compile(r"/static/board\.js"), lambda route: held.append(route))
    page.goto(f"{server.url}/rooms/{room.id}", wait_until="commit")
    wait_until(lambda: (page.evaluate("1"), held)[1], what="the request for board.js")
    page.wait_for_selector("#live-state.on")  # joined while board.js has not run
    assert page.evaluate("() => window.warroomSocket.connected && window.warroomBoard === undefined")
    held[0].continue_()
    page.wait_for_function("() => window.warroomBoard && window.warroomBoard.state.me !== null")
    assert page.evaluate("() => window.warroomBoard.state.me.name") == "lead"
