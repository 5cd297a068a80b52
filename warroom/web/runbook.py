"""The checklist and update rhythm on the board: a room panel (server-rendered,
refreshed live on ``checklist.*`` / ``rhythm.*`` events), its JSON twin, the
``checklist.mark`` Socket.IO command and the scheduler job. Thin: the rules
live in ``warroom.runbook``."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from .. import rooms, runbook, validate
from ..clock import iso, utcnow
from ..live import Command, CommandError
from .context import current_user, get_db, json_error, require_role

bp = Blueprint("runbook", __name__)
STAGE_TITLES = {"first-hour": "First hour", "while-it-runs": "While it runs", "closing": "Closing"}


def _state(db, room, now) -> dict:
    items = runbook.room_checklist(db, room.id, now)
    return {"room": room.id, "now": iso(now), "closed": room.status == "closed",
            "items": [i.to_dict() for i in items],
            "rhythm": [s.to_dict() for s in runbook.room_rhythm(db, room.id, now)]}


def _panel(db, room, user) -> dict | None:
    state = _state(db, room, utcnow())
    if not state["items"] and not state["rhythm"]:
        return None
    stages = [(key, title, [i for i in state["items"] if i["stage"] == key]) for key, title in STAGE_TITLES.items()]
    from ..accounts import has_role

    return {**state, "stages": [s for s in stages if s[2]], "can_tick": has_role(user, "responder")
            and not state["closed"]}


def room_panel(db, room, user):
    ctx = _panel(db, room, user)
    return ("panels/runbook.html", ctx) if ctx else None


@bp.route("/rooms/<int:room_id>/panels/runbook")
@require_role("viewer")
def panel_fragment(room_id: int):
    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404)
    ctx = _panel(db, room, current_user())
    if ctx is None:
        abort(404, description="this room's playbook has no checklist or rhythm")
    return render_template("panels/runbook.html", panel=ctx, fragment=True)


@bp.route("/api/v1/rooms/<int:room_id>/runbook")
@require_role("viewer")
def api_state(room_id: int):
    """The room's checklist (each item's state) and rhythm (missed and next deadlines)."""
    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        return json_error(404, f"no room {room_id}", field="room")
    return _state(db, room, utcnow())


def cmd_mark(db, user, payload, now):
    try:
        room_id = validate.integer(payload.get("room"), "room", from_text=True)
        item = validate.integer(payload.get("item"), "item", from_text=True)
        state = validate.text(payload.get("state", "done"), "state")
        reason = validate.text(payload.get("reason", ""), "reason")
    except validate.Invalid as exc:
        raise CommandError(str(exc), field=exc.field) from None
    try:
        return {"item": runbook.mark(db, now, user, room_id, item, state, reason).to_dict()}
    except (runbook.RunbookError, rooms.RoomError) as exc:
        raise CommandError(str(exc), field=exc.field) from None


COMMANDS = [Command("checklist.mark", "responder", cmd_mark)]

_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
OPENAPI_PATHS = {
    "/api/v1/rooms/{room_id}/runbook": {"get": {
        "summary": "The room's checklist (from its pinned playbook) and update rhythm",
        "parameters": [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "checklist and rhythm", "content": {"application/json": {
            "schema": {"type": "object", "required": ["room", "now", "items", "rhythm"]}}}},
            "401": _ERR, "404": _ERR},
    }},
}


def run_tick(app) -> None:
    """Scheduler job: overdue checklist items, update reminders, missed updates."""
    db = app.extensions["warroom_open_db"]()
    try:
        runbook.tick(db, utcnow())
    finally:
        db.close()
