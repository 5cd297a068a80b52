"""Administration (admins): users, teams, the audit view; and a room's access
(who may see it), for leads who may see the room.

Disabling a user ends their sessions in the same transaction and their
Socket.IO connections at once (``live.disconnect_user``); a change of teams
or of a room's access disconnects the affected boards, which reconnect and
join again through the access rule.
"""

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

from .. import accounts, live, rooms
from ..clock import utcnow
from .admin_openapi import paths as _openapi_paths
from .context import current_user, get_db, json_error, require_role

bp = Blueprint("admin", __name__)


def _socketio():
    return current_app.extensions["socketio"]


def _teams_field(raw) -> list[str]:
    """Teams from a form (comma-separated) or JSON (a list of names)."""
    if isinstance(raw, list):
        if not all(isinstance(t, str) for t in raw):
            raise accounts.AccountError("teams", "teams must be a list of team names")
        return [t.strip() for t in raw if t.strip()]
    if raw is None:
        return []
    if not isinstance(raw, str):
        raise accounts.AccountError("teams", "teams must be a list of team names")
    return [t.strip() for t in raw.split(",") if t.strip()]


def _user_row(db, user: accounts.User) -> dict:
    return {**user.to_dict(), "disabled": user.disabled, "last_login_at": user.last_login_at,
            "slack_id": user.slack_id, "teams": [t.name for t in accounts.user_teams(db, user.id)]}


def _target(db, user_id: int) -> accounts.User:
    user = accounts.get_user(db, user_id)
    if user is None:
        abort(404)
    return user


# -- the operations, shared by the page's forms and the JSON API ---------------


def _add(db, data: dict) -> tuple[accounts.User, str]:
    password = accounts.generate_password()
    teams = _teams_field(data.get("teams"))
    for name in teams:  # before the user exists: a typo must not leave a half-made user
        if accounts.find_team(db, name) is None:
            raise accounts.AccountError("teams", f"no team {name!r}")
    user = accounts.add_user(db, utcnow(), str(data.get("name") or ""), str(data.get("role") or ""), password,
                             slack_id=(str(data.get("slack_id") or "").strip() or None),
                             actor=current_user().name, one_time=True)
    if teams:
        accounts.set_user_teams(db, utcnow(), user.id, teams, current_user().name)
    return user, password


def _change(db, user: accounts.User, data: dict) -> accounts.User:
    actor = current_user().name
    if "role" in data:
        if user.id == current_user().id and data["role"] != user.role:
            raise accounts.AccountError("role", "you cannot change your own role")
        accounts.set_role(db, utcnow(), user.id, str(data["role"]), actor)
    if "teams" in data:
        before = {t.id for t in accounts.user_teams(db, user.id)}
        after = {t.id for t in accounts.set_user_teams(db, utcnow(), user.id, _teams_field(data["teams"]), actor)}
        if after != before:
            live.disconnect_user(_socketio(), user.id)  # rejoin under the new teams
    if "disabled" in data:
        if not isinstance(data["disabled"], bool):
            raise accounts.AccountError("disabled", "disabled must be true or false")
        if user.id == current_user().id and data["disabled"]:
            raise accounts.AccountError("disabled", "you cannot disable yourself")
        accounts.set_disabled(db, utcnow(), user.id, data["disabled"], actor)
        if data["disabled"]:
            live.disconnect_user(_socketio(), user.id)
    return accounts.get_user(db, user.id)


def _reset(db, user: accounts.User) -> str:
    password = accounts.reset_password(db, utcnow(), user.id, current_user().name)
    live.disconnect_user(_socketio(), user.id)
    return password


# -- pages ------------------------------------------------------------------------


def _users_page(db, error=None, shown=None, status=200):
    users = [_user_row(db, u) for u in accounts.list_users(db)]
    return render_template("admin_users.html", users=users, teams=accounts.list_teams(db), roles=accounts.ROLES,
                           error=error, shown=shown), status


