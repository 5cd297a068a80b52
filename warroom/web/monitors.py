"""Standing monitors on the web: the monitors page (list, create, edit, pause,
accept an offer; leads and admins, CSRF like every form) and the JSON API
(``/api/v1/monitors``); the room panel stating the detector's sensitivity in
plain words. The token push path is in ``ingest``."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import accounts, rooms, validate
from ..clock import utcnow
from ..listening import monitors, spikes, volume, watch
from ..playbooks import store
from .context import current_user, get_db, json_error, require_role, visible

bp = Blueprint("monitors", __name__)


def _spikes_params() -> dict:
    return current_app.extensions["warroom"].spikes.detector_params


def sensitivity_of(db, monitor: monitors.Monitor) -> str:
    _, det = watch.load_detector(db, monitor.id, watch.monitor_params(db, monitor, _spikes_params()))
    return spikes.sensitivity(det.params)


def _form_data() -> dict:
    """A form's fields as the API's JSON (the rotation from its own inputs)."""
    f = request.form
    data = {k: f[k] for k in ("brand", "keywords", "sources", "playbook_id", "open_room", "status") if k in f}
    if "oncall_people" in f:
        people = [p.strip() for p in f["oncall_people"].split(",") if p.strip()]
        if not people:
            data["oncall"] = None
        else:
            try:
                days = validate.integer(f.get("oncall_rotation_days") or "7", "oncall", from_text=True)
            except validate.Invalid:
                raise monitors.MonitorError("oncall", "oncall: rotation days must be a whole number") from None
            data["oncall"] = {"people": people, "rotation_days": days,
                              "handoff": f.get("oncall_handoff") or "09:00",
                              "timezone": f.get("oncall_timezone") or "UTC",
                              "start": f.get("oncall_start") or "2026-01-05"}
    return data


def _page(db, error=None, values=None, monitor=None, status=200):
    ctx = {"error": error, "values": values or {},
           "playbooks": visible(db, "playbook", [v for v, _ in store.list_latest(db)], lambda v: v.playbook_id)}
    if monitor is None:
        ctx["monitors"] = visible(db, "monitor", monitors.list_monitors(db))
        return render_template("monitors.html", **ctx), status
    ctx.update(monitor=monitor, alarms=watch.alarms_of(db, monitor.id), sensitivity=sensitivity_of(db, monitor))
    return render_template("monitor.html", **ctx), status


def _monitor_or_404(db, monitor_id: int) -> monitors.Monitor:
    monitor = monitors.get(db, monitor_id)
    if monitor is None:
        abort(404)
    return monitor


@bp.route("/monitors")
@require_role("lead")
def monitor_list():
    return _page(get_db())


@bp.route("/monitors", methods=["POST"])
@require_role("lead")
def monitor_create():
    db = get_db()
    try:
        monitor = monitors.create(db, utcnow(), current_user().name, _form_data())
    except monitors.MonitorError as exc:
        return _page(db, error=exc, values=request.form, status=exc.status)
    return redirect(url_for("monitors.monitor_view", monitor_id=monitor.id), 303)


@bp.route("/monitors/<int:monitor_id>")
@require_role("lead")
def monitor_view(monitor_id: int):
    db = get_db()
    return _page(db, monitor=_monitor_or_404(db, monitor_id))


@bp.route("/monitors/<int:monitor_id>", methods=["POST"])
@require_role("lead")
def monitor_edit(monitor_id: int):
    db = get_db()
    monitor = _monitor_or_404(db, monitor_id)
    try:
        monitors.update(db, utcnow(), monitor_id, current_user().name, _form_data())
    except monitors.MonitorError as exc:
        return _page(db, error=exc, values=request.form, monitor=monitor, status=exc.status)
    return redirect(url_for("monitors.monitor_view", monitor_id=monitor_id), 303)


@bp.route("/monitors/<int:monitor_id>/alarms/<int:alarm_id>/accept", methods=["POST"])
@require_role("lead")
def monitor_accept(monitor_id: int, alarm_id: int):
    db = get_db()
    monitor = _monitor_or_404(db, monitor_id)
    try:
        out = _accept(db, monitor_id, alarm_id)
    except (monitors.MonitorError, rooms.RoomError) as exc:
        return _page(db, error=exc, monitor=monitor, status=getattr(exc, "status", 409))
    return redirect(url_for("pages.room_page", room_id=out["room_id"]), 303)


def _accept(db, monitor_id: int, alarm_id: int) -> dict:
    if not any(a["id"] == alarm_id for a in watch.alarms_of(db, monitor_id, limit=10_000)):
        raise monitors.MonitorError("alarm", f"monitor {monitor_id} has no alarm {alarm_id}", status=404)
    out = watch.accept_offer(db, utcnow(), alarm_id, current_user())
    team = accounts.team_of(db, "monitor", monitor_id)
    if team is not None and out.get("room_id") and accounts.team_of(db, "room", out["room_id"]) is None:
        # a team's monitor opens that team's room
        accounts.assign(db, utcnow(), "room", out["room_id"], team, current_user().name)
    return out


# -- JSON API ---------------------------------------------------------------


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise monitors.MonitorError("body", "the body must be a JSON object", status=400)
    return body


def _out(db, monitor: monitors.Monitor) -> dict:
    return {**monitor.to_dict(), "sensitivity": sensitivity_of(db, monitor)}


@bp.route("/api/v1/monitors")
@require_role("lead")
def api_list():
    db = get_db()
    return jsonify({"monitors": [_out(db, m) for m in visible(db, "monitor", monitors.list_monitors(db))]})


@bp.route("/api/v1/monitors", methods=["POST"])
@require_role("lead")
def api_create():
    db = get_db()
    try:
        monitor = monitors.create(db, utcnow(), current_user().name, _json_body())
    except monitors.MonitorError as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    return jsonify(_out(db, monitor)), 201


@bp.route("/api/v1/monitors/<int:monitor_id>")
@require_role("lead")
def api_get(monitor_id: int):
    db = get_db()
    monitor = monitors.get(db, monitor_id)
    if monitor is None:
        return json_error(404, f"no monitor {monitor_id}", field="monitor")
    return jsonify({**_out(db, monitor), "alarms": watch.alarms_of(db, monitor_id)})


@bp.route("/api/v1/monitors/<int:monitor_id>", methods=["PATCH"])
@require_role("lead")
def api_update(monitor_id: int):
    db = get_db()
    try:
        monitor = monitors.update(db, utcnow(), monitor_id, current_user().name, _json_body())
    except monitors.MonitorError as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    return jsonify(_out(db, monitor))


@bp.route("/api/v1/monitors/<int:monitor_id>/alarms/<int:alarm_id>/accept", methods=["POST"])
@require_role("lead")
def api_accept(monitor_id: int, alarm_id: int):
    db = get_db()
    if monitors.get(db, monitor_id) is None:
        return json_error(404, f"no monitor {monitor_id}", field="monitor")
    try:
        return jsonify(_accept(db, monitor_id, alarm_id))
    except monitors.MonitorError as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    except rooms.RoomError as exc:
        return json_error(409, str(exc), field=exc.field)


def room_panel(db, room, user):
    """The room's detector sensitivity, in the words its Params give."""
    params = volume.room_params(db, room.id, _spikes_params())
    return "panels/sensitivity.html", {"sensitivity": spikes.sensitivity(params)}


