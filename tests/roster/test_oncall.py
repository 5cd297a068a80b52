"""The standing on-call rotation: turns, hand-off across DST, overrides,
config loading with file:line errors, `oncall show`, and the change event."""

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest

from warroom import config as configmod
from warroom import events
from warroom.roster import oncall

from ..conftest import ROOT, make_user

ROTA = """\
people = ["dana", "eli", "fay"]
handoff = "09:00"
rotation_days = 7
timezone = "Europe/Amsterdam"
start = 2026-01-05

[[overrides]]
user = "dana"
from = 2026-12-24
to = 2026-12-28
reason = "Christmas"

[[overrides]]
user = "eli"
from = 2026-03-31T18:00:00
to = 2026-04-01T08:00:00+02:00
reason = "dana at the dentist"
"""


def _rotation(tmp_path, text=ROTA):
    path = tmp_path / "oncall.toml"
    path.write_text(text)
    (tmp_path / "config.toml").write_text('[oncall]\nfile = "oncall.toml"\n')
    return oncall.load_rotation(configmod.load(tmp_path / "config.toml", env={}))


def at(*args):
    return datetime(*args, tzinfo=UTC)


def test_turns_rotate_at_local_handoff_across_dst(tmp_path):
    rot = _rotation(tmp_path)
    assert rot.people == ("dana", "eli", "fay") and rot.days == 7 and rot.handoff == time(9, 0)
    # 5 Jan 09:00 CET = 08:00Z: dana from then for a week
    assert oncall.turn_at(rot, at(2026, 1, 5, 7, 59)).user == "fay"   # the turn before
    assert oncall.turn_at(rot, at(2026, 1, 5, 8, 0)).user == "dana"
    assert oncall.turn_at(rot, at(2026, 1, 12, 7, 59)).user == "dana"
    assert oncall.turn_at(rot, at(2026, 1, 12, 8, 0)).user == "eli"
    # the turn of Monday 23 March ends on the Monday after the DST change
    turn = oncall.turn_at(rot, at(2026, 3, 25, 12, 0))
    assert turn.starts == at(2026, 3, 23, 8, 0)          # Monday 09:00 CET
    assert turn.ends == at(2026, 3, 30, 7, 0)            # next Monday 09:00 CEST: 07:00Z
    nxt = oncall.turn_at(rot, at(2026, 3, 30, 7, 0))
    assert nxt.starts == at(2026, 3, 30, 7, 0) and nxt.user != turn.user
    assert oncall.turn_at(rot, at(2026, 3, 30, 6, 59)).user == turn.user
    # October: back to CET, hand-off 09:00 local = 08:00Z again
    oct_turn = oncall.turn_at(rot, at(2026, 10, 28, 12, 0))
    assert oct_turn.starts == at(2026, 10, 26, 8, 0)
    assert oncall.turn_at(rot, at(2026, 10, 26, 7, 59)).ends == at(2026, 10, 26, 8, 0)


def test_overrides_answer_the_right_person(tmp_path, db, now):
    rot = _rotation(tmp_path)
    assert oncall.base_turn(rot, at(2026, 12, 24, 12, 0))[1].user == "fay"
    assert oncall.turn_at(rot, at(2026, 12, 24, 7, 59)).user == "fay"
    xmas = oncall.turn_at(rot, at(2026, 12, 24, 8, 0))     # 09:00 CET on the 24th
    assert (xmas.user, xmas.override, xmas.reason) == ("dana", True, "Christmas")
    assert xmas.ends == at(2026, 12, 28, 8, 0)
    assert oncall.turn_at(rot, at(2026, 12, 28, 8, 0)).override is False
    # the dentist override: local 18:00 CEST on 31 Mar to 08:00+02:00 on 1 Apr
    assert oncall.base_turn(rot, at(2026, 3, 31, 17, 0))[1].user == "dana"
    assert oncall.turn_at(rot, at(2026, 3, 31, 15, 59)).user == "dana"
    assert oncall.turn_at(rot, at(2026, 3, 31, 16, 0)).user == "eli"
    assert oncall.turn_at(rot, at(2026, 4, 1, 5, 59)).user == "eli"
    assert oncall.turn_at(rot, at(2026, 4, 1, 6, 0)).user == "dana"
    # on_call resolves the name to a user (None when there is no such user)
    for name in ("dana", "eli"):
        make_user(db, name, "lead")
    assert oncall.on_call(db, rot, at(2026, 3, 31, 20, 0)).name == "eli"
    assert oncall.on_call(db, rot, at(2026, 3, 31, 15, 0)).name == "dana"
    assert oncall.on_call(db, rot, at(2026, 12, 22, 0, 0)) is None    # fay has no account
    assert oncall.on_call(db, None, now) is None


