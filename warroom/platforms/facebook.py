"""Facebook and Instagram Pages through the Graph API: webhooks in, comments out.

In: Meta pushes changes to the webhook (``web/`` is the thin HTTP view, the
rules are in ``webhook``). ``webhook.verify_handshake`` answers the subscription check
(``hub.mode=subscribe``, ``hub.verify_token``, echo ``hub.challenge``).
``webhook.receive`` checks ``X-Hub-Signature-256`` (``sha256=`` + the hex HMAC-SHA256
of the raw body with the app secret, compared in constant time) before it
reads anything: a bad or missing signature is ``WebhookRejected`` (401) and
nothing is stored. Then each ``feed`` change that adds a post or a comment
on the Page (and each Instagram ``comments`` change) becomes a mention
through ``listener.store_batch``; the Page's own comments are skipped.

Out: ``reply`` posts a comment, ``POST /{object-id}/comments``. A comment
has nowhere to carry a key, so ``find_reply`` reads the Page's own comments
on that object and recognises ours by its text (``connector.key_matches``):
what publishing asks after a crash before it sends again.

``verify`` (at set-up) and ``listen`` check the Page token with ``GET
/{page-id}``; ``listen`` has nothing to stream (Meta pushes), so after that
check (a revoked token shows on the connector's state) it waits.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import requests

from ..clock import iso
from .connector import Batch, ConnectorError, Limit, Platform, Post, Posted, key_matches

GRAPH = "https://graph.facebook.com/v21.0"
DEFAULT_LIMIT = Limit(8000, "characters")
POST_ITEMS = {"post", "status", "photo", "video", "share", "comment"}


class WebhookRejected(ValueError):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


def signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    if not header or not app_secret:
        return False
    return hmac.compare_digest(signature(app_secret, body).encode(), header.strip().encode())


def _when(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return iso(datetime.fromtimestamp(value, UTC))
    return str(value)


def posts_from_payload(payload: dict, page_id: str, web: str = "https://www.facebook.com") -> tuple[list[Post], int]:
    """(posts, skipped) from a webhook payload; only this Page's entries."""
    posts, skipped = [], 0
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise WebhookRejected(400, "the payload has no entry list", field="entry")
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or str(entry.get("id")) != page_id:
            continue
        for change in entry.get("changes") or []:
            try:
                post = _post(payload.get("object"), change, page_id, web)
            except (KeyError, TypeError, ValueError, AttributeError):
                skipped += 1
                continue
            if post is not None:
                posts.append(post)
    return posts, skipped


def _post(kind, change: dict, page_id: str, web: str) -> Post | None:
    field, value = change["field"], change["value"]
    if kind == "instagram" and field == "comments":
        who = value["from"]
        if str(who.get("id")) == page_id:
            return None
        cid = str(value["id"])
        return Post(cid, "@" + str(who.get("username") or who["id"]), str(value["text"]),
                    f"https://www.instagram.com/p/{value.get('media', {}).get('id', cid)}/",
                    iso(datetime.now(UTC)) if "created_time" not in value else _when(value["created_time"]),
                    reply_ref={"object_id": cid})
    if field != "feed" or value.get("verb") != "add" or value.get("item") not in POST_ITEMS:
        return None
    who = value["from"]
    if str(who["id"]) == page_id:
        return None  # the Page's own posts and replies are not mentions
    object_id = str(value["comment_id"] if value["item"] == "comment" else value["post_id"])
    text = value["message"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no message")
    return Post(object_id, str(who.get("name") or who["id"]), text, f"{web}/{object_id}",
                _when(value["created_time"]), reply_ref={"object_id": object_id})


class FacebookConnector:
    platform = "facebook"

    def __init__(self, settings: dict, secrets: dict, *, timeout: float = 15.0):
        self.graph = (settings.get("graph_url") or GRAPH).rstrip("/")
        self.page_id = settings["page_id"]
        self.token = secrets["page_token"]
        self.timeout = timeout
        self.http = requests.Session()

    @property
    def limit(self) -> Limit:
        return DEFAULT_LIMIT

    def _call(self, method: str, path: str, **params) -> dict:
        try:
            resp = self.http.request(method, f"{self.graph}/{path}", timeout=self.timeout,
                                     **({"data": params} if method == "POST" else {"params": params}),
                                     headers={"Authorization": f"Bearer {self.token}"})
        except requests.RequestException as exc:
            raise ConnectorError("unavailable", f"cannot reach the Graph API: {exc}") from None
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code >= 400 or "error" in data:
            err = data.get("error") or {}
            message = err.get("message") or resp.reason
            if resp.status_code in (401, 403) or err.get("code") in (190, 102) or err.get("type") == "OAuthException":
                raise ConnectorError("auth", f"Facebook refused the Page token: {message}", retryable=False)
            if resp.status_code >= 500:
                raise ConnectorError("unavailable", f"the Graph API failed: {message}")
            raise ConnectorError("rejected", f"Facebook refused the request: {message}", retryable=False)
        return data

    def verify(self) -> None:
        """Check the Page token once (at set-up): ``GET /{page-id}`` as the Page."""
        try:
            self._call("GET", self.page_id, fields="id,name")
        except ConnectorError as exc:
            field = {"auth": "secrets.page_token", "rejected": "settings.page_id"}.get(exc.kind, "settings.graph_url")
            raise ConnectorError(exc.kind, str(exc), retryable=exc.retryable, field=field) from None

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[Batch]:
        self._call("GET", self.page_id, fields="id,name")
        stop.wait()
        return
        yield  # a generator: Meta pushes, nothing is pulled

    def reply(self, target: dict, text: str, key: str) -> Posted:
        data = self._call("POST", f"{target['object_id']}/comments", message=text)
        cid = str(data["id"])
        return Posted(cid, f"https://www.facebook.com/{cid}")

    def find_reply(self, target: dict, key: str) -> Posted | None:
        path, params = f"{target['object_id']}/comments", {"fields": "id,message,from", "limit": 100,
                                                            "filter": "stream", "order": "reverse_chronological"}
        for _ in range(20):  # at most 2,000 comments back
            data = self._call("GET", path, **params)
            for c in data.get("data") or []:
                if str((c.get("from") or {}).get("id")) == self.page_id and key_matches(key, c.get("message") or ""):
                    return Posted(str(c["id"]), f"https://www.facebook.com/{c['id']}")
            after = ((data.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (data.get("paging") or {}).get("next"):
                return None
            params["after"] = after
        return None


def make(settings: dict, secrets: dict) -> FacebookConnector:
    return FacebookConnector(settings, secrets)


PLATFORM = Platform(
    name="facebook", factory=make,
    settings=(("page_id", "Page id (or the Instagram account's id)", True),
              ("graph_url", f"Graph API base URL (default {GRAPH})", False),
              ("keywords", "The playbook's keywords (filled in when connected)", False)),
    secrets=(("page_token", "Page access token (pages_manage_engagement, pages_read_user_content)", True),
             ("app_secret", "App secret (checks X-Hub-Signature-256)", True),
             ("verify_token", "Webhook verify token (you choose it; Meta echoes it)", True)),
    default_limit=DEFAULT_LIMIT,
)

