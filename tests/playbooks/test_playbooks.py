"""Playbooks: parsing, validation with file:line messages, versions, diffs, the CLI."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from warroom import playbooks
from warroom.playbooks import store
from warroom.playbooks.frontmatter import key_lines

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "playbooks").glob("*.md"))
MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()


def cli(*args, env):
    import os

    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def line_no(text: str, needle: str) -> int:
    """1-based line of the first line containing needle."""
    for no, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return no
    raise AssertionError(f"{needle!r} not in text")


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


SMALL = """+++
id = "small"
version = {version}
title = "Small"
keywords = ["outage"]

[[roles]]
name = "Lead"
count = 1

[[roles]]
name = "Tweep"
count = {tweeps}

[shifts]
hours = 4
volunteers = true

[[escalation]]
after_minutes = 0
notify = ["role:Lead"]

[rules]
first_response_minutes = 60
approval = "lead"
banned_phrases = ["no comment"]
+++
# Small

Say sorry first.
"""


def small(version=1, tweeps=2) -> str:
    return SMALL.format(version=version, tweeps=tweeps)


# -- shipped playbooks ---------------------------------------------------------


def test_the_four_case_playbooks_ship():
    assert {p.stem for p in SHIPPED} >= {"mass-disruption", "activist-swarm", "service-complaint", "product-recall"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_playbook_validates(path):
    pb = playbooks.parse(path.read_text(), str(path))
    assert pb.id == path.stem
    lead = pb.role("Lead")
    assert lead is not None and lead.count == 1
    assert len(pb.roles) >= 3
    assert any("role:Lead" in step.notify for step in pb.escalation)
    assert pb.rules.banned_phrases and pb.keywords
    # concrete guidance: what to say first, what never to say, who owns what
    body = pb.body.lower()
    assert "say first" in body and "never" in body and "who owns what" in body


def test_mass_disruption_is_the_klm_model():
    pb = playbooks.parse(MASS, "mass-disruption.md")
    assert {r.name: r.count for r in pb.roles} == {"Lead": 1, "Facebooker": 4, "Tweep": 4, "Rebooker": 4}
    assert pb.shifts.hours == 4 and pb.shifts.volunteers is True
    assert playbooks.shift_plan(pb).startswith("Lead x1, Facebooker x4, Tweep x4, Rebooker x4 per 4-hour shift")
    assert "6 shifts in 24 h" in playbooks.shift_plan(pb)


def test_cli_check_accepts_the_shipped_folder(tmp_path):
    out = cli("playbooks", "check", env={"WARROOM_DB_PATH": str(tmp_path / "none.db")})
    assert out.returncode == 0, out.stderr
    assert f"ok: {len(SHIPPED)} playbooks valid" in out.stdout
    assert not (tmp_path / "none.db").exists()  # check creates no database


# -- validation messages -------------------------------------------------------


def test_all_errors_at_once_in_line_order():
    text = mutate(MASS, 'approval = "lead"', 'approval = "everyone"')
    text = mutate(text, "hours = 4", "hours = 0")
    text = mutate(text, 'title = "Mass disruption: stranded customers"', "titel = 'x'")
    errors = playbooks.errors_of(text, "pb.md")
    assert errors == [
        "pb.md:1: missing required key title",
        f"pb.md:{line_no(text, 'titel')}: unknown key titel (did you mean 'title'?)",
        f"pb.md:{line_no(text, 'hours = 0')}: shifts.hours must be between 1 and 24, got 0",
        f"pb.md:{line_no(text, 'approval = ')}: rules.approval must be one of two-person, lead, got 'everyone'",
    ]


def test_front_matter_fences_and_empty_guidance():
    assert playbooks.errors_of("# just markdown\n", "a.md") == [
        "a.md:1: a playbook starts with a '+++' line opening its TOML front matter"]
    assert playbooks.errors_of("\n+++\nid = 'x'\n", "b.md") == [
        "b.md:2: the front matter is not closed: add a '+++' line after it"]
    no_body = MASS[: MASS.index("+++\n# Mass disruption") + 4]
    assert playbooks.errors_of(no_body, "c.md") == [
        f"c.md:{no_body.count(chr(10))}: the guidance (Markdown after the closing +++) is empty"]


def test_notify_targets_are_checked_with_hints():
    text = mutate(MASS, 'notify = ["on-call"]', 'notify = ["oncall", "role:Tweeps", "channel:crisis", "user:kim"]')
    line = line_no(text, '"oncall"')
    assert playbooks.errors_of(text, "pb.md") == [
        f"pb.md:{line}: escalation.notify: 'oncall' is not a target; use one of role:NAME, room-owner, "
        "user:NAME, channel:#NAME, on-call (did you mean 'on-call'?)",
        f"pb.md:{line}: escalation.notify: role:Tweeps is not a role of this playbook (did you mean 'Tweep'?)",
        f"pb.md:{line}: escalation.notify: 'channel:crisis' is not a channel: use channel:#name (lower case)",
    ]


def test_key_lines_skip_multiline_values():
    front = 'a = 1\nb = [\n  "x = 2",\n  "[[roles]]",\n]\ns = """\nc = 3\n"""\n[[roles]]\nname = "L"\n[[roles]]\nname = "T"  # c = 4\n[rules]\nd.e = 5\n'
    lines = key_lines(front)
    assert lines[("a",)] == 1 and lines[("b",)] == 2 and lines[("s",)] == 6
    assert ("c",) not in lines and ("x",) not in lines
    assert lines[("roles", 0, "name")] == 10 and lines[("roles", 1, "name")] == 12
    assert lines[("rules", "d", "e")] == 14


BROKEN = {
    # case: (old, new, needle of the offending line or None for the opening +++, message)
    "bad-toml": ('title = "Mass disruption: stranded customers"', "title = Mass disruption",
                 "title = Mass", "invalid TOML: Invalid value (column 9)"),
    "missing-field": ("first_response_minutes = 60\n", "", "[rules]",
                      "missing required key rules.first_response_minutes in [rules]"),
    "wrong-type": ('name = "Tweep"\ncount = 4', 'name = "Tweep"\ncount = "four"', 'count = "four"',
                   "roles.count must be an integer, got 'four'"),
    "unknown-key": ("volunteers = true", "volunteer = true", "volunteer = true",
                    "unknown key shifts.volunteer (did you mean 'volunteers'?)"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_playbooks_exit_2_with_file_line_message(tmp_path, case):
    old, new, needle, message = BROKEN[case]
    text = mutate(MASS, old, new)
    path = tmp_path / f"{case}.md"
    path.write_text(text)
    out = cli("playbooks", "check", str(path), env={"WARROOM_DB_PATH": str(tmp_path / "w.db")})
    assert out.returncode == 2
    expected = f"{path}:{line_no(text, needle)}: {message}"
    assert expected in out.stderr.splitlines(), out.stderr


def test_versions_not_bumped_or_going_down_exit_2(tmp_path):
    env = {"WARROOM_DB_PATH": str(tmp_path / "w.db")}
    v2 = tmp_path / "v2.md"
    v2.write_text(small(version=2))
    out = cli("playbooks", "import", str(v2), env=env)
    assert out.returncode == 0, out.stderr
    assert "stored small v2" in out.stdout

    same_number = tmp_path / "same.md"
    same_number.write_text(small(version=2, tweeps=3))
    down = tmp_path / "down.md"
    down.write_text(small(version=1, tweeps=3))
    line = line_no(small(), "version =")
    for cmd in ("import", "check"):
        out = cli("playbooks", cmd, str(same_number), str(down), env=env)
        assert out.returncode == 2, (cmd, out.stdout)
        assert out.stderr.splitlines() == [
            f"{same_number}:{line}: the content changed but version is still 2: bump it to 3",
            f"{down}:{line}: version goes down: 1 is below the stored version 2; use 3",
        ], cmd
    listed = cli("playbooks", "history", "small", env=env)
    assert [ln.split("\t")[0] for ln in listed.stdout.splitlines()] == ["v2"]  # nothing was stored


# -- the store -----------------------------------------------------------------


def test_store_classifies_and_keeps_versions_immutable(db, now):
    v1 = playbooks.parse(small(1), "s.md")
    stored, created = store.store(db, now, v1, "kim", "s.md")
    assert created and stored.version == 1 and stored.sha256 == v1.sha256
    again, created = store.store(db, now, v1, "kim", "s.md")
    assert not created and again.id == stored.id
    assert store.classify({1: "a", 2: "b"}, 2, "b") == "known"
    assert store.classify({1: "a"}, 3, "c") == "new"
    assert store.classify({1: "a", 2: "b"}, 2, "c") is None
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.execute("UPDATE playbook_versions SET text = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.execute("DELETE FROM playbook_versions")
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE kind LIKE 'playbook.%'")]
    assert kinds == ["playbook.version_stored"]


def test_crlf_checkout_is_not_a_new_version(db, now):
    store.store(db, now, playbooks.parse(small(1), "s.md"), "kim", "s.md")
    _v, created = store.store(db, now, playbooks.parse(small(1).replace("\n", "\r\n"), "s.md"), "kim", "s.md")
    assert not created


def test_diff_is_right(db, now):
    for version, tweeps in ((1, 2), (2, 5)):
        store.store(db, now, playbooks.parse(small(version, tweeps), "s.md"), "kim", "s.md")
    expected = (
        "--- small v1\n"
        "+++ small v2\n"
        "@@ -1,6 +1,6 @@\n"
        " +++\n"
        ' id = "small"\n'
        "-version = 1\n"
        "+version = 2\n"
        ' title = "Small"\n'
        ' keywords = ["outage"]\n'
        " \n"
        "@@ -10,7 +10,7 @@\n"
        " \n"
        " [[roles]]\n"
        ' name = "Tweep"\n'
        "-count = 2\n"
        "+count = 5\n"
        " \n"
        " [shifts]\n"
        " hours = 4\n"
    )
    assert store.diff(db, "small", 1, 2) == expected
    with pytest.raises(KeyError, match="no version 9"):
        store.diff(db, "small", 1, 9)


def in_process(capsys, *args) -> tuple[int, str, str]:
    """run.py's main() in this process (same argparse and exit codes, no interpreter start)."""
    from warroom.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_history_diff_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DB_PATH", str(tmp_path / "w.db"))
    paths = []
    for version, tweeps in ((1, 2), (2, 5)):
        paths.append(tmp_path / f"small-{version}.md")
        paths[-1].write_text(small(version, tweeps))
    code, out, _ = in_process(capsys, "playbooks", "import", *map(str, paths))
    assert code == 0 and out.count("stored small v") == 2
    assert in_process(capsys, "playbooks", "import", str(paths[1]))[1] == "unchanged small v2\n"
    assert in_process(capsys, "playbooks", "list")[1] == "small\tv2\t2 versions\tSmall\n"
    _, history, _ = in_process(capsys, "playbooks", "history", "small")
    assert [ln.split("\t")[0] for ln in history.splitlines()] == ["v1", "v2"]
    code, diff, _ = in_process(capsys, "playbooks", "diff", "small", "1", "2")
    assert code == 0
    assert "-count = 2\n+count = 5\n" in diff and diff.startswith("--- small v1\n+++ small v2\n")
    code, _, err = in_process(capsys, "playbooks", "diff", "small", "1", "7")
    assert code == 2 and "small has no version 7" in err
    out_file = tmp_path / "exported.md"
    code, _, err = in_process(capsys, "playbooks", "export", "small", "1", "-o", str(out_file))
    assert code == 0, err
    assert out_file.read_text() == small(1, 2)
    code, _, err = in_process(capsys, "playbooks", "history", "nope")
    assert code == 2 and "no stored playbook 'nope'" in err


def test_bumped_sets_only_the_version_line():
    text = small(3)
    assert store.bumped(text, 4) == text.replace("version = 3", "version = 4")


# -- guidance --------------------------------------------------------------------


def test_guidance_html_drops_script_and_event_handlers():
    body = ("# Hi\n\n<script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n"
            "[click](javascript:alert(2)) and **bold**")
    html = playbooks.guidance_html(body)
    assert "<h1>Hi</h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
