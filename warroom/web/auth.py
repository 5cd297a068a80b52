"""Login, logout, and the gate in front of every request.

Default deny: a view is reachable without a session only if marked
``@public``; everything else needs a live server-side session. Unsafe methods
carry a CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``)
unless the view is marked ``@csrf_exempt`` (bearer-token and Slack-signed
endpoints, which no browser session can reach).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .. import accounts, live, validate
from ..clock import utcnow
from .context import get_db, json_error, public, settings, wants_json

bp = Blueprint("auth", __name__)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_exempt(view):
    view.warroom_csrf_exempt = True
    return view


def csrf_token() -> str:
    """The token forms must echo: the session's, or an anonymous one for login."""
    if g.get("csrf"):
        return g.csrf
    if "anon_csrf" not in session:
        session["anon_csrf"] = secrets.token_urlsafe(32)
    return session["anon_csrf"]


@bp.app_context_processor
def inject():
    sso = settings().sso
    return {"csrf_token": csrf_token, "current_user": g.get("user"),
            "sso": {"enabled": sso.enabled, "label": sso.label, "local_passwords": sso.local_passwords}}


@bp.before_app_request
def gate():
    g.user = None
    g.csrf = None
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None:
        return None  # 404/405 follow
    if request.endpoint == "static":
        return None
    token = session.get("token")
    if token:
        found = accounts.session_user(get_db(), token, utcnow())
        if found:
            g.user, g.csrf = found
        else:
            session.pop("token", None)
    if request.method in UNSAFE and not getattr(view, "warroom_csrf_exempt", False):
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        expected = g.csrf or session.get("anon_csrf", "")
        if not expected or not hmac.compare_digest(str(sent), str(expected)):
            if wants_json():
                return json_error(403, "missing or wrong CSRF token", field="csrf_token")
            abort(403, description="missing or wrong CSRF token; reload the page and try again")
    if getattr(view, "warroom_public", False):
        return None
    if g.user is None:
        if wants_json():
            return json_error(401, "login required")
        return render_template("login.html", next=request.full_path.rstrip("?"), error=None), 401
    if g.user.must_change_password and request.endpoint not in ONE_TIME_ALLOWED:
        # a generated password was shown once: nothing else until it is replaced
        if wants_json():
            return json_error(403, "choose your own password first (/me/password)", field="password")
        return redirect(url_for("auth.change_password"))
    refs = {**(request.view_args or {}), **_body_refs(view)}
    if refs and not accounts.may_see(get_db(), g.user, refs):
        # The one access rule, for every view at once: whatever the URL names
        # (a room, a mention, a draft, a monitor...) must be visible to this
        # user. 404, the same as for an id that does not exist: a refusal
        # must not tell that a private room is there.
        if wants_json():
            return json_error(404, "not found")
        abort(404)
    return None


def _body_refs(view) -> dict:
    """The ids a form or JSON body names (``room``, ``mention_id``,
    ``playbook_id``...): checked by the same rule as the URL's."""
    if request.method not in UNSAFE or getattr(view, "warroom_own_body", False):
        return {}
    if request.is_json:
        try:  # the checked parser (nesting, NaN...); a bad body is check_json_body's 400
            data = validate.loads(request.get_data(cache=True) or b"{}", "body")
        except validate.Invalid:
            return {}
        if not isinstance(data, dict):
            return {}
    else:
        data = request.form
    return {k: data.get(k) for k in accounts.REF_KEYS if k in data and data.get(k) not in (None, "")}


ONE_TIME_ALLOWED = {"auth.change_password", "auth.logout"}


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this origin, else the home page.

    Judged as a browser would read it: browsers drop tabs and newlines
    anywhere in a URL, strip leading control characters and spaces, and read
    ``\\`` as ``/``, so ``/<tab>/evil.example`` means ``//evil.example``.
    Rather than imitate that normalisation, any such character refuses the
    target; what is left must be ``/`` not followed by ``/``, with no scheme
    and no host.
    """
    home = url_for("pages.rooms_list")
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return home
    if "\\" in target or any(c <= " " or c == "\x7f" for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        if g.user:
            return redirect(safe_next(request.args.get("next")))
        return render_template("login.html", next=request.args.get("next", ""), error=None)
    if not settings().sso.local_passwords:
        return render_template("login.html", next=request.form.get("next", ""),
                               error="This installation signs in through single sign-on only."), 403
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    db = get_db()
    address = request.remote_addr or "?"
    user = accounts.authenticate(
        db, name, password, address, utcnow(), limit=settings().auth.login_attempts
    )
    if user is None:
        blocked = accounts.login_blocked(db, name, address, utcnow(), settings().auth.login_attempts)
        message = (
            "Too many failed logins; wait 15 minutes." if blocked else "Wrong name or password."
        )
        status = 429 if blocked else 401
        return render_template("login.html", next=request.form.get("next", ""), error=message), status
    # A fresh session id on every login: a planted cookie is worth nothing.
    renew_session(db, user)
    return redirect(safe_next(request.form.get("next")))


@bp.route("/me/password", methods=["GET", "POST"])
def change_password():
    if request.method == "GET":
        return render_template("password.html", error=None)
    db = get_db()
    try:
        user = accounts.change_password(
            db, utcnow(), g.user, request.form.get("current", ""), request.form.get("password", "")
        )
    except accounts.AccountError as exc:
        return render_template("password.html", error=f"{exc.field}: {exc}"), 422
    # The change ended every session of the user, this one too: this browser
    # goes on under a new id, the others are out, and so are their sockets
    # (which carry an ended session's cookie; this one's board reconnects).
    renew_session(db, user)
    live.disconnect_user(current_app.extensions["socketio"], user.id)
    return redirect(url_for("pages.rooms_list"))


def renew_session(db, user) -> None:
    old = session.get("token")
    session.clear()
    accounts.end_session(db, old)
    token, _csrf = accounts.start_session(db, user, utcnow(), settings().auth.session_hours)
    session["token"] = token
    session.permanent = True


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.end_session(get_db(), session.get("token"))
    session.clear()
    return redirect(url_for("auth.login"))


@bp.after_app_request
def security_headers(resp):
    resp.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
        "object-src 'none'",
    )
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("user") is not None:
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp
