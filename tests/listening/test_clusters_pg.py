"""Near-duplicate clustering at ingest on PostgreSQL (a real server,
tests/pg_server.py), whatever WARROOM_TEST_STORE says: the index cache key
and the cluster update used SQLite-only SQL (PRAGMA database_list, scalar
MIN/MAX), so every ingest on PostgreSQL failed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import pg_server
from tests.conftest import make_user
from warroom import db as dbmod
from warroom import rooms
from warroom.clock import iso
from warroom.listening import clusters, mentions
from warroom.listening.sentiment import Scorer

pytestmark = pytest.mark.postgresql  # PostgreSQL whatever the pass: run once, in its pass

TEXT = "Thousands of customers locked out of their accounts since Monday and not a single update"


def test_copies_ingested_on_postgresql_form_one_cluster_with_the_earliest_first_post(now):
    db = dbmod.connect(pg_server.server().new_database())
    try:
        room = rooms.open_room(db, now, make_user(db, "Kim", "lead", now), "Lockout")
        scorer = Scorer()
        # the later copy arrives first: the second batch must move first_at back and last_at on
        for ext, minutes, text in [("b", -10, "RT @y: " + TEXT), ("a", -20, TEXT), ("c", 0, TEXT + " #shame")]:
            batch = [{"external_id": ext, "source": "twitter", "author": "x", "text": text, "url": "",
                      "created_at": iso(now + timedelta(minutes=minutes))}]
            mentions.ingest(db, now, room.id, mentions.validate(batch, now), scorer)
        ids = {r[1]: r[0] for r in db.execute("SELECT id, external_id FROM mentions")}
        got = clusters.of_mentions(db, list(ids.values()))
        assert {size for _cid, size in got.values()} == {3} and len({cid for cid, _ in got.values()}) == 1
        first_id, first_at, last_at = db.execute(
            "SELECT first_mention_id, first_at, last_at FROM mention_clusters").fetchone()
        assert first_id == ids["a"]
        assert (first_at, last_at) == (iso(now - timedelta(minutes=20)), iso(now))
    finally:
        db.close()
