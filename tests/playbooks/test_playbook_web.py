"""Playbooks in the browser: editor with live validation, new versions, export,
sanitised guidance, and the import a server does when it starts."""

import re
from pathlib import Path

import pytest
import requests

from warroom import playbooks
from warroom.clock import utcnow
from warroom.playbooks import store

from ..conftest import (
    Server,
    csrf_from,
    launch_chromium,
    login_client,
    make_user,
    shipped_version,
    with_version,
)

ROOT = Path(__file__).resolve().parents[2]
MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()
V = shipped_version("mass-disruption")  # the stored version in these tests
NEXT = V + 1

EVIL_BODY = """# Evil guidance

<script>alert('owned')</script>

<img src="x" onerror="alert('owned')">

<a href="javascript:alert('owned')">click</a> <b onmouseover="alert(1)">hover</b>
"""


@pytest.fixture
def web(app):
    """(client factory, open_db) with a lead, an admin, a viewer and the shipped mass-disruption stored (version V)."""
    open_db = app.extensions["warroom_open_db"]
    db = open_db()
    for name, role in (("lena", "lead"), ("ada", "admin"), ("vic", "viewer")):
        make_user(db, name, role)
    store.store(db, utcnow(), playbooks.parse(MASS, "mass-disruption.md"), "cli", "mass-disruption.md")
    db.close()

    def client_for(name):
        client = app.test_client()
        return client, login_client(client, name)

    return client_for, open_db


def validate(client, csrf, text, expect_id=""):
    return client.post("/api/v1/playbooks/validate", json={"text": text, "expect_id": expect_id},
                       headers={"X-CSRF-Token": csrf})


