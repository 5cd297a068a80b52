"""Issue 14's acceptance walk, in order, on one real `run.py serve` and real
Chromium: a lead and a volunteer (a Tweep on shift) each in their own
browser context; mentions from Twitter and Facebook arrive through the HTTP
ingest API while both boards are open, among them a campaign whose copies
come in three batches and on both channels. The lead filters by channel,
sees the campaign once with its size, drafts one reply, has it approved by a
second lead (the mass-disruption playbook says ``approval = "lead"`` and an
author never approves their own draft) and publishes it to all copies;
searches by a word and by a handle; and assigns a mention to the volunteer,
whose board shows it live, without a reload. Each step is checked in the
browser and, where it writes, on the server too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from warroom import playbooks, rooms, roster
from warroom.clock import iso, utcnow
from warroom.listening import tokens

from ..conftest import (
    ROOT,
    approve_as,
    browser_login,
    close_clients,
    command,
    make_user,
    mention_sel,
    open_board,
    save_from_composer,
)

pytestmark = pytest.mark.e2e

MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()
CAMPAIGN = "Stranded passengers are sleeping on the airport floor tonight, give every one of them a hotel room now"
REPLY = ("We're sorry: nobody should sleep on the floor. Hotel vouchers are at the transfer desks now, "
         "and our next update is at 18:00.")
# the campaign's copies: retweets, a link, a shout, another channel (one author each, none a prefix of another)
COPIES = [("twitter", "@greta_s", "@airline " + CAMPAIGN),
          ("twitter", "@jon_r", "RT @greta_s: " + CAMPAIGN),
          ("twitter", "@mia_t", CAMPAIGN.upper() + "!!"),
          ("twitter", "@ole_v", "RT @greta_s: " + CAMPAIGN + " https://t.co/x1"),
          ("facebook", "Paula Meyer", CAMPAIGN)]


def _authors(page) -> list[str]:
    return page.eval_on_selector_all("#mention-list li.mention .author", "els => els.map(e => e.textContent)")


def _channels(page) -> list[str]:
    return page.eval_on_selector_all("#mention-list li.mention .badge.channel",
                                     "els => els.map(e => e.textContent)")


def _shown(page) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all(
        "#mention-list li.mention", "els => els.map(e => e.dataset.mentionId)")]


def _wait_items(page, n: int) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => document.querySelectorAll('#mention-list li.mention').length === {n}",
                               timeout=10000)
    except PlaywrightTimeout:
        shown = page.eval_on_selector_all("#mention-list li.mention", "els => els.map(e => e.innerText)")
        pytest.fail(f"the queue shows {len(shown)} items, not {n}: {shown}")


def _loaded(page, n: int) -> None:
    """The board holds ``n`` mentions (it draws them right after loading)."""
    page.wait_for_function(f"() => window.warroomBoard.state.mentions.size === {n}", timeout=10000)


def test_filter_cluster_answer_search_and_assign_in_one_walk(server, browser):
    db = server.db()
    try:
        lead = make_user(db, "lena", "lead")
        make_user(db, "otto", "lead")          # the second lead, who approves lena's reply
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
    token = {"twitter": tw, "facebook": fb}
    lena_http = server.login("lena")
    otto_sock = None

    def ingest(source: str, items: list[dict]) -> None:
        r = requests.post(f"{server.url}/api/v1/rooms/{room.id}/mentions",
                          json=[{"url": "", "created_at": iso(now), **it} for it in items],
                          headers={"Authorization": f"Bearer {token[source]}"}, timeout=10)
        assert r.status_code == 202, r.text

    def copy(i: int) -> dict:
        return {"external_id": f"c{i}", "author": COPIES[i][1], "text": COPIES[i][2]}

    lena = browser_login(browser.new_context(), server, "lena")
    vic_page = browser_login(browser.new_context(), server, "vic")
    for page in (lena, vic_page):
        open_board(page, server, room.id)
    # Marks this document: still there at the end means vic's board was never reloaded.
    vic_page.evaluate("() => { window.sameDocument = true; }")

    try:
        # -- 1. mentions arrive live: the campaign's first post with three others, then its copies
        ingest("twitter", [copy(0),
                           {"external_id": "a1", "author": "@anna_k", "followers": 300,
                            "text": "My suitcase never arrived, terrible service"},
                           {"external_id": "t1", "author": "@tim", "text": "Any news about flights today?"},
                           {"external_id": "b1", "author": "@bob", "text": "Lovely crew on the Oslo flight today"}])
        _loaded(lena, 4)
        _wait_items(lena, 4)
        ingest("twitter", [copy(1), copy(2), copy(3),
                           {"external_id": "a2", "author": "@anna_k", "text": "Day three and still no suitcase"}])
        ingest("facebook", [copy(4),
                            # older, angry and widely followed: the most urgent by the plain order
                            {"external_id": "f1", "author": "Fay", "text": "Cancelled again, awful service!",
                             "created_at": iso(now - timedelta(minutes=30)), "followers": 90000},
                            {"external_id": "f2", "author": "Carl Berg",
                             "text": "Where is my suitcase? Third day waiting at the desk"}])
        listed = lena_http.get(f"{server.url}/api/v1/rooms/{room.id}/mentions").json()["mentions"]
        ids = {m["external_id"]: m["id"] for m in listed}
        campaign = {m["id"] for m in listed if m["external_id"].startswith("c")}
        assert {m["cluster_size"] for m in listed if m["id"] in campaign} == {5}   # one cluster on the server
        assert {m["cluster_size"] for m in listed if m["id"] not in campaign} == {1}

        # The campaign is ONE queue item among the six distinct posts, on both boards.
        for page in (lena, vic_page):
            _loaded(page, 11)
            _wait_items(page, 7)
            item = page.locator("#mention-list li.mention[data-cluster-size]")
            assert item.count() == 1 and "×5 copies" in item.inner_text()
            assert int(item.get_attribute("data-mention-id")) in campaign
        # The lead (on no shift) sees the plain urgency order; the Tweep on shift sees Twitter first.
        assert _authors(lena)[0] == "Fay"
        assert _channels(vic_page) == ["twitter"] * 5 + ["facebook"] * 2
        assert "twitter, bluesky, mastodon" in vic_page.inner_text("#my-channels")

        # -- 2. filter by channel: exactly that channel's items, the campaign still once
        options = lena.eval_on_selector_all("#channel-filter option", "els => els.map(e => e.value)")
        assert options == ["all", "facebook", "twitter"]
        lena.select_option("#channel-filter", "facebook")
        _wait_items(lena, 3)
        assert sorted(_authors(lena)) == ["Carl Berg", "Fay", "Paula Meyer"]
        assert _channels(lena) == ["facebook"] * 3
        assert "×5 copies" in lena.inner_text(mention_sel(ids["c4"]))   # the size counts both channels
        lena.select_option("#channel-filter", "twitter")
        _wait_items(lena, 5)
        assert _channels(lena) == ["twitter"] * 5
        shown = _shown(lena)
        assert {i for i in shown if i not in campaign} == {ids["a1"], ids["t1"], ids["b1"], ids["a2"]}
        assert sum(i in campaign for i in shown) == 1
        lena.select_option("#channel-filter", "all")
        _wait_items(lena, 7)

        # -- 3. one reply answers the campaign: drafted by lena, approved by otto, published to all 5
        drafted = int(lena.locator("#mention-list li.mention[data-cluster-size='5']").get_attribute(
            "data-mention-id"))
        sub = command(lena, "draft.submit", {"draft_id": save_from_composer(lena, drafted, REPLY)})
        assert sub.get("ok"), sub
        assert lena.locator(".publish-cluster-btn").count() == 0         # not before it is approved
        otto_sock = approve_as(server, "otto", sub["draft"])
        button = lena.wait_for_selector(".publish-cluster-btn", timeout=10000)
        assert button.inner_text() == "Publish to all 5"
        button.click()
        lena.wait_for_selector("#mention-list li.mention[data-cluster-size='5'].published", timeout=10000)
        vic_page.wait_for_selector("#mention-list li.mention[data-cluster-size='5'].published", timeout=10000)
        # No connector in this room: the other four are listed for posting by hand, each once.
        notice = lena.inner_text("#mydrafts")
        assert "Published to 5; post by hand to 4: " in notice
        by_source = {ids[f"c{i}"]: (author, source) for i, (source, author, _t) in enumerate(COPIES)}
        for mid, (author, source) in by_source.items():
            assert notice.count(f"{author} ({source})") == (0 if mid == drafted else 1), (author, notice)
        # On the server: every copy answered once with the approved text, one cluster answer.
        state = lena_http.get(f"{server.url}/api/v1/rooms/{room.id}/board").json()
        assert {int(k) for k in state["answered"]} == campaign
        replies = [r for r in state["responses"] if r["mention_id"] is not None]
        assert sorted(r["mention_id"] for r in replies) == sorted(campaign)
        assert {(r["text"], r["author"], r["approved_by"]) for r in replies} == {(REPLY, "lena", "otto")}
        answers = [e for e in lena_http.get(f"{server.url}/api/v1/rooms/{room.id}/events").json()["events"]
                   if e["kind"] == "cluster.answered"]
        assert len(answers) == 1
        assert (answers[0]["data"]["copies"], answers[0]["data"]["by_hand"]) == (4, 4)
        assert set(answers[0]["data"]["mention_ids"]) == campaign

        # -- 4. search by a word, then by a handle: exactly the matching posts, newest first
        before_search = _shown(lena)
        lena.fill("#queue-search", "suitcase")
        lena.click("#queue-search-form button[type=submit]")
        _wait_items(lena, 3)
        assert _shown(lena) == [ids["f2"], ids["a2"], ids["a1"]]
        assert "3 found for" in lena.inner_text("#queue-count")
        assert lena.query_selector(mention_sel(ids["a1"]) + " .claim-btn") is not None   # rendered like the queue
        lena.fill("#queue-search", "@anna_k")
        lena.press("#queue-search", "Enter")
        _wait_items(lena, 2)
        assert _shown(lena) == [ids["a2"], ids["a1"]]
        lena.click("#queue-search-clear")
        _wait_items(lena, 7)
        assert _shown(lena) == before_search                               # the queue's own order again

        # -- 5. assign Tim's mention to vic: vic's board shows it and alerts, live, with no reload
        tim = ids["t1"]
        assert vic_page.locator(mention_sel(tim) + " .badge.assignee").count() == 0
        lena.select_option(mention_sel(tim) + " select.assign-to", "vic")
        lena.wait_for_selector(mention_sel(tim) + " .badge.assignee:has-text('assigned to vic')", timeout=5000)
        vic_page.wait_for_selector(mention_sel(tim) + " .badge.assignee:has-text('assigned to vic')",
                                   timeout=5000)
        toast = vic_page.wait_for_selector("#alerts .toast-mention", timeout=5000)
        assert "A mention for you: Ash cloud" in toast.inner_text() and f"#{tim}" in toast.inner_text()
        assert vic_page.evaluate("() => window.sameDocument === true")
        assert lena.locator("#alerts .toast-mention").count() == 0       # the lead is not alerted
        assert vic_page.locator(mention_sel(tim) + " select.assign-to").count() == 0   # only a lead assigns
        given = lena_http.get(f"{server.url}/api/v1/rooms/{room.id}/board").json()["assignments"]
        assert [(a["mention_id"], a["user"], a["assigned_by"]) for a in given] == [(tim, "vic", "lena")]

        # "Assigned to me" keeps vic's mention only; unassigned, it leaves that list live.
        vic_page.click("#queue .filter[data-filter=assigned]")
        _wait_items(vic_page, 1)
        assert _shown(vic_page) == [tim]
        lena.click(mention_sel(tim) + " .unassign-btn")
        vic_page.wait_for_selector("#queue-empty:not([hidden])", timeout=5000)
        assert vic_page.evaluate("() => window.sameDocument === true")
    finally:
        if otto_sock is not None:
            close_clients(otto_sock)
