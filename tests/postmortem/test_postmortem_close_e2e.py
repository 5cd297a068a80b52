"""Closing a room asks for the lessons and offers the export: the real server,
the real room page in headless Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import FIXED_NOW, PASSWORD, launch_chromium
from warroom import accounts, rooms
from warroom.postmortem import lessons


@pytest.mark.e2e
def test_close_asks_for_lessons_then_offers_the_export(server):
    from playwright.sync_api import expect, sync_playwright

    db = server.db()
    try:
        lead = accounts.add_user(db, FIXED_NOW, "lea", "lead", PASSWORD)
        accounts.add_user(db, FIXED_NOW, "vic", "viewer", PASSWORD)
        accounts.add_user(db, FIXED_NOW, "rob", "responder", PASSWORD)
        room = rooms.open_room(db, FIXED_NOW, lead, "Recall storm")
    finally:
        db.close()

    for name in ("vic", "rob"):  # over real HTTP too: viewer and responder get 403
        http = server.login(name)
        for fmt in ("md", "html", "json"):
            assert http.get(f"{server.url}/rooms/{room.id}/export.{fmt}").status_code == 403

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(server.url + "/login")
            page.fill("input[name=name]", "lea")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{server.url}/rooms/{room.id}")
            hint = page.locator("#postmortem .pm-close-hint")
            expect(hint).to_be_hidden()

            # The board's own "Close room" button: the first press asks for the lessons.
            page.locator(f"form[action='/rooms/{room.id}/close'] button").click()
            expect(hint).to_be_visible()
            expect(page.locator("#pm-lessons-text")).to_be_focused()
            db = server.db()
            try:
                assert rooms.get_room(db, room.id).status == "open"
            finally:
                db.close()

            page.fill("#pm-lessons-text", "Staff the night shift earlier.")
            # Another lead saves meanwhile: the panel refreshes live, the typing survives.
            db = server.db()
            try:
                lessons.save_lessons(db, FIXED_NOW, room.id, "adam", "Adam's first notes")
            finally:
                db.close()
            expect(page.locator("#postmortem .pm-newer")).to_be_visible(timeout=10_000)
            expect(page.locator("#postmortem .pm-newer")).to_contain_text("Version 1 was just saved by adam")
            expect(page.locator("#pm-lessons-text")).to_have_value("Staff the night shift earlier.")
            page.click("button.pm-close")
            page.wait_for_url(f"**/rooms/{room.id}#postmortem")
            expect(page.locator("#room-status")).to_have_text("closed")
            expect(page.locator(".pm-ready")).to_be_visible()
            link = page.locator("a.pm-export[data-format=html]")
            resp = page.request.get(server.url + link.get_attribute("href"))
            assert resp.status == 200 and "Staff the night shift earlier." in resp.text()
        finally:
            browser.close()

    db = server.db()
    try:
        assert rooms.get_room(db, room.id).status == "closed"
        assert [(v.version, v.author, v.text) for v in lessons.lesson_versions(db, room.id)] == [
            (1, "adam", "Adam's first notes"), (2, "lea", "Staff the night shift earlier.")]
    finally:
        db.close()
