"""A real OpenID provider on loopback for the single sign-on tests.

``OidcServer(redirect_uris, accounts).start()`` runs ``tests/oidc/boot.mjs``
(oidc-provider, installed by ``make test-oidc``) with the machine's Node and
waits for its "ready" line. ``login(url, name)`` drives the provider's own
login and consent forms with requests, as a browser would, and returns the
final redirect (to the client's callback, with code and state).
``stop()`` ends the process by its PID.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import threading
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.conftest import free_port

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
READY = OIDC_DIR / "node_modules" / ".installed-stamp"


class OidcServer:
    def __init__(self, redirect_uris: list[str], accounts: dict, client_id: str = "warroom"):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id = client_id
        self.client_secret = secrets.token_urlsafe(16)
        self.redirect_uris = redirect_uris
        self.accounts = accounts
        self.proc: subprocess.Popen | None = None
        self._stderr: list[str] = []

    def start(self, timeout: float = 30.0) -> OidcServer:
        node = shutil.which("node")
        if node is None or not READY.exists():
            raise RuntimeError(f"the test OpenID provider is not installed ({READY}): run `make test-oidc`")
        env = dict(os.environ, OIDC_PORT=str(self.port), OIDC_CLIENT_ID=self.client_id,
                   OIDC_CLIENT_SECRET=self.client_secret, OIDC_REDIRECT_URI=",".join(self.redirect_uris),
                   OIDC_ACCOUNTS=json.dumps(self.accounts), NODE_ENV="development")
        self.proc = subprocess.Popen([node, str(OIDC_DIR / "boot.mjs")], cwd=OIDC_DIR, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].startswith("ready"):
            self.stop()
            raise RuntimeError("the test OpenID provider did not start:\n" + "".join(self._stderr[-40:]))
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def login(self, authorize_url: str, name: str) -> str:
        """Sign ``name`` in at the provider and consent; the Location it
        finally sends the browser to (the client's redirect URI)."""
        s = requests.Session()
        url = authorize_url
        for _ in range(12):
            resp = s.get(url, allow_redirects=False, timeout=10)
            while resp.status_code in (302, 303):
                location = urljoin(url, resp.headers["Location"])
                if location.startswith(tuple(self.redirect_uris)):
                    return location
                url = location
                resp = s.get(url, allow_redirects=False, timeout=10)
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', resp.text, re.S)
            assert form, resp.text[:500]
            action = urljoin(url, unescape(form.group(1)))
            fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
            if 'name="login"' in form.group(2):
                fields.update(login=name, password="any")
            resp = s.post(action, data=fields, allow_redirects=False, timeout=10)
            assert resp.status_code in (302, 303), resp.text[:500]
            url = urljoin(action, resp.headers["Location"])
            if url.startswith(tuple(self.redirect_uris)):
                return url
        raise AssertionError("the provider never sent the browser back")
