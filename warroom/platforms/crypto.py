"""Connector credentials encrypted at rest.

A ``Vault`` is built from the installation's ``WARROOM_SECRET_KEY`` (the
adapter hands it in; the domain never reads the environment): HKDF-SHA256
derives a separate 32-byte key for this one purpose, so the Flask session
key and the credentials key are never the same bytes, and Fernet
(AES-128-CBC with HMAC-SHA256, a timestamped token) seals the credentials'
JSON. A wrong key or a tampered token is ``VaultError``, never garbage.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"warroom platform connector credentials v1"
_SALT = b"warroom-connectors"


class VaultError(ValueError):
    pass


class Vault:
    def __init__(self, secret_key: str):
        if not secret_key:
            raise VaultError("no secret key: set WARROOM_SECRET_KEY")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
            secret_key.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secrets: dict) -> str:
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode("utf-8")).decode("ascii")

    def open(self, token: str) -> dict:
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError) as exc:
            raise VaultError("the credentials cannot be read with this WARROOM_SECRET_KEY") from exc

    def __repr__(self) -> str:  # never the key, even in a traceback's locals
        return "Vault(<hidden>)"
