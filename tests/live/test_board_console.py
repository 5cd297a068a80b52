"""Issue 19's board defects in real Chromium: one server and one browser for
the module (each costs seconds on two cores), a fresh room per test."""

from __future__ import annotations

import re
import time

import pytest
import requests

from warroom import accounts, responses, rooms
from warroom.clock import utcnow
from warroom.listening import tokens
from warroom.playbooks import store as playbook_store

from ..conftest import (
    GOOD,
    ROOT,
    Server,
    add_mention,
    browser_login,
    command,
    launch_chromium,
    make_user,
    mention_sel,
    open_board,
)

pytestmark = pytest.mark.e2e

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("console")).start()
    db = server.db()
    try:
        for name, role in (("lead", "lead"), ("vol", "responder"), ("appr", "approver")):
            make_user(db, name, role)
        playbook_store.import_files(db, utcnow(), [ROOT / "playbooks" / "mass-disruption.md"], actor="test")
    finally:
        db.close()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def _db(srv):
    return srv.db()


def _room(srv, title="Ash cloud", playbook="mass-disruption") -> int:
    db = _db(srv)
    try:
        lead = accounts.find_user(db, "lead")
        pb = playbook_store.latest_playbook(db, playbook) if playbook else None
        return rooms.open_room(db, utcnow(), lead, title, "", playbook=pb).id
    finally:
        db.close()


def _page(chromium, srv, name, width=1280, height=900):
    ctx = chromium.new_context(viewport={"width": width, "height": height})
    return browser_login(ctx, srv, name)


