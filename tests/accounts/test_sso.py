"""Single sign-on against a real OpenID provider (oidc-provider, started
here): the whole code + PKCE flow through the Flask app, just-in-time users
with role and teams from claims, and refusals: a replayed or forged state,
and an ID token that is tampered with, for another audience or issuer,
expired, or carries another login's nonce."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.oidc_server import OidcServer
from warroom import accounts
from warroom import config as configmod
from warroom import db as dbmod
from warroom.app import create_app

CALLBACK = "http://localhost/sso/callback"
ACCOUNTS = {"kim": {"groups": ["comms-leads", "brand-b-staff", "unrelated"]}, "vic": {"groups": []}}


@pytest.fixture(scope="module")
def provider():
    srv = OidcServer([CALLBACK], ACCOUNTS).start()
    yield srv
    srv.stop()


def sso_settings(tmp_path, provider, **extra):
    env = {"WARROOM_DB_PATH": str(tmp_path / "warroom.db"), "WARROOM_SECRET_KEY": "test-secret",
           "WARROOM_SSO_ENABLED": "true", "WARROOM_SSO_ISSUER": provider.issuer,
           "WARROOM_SSO_CLIENT_ID": provider.client_id, "WARROOM_SSO_SCOPES": "openid profile groups",
           "WARROOM_SSO_ROLE_MAP": "comms-leads=lead, warroom-admins=admin",
           "WARROOM_SSO_TEAM_MAP": "brand-b-staff=brand-b", **extra}
    return configmod.load(None, env=env)


@pytest.fixture
def sso_app(tmp_path, provider, monkeypatch):
    monkeypatch.setenv("WARROOM_SSO_CLIENT_SECRET", provider.client_secret)
    app = create_app(sso_settings(tmp_path, provider))
    app.config["TESTING"] = True
    return app


def start(client) -> str:
    resp = client.get("/sso/login")
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def sign_in(client, provider, name: str):
    back = provider.login(start(client), name)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


def test_the_authorization_request_uses_pkce_state_and_nonce(sso_app, provider):
    query = parse_qs(urlsplit(start(sso_app.test_client())).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert query["redirect_uri"] == [CALLBACK]


def test_a_first_sign_on_creates_the_user_with_role_and_teams_from_claims(sso_app, provider):
    client = sso_app.test_client()
    resp = sign_in(client, provider, "kim")
    assert resp.status_code == 302, resp.text
    me = client.get("/api/v1/rooms")
    assert me.status_code == 200
    db = dbmod.connect(sso_app.extensions["warroom"].db_url)
    try:
        kim = accounts.find_user(db, "kim")
        assert kim.role == "lead"
        assert [t.name for t in accounts.user_teams(db, kim.id)] == ["brand-b"]
        assert [e["kind"] for e in accounts.audit_log(db, kind="sso.")] == ["sso.provisioned"]
        # a second sign-on finds the same user, no duplicate
        again = sso_app.test_client()
        assert sign_in(again, provider, "kim").status_code == 302
        assert accounts.count_users(db) == 1
        # a disabled user is refused by the provider's word too
        accounts.set_disabled(db, datetime.now(UTC), kim.id, True, "root")
        third = sso_app.test_client()
        assert sign_in(third, provider, "kim").status_code == 403
        assert third.get("/api/v1/rooms").status_code == 401
    finally:
        db.close()


def test_a_user_without_mapped_claims_gets_the_default_role(sso_app, provider):
    client = sso_app.test_client()
    assert sign_in(client, provider, "vic").status_code == 302
    db = dbmod.connect(sso_app.extensions["warroom"].db_url)
    try:
        vic = accounts.find_user(db, "vic")
        assert (vic.role, accounts.user_teams(db, vic.id)) == ("viewer", [])
    finally:
        db.close()


def test_a_replayed_or_forged_callback_is_refused(sso_app, provider):
    client = sso_app.test_client()
    back = urlsplit(provider.login(start(client), "kim"))
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    replay = sso_app.test_client()
    resp = replay.get(f"{back.path}?{back.query}")   # another browser, no state of its own
    assert resp.status_code == 401 and "Single sign-on failed" in resp.text
    assert replay.get("/api/v1/rooms").status_code == 401
    forged = sso_app.test_client()
    start(forged)  # a state of its own, but not this one
    assert forged.get(f"{back.path}?{back.query}").status_code == 401


def test_password_login_can_be_switched_off(tmp_path, provider, monkeypatch):
    from tests.conftest import csrf_from

    app = create_app(sso_settings(tmp_path, provider, WARROOM_SSO_LOCAL_PASSWORDS="false"))
    client = app.test_client()
    page = client.get("/login")
    assert 'id="sso-login"' in page.text and 'name="password"' not in page.text
    resp = client.post("/login", data={"name": "x", "password": "y" * 12, "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 403


# -- the ID token checks, on a real token of the real provider ----------------------


@pytest.fixture
def real_token(sso_app, provider):
    """(id_token, nonce, jwks) from a real login: the code exchanged by hand
    with the PKCE verifier Authlib kept in the session."""
    client = sso_app.test_client()
    authorize = start(client)
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    back = parse_qs(urlsplit(provider.login(authorize, "kim")).query)
    with client.session_transaction() as sess:
        state = next(v for k, v in sess.items() if k.startswith("_state_"))
    verifier = state["data"]["code_verifier"]
    meta = requests.get(provider.issuer + "/.well-known/openid-configuration", timeout=10).json()
    token = requests.post(meta["token_endpoint"], auth=(provider.client_id, provider.client_secret), data={
        "grant_type": "authorization_code", "code": back["code"][0], "redirect_uri": CALLBACK,
        "code_verifier": verifier}, timeout=10).json()
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    return token["id_token"], nonce, jwks


def _claims(id_token: str) -> dict:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_real_token_passes(real_token, provider):
    id_token, nonce, jwks = real_token
    claims = accounts.check_id_token(id_token, jwks, provider.issuer, provider.client_id, nonce, datetime.now(UTC))
    assert claims["sub"] == "kim" and claims["groups"] == ACCOUNTS["kim"]["groups"]


def test_a_tampered_token_is_refused(real_token, provider):
    id_token, nonce, jwks = real_token
    head, payload, sig = id_token.split(".")
    claims = _claims(id_token)
    claims["groups"] = ["warroom-admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(accounts.SsoError, match="signature"):
        accounts.check_id_token(f"{head}.{forged}.{sig}", jwks, provider.issuer, provider.client_id, nonce,
                                datetime.now(UTC))
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(accounts.SsoError):
        accounts.check_id_token(f"{unsigned}.{payload}.", jwks, provider.issuer, provider.client_id, nonce,
                                datetime.now(UTC))


@pytest.mark.parametrize("change", ["nonce", "audience", "issuer", "expired", "no nonce"])
def test_a_token_not_for_this_login_is_refused(real_token, provider, change):
    id_token, nonce, jwks = real_token
    issuer, client_id, now = provider.issuer, provider.client_id, datetime.now(UTC)
    if change == "nonce":
        nonce = "another-login-s-nonce"
    elif change == "audience":
        client_id = "another-client"
    elif change == "issuer":
        issuer = "http://127.0.0.1:1"
    elif change == "expired":
        now = datetime.fromtimestamp(_claims(id_token)["exp"], UTC) + timedelta(minutes=5)
    else:
        nonce = None
    with pytest.raises(accounts.SsoError):
        accounts.check_id_token(id_token, jwks, issuer, client_id, nonce, now)
