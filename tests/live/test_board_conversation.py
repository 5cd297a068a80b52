"""Issue 19 in real Chromium: a mention's author's conversation on the board,
and a timeline that folds ingest batches into one live row. One server and
one browser for the module, a fresh room per test."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from warroom import accounts, responses, rooms
from warroom.clock import iso, utcnow
from warroom.db import transaction
from warroom.listening import tokens

from ..conftest import (
    GOOD,
    Server,
    browser_login,
    launch_chromium,
    make_user,
    mention_sel,
    open_board,
    rev,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("convo")).start()
    db = server.db()
    try:
        for name, role in (("lead", "lead"), ("vol", "responder"), ("appr", "approver")):
            make_user(db, name, role)
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


def _room(db, title):
    return rooms.open_room(db, utcnow(), accounts.find_user(db, "lead"), title, "").id


def _mention(db, room_id, author, text, ext, source="bluesky", later_s: float = 0):
    at = iso(utcnow() + timedelta(seconds=later_s))  # posted that long from now
    with transaction(db):
        return db.execute(
            "INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at, received_at,"
            " sentiment, sentiment_label) VALUES (?, ?, ?, ?, ?, '', ?, ?, -0.5, 'negative')",
            [room_id, source, ext, author, text, at, at]).lastrowid


def test_a_mentions_conversation_opens_from_the_queue_and_follows_live(srv, chromium):
    db = srv.db()
    try:
        room_id = _room(db, "Ash cloud")
        t0 = utcnow() - timedelta(minutes=1)  # a second apart, in the past: the conversation orders by time

        def at(k):
            return t0 + timedelta(seconds=k)

        first = _mention(db, room_id, "@ana", "my flight is cancelled", "a1", later_s=-60)
        _mention(db, room_id, "@bob", "mine too", "b1", later_s=-60)
        vol, appr = accounts.find_user(db, "vol"), accounts.find_user(db, "appr")
        d = responses.save_draft(db, at(1), vol, room_id, GOOD, mention_id=first)
        responses.submit(db, at(2), vol, d.id)
        responses.approve(db, at(3), appr, d.id, rev(db, d.id))
        responses.publish(db, at(4), vol, d.id)
        second = _mention(db, room_id, "@Ana", "still stuck at the gate", "a2", later_s=-55)
        responses.save_draft(db, at(6), vol, room_id, "Ana, we are on it: an update by 6pm.", mention_id=second)
    finally:
        db.close()
    page = browser_login(chromium.new_context(viewport={"width": 1280, "height": 900}), srv, "lead")
    open_board(page, srv, room_id)
    page.locator(mention_sel(second) + " .convo-btn").click()
    page.wait_for_selector("#convo-list li")
    assert page.locator("#conversation").is_visible()          # its tab was brought forward
    assert page.locator("#tab-conversation").get_attribute("aria-selected") == "true"
    rows = page.locator("#convo-list li")
    assert [rows.nth(i).get_attribute("class").split()[0] for i in range(rows.count())] == [
        "convo-mention", "convo-reply", "convo-mention", "convo-reply"]
    assert GOOD in rows.nth(1).inner_text() and "published" in rows.nth(1).inner_text()
    assert "draft" in rows.nth(3).inner_text()
    assert "mine too" not in page.locator("#convo-list").inner_text()   # @bob is not @ana
    assert "@ana on bluesky" in page.locator("#convo-who").inner_text().lower()
    # a new post of theirs joins the open conversation live
    db = srv.db()
    try:
        _row, token = tokens.create(db, utcnow(), "bluesky", room_id)
    finally:
        db.close()
    r = requests.post(f"{srv.url}/api/v1/rooms/{room_id}/mentions", timeout=10,
                      headers={"Authorization": f"Bearer {token}"},
                      json=[{"external_id": "a3", "author": "@ana", "text": "hello? anyone?", "url": "",
                             "created_at": iso(utcnow())}])
    assert r.status_code == 202, r.text
    page.wait_for_function("() => document.querySelectorAll('#convo-list li.convo-mention').length === 3",
                           timeout=10000)
    assert "hello? anyone?" in page.locator("#convo-list li.convo-mention").nth(2).inner_text()
    page.context.close()


def _post(srv, room_id, token, n, tag):
    batch = [{"external_id": f"{tag}-{i}", "author": f"@p{i}", "text": "cancelled again", "url": "",
              "created_at": iso(utcnow())} for i in range(n)]
    r = requests.post(f"{srv.url}/api/v1/rooms/{room_id}/mentions", json=batch, timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202, r.text


def _batch_rows(page):
    return page.locator("#feed li.batch")


def test_the_timeline_folds_ingest_batches_into_one_live_row(srv, chromium):
    db = srv.db()
    try:
        room_id = _room(db, "Storm")
        _r, twitter = tokens.create(db, utcnow(), "twitter", room_id)
        _r, facebook = tokens.create(db, utcnow(), "facebook", room_id)
    finally:
        db.close()
    page = browser_login(chromium.new_context(viewport={"width": 1280, "height": 900}), srv, "lead")
    open_board(page, srv, room_id)
    page.click("#tab-timeline")
    before = page.locator("#feed li").count()
    for i in range(12):   # a drill's steady stream: 12 batches from two sources, 36 mentions
        _post(srv, room_id, twitter if i % 2 else facebook, 3, f"s{i}")
    page.wait_for_function("() => { const r = document.querySelector('#feed li.batch');"
                           " return r && r.dataset.count === '36'; }", timeout=15000)
    assert _batch_rows(page).count() == 1
    assert page.locator("#feed li").count() == before + 1          # not twelve rows
    text = _batch_rows(page).first.locator(".summary").inner_text()
    assert text == "36 mentions received (from facebook, twitter) in 12 batches"
    # another event ends the run; the next batches start a new row
    db = srv.db()
    try:
        rooms.facts.update_fact(db, utcnow(), accounts.find_user(db, "lead"), room_id, "Schiphol is closed.")
    finally:
        db.close()
    page.wait_for_selector("#feed li.kind-facts-updated")
    for i in range(3):
        _post(srv, room_id, twitter, 2, f"t{i}")
    page.wait_for_function("() => { const r = document.querySelector('#feed li.batch');"
                           " return r && r.dataset.count === '6'; }", timeout=15000)
    assert _batch_rows(page).count() == 2
    assert [page.locator("#feed li").nth(i).get_attribute("class").split()[-1] for i in range(3)] == [
        "batch", "kind-facts-updated", "batch"]
    # a reload folds the server-rendered rows the same way
    page.reload()
    page.wait_for_selector("#live-state.on")
    counts = [_batch_rows(page).nth(i).get_attribute("data-count") for i in range(_batch_rows(page).count())]
    assert counts == ["6", "36"]
    assert _batch_rows(page).nth(1).locator(".summary").inner_text() == (
        "36 mentions received (from facebook, twitter) in 12 batches")
    page.context.close()
