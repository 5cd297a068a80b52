"""Fixtures of the platform tests: a Mastodon-compatible server, the vault,
a room with its people, a connector to it; and the reference Bluesky PDS,
booted once per session (about 2 s), with a fresh brand and customer account
for each test so tests never see each other's posts (every test reads the
event stream from the start, cursor 0)."""

from __future__ import annotations

import itertools
import threading

import pytest

from warroom import rooms
from warroom.listening.sentiment import Scorer
from warroom.platforms import bluesky, crypto, store

from ..conftest import make_user
from ..mastodon_server import MastodonServer
from ..pds_server import PdsServer

SCORER = Scorer()
TOKEN = "tok-brand"


@pytest.fixture
def masto():
    srv = MastodonServer(max_characters=500).start()
    yield srv
    srv.stop()


@pytest.fixture
def vault():
    return crypto.Vault("test-secret")


@pytest.fixture
def people(db):
    return {name: make_user(db, name, role) for name, role in
            (("vol", "responder"), ("appr", "approver"), ("lead", "lead"), ("viewer", "viewer"))}


@pytest.fixture
def room(db, now, people):
    return rooms.open_room(db, now, people["lead"], "Ash cloud")


@pytest.fixture
def masto_connector(db, now, vault, room, masto):
    return store.create(db, now, "lead", vault, room.id, "mastodon", "@brand@local",
                        settings={"instance_url": masto.url, "hashtags": "ashcloud"},
                        secrets={"access_token": TOKEN})


_names = itertools.count(1)


@pytest.fixture(scope="session")
def pds():
    server = PdsServer().start()
    yield server
    server.stop()


@pytest.fixture
def bsky(pds):
    """A brand account (with an app password), a customer, a keyword of this
    test's own, and ``connect(**overrides)`` building the brand's connector."""
    n = next(_names)
    brand = pds.account(f"brand{n}")
    customer = pds.account(f"cust{n}")
    keyword = f"stranded{n}"
    app_password = pds.app_password(brand)

    class Env:
        pass

    env = Env()
    env.brand, env.customer, env.keyword, env.app_password = brand, customer, keyword, app_password

    def connect(secrets=None, **settings):
        base = {"handle": brand.handle, "service": pds.url, "keywords": f"{keyword}, refund{n}",
                "plc_url": pds.plc_url}
        return bluesky.factory({**base, **settings}, secrets or {"app_password": app_password})

    env.connect = connect
    return env


def collect(connector, cursor, until, *, timeout: float = 20.0):
    """Listen from ``cursor`` until ``until(posts)`` holds; returns (posts, batches).
    The timeout only turns a hang into a failure."""
    stop = threading.Event()
    posts, batches = [], []
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    gen = connector.listen(cursor, stop)
    try:
        for batch in gen:
            batches.append(batch)
            posts.extend(batch.posts)
            if until(posts):
                break
    finally:
        gen.close()
        timer.cancel()
    assert until(posts), f"the stream stopped before the posts arrived; got {posts}"
    return posts, batches
