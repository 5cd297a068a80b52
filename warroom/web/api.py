"""JSON API (session-authenticated unless marked) and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .. import db as dbmod
from .. import events, rooms
from .context import get_db, json_error, public, require_role, visible_rooms
from .openapi import document

bp = Blueprint("api", __name__)


@bp.route("/healthz")
@public
def healthz():
    """Healthy means the store can be read AND written: a database that another
    process keeps locked, or that became read-only, answers 503."""
    try:
        db = get_db()
        ok = dbmod.check(db)
        dbmod.check_writable(db)
    except Exception as exc:  # the point is to answer, not to crash
        reason = dbmod.unavailable(exc) or exc.__class__.__name__
        resp = jsonify({"status": "fail", "database": reason, "error": f"database: {reason}"})
        resp.status_code = 503
        resp.headers["Retry-After"] = str(dbmod.retry_after(reason))
        return resp
    return jsonify({"status": "ok" if ok else "fail", "database": "ok" if ok else "fail"})


@bp.route("/api/v1/openapi.json")
@public
def openapi():
    return jsonify(document(current_app.extensions["warroom_openapi_paths"]))


@bp.route("/api/v1/rooms")
@require_role("viewer")
def api_rooms():
    db = get_db()
    return jsonify({"rooms": [r.to_dict() for r in visible_rooms(db, rooms.list_rooms(db))]})


@bp.route("/api/v1/rooms/<int:room_id>/events")
@require_role("viewer")
def api_room_events(room_id: int):
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    try:
        after = int(request.args.get("after", "0"))
        limit = int(request.args.get("limit", str(events.MAX_PAGE)))
    except ValueError:
        return json_error(400, "after and limit must be integers", field="after")
    if not 0 <= after < 2**63:
        return json_error(400, "after must be an event id (0 or more)", field="after")
    if limit < 1:
        return json_error(400, "limit must be 1 or more", field="limit")
    page = events.after(db, room_id, after, limit)
    return jsonify({
        "room": room_id,
        "events": [e.to_dict() for e in page],
        "last_id": page[-1].id if page else after,
        "more": len(page) == min(limit, events.MAX_PAGE),
    })
