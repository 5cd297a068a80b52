"""Reply templates in a playbook: validation with file:line, filling (pure)."""

from pathlib import Path

import pytest

from warroom import playbooks
from warroom.playbooks import templates

from ..conftest import shipped_version, with_version
from .test_playbooks import MASS, SHIPPED, cli, line_no

TEMPLATE = '''[[templates]]
name = "rebook"
text = "Hi {customer}, rebook at {fact:rebooking_url}; next update {next_upadte}."

[shifts]
'''


def test_unknown_variable_is_file_line_and_exit_2(tmp_path):
    text = MASS.replace("[shifts]\n", TEMPLATE, 1)
    path = tmp_path / "bad-template.md"
    path.write_text(text)
    out = cli("playbooks", "check", str(path), env={"WARROOM_DB_PATH": str(tmp_path / "w.db")})
    assert out.returncode == 2
    line = line_no(text, "next_upadte")
    assert (f"{path}:{line}: templates.text: unknown variable {{next_upadte}} (did you mean "
            "'{next_update}'?); use one of {customer}, {case}, {next_update}, {fact:KEY}") in out.stderr.splitlines()


@pytest.mark.parametrize("text, message", [
    ("Hi {customer", "unbalanced '{' at character 4"),
    ("see {fact:Rebooking URL}", "a fact key is lower-case letters"),
    ("{}", "unknown variable {}"),
])
def test_bad_template_texts(text, message):
    assert any(message in p for p in templates.problems(text))


def test_duplicate_names_and_missing_text_are_reported_at_their_lines():
    block = ('[[templates]]\nname = "a"\ntext = "x {customer}"\n\n[[templates]]\nname = "a"\n'
             'description = "no text"\n\n[shifts]\n')
    text = MASS.replace("[shifts]\n", block, 1)
    with pytest.raises(playbooks.PlaybookInvalid) as exc:
        playbooks.parse(text, "p.md")
    second = line_no(text, 'description = "no text"') - 1  # its name line
    assert f"p.md:{second}: template 'a' is listed twice" in exc.value.errors
    assert any(e.startswith(f"p.md:{second - 1}: missing required key templates.text") for e in exc.value.errors)


def test_fill_is_pure_and_marks_what_is_missing():
    filled = templates.fill("Hi {customer}, {{literal}} {fact:url} at {next_update}.",
                            {"customer": "@anna", "fact:url": "https://x.example/r"})
    assert filled.text == "Hi @anna, {literal} https://x.example/r at [next_update]."
    assert filled.missing == ("next_update",)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: Path(p).stem)
def test_shipped_playbooks_carry_templates_with_the_customer_in_them(path):
    pb = playbooks.parse(Path(path).read_text(), str(path))
    assert len(pb.templates) >= 2
    for t in pb.templates:
        used = templates.variables(t.text)
        assert "customer" in used and any(v.startswith("fact:") for v in used), t.name


def test_diff_lists_template_changes(tmp_path, monkeypatch, capsys):
    from .test_playbooks import in_process

    monkeypatch.setenv("WARROOM_DB_PATH", str(tmp_path / "w.db"))
    old = shipped_version("mass-disruption")
    new = old + 1
    v1 = MASS
    v2 = (with_version(MASS, new)
          .replace('name = "hotel-costs"', 'name = "hotel-bills"', 1)
          .replace("Hi {customer}, honestly: we don't know yet", "Hi {customer}, honestly, we do not know yet", 1))
    paths = [tmp_path / "v1.md", tmp_path / "v2.md"]
    paths[0].write_text(v1)
    paths[1].write_text(v2)
    assert in_process(capsys, "playbooks", "import", *map(str, paths))[0] == 0
    code, out, _ = in_process(capsys, "playbooks", "diff", "mass-disruption", str(old), str(new))
    assert code == 0
    assert out.splitlines()[-3:] == ["templates: + hotel-bills", "templates: - hotel-costs",
                                     "templates: ~ no-news-yet (text)"]


def test_editor_validation_reports_templates_and_their_errors(app):
    from tests.conftest import login_client, make_user

    db = app.extensions["warroom_open_db"]()
    make_user(db, "lena", "lead")
    db.close()
    client = app.test_client()
    csrf = login_client(client, "lena")
    ok = client.post("/api/v1/playbooks/validate", json={"text": MASS}, headers={"X-CSRF-Token": csrf}).get_json()
    assert [t["name"] for t in ok["templates"]] == ["stranded-rebook", "hotel-costs", "no-news-yet"]
    assert ok["templates"][0]["variables"] == ["customer", "fact:rebooking_url", "case", "next_update"]
    bad_text = MASS.replace("[shifts]\n", TEMPLATE, 1)
    bad = client.post("/api/v1/playbooks/validate", json={"text": bad_text},
                      headers={"X-CSRF-Token": csrf}).get_json()
    assert not bad["valid"]
    assert [e["line"] for e in bad["errors"]] == [line_no(bad_text, "next_upadte")]