def test_live_validation_uses_the_same_validator(web):
    client_for, _ = web
    client, csrf = client_for("lena")
    broken = MASS.replace("volunteers = true", "volunteer = true")
    body = validate(client, csrf, broken).get_json()
    assert body["valid"] is False
    expected = playbooks.errors_of(broken, "playbook")
    assert [e["text"] for e in body["errors"]] == expected
    assert "unknown key shifts.volunteer (did you mean 'volunteers'?)" in [e["message"] for e in body["errors"]]

    changed_not_bumped = MASS.replace("count = 4", "count = 5", 1)
    body = validate(client, csrf, changed_not_bumped, "mass-disruption").get_json()
    assert body["valid"] is False and body["next_version"] == NEXT
    assert body["errors"][0]["message"] == f"the content changed but version is still {V}: bump it to {NEXT}"

    other_id = with_version(MASS.replace('id = "mass-disruption"', 'id = "other"'), NEXT)
    body = validate(client, csrf, other_id, "mass-disruption").get_json()
    assert [e["message"] for e in body["errors"]] == [
        "this editor saves mass-disruption: id must stay 'mass-disruption'"]

    assert validate(client, csrf, with_version(MASS, NEXT)).get_json()["valid"] is True
    bad = client.post("/api/v1/playbooks/validate", json={"txt": "x"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and bad.get_json()["field"] == "text"
    no_csrf = client.post("/api/v1/playbooks/validate", json={"text": MASS})
    assert no_csrf.status_code == 403


def test_roles_gate_the_editor_and_export(web):
    client_for, _ = web
    viewer, vcsrf = client_for("vic")
    assert viewer.get("/playbooks").status_code == 200
    assert viewer.get("/playbooks/mass-disruption/edit").status_code == 403
    assert validate(viewer, vcsrf, MASS).status_code == 403
    lead, _ = client_for("lena")
    assert lead.get(f"/playbooks/mass-disruption/versions/{V}/export").status_code == 403
    admin, _ = client_for("ada")
    exported = admin.get(f"/playbooks/mass-disruption/versions/{V}/export")
    assert exported.status_code == 200 and exported.text == MASS
    assert f'filename="mass-disruption-v{V}.md"' in exported.headers["Content-Disposition"]
    assert admin.get(f"/playbooks/mass-disruption/versions/{NEXT}/export").status_code == 404


def test_editor_bumps_and_saving_makes_a_new_version(web):
    client_for, open_db = web
    client, csrf = client_for("lena")
    page = client.get("/playbooks/mass-disruption/edit")
    assert page.status_code == 200
    text = re.search(r'<textarea name="text" id="playbook-text"[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    text = text.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert f"version = {NEXT}\n" in text  # the editor starts one version up
    edited = text.replace("first_response_minutes = 60", "first_response_minutes = 30")

    not_bumped = with_version(edited, V)
    refused = client.post("/playbooks/save", data={"text": not_bumped, "expect_id": "mass-disruption",
                                                   "csrf_token": csrf})
    assert refused.status_code == 422
    assert f"the content changed but version is still {V}: bump it to {NEXT}" in refused.text

    saved = client.post("/playbooks/save", data={"text": edited, "expect_id": "mass-disruption",
                                                 "csrf_token": csrf})
    assert saved.status_code == 302, saved.text
    db = open_db()
    try:
        assert [v.version for v in store.history(db, "mass-disruption")] == [V, NEXT]
        saved_version = store.get_version(db, "mass-disruption", NEXT)
        assert saved_version.created_by == "lena" and saved_version.source == "editor"
        assert playbooks.parse(saved_version.text).rules.first_response_minutes == 30
    finally:
        db.close()
    view = client.get(saved.headers["Location"]).text
    assert f"Changes from v{V}" in view
    assert '<span class="del">-first_response_minutes = 60</span>' in view
    assert '<span class="add">+first_response_minutes = 30</span>' in view


def test_untrusted_markdown_cannot_inject_script(web):
    client_for, _ = web
    client, csrf = client_for("lena")
    evil = with_version(MASS, NEXT)
    evil = evil[: evil.index("+++\n# Mass disruption")] + "+++\n" + EVIL_BODY
    saved = client.post("/playbooks/save", data={"text": evil, "expect_id": "mass-disruption",
                                                 "csrf_token": csrf})
    assert saved.status_code == 302, saved.text
    opened = client.post("/rooms", data={"title": "Evil", "playbook": "mass-disruption", "csrf_token": csrf})
    assert opened.status_code == 302
    for url in (opened.headers["Location"], f"/playbooks/mass-disruption?version={NEXT}"):
        page = client.get(url).text
        assert "<h1>Evil guidance</h1>" in page  # the guidance is there, rendered
        assert "<script>alert" not in page
        # no tag carries an event handler (the diff may show the source, escaped)
        assert re.search(r"<[a-z][^>]*\son(error|mouseover)\s*=", page, re.I) is None
        assert "<img" not in page and 'href="javascript:' not in page
        scripts = re.findall(r"<script[^>]*>", page)
        assert all('src="/static/' in s for s in scripts)  # only our own files


@pytest.mark.e2e
def test_server_start_imports_the_folder_and_keeps_serving_on_errors(tmp_path):
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "mass-disruption.md").write_text(MASS)
    broken = MASS.replace('id = "mass-disruption"', 'id = "broken"').replace("count = 4", 'count = "x"', 1)
    (folder / "broken.md").write_text(broken)
    srv = Server(tmp_path, extra_env={"WARROOM_PLAYBOOKS_PATH": str(folder)}).start()
    try:
        srv.add_user("lena", "lead")
        s = srv.login("lena")
        listing = s.get(srv.url + "/playbooks").text
        assert "mass-disruption" in listing and "broken" not in listing
        line = next(n for n, ln in enumerate(broken.split("\n"), 1) if 'count = "x"' in ln)
        assert f"playbook not loaded: {folder / 'broken.md'}:{line}: roles.count must be an integer" in srv.output()
        page = s.get(srv.url + "/")
        resp = s.post(srv.url + "/rooms", data={"title": "Ash", "playbook": "mass-disruption",
                                                "csrf_token": csrf_from(page.text)}, allow_redirects=False)
        assert resp.status_code == 302
        room_page = s.get(srv.url + resp.headers["Location"]).text
        assert f'id="pinned-version">v{V}<' in room_page
        assert requests.get(srv.url + "/playbooks", allow_redirects=False).status_code == 401
        editor_live_validation(srv)
    finally:
        srv.stop()


def editor_live_validation(srv):
    """The editor in a real browser: messages appear as you type; the bump button fixes the version."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(srv.url + "/login")
            page.fill("input[name=name]", "lena")
            page.fill("input[name=password]", "correct horse battery")
            page.click("button[type=submit]")
            page.goto(srv.url + "/playbooks/mass-disruption/edit")
            page.wait_for_selector("#validation-state.ok")
            assert page.text_content("#validation-state").startswith(f"Valid: mass-disruption v{NEXT}.")
            text = page.input_value("#playbook-text")
            page.fill("#playbook-text", with_version(text, V).replace("hours = 4", "hours = 40"))
            page.dispatch_event("#playbook-text", "input")
            page.wait_for_selector("#validation-errors li")
            shown = page.inner_text("#validation-errors").splitlines()
            hours = next(n for n, ln in enumerate(text.split("\n"), 1) if ln == "hours = 4")
            assert shown == [f"line {hours}: shifts.hours must be between 1 and 24, got 40"]
            page.fill("#playbook-text", with_version(text, V).replace("count = 4", "count = 3", 1))
            page.dispatch_event("#playbook-text", "input")
            page.wait_for_selector(f"text=bump it to {NEXT}")
            page.click("#bump-version")
            page.wait_for_selector("#validation-state.ok")
            assert f"version = {NEXT}\n" in page.input_value("#playbook-text")
            page.click("text=Save as new version")
            page.wait_for_selector("#history")
            assert page.text_content("#playbook h1").strip().endswith(f"v{NEXT}")
        finally:
            browser.close()


def test_scheduler_job_imports_changed_files_and_logs_each_error_once(tmp_path, caplog):
    from warroom import config as configmod
    from warroom import scheduler
    from warroom.app import create_app
    from warroom.web.playbooks import run_import

    assert "playbooks" in {job.name for job in scheduler.jobs()}
    folder = tmp_path / "books"
    folder.mkdir()
    app = create_app(configmod.load(None, env={
        "WARROOM_DB_PATH": str(tmp_path / "w.db"), "WARROOM_SECRET_KEY": "k",
        "WARROOM_PLAYBOOKS_PATH": str(folder)}))
    (folder / "mass-disruption.md").write_text(MASS)
    assert run_import(app) == []
    (folder / "mass-disruption.md").write_text(MASS.replace("count = 4", "count = 5", 1))
    with caplog.at_level("ERROR"):
        first = run_import(app)
        second = run_import(app)
    line = next(n for n, ln in enumerate(MASS.split("\n"), 1) if ln.startswith("version ="))
    assert first == second == [f"{folder / 'mass-disruption.md'}:{line}: the content changed but version is "
                               f"still {V}: bump it to {NEXT}"]
    assert [r.getMessage() for r in caplog.records if "playbook not loaded" in r.getMessage()] == [
        f"playbook not loaded: {first[0]}"]
    (folder / "mass-disruption.md").write_text(with_version(MASS.replace("count = 4", "count = 5", 1), NEXT))
    assert run_import(app) == []
    db = app.extensions["warroom_open_db"]()
    try:
        assert [v.version for v in store.history(db, "mass-disruption")] == [V, NEXT]
    finally:
        db.close()


def test_a_snapshot_the_validator_now_rejects_does_not_break_the_room_page(web):
    client_for, open_db = web
    client, csrf = client_for("lena")
    opened = client.post("/rooms", data={"title": "Old", "playbook": "mass-disruption", "csrf_token": csrf})
    room_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    db = open_db()
    try:
        db.execute("UPDATE rooms SET playbook_text = ? WHERE id = ?",
                   [MASS.replace("hours = 4", "hours = 99"), room_id])
    finally:
        db.close()
    page = client.get(f"/rooms/{room_id}")
    assert page.status_code == 200
    assert "no longer passes validation" in page.text and "shifts.hours must be between 1 and 24" in page.text


def test_ids_too_large_for_sqlite_are_404_not_500(web):
    client_for, _ = web
    admin, _ = client_for("ada")
    big = 2**63
    for url in (f"/rooms/{big}", f"/rooms/{big}/panels/playbook", f"/playbooks/mass-disruption?version={big}",
                f"/playbooks/mass-disruption/versions/{big}/export"):
        assert admin.get(url).status_code == 404, url


def test_version_beyond_sqlite_range_is_404_not_500(app, db, now):
    make_user(db, "vic", "viewer")
    text = (Path(__file__).resolve().parents[2] / "playbooks" / "product-recall.md").read_text()
    store.store(db, now, playbooks.parse(text), "test", source="test")
    c = app.test_client()
    login_client(c, "vic")
    pid = playbooks.parse(text).id
    assert c.get(f"/playbooks/{pid}?version=99999999999999999999").status_code == 404
    assert c.get(f"/playbooks/{pid}?version=-3").status_code == 404
