"""`[ingest] warm_languages`: a real server loads the language models when it
starts, in the background, so the first storm batch after a restart does not
wait for them; with it off (the test servers' setting) they load on first use."""

from __future__ import annotations

import pytest
import requests

from warroom import rooms
from warroom.clock import utcnow
from warroom.listening import tokens

from ..conftest import Server, make_user, wait_until

pytestmark = pytest.mark.e2e

LOADED = "language models loaded in"


def _post_french(server: Server) -> dict:
    db = server.db()
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, utcnow(), lead, "Global")
    _row, token = tokens.create(db, utcnow(), "twitter", room.id)
    db.close()
    posted = requests.post(f"{server.url}/api/v1/rooms/{room.id}/mentions", json=[
        {"external_id": "fr1", "author": "@claire", "url": "", "created_at": utcnow().isoformat(),
         "text": "Vol annulé, deux heures au téléphone et toujours aucune réponse"}],
        headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert posted.status_code == 202, posted.text
    db = server.db()
    lang = db.execute("SELECT lang FROM mentions WHERE external_id = 'fr1'").fetchone()[0]
    db.close()
    return lang


def test_a_server_loads_the_language_models_at_start_without_any_mention(tmp_path):
    server = Server(tmp_path, extra_env={"WARROOM_INGEST_WARM_LANGUAGES": "true"}).start()
    try:
        wait_until(lambda: LOADED in server.output(), timeout=120, what="the models loaded at start")
        db = server.db()
        assert db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == 0  # no mention asked for them
        db.close()
        assert _post_french(server) == "fr"
    finally:
        server.stop()


def test_with_warming_off_the_models_load_on_first_use(server):
    assert _post_french(server) == "fr"
    assert LOADED not in server.output()