@bp.route("/admin/users")
@require_role("admin")
def users_page():
    return _users_page(get_db())


@bp.route("/admin/users", methods=["POST"])
@require_role("admin")
def users_add():
    db = get_db()
    try:
        user, password = _add(db, request.form.to_dict())
    except accounts.AccountError as exc:
        return _users_page(db, error=f"{exc.field}: {exc}", status=422)
    return _users_page(db, shown={"name": user.name, "password": password})


@bp.route("/admin/users/<int:user_id>", methods=["POST"])
@require_role("admin")
def users_change(user_id: int):
    db = get_db()
    user = _target(db, user_id)
    action = request.form.get("action", "")
    try:
        if action == "reset_password":
            return _users_page(db, shown={"name": user.name, "password": _reset(db, user)})
        data = {"role": request.form.get("role", user.role), "teams": request.form.get("teams", "")}
        if action in ("disable", "enable"):
            data = {"disabled": action == "disable"}
        _change(db, user, data)
    except accounts.AccountError as exc:
        return _users_page(db, error=f"{exc.field}: {exc}", status=422)
    return redirect(url_for("admin.users_page"))


@bp.route("/admin/teams", methods=["POST"])
@require_role("admin")
def teams_add():
    db = get_db()
    try:
        accounts.add_team(db, utcnow(), request.form.get("name", ""), current_user().name)
    except accounts.AccountError as exc:
        return _users_page(db, error=f"{exc.field}: {exc}", status=422)
    return redirect(url_for("admin.users_page"))


def _audit_filters() -> dict:
    return {k: request.args.get(k, "").strip()[:100] for k in ("kind", "actor", "text")}


@bp.route("/admin/audit")
@require_role("admin")
def audit_page():
    filters = _audit_filters()
    return render_template("admin_audit.html", entries=accounts.audit_log(get_db(), **filters), filters=filters)


# -- JSON API ---------------------------------------------------------------------


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise accounts.AccountError("body", "the body must be a JSON object")
    return data


@bp.route("/api/v1/users")
@require_role("admin")
def api_users():
    db = get_db()
    return jsonify({"users": [_user_row(db, u) for u in accounts.list_users(db)],
                    "teams": [t.to_dict() for t in accounts.list_teams(db)]})


@bp.route("/api/v1/users", methods=["POST"])
@require_role("admin")
def api_user_add():
    db = get_db()
    try:
        user, password = _add(db, _body())
    except accounts.AccountError as exc:
        return json_error(422, str(exc), field=exc.field)
    return jsonify({"user": _user_row(db, user), "password": password}), 201


@bp.route("/api/v1/users/<int:user_id>", methods=["PATCH"])
@require_role("admin")
def api_user_change(user_id: int):
    db = get_db()
    user = _target(db, user_id)
    try:
        data = _body()
        unknown = set(data) - {"role", "teams", "disabled"}
        if unknown:
            raise accounts.AccountError(sorted(unknown)[0], "only role, teams and disabled can be changed")
        user = _change(db, user, data)
    except accounts.AccountError as exc:
        return json_error(422, str(exc), field=exc.field)
    return jsonify({"user": _user_row(db, user)})


@bp.route("/api/v1/users/<int:user_id>/password", methods=["POST"])
@require_role("admin")
def api_user_reset(user_id: int):
    db = get_db()
    user = _target(db, user_id)
    return jsonify({"user": user.name, "password": _reset(db, user), "one_time": True})


@bp.route("/api/v1/teams", methods=["POST"])
@require_role("admin")
def api_team_add():
    db = get_db()
    try:
        team = accounts.add_team(db, utcnow(), str(_body().get("name") or ""), current_user().name)
    except accounts.AccountError as exc:
        return json_error(422, str(exc), field=exc.field)
    return jsonify({"team": team.to_dict()}), 201


