"""Hostile payloads against every registered /board command, through the
Flask-SocketIO test client as a lead (so the role check lets every command
through to its arguments). Each command must answer, either {"ok": true, ...}
or {"error": str}; never without an answer, never a server exception (the
namespace's last-resort "internal error" reply counts as one).
WARROOM_FUZZ_EXAMPLES raises the examples per command."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom import config as configmod
from warroom import db as dbmod
from warroom import rooms
from warroom.web import socket_commands

from ..conftest import FIXED_NOW, add_mention, call, make_user, sock, store_env
from .fuzz_values import EXAMPLES, values_or_deep, with_real_ids

# The argument names commands read; others arrive too, as noise.
KEYS = ["room", "mention_id", "draft_id", "fact_id", "fact_ids", "text", "reason", "override_reason",
        "kind", "retire", "escalation", "note"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from warroom.app import create_app

    tmp = tmp_path_factory.mktemp("sockfuzz")
    cfg = configmod.load(None, env={**store_env(tmp), "WARROOM_SECRET_KEY": "test-secret"})
    app = create_app(cfg)
    app.config["TESTING"] = True
    db = dbmod.connect(cfg.db_url)
    lead = make_user(db, "lena", "lead")
    room = rooms.open_room(db, FIXED_NOW, lead, "Fuzz")
    mention = add_mention(db, room.id, FIXED_NOW)
    db.close()
    _, client = sock(app, "lena")
    yield client, [room.id, mention, 1, 2]
    client.disconnect(namespace="/board")


def command_names() -> list[str]:
    from warroom.live import BUILTIN_COMMANDS

    return sorted({c.name for c in BUILTIN_COMMANDS + socket_commands()})


def test_every_command_is_fuzzed():
    assert {"join", "draft.save", "escalation.ack", "facts.update"} <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_command_answers_hostile_payloads(world, name):
    client, ids = world
    # Every argument name commands read, each hostile or real, plus noise keys.
    args = st.fixed_dictionaries({k: with_real_ids(ids) for k in KEYS})
    noise = st.dictionaries(st.text(max_size=8), values_or_deep, max_size=2)
    payloads = st.builds(lambda a, b: {**b, **a}, args, st.just({}) | noise)
    check_answers(client, name, payloads)


def test_payloads_that_are_not_objects(world):
    client, _ = world
    for name in command_names():
        check_answers(client, name, values_or_deep, examples=max(3, EXAMPLES // 5))


def check_answers(client, name: str, payloads, examples: int = EXAMPLES) -> None:
    @given(payload=payloads)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(payload):
        reply = call(client, name, payload)
        assert isinstance(reply, dict), f"{name}: no answer or not an object: {reply!r}"
        if reply.get("ok") is True:
            return
        assert isinstance(reply.get("error"), str), f"{name}: {reply!r}"
        assert reply["error"] != "internal error", f"{name} raised on {payload!r}"
        assert set(reply) <= {"error", "field"}, reply

    check()
