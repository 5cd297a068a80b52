"""Roster on the web: the JSON API, the room panel (and its fragment), the
personal calendar feed and the "my settings" page (time zone, feed link).

Every roster action answers at two URLs: ``/api/v1/rooms/<id>/roster/...``
(JSON in, JSON out) and ``/rooms/<id>/roster/...`` (the panel's plain HTML
forms, which redirect back to the room). Both need a session and the CSRF
token; the domain re-checks who may do what.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import accounts, rooms, roster, validate
from ..clock import utcnow
from ..config import ConfigError
from ..roster import coverage, handover, oncall, shiftfeed, swaps
from . import roster_openapi
from .context import current_user, get_db, json_error, public, require_role, settings

bp = Blueprint("roster", __name__)
log = logging.getLogger(__name__)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _payload() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise roster.RosterError("body", "the body must be a JSON object", 400)
        return body
    return request.form.to_dict()


def _int(body: dict, key: str, required: bool = True) -> int | None:
    """A JSON number or a form field's digits, within SQLite's INTEGER."""
    value = body.get(key)
    if value in (None, "") and not required:
        return None
    try:
        return validate.integer(value, key, from_text=True)
    except validate.Invalid as exc:
        raise roster.RosterError(key, str(exc), 400) from None


def _id_range(number: int) -> bool:
    """Fits SQLite's INTEGER (a larger Python int would make it raise)."""
    return validate.INT_MIN <= number <= validate.INT_MAX


def _user_named(db, body: dict, key: str) -> accounts.User:
    name = body.get(key)
    if not isinstance(name, str) or not name.strip():
        raise roster.RosterError(key, f"{key} must name a user", 400)
    user = accounts.find_user(db, name.strip())
    if user is None:
        raise roster.RosterError(key, f"no user {name.strip()!r}", 422)
    return user


def _room_slot(db, room_id: int, slot_id: int) -> roster.Slot:
    slot = roster.get_slot(db, slot_id)
    if slot is None or slot.room_id != room_id:
        raise roster.RosterError("slot_id", f"no shift {slot_id} in room {room_id}", 404)
    return slot


def _room_or_404(db, room_id: int):
    room = rooms.get_room(db, room_id) if _id_range(room_id) else None
    if room is None:
        raise roster.RosterError("room", f"no room {room_id}", 404)
    return room


def _act(room_id: int, action):
    """Run ``action(db, body) -> dict``; answer JSON (API) or redirect (form)."""
    db = get_db()
    try:
        _room_or_404(db, room_id)
        result = action(db, _payload())
    except roster.RosterError as exc:
        if _is_api():
            return json_error(exc.status, str(exc), field=exc.field)
        if exc.status == 404:
            abort(404, description=str(exc))
        # A refused form goes back to the room, said in words and local times.
        flash(_in_words(str(exc)), "roster-error")
        return redirect(url_for("pages.room_page", room_id=room_id) + "#roster", code=303)
    if _is_api():
        return jsonify({"ok": True, **result})
    return redirect(url_for("pages.room_page", room_id=room_id) + "#roster", code=303)


_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z")


def _in_words(message: str) -> str:
    """A domain message for a person: its UTC timestamps in their time zone."""
    user = current_user()
    tz = user.tz if user else "UTC"
    text = _ISO.sub(lambda m: coverage.local_text(m.group(0), tz), message)
    return text.replace(")-", ") to ").replace(" -", " to ")


def _both(rule: str, endpoint: str, role: str):
    """Register a POST view under the API path and the form path."""
    def decorate(view):
        guarded = require_role(role)(view)
        bp.add_url_rule(f"/api/v1/rooms/<int:room_id>/roster/{rule}", endpoint, guarded,
                        methods=["POST"])
        bp.add_url_rule(f"/rooms/<int:room_id>/roster/{rule}", f"{endpoint}_form", guarded,
                        methods=["POST"])
        return guarded
    return decorate


@_both("signup", "signup", "responder")
def signup(room_id: int):
    def run(db, body):
        slot = _room_slot(db, room_id, _int(body, "slot_id"))
        roster.sign_up(db, utcnow(), current_user(), slot.id)
        return {"slot": _staffed_one(db, slot.id)}
    return _act(room_id, run)


