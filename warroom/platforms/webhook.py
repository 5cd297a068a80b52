"""The Facebook/Instagram webhook's rules (see ``facebook``): the subscription
handshake, and signed change notifications into the connector's room."""

from __future__ import annotations

import hmac
import json

from ..db import Database
from . import listener
from .connector import Batch
from .crypto import Vault
from .facebook import WebhookRejected, posts_from_payload, signature_ok


def verify_handshake(db: Database, connector_id: int, vault: Vault, args: dict) -> str:
    """The ``hub.challenge`` to echo, or ``WebhookRejected`` (403)."""
    settings, secrets = _config(db, connector_id, vault)
    token = secrets.get("verify_token", "")
    if args.get("hub.mode") != "subscribe" or not token or not hmac.compare_digest(
            str(args.get("hub.verify_token", "")).encode(), token.encode()):
        raise WebhookRejected(403, "the verify token does not match", field="hub.verify_token")
    return str(args.get("hub.challenge", ""))


def _config(db: Database, connector_id: int, vault: Vault) -> tuple[dict, dict]:
    row = db.execute("SELECT platform, settings, secrets, state FROM connectors WHERE id = ?",
                     [connector_id]).fetchone()
    if row is None or row[0] != "facebook" or row[3] == "stopped" or not row[2]:
        raise WebhookRejected(404, f"no connected Facebook connector {connector_id}", field="connector_id")
    return json.loads(row[1] or "{}"), vault.open(row[2])


def receive(db: Database, now, connector_id: int, vault: Vault, scorer, body: bytes,
            signature_header: str | None):
    """Check the signature, then store the payload's posts (see the module docstring)."""
    settings, secrets = _config(db, connector_id, vault)
    if not signature_ok(secrets.get("app_secret", ""), body, signature_header):
        raise WebhookRejected(401, "missing or wrong X-Hub-Signature-256", field="X-Hub-Signature-256")
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRejected(400, "the body is not JSON", field="body") from None
    posts, skipped = posts_from_payload(payload, settings["page_id"])
    return listener.store_batch(db, now, connector_id, Batch(tuple(posts), None, skipped), scorer)


