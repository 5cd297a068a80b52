"""Correctly signed but hostile Slack requests (the signing secret of the
tests/slack tests): slash commands with random verbs and arguments, and
interactions whose payload is any JSON (nested, >64-bit ints, surrogates,
wrong types) or not JSON at all. Never a 5xx, never a traceback; a 4xx is
JSON naming the field. WARROOM_FUZZ_EXAMPLES raises the examples."""

from __future__ import annotations

import json
import time
from urllib.parse import quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from warroom import config as configmod
from warroom import db as dbmod
from warroom import escalation, rooms
from warroom.slack import ACK_ACTION, APPROVE_ACTION, REJECT_ACTION, REJECT_VIEW

from ..conftest import FIXED_NOW, make_user, store_env
from ..web.fuzz_values import EXAMPLES, HOSTILE, values, values_or_deep

SECRET = "test-signing-secret"  # as in test_slack_e2e.py
SLACK_IDS = ["U0LENA", "U0ANN", "U0NOBODY", "", "\ud800"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from warroom.app import create_app

    tmp = tmp_path_factory.mktemp("slackfuzz")
    cfg = configmod.load(None, env={**store_env(tmp), "WARROOM_SECRET_KEY": "test-secret"})
    mp = pytest.MonkeyPatch()
    mp.setenv("SLACK_SIGNING_SECRET", SECRET)
    app = create_app(cfg)
    db = dbmod.connect(cfg.db_url)
    lead = make_user(db, "lena", "lead", slack_id="U0LENA")
    make_user(db, "ann", "responder", slack_id="U0ANN")
    room = rooms.open_room(db, FIXED_NOW, lead, "Fuzz")
    with dbmod.transaction(db):
        escalation.open_escalation(db, FIXED_NOW, room.id, "spike", {"value": 1}, None)
    db.close()
    yield app.test_client()
    mp.undo()


def form(fields: dict) -> str:
    # surrogatepass: a lone surrogate becomes bytes that are not UTF-8 at all
    return "&".join(f"{k}={quote_plus(v, encoding='utf-8', errors='surrogatepass')}"
                    for k, v in fields.items())


def signed_post(client, path: str, body: str):
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return client.post(path, data=body, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded"})


def check(resp) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code < 500, (resp.status_code, text[:300])
    assert "Traceback" not in text
    if resp.status_code >= 400 and resp.status_code != 401:
        assert isinstance(resp.json["error"], str) and resp.json.get("field"), text[:300]


def words():
    odd = st.sampled_from([str(h) for h in HOSTILE if not isinstance(h, (list, dict))])
    return st.one_of(odd, odd, st.sampled_from(["1", "#1", "2", "0", "#" + "9" * 25]), st.text(max_size=12))


text_field = st.builds(
    lambda verb, args: " ".join([verb, *args]),
    st.sampled_from(["ack", "page", "open", "status", "help", "ACK", "Page"]) | st.text(max_size=6),
    st.lists(words(), min_size=1, max_size=3),
)
commands = st.fixed_dictionaries(
    {"user_id": st.sampled_from(SLACK_IDS) | st.text(max_size=12), "text": text_field},
    optional={"command": st.just("/warroom"), "team_id": st.text(max_size=5)},
)

draft_values = st.builds(lambda d, r: json.dumps({"draft": d, "revision": r}), values, values)
ack_like = st.fixed_dictionaries(
    {"action_id": st.sampled_from([ACK_ACTION, APPROVE_ACTION, REJECT_ACTION]) | values},
    optional={"value": st.sampled_from(["1", "2", '{"draft": 1, "revision": 1}']) | draft_values | values},
)
reject_views = st.fixed_dictionaries(
    {"type": st.just("view_submission"),
     "view": st.fixed_dictionaries({"callback_id": st.just(REJECT_VIEW) | values},
                                   optional={"private_metadata": draft_values | values,
                                             "state": values_or_deep}) | values},
    optional={"user": st.fixed_dictionaries({}, optional={"id": st.sampled_from(SLACK_IDS) | values}) | values},
)
payloads = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("block_actions") | values},
        optional={"user": st.fixed_dictionaries({}, optional={"id": st.sampled_from(SLACK_IDS) | values})
                  | values,
                  "actions": st.lists(ack_like | values, max_size=3) | values}),
    reject_views,
    values_or_deep,
)
payload_text = st.one_of(payloads.map(json.dumps), st.text(max_size=30),
                         st.just("[" * 5000 + "]" * 5000), st.just('{"a": ' + "9" * 5000 + "}"))


def test_signed_slash_commands_never_fail(client):
    @given(fields=commands)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(fields):
        check(signed_post(client, "/slack/commands", form(fields)))

    run()


def test_signed_interactions_never_fail(client):
    @given(raw=payload_text)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(raw):
        check(signed_post(client, "/slack/interactions", form({"payload": raw})))

    run()
