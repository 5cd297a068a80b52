"""Escalations on the board: the panel (open escalations, each page's target,
state and attempts, time to acknowledge), the acknowledge button, a lead's
manual "page", their JSON twins and the Socket.IO commands.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from .. import escalation, rooms, validate
from ..clock import parse_iso, utcnow
from ..live import Command, CommandError
from .context import current_user, get_db, json_error, require_role

bp = Blueprint("escalation", __name__)

PAGE_COLS = ("id, escalation_id, cycle, step, target, recipient, state, attempts, due_at, sent_at,"
             " last_error, via, bundled_into")


def pages_of(db, escalation_id: int) -> list[dict]:
    names = [c.strip() for c in PAGE_COLS.split(",")]
    rows = db.execute(f"SELECT {PAGE_COLS} FROM pages WHERE escalation_id = ? ORDER BY id", [escalation_id])
    return [dict(zip(names, r, strict=True)) for r in rows]


def _ack_seconds(esc: escalation.Escalation) -> int | None:
    if not esc.acked_at:
        return None
    return int((parse_iso(esc.acked_at) - parse_iso(esc.opened_at)).total_seconds())


def escalation_view(db, esc: escalation.Escalation) -> dict:
    out = esc.to_dict()
    out["pages"] = pages_of(db, esc.id)
    out["seconds_to_ack"] = _ack_seconds(esc)
    return out


def _panel_context(db, room, user) -> dict:
    from .. import accounts

    recent = escalation.for_room(db, room.id, limit=5)
    return {
        "room": room,
        "escalations": [escalation_view(db, e) for e in recent],
        "can_ack": accounts.has_role(user, "responder"),
        "can_page": accounts.has_role(user, "lead") and room.status != "closed",
    }


def room_panel(db, room, user):
    return "panels/escalation.html", _panel_context(db, room, user)


def _room_or_404(db, room_id: int):
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404)
    return room


@bp.route("/rooms/<int:room_id>/escalation/panel")
@require_role("viewer")
def panel_fragment(room_id: int):
    db = get_db()
    room = _room_or_404(db, room_id)
    return render_template("panels/escalation_body.html", panel=_panel_context(db, room, current_user()))


def channel_problems(db, room_id: int) -> list[dict]:
    """The board's banner: ``escalation.channel_health`` with this server's
    configuration (is there a Slack token?) and the room's connectors."""
    from .. import platforms
    from ..config import secret

    connectors = [escalation.ConnectorState(c.name, c.platform, c.state, c.last_error)
                  for c in platforms.store.for_room(db, room_id)]
    config = escalation.HealthConfig(slack_configured=bool(secret("SLACK_BOT_TOKEN")))
    return [p.to_dict() for p in escalation.channel_health(db, utcnow(), config, room_id, connectors)]


@bp.route("/api/v1/rooms/<int:room_id>/channel-health")
@require_role("viewer")
def channel_health_api(room_id: int):
    """Channels that cannot reach people (for the board's banner)."""
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room_id")
    return jsonify({"room": room_id, "problems": channel_problems(db, room_id)})


