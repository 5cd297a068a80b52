"""Stakeholder updates, reply templates and the public status page (adapter).

The room panel and its forms (CSRF like every form), the JSON API (errors
name the field), the team templates page, and the status page: read-only,
no login, cache-friendly (ETag, Last-Modified, Cache-Control; 304 when
unchanged), with an Atom feed. What the status page may show is decided by
``updates.status``; this module only renders it.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from .. import accounts, responses, rooms, updates, validate
from ..clock import parse_iso, utcnow
from .context import current_user, get_db, json_error, public, require_role, settings, wants_json

bp = Blueprint("updates", __name__)
# Caches keep the page but ask every time (a 304 when unchanged): a room made
# private, or a corrected room, must not live on in a cache for minutes.
CACHE_CONTROL = "public, no-cache"


def _fail(exc, status: int = 422):
    field = getattr(exc, "field", None)
    if isinstance(exc, rooms.RoomClosedError):
        status = 409
    elif isinstance(exc, rooms.RoomError) and str(exc).startswith("no room"):
        status = 404
    if wants_json() or request.is_json:
        body = {"findings": exc.findings} if getattr(exc, "findings", None) else {}
        return json_error(status, str(exc), field=field, **body)
    abort(status, description=f"{field}: {exc}" if field else str(exc))


def _payload() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(Response('{"error": "expected a JSON object", "field": "body"}', 400,
                           mimetype="application/json"))
        return body
    return request.form


def _text(payload, name: str, required: bool = False) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise updates.UpdateError(name, f"{name} is required")
        return None
    try:
        return validate.text(value, name, max_len=10000)
    except validate.Invalid as exc:
        raise updates.UpdateError(exc.field, str(exc)) from None


def _next_update(payload):
    """``next_update_at`` (ISO) or ``next_update_minutes`` (the form's) -> datetime."""
    at, minutes = payload.get("next_update_at"), payload.get("next_update_minutes")
    try:
        if at not in (None, ""):
            return validate.timestamp(at, "next_update_at")
        if minutes not in (None, ""):
            n = validate.integer(minutes, "next_update_minutes", low=1, high=7 * 24 * 60, from_text=True)
            return utcnow() + timedelta(minutes=n)
    except validate.Invalid as exc:
        raise updates.UpdateError(exc.field, str(exc)) from None
    return None


def _room_or_404(db, room_id: int):
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404)
    return room


def _back(room_id: int):
    return redirect(url_for("pages.room_page", room_id=room_id) + "#updates")


# -- the room panel ---------------------------------------------------------


def _panel_context(db, room, user) -> dict:
    slug = updates.status.status_slug(db, room.id)
    return {
        "room": room, "updates": list(reversed(updates.room_updates(db, room.id))),
        "is_lead": accounts.has_role(user, "lead"), "may_approve": accounts.has_role(user, "approver"),
        "me": user.name, "mail_list": updates.mail_list(db, room.id),
        "status_url": url_for("updates.status_page", slug=slug) if slug else None,
        "private": accounts.is_private(db, room.id),
    }


def room_panel(db, room, user):
    return "panels/updates.html", _panel_context(db, room, user)


