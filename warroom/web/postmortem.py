"""Post-mortem on the board: exports (leads and admins), the lessons editor panel,
and "save lessons and close" for the room's close step."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from .. import accounts, postmortem, rooms
from ..clock import utcnow
from ..postmortem import lessons, render
from .context import current_user, get_db, json_error, require_role, wants_json

bp = Blueprint("postmortem", __name__)

MIME = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
        "json": "application/json"}
# The export page is self-contained: its own <style>, SVG inline, no script at all.
EXPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def _filename(room, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", room.title.lower()).strip("-")[:40] or "room"
    return f"postmortem-{room.id}-{slug}.{fmt}"


@bp.route("/rooms/<int:room_id>/export.<fmt>")
@require_role("lead")
def export(room_id: int, fmt: str):
    if fmt not in MIME:
        abort(404, description="export formats are md, html and json")
    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404, description=f"no room {room_id}")
    report = postmortem.build_report(db, room_id, utcnow())
    resp = Response(render.render(report, fmt), mimetype=MIME[fmt].split(";")[0])
    resp.headers["Content-Type"] = MIME[fmt]
    disposition = "inline" if fmt == "html" and "download" not in request.args else "attachment"
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{_filename(room, fmt)}"'
    resp.headers["Content-Security-Policy"] = EXPORT_CSP
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _panel_context(db, room, user) -> dict:
    latest = lessons.lessons(db, room.id)
    versions = lessons.lesson_versions(db, room.id) if latest else []
    return {
        "room": room, "lessons": latest, "versions": versions[::-1][:10],
        "can_edit": accounts.has_role(user, "lead"),
        "can_export": accounts.has_role(user, "lead"),
        "formats": ("html", "md", "json"),
    }


def room_panel(db, room, user):
    return "panels/postmortem.html", _panel_context(db, room, user)


@bp.route("/rooms/<int:room_id>/postmortem/panel")
@require_role("viewer")
def panel_fragment(room_id: int):
    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404)
    return render_template("panels/postmortem_body.html", panel=_panel_context(db, room, current_user()))


@bp.route("/rooms/<int:room_id>/lessons", methods=["POST"])
@require_role("lead")
def save_lessons(room_id: int):
    db = get_db()
    payload = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(payload, "get"):
        return json_error(400, "expected a JSON object {lessons, close}", field="lessons")
    text = payload.get("lessons", "")
    close = str(payload.get("close", "")).lower() in ("1", "true", "on", "yes")
    if not isinstance(text, str):
        return json_error(400, "lessons must be text", field="lessons")
    user = current_user()
    try:
        if close:
            final = payload.get("final_update")
            saved = lessons.close_with_lessons(db, utcnow(), user, room_id, text,
                                               final if isinstance(final, str) else None)
        else:
            saved = lessons.save_lessons(db, utcnow(), room_id, user.name, text)
    except lessons.LessonsError as exc:
        status = 422
        if exc.field == "room":
            status = 404 if str(exc).startswith("no room") else 409
        if wants_json() or request.is_json:
            return json_error(status, str(exc), field=exc.field)
        abort(status, description=f"{exc.field}: {exc}")
    if wants_json() or request.is_json:
        return {"ok": True, "lessons": saved.to_dict(), "closed": close}
    return redirect(url_for("pages.room_page", room_id=room_id) + "#postmortem")


OPENAPI_PATHS = {
    "/rooms/{room_id}/export.{fmt}": {
        "get": {
            "summary": "Post-mortem export (leads and admins): Markdown, self-contained HTML or JSON",
            "parameters": [
                {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "fmt", "in": "path", "required": True,
                 "schema": {"type": "string", "enum": ["md", "html", "json"]}},
            ],
            "responses": {"200": {"description": "the report; JSON follows warroom/postmortem/postmortem.schema.json"},
                          "403": {"description": "viewer, responder or approver"},
                          "404": {"description": "no such room or format"}},
        }
    },
    "/rooms/{room_id}/lessons": {
        "post": {
            "summary": "Save a new version of the room's lessons (leads); close=true also closes the room",
            "parameters": [{"name": "room_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": ["lessons"],
                "properties": {"lessons": {"type": "string"}, "close": {"type": "boolean"},
                               "final_update": {"type": "string", "maxLength": 3000}}}}}},
            "responses": {"200": {"description": "saved"}, "422": {"description": "empty or too long"}},
        }
    },
}
