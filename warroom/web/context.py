"""Per-request plumbing: the settings, a database connection, the user."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, jsonify, request

from .. import accounts
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
