"""Standing monitors (issue 16, item 1): a real storm paged from a monitor
opens a war room warm; offers; validation naming the field."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

import pytest

from tests.conftest import FIXED_NOW, ROOT, make_user, shared_data_dir, shipped_version
from warroom import accounts, escalation, rooms
from warroom.clock import iso
from warroom.listening import mentions, monitors, watch
from warroom.listening.sentiment import Scorer
from warroom.playbooks import parse, store

DATA = shared_data_dir()
COSTA_RICA = DATA / "crisislex_2012" / "2012_Costa_Rica_earthquake" / "2012_Costa_Rica_earthquake-tweetids_entire_period.csv"
ONSET = datetime.fromisoformat("2012-09-05T14:45:00+00:00")  # crisis_onsets.py's onset of this event


def _playbook(db):
    book = parse((ROOT / "playbooks" / "mass-disruption.md").read_text(), "mass-disruption.md")
    store.store(db, FIXED_NOW, book, actor="test", source="test")
    return book


def _monitor(db, open_room="auto", **extra):
    make_user(db, "lee", "lead")
    make_user(db, "ona", "responder")
    _playbook(db)
    return monitors.create(db, FIXED_NOW, "lee", {
        "brand": "Costa Rica", "keywords": ["sismo", "terremoto"], "playbook_id": "mass-disruption",
        "oncall": {"people": ["ona"], "handoff": "09:00", "rotation_days": 7, "start": "2012-09-03"},
        "open_room": open_room, **extra})


def _stamps():
    with COSTA_RICA.open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    seen = {r[1].strip().strip('"'): datetime.strptime(r[0].strip().strip('"'), "%a %b %d %H:%M:%S %z %Y")
            for r in rows}
    return sorted((t, i) for i, t in seen.items())


def _replay(db, monitor_id, until, since=None, stop_on_alarm=False):
    """Push the real timeline into the monitor in 5-minute batches, as a
    connector would; returns (alarms, the time reached)."""
    scorer = Scorer()
    posts = [(t, i) for t, i in _stamps() if t < until and (since is None or t >= since)]
    out, batch = [], []
    for k, (t, tid) in enumerate(posts):
        batch.append({"external_id": tid, "source": "twitter", "author": f"u{tid[-4:]}",
                      "text": "temblor fuerte en costa rica", "url": "", "created_at": t.isoformat()})
        start = datetime.fromisoformat(batch[0]["created_at"])
        if k + 1 == len(posts) or posts[k + 1][0] - start >= timedelta(minutes=5):
            now = t + timedelta(seconds=1)
            out.extend(watch.ingest(db, now, monitor_id, mentions.validate(batch, now), scorer).alarms)
            batch = []
            if out and stop_on_alarm:
                return out, posts[k + 1][0] if k + 1 < len(posts) else until
    return out, until


@pytest.mark.skipif(not COSTA_RICA.is_file(), reason=f"shared data absent: {COSTA_RICA}")
def test_a_real_storm_paged_from_a_standing_monitor_opens_a_warm_room(db):
    monitor = _monitor(db, "auto")
    fired, reached = _replay(db, monitor.id, ONSET + timedelta(hours=3), stop_on_alarm=True)
    assert len(fired) == 1  # none in the 32 quiet hours before the onset
    alarm = watch.alarms_of(db, monitor.id)[0]
    minute = datetime.fromisoformat(alarm["minute"].replace("Z", "+00:00"))
    assert ONSET - timedelta(minutes=1) <= minute <= ONSET + timedelta(minutes=15)
    room = rooms.get_room(db, fired[0]["room_id"])
    assert room.status == "open" and room.playbook_id == "mass-disruption"
    assert room.playbook_version == shipped_version("mass-disruption")
    # Warm: the room's detector is the monitor's as it paged (its learned
    # baseline rate, tails, clustering), with more than a day of history.
    _, mon_det = watch.load_detector(db, monitor.id)
    state = json.loads(db.execute("SELECT state FROM spike_state WHERE room_id = ?", [room.id]).fetchone()[0])
    assert state == mon_det.to_state()
    rate_a, rate_b = state["onset"][7]
    assert rate_a / rate_b == mon_det.onset.rate[0] / mon_det.onset.rate[1] > 0
    assert state["onset"][2] > 24 * 60 and state["armed"] is False  # history; disarmed for this storm
    # The mentions that led to it: the posts of the alarm's hour, no older.
    # (The floor: 20 an hour, or a quarter-hour proving that rate: 9+ posts.)
    hour = [(minute - timedelta(minutes=59)).strftime("%Y-%m-%dT%H:%M"),
            (minute + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")]
    copied = db.execute("SELECT MIN(created_at), COUNT(*) FROM mentions WHERE room_id = ?"
                        " AND created_at < ?", [room.id, hour[1]]).fetchone()
    judged = db.execute("SELECT COUNT(*) FROM monitor_mentions WHERE monitor_id = ? AND created_at >= ?"
                        " AND created_at < ?", [monitor.id, *hour]).fetchone()[0]
    assert copied[1] == judged >= 9 and copied[0] >= hour[0]
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE room_id = ? ORDER BY id", [room.id])]
    assert "spike.detected" in kinds and "escalation.opened" in kinds
    spike = json.loads(db.execute("SELECT data FROM events WHERE room_id = ? AND kind = 'spike.detected'",
                                  [room.id]).fetchone()[0])
    assert spike["monitor"] == monitor.id and spike["brand"] == "Costa Rica" and spike["kind"] == "volume"
    esc = escalation.open_for_room(db, room.id)
    assert esc.policy.steps[0].notify == ("user:ona",)  # the monitor's on-call person, paged first
    # The storm's next three hours page nobody again; history keeps accumulating.
    # The storm's next hours: at most its "larger surge" (10x the 15-minute
    # count that paged), which joins the same room; never a second room.
    more, _ = _replay(db, monitor.id, ONSET + timedelta(hours=3), since=reached)
    assert [(m["status"], m["room_id"]) for m in more] in ([], [("joined", room.id)])
    assert len(rooms.list_rooms(db)) == 1


@pytest.mark.skipif(not COSTA_RICA.is_file(), reason=f"shared data absent: {COSTA_RICA}")
def test_an_offer_waits_as_a_monitoring_room_until_a_lead_accepts_it(db):
    monitor = _monitor(db, "offer")
    fired, _ = _replay(db, monitor.id, ONSET + timedelta(minutes=30))
    assert [f["status"] for f in fired][:1] == ["offered"] and len({f["room_id"] for f in fired}) == 1
    room_id = fired[0]["room_id"]
    assert rooms.get_room(db, room_id).status == "monitoring"
    with pytest.raises(monitors.MonitorError) as exc:
        watch.accept_offer(db, FIXED_NOW, fired[0]["id"], make_user(db, "rex", "responder"))
    assert exc.value.field == "user" and exc.value.status == 403
    lee = accounts.find_user(db, "lee")
    assert watch.accept_offer(db, FIXED_NOW, fired[0]["id"], lee)["status"] == "accepted"
    assert rooms.get_room(db, room_id).status == "open"
    with pytest.raises(monitors.MonitorError, match="not an open offer"):
        watch.accept_offer(db, FIXED_NOW, fired[0]["id"], lee)


def test_a_paused_monitor_stores_nothing_and_sources_are_enforced(db):
    monitor = _monitor(db, sources=["twitter"])
    now = FIXED_NOW
    rec = {"external_id": "1", "source": "rss", "author": "a", "text": "hi", "url": "",
           "created_at": now.isoformat()}
    with pytest.raises(mentions.MentionInvalid) as exc:
        watch.ingest(db, now, monitor.id, mentions.validate([rec], now), Scorer())
    assert exc.value.field == "source"
    monitors.update(db, now, monitor.id, "lee", {"status": "paused"})
    rec["source"] = "twitter"
    with pytest.raises(monitors.MonitorError) as exc:
        watch.ingest(db, now, monitor.id, mentions.validate([rec], now), Scorer())
    assert exc.value.status == 409
    assert db.execute("SELECT COUNT(*) FROM monitor_mentions").fetchone()[0] == 0


@pytest.mark.skipif(not COSTA_RICA.is_file(), reason=f"shared data absent: {COSTA_RICA}")
def test_after_the_room_opens_the_monitors_new_posts_reach_it_once_until_it_closes(db):
    monitor = _monitor(db, "auto")
    fired, reached = _replay(db, monitor.id, ONSET + timedelta(hours=3), stop_on_alarm=True)
    room_id = fired[0]["room_id"]
    start = db.execute("SELECT MIN(created_at) FROM mentions WHERE room_id = ?", [room_id]).fetchone()[0]
    until = reached + timedelta(minutes=30)
    _replay(db, monitor.id, until, since=reached)

    def keys(table, col, ident, hi):
        return sorted(db.execute(f"SELECT source, external_id FROM {table} WHERE {col} = ? AND created_at >= ?"
                                 " AND created_at < ?", [ident, start, hi]).fetchall())

    hi = until.strftime("%Y-%m-%dT%H:%M:%S")
    in_room = keys("mentions", "room_id", room_id, hi)
    assert len(in_room) > 100 and in_room == keys("monitor_mentions", "monitor_id", monitor.id, hi)
    # The room's stream counts and decides them (its minutes, not the monitor's).
    counted, decided = db.execute("SELECT SUM(count), SUM(score IS NOT NULL) FROM mention_minutes"
                                  " WHERE room_id = ?", [room_id]).fetchone()
    assert counted == len(in_room) and decided >= 25
    # Exactly once: the same posts again add nothing anywhere.
    again, _ = _replay(db, monitor.id, until, since=reached)
    assert again == [] and keys("mentions", "room_id", room_id, hi) == in_room
    # Closed: the monitor keeps listening, the room hears no more.
    rooms.close_room(db, until, accounts.find_user(db, "lee"), room_id)
    _replay(db, monitor.id, until + timedelta(minutes=20), since=until)
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE room_id = ?", [room_id]).fetchone()[0] == len(in_room)
    later = until + timedelta(minutes=20)
    assert len(keys("monitor_mentions", "monitor_id", monitor.id, later.isoformat())) > len(in_room)


def test_the_schedulers_tick_closes_a_monitors_quiet_minutes_and_pages_from_them(db):
    monitor = _monitor(db, "auto")
    now = FIXED_NOW.replace(second=0, microsecond=0)

    def post(i, at):
        return {"external_id": str(i), "source": "twitter", "author": f"a{i}", "text": "outage again",
                "url": "", "created_at": at.isoformat()}

    watch.ingest(db, now, monitor.id, mentions.validate([post(0, now - timedelta(minutes=10))], now), Scorer())
    storm = [post(i, now - timedelta(minutes=3)) for i in range(1, 26)]
    assert watch.ingest(db, now, monitor.id, mentions.validate(storm, now), Scorer()).alarms == ()
    # No later post arrives; the tick closes the minutes that ended 30 s ago or more.
    out = watch.tick(db, now + timedelta(seconds=40), lag_seconds=30)
    assert [a["status"] for a in out[monitor.id]] == ["opened"]
    assert watch.alarms_of(db, monitor.id)[0]["minute"] == iso(now - timedelta(minutes=3))
    open_minute = db.execute("SELECT open_minute FROM monitor_state WHERE monitor_id = ?", [monitor.id]).fetchone()
    assert open_minute[0] == iso(now)  # now-1 ended 40 s ago: decided too
    assert watch.tick(db, now + timedelta(seconds=40), lag_seconds=30) == {}  # nothing new to close
    # Paused, or not live (a replay of old data), a monitor is left alone.
    monitors.update(db, now, monitor.id, "lee", {"status": "paused"})
    assert watch.tick(db, now + timedelta(minutes=5), lag_seconds=30) == {}


def test_the_volume_job_closes_monitors_quiet_minutes(app, db):
    from warroom import jobs
    from warroom.clock import utcnow

    monitor = _monitor(db, "auto")
    now = utcnow()
    rec = {"external_id": "1", "source": "twitter", "author": "a", "text": "hello", "url": "",
           "created_at": (now - timedelta(minutes=5)).isoformat()}
    watch.ingest(db, now, monitor.id, mentions.validate([rec], now), Scorer())
    before = db.execute("SELECT open_minute FROM monitor_state WHERE monitor_id = ?", [monitor.id]).fetchone()[0]
    jobs.run_volume_tick(app)
    after = db.execute("SELECT open_minute FROM monitor_state WHERE monitor_id = ?", [monitor.id]).fetchone()[0]
    assert after > before  # decided up to the minute that ended at least the lag ago


@pytest.mark.skipif(not COSTA_RICA.is_file(), reason=f"shared data absent: {COSTA_RICA}")
def test_a_teams_monitor_opens_a_room_only_that_team_sees(db):
    monitor = _monitor(db, "auto")
    team = accounts.add_team(db, FIXED_NOW, "Costa Rica desk", "admin")
    accounts.assign(db, FIXED_NOW, "monitor", monitor.id, team.id, "admin")
    insider, outsider = make_user(db, "ina", "responder"), make_user(db, "otto", "responder")
    accounts.set_user_teams(db, FIXED_NOW, insider.id, [team.id], "admin")
    fired, _ = _replay(db, monitor.id, ONSET + timedelta(hours=3), stop_on_alarm=True)
    room_id = fired[0]["room_id"]
    assert accounts.team_of(db, "room", room_id) == team.id
    assert accounts.may_see_room(db, insider, room_id)
    assert not accounts.may_see_room(db, outsider, room_id)