@_both("withdraw", "withdraw", "responder")
def withdraw(room_id: int):
    def run(db, body):
        slot = _room_slot(db, room_id, _int(body, "slot_id"))
        who = _user_named(db, body, "user") if body.get("user") else None
        roster.withdraw(db, utcnow(), current_user(), slot.id, who)
        return {"slot": _staffed_one(db, slot.id)}
    return _act(room_id, run)


@_both("assign", "assign", "lead")
def assign(room_id: int):
    def run(db, body):
        slot = _room_slot(db, room_id, _int(body, "slot_id"))
        roster.assign(db, utcnow(), current_user(), slot.id, _user_named(db, body, "user"))
        return {"slot": _staffed_one(db, slot.id)}
    return _act(room_id, run)


@_both("swaps", "swap_propose", "responder")
def swap_propose(room_id: int):
    def run(db, body):
        slot, other = _swap_slots(db, room_id, body)
        swap = swaps.propose_swap(db, utcnow(), current_user(), slot.id,
                                   _user_named(db, body, "with_user"), other)
        return {"swap": swap.to_dict()}
    return _act(room_id, run)


def _swap_slots(db, room_id: int, body: dict):
    """The slot given up and the optional slot taken in return, both of this room."""
    slot = _room_slot(db, room_id, _int(body, "slot_id"))
    other = _int(body, "with_slot_id", required=False)
    if other is not None:
        _room_slot(db, room_id, other)
    return slot, other


def _swap_in_room(db, room_id: int, swap_id: int) -> swaps.Swap:
    swap = swaps.get_swap(db, swap_id) if _id_range(swap_id) else None
    if swap is None or swap.room_id != room_id:
        raise roster.RosterError("swap_id", f"no swap {swap_id} in room {room_id}", 404)
    return swap


@_both("swaps/<int:swap_id>/accept", "swap_accept", "responder")
def swap_accept(room_id: int, swap_id: int):
    def run(db, body):
        _swap_in_room(db, room_id, swap_id)
        return {"swap": swaps.accept_swap(db, utcnow(), current_user(), swap_id).to_dict()}
    return _act(room_id, run)


@_both("swaps/<int:swap_id>/decline", "swap_decline", "responder")
def swap_decline(room_id: int, swap_id: int):
    def run(db, body):
        _swap_in_room(db, room_id, swap_id)
        return {"swap": swaps.decline_swap(db, utcnow(), current_user(), swap_id).to_dict()}
    return _act(room_id, run)


@_both("swap", "swap_lead", "lead")
def swap_lead(room_id: int):
    def run(db, body):
        slot, other = _swap_slots(db, room_id, body)
        swaps.lead_swap(db, utcnow(), current_user(), slot.id, _user_named(db, body, "user"),
                         _user_named(db, body, "with_user"), other)
        return {"slot": _staffed_one(db, slot.id)}
    return _act(room_id, run)


@_both("handover", "handover_write", "responder")
def handover_write(room_id: int):
    def run(db, body):
        slot = _room_slot(db, room_id, _int(body, "slot_id"))
        note = body.get("note", "")
        if not isinstance(note, str):
            raise roster.RosterError("note", "note must be text", 400)
        made = handover.write_note(db, utcnow(), current_user(), slot.id, note,
                                   body.get("open_items"), body.get("promises"))
        return {"note": made.to_dict()}
    return _act(room_id, run)


@_both("extend", "extend", "lead")
def extend(room_id: int):
    def run(db, body):
        made = coverage.extend(db, utcnow(), current_user(), room_id, _int(body, "shifts"))
        return {"created": [s.__dict__ for s in made]}
    return _act(room_id, run)


def _staffed_one(db, slot_id: int) -> dict:
    slot = roster.get_slot(db, slot_id)
    people = tuple(u.name for u in roster.people_on(db, slot_id))
    return roster.Staffed(slot, people).to_dict()


# -- reading ---------------------------------------------------------------------------------