def test_turns_list_cuts_overrides_in(tmp_path):
    rot = _rotation(tmp_path)
    got = oncall.turns(rot, at(2026, 12, 21, 8, 0), at(2027, 1, 4, 8, 0))
    shape = [(t.user, t.starts, t.ends, t.override) for t in got]
    base = oncall.base_turn(rot, at(2026, 12, 22, 0, 0))[1]
    assert shape[0] == (base.user, at(2026, 12, 21, 8, 0), at(2026, 12, 24, 8, 0), False)
    assert base.user == "fay"
    assert shape[1] == ("dana", at(2026, 12, 24, 8, 0), at(2026, 12, 28, 8, 0), True)
    assert shape[2][2:] == (at(2027, 1, 4, 8, 0), False)
    assert all(a[2] == b[1] for a, b in zip(shape, shape[1:], strict=False))   # no holes


def test_rotation_from_config_section_and_env(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[oncall]\npeople = "ann, bob"\nhandoff = "08:30"\nrotation_days = 1\n'
        'timezone = "UTC"\nstart = "2026-03-01"\n')
    rot = oncall.load_rotation(configmod.load(tmp_path / "config.toml", env={}))
    assert rot.people == ("ann", "bob") and rot.days == 1
    assert oncall.turn_at(rot, at(2026, 3, 1, 8, 30)).user == "ann"
    assert oncall.turn_at(rot, at(2026, 3, 2, 8, 29)).user == "ann"
    assert oncall.turn_at(rot, at(2026, 3, 2, 8, 30)).user == "bob"
    assert oncall.load_rotation(configmod.load(None, env={})) is None
    env_rot = oncall.load_rotation(configmod.load(None, env={"WARROOM_ONCALL_PEOPLE": "zed"}))
    assert env_rot.people == ("zed",) and env_rot.start == date(2026, 1, 5)


@pytest.mark.parametrize("text, message", [
    ('people = ["a"]\ntimezone = "Mars/Base"\n', "oncall.toml:2: oncall.timezone: unknown time zone"),
    ('people = ["a"]\nhandoff = "9am"\n', "oncall.toml:2: oncall.handoff must be HH:MM"),
    ('people = ["a"]\nrotation_days = 0\n', "oncall.toml:2: oncall.rotation_days"),
    ('people = ["a"]\n\n[[overrides]]\nuser = "b"\nfrom = 2026-01-02\n', "oncall.toml:3: override needs from and to"),
    ('people = ["a"]\n[[overrides]]\nuser = "b"\nfrom = 2026-01-02\nto = 2026-01-01\n',
     "oncall.toml:2: override ends before it starts"),
    ('people = "a"\n[[overrides]]\nuser = "b"\nfrom = 1\nto = 2\nwho = 3\n', "oncall.toml:2: unknown override key 'who'"),
    ("people = [\n", "oncall.toml: "),
])
def test_bad_rotation_files_name_file_and_line(tmp_path, text, message):
    with pytest.raises(configmod.ConfigError) as err:
        _rotation(tmp_path, text)
    assert message in str(err.value)


def test_oncall_change_is_an_event_once(tmp_path, db):
    rot = _rotation(tmp_path)
    make_user(db, "dana", "lead")
    make_user(db, "eli", "lead")
    t = at(2026, 3, 31, 16, 0)   # the dentist override begins: eli
    assert oncall.tick(db, rot, t).user == "eli"
    assert oncall.tick(db, rot, t + timedelta(minutes=5)) is None
    changed = [e for e in events.since(db, 0) if e.kind == "oncall.changed"]
    assert len(changed) == 1
    assert changed[0].room is None
    assert changed[0].data["user"] == "eli" and changed[0].data["override"] is True
    back = oncall.tick(db, rot, at(2026, 4, 1, 6, 0))   # back to dana: a new piece of her turn
    assert back.user == "dana" and back.starts == at(2026, 4, 1, 6, 0)


def test_cli_oncall_show(tmp_path):
    (tmp_path / "oncall.toml").write_text(ROTA.replace('start = 2026-01-05', 'start = 2020-01-06'))
    (tmp_path / "config.toml").write_text(
        f'[db]\npath = "{tmp_path / "w.db"}"\n[oncall]\nfile = "oncall.toml"\n')
    run = subprocess.run([sys.executable, "run.py", "oncall", "show", "--days", "21",
                          "--config", str(tmp_path / "config.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[0].startswith("on-call rotation") and "Europe/Amsterdam" in lines[0]
    assert 3 <= len(lines) - 1 <= 5          # 21 days of weekly turns: 3 or 4 turns
    assert "(no such user; now)" in lines[1]
    assert all(" 09:00 " in line for line in lines[1:])  # local hand-off time, always
    bad = subprocess.run([sys.executable, "run.py", "oncall", "show", "--days", "0",
                          "--config", str(tmp_path / "config.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--days" in bad.stderr
    (tmp_path / "oncall.toml").write_text('people = ["a"]\ntimezone = "Nowhere/Land"\n')
    broken = subprocess.run([sys.executable, "run.py", "oncall", "show",
                             "--config", str(tmp_path / "config.toml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 2 and "oncall.toml:2:" in broken.stderr
