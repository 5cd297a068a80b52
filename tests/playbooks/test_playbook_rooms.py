"""War rooms opened from playbooks: the pinned snapshot, the shift slots, the page."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from warroom import events, playbooks, rooms, roster
from warroom.clock import iso
from warroom.playbooks import store

from ..conftest import login_client, make_user, shipped_version, with_version

ROOT = Path(__file__).resolve().parents[2]
MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()
MASS_V = shipped_version("mass-disruption")


def version_of(text: str, version: int, tweeps: int) -> str:
    """mass-disruption with another version number and Tweep count."""
    out = with_version(text, version)
    old = 'name = "Tweep"\ncount = 4'
    assert old in out
    return out.replace(old, f'name = "Tweep"\ncount = {tweeps}')


def test_mass_disruption_room_has_12_role_slots_per_4_hour_shift_for_24_hours(db, now):
    lead = make_user(db, "lena", "lead")
    pb = playbooks.parse(MASS, "mass-disruption.md")
    opened_at = now + timedelta(minutes=20)  # 09:20: the first shift starts at 09:00
    room = rooms.open_room(db, opened_at, lead, "Ash cloud", playbook=pb)

    slots = roster.slots(db, room.id)
    starts = sorted({s.starts_at for s in slots})
    assert starts == [iso(now + timedelta(hours=4 * i)) for i in range(6)]  # 6 shifts of 4 hours
    for start in starts:
        shift = {s.role: s.capacity for s in slots if s.starts_at == start}
        # Facebooker 4 + Tweep 4 + Rebooker 4 = 12 role slots per shift; the
        # Lead role adds its own single slot on top.
        assert shift == {"Lead": 1, "Facebooker": 4, "Tweep": 4, "Rebooker": 4}
        assert sum(c for r, c in shift.items() if r != "Lead") == 12
    assert all(s.ends_at == iso(roster.slot_times(s)[0] + timedelta(hours=4)) for s in slots)
    assert len(slots) == 6 * 4

    kinds = [(e.kind, e.actor) for e in events.timeline(db, room.id)]
    assert kinds == [("room.opened", "lena"), ("roster.slots_created", "lena")]
    opened = events.timeline(db, room.id)[0].data
    assert opened["playbook_id"] == "mass-disruption" and opened["playbook_version"] == MASS_V
    assert opened["roles"] == {"Lead": 1, "Facebooker": 4, "Tweep": 4, "Rebooker": 4}
    assert room.playbook_sha256 == pb.sha256 and room.playbook_version == MASS_V


def test_a_room_keeps_its_version_after_a_newer_one_is_imported(db, now, tmp_path):
    lead = make_user(db, "lena", "lead")
    path = tmp_path / "mass-disruption.md"
    path.write_text(version_of(MASS, 2, 4))
    report = store.import_files(db, now, [path], actor="cli")
    assert [v.version for v in report.stored] == [2] and report.errors == []
    room = rooms.open_room(db, now, lead, "Ash cloud", playbook=store.latest_playbook(db, "mass-disruption"))

    path.write_text(version_of(MASS, 3, 6))
    report = store.import_files(db, now + timedelta(hours=1), [path], actor="cli")
    assert [v.version for v in report.stored] == [3]
    assert store.latest_playbook(db, "mass-disruption").role("Tweep").count == 6

    again = rooms.get_room(db, room.id)
    assert again.playbook_version == 2
    pinned = playbooks.room_playbook(db, room.id)
    assert pinned.version == 2 and pinned.role("Tweep").count == 4
    assert pinned.sha256 == store.get_version(db, "mass-disruption", 2).sha256
    # a room opened now gets the new version
    later = rooms.open_room(db, now, lead, "Second wave", playbook=store.latest_playbook(db, "mass-disruption"))
    assert playbooks.room_playbook(db, later.id).version == 3


def test_room_page_shows_version_slots_guidance_and_newer_diff(app, tmp_path):
    from warroom.clock import utcnow

    open_db = app.extensions["warroom_open_db"]
    db = open_db()
    make_user(db, "lena", "lead")
    path = tmp_path / "mass-disruption.md"
    path.write_text(version_of(MASS, 2, 4))
    store.import_files(db, utcnow(), [path], actor="cli")
    db.close()

    client = app.test_client()
    csrf = login_client(client, "lena")
    form_page = client.get("/")
    assert 'value="mass-disruption"' in form_page.text  # the lead can pick the playbook
    resp = client.post("/rooms", data={"title": "Ash cloud", "playbook": "mass-disruption", "csrf_token": csrf})
    assert resp.status_code == 302, resp.text
    room_url = resp.headers["Location"]

    db = open_db()
    path.write_text(version_of(MASS, 3, 6))
    store.import_files(db, utcnow(), [path], actor="cli")
    db.close()

    page = client.get(room_url).text
    assert 'id="pinned-version">v2<' in page
    assert "Lead x1, Facebooker x4, Tweep x4, Rebooker x4 per 4-hour shift (13 people), 6 shifts in 24 h" in page
    assert "6 shifts in the next 24 h · 12 role slots per shift besides the Lead" in page
    table = page.split('id="playbook-shifts"')[1].split("</table>")[0]
    rows = table.split("<tr data-starts-at=")[1:]
    assert len(rows) == 6
    assert all(r.count("<td>4</td>") == 3 and r.count("<td>1</td>") == 1 for r in rows)
    assert "<h2>Who owns what</h2>" in page  # the guidance, rendered
    newer = page.split('id="newer-version"')[1]
    assert "A newer version exists: v3. This room keeps v2" in newer
    assert '<span class="del">-count = 4</span>' in newer and '<span class="add">+count = 6</span>' in newer

    bad = client.post("/rooms", data={"title": "X", "playbook": "nope", "csrf_token": csrf})
    assert bad.status_code == 422 and "playbook: no playbook" in bad.text


def test_cli_room_open_pins_the_latest_stored_version(tmp_path, monkeypatch, capsys):
    from warroom.cli import main

    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "mass-disruption.md").write_text(version_of(MASS, 2, 4))
    monkeypatch.setenv("WARROOM_DB_PATH", str(tmp_path / "w.db"))
    monkeypatch.setenv("WARROOM_PLAYBOOKS_PATH", str(folder))

    def run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    code, _, err = run("room", "open", "mass-disruption", "--title", "Ash cloud")
    assert code == 2 and "no admin user yet" in err
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("pw-12345678\n"))
    assert run("user", "add", "boss", "--role", "admin", "--password-stdin")[0] == 0
    code, out, err = run("room", "open", "mass-disruption", "--title", "Ash cloud", "--drill")
    assert code == 0, err
    assert "opened room 1: Ash cloud (mass-disruption v2)" in out

    (folder / "mass-disruption.md").write_text(version_of(MASS, 3, 6))
    assert run("playbooks", "import")[0] == 0
    from warroom import db as dbmod

    db = dbmod.connect(tmp_path / "w.db")
    room = rooms.get_room(db, 1)
    assert (room.playbook_version, room.is_drill, room.owner_id) == (2, True, 1)
    assert len(roster.slots(db, 1)) == 24
    db.close()

    code, _, err = run("room", "open", "nope", "--title", "X")
    assert code == 2 and "no stored playbook 'nope' (stored: mass-disruption)" in err
    (folder / "mass-disruption.md").write_text(version_of(MASS, 3, 7))  # changed, not bumped
    code, out, err = run("room", "open", "mass-disruption", "--title", "Y")
    assert code == 0 and "(mass-disruption v3)" in out
    assert "the content changed but version is still 3: bump it to 4" in err


def test_room_open_subcommand_runs_as_a_real_process(tmp_path):
    """One real `run.py room open` (the rest of the CLI is exercised in-process above)."""
    env = {**os.environ, "WARROOM_DB_PATH": str(tmp_path / "w.db")}
    add = subprocess.run([sys.executable, "run.py", "user", "add", "boss", "--role", "admin"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert add.returncode == 0, add.stderr
    out = subprocess.run([sys.executable, "run.py", "room", "open", "service-complaint", "--title", "Bounced"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"opened room 1: Bounced (service-complaint v{shipped_version('service-complaint')})" in out.stdout