@bp.route("/api/v1/rooms/<int:room_id>/roster")
@require_role("viewer")
def roster_json(room_id: int):
    db = get_db()
    if not _id_range(room_id) or rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    try:
        hours = int(request.args.get("hours", "48"))
    except ValueError:
        return json_error(400, "hours must be a whole number", field="hours")
    if not 1 <= hours <= 24 * 14:
        return json_error(400, "hours must be between 1 and 336", field="hours")
    now = utcnow()
    user = current_user()
    return jsonify({
        "room": room_id,
        "tz": user.tz,
        "shifts": [s.to_dict() for s in roster.staffed(db, room_id, now, now + timedelta(hours=hours))],
        "coverage": [c.to_dict() for c in coverage.coverage(db, room_id, now)],
        "swaps": [s.to_dict() for s in swaps.open_swaps(db, room_id)],
        "handover_for_you": [n.to_dict() for n in handover.notes_for_user(db, room_id, user, now)],
        "handover_recent": [n.to_dict() for n in handover.recent_notes(db, room_id)],
    })


@bp.route("/api/v1/oncall")
@require_role("viewer")
def oncall_json():
    try:
        days = int(request.args.get("days", "7"))
    except ValueError:
        return json_error(400, "days must be a whole number", field="days")
    if not 1 <= days <= 90:
        return json_error(400, "days must be between 1 and 90", field="days")
    rotation = _rotation()
    now = utcnow()
    if rotation is None:
        return jsonify({"configured": False, "turns": [], "now": None, "error": _rotation_error()})
    return jsonify({
        "configured": True, "timezone": rotation.tz,
        "now": oncall.turn_at(rotation, now).to_dict(),
        "turns": [t.to_dict() for t in oncall.turns(rotation, now, now + timedelta(days=days))],
    })


def _rotation():
    """The configured rotation, loaded once per app. A broken on-call file
    must not take the board down: it is logged and shown, and counts as none
    (`run.py oncall show` reports it with file:line and exit 2)."""
    cache = current_app.extensions.setdefault("warroom_oncall", {})
    if "rotation" not in cache:
        try:
            cache["rotation"], cache["error"] = oncall.load_rotation(settings()), None
        except ConfigError as exc:
            log.error("on-call rotation not loaded: %s", exc)
            cache["rotation"], cache["error"] = None, str(exc)
    return cache["rotation"]


def _rotation_error() -> str | None:
    _rotation()
    return current_app.extensions["warroom_oncall"]["error"]


# -- the room panel --------------------------------------------------------------------------


def _panel_context(db, room, user) -> dict:
    now = utcnow()
    tz = user.tz if user else "UTC"
    shifts = roster.staffed(db, room.id, now, now + coverage.HORIZON)
    cover = coverage.coverage(db, room.id, now)
    roles = [c.role for c in cover]
    times = sorted({(s.slot.starts_at, s.slot.ends_at) for s in shifts})
    cells = {(s.slot.starts_at, s.slot.role): s for s in shifts}
    return {
        "room": room, "user": user, "tz": tz,
        "show": lambda ts: coverage.local_text(ts, tz),
        "span": lambda a, b: coverage.span_text(a, b, tz),
        "runs": coverage.gap_runs,
        "describe": lambda slot_id: _describe(db, slot_id, tz),
        "coverage": cover, "roles": roles, "times": times, "cells": cells,
        "shifts": shifts,
        "mine": {s.slot.id for s in shifts if user and user.name in s.people},
        "swaps": swaps.open_swaps(db, room.id),
        "for_you": handover.notes_for_user(db, room.id, user, now) if user else [],
        "recent": handover.recent_notes(db, room.id, limit=5),
        "can_sign_up": accounts.has_role(user, "responder") and room.status != "closed",
        # the Lead column only for who may take it (roster.lead_slot_role)
        "may_lead": _may_lead(db, shifts, user),
        "is_lead": accounts.has_role(user, "lead") and room.status != "closed",
        "on_call": _on_call_now(now),
        "on_call_error": _rotation_error(),
    }


def _may_lead(db, shifts, user) -> bool:
    lead = next((s.slot for s in shifts if roster.lead_slot_role(db, s.slot)), None)
    return lead is None or accounts.has_role(user, roster.lead_slot_role(db, lead))


