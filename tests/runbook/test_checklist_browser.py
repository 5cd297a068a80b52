"""Two real browsers on one room's board: a tick in one shows in the other
at once (the checklist.item_done event re-renders both panels), and so does
unticking."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import browser_login, make_user, open_board
from warroom import playbooks, rooms
from warroom.clock import utcnow

pytestmark = pytest.mark.e2e
KLM = (Path(__file__).resolve().parents[2] / "playbooks" / "mass-disruption.md").read_text()
ITEM = '#checklist li.checklist-item[data-item="{}"]'


def test_ticks_from_two_browsers_show_live(server, browser):
    db = server.db()
    try:
        lead = make_user(db, "lead", "lead")
        make_user(db, "vol", "responder")
        room = rooms.open_room(db, utcnow(), lead, "Ash cloud", playbook=playbooks.parse(KLM, "klm.md"))
    finally:
        db.close()
    pages = []
    for name in ("lead", "vol"):
        page = browser_login(browser.new_context(viewport={"width": 1280, "height": 900}), server, name)
        open_board(page, server, room.id)
        page.click("#tab-checklist")
        pages.append(page)
    lead_page, vol_page = pages
    assert vol_page.locator(ITEM.format(1) + " .checklist-text").inner_text().startswith("Post the holding statement")

    lead_page.check(ITEM.format(1) + " input.checklist-tick")
    vol_page.wait_for_selector(ITEM.format(1) + '[data-state="done"]', timeout=10000)
    assert "done by lead" in vol_page.locator(ITEM.format(1)).inner_text()

    vol_page.check(ITEM.format(4) + " input.checklist-tick")
    lead_page.wait_for_selector(ITEM.format(4) + '[data-state="done"]', timeout=10000)
    assert "done by vol" in lead_page.locator(ITEM.format(4)).inner_text()

    vol_page.uncheck(ITEM.format(1) + " input.checklist-tick")
    lead_page.wait_for_selector(ITEM.format(1) + '[data-state="open"]', timeout=10000)
    assert not lead_page.locator(ITEM.format(1) + " input.checklist-tick").is_checked()
    # the rhythm's countdown runs on the board
    assert "(in " in lead_page.locator("#checklist .rhythm-countdown").first.inner_text()
