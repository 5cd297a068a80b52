"""[[checklist]] and [[rhythm]] in the front matter: each mistake is
`file:line: message` at the offending key, and `playbooks check` exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom import playbooks
from warroom.cli import main

from ..conftest import shipped_version, with_version

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "playbooks" / "mass-disruption.md").read_text()


def with_front(extra: str) -> tuple[str, int]:
    """The shipped playbook with ``extra`` TOML appended to its front matter,
    and the file line where ``extra`` starts."""
    head, sep, body = GOOD.partition("\n+++\n# ")
    text = head + "\n" + extra + sep + body
    return text, head.count("\n") + 2


def test_a_bad_checklist_item_is_reported_at_its_line(tmp_path, capsys):
    text, first = with_front('[[checklist]]\nstage = "first-hour"\ntext = "Post it"\n'
                             'owner = "Tweeps"\ndue_minutes = 15\ncommand = "statement.pots"\n')
    path = tmp_path / "bad.md"
    path.write_text(text)
    assert main(["playbooks", "check", str(path)]) == 2
    out = capsys.readouterr()
    lines = (out.out + out.err).strip().splitlines()
    assert lines == [
        f"{path}:{first + 3}: checklist.owner: 'Tweeps' is not a role of this playbook (did you mean 'Tweep'?)",
        f"{path}:{first + 5}: checklist.command must be one of statement.post, facts.update, shift.open, "
        f"escalation.page, update.post, got 'statement.pots' (did you mean 'statement.post'?)",
    ]


@pytest.mark.parametrize("every, shown", [('"30"', "'30'"), ("30", "30")])
def test_a_cadence_with_no_unit_is_reported_at_its_line(tmp_path, capsys, every, shown):
    text, first = with_front(f'[[rhythm]]\nkind = "public-update"\nevery = {every}\n')
    path = tmp_path / "cadence.md"
    path.write_text(text)
    assert main(["playbooks", "check", str(path)]) == 2
    out = capsys.readouterr()
    assert (out.out + out.err).strip() == f"{path}:{first + 2}: rhythm.every = {shown} has no unit: write '30m' or '30h'"


@pytest.mark.parametrize("extra, message", [
    ('[[checklist]]\nstage = "later"\ntext = "x"\nowner = "Lead"\n',
     "checklist.stage must be one of first-hour, while-it-runs, closing, got 'later'"),
    ('[[checklist]]\nstage = "closing"\ntext = "x"\nowner = "Lead"\ndue_minutes = -5\n',
     "checklist.due_minutes must be between 0 and 10080, got -5"),
    ('[[rhythm]]\nkind = "briefing"\nat = ["9:00"]\ntime_zone = "Europe/Amsterdam"\n',
     "rhythm.at: '9:00' is not a time of day (HH:MM, 24-hour)"),
    ('[[rhythm]]\nkind = "briefing"\nat = ["09:00"]\ntime_zone = "Mars/Olympus"\n',
     "rhythm.time_zone: 'Mars/Olympus' is not a time zone (e.g. 'Europe/London')"),
    ('[[rhythm]]\nkind = "public-update"\nevery = "2d"\n', "rhythm.every: unknown unit 'd' in '2d'; use m or h"),
    ('[[rhythm]]\nkind = "public-update"\n',
     "a rhythm needs every (a cadence such as '30m') or at (times such as '09:00')"),
])
def test_other_mistakes_name_the_key(extra, message):
    text, _first = with_front(extra)
    with pytest.raises(playbooks.PlaybookInvalid) as exc:
        playbooks.parse(text, "p.md")
    assert [e.split(": ", 1)[1] for e in exc.value.errors] == [message]


def test_a_valid_checklist_and_rhythm_parse():
    text, _ = with_front('[[checklist]]\nstage = "first-hour"\ntext = " Post it "\nowner = "lead"\n'
                         'due_minutes = 15\ncommand = "statement.post"\n'
                         '[[rhythm]]\nkind = "public-update"\nevery = "2h"\nwhile_negative_share_above = 0.4\n')
    pb = playbooks.parse(text, "p.md")
    last = pb.checklist[-1]  # after the shipped playbook's own items
    assert (last.number, last.text, last.owner, last.due_minutes) == (len(pb.checklist), "Post it", "Lead", 15)
    assert (pb.rhythm[-1].every_minutes, pb.rhythm[-1].while_negative_share_above) == (120, 0.4)


def test_playbooks_diff_names_checklist_and_rhythm_changes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WARROOM_DB_PATH", str(tmp_path / "w.db"))
    old = shipped_version("mass-disruption")
    new = old + 1
    v2 = with_version(GOOD, new).replace('every = "2h"', 'every = "90m"').replace(
        "Report rebookings done back on each mention", "Report each rebooking back on its mention")
    (tmp_path / "v1.md").write_text(GOOD)
    (tmp_path / "v2.md").write_text(v2)
    assert main(["playbooks", "import", str(tmp_path / "v1.md")]) == 0
    assert main(["playbooks", "import", str(tmp_path / "v2.md")]) == 0
    capsys.readouterr()
    assert main(["playbooks", "diff", "mass-disruption", str(old), str(new)]) == 0
    summary = [line for line in capsys.readouterr().out.splitlines() if line.startswith("# ")]
    assert summary == [
        "# - checklist [while-it-runs] Report rebookings done back on each mention (Rebooker)",
        "# + checklist [while-it-runs] Report each rebooking back on its mention (Rebooker)",
        "# - rhythm public-update every 2 h (owner Lead)",
        "# + rhythm public-update every 90 min (owner Lead)",
    ]


def test_the_editor_validates_checklists_and_rhythms_live(app):
    """The browser editor's endpoint: the same messages and lines as the CLI,
    and a valid text says what a room would run."""
    from tests.conftest import login_client, make_user

    db = app.extensions["warroom_open_db"]()
    make_user(db, "lena", "lead")
    db.close()
    client = app.test_client()
    csrf = login_client(client, "lena")
    text, first = with_front('[[rhythm]]\nkind = "public-update"\nevery = "45"\n')
    body = client.post("/api/v1/playbooks/validate", json={"text": text},
                       headers={"X-CSRF-Token": csrf}).get_json()
    assert body["valid"] is False
    assert [(e["line"], e["message"]) for e in body["errors"]] == [
        (first + 2, "rhythm.every = '45' has no unit: write '45m' or '45h'")]
    ok = client.post("/api/v1/playbooks/validate", json={"text": GOOD}, headers={"X-CSRF-Token": csrf}).get_json()
    assert ok["valid"] is True and len(ok["checklist"]) == 8
    assert ok["rhythm"] == ["public-update every 2 h", "briefing at 09:00, 17:00 (Europe/Amsterdam)"]
