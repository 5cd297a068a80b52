"""Channels and assignment in Chromium: each mention shows its source, the
queue filters by channel, a Tweep on shift sees Twitter first, and a lead
assigns a mention to a volunteer whose own board (another browser context)
shows the assignee and an alert live; "Assigned to me" keeps only theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from warroom import playbooks, rooms, roster
from warroom.clock import iso, utcnow
from warroom.listening import tokens

from ..conftest import ROOT, browser_login, make_user, mention_sel, open_board

pytestmark = pytest.mark.e2e

MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()


def _ids(page) -> list[str]:
    return page.eval_on_selector_all("#mention-list li.mention .author", "els => els.map(e => e.textContent)")


def test_filter_by_channel_and_assign_to_a_volunteer_who_sees_it_live(server, browser):
    db = server.db()
    try:
        lead = make_user(db, "lena", "lead")
        vic = make_user(db, "vic", "responder")
        now = utcnow()
        room = rooms.open_room(db, now, lead, "Ash cloud", playbook=playbooks.parse(MASS, "mass-disruption.md"))
        slot = next(s for s in roster.slots(db, room.id)
                    if s.role == "Tweep" and s.starts_at <= iso(now) < s.ends_at)
        roster.sign_up(db, now, vic, slot.id)  # vic is a Tweep on shift now
        _r, tw = tokens.create(db, now, "twitter", room.id)
        _r, fb = tokens.create(db, now, "facebook", room.id)
    finally:
        db.close()

    old = iso(now - timedelta(minutes=30))
    post = [("twitter", tw, {"external_id": "t1", "author": "@tim", "text": "Any news about flights today?",
                             "created_at": iso(now), "url": ""}),
            # older, angry and widely followed: the most urgent by the plain order
            ("facebook", fb, {"external_id": "f1", "author": "Fay", "text": "Cancelled again, awful service!",
                              "created_at": old, "url": "", "followers": 90000})]

    lena = browser_login(browser.new_context(), server, "lena")
    vic_page = browser_login(browser.new_context(), server, "vic")
    open_board(lena, server, room.id)
    open_board(vic_page, server, room.id)
    for _source, token, item in post:
        r = requests.post(f"{server.url}/api/v1/rooms/{room.id}/mentions", json=[item],
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 202, r.text
    for page in (lena, vic_page):
        page.wait_for_selector("#mention-list li.mention >> nth=1", timeout=5000)

    # The source is on every mention.
    fay = lena.locator("#mention-list li.mention", has_text="Fay")
    assert fay.locator(".badge.channel").inner_text() == "facebook"
    # The lead (on no shift) sees the plain urgency order; the Tweep on shift sees Twitter first.
    assert _ids(lena) == ["Fay", "@tim"]
    assert _ids(vic_page) == ["@tim", "Fay"]
    assert "twitter, bluesky, mastodon" in vic_page.inner_text("#my-channels")

    # Filter by channel: each source present is offered.
    options = lena.eval_on_selector_all("#channel-filter option", "els => els.map(e => e.value)")
    assert options == ["all", "facebook", "twitter"]
    lena.select_option("#channel-filter", "facebook")
    lena.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 1")
    assert _ids(lena) == ["Fay"]
    lena.select_option("#channel-filter", "all")
    lena.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 2")

    # The lead assigns Tim's mention to vic; vic's board shows the assignee and an alert, live.
    tim = int(lena.locator("#mention-list li.mention", has_text="@tim").get_attribute("data-mention-id"))
    lena.select_option(mention_sel(tim) + " select.assign-to", "vic")
    lena.wait_for_selector(mention_sel(tim) + " .badge.assignee:has-text('assigned to vic')", timeout=5000)
    vic_page.wait_for_selector(mention_sel(tim) + " .badge.assignee:has-text('assigned to vic')", timeout=5000)
    toast = vic_page.wait_for_selector("#alerts .toast-mention", timeout=5000)
    assert "A mention for you: Ash cloud" in toast.inner_text() and f"#{tim}" in toast.inner_text()
    assert lena.locator("#alerts .toast-mention").count() == 0  # the lead is not alerted
    # Only a lead is offered the assignment control.
    assert vic_page.locator(mention_sel(tim) + " select.assign-to").count() == 0

    # "Assigned to me" keeps vic's mention only.
    vic_page.click("#queue .filter[data-filter=assigned]")
    vic_page.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 1")
    assert _ids(vic_page) == ["@tim"]

    # Unassigned, it leaves vic's filtered queue live.
    lena.click(mention_sel(tim) + " .unassign-btn")
    vic_page.wait_for_selector("#queue-empty:not([hidden])", timeout=5000)