@bp.route("/api/v1/audit")
@require_role("admin")
def api_audit():
    return jsonify({"events": accounts.audit_log(get_db(), **_audit_filters())})


# -- a room's access --------------------------------------------------------------


def _room_access(db, room_id: int) -> dict:
    team = accounts.team_of(db, "room", room_id)
    found = accounts.find_team(db, team) if team is not None else None
    names = [accounts.get_user(db, u).name for u in accounts.room_member_ids(db, room_id)]
    return {"room": room_id, "team": found.name if found else None,
            "private": accounts.is_private(db, room_id), "members": names}


def _set_room_access(db, room_id: int, data: dict) -> dict:
    """``team`` (a name, or null for installation-wide), ``private`` (bool),
    ``members`` (names: the room's named members, exactly)."""
    user, actor, now = current_user(), current_user().name, utcnow()
    if "team" in data:
        team = data["team"] or None
        if team is not None:
            found = accounts.find_team(db, str(team))
            if found is None:
                raise accounts.AccountError("team", f"no team {team!r}")
            if user.role != "admin" and found.id not in accounts.user_team_ids(db, user.id):
                raise accounts.AccountError("team", "you can give a room only to a team of yours")
        accounts.assign(db, now, "room", room_id, team, actor)
    if "members" in data:
        if not isinstance(data["members"], list) or not all(isinstance(m, str) for m in data["members"]):
            raise accounts.AccountError("members", "members must be a list of user names")
        wanted = set()
        for name in data["members"]:
            member = accounts.find_user(db, name.strip())
            if member is None:
                raise accounts.AccountError("members", f"no user {name!r}")
            wanted.add(member.id)
        have = set(accounts.room_member_ids(db, room_id))
        for uid in wanted - have:
            accounts.add_room_member(db, now, room_id, uid, actor)
        for uid in have - wanted:
            accounts.remove_room_member(db, now, room_id, uid, actor)
    if "private" in data:
        if not isinstance(data["private"], bool):
            raise accounts.AccountError("private", "private must be true or false")
        if data["private"] != accounts.is_private(db, room_id):
            # whoever makes it private stays in it
            accounts.set_private(db, now, room_id, data["private"], actor,
                                 members=[user.id] if data["private"] else [])
    live.disconnect_room(_socketio(), room_id)  # every board joins again through the rule
    return _room_access(db, room_id)


def _room_or_404(db, room_id: int):
    if rooms.get_room(db, room_id) is None:
        abort(404)


@bp.route("/api/v1/rooms/<int:room_id>/access")
@require_role("lead")
def api_room_access(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    return jsonify(_room_access(db, room_id))


@bp.route("/api/v1/rooms/<int:room_id>/access", methods=["PUT"])
@require_role("lead")
def api_room_access_set(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    try:
        return jsonify(_set_room_access(db, room_id, _body()))
    except accounts.AccountError as exc:
        return json_error(422, str(exc), field=exc.field)


@bp.route("/rooms/<int:room_id>/access", methods=["GET", "POST"])
@require_role("lead")
def room_access_page(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    error = None
    if request.method == "POST":
        data = {"team": request.form.get("team", ""), "private": bool(request.form.get("private")),
                "members": [m.strip() for m in request.form.get("members", "").split(",") if m.strip()]}
        try:
            _set_room_access(db, room_id, data)
            if not accounts.may_see_room(db, accounts.get_user(db, current_user().id), room_id):
                return redirect(url_for("pages.rooms_list"))
            return redirect(url_for("admin.room_access_page", room_id=room_id))
        except accounts.AccountError as exc:
            error = f"{exc.field}: {exc}"
    return render_template("room_access.html", room=rooms.get_room(db, room_id), access=_room_access(db, room_id),
                           teams=accounts.list_teams(db), error=error), (422 if error else 200)


# Documents privacy's routes too (web/privacy.py), so they sit together.
OPENAPI_PATHS = _openapi_paths()