@bp.route("/api/v1/rooms/<int:room_id>/escalations")
@require_role("viewer")
def api_list(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    return jsonify({"escalations": [escalation_view(db, e) for e in escalation.for_room(db, room_id)]})


def _ack(room_id: int, escalation_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    esc = escalation.get(db, escalation_id)
    if esc is None or esc.room_id != room_id:
        abort(404)
    esc = escalation.acknowledge(db, utcnow(), escalation_id, current_user())
    return esc


@bp.route("/api/v1/rooms/<int:room_id>/escalations/<int:escalation_id>/ack", methods=["POST"])
@require_role("responder")
def api_ack(room_id: int, escalation_id: int):
    try:
        esc = _ack(room_id, escalation_id)
    except rooms.RoomError as exc:
        return json_error(409, str(exc), field=exc.field)
    except escalation.EscalationError as exc:
        return json_error(409 if exc.field == "escalation" else 422, str(exc), field=exc.field)
    return jsonify({"escalation": escalation_view(get_db(), esc)})


@bp.route("/rooms/<int:room_id>/escalations/<int:escalation_id>/ack", methods=["POST"])
@require_role("responder")
def form_ack(room_id: int, escalation_id: int):
    try:
        _ack(room_id, escalation_id)
    except (escalation.EscalationError, rooms.RoomError) as exc:
        abort(409, description=str(exc))
    return redirect(url_for("pages.room_page", room_id=room_id) + "#escalation")


def _page(room_id: int, note):
    db = get_db()
    _room_or_404(db, room_id)
    if note is not None and not isinstance(note, str):
        raise escalation.EscalationError("note", "note must be text")
    esc = escalation.manual_page(db, utcnow(), room_id, current_user(), note or "")
    return esc


@bp.route("/api/v1/rooms/<int:room_id>/page", methods=["POST"])
@require_role("lead")
def api_page(room_id: int):
    body = request.get_json(silent=True)
    if body is not None and not isinstance(body, dict):
        return json_error(400, "the body must be a JSON object")
    try:
        esc = _page(room_id, (body or {}).get("note"))
    except rooms.RoomError as exc:
        return json_error(409, str(exc), field=exc.field)
    except escalation.EscalationError as exc:
        return json_error(422, str(exc), field=exc.field)
    return jsonify({"escalation": escalation_view(get_db(), esc)}), 201


@bp.route("/rooms/<int:room_id>/page", methods=["POST"])
@require_role("lead")
def form_page(room_id: int):
    try:
        _page(room_id, request.form.get("note", ""))
    except rooms.RoomError as exc:
        abort(409, description=str(exc))
    except escalation.EscalationError as exc:
        abort(422, description=str(exc))
    return redirect(url_for("pages.room_page", room_id=room_id) + "#escalation")


# -- Socket.IO commands ------------------------------------------------------------


def _int(payload: dict, key: str) -> int:
    try:
        return validate.integer(payload.get(key), key, from_text=True)
    except validate.Invalid:
        raise CommandError(f"{key} must be an id", field=key) from None


def _cmd_ack(db, user, payload, now):
    esc = escalation.get(db, _int(payload, "escalation"))
    if esc is None:
        raise CommandError("no such escalation")
    esc = escalation.acknowledge(db, now, esc.id, user)
    return {"escalation": esc.id, "state": esc.state}


def _cmd_page(db, user, payload, now):
    room_id = _int(payload, "room")
    if rooms.get_room(db, room_id) is None:
        raise CommandError(f"no room {room_id}")
    note = payload.get("note") or ""
    try:
        validate.text(note, "note")
    except validate.Invalid as exc:
        raise CommandError(str(exc), field="note") from None
    esc = escalation.manual_page(db, now, room_id, user, note)
    return {"escalation": esc.id, "state": esc.state}


COMMANDS = [Command("escalation.ack", "responder", _cmd_ack), Command("escalation.page", "lead", _cmd_page)]

OPENAPI_PATHS = {
    "/api/v1/rooms/{room_id}/escalations": {"get": {
        "summary": "A room's recent escalations with their pages", "tags": ["escalation"],
        "parameters": [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "escalations"}, "401": {"description": "login required"},
                      "404": {"description": "no such room"}}}},
    "/api/v1/rooms/{room_id}/escalations/{escalation_id}/ack": {"post": {
        "summary": "Acknowledge an escalation (responder and up)", "tags": ["escalation"],
        "parameters": [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                       {"name": "escalation_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "acknowledged"},
                      "409": {"description": "already acknowledged, or the room is closed"},
                      "401": {"description": "login required"}, "403": {"description": "role too low"},
                      "404": {"description": "no such escalation"}}}},
    "/api/v1/rooms/{room_id}/page": {"post": {
        "summary": "A lead's manual page: open an escalation or climb the open one now", "tags": ["escalation"],
        "parameters": [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"note": {"type": "string", "maxLength": 500}}}}}},
        "responses": {"201": {"description": "paging"}, "401": {"description": "login required"},
                      "403": {"description": "lead role needed"}, "404": {"description": "no such room"},
                      "409": {"description": "the room is closed"},
                      "422": {"description": "refused", "content": {"application/json": {}}}}}},
}
