"""Fixtures of the platform tests: a Mastodon-compatible server, the vault,
a room with its people, and a connector to it."""

from __future__ import annotations

import pytest

from warroom import rooms
from warroom.listening.sentiment import Scorer
from warroom.platforms import crypto, store

from ..conftest import make_user
from ..mastodon_server import MastodonServer

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
