"""Issue 19 defect 12: each playbook names its demo storm (``demo_storm``),
an unknown one is a file:line error (exit 2 from `playbooks check`), and
`drill PLAYBOOK` without FILE replays the playbook's own storm, not the
palm-oil swarm in an airline room."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import FIXED_NOW, ROOT
from warroom import db as dbmod
from warroom import playbooks, rooms
from warroom.listening import storms, volume
from warroom.listening.sentiment import Scorer

from .test_drill import cli_main

SHIPPED = {"mass-disruption": "airline", "service-complaint": "airline",
           "activist-swarm": "activist", "product-recall": "recall"}
WORDS = {"airline": ("cancelled", "rebook", "stranded"), "activist": ("palm oil", "rainforest"),
         "recall": ("recall", "pedal")}


def test_every_shipped_playbook_names_its_storm():
    for pid, storm in SHIPPED.items():
        path = ROOT / "playbooks" / f"{pid}.md"
        assert playbooks.parse(path.read_text(encoding="utf-8"), str(path)).demo_storm == storm
    assert set(playbooks.DEMO_STORMS) == set(storms.STORMS)   # the names the validator knows all exist


def test_an_unknown_storm_is_a_file_line_error_and_check_exits_2(tmp_path, monkeypatch, capsys):
    text = (ROOT / "playbooks" / "mass-disruption.md").read_text(encoding="utf-8")
    bad = text.replace('demo_storm = "airline"', 'demo_storm = "volcano"')
    line = bad.splitlines().index(next(x for x in bad.splitlines() if x.startswith("demo_storm"))) + 1
    with pytest.raises(playbooks.PlaybookInvalid) as err:
        playbooks.parse(bad, "md.md")
    assert err.value.errors == [f"md.md:{line}: demo_storm must be one of activist, airline, recall,"
                                " got 'volcano'"]
    path = tmp_path / "md.md"
    path.write_text(bad, encoding="utf-8")
    code, _out, errs = cli_main(tmp_path, monkeypatch, capsys, "playbooks", "check", str(path))
    assert code == 2 and f"{path}:{line}: demo_storm must be one of" in errs


@pytest.mark.parametrize("name", ["airline", "recall"])
def test_generated_storms_are_seeded_on_topic_and_spike(name, db, now):
    storm = storms.STORMS[name]
    first, again = storms.load(storm, FIXED_NOW), storms.load(storm, FIXED_NOW)
    assert first == again and len(first) > 1000                       # the same storm on every run
    text = " ".join(m.text.lower() for m in first)
    assert all(w in text for w in WORDS[name]) and "palm oil" not in text
    minutes = Counter(m.created_at[:16] for m in first)
    assert max(minutes.values()) > 10 * sorted(minutes.values())[len(minutes) // 4]   # a storm, not noise
    # and the detector, replayed into a room, calls it a spike
    from warroom import accounts
    from warroom.listening import replay
    room = rooms.open_room(db, now, accounts.add_user(db, now, "l", "lead", "correct horse battery"), "x")
    replay.replay(db, room.id, first, Scorer(), now_fn=lambda: now)
    assert volume.spikes_of(db, room.id)


def test_drill_without_file_replays_the_playbooks_own_storm(tmp_path, monkeypatch, capsys):
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "drill", "mass-disruption")
    assert code == 0, err
    assert "replaying the airline demo storm" in out
    db = dbmod.connect(tmp_path / "cli.db")
    try:
        (room,) = rooms.list_rooms(db)
        texts = " ".join(r[0].lower() for r in db.execute("SELECT text FROM mentions WHERE room_id = ?",
                                                           [room.id]))
        (file,) = db.execute("SELECT file FROM drills WHERE room_id = ?", [room.id]).fetchone()
    finally:
        db.close()
    assert "cancelled" in texts and "palm oil" not in texts and "rainforest" not in texts
    assert file == "synthetic airline storm (seed 20100415)"


def _drill_finished(db, room_id, deadline):
    import time
    while time.monotonic() < deadline:
        if db.execute("SELECT finished_at FROM drills WHERE room_id = ?", [room_id]).fetchone()[0]:
            return True
        time.sleep(0.05)
    return False


def test_the_rooms_pages_drill_replays_the_playbooks_own_storm(app, db, now):
    import time

    from tests.conftest import login_client, make_user
    from warroom.clock import utcnow
    from warroom.playbooks import store as playbook_store

    make_user(db, "lead", "lead")
    playbook_store.import_files(db, utcnow(), [ROOT / "playbooks" / "product-recall.md"], actor="test")
    client = app.test_client()
    csrf = login_client(client, "lead")
    bad = client.post("/rooms", data={"csrf_token": csrf, "title": "Pedal drill", "playbook": "product-recall",
                                      "drill": "1", "drill_speed": "fast"})
    assert bad.status_code == 422 and "drill_speed" in bad.text
    resp = client.post("/rooms", data={"csrf_token": csrf, "title": "Pedal drill", "playbook": "product-recall",
                                       "drill": "1", "drill_speed": "max"})
    assert resp.status_code == 302, resp.text
    room_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _drill_finished(db, room_id, time.monotonic() + 120)
    room = rooms.get_room(db, room_id)
    assert room.is_drill and room.title == "DRILL: Pedal drill"
    texts = " ".join(r[0].lower() for r in db.execute("SELECT text FROM mentions WHERE room_id = ?", [room_id]))
    assert "recall" in texts and "palm oil" not in texts
    (file, mentions) = db.execute("SELECT file, mentions FROM drills WHERE room_id = ?", [room_id]).fetchone()
    assert file == "synthetic recall storm (seed 20100121)" and mentions == len(storms.load(storms.STORMS["recall"], now))
