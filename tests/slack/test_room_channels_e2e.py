"""A real `run.py serve` process: `/warroom open PLAYBOOK` over signed HTTP,
the commit wakes the room-channel job, which creates the room's channel,
invites its opener and posts the opening; a SIGKILL and a restart post
nothing twice and create no second channel."""

from __future__ import annotations

import signal
from urllib.parse import urlencode

import pytest
import requests

from tests.conftest import Server, make_user, shipped_version
from warroom.clock import utcnow

from .test_slack_e2e import SECRET, _signed, _wait

pytestmark = pytest.mark.e2e


def _env(slack):
    return {"SLACK_BOT_TOKEN": "xoxb-e2e", "SLACK_SIGNING_SECRET": SECRET, "WARROOM_SLACK_BASE_URL": slack.url,
            "WARROOM_SCHEDULER_INTERVAL_SECONDS": "1"}


def test_slash_open_makes_the_channel_invites_and_posts_once_across_a_kill(tmp_path, slack):
    srv = Server(tmp_path, extra_env=_env(slack)).start()
    db = srv.db()
    make_user(db, "olga", "lead", utcnow(), slack_id="U0OLGA")
    body = urlencode({"command": "/warroom", "text": "open mass-disruption Ash over Amsterdam", "user_id": "U0OLGA"})
    try:
        answer = requests.post(srv.url + "/slack/commands", data=body, headers=_signed(body), timeout=10).json()
        assert f"opened from mass-disruption v{shipped_version('mass-disruption')}: Ash over Amsterdam" in answer["text"]
        room_id = db.execute("SELECT MAX(id) FROM rooms").fetchone()[0]
        created = slack.wait_for("conversations.create", 1)[0]["body"]
        assert created["name"] == f"wr-{room_id}-ash-over-amsterdam"
        channel = _wait(lambda: db.execute("SELECT channel_id FROM room_channels WHERE room_id = ?",
                                           [room_id]).fetchone())[0]
        _wait(lambda: slack.messages.get(channel))
        assert slack.messages[channel][0]["text"].startswith("War room opened by olga from playbook mass-disruption")
        _wait(lambda: "U0OLGA" in slack.members(channel))
    finally:
        srv.stop(signal.SIGKILL)
    again = Server(tmp_path, extra_env=_env(slack), db_url=srv.db_url).start()
    try:
        # A new event after the restart: once it is in the channel, the restarted
        # process has synced, and the cursor (id order) would have re-sent the old one first.
        body = urlencode({"command": "/warroom", "text": f"page {room_id} all hands", "user_id": "U0OLGA"})
        assert "Paging for" in requests.post(again.url + "/slack/commands", data=body, headers=_signed(body),
                                             timeout=10).json()["text"]
        _wait(lambda: len(slack.messages[channel]) >= 2)
    finally:
        again.stop()
    texts = [m["text"] for m in slack.messages[channel]]
    assert texts[0].startswith("War room opened") and texts[1].startswith("Paging: escalation #")
    keys = [m["metadata"]["event_payload"]["key"] for m in slack.messages[channel]]
    assert len(keys) == len(set(keys)) == 2
    assert len(slack.calls_to("conversations.create")) == 1
    assert [c["body"]["users"] for c in slack.calls_to("conversations.invite")] == ["U0OLGA"]
