"""The board end to end: a real server process, real WebSockets, two Chromium
contexts (a volunteer and a lead) on one room, mentions through the ingestion
API, and a server restart the boards survive."""

from __future__ import annotations

import pytest
import requests

from warroom import accounts
from warroom import db as dbmod
from warroom.clock import utcnow
from warroom.listening import tokens
from warroom.rooms import facts

from ..conftest import (
    ROOT,
    Server,
    browser_login,
    command,
    make_user,
    mention_sel,
    open_board,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts"

DEFENSIVE = "We are not responsible for the ash cloud. I'll rebook you and DM you the details by 5pm."
GOOD = ("So sorry, Anna: the ash cloud grounded your flight. I'll rebook you now and DM you "
        "the new booking by 5pm.")


def test_volunteer_and_lead_answer_a_mention_live(server, browser, tmp_path):
    # Users and the ingestion token straight into the server's database file
    # (each `run.py` sub-process costs over a second of imports).
    db = server.db()
    try:
        make_user(db, "vol", "responder")
        make_user(db, "lead", "lead")
    finally:
        db.close()
    http = server.login("lead")
    resp = http.post(server.url + "/rooms", data={"title": "Ash cloud", "description": "stranded"},
                     allow_redirects=False)
    assert resp.status_code == 302, resp.text
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    db = server.db()
    try:
        _row, token = tokens.create(db, utcnow(), "twitter", room_id)
    finally:
        db.close()

    vol_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    lead_ctx = browser.new_context(viewport={"width": 390, "height": 844})  # phone width
    vol = browser_login(vol_ctx, server, "vol")
    lead = browser_login(lead_ctx, server, "lead")
    open_board(vol, server, room_id)
    open_board(lead, server, room_id)

    # The lead puts a confirmed fact on the sheet; both boards show it.
    lead.fill("#fact-text", "Schiphol is closed until 18:00 UTC.")
    lead.click("#fact-form button[type=submit]")
    for page in (vol, lead):
        page.wait_for_selector("#fact-list li.fact:has-text('Schiphol is closed')", timeout=5000)

    # Presence: each board lists the other viewer.
    vol.wait_for_function("() => document.getElementById('presence-list').textContent.includes('lead')",
                          timeout=5000)

    # Mentions arrive through the ingestion API and show on both boards without a reload.
    batch = [
        {"external_id": "t1", "author": "@anna", "text": "My flight is cancelled and nobody answers. Awful!",
         "created_at": "2026-11-22T10:00:00Z", "url": ""},
        {"external_id": "t2", "author": "@bob", "text": "Any news on flights from Schiphol?",
         "created_at": "2026-11-22T10:00:05Z", "url": ""},
    ]
    posted = requests.post(f"{server.url}/api/v1/rooms/{room_id}/mentions", json=batch,
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert posted.status_code == 202, posted.text
    # (how fast is bench/fanout.py's to measure; here only that they come live)
    vol.wait_for_selector("#mention-list li.mention >> nth=1", timeout=10000)
    lead.wait_for_selector("#mention-list li.mention >> nth=1", timeout=10000)
    anna = int(vol.locator("#mention-list li.mention", has_text="@anna").get_attribute("data-mention-id"))
    assert vol.locator(mention_sel(anna) + " .badge.sentiment").inner_text().startswith("negative")

    # The volunteer claims it; the lead's board shows it claimed.
    vol.click(mention_sel(anna) + " .claim-btn")
    lead.wait_for_selector(mention_sel(anna) + '.claimed[data-claimed-by="vol"]', timeout=5000)
    assert lead.locator(mention_sel(anna) + " .claim-btn").count() == 0
    # A second claim (the lead's) is refused by the server.
    assert command(lead, "mention.claim", {"mention_id": anna})["error"] == "already claimed by vol"

    # A defensive draft shows the lint finding as it is typed; submit is blocked.
    vol.click(mention_sel(anna) + " .reply-btn")
    vol.fill("#composer-text", DEFENSIVE)
    vol.wait_for_selector('#lint-findings li.finding.blocking[data-rule="defensive"]', timeout=5000)
    assert "we are not responsible" in vol.inner_text("#lint-findings").lower()
    assert vol.is_disabled("#composer-submit")
    # Fixed, the findings go away; submit with the keyboard (Ctrl+Enter).
    vol.fill("#composer-text", GOOD)
    vol.wait_for_function("() => document.querySelectorAll('#lint-findings li').length === 0", timeout=5000)
    # The composer inserts the confirmed fact; the reply records that it relied on it.
    vol.click("#fact-list li.fact .insert-btn")
    final = vol.input_value("#composer-text")
    assert "Schiphol is closed until 18:00 UTC." in final and GOOD in final
    vol.wait_for_function(  # the lint has run on the text with the fact in it
        "() => window.warroomBoard.state.lintedText === document.getElementById('composer-text').value",
        timeout=5000)
    assert vol.locator("#lint-findings li.blocking").count() == 0
    assert vol.is_enabled("#composer-submit")
    vol.press("#composer-text", "Control+Enter")
    vol.wait_for_selector("#mydraft-list li.draft.state-submitted", timeout=5000)
    draft_id = int(vol.get_attribute("#mydraft-list li.draft.state-submitted", "data-draft-id"))

    # The volunteer cannot approve their own draft: the server says no.
    own = command(vol, "draft.approve", {"draft_id": draft_id})
    assert "ok" not in own and "approver" in own["error"]

    # The lead approves it from the approval queue.
    lead.wait_for_selector(f'#approval-list li.draft[data-draft-id="{draft_id}"] .approve-btn', timeout=5000)
    lead.click(f'#approval-list li.draft[data-draft-id="{draft_id}"] .approve-btn')

    # The volunteer publishes; both boards show it published with the clock stopped.
    vol.wait_for_selector(f'#mydraft-list li.draft[data-draft-id="{draft_id}"] .publish-btn', timeout=5000)
    vol.click(f'#mydraft-list li.draft[data-draft-id="{draft_id}"] .publish-btn')
    for page in (vol, lead):
        page.wait_for_selector(mention_sel(anna) + ".published .clock.stopped", timeout=5000)
        assert "answered in" in page.inner_text(mention_sel(anna) + " .clock")
        assert page.locator(mention_sel(anna) + " .badge.state-published").count() == 1

    # The hot path from the keyboard: n selects the next open mention, c claims it.
    bob = int(lead.locator("#mention-list li.mention", has_text="@bob").get_attribute("data-mention-id"))
    lead.locator("body").press("n")
    lead.wait_for_selector(mention_sel(bob) + ".selected", timeout=5000)
    lead.locator("body").press("c")
    vol.wait_for_selector(mention_sel(bob) + '.claimed[data-claimed-by="lead"]', timeout=5000)

    # A lead's own draft is refused by the author rule, not only by role.
    lead_draft = command(lead, "draft.save", {"room": room_id, "text": GOOD})["draft"]["id"]
    lead_sub = command(lead, "draft.submit", {"draft_id": lead_draft})
    assert lead_sub["ok"] is True
    refused = command(lead, "draft.approve", {"draft_id": lead_draft, "revision": lead_sub["draft"]["revision"]})
    assert refused["error"] == "the author cannot approve or reject their own draft"
    lead.wait_for_selector(f'#approval-list li.draft[data-draft-id="{lead_draft}"]', timeout=5000)
    assert lead.locator(f'#approval-list li.draft[data-draft-id="{lead_draft}"] .approve-btn').count() == 0

    ARTIFACTS.mkdir(exist_ok=True)
    vol.screenshot(path=str(ARTIFACTS / "board-volunteer.png"), full_page=True)
    lead.screenshot(path=str(ARTIFACTS / "board-lead-phone.png"), full_page=True)

    db = server.db()
    try:
        row = db.execute("SELECT text, author, approved_by, published_by FROM responses").fetchall()
        assert row == [(final, "vol", "lead", "vol")]
        fact_id, version = db.execute("SELECT fact_id, version FROM response_facts").fetchone()
        assert version == 1
    finally:
        db.close()

    # The server restarts; the boards reconnect and catch up by event id.
    server.stop()
    db = server.db()
    try:
        lead_user = accounts.find_user(db, "lead")
        facts.update_fact(db, utcnow(), lead_user, room_id, "Schiphol reopens at 18:00 UTC.",
                          fact_id=fact_id)
    finally:
        db.close()
    again = Server(tmp_path, db_url=server.db_url)
    again.port, again.url = server.port, server.url
    again.env["WARROOM_SERVER_PORT"] = str(server.port)
    again.start()
    try:
        for page in (vol, lead):
            page.wait_for_selector("#fact-list li.fact:has-text('Schiphol reopens')", timeout=15000)
            page.wait_for_selector("#live-state.on", timeout=15000)
            # the reply that cited the old text is pointed out to everyone
            notice = page.wait_for_selector("#fact-notice:not([hidden])", timeout=5000)
            assert "1 published reply cited the old text" in notice.inner_text()
            page.click("#tab-timeline")  # the timeline is a tab of the console
            page.wait_for_selector('#feed li.kind-facts-updated', timeout=5000)
        ids = vol.eval_on_selector_all("#feed li[data-event-id]", "els => els.map(e => e.dataset.eventId)")
        assert len(ids) == len(set(ids))  # caught up without duplicates
    finally:
        vol_ctx.close()
        lead_ctx.close()
        again.stop()



def test_events_committed_together_reach_the_board_as_one_list_and_all_show(server, browser):
    """Three facts committed in one transaction by another process: the
    server's publisher reads them from the file as one batch and sends one
    ``events`` message; the board renders each, in id order."""
    db = server.db()
    try:
        make_user(db, "lead", "lead")
    finally:
        db.close()
    http = server.login("lead")
    resp = http.post(server.url + "/rooms", data={"title": "Ash cloud"}, allow_redirects=False)
    room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = browser_login(browser.new_context(), server, "lead")
    open_board(page, server, room_id)
    page.evaluate("""() => { window.batches = 0;
        window.warroomSocket.on("events", function () { window.batches += 1; }); }""")
    db = server.db()
    try:
        lead = accounts.find_user(db, "lead")
        with dbmod.transaction(db):
            for text in ("Flights to Oslo resume at 18:00", "Hotel vouchers at desk 4", "Rebook online"):
                facts.update_fact(db, utcnow(), lead, room_id, text)
        ids = [row[0] for row in db.execute(
            "SELECT id FROM events WHERE room_id = ? AND kind = 'facts.updated' ORDER BY id", [room_id])]
    finally:
        db.close()
    assert len(ids) == 3
    page.wait_for_function("() => window.batches >= 1", timeout=10000)
    for event_id in ids:
        page.wait_for_selector(f'#feed li[data-event-id="{event_id}"]', state="attached", timeout=5000)
    shown = page.eval_on_selector_all("#feed li[data-event-id]", "els => els.map(e => +e.dataset.eventId)")
    assert [i for i in shown if i in ids] == sorted(ids, reverse=True)  # newest first
