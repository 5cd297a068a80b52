"""Live awareness in Chromium: the person paged gets an alert (role="alert"),
the beep they opted into and a browser notification; a colleague on the same
board gets none of it; without Slack the board shows a banner saying so."""

from __future__ import annotations

import pytest

from warroom import db as dbmod
from warroom import escalation
from warroom.clock import utcnow

from ..conftest import Server, browser_login, make_user, open_board

pytestmark = pytest.mark.e2e


def test_the_paged_person_is_alerted_with_sound_and_notification_and_sees_the_slack_banner(tmp_path, browser,
                                                                                         monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    server = Server(tmp_path, extra_env={"WARROOM_SCHEDULER_INTERVAL_SECONDS": "1"}).start()
    try:
        db = server.db()
        make_user(db, "lena", "lead")
        make_user(db, "paul", "responder")
        db.close()
        resp = server.login("lena").post(server.url + "/rooms", data={"title": "Ash cloud"}, allow_redirects=False)
        room_id = int(resp.headers["Location"].rsplit("/", 1)[1])

        lena_ctx = browser.new_context()
        lena_ctx.grant_permissions(["notifications"], origin=server.url)
        lena = browser_login(lena_ctx, server, "lena")
        paul = browser_login(browser.new_context(), server, "paul")
        open_board(lena, server, room_id)
        open_board(paul, server, room_id)

        # No Slack token: the banner says pages reach people only on the board, and what to do.
        lena.wait_for_selector("#channel-health:not([hidden]) li[data-channel=slack]", timeout=10000)
        assert "SLACK_BOT_TOKEN" in lena.inner_text("#channel-health")

        # Sound is opt-in and remembered; the notification permission was granted above.
        sound = lena.locator("#alert-sound")
        assert sound.get_attribute("aria-pressed") == "false"
        sound.click()
        assert sound.get_attribute("aria-pressed") == "true"
        assert lena.evaluate("() => localStorage.getItem('warroom.alertSound')") == "on"
        assert lena.evaluate("() => window.warroomAwareness.beeps") == 1  # the sample on opting in

        db = server.db()
        with dbmod.transaction(db):
            esc = escalation.open_escalation(db, utcnow(), room_id, "spike", {"value": 99}, None)
            policy = escalation.Policy((escalation.PolicyStep(0, ("user:lena",)),), 0, "test")
            db.execute("UPDATE escalations SET policy = ? WHERE id = ?", [policy.to_json(), esc.id])
        db.close()

        toast = lena.wait_for_selector("#alerts[role=alert] .toast-paged", timeout=15000)
        assert "You are paged: Ash cloud" in toast.inner_text()
        assert lena.evaluate("() => window.warroomAwareness.beeps") == 2
        assert lena.evaluate("() => window.warroomAwareness.notifications") == 1
        # The page reached the board through the same feed: paul sees the event, not an alert.
        paul.wait_for_selector("#feed li.kind-page-sent", state="attached", timeout=10000)
        assert paul.evaluate("() => window.warroomAwareness.received.length") == 0
        assert paul.locator("#alerts .toast").count() == 0

        # The choice survives a reload.
        open_board(lena, server, room_id)
        assert lena.locator("#alert-sound").get_attribute("aria-pressed") == "true"
    finally:
        server.stop()
