"""Single sign-on: checking an OpenID Connect ID token and provisioning the
user it names, just in time, with a role and teams mapped from its claims.

The protocol (redirect, state, PKCE verifier, code exchange) is the web
adapter's, done by Authlib; this module decides whom the ID token proves:
signature against the provider's keys, issuer, audience (and ``azp``),
expiry and issue time against ``now``, and the nonce this login sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .. import events
from ..db import Database, transaction
from .access import add_team, find_team, set_user_teams, user_teams
from .users import ROLE_RANK, AccountError, User, add_user, get_user, set_role

# RS256 and ES256 are what OpenID providers sign with; "none" and HMAC with
# a public key are refused by construction.
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
LEEWAY_SECONDS = 60


class SsoError(AccountError):
    """The provider's answer does not prove who the user is."""

    def __init__(self, message: str):
        super().__init__("sso", message)


@dataclass(frozen=True)
class ClaimMapping:
    name_claim: str = "preferred_username"
    role_claim: str = "groups"
    roles: tuple[tuple[str, str], ...] = ()   # (claim value, role), first match of the highest role wins
    default_role: str = "viewer"
    team_claim: str = "groups"
    teams: tuple[tuple[str, str], ...] = ()   # (claim value, team name)


def parse_map(text: str, what: str) -> tuple[tuple[str, str], ...]:
    """``"a=admin, b=lead"`` -> (("a", "admin"), ("b", "lead"))."""
    out = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{what}: {item.strip()!r} is not 'claim value=name'")
        out.append((key.strip(), value.strip()))
    return tuple(out)


def mapping_from(settings) -> ClaimMapping:
    """A ClaimMapping from ``[sso]`` settings (``config.SsoSettings``)."""
    roles = parse_map(settings.role_map, "sso.role_map")
    for _value, role in roles + (("", settings.default_role),):
        if role not in ROLE_RANK:
            raise ValueError(f"sso.role_map: unknown role {role!r}")
    return ClaimMapping(settings.name_claim, settings.role_claim, roles, settings.default_role,
                        settings.team_claim, parse_map(settings.team_map, "sso.team_map"))


def check_id_token(id_token: str, jwks: dict, issuer: str, client_id: str, nonce: str | None,
                   now: datetime) -> dict:
    """The ID token's claims if it is signed by the provider's keys and meant
    for this client, in this login, now; else SsoError."""
    if not nonce:
        raise SsoError("this login sent no nonce")
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise SsoError(f"the ID token's signature does not verify ({exc.__class__.__name__})") from None
    claims = token.claims
    at = int(now.timestamp())
    registry = jwt.JWTClaimsRegistry(
        now=at, leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise SsoError(f"the ID token is not valid here: {exc.description or exc.error}") from None
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise SsoError("the ID token names other audiences and not this client as its party")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise SsoError("the ID token's nonce is not this login's")
    return claims


def _values(claims: dict, name: str) -> list[str]:
    value = claims.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def role_for(claims: dict, mapping: ClaimMapping) -> str:
    have = set(_values(claims, mapping.role_claim))
    roles = [role for value, role in mapping.roles if value in have]
    return max(roles, key=ROLE_RANK.__getitem__) if roles else mapping.default_role


def teams_for(claims: dict, mapping: ClaimMapping) -> list[str]:
    have = set(_values(claims, mapping.team_claim))
    return sorted({team for value, team in mapping.teams if value in have})


def provision(db: Database, now: datetime, issuer: str, claims: dict, mapping: ClaimMapping) -> User:
    """The Warroom user of (issuer, sub): created at the first sign-on; at
    every sign-on the role and the mapped teams follow the claims (teams not
    named in the mapping are the admins' and are left alone). Disabled users
    stay disabled (the caller refuses them)."""
    subject = str(claims["sub"])
    row = db.execute("SELECT id FROM users WHERE sso_issuer = ? AND sso_subject = ?", [issuer, subject]).fetchone()
    role = role_for(claims, mapping)
    actor = f"sso:{issuer}"
    if row is None:
        name = _free_name(db, str(claims.get(mapping.name_claim) or subject))
        # an unusable password: this user signs in through the provider only
        user = add_user(db, now, name, role, secrets.token_urlsafe(32), actor=actor)
        with transaction(db):
            db.execute("UPDATE users SET sso_issuer = ?, sso_subject = ? WHERE id = ?", [issuer, subject, user.id])
            events.append(db, None, "sso.provisioned", actor, {"name": name, "role": role}, now)
    else:
        user = get_user(db, row[0])
        if user.role != role:
            set_role(db, now, user.id, role, actor)
    mapped = {team for _value, team in mapping.teams}
    wanted = set(teams_for(claims, mapping))
    for team in wanted:
        if find_team(db, team) is None:
            add_team(db, now, team, actor)
    keep = {t.name for t in user_teams(db, user.id) if t.name not in mapped}
    set_user_teams(db, now, user.id, sorted(keep | wanted), actor)
    return get_user(db, user.id)


def _free_name(db: Database, wanted: str) -> str:
    """A user name from the claim: no spaces, 64 characters, unique."""
    base = "".join(c for c in wanted if not c.isspace())[:60] or "user"
    name, n = base, 1
    while db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is not None:
        n += 1
        name = f"{base}-{n}"
    return name
