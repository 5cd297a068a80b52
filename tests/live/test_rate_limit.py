"""Socket.IO commands are rate-limited per session (a token bucket on a
fixed clock here): a looping client is told to slow down, others are not."""

from __future__ import annotations

from warroom import rooms
from warroom.live import CommandLimiter

from ..conftest import GOOD, call, make_user, sock

SLOW_DOWN = {"error": "too many commands, slow down"}


def test_a_flooding_session_is_told_to_slow_down_and_others_are_not(app, db, now):
    lead = make_user(db, "lead", "lead")
    make_user(db, "vol", "responder")
    room = rooms.open_room(db, now, lead, "Recall")
    clock = [1024.0]
    limiter = app.extensions["warroom_command_limiter"]
    limiter.clock = lambda: clock[0]
    _, loop = sock(app, "vol")
    _, other = sock(app, "lead")
    check = {"room": room.id, "text": GOOD}
    answers = [call(loop, "lint.check", check) for _ in range(int(limiter.burst) + 5)]
    assert all("findings" in a for a in answers[: int(limiter.burst)])
    assert answers[int(limiter.burst):] == [SLOW_DOWN] * 5
    # refused commands do not run: even an unknown one gets the same answer
    assert call(loop, "no.such", {}) == SLOW_DOWN
    assert "findings" in call(other, "lint.check", check)  # another session has its own bucket
    clock[0] += 0.25  # a quarter second: rate / 4 tokens back
    back = [call(loop, "lint.check", check) for _ in range(int(limiter.rate / 4) + 1)]
    assert all("findings" in a for a in back[:-1]) and back[-1] == SLOW_DOWN
    for c in (loop, other):
        c.disconnect(namespace="/board")


def test_bucket_refills_at_the_rate_up_to_the_burst_and_idle_sessions_are_forgotten():
    clock = [0.0]
    limiter = CommandLimiter(rate=2, burst=3, clock=lambda: clock[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    clock[0] += 0.5
    assert [limiter.allow("a") for _ in range(2)] == [True, False]
    clock[0] += 100  # refills to the burst, not beyond
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    for i in range(1001):
        limiter.allow(f"s{i}")
    clock[0] += 10
    limiter.allow("late")
    assert len(limiter._buckets) < 10


def test_the_limit_comes_from_the_settings(tmp_path, now):
    import pytest

    from warroom import config as configmod
    from warroom import db as dbmod
    from warroom.app import create_app

    env = {"WARROOM_DB_PATH": str(tmp_path / "w.db"), "WARROOM_SECRET_KEY": "k",
           "WARROOM_LIVE_COMMANDS_PER_SECOND": "3", "WARROOM_LIVE_COMMAND_BURST": "2"}
    app = create_app(configmod.load(None, env=env))
    app.config["TESTING"] = True
    db = dbmod.connect(tmp_path / "w.db")
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Recall")
    db.close()
    limiter = app.extensions["warroom_command_limiter"]
    assert (limiter.rate, limiter.burst) == (3.0, 2.0)
    limiter.clock = lambda: 50.0
    _, sc = sock(app, "lead")
    answers = [call(sc, "lint.check", {"room": room.id, "text": GOOD}) for _ in range(3)]
    assert ["findings" in a for a in answers] == [True, True, False] and answers[2] == SLOW_DOWN
    sc.disconnect(namespace="/board")
    with pytest.raises(configmod.ConfigError, match="live.command_burst must be at least 1"):
        configmod.load(None, env={**env, "WARROOM_LIVE_COMMAND_BURST": "0"})
