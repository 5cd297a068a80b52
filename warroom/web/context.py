"""Per-request plumbing: the settings, a database connection, the user."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, jsonify, request

from .. import accounts, validate
from ..config import Settings
from ..db import Database


def settings() -> Settings:
    return current_app.extensions["warroom"]


def get_db() -> Database:
    """This request's connection (closed at teardown); wired to the publisher."""
    if "db" not in g:
        g.db = current_app.extensions["warroom_open_db"]()
    return g.db


def close_db(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def current_user() -> accounts.User | None:
    return g.get("user")


def public(view):
    """Mark a view as reachable without a session (login, healthz, static...)."""
    view.warroom_public = True
    return view


def own_body(view):
    """Mark a view that reads and checks its body itself (streamed, with row numbers)."""
    view.warroom_own_body = True
    return view


def check_json_body():
    """Before every view: a JSON body must be plain, checkable JSON (nesting,
    lone surrogates, NaN, giant numbers; see ``validate.loads``), or the
    request is a 400 naming ``body`` before any view reads it. Views then use
    ``request.get_json`` as before; it parses the cached, checked bytes."""
    if not request.is_json or request.content_length == 0:
        return None
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or getattr(view, "warroom_own_body", False):
        return None
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        validate.loads(raw, "body")
    except validate.Invalid as exc:
        return json_error(400, str(exc), field=exc.field)
    return None


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/slack/")) or request.accept_mimetypes.best == "application/json"


def json_error(status: int, message: str, field: str | None = None, **extra):
    body = {"error": message, **extra}
    if field:
        body["field"] = field
    resp = jsonify(body)
    resp.status_code = status
    return resp


def require_role(minimum: str):
    """At least ``minimum`` in the installation (admin > lead > approver > responder > viewer)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                abort(401)
            if not accounts.has_role(user, minimum):
                abort(403, description=f"this needs the {minimum} role")
            return view(*args, **kwargs)

        wrapped.warroom_min_role = minimum
        return wrapped

    return decorate


def visible_rooms(db: Database, room_list: list, user: accounts.User | None = None) -> list:
    """The rooms of ``room_list`` the user may see (``accounts.may_see_room``)."""
    user = user or current_user()
    return [r for r in room_list if accounts.may_see_room(db, user, r.id)]


def visible(db: Database, kind: str, items: list, ref=lambda x: x.id, user: accounts.User | None = None) -> list:
    """The playbooks, monitors or connectors of ``items`` the user may see."""
    user = user or current_user()
    return [x for x in items if accounts.may_use(db, user, kind, ref(x))]
