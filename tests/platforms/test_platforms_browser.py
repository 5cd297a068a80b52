"""Real Chromium against a real `run.py serve` and the local Mastodon server:
the composer counts what the connector will send (the platform's limit as
you type, Mastodon's @handle included), marks an over-limit reply and shows
the server's refusal; after publishing, the board's delivery list links to
the reply on the platform."""

from __future__ import annotations

import pytest

from ..conftest import (
    Server,
    browser_login,
    close_clients,
    command,
    mention_sel,
    open_board,
    socket_client,
)
from ..mastodon_server import MastodonServer
from .test_platforms_e2e import _setup, _stored, _wait

pytestmark = pytest.mark.e2e
TOO_LONG = "So sorry, Anna: the ash cloud grounded your flight. I'll rebook you and DM you by 5pm."  # 86
FITS = "So sorry, Anna: I'll rebook you and DM you by 5pm."  # 50


def test_composer_counts_the_sent_text_and_the_board_links_the_delivered_reply(tmp_path, browser):
    masto = MastodonServer(max_characters=100).start()
    server = Server(tmp_path).start()
    abe_sock = None
    try:
        room_id, _, abe = _setup(server, masto)
        masto.wait_streams(2, timeout=30)
        original = masto.toot("anna@elsewhere", "@brand my flight is cancelled and nobody answers")
        _wait(lambda: len(_stored(server)) == 1, what="the mention")
        ctx = browser.new_context()
        page = browser_login(ctx, server, "vic")
        open_board(page, server, room_id)
        page.wait_for_selector("#mention-list li.mention", timeout=10000)
        mid = int(page.get_attribute("#mention-list li.mention", "data-mention-id"))
        page.click(mention_sel(mid) + " .reply-btn")
        page.wait_for_selector("#composer-limit:not([hidden])", timeout=5000)
        page.fill("#composer-text", FITS)
        limit = page.locator("#composer-limit")
        # 16 for "@anna@elsewhere " in front, as Mastodon will get it
        assert limit.inner_text().startswith("66 / 100 characters on mastodon (with @anna@elsewhere)")
        assert "over" not in limit.get_attribute("class")
        page.fill("#composer-text", TOO_LONG)  # 86 alone would fit; with the handle it is 102
        assert "102 / 100 characters on mastodon" in limit.inner_text() and "2 too many" in limit.inner_text()
        assert "over" in limit.get_attribute("class")
        page.click("#composer-save")
        status = page.locator("#composer-status")
        page.wait_for_function("() => document.getElementById('composer-status').textContent.length > 0")
        assert "mastodon allows 100" in status.inner_text() and "error" in status.get_attribute("class")
        http = server.login("vic").post(f"{server.url}/api/v1/rooms/{room_id}/drafts",
                                        json={"mention_id": mid, "text": TOO_LONG})
        assert http.status_code == 422 and http.json()["field"] == "text"
        assert http.json()["error"] == status.inner_text()  # the same refusal over HTTP and on the board
        page.fill("#composer-text", FITS)
        page.click("#composer-save")
        page.wait_for_function("() => /saved draft/.test(document.getElementById('composer-status').textContent)")
        draft_id = page.evaluate("() => window.warroomBoard.state.draftId")
        sub = command(page, "draft.submit", {"draft_id": draft_id})
        assert sub.get("ok"), sub
        abe_sock = socket_client(server, abe)
        ok = abe_sock.call("draft.approve", {"draft_id": draft_id, "revision": sub["draft"]["revision"]},
                           namespace="/board", timeout=10)
        assert ok.get("ok"), ok
        assert command(page, "draft.publish", {"draft_id": draft_id}).get("ok")
        link = page.wait_for_selector("#delivery-list li.delivery.state-posted a.delivery-url", timeout=20000)
        (reply,) = masto.replies_to(original["id"])
        assert link.get_attribute("href") == reply["url"] and link.inner_text() == reply["url"]
        assert reply["text"] == "@anna@elsewhere " + FITS
        ctx.close()
    finally:
        if abe_sock is not None:
            close_clients(abe_sock)
        server.stop()
        masto.stop()
