"""Real Chromium against a real `run.py serve`: the queue shows a campaign's
copies once with its size, and "Publish to all" answers every copy with one
reply (the members without a connector listed for posting by hand)."""

from __future__ import annotations

import pytest

from warroom.clock import iso, utcnow
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer

from ..conftest import (
    Server,
    approve_as,
    browser_login,
    close_clients,
    command,
    open_board,
    save_from_composer,
)

pytestmark = pytest.mark.e2e
CAMPAIGN = "Give the orangutan a break and stop buying palm oil from the companies burning the rainforest"
REPLY = "So sorry: we hear you. We are checking every supplier now and will post what we find by Friday 5pm."


def test_a_campaign_is_one_queue_item_and_one_reply_answers_it(tmp_path, browser):
    server = Server(tmp_path).start()
    abe_sock = None
    try:
        for name, role in (("lena", "lead"), ("vic", "responder"), ("abe", "approver")):
            server.add_user(name, role)
        lead = server.login("lena")
        resp = lead.post(server.url + "/rooms", data={"title": "Palm oil"}, allow_redirects=False)
        room_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        now = utcnow()
        recs = [{"external_id": f"c{i}", "source": "twitter", "author": f"@fan{i}", "url": "",
                 "text": (f"RT @fan{i}: " if i % 2 else "@brand ") + (CAMPAIGN.upper() if i == 3 else CAMPAIGN),
                 "created_at": iso(now)} for i in range(5)]
        recs.append({"external_id": "own", "source": "twitter", "author": "@anna", "url": "",
                     "text": "my parcel never came and the tracking page is blank", "created_at": iso(now)})
        db = server.db()
        mentions.ingest(db, now, room_id, mentions.validate(recs, now), Scorer())
        db.close()

        ctx = browser.new_context()
        page = browser_login(ctx, server, "vic")
        open_board(page, server, room_id)
        page.wait_for_selector("#mention-list li.mention .badge.cluster", timeout=10000)
        items = page.locator("#mention-list li.mention")
        assert items.count() == 2  # five copies, one item; and the distinct complaint
        campaign = page.locator("#mention-list li.mention[data-cluster-size='5']")
        assert campaign.count() == 1 and "×5 copies" in campaign.inner_text()
        mid = int(campaign.get_attribute("data-mention-id"))
        sub = command(page, "draft.submit", {"draft_id": save_from_composer(page, mid, REPLY)})
        assert sub.get("ok"), sub
        abe_sock = approve_as(server, "abe", sub["draft"])
        button = page.wait_for_selector(".publish-cluster-btn", timeout=10000)
        assert button.inner_text() == "Publish to all 5"
        button.click()
        # the cluster's item (whichever member now ranks first) is answered
        page.wait_for_selector("#mention-list li.mention[data-cluster-size='5'].published", timeout=10000)
        assert "post by hand to 4" in page.locator("#mydrafts").inner_text()  # no connector in this room
        answered = lead.get(f"{server.url}/api/v1/rooms/{room_id}/board").json()["answered"]
        ids = {m["id"]: m for m in lead.get(f"{server.url}/api/v1/rooms/{room_id}/mentions").json()["mentions"]}
        assert {int(k) for k in answered} == {i for i, m in ids.items() if m["cluster_size"] == 5}
        ctx.close()
    finally:
        if abe_sock is not None:
            close_clients(abe_sock)
        server.stop()
