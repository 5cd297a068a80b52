"""Stakeholder updates end to end in real Chromium against a real server: a
volunteer fills a template in the composer; a lead writes a public update,
a second lead approves it, it is published and read on the status page by
a browser that never logged in; the page shows nothing unapproved and
nothing of a private room."""

from __future__ import annotations

import pytest
import requests

from warroom import accounts
from warroom.clock import utcnow
from warroom.listening import tokens

from ..conftest import browser_login, command, make_user, mention_sel, open_board

pytestmark = pytest.mark.e2e

PUBLIC = "Schiphol stays closed until 18:00 UTC. We rebook everyone in departure order; hotels are paid."
PENDING = "Draft for later: flights resume tomorrow morning (not approved)."
SECRET = "Recall of batch 7 starts at noon (a private room's update)."


def _room(http, server, title):
    resp = http.post(server.url + "/rooms", data={"title": title, "playbook": "mass-disruption"},
                     allow_redirects=False)
    assert resp.status_code == 302, resp.text
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _updates_tab(page, server, room_id):
    open_board(page, server, room_id)
    page.click("#tab-updates")
    page.wait_for_selector("#updates:not([hidden])", timeout=5000)


def test_template_fill_then_public_update_approved_published_and_read_without_login(server, browser):
    db = server.db()
    try:
        make_user(db, "vol", "responder")
        make_user(db, "lena", "lead")
        make_user(db, "lars", "lead")  # mass-disruption: approval = "lead", so the second person is a lead
    finally:
        db.close()
    lena_http, lars_http = server.login("lena"), server.login("lars")
    room_id = _room(lena_http, server, "Ash cloud over Schiphol")
    db = server.db()
    try:
        _row, token = tokens.create(db, utcnow(), "twitter", room_id)
    finally:
        db.close()
    posted = requests.post(f"{server.url}/api/v1/rooms/{room_id}/mentions", timeout=10,
                           headers={"Authorization": f"Bearer {token}"},
                           json=[{"external_id": "t1", "author": "@anna", "created_at": "2026-11-22T10:00:00Z",
                                  "text": "Stuck in Amsterdam, flight cancelled. How do I get home?", "url": ""}])
    assert posted.status_code == 202, posted.text

    lena = browser_login(browser.new_context(), server, "lena")
    lars = browser_login(browser.new_context(), server, "lars")
    vol = browser_login(browser.new_context(), server, "vol")

    # The lead writes a public update with the next update time; the second lead approves it.
    _updates_tab(lena, server, room_id)
    assert command(lena, "facts.update", {"room": room_id, "text": "https://klm.example/rebook",
                                          "key": "rebooking_url"}).get("fact")
    lena.fill("#update-text", PUBLIC)
    lena.select_option("#update-audience", "public")
    lena.fill("#update-next", "30")
    lena.click("#update-submit")
    lena.wait_for_selector("#update-list li.update.submitted", timeout=5000)
    update_id = int(lena.get_attribute("#update-list li.update.submitted", "data-update-id"))
    assert lena.locator(f'li.update[data-update-id="{update_id}"] .approve-update').count() == 0  # not the author's
    _updates_tab(lars, server, room_id)
    lars.click(f'li.update[data-update-id="{update_id}"] .approve-update')
    lars.wait_for_selector(f'li.update.approved[data-update-id="{update_id}"]', timeout=5000)
    _updates_tab(lena, server, room_id)
    lena.click(f'li.update[data-update-id="{update_id}"] .publish-update')
    lena.wait_for_selector(f'li.update.published[data-update-id="{update_id}"]', timeout=5000)
    # A second public update is written but never approved.
    _updates_tab(lena, server, room_id)
    lena.fill("#update-text", PENDING)
    lena.select_option("#update-audience", "public")
    lena.click("#update-submit")
    lena.wait_for_selector("#update-list li.update.submitted", timeout=5000)
    status_url = lena.get_attribute("#status-link", "href")

    # The volunteer fills a template for @anna in the composer: her name, the
    # keyed fact, the room and the next update time; then the board lints it.
    open_board(vol, server, room_id)
    vol.wait_for_selector("#composer-templates:not([hidden])", state="attached", timeout=5000)
    anna = int(vol.locator("#mention-list li.mention", has_text="@anna").get_attribute("data-mention-id"))
    vol.click(mention_sel(anna) + " .claim-btn")
    vol.wait_for_selector(mention_sel(anna) + " .reply-btn", timeout=5000)
    vol.click(mention_sel(anna) + " .reply-btn")
    vol.select_option("#template-pick", "playbook:stranded-rebook")
    vol.click("#template-use")
    vol.wait_for_function("() => document.getElementById('composer-text').value.startsWith('Hi @anna')",
                          timeout=5000)
    text = vol.input_value("#composer-text")
    assert "rebook yourself at https://klm.example/rebook." in text
    assert "Our next update on Ash cloud over Schiphol is at " in text and "[next_update]" not in text
    assert vol.inner_text("#template-missing") == ""
    vol.wait_for_function(  # the filled text went through the lint like typed text
        "() => window.warroomBoard.state.lintedText === document.getElementById('composer-text').value",
        timeout=5000)

    # Anyone, without logging in, reads the published update on the status page.
    anon = browser.new_context().new_page()
    anon.goto(server.url + status_url)
    assert anon.inner_text("#status-title") == "Ash cloud over Schiphol"
    assert PUBLIC in anon.inner_text("#status-updates")
    assert PENDING not in anon.content()
    assert anon.locator("a[href='/login']").count() == 0 and "/login" not in anon.url
    anon.goto(server.url + "/status")
    assert anon.locator("#status-rooms a", has_text="Ash cloud over Schiphol").count() == 1

    # A private room: its public update (published before it became private) vanishes.
    other = _room(lena_http, server, "Batch 7 recall")
    made = lena_http.post(f"{server.url}/api/v1/rooms/{other}/updates", json={"text": SECRET, "audience": "public"})
    assert made.status_code == 201, made.text
    uid = made.json()["update"]["id"]
    assert lars_http.post(f"{server.url}/api/v1/updates/{uid}/approve").status_code == 200
    assert lena_http.post(f"{server.url}/api/v1/updates/{uid}/publish").status_code == 200
    other_url = lena_http.get(f"{server.url}/api/v1/rooms/{other}/updates").json()["status_url"]
    anon.goto(server.url + other_url)
    assert SECRET in anon.inner_text("#status-updates")
    db = server.db()
    try:
        accounts.set_private(db, utcnow(), other, True, "lena")
    finally:
        db.close()
    gone = anon.goto(server.url + other_url)
    assert gone.status == 404 and SECRET not in anon.content()
    anon.goto(server.url + "/status")
    assert "Batch 7" not in anon.content() and SECRET not in anon.content()
    assert anon.locator("#status-rooms a", has_text="Ash cloud over Schiphol").count() == 1