# -- OpenAPI ------------------------------------------------------------------


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_ID = {"name": "monitor_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_ROTATION = {"type": ["object", "null"], "description": "a roster.oncall rotation; null: the installation's [oncall]",
             "properties": {"people": {"type": "array", "items": {"type": "string"}},
                            "handoff": {"type": "string"}, "rotation_days": {"type": "integer", "minimum": 1},
                            "timezone": {"type": "string"}, "start": {"type": "string", "format": "date"}}}
_FIELDS = {
    "brand": {"type": "string", "maxLength": monitors.MAX_BRAND},
    "keywords": {"type": "array", "items": {"type": "string"}},
    "sources": {"type": "array", "items": {"type": "string"}, "description": "empty: any source"},
    "playbook_id": {"type": "string", "description": "a stored playbook; its latest version is pinned when a room opens"},
    "oncall": _ROTATION,
    "open_room": {"type": "string", "enum": list(monitors.OPEN_ROOM)},
    "status": {"type": "string", "enum": list(monitors.STATUSES)},
}
_MONITOR = {"type": "object", "properties": {**_FIELDS, "id": {"type": "integer"},
                                             "sensitivity": {"type": "string"}}}
_BAD = {"400": _err("the body is not a JSON object"), "401": _err("login required"),
        "403": _err("leads and admins only"), "422": _err("a bad field, named in field")}

OPENAPI_PATHS = {
    "/api/v1/monitors": {
        "get": {"summary": "Standing monitors", "responses": {
            "200": {"description": "monitors", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"monitors": {"type": "array", "items": _MONITOR}}}}}},
            "401": _err("login required"), "403": _err("leads and admins only")}},
        "post": {"summary": "Create a standing monitor",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["brand", "playbook_id"], "properties": _FIELDS}}}},
                 "responses": {"201": {"description": "created", "content": {
                     "application/json": {"schema": _MONITOR}}}, **_BAD}},
    },
    "/api/v1/monitors/{monitor_id}": {
        "get": {"summary": "A monitor and its alarms", "parameters": [_ID], "responses": {
            "200": {"description": "the monitor"}, "401": _err("login required"),
            "403": _err("leads and admins only"), "404": _err("no such monitor")}},
        "patch": {"summary": "Change a monitor (pause: {\"status\": \"paused\"})", "parameters": [_ID],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": {
                      "type": "object", "properties": _FIELDS}}}},
                  "responses": {"200": {"description": "changed"}, "404": _err("no such monitor"), **_BAD}},
    },
    "/api/v1/monitors/{monitor_id}/alarms/{alarm_id}/accept": {
        "post": {"summary": "Accept a monitor's offer: its room becomes a war room",
                 "parameters": [_ID, {"name": "alarm_id", "in": "path", "required": True,
                                      "schema": {"type": "integer"}}],
                 "responses": {"200": {"description": "accepted"}, "401": _err("login required"),
                               "403": _err("leads and admins only"), "404": _err("no such monitor or alarm"),
                               "409": _err("not an open offer")}},
    },
}
