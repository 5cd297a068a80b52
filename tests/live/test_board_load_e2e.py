"""Loading a big room's board in Chromium: the mentions come in few large
pages, fetched once (not once for the page load and again for the socket's
first connect), and the board sets the performance marks bench/board.py reads."""

from __future__ import annotations

import pytest

from warroom import accounts, rooms
from warroom.clock import iso, utcnow
from warroom.listening import mentions, sentiment

from ..conftest import PASSWORD, browser_login

pytestmark = pytest.mark.e2e


def test_a_room_of_6000_mentions_loads_in_two_requests_and_marks_paint_and_interactive(server, browser):
    db = server.db()
    now = utcnow()
    lead = accounts.add_user(db, now, "lena", "lead", PASSWORD)
    room = rooms.open_room(db, now, lead, "Big room")
    scorer = sentiment.Scorer()
    rows = [mentions.NewMention("twitter", f"t{i}", f"@u{i}", f"flight {i} cancelled, nobody answers", "",
                                iso(now), "en", i) for i in range(6000)]
    mentions.ingest(db, now, room.id, rows, scorer)
    db.close()

    page = browser_login(browser.new_context(), server, "lena")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if f"/api/v1/rooms/{room.id}/mentions" in r.url else None)
    page.goto(f"{server.url}/rooms/{room.id}")
    page.wait_for_function("() => performance.getEntriesByName('warroom:interactive').length > 0", timeout=30000)
    assert len(asked) == 2, asked  # 5,000 then 1,000; before: pages of 1,000, each chain twice
    assert all("limit=5000" in u for u in asked)
    paint, interactive = page.evaluate(
        "() => ['warroom:queue-painted', 'warroom:interactive'].map(n => performance.getEntriesByName(n)[0].startTime)")
    assert 0 < paint <= interactive
    assert page.locator("#mention-list li.mention").count() == 200
    assert "6000" in page.inner_text("#queue-count")
