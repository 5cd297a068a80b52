"""Playbook pages: list, view, the browser editor (leads), export (admins),
the live validation endpoint, and the room panel showing the pinned version."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import playbooks, roster
from ..clock import utcnow
from ..playbooks import PlaybookInvalid, store
from .context import current_user, get_db, json_error, require_role, visible

bp = Blueprint("playbooks", __name__)

MAX_TEXT = 200_000  # characters; a playbook is a page or two of Markdown

NEW_TEMPLATE = """+++
id = "new-playbook"
version = 1
title = "A new playbook"
based_on = ""
keywords = ["outage"]

[[roles]]
name = "Lead"
count = 1

[[roles]]
name = "Responder"
count = 2

[shifts]
hours = 4
volunteers = true

[[escalation]]
after_minutes = 0
notify = ["role:Lead"]

[[escalation]]
after_minutes = 15
notify = ["room-owner", "on-call"]

[rules]
first_response_minutes = 60
approval = "two-person"
banned_phrases = ["we are not responsible"]
+++
# A new playbook

## Who owns what

## Say first

## Never say
"""


def _errors(text: str, expect_id: str | None, db) -> tuple[list[dict], playbooks.Playbook | None]:
    """The validator's findings as {line, message}, plus the version-store check."""
    path = "playbook"
    try:
        playbook = playbooks.parse(text, path)
    except PlaybookInvalid as exc:
        out = []
        for err in exc.errors:
            _p, line, message = err.split(":", 2)
            out.append({"line": int(line), "message": message.strip(), "text": err})
        return out, None
    problems = []
    if expect_id and playbook.id != expect_id:
        line = _id_line(text)
        message = f"this editor saves {expect_id}: id must stay {expect_id!r}"
        problems.append({"line": line, "message": message, "text": f"{path}:{line}: {message}"})
    version_error = store.check(db, playbook, path)
    if version_error:
        problems.append({"line": version_error.line, "message": version_error.message, "text": str(version_error)})
    return problems, playbook


def _id_line(text: str) -> int:
    from ..playbooks.frontmatter import SplitError, key_lines, line_of, split

    try:
        front, _b, start, _e = split(text)
    except SplitError as exc:
        return exc.line
    return start + line_of(key_lines(front), ("id",))


def _diff_lines(diff_text: str) -> list[tuple[str, str]]:
    """(css class, line) for the template; escaping is Jinja's."""
    out = []
    for line in diff_text.splitlines():
        kind = ("hunk" if line.startswith("@@") else "add" if line.startswith("+") and not line.startswith("+++")
                else "del" if line.startswith("-") and not line.startswith("---") else "ctx")
        out.append((kind, line))
    return out


@bp.route("/playbooks")
@require_role("viewer")
def playbook_list():
    db = get_db()
    listing = visible(db, "playbook", store.list_latest(db), lambda pair: pair[0].playbook_id)
    return render_template("playbooks.html", listing=listing, current=None)


@bp.route("/playbooks/<playbook_id>")
@require_role("viewer")
def playbook_view(playbook_id: str):
    db = get_db()
    versions = store.history(db, playbook_id)
    if not versions:
        abort(404, description=f"no playbook {playbook_id}")
    try:
        wanted = int(request.args.get("version", versions[-1].version))
    except ValueError:
        abort(400, description="version must be an integer")
    chosen = store.get_version(db, playbook_id, wanted) if 0 < wanted < 2**63 else None
    if chosen is None:
        abort(404, description=f"{playbook_id} has no version {wanted}")
    pb = playbooks.parse(chosen.text, f"{playbook_id} v{wanted}")
    previous = [v for v in versions if v.version < wanted]
    diff = []
    if previous:
        diff = _diff_lines(store.diff(db, playbook_id, previous[-1].version, wanted))
    return render_template(
        "playbooks.html", listing=None, current=chosen, playbook=pb, versions=versions,
        guidance=Markup(playbooks.guidance_html(pb.body)), plan=playbooks.shift_plan(pb), diff=diff,
        previous=previous[-1] if previous else None,
    )


def _editor(text: str, expect_id: str, errors: list[dict], status: int = 200, note: str = ""):
    return render_template("playbook_edit.html", text=text, expect_id=expect_id, errors=errors, note=note), status


@bp.route("/playbooks/new")
@require_role("lead")
def playbook_new():
    return _editor(NEW_TEMPLATE, "", [], note="A new playbook: choose its id (it cannot change later).")


@bp.route("/playbooks/<playbook_id>/edit")
@require_role("lead")
def playbook_edit(playbook_id: str):
    found = store.latest(get_db(), playbook_id)
    if found is None:
        abort(404, description=f"no playbook {playbook_id}")
    # Saving must make a new version, so the editor starts one above the latest.
    text = store.bumped(found.text, found.version + 1)
    return _editor(text, playbook_id, [],
                   note=f"Editing {playbook_id} v{found.version}; the version is already bumped to "
                        f"{found.version + 1} for your changes.")


@bp.route("/playbooks/save", methods=["POST"])
@require_role("lead")
def playbook_save():
    db = get_db()
    text = request.form.get("text", "")
    expect_id = request.form.get("expect_id", "").strip()
    if not text.strip() or len(text) > MAX_TEXT:
        return _editor(text, expect_id, [{"line": 0, "message": f"text must be 1 to {MAX_TEXT} characters",
                                          "text": "text"}], 422)
    errors, playbook = _errors(text, expect_id, db)
    if errors or playbook is None:
        return _editor(text, expect_id, errors, 422)
    try:
        version, _created = store.store(db, utcnow(), playbook, current_user().name, source="editor")
    except store.VersionError as exc:  # a concurrent save took the number
        return _editor(text, expect_id, [{"line": exc.line, "message": exc.message, "text": str(exc)}], 422)
    return redirect(url_for("playbooks.playbook_view", playbook_id=version.playbook_id, version=version.version))