def _on_call_now(now):
    rotation = _rotation()
    return oncall.turn_at(rotation, now) if rotation is not None else None


def _describe(db, slot_id: int, tz: str) -> str:
    slot = roster.get_slot(db, slot_id)
    if slot is None:
        return f"shift {slot_id}"
    return f"{slot.role} {coverage.span_text(slot.starts_at, slot.ends_at, tz)}"


def room_panel(db, room, user):
    return "panels/roster.html", _panel_context(db, room, user)


@bp.route("/rooms/<int:room_id>/roster/panel")
@require_role("viewer")
def panel_fragment(room_id: int):
    db = get_db()
    room = rooms.get_room(db, room_id) if _id_range(room_id) else None
    if room is None:
        abort(404)
    return render_template("panels/roster_body.html", panel=_panel_context(db, room, current_user()))


# -- me: settings and the calendar feed ------------------------------------------------------


@bp.route("/me/settings", methods=["GET", "POST"])
@require_role("viewer")
def my_settings():
    db = get_db()
    user = current_user()
    error = None
    status = 200
    if request.method == "POST":
        try:
            accounts.set_timezone(db, user, request.form.get("tz", "").strip())
            return redirect(url_for("roster.my_settings"), code=303)
        except accounts.AccountError as exc:
            error, status = f"{exc.field}: {exc}", 422
    return render_template(
        "me_settings.html", user=accounts.get_user(db, user.id), zones=sorted(available_timezones()),
        error=error, feed_url=None, has_feed=shiftfeed.has_token(db, user),
    ), status


@bp.route("/me/feed-token", methods=["POST"])
@require_role("viewer")
def my_feed_token():
    db = get_db()
    user = current_user()
    token = shiftfeed.new_token(db, utcnow(), user)
    url = settings().url + url_for("roster.shifts_ics", token=token)
    return render_template(
        "me_settings.html", user=user, zones=sorted(available_timezones()), error=None,
        feed_url=url, has_feed=True,
    )


@bp.route("/api/v1/me/settings", methods=["GET", "POST"])
@require_role("viewer")
def my_settings_json():
    db = get_db()
    user = current_user()
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("tz"), str):
            return json_error(400, "send {\"tz\": \"Area/City\"}", field="tz")
        try:
            accounts.set_timezone(db, user, body["tz"].strip())
        except accounts.AccountError as exc:
            return json_error(422, str(exc), field=exc.field)
        user = accounts.get_user(db, user.id)
    return jsonify({"name": user.name, "tz": user.tz, "has_feed": shiftfeed.has_token(db, user)})


@bp.route("/api/v1/me/feed-token", methods=["POST"])
@require_role("viewer")
def my_feed_token_json():
    token = shiftfeed.new_token(get_db(), utcnow(), current_user())
    return jsonify({"token": token,
                    "url": settings().url + url_for("roster.shifts_ics", token=token)})


@bp.route("/me/shifts.ics")
@public
def shifts_ics():
    """Calendar apps cannot log in: the secret token is the credential; a
    missing or wrong one is indistinguishable from no feed at all (404)."""
    db = get_db()
    user = shiftfeed.user_for_token(db, request.args.get("token"))
    if user is None:
        abort(404)
    # UIDs must stay stable whatever Host header a client sends.
    host = urlsplit(settings().url).hostname or "warroom"
    body = shiftfeed.calendar(db, user, utcnow(), _rotation(), host=host,
                              may_see_room=lambda room_id: accounts.may_see_room(db, user, room_id))
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Cache-Control"] = "private, max-age=300"
    resp.headers["Content-Disposition"] = 'inline; filename="shifts.ics"'
    return resp


# -- the scheduler job -----------------------------------------------------------------------


def run_tick(app) -> None:
    """Shift reminders, hand-over requests and on-call hand-offs (each once)."""
    db = app.extensions["warroom_open_db"]()
    try:
        now = utcnow()
        handover.tick(db, now)
        with app.app_context():
            rotation = _rotation()
        oncall.tick(db, rotation, now)
    finally:
        db.close()


# -- OpenAPI ---------------------------------------------------------------------------------

OPENAPI_PATHS = roster_openapi.paths()
