"""OpenID Connect single sign-on (``[sso]`` in config.toml), with Authlib as
the client: authorisation code with PKCE (S256), a state and a nonce per
login kept in the signed session cookie. Authlib checks the state, sends the
PKCE verifier with the code and validates the ID token; ``accounts.
check_id_token`` then checks it again against this login's nonce and the
server clock, and ``accounts.provision`` maps the claims to a user, a role
and teams. Nothing is read from the provider but its discovery document,
its keys and the token answer.
"""

from __future__ import annotations

import logging
import os
import secrets

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from .. import accounts
from ..clock import utcnow
from .auth import renew_session, safe_next
from .context import get_db, public, settings

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__)


def _client():
    """The Authlib client, registered once per app from the settings."""
    ext = current_app.extensions
    if "warroom_sso" not in ext:
        conf = settings().sso
        oauth = OAuth(current_app)
        ext["warroom_sso"] = oauth.register(
            "warroom_sso",
            client_id=conf.client_id,
            client_secret=os.environ.get(conf.client_secret_env, ""),
            server_metadata_url=conf.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": conf.scopes, "code_challenge_method": "S256",
                           "token_endpoint_auth_method": "client_secret_basic"},
        )
    return ext["warroom_sso"]


def _refuse(message: str, status: int = 401):
    return render_template("login.html", next="", error=f"Single sign-on failed: {message}"), status


@bp.route("/sso/login")
@public
def login():
    if not settings().sso.enabled:
        return _refuse("it is not configured here", 404)
    nonce = secrets.token_urlsafe(24)
    session["sso_nonce"] = nonce
    session["sso_next"] = safe_next(request.args.get("next"))
    try:
        return _client().authorize_redirect(url_for("sso.callback", _external=True), nonce=nonce)
    except Exception as exc:  # the provider is down or misconfigured: say so, do not 500
        log.warning("sso: cannot reach the provider: %s", exc)
        return _refuse("the identity provider cannot be reached", 503)


@bp.route("/sso/callback")
@public
def callback():
    conf = settings().sso
    if not conf.enabled:
        return _refuse("it is not configured here", 404)
    nonce = session.pop("sso_nonce", None)
    target = session.pop("sso_next", None) or url_for("pages.rooms_list")
    client = _client()
    try:
        token = client.authorize_access_token()   # state, PKCE, code exchange, ID token
        claims = accounts.check_id_token(token.get("id_token", ""), client.fetch_jwk_set(),
                                         client.load_server_metadata()["issuer"], conf.client_id, nonce, utcnow())
    except accounts.SsoError as exc:
        return _refuse(str(exc))
    except (OAuthError, ValueError, KeyError) as exc:  # includes Authlib's own state and token checks
        log.info("sso: refused: %s", exc)
        return _refuse(getattr(exc, "description", None) or exc.__class__.__name__)
    db = get_db()
    try:
        user = accounts.provision(db, utcnow(), claims["iss"], claims, accounts.mapping_from(conf))
    except (accounts.AccountError, ValueError) as exc:
        return _refuse(str(exc), 422)
    if user.disabled:
        return _refuse("this user is disabled in Warroom", 403)
    renew_session(db, user)
    return redirect(target)