@bp.route("/api/v1/playbooks/validate", methods=["POST"])
@require_role("lead")
def api_validate():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return json_error(400, "send a JSON object with the playbook as a string in 'text'", field="text")
    text = body["text"]
    if len(text) > MAX_TEXT:
        return json_error(413, f"text is longer than {MAX_TEXT} characters", field="text")
    expect_id = body.get("expect_id") if isinstance(body.get("expect_id"), str) else ""
    errors, playbook = _errors(text, expect_id, get_db())
    latest = store.latest(get_db(), playbook.id) if playbook else None
    return {
        "valid": not errors,
        "errors": errors,
        "id": playbook.id if playbook else None,
        "version": playbook.version if playbook else None,
        "next_version": (latest.version + 1) if latest else 1,
        "plan": playbooks.shift_plan(playbook) if playbook else None,
        # what a room opened with this text would run (the editor shows it under "Valid")
        "checklist": [i.to_dict() for i in playbook.checklist] if playbook else [],
        "rhythm": [r.describe() for r in playbook.rhythm] if playbook else [],
        # the reply templates as parsed, and what changed since the stored version
        "templates": [t.to_dict() for t in playbook.templates] if playbook else [],
        "template_changes": store.template_changes(latest.text, text) if playbook and latest else [],
    }


@bp.route("/playbooks/<playbook_id>/versions/<int:version>/export")
@require_role("admin")
def playbook_export(playbook_id: str, version: int):
    found = store.get_version(get_db(), playbook_id, version)
    if found is None:
        abort(404, description=f"{playbook_id} has no version {version}")
    return Response(
        found.text, mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{playbook_id}-v{version}.md"'},
    )


def _shift_table(db, room_id: int) -> list[dict]:
    """One row per shift of the room's slots: start, end, capacity per role."""
    rows: dict[str, dict] = {}
    for slot in roster.slots(db, room_id):
        row = rows.setdefault(slot.starts_at, {"starts_at": slot.starts_at, "ends_at": slot.ends_at, "roles": {}})
        row["roles"][slot.role] = slot.capacity
    return [rows[k] for k in sorted(rows)]


def panel_context(db, room) -> dict | None:
    try:
        pb = playbooks.room_playbook(db, room.id)
    except PlaybookInvalid as exc:
        # A snapshot that a later, stricter validator rejects must not break the room page.
        return {"room": room, "invalid": exc.errors}
    if pb is None:
        return None
    latest = store.latest(db, pb.id)
    diff = []
    if latest is not None and latest.version > pb.version:
        diff = _diff_lines(store.unified_diff(pb.text, latest.text, f"{pb.id} v{pb.version} (this room)",
                                              f"{pb.id} v{latest.version} (latest)"))
    shifts = _shift_table(db, room.id)
    return {
        "room": room, "playbook": pb, "guidance": Markup(playbooks.guidance_html(pb.body)),
        "plan": playbooks.shift_plan(pb), "shifts": shifts,
        "responders_per_shift": sum(r.count for r in pb.roles if r.name.lower() != "lead"),
        "latest": latest, "diff": diff,
    }


def room_panel(db, room, user):
    ctx = panel_context(db, room)
    return ("panels/playbook.html", ctx) if ctx else None


@bp.route("/rooms/<int:room_id>/panels/playbook")
@require_role("viewer")
def room_panel_fragment(room_id: int):
    from .. import rooms

    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404)
    ctx = panel_context(db, room)
    if ctx is None:
        abort(404, description="this room has no playbook")
    return render_template("panels/playbook.html", panel=ctx, fragment=True)


_last_errors: list[str] = []


def run_import(app) -> list[str]:
    """Scheduler job: store changed files of the playbooks folder (so gunicorn,
    which does not run `serve`, picks them up too, and edits to files arrive
    without a restart). Each distinct set of errors is logged once."""
    import logging

    settings = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        report = store.import_files(db, utcnow(), store.folder_files(store.folder_of(settings)), actor="server")
    finally:
        db.close()
    if report.errors != _last_errors:
        _last_errors[:] = report.errors
        for line in report.errors:
            logging.getLogger(__name__).error("playbook not loaded: %s", line)
    return report.errors


_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

OPENAPI_PATHS = {
    "/api/v1/playbooks/validate": {
        "post": {
            "summary": "Validate a playbook text with the same validator as `playbooks check` (leads)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string"}, "expect_id": {"type": "string"}},
            }}}},
            "responses": {
                "200": {"description": "findings", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "valid": {"type": "boolean"},
                        "errors": {"type": "array", "items": {"type": "object", "properties": {
                            "line": {"type": "integer"}, "message": {"type": "string"}, "text": {"type": "string"},
                        }}},
                        "id": {"type": ["string", "null"]},
                        "version": {"type": ["integer", "null"]},
                        "next_version": {"type": "integer"},
                        "plan": {"type": ["string", "null"]},
                    },
                }}}},
                "400": _ERR, "401": _ERR, "403": _ERR, "413": _ERR,
            },
        }
    },
}
