"""Channel health, asked by the board's banner: Slack missing, pages that
failed or reached only the log, steps with nobody to page, and connectors in
error, each with what to do; old failures age out of the window."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import ROOT, login_client, make_user
from warroom import escalation, playbooks, rooms, roster
from warroom.clock import iso
from warroom.escalation import paging

CFG = paging.PagingConfig(max_tries=1, backoff_seconds=30, throttle_per_15min=3, stale_seconds=60)
SLACK = escalation.HealthConfig(slack_configured=True)
NO_SLACK = escalation.HealthConfig(slack_configured=False)


def _room(db, now, with_lead=True):
    owner = make_user(db, "olga", "lead", now, slack_id="U0OLGA")
    pb = playbooks.parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    room = rooms.open_room(db, now, owner, "Ash cloud", playbook=pb)
    if with_lead:
        ann = make_user(db, "ann", "lead", now, slack_id="U0ANN")
        slot = next(s for s in roster.slots(db, room.id) if s.role == "Lead" and s.starts_at <= iso(now))
        roster.sign_up(db, now, ann, slot.id)
    return room


def _tick(db, now, sender):
    return paging.tick(db, now, sender, CFG, "host:1:a", alive=lambda t, stale: True)


def test_a_healthy_room_has_no_problems_and_no_slack_is_one_with_its_remedy(db, now):
    room = _room(db, now)
    assert escalation.channel_health(db, now, SLACK, room.id) == []
    [problem] = escalation.channel_health(db, now, NO_SLACK, room.id)
    assert problem.channel == "slack" and problem.severity == "error"
    assert "not configured" in problem.message and "SLACK_BOT_TOKEN" in problem.action
    # Pages then go to the server log only: the banner counts them.
    escalation.open_escalation(db, now, room.id, "spike", {"value": 99}, None)
    assert len(_tick(db, now, paging.LogSender()).sent) == 1
    [problem] = escalation.channel_health(db, now, NO_SLACK, room.id)
    assert problem.count == 1 and "1 page in the last 60 min went to the server log" in problem.message


def test_failed_slack_pages_and_nobody_to_page_are_problems_until_they_age_out(db, now, slack, sender):
    room = _room(db, now)
    slack.fail("conversations.open", 500, times=5)
    escalation.open_escalation(db, now, room.id, "spike", {"value": 99}, None)
    _tick(db, now, sender)
    problems = escalation.channel_health(db, now, SLACK, room.id)
    failed = [p for p in problems if p.channel == "slack"]
    assert len(failed) == 1 and failed[0].count == 1 and failed[0].examples == ["user:ann"]
    assert "1 page failed" in failed[0].message
    # Another room's failures are not this room's banner.
    other = rooms.open_room(db, now, make_user(db, "zed", "lead", now), "Elsewhere")
    assert escalation.channel_health(db, now, SLACK, other.id) == []
    # An hour and more later the failure is history, not a current problem.
    later = now + timedelta(minutes=61)
    assert [p for p in escalation.channel_health(db, later, SLACK, room.id) if p.channel == "slack"] == []


def test_a_step_with_nobody_on_shift_says_to_staff_the_role(db, now):
    room = _room(db, now, with_lead=False)
    escalation.open_escalation(db, now, room.id, "spike", {"value": 99}, None)
    escalation.issue_due_steps(db, now)
    problems = escalation.channel_health(db, now, SLACK, room.id)
    assert problems, "a step that reached nobody must show"
    assert all(p.severity == "error" and "Nobody to page" in p.message for p in problems)
    assert any(p.channel.lower().startswith("role:lead") for p in problems)
    assert all("roster" in p.action for p in problems)


def test_a_connector_in_error_is_a_warning_after_the_errors(db, now):
    room = _room(db, now)
    states = [escalation.ConnectorState("@brand@mastodon.social", "mastodon", "error", "401 token revoked"),
              escalation.ConnectorState("page", "facebook", "connected")]
    problems = escalation.channel_health(db, now, NO_SLACK, room.id, states)
    assert [p.severity for p in problems] == ["error", "warning"]
    assert problems[1].channel == "mastodon:@brand@mastodon.social" and "401 token revoked" in problems[1].message


def test_the_board_reads_the_problems_as_json(app, db, now, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    room = _room(db, now)
    client = app.test_client()
    login_client(client, "ann")
    body = client.get(f"/api/v1/rooms/{room.id}/channel-health").get_json()
    assert body["room"] == room.id and [p["channel"] for p in body["problems"]] == ["slack"]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    assert client.get(f"/api/v1/rooms/{room.id}/channel-health").get_json()["problems"] == []
    missing = client.get("/api/v1/rooms/999999/channel-health")
    assert missing.status_code == 404 and missing.get_json()["error"]