def test_chart_is_refetched_while_a_storm_streams(srv, chromium):
    """Defect 1: a 1 s debounce restarted by every batch never fired during a storm."""
    room_id = _room(srv, playbook=None)
    db = _db(srv)
    try:
        _row, token = tokens.create(db, utcnow(), "twitter", room_id)
    finally:
        db.close()
    page = _page(chromium, srv, "lead")
    open_board(page, srv, room_id)
    # counted in the page (resource timing): Playwright's own events arrive late
    t0 = page.evaluate("() => { performance.setResourceTimingBufferSize(100000); return performance.now(); }")
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < 5:  # a batch every 0.2 s for 5 s: a steady storm
        batch = [{"external_id": f"s{n}-{i}", "author": "@x", "text": "cancelled again, awful",
                  "created_at": "2026-11-22T10:00:00Z", "url": ""} for i in range(5)]
        n += 1
        r = requests.post(f"{srv.url}/api/v1/rooms/{room_id}/mentions", json=batch,
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 202, r.text
        time.sleep(0.2)
    t1 = page.evaluate("() => performance.now()")
    during = page.evaluate("([a, b]) => performance.getEntriesByType('resource').filter(e =>"
                           " e.name.includes('/volume') && e.startTime >= a && e.startTime <= b).length",
                           [t0, t1])
    # The acceptance: at least one chart update every 2 s of the storm.
    assert during >= 3, f"{during} /volume fetches in 5 s of streaming"
    page.context.close()


def test_phone_roster_keeps_every_role_column(srv, chromium):
    """Defect 2: a global max-width:600px rule hid every table's third column."""
    room_id = _room(srv)
    page = _page(chromium, srv, "vol", 390, 844)
    open_board(page, srv, room_id)
    page.click("#tab-roster")
    third = page.locator("#roster table.shifts thead th").nth(2)
    assert third.inner_text() == "Facebooker"
    assert third.is_visible()
    assert page.locator("#roster table.shifts tbody tr").first.locator("td").nth(2).locator(
        "button", has_text="Sign up").is_visible()
    page.context.close()


def test_closed_room_offers_no_claim_reply_or_fact_change(srv, chromium):
    """Defect 5: a closed room still offered Claim/Reply, and facts.update was accepted."""
    room_id = _room(srv, playbook=None)
    db = _db(srv)
    try:
        mid = add_mention(db, room_id, utcnow())
        lead = accounts.find_user(db, "lead")
        fact, _ = rooms.facts.update_fact(db, utcnow(), lead, room_id, "Schiphol is closed.")
        rooms.close_room(db, utcnow(), lead, room_id)
    finally:
        db.close()
    page = _page(chromium, srv, "lead")
    open_board(page, srv, room_id)
    page.wait_for_selector(mention_sel(mid))
    # nothing that changes the record: reading the author's conversation stays
    assert [b.get_attribute("class") for b in page.locator(mention_sel(mid) + " button").all()] == [
        "small secondary convo-btn"]
    assert page.locator("#fact-list .insert-btn, #fact-list button").count() == 0
    assert page.locator("#fact-form").is_hidden()
    assert "closed" in page.inner_text("#room-closed-note").lower()
    answer = command(page, "facts.update", {"room": room_id, "fact_id": fact.id, "text": "Open again."})
    assert "closed" in answer.get("error", ""), answer
    page.context.close()


def test_published_reply_is_shown_and_answered_filter_finds_it(srv, chromium):
    """Defects 10 and 12a: the published text was nowhere; no Answered filter."""
    room_id = _room(srv, playbook=None)
    db = _db(srv)
    try:
        now = utcnow()
        mid = add_mention(db, room_id, now)
        vol = accounts.find_user(db, "vol")
        lead = accounts.find_user(db, "lead")
        d = responses.save_draft(db, now, vol, room_id, GOOD, mention_id=mid)
        responses.submit(db, now, vol, d.id)
        responses.approve(db, now, lead, d.id, responses.get_draft(db, d.id).revision)
        responses.publish(db, now, vol, d.id)
        for i in range(3):
            add_mention(db, room_id, now, text=f"other {i}")
    finally:
        db.close()
    page = _page(chromium, srv, "vol")
    open_board(page, srv, room_id)
    page.wait_for_selector(mention_sel(mid) + " .published-reply")
    assert GOOD in page.inner_text(mention_sel(mid) + " .published-reply")
    page.click('#queue .filter[data-filter="answered"]')
    page.wait_for_function("() => document.querySelectorAll('#mention-list li.mention').length === 1")
    assert page.locator(mention_sel(mid)).count() == 1
    page.context.close()


def test_times_stay_local_after_a_panel_refresh_and_on_the_rooms_list(srv, chromium):
    """Defect 7 (raw ISO after a live refresh, and on the rooms list) and 8 (the
    reason given with "Page now" was never shown)."""
    room_id = _room(srv, title="Times room")
    page = _page(chromium, srv, "lead")
    page.goto(srv.url + "/")
    for t in page.locator("time").all():
        assert not ISO.search(t.inner_text()), t.inner_text()
    open_board(page, srv, room_id)
    http = srv.login("lead")
    r = http.post(f"{srv.url}/api/v1/rooms/{room_id}/page", json={"note": "storm on the Schiphol hashtag"})
    assert r.status_code in (200, 201), r.text
    # the panel is fetched again on escalation.* and shows the reason
    page.click("#tab-escalation")
    page.wait_for_selector("#escalation article.escalation", timeout=10000)
    assert "storm on the Schiphol hashtag" in page.inner_text("#escalation")
    times = page.locator("#escalation time").all()
    assert times
    for t in times:
        assert not ISO.search(t.inner_text()), t.inner_text()
    page.context.close()


def test_timeline_filters_by_kind_and_person(srv, chromium):
    """Issue 19: a timeline of raw kinds, flooded; now filtered by kind and person."""
    room_id = _room(srv, title="Filter room", playbook=None)
    db = _db(srv)
    try:
        lead = accounts.find_user(db, "lead")
        rooms.facts.update_fact(db, utcnow(), lead, room_id, "Schiphol is closed.")
    finally:
        db.close()
    page = _page(chromium, srv, "lead")
    open_board(page, srv, room_id)
    page.click("#tab-timeline")
    db = _db(srv)
    try:  # a live event by another person, after the page loaded
        mid = add_mention(db, room_id, utcnow())
        responses.save_draft(db, utcnow(), accounts.find_user(db, "vol"), room_id, GOOD, mention_id=mid)
    finally:
        db.close()
    page.wait_for_selector("#feed li .actor:text-is('vol')")
    page.select_option("#feed-kind", "facts")
    shown = page.locator("#feed li:visible")
    assert shown.count() >= 1
    assert all(k.startswith("facts.") for k in shown.locator(".kind").all_inner_texts())
    assert page.locator("#feed li:not(:visible)").count() >= 1  # room.opened at least
    page.select_option("#feed-kind", "")
    page.select_option("#feed-actor", "lead")
    assert set(page.locator("#feed li:visible .actor").all_inner_texts()) == {"lead"}
    page.select_option("#feed-actor", "vol")
    assert set(page.locator("#feed li:visible .actor").all_inner_texts()) == {"vol"}
    page.context.close()
