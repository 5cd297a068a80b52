"""Slack adapter: the Web API client, Block Kit pages, signature checks, and
the room channels' ``SlackRoomApi`` (the rules are ``roomchat``'s; this only
speaks the Web API) with the approval message and the reject modal.

The bot token comes from ``SLACK_BOT_TOKEN`` and the signing secret from
``SLACK_SIGNING_SECRET`` (environment only); ``[slack] base_url`` points the
client elsewhere (tests run a Slack-compatible server on loopback). Without
a token Slack is simply off: pages and notifications go to the log and the
board.

slack-sdk's retry handlers retry inside one call: a 429 after its
Retry-After, and connection errors. Anything else that fails is one failed
try for ``escalation.paging`` (which backs off and, after ``max_tries``, climbs).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier

from . import roomchat
from .clock import iso
from .config import Settings, secret
from .escalation.paging import PageMessage, SendError

log = logging.getLogger(__name__)

METADATA_TYPE = "warroom_page"
ACK_ACTION = "escalation.ack"
BOARD_ACTION = "board.open"
# The approval message's buttons and the reject modal (the board's command names).
APPROVE_ACTION = "draft.approve"
REJECT_ACTION = "draft.reject"
REJECT_VIEW = "draft.reject"
EVENT_METADATA = "warroom_event"
# Errors that no retry can fix.
PERMANENT = {"channel_not_found", "user_not_found", "not_in_channel", "is_archived", "invalid_auth",
             "account_inactive", "token_revoked", "missing_scope", "cannot_dm_bot", "user_disabled"}


def make_client(settings: Settings, env: dict | None = None) -> WebClient | None:
    token = secret("SLACK_BOT_TOKEN", env)
    if not token:
        return None
    base = settings.slack.base_url.rstrip("/") + "/"
    client = WebClient(token=token, base_url=base, timeout=settings.slack.timeout_seconds)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=settings.slack.rate_limit_retries),
    ]
    return client


def verifier(env: dict | None = None) -> SignatureVerifier | None:
    signing = secret("SLACK_SIGNING_SECRET", env)
    return SignatureVerifier(signing) if signing else None


def is_user_id(dest: str) -> bool:
    return dest[:1] in ("U", "W") and dest.isalnum()


def page_text(msg: PageMessage) -> str:
    more = f" (+{len(msg.bundled)} more pages bundled)" if msg.bundled else ""
    return f"Warroom page: {msg.room_title} ({msg.reason}), escalation #{msg.escalation_id}{more}"


def page_blocks(msg: PageMessage, board_url: str) -> list[dict]:
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(msg.detail.items()) if not isinstance(v, (dict, list)))
    lines = [f"*{_esc(msg.room_title)}*: {_esc(msg.reason)} (escalation #{msg.escalation_id}, "
             f"step {msg.step + 1}{', repeat ' + str(msg.cycle) if msg.cycle else ''})"]
    if detail:
        lines.append(_esc(detail[:500]))
    for b in msg.bundled[:20]:
        lines.append(f"• also: {_esc(b['room_title'])} ({_esc(b['reason'])}), escalation #{b['escalation']}")
    if len(msg.bundled) > 20:
        lines.append(f"• and {len(msg.bundled) - 20} more")
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {"type": "actions", "block_id": f"page-{msg.page_id}", "elements": [
            {"type": "button", "style": "danger", "action_id": ACK_ACTION,
             "text": {"type": "plain_text", "text": "Acknowledge"}, "value": str(msg.escalation_id)},
            {"type": "button", "action_id": BOARD_ACTION, "text": {"type": "plain_text", "text": "Open board"},
             "url": f"{board_url}/rooms/{msg.room_id}"},
        ]},
    ]


def _esc(text: str) -> str:
    # Slack mrkdwn needs only these three escaped.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackSender:
    """Sends pages and notifications through one WebClient (one thread at a time)."""

    via = "slack"

    def __init__(self, client: WebClient, board_url: str):
        self.client = client
        self.board_url = board_url.rstrip("/")
        self._channel_ids: dict[str, str] = {}

    def _call(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            raise SendError(f"slack: {error or status}", permanent=error in PERMANENT) from None
        except OSError as exc:  # connection errors left after the retry handler
            raise SendError(f"slack: {type(exc).__name__}: {exc}") from None

    def channel_for(self, dest: str) -> str:
        """A channel id for a user (DM via conversations.open) or a channel name."""
        if dest in self._channel_ids:
            return self._channel_ids[dest]
        if is_user_id(dest):
            resp = self._call(self.client.conversations_open, users=dest)
            found = resp["channel"]["id"]
        elif dest.startswith("#"):
            found = self._lookup_channel(dest[1:])
        else:
            found = dest
        self._channel_ids[dest] = found
        return found

    def _lookup_channel(self, name: str) -> str:
        cursor = None
        while True:
            resp = self._call(self.client.conversations_list, limit=200, cursor=cursor, exclude_archived=True)
            for ch in resp.get("channels", []):
                if ch.get("name") == name:
                    return ch["id"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise SendError(f"slack: channel #{name} not found", permanent=True)

    def send_page(self, msg: PageMessage):
        if not msg.dest:
            raise SendError(f"{msg.recipient} has no Slack id", permanent=True)
        channel = self.channel_for(msg.dest)
        resp = self._call(
            self.client.chat_postMessage, channel=channel, text=page_text(msg),
            blocks=page_blocks(msg, self.board_url),
            metadata={"event_type": METADATA_TYPE, "event_payload": {"page_key": msg.send_key}},
        )
        return resp["channel"], resp["ts"]

    def find_page(self, msg: PageMessage):
        """(channel, ts) of this page's message if Slack has it, else None."""
        if not msg.dest:
            return None
        channel = self.channel_for(msg.dest)
        oldest = "0"
        if msg.claimed_at:
            from .clock import parse_iso

            oldest = f"{parse_iso(msg.claimed_at).timestamp() - 300:.6f}"
        cursor = None
        while True:
            resp = self._call(self.client.conversations_history, channel=channel, oldest=oldest, limit=200,
                              include_all_metadata=True, cursor=cursor)
            for m in resp.get("messages", []):
                meta = m.get("metadata") or {}
                if meta.get("event_type") == METADATA_TYPE and (meta.get("event_payload") or {}).get(
                        "page_key") == msg.send_key:
                    return channel, m["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def acknowledged(self, channel, ts, room_id, title, by, at) -> None:
        text = f"Acknowledged by {by}: {title}"
        self._call(self.client.chat_update, channel=channel, ts=ts, text=text, blocks=[
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": f":white_check_mark: *{_esc(title)}*: acknowledged by "
                                                 f"*{_esc(by)}* at {_esc(at)}"}},
            {"type": "actions", "elements": [
                {"type": "button", "action_id": BOARD_ACTION, "text": {"type": "plain_text", "text": "Open board"},
                 "url": f"{self.board_url}/rooms/{room_id}"}]},
        ])

    def post(self, dest: str, text: str) -> None:
        """A plain notification to a channel or a person."""
        channel = self.channel_for(dest)
        self._call(self.client.chat_postMessage, channel=channel, text=text,
                   blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": _esc(text)}}])


class SlackMethod:
    """A Slack DM as a contact method (``escalation.deliveries``): the page's
    Block Kit message with the delivery's key in its metadata, so a crash is
    looked up in the DM's history exactly as a page is."""

    kind = "slack"
    can_look_up = True

    def __init__(self, sender: SlackSender):
        self.sender = sender

    def _msg(self, address: str, out, msg: PageMessage) -> PageMessage:
        return replace(msg, dest=address, send_key=out.key)

    def send(self, address: str, out, msg: PageMessage | None = None) -> str:
        channel, ts = self.sender.send_page(self._msg(address, out, msg))
        return f"{channel} {ts}"

    def find(self, address: str, out, since, msg: PageMessage | None = None) -> str | None:
        found = self.sender.find_page(replace(self._msg(address, out, msg), claimed_at=iso(since)))
        return f"{found[0]} {found[1]}" if found else None

    def send_text(self, address: str, subject: str, text: str) -> None:
        self.sender.post(address, f"{subject}: {text}")

    def acknowledged_ref(self, ref: str, room_id, title, by, at) -> None:
        channel, _, ts = ref.partition(" ")
        self.sender.acknowledged(channel, ts, room_id, title, by, at)


# -- each war room's channel (roomchat decides, this speaks the Web API) ---------------

# Invite errors about the person, not the channel: asking again will not help.
INVITE_PERMANENT = {"user_not_found", "cant_invite_self", "cant_invite", "user_is_restricted",
                    "user_is_ultra_restricted", "user_disabled", "ura_max_channels"}


class SlackRoomApi:
    """``roomchat.ChatApi`` over slack-sdk: conversations.list/create/join/
    invite, chat.postMessage with the event's key in the message metadata,
    conversations.history to find it again."""

    def __init__(self, client: WebClient, board_url: str):
        self.client = client
        self.board_url = board_url.rstrip("/")
        self._member: dict[str, bool] = {}

    def _call(self, fn, permanent=frozenset(), **kwargs):
        try:
            return fn(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if error == "name_taken":
                raise roomchat.NameTaken(f"slack: {error}") from None
            if error == "already_in_channel":
                raise roomchat.AlreadyIn(f"slack: {error}") from None
            raise roomchat.ChatError(f"slack: {error or status}", permanent=error in permanent) from None
        except OSError as exc:
            raise roomchat.ChatError(f"slack: {type(exc).__name__}: {exc}") from None

    def find_channel(self, name: str) -> str | None:
        cursor = None
        while True:
            resp = self._call(self.client.conversations_list, limit=200, cursor=cursor, exclude_archived=True,
                              types="public_channel,private_channel")
            for ch in resp.get("channels", []):
                if ch.get("name") == name:
                    self._member[ch["id"]] = bool(ch.get("is_member"))
                    return ch["id"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def create_channel(self, name: str, private: bool) -> str:
        resp = self._call(self.client.conversations_create, name=name, is_private=private,
                          permanent={"invalid_name", "invalid_name_specials", "invalid_name_maxlength",
                                     "invalid_name_required", "invalid_name_punctuation", "restricted_action"})
        self._member[resp["channel"]["id"]] = True
        return resp["channel"]["id"]

    def join(self, channel_id: str) -> None:
        if self._member.get(channel_id):
            return  # conversations.join refuses private channels, and members need not join
        self._call(self.client.conversations_join, channel=channel_id)  # a member gets ok + a warning
        self._member[channel_id] = True

    def invite(self, channel_id: str, chat_user_id: str) -> None:
        self._call(self.client.conversations_invite, channel=channel_id, users=chat_user_id,
                   permanent=INVITE_PERMANENT)

    def post(self, channel_id: str, post: roomchat.Post) -> str:
        blocks = approval_blocks(post, self.board_url) if post.approval else [
            {"type": "section", "text": {"type": "mrkdwn", "text": _esc(post.text)}}]
        resp = self._call(self.client.chat_postMessage, channel=channel_id, text=post.text, blocks=blocks,
                          metadata={"event_type": EVENT_METADATA, "event_payload": {"key": post.key}},
                          permanent={"channel_not_found", "is_archived", "not_in_channel", "msg_too_long"})
        return resp["ts"]

    def find_post(self, channel_id: str, key: str, since) -> str | None:
        cursor = None
        while True:
            resp = self._call(self.client.conversations_history, channel=channel_id, limit=200,
                              oldest=f"{since.timestamp():.6f}", include_all_metadata=True, cursor=cursor)
            for m in resp.get("messages", []):
                meta = m.get("metadata") or {}
                if meta.get("event_type") == EVENT_METADATA and (meta.get("event_payload") or {}).get("key") == key:
                    return m["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None


def approval_blocks(post: roomchat.Post, board_url: str) -> list[dict]:
    """The draft as submitted, its lint findings, Approve and Reject buttons
    bound to the revision shown (a changed draft is refused, as on the board)."""
    a = post.approval
    quoted = "\n".join("> " + _esc(line) for line in (a.text or " ").splitlines()[:40])
    findings = [f"• {'*blocking* ' if f.get('blocking') else ''}`{_esc(f.get('rule'))}`: {_esc(f.get('reason'))}"
                for f in a.findings[:15]] or ["• none"]
    value = json.dumps({"draft": a.draft_id, "revision": a.revision})
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_esc(post.text)}*\n{quoted}"[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": ("*Honesty lint:*\n" + "\n".join(findings))[:3000]}},
        {"type": "actions", "block_id": f"draft-{a.draft_id}-{a.revision}", "elements": [
            {"type": "button", "style": "primary", "action_id": APPROVE_ACTION, "value": value,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "style": "danger", "action_id": REJECT_ACTION, "value": value,
             "text": {"type": "plain_text", "text": "Reject"}},
            {"type": "button", "action_id": BOARD_ACTION, "text": {"type": "plain_text", "text": "Open board"},
             "url": f"{board_url}/rooms/{post.room_id}"},
        ]},
    ]


def decided_blocks(text: str) -> list[dict]:
    """The approval message once decided: the buttons go."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": _esc(text)}}]


def reject_view(draft_id: int, revision: int, channel: str, ts: str) -> dict:
    """The modal asking for the rejection's reason (the domain needs one)."""
    meta = json.dumps({"draft": draft_id, "revision": revision, "channel": channel, "ts": ts})
    return {"type": "modal", "callback_id": REJECT_VIEW, "private_metadata": meta,
            "title": {"type": "plain_text", "text": f"Reject draft #{draft_id}"[:24]},
            "submit": {"type": "plain_text", "text": "Reject"},
            "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Why?"},
                        "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True}}]}


def verify_request(verifier_: SignatureVerifier | None, body: str, headers, now: float | None = None) -> bool:
    """Slack's signature over the raw body; requests older than 5 minutes fail."""
    if verifier_ is None:
        return False
    ts = headers.get("X-Slack-Request-Timestamp", "")
    sig = headers.get("X-Slack-Signature", "")
    try:
        age = abs((now or time.time()) - int(ts))
    except ValueError:
        return False
    if age > 300:
        return False
    return verifier_.is_valid(body=body, timestamp=ts, signature=sig)