@bp.route("/rooms/<int:room_id>/updates", methods=["POST"])
@require_role("lead")
def update_form(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    payload = _payload()
    try:
        u = updates.submit_update(db, utcnow(), current_user(), room_id, _text(payload, "text", True),
                                  _text(payload, "audience", True), next_update_at=_next_update(payload))
    except (updates.UpdateError, rooms.RoomError) as exc:
        return _fail(exc)
    if wants_json() or request.is_json:
        return {"update": u.to_dict()}, 201
    return _back(room_id)


def _decide(update_id: int, action: str):
    db = get_db()
    found = updates.get_update(db, update_id)
    if found is None:
        abort(404)
    user, now = current_user(), utcnow()
    payload = _payload()
    try:
        if action == "approve":
            u = updates.approve_update(db, now, user, update_id)
        elif action == "reject":
            u = updates.reject_update(db, now, user, update_id, _text(payload, "reason", True))
        else:
            u = updates.publish_update(db, now, user, update_id)
    except (updates.UpdateError, rooms.RoomError) as exc:
        return _fail(exc)
    if wants_json() or request.is_json:
        return {"update": u.to_dict()}
    return _back(found.room_id)


@bp.route("/updates/<int:update_id>/approve", methods=["POST"])
@require_role("approver")
def approve_form(update_id: int):
    return _decide(update_id, "approve")


@bp.route("/updates/<int:update_id>/reject", methods=["POST"])
@require_role("approver")
def reject_form(update_id: int):
    return _decide(update_id, "reject")


@bp.route("/updates/<int:update_id>/publish", methods=["POST"])
@require_role("responder")
def publish_form(update_id: int):
    return _decide(update_id, "publish")


@bp.route("/rooms/<int:room_id>/update-mail-list", methods=["POST"])
@require_role("lead")
def mail_list_form(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    payload = _payload()
    addresses = payload.get("addresses", "")
    try:
        saved = updates.set_mail_list(db, utcnow(), current_user(), room_id, addresses)
    except (updates.UpdateError, rooms.RoomError) as exc:
        return _fail(exc)
    if wants_json() or request.is_json:
        return {"addresses": saved}
    return _back(room_id)


# -- the JSON API -------------------------------------------------------------


@bp.route("/api/v1/rooms/<int:room_id>/updates", methods=["GET"])
@require_role("viewer")
def api_room_updates(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    slug = updates.status.status_slug(db, room_id)
    return {"updates": [u.to_dict() for u in updates.room_updates(db, room_id)],
            "status_url": url_for("updates.status_page", slug=slug, _external=False) if slug else None,
            "mail_list": updates.mail_list(db, room_id)}


@bp.route("/api/v1/rooms/<int:room_id>/updates", methods=["POST"])
@require_role("lead")
def api_submit_update(room_id: int):
    return update_form(room_id)


@bp.route("/api/v1/updates/<int:update_id>/approve", methods=["POST"])
@require_role("approver")
def api_approve(update_id: int):
    return _decide(update_id, "approve")


@bp.route("/api/v1/updates/<int:update_id>/reject", methods=["POST"])
@require_role("approver")
def api_reject(update_id: int):
    return _decide(update_id, "reject")


@bp.route("/api/v1/updates/<int:update_id>/publish", methods=["POST"])
@require_role("responder")
def api_publish(update_id: int):
    return _decide(update_id, "publish")


@bp.route("/api/v1/rooms/<int:room_id>/update-mail-list", methods=["PUT"])
@require_role("lead")
def api_mail_list(room_id: int):
    return mail_list_form(room_id)


@bp.route("/api/v1/rooms/<int:room_id>/templates", methods=["GET"])
@require_role("viewer")
def api_room_templates(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    return {"templates": responses.templates.room_templates(db, room_id)}


@bp.route("/api/v1/rooms/<int:room_id>/templates/fill", methods=["POST"])
@require_role("responder")
def api_fill_template(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    payload = _payload()
    try:
        name = _text(payload, "name", True)
        source = _text(payload, "source") or "playbook"
        mention = payload.get("mention_id")
        mention_id = None if mention in (None, "") else validate.integer(mention, "mention_id", from_text=True)
        if mention_id is not None and not accounts.may_see(db, current_user(), {"mention_id": mention_id}):
            return json_error(404, "not found")
        filled = updates.fill_template(db, utcnow(), room_id, name, source, mention_id)
    except validate.Invalid as exc:
        return json_error(400, str(exc), field=exc.field)
    except updates.UpdateError as exc:
        return _fail(exc)
    # What the composer will lint anyway; sent back so the writer sees it at once.
    findings = responses.check(db, room_id, filled.text, mention_id)
    return {**filled.to_dict(), "findings": [f.to_dict() for f in findings]}


# -- a team's templates (leads of the team, admins) ----------------------------


def _team_or_404(db, team_id: int):
    team = accounts.find_team(db, team_id)
    if team is None or not responses.templates.may_manage(db, current_user(), team.id):
        abort(404)
    return team


@bp.route("/teams/<int:team_id>/templates", methods=["GET", "POST"])
@require_role("lead")
def team_templates_page(team_id: int):
    db = get_db()
    team = _team_or_404(db, team_id)
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("delete"):
                responses.templates.delete_team_template(db, utcnow(), current_user(),
                                                         validate.integer(form["delete"], "delete", from_text=True))
            else:
                template_id = form.get("template_id") or None
                responses.templates.save_team_template(
                    db, utcnow(), current_user(), team.id, form.get("name", ""), form.get("text", ""),
                    form.get("description", ""),
                    validate.integer(template_id, "template_id", from_text=True) if template_id else None)
            return redirect(url_for("updates.team_templates_page", team_id=team.id))
        except (responses.templates.TemplateError, validate.Invalid) as exc:
            error = f"{exc.field}: {exc}"
    return render_template("team_templates.html", team=team, error=error,
                           templates=responses.templates.team_templates(db, team.id)), 422 if error else 200


@bp.route("/api/v1/teams/<int:team_id>/templates", methods=["GET", "POST"])
@require_role("lead")
def api_team_templates(team_id: int):
    db = get_db()
    team = _team_or_404(db, team_id)
    if request.method == "GET":
        return {"templates": [t.to_dict() for t in responses.templates.team_templates(db, team.id)]}
    payload = _payload()
    try:
        t = responses.templates.save_team_template(
            db, utcnow(), current_user(), team.id, _text(payload, "name", True) or "",
            _text(payload, "text", True) or "", _text(payload, "description") or "")
    except (responses.templates.TemplateError, updates.UpdateError) as exc:
        return json_error(422, str(exc), field=exc.field)
    return {"template": t.to_dict()}, 201


@bp.route("/api/v1/templates/<int:template_id>", methods=["PUT", "DELETE"])
@require_role("lead")
def api_team_template(template_id: int):
    db = get_db()
    t = responses.templates.get_team_template(db, template_id)
    if t is None or not responses.templates.may_manage(db, current_user(), t.team_id):
        return json_error(404, "not found")
    try:
        if request.method == "DELETE":
            responses.templates.delete_team_template(db, utcnow(), current_user(), template_id)
            return {"ok": True}
        payload = _payload()
        saved = responses.templates.save_team_template(
            db, utcnow(), current_user(), t.team_id, _text(payload, "name") or t.name,
            _text(payload, "text") or t.text,
            t.description if payload.get("description") is None else (_text(payload, "description") or ""),
            template_id)
    except (responses.templates.TemplateError, updates.UpdateError) as exc:
        return json_error(422, str(exc), field=exc.field)
    return {"template": saved.to_dict()}


# -- the public status page ---------------------------------------------------


def _cached(body: str, mimetype: str, etag: str, last_modified: str | None):
    resp = Response(body, mimetype=mimetype)
    resp.set_etag(etag)
    if last_modified:
        resp.last_modified = parse_iso(last_modified)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    return resp.make_conditional(request)


@bp.route("/status")
@public
def status_index():
    db = get_db()
    found = updates.status.status_index(db)
    html = render_template("status_index.html", rooms=found)
    latest = max((r.last_modified for r in found), default=None)
    return _cached(html, "text/html", updates.status.index_etag(found), latest)


def _status_room(slug: str):
    if len(slug) > 80:
        abort(404)
    room = updates.status.status_room(get_db(), slug)
    if room is None:
        abort(404)
    return room


@bp.route("/status/<slug>")
@public
def status_page(slug: str):
    room = _status_room(slug)
    html = render_template("status.html", room=room,
                           feed_url=url_for("updates.status_feed", slug=slug))
    return _cached(html, "text/html", room.etag, room.last_modified)


@bp.route("/status/<slug>.atom")
@public
def status_feed(slug: str):
    room = _status_room(slug)
    base = settings().url
    xml = updates.status.atom_feed(room, f"{base}/status/{slug}", f"{base}/status/{slug}.atom")
    return _cached(xml, "application/atom+xml", room.etag + "-atom", room.last_modified)


_ID = {"in": "path", "required": True, "schema": {"type": "integer"}}
_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_COMMON = {"401": {**_ERR, "description": "login required"}, "403": {**_ERR, "description": "role or CSRF missing"},
           "404": {**_ERR, "description": "not found"}}
_INVALID = {"422": {**_ERR, "description": "invalid value; field names it"}, "400": {**_ERR, "description": "bad body"}}


def _body(props: dict, required: tuple = ()) -> dict:
    schema: dict = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_TEXT = {"type": "string", "minLength": 1, "maxLength": 3000}
_NAME = {"type": "string", "minLength": 1, "maxLength": 40}

OPENAPI_PATHS = {
    "/api/v1/rooms/{room_id}/updates": {
        "get": {"summary": "The room's stakeholder updates (every state), its status page and e-mail list",
                "tags": ["updates"], "parameters": [{"name": "room_id", **_ID}],
                "responses": {"200": {"description": "updates"}, **_COMMON}},
        "post": {"summary": "Write an update for approval (leads); audience internal or public",
                 "tags": ["updates"], "parameters": [{"name": "room_id", **_ID}],
                 "requestBody": _body({"text": _TEXT, "audience": {"type": "string", "enum": ["internal", "public"]},
                                       "next_update_at": {"type": "string", "format": "date-time"}},
                                      ("text", "audience")),
                 "responses": {"201": {"description": "submitted"}, **_COMMON, **_INVALID,
                               "409": {**_ERR, "description": "the room is closed"}}},
    },
    **{f"/api/v1/updates/{{update_id}}/{action}": {"post": {
        "summary": summary, "tags": ["updates"], "parameters": [{"name": "update_id", **_ID}],
        **({"requestBody": _body({"reason": {"type": "string", "minLength": 1, "maxLength": 1000}}, ("reason",))}
           if action == "reject" else {}),
        "responses": {"200": {"description": "the update"}, **_COMMON, **_INVALID,
                      "409": {**_ERR, "description": "the room is closed"}}}}
       for action, summary in (
           ("approve", "Approve an update (not its author; the replies' two-person rule)"),
           ("reject", "Reject an update with a reason (not its author)"),
           ("publish", "Publish an approved update: Slack channel, e-mail list, status page if public"))},
    "/api/v1/rooms/{room_id}/update-mail-list": {"put": {
        "summary": "Who gets the room's published updates by e-mail (leads)", "tags": ["updates"],
        "parameters": [{"name": "room_id", **_ID}],
        "requestBody": _body({"addresses": {"type": "array", "maxItems": 200,
                                            "items": {"type": "string", "maxLength": 254}}}, ("addresses",)),
        "responses": {"200": {"description": "saved"}, **_COMMON, **_INVALID}}},
    "/api/v1/rooms/{room_id}/templates": {"get": {
        "summary": "The reply templates the room offers (its playbook's and its team's)", "tags": ["templates"],
        "parameters": [{"name": "room_id", **_ID}],
        "responses": {"200": {"description": "templates"}, **_COMMON}}},
    "/api/v1/rooms/{room_id}/templates/fill": {"post": {
        "summary": "A template filled for one mention, with the lint's findings on the result",
        "tags": ["templates"], "parameters": [{"name": "room_id", **_ID}],
        "requestBody": _body({"name": _NAME, "source": {"type": "string", "enum": ["playbook", "team"]},
                              "mention_id": {"type": "integer"}}, ("name",)),
        "responses": {"200": {"description": "text, missing variables, findings"}, **_COMMON, **_INVALID}}},
    "/api/v1/teams/{team_id}/templates": {
        "get": {"summary": "A team's reply templates (its leads, admins)", "tags": ["templates"],
                "parameters": [{"name": "team_id", **_ID}],
                "responses": {"200": {"description": "templates"}, **_COMMON}},
        "post": {"summary": "Add a team reply template", "tags": ["templates"],
                 "parameters": [{"name": "team_id", **_ID}],
                 "requestBody": _body({"name": _NAME, "text": {"type": "string", "minLength": 1, "maxLength": 2000},
                                       "description": {"type": "string", "maxLength": 200}}, ("name", "text")),
                 "responses": {"201": {"description": "added"}, **_COMMON, **_INVALID}},
    },
    "/api/v1/templates/{template_id}": {
        "put": {"summary": "Change a team reply template", "tags": ["templates"],
                "parameters": [{"name": "template_id", **_ID}],
                "requestBody": _body({"name": _NAME, "text": {"type": "string", "minLength": 1, "maxLength": 2000},
                                      "description": {"type": "string", "maxLength": 200}}),
                "responses": {"200": {"description": "changed"}, **_COMMON, **_INVALID}},
        "delete": {"summary": "Delete a team reply template", "tags": ["templates"],
                   "parameters": [{"name": "template_id", **_ID}],
                   "responses": {"200": {"description": "deleted"}, **_COMMON}},
    },
    "/status": {"get": {"summary": "The public status page: rooms with public updates (no login)",
                        "security": [], "tags": ["status"],
                        "responses": {"200": {"description": "HTML"}, "304": {"description": "not modified"}}}},
    "/status/{slug}": {"get": {
        "summary": "One room's public updates in order (no login; ETag, Last-Modified)", "security": [],
        "tags": ["status"], "parameters": [{"name": "slug", "in": "path", "required": True,
                                            "schema": {"type": "string", "maxLength": 80}}],
        "responses": {"200": {"description": "HTML"}, "304": {"description": "not modified"},
                      "404": {"description": "no such public page"}}}},
}
