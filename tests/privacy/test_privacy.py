"""Retention and data-subject requests, on a real database with a fixed clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import GOOD, make_user, rev
from warroom import accounts, events, postmortem, privacy, responses, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.listening import mentions
from warroom.listening.sentiment import Scorer

SCORER = Scorer()


def _records(now, author, n, start=0):
    return [{"external_id": f"{author}-{i}", "source": "mastodon", "author": author,
             "text": f"{author} here: still stranded at the gate, flight {i} cancelled",
             "url": f"https://social.example/{author}/{i}", "followers": 40 + i,
             "created_at": iso(now - timedelta(seconds=i))} for i in range(start, start + n)]


def _ingest(db, now, room_id, author, n, start=0):
    return mentions.ingest(db, now, room_id, mentions.validate(_records(now, author, n, start), now), SCORER)


def _reply(db, now, room_id, mention_id, author_user, lead, text):
    draft = responses.save_draft(db, now, author_user, room_id, text, mention_id=mention_id)
    responses.submit(db, now, author_user, draft.id)
    responses.approve(db, now, lead, draft.id, rev(db, draft.id))
    return responses.publish(db, now + timedelta(minutes=5), author_user, draft.id)


def _monitor(db, now, brand="Acme"):
    with transaction(db):
        return db.execute(
            "INSERT INTO monitors (brand, playbook_id, open_room, status, created_at, updated_at)"
            " VALUES (?, 'p', 'offer', 'active', ?, ?)", [brand, iso(now), iso(now)]).lastrowid


def _monitor_mention(db, now, monitor_id, author, ext):
    with transaction(db):
        db.execute(
            "INSERT INTO monitor_mentions (monitor_id, source, external_id, author, text, url, created_at,"
            " received_at, followers, sentiment, sentiment_label)"
            " VALUES (?, 'mastodon', ?, ?, 'hello from the monitor', 'https://x.example/1', ?, ?, 7, -0.2,"
            " 'negative')", [monitor_id, ext, author, iso(now), iso(now)])


@pytest.fixture
def room_with_data(db, now):
    lead = make_user(db, "lead", "lead")
    vol = make_user(db, "vol", "responder")
    room = rooms.open_room(db, now, lead, "Ash cloud")
    _ingest(db, now, room.id, "@anna", 3)
    _ingest(db, now + timedelta(minutes=1), room.id, "@bob", 2)
    anna_first = db.execute("SELECT MIN(id) FROM mentions WHERE author = '@anna'").fetchone()[0]
    _reply(db, now + timedelta(minutes=2), room.id, anna_first, vol, lead, "@anna " + GOOD)
    return room, lead, vol, anna_first


def test_retention_erases_personal_fields_and_keeps_the_post_mortem(db, now, room_with_data):
    room, lead, _vol, anna_first = room_with_data
    team = accounts.add_team(db, now, "Airline", "admin")
    accounts.assign(db, now, "room", room.id, team.id, "admin")
    privacy.set_retention(db, now, team.id, 30, "admin")
    before = postmortem.build_report(db, room.id, now + timedelta(days=1))
    minutes_before = db.execute("SELECT * FROM mention_minutes WHERE room_id = ? ORDER BY minute",
                                [room.id]).fetchall()

    # day 29: nothing is old enough; the installation default (1 day) loses to the team's 30
    assert privacy.retention_sweep(db, now + timedelta(days=29), default_days=1).total == 0
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE author != ''").fetchone()[0] == 5

    later = now + timedelta(days=31)
    done = privacy.retention_sweep(db, later, default_days=0)
    assert done.mentions == 5
    rows = db.execute("SELECT author, text, url, followers, external_id, erased_at, sentiment_label"
                      " FROM mentions ORDER BY id").fetchall()
    assert len(rows) == 5
    for author, text, url, followers, ext, erased_at, label in rows:
        assert (author, text, url, followers) == ("", "", "", None)
        assert ext.startswith("erased:") and "anna" not in ext and "bob" not in ext
        assert erased_at == iso(later) and label in ("negative", "neutral", "positive")
    # the reply keeps its words but not the name; no event text keeps it either
    (reply_text,) = db.execute("SELECT text FROM responses WHERE mention_id = ?", [anna_first]).fetchone()
    assert reply_text == "[erased] " + GOOD.replace("Anna", "[erased]")
    assert not db.execute("SELECT COUNT(*) FROM events WHERE data LIKE '%@anna%'").fetchone()[0]
    # the post-mortem adds up exactly as before (same clock); the timeline has
    # the same events, only reply texts lost the name
    after = postmortem.build_report(db, room.id, now + timedelta(days=1))
    assert {k: v for k, v in after.items() if k not in ("timeline", "campaigns")} == {
        k: v for k, v in before.items() if k not in ("timeline", "campaigns")}
    # campaigns keep their numbers; their first post loses its author and text like every erased post
    assert [{k: v for k, v in c.items() if k != "first_post"} for c in after["campaigns"]] == [
        {k: v for k, v in c.items() if k != "first_post"} for c in before["campaigns"]]
    assert all((c["first_post"] or {}).get("author") in ("", None) and not (c["first_post"] or {}).get("text")
               for c in after["campaigns"])
    assert [(e["id"], e["ts"], e["kind"], e["actor"]) for e in after["timeline"]] == [
        (e["id"], e["ts"], e["kind"], e["actor"]) for e in before["timeline"]]
    changed = [(b["kind"], b["data"]["text"], a["data"]["text"])
               for a, b in zip(after["timeline"], before["timeline"], strict=True) if a != b]
    assert changed and all("anna" in old.lower() and "anna" not in new.lower() for _k, old, new in changed)
    assert all({k: v for k, v in a["data"].items() if k != "text"} == {k: v for k, v in b["data"].items()
                                                                       if k != "text"}
               for a, b in zip(after["timeline"], before["timeline"], strict=True))
    assert db.execute("SELECT * FROM mention_minutes WHERE room_id = ? ORDER BY minute",
                      [room.id]).fetchall() == minutes_before
    runs = [e for e in events.since(db, 0) if e.kind == "privacy.retention"]
    assert len(runs) == 1 and runs[0].data["mentions"] == 5 and runs[0].room is None
    assert "privacy.retention" in {e["kind"] for e in accounts.audit_log(db, kind="privacy.")}
    # a second run finds nothing more and records nothing
    assert privacy.retention_sweep(db, later + timedelta(days=1)).total == 0


def test_retention_defaults_to_the_installation_and_zero_keeps(db, now):
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "No team")
    _ingest(db, now, room.id, "@cara", 2)
    monitor = _monitor(db, now)
    _monitor_mention(db, now, monitor, "@cara", "m1")
    assert privacy.retention_sweep(db, now + timedelta(days=400), default_days=0).total == 0
    done = privacy.retention_sweep(db, now + timedelta(days=8), default_days=7)
    assert (done.mentions, done.monitor_mentions) == (2, 1)
    assert db.execute("SELECT author, text, followers FROM monitor_mentions").fetchall() == [("", "", None)]


def test_erase_then_export_finds_nothing(db, now, room_with_data):
    room, _lead, _vol, anna_first = room_with_data
    monitor = _monitor(db, now)
    _monitor_mention(db, now, monitor, "@Anna", "m1")
    found = privacy.export_author(db, now, "@anna", "admin")
    assert len(found["mentions"]) == 3 and len(found["monitor_mentions"]) == 1
    assert [r["mention_id"] for r in found["responses"]] == [anna_first]
    assert len(found["drafts"]) == 1
    assert all(m["author"] == "@anna" for m in found["mentions"])
    json.dumps(found)  # JSON as it stands

    done = privacy.erase_author(db, now + timedelta(hours=1), "@ANNA", "admin")
    assert (done["mentions"], done["monitor_mentions"], done["responses"], done["drafts"]) == (3, 1, 1, 1)
    empty = privacy.export_author(db, now + timedelta(hours=2), "@anna", "admin")
    assert all(empty[k] == [] for k in ("mentions", "monitor_mentions", "mention_sources", "claims",
                                         "drafts", "responses", "deliveries"))
    # bob is untouched; anna's counts stay
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE author = '@bob'").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE room_id = ?", [room.id]).fetchone()[0] == 5
    reply = db.execute("SELECT text, author, published_by, erased_at FROM responses").fetchone()
    assert reply[0] == "[erased] " + GOOD.replace("Anna", "[erased]") and reply[1] == "vol" and reply[3] is not None
    kinds = [e["kind"] for e in accounts.audit_log(db, kind="privacy.")]
    assert kinds.count("privacy.exported") == 2 and kinds.count("privacy.erased") == 1
    # no run's event names the author it was about
    assert not db.execute("SELECT COUNT(*) FROM events WHERE kind LIKE 'privacy.%'"
                          " AND data LIKE '%anna%' COLLATE NOCASE").fetchone()[0]


def test_a_published_reply_allows_only_the_erasure(db, now, room_with_data):
    import sqlite3

    _room, _lead, _vol, _first = room_with_data
    (rid,) = db.execute("SELECT id FROM responses").fetchone()
    for sql in ("UPDATE responses SET text = 'rewritten' WHERE id = ?",
                "UPDATE responses SET text = 'rewritten', erased_at = 'x' WHERE id = ?",
                "UPDATE responses SET text = '[erased]', author = 'eve', erased_at = 'x' WHERE id = ?",
                "DELETE FROM responses WHERE id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            with transaction(db):
                db.execute(sql, [rid])
    with transaction(db):
        db.execute("UPDATE responses SET text = '[erased] hi', erased_at = 'x' WHERE id = ?", [rid])
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):  # once only
        with transaction(db):
            db.execute("UPDATE responses SET text = '[erased] again', erased_at = 'y' WHERE id = ?", [rid])


def test_scrub_matches_the_handle_only():
    assert privacy.scrub("@anna thanks, Anna and @annabel", "@anna") == "[erased] thanks, [erased] and @annabel"
    assert privacy.scrub("hi @bob@social.example!", "@bob@social.example") == "hi [erased]!"


@pytest.mark.parametrize("value", ["", "   ", None, 7, "x" * 201])
def test_bad_author_names_the_field(db, now, value):
    with pytest.raises(privacy.PrivacyError) as err:
        privacy.erase_author(db, now, value, "admin")
    assert err.value.field == "author"


def test_bad_retention_names_the_field(db, now):
    team = accounts.add_team(db, now, "Airline", "admin")
    for days in (0, -1, "30", True, 40000):
        with pytest.raises(privacy.PrivacyError) as err:
            privacy.set_retention(db, now, team.id, days, "admin")
        assert err.value.field == "retention_days"
    with pytest.raises(privacy.PrivacyError) as err:
        privacy.set_retention(db, now, 999, 3, "admin")
    assert err.value.status == 404
    assert privacy.set_retention(db, now, team.id, None, "admin")["retention_days"] is None


def test_the_scheduler_job_uses_the_installation_default(tmp_path, now):
    from tests.conftest import add_mention
    from warroom import config, jobs, scheduler
    from warroom import db as dbmod
    from warroom.app import create_app

    settings = config.load(None, env={"WARROOM_DB_PATH": str(tmp_path / "w.db"), "WARROOM_SECRET_KEY": "k",
                                      "WARROOM_PRIVACY_RETENTION_DAYS": "3"})
    app = create_app(settings)
    job = {j.name: j for j in scheduler.jobs()}["retention"]
    assert job.seconds(settings) == 3600
    db = dbmod.connect(settings.db_url)
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Old news")
    old = add_mention(db, room.id, now, received=now - timedelta(days=400))
    fresh = add_mention(db, room.id, now, received=now + timedelta(days=36500))  # the job reads the real clock
    assert jobs.run_retention(app).mentions == 1
    authors = dict(db.execute("SELECT id, author FROM mentions").fetchall())
    assert authors == {old: "", fresh: "@anna"}
    db.close()
