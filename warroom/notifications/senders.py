"""Senders for contact methods other than Slack (Slack's is in the adapter
``slack.py``). Each has ``kind``, ``can_look_up``, ``send(address, out)``
returning the service's id for the message, ``find(address, out, since)``
(the crash look-up: that id, or None when the service has no such message)
and ``send_text(address, subject, text)`` for codes, tests and "acknowledged
by" notes.

What each uses, and the guarantee after a crash between send and record:

- e-mail: ``apprise`` (its ``mailto://`` plugin speaks SMTP). SMTP has no
  look-up, so a crash in that window resends: at least once. The window is
  one SMTP transaction; the Message-ID is not ours to choose through
  apprise, so the ``ref`` line in the body is how a reader spots a repeat.
- ntfy: ``apprise`` (``ntfy://``) publishes with the delivery's key as a tag;
  the look-up is ntfy's own poll API (``GET /<topic>/json?poll=1&since=..
  &tags=<key>``): exactly once while the server caches messages (12 h by
  default).
- Teams and other chat webhooks: a plain HTTPS POST (Teams' Workflows
  webhook takes an Adaptive Card; others take ``{"text": ...}``). Apprise's
  msteams plugin only posts to Microsoft's hosts, so it is not used.
  Webhooks have no look-up: at least once, the window being one POST.
- SMS and voice: Twilio's REST API (``Messages.json``, ``Calls.json``, basic
  auth with the account SID and auth token). SMS is looked up by listing
  Messages to the number since the claim day and matching the ``ref`` in the
  body: exactly once. A call has no body to match, so a call from our number
  to that number since the claim counts as this one: never twice, and a
  call lost only if another page rang the same number inside that window.
"""

from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import requests


class SendFailed(Exception):
    """One failed try; ``permanent`` when no retry can help (a bad number)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One page as a method sends it."""
    key: str            # the delivery's send_key; its first 10 characters are the ref shown
    subject: str
    text: str           # plain text, with the ack link and SMS code
    link: str = ""
    code: str = ""

    @property
    def ref(self) -> str:
        return self.key[:10]


def _http_error(kind: str, resp: requests.Response) -> SendFailed:
    # 4xx other than 408/429 are our request's fault: retrying will not help
    permanent = 400 <= resp.status_code < 500 and resp.status_code not in (408, 429)
    return SendFailed(f"{kind}: HTTP {resp.status_code} {resp.text[:160]}", permanent=permanent)


class EmailSender:
    kind = "email"
    can_look_up = False

    def __init__(self, host: str, port: int, sender: str, user: str = "", password: str = "",
                 mode: str = "starttls", timeout: float = 10.0):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.mode, self.timeout = user, password, mode, timeout

    def _url(self, to: str) -> str:
        auth = ""
        if self.user:
            auth = f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@"
        scheme = "mailto" if self.mode == "insecure" else "mailtos"
        return (f"{scheme}://{auth}{self.host}:{self.port}?from={quote(self.sender)}&to={quote(to)}"
                f"&mode={self.mode}&smtp={self.host}")

    def send_text(self, address: str, subject: str, text: str) -> None:
        import apprise

        if not self.host or not self.sender:
            raise SendFailed("email: [notify] smtp_host and smtp_from are not set", permanent=True)
        ap = apprise.Apprise()
        if not ap.add(self._url(address)):
            raise SendFailed(f"email: cannot send to {address}", permanent=True)
        with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
            ok = ap.notify(title=subject, body=text, body_format=apprise.NotifyFormat.TEXT)
        if not ok:
            detail = " ".join(logs.getvalue().split())[-200:]
            raise SendFailed(f"email: SMTP {self.host}:{self.port} refused or unreachable ({detail})")

    def send(self, address: str, out: Outgoing, msg=None) -> str | None:
        self.send_text(address, out.subject, out.text)
        return None

    def find(self, address: str, out: Outgoing, since: datetime, msg=None) -> str | None:
        return None


class NtfySender:
    kind = "ntfy"
    can_look_up = True

    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0):
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def _topic_url(self, address: str) -> str:
        if address.startswith(("http://", "https://")):
            return address
        if not self.base_url:
            raise SendFailed("ntfy: [notify] ntfy_url is not set for a bare topic", permanent=True)
        return f"{self.base_url}/{address}"

    def _apprise_url(self, address: str, tags: str) -> str:
        parts = urlsplit(self._topic_url(address))
        scheme = "ntfys" if parts.scheme == "https" else "ntfy"
        auth = f"{quote(self.token, safe='')}@" if self.token else ""
        return f"{scheme}://{auth}{parts.netloc}{parts.path}?priority=max&image=no" + (f"&tags={tags}" if tags else "")

    def _publish(self, address: str, subject: str, text: str, tags: str = "") -> None:
        import apprise

        ap = apprise.Apprise()
        if not ap.add(self._apprise_url(address, tags)):
            raise SendFailed(f"ntfy: bad topic {address}", permanent=True)
        with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
            ok = ap.notify(title=subject, body=text)
        if not ok:
            raise SendFailed(f"ntfy: publish failed ({' '.join(logs.getvalue().split())[-200:]})")

    def send_text(self, address: str, subject: str, text: str) -> None:
        self._publish(address, subject, text)

    def send(self, address: str, out: Outgoing, msg=None) -> str | None:
        self._publish(address, out.subject, out.text, tags=f"wr-{out.key}")
        return None

    def find(self, address: str, out: Outgoing, since: datetime, msg=None) -> str | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        resp = requests.get(f"{self._topic_url(address)}/json", timeout=self.timeout, headers=headers,
                            params={"poll": "1", "since": str(int(since.timestamp()) - 60), "tags": f"wr-{out.key}"})
        if resp.status_code != 200:
            raise _http_error("ntfy", resp)
        for line in resp.text.splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("event") == "message" and f"wr-{out.key}" in (event.get("tags") or []):
                return str(event.get("id") or "found")
        return None


class WebhookSender:
    """Teams (``kind="teams"``: an Adaptive Card, as Teams' Workflows webhooks
    take) or any chat webhook that takes ``{"text": ...}`` (``kind="webhook"``)."""

    can_look_up = False

    def __init__(self, kind: str, timeout: float = 10.0):
        self.kind, self.timeout = kind, timeout

    def _body(self, subject: str, text: str, link: str = "") -> dict:
        if self.kind != "teams":
            return {"text": f"{subject}\n{text}"}
        card = {"type": "AdaptiveCard", "version": "1.4",
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "body": [{"type": "TextBlock", "text": subject, "weight": "Bolder", "wrap": True},
                         {"type": "TextBlock", "text": text, "wrap": True}]}
        if link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Acknowledge", "url": link}]
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}

    def _post(self, address: str, body: dict) -> None:
        try:
            resp = requests.post(address, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendFailed(f"{self.kind}: {type(exc).__name__}") from None
        if not 200 <= resp.status_code < 300:
            raise _http_error(self.kind, resp)

    def send_text(self, address: str, subject: str, text: str) -> None:
        self._post(address, self._body(subject, text))

    def send(self, address: str, out: Outgoing, msg=None) -> str | None:
        self._post(address, self._body(out.subject, out.text, out.link))
        return None

    def find(self, address: str, out: Outgoing, since: datetime, msg=None) -> str | None:
        return None


class TwilioSender:
    """SMS (``kind="sms"``) or a voice call (``kind="voice"``) through Twilio's REST API."""

    can_look_up = True

    def __init__(self, kind: str, base_url: str, account_sid: str, auth_token: str, from_number: str,
                 timeout: float = 10.0):
        self.kind, self.base_url = kind, base_url.rstrip("/")
        self.sid, self.token, self.from_number, self.timeout = account_sid, auth_token, from_number, timeout

    def _url(self, resource: str) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.sid}/{resource}.json"

    def _check(self) -> None:
        if not (self.sid and self.token and self.from_number):
            raise SendFailed(f"{self.kind}: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN or [notify] twilio_from "
                             "is not set", permanent=True)

    def _create(self, resource: str, data: dict) -> str:
        self._check()
        try:
            resp = requests.post(self._url(resource), data=data, auth=(self.sid, self.token), timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendFailed(f"{self.kind}: {type(exc).__name__}") from None
        if resp.status_code not in (200, 201):
            raise _http_error(f"{self.kind} (twilio)", resp)
        return str(resp.json().get("sid", ""))

    def _say(self, text: str) -> str:
        return f"<Response><Say>{escape(text)}</Say><Pause length=\"1\"/><Say>{escape(text)}</Say></Response>"

    def send_text(self, address: str, subject: str, text: str) -> None:
        if self.kind == "sms":
            self._create("Messages", {"To": address, "From": self.from_number, "Body": f"{subject}: {text}"[:1500]})
        else:
            self._create("Calls", {"To": address, "From": self.from_number, "Twiml": self._say(f"{subject}. {text}")})

    def send(self, address: str, out: Outgoing, msg=None) -> str | None:
        if self.kind == "sms":
            body = f"{out.subject}. Reply {out.code} to acknowledge, or {out.link} (ref {out.ref})"
            return self._create("Messages", {"To": address, "From": self.from_number, "Body": body})
        spoken = f"{out.subject}. Acknowledge by replying {' '.join(out.code)} by text, or with the link sent to you."
        return self._create("Calls", {"To": address, "From": self.from_number, "Twiml": self._say(spoken)})

    def find(self, address: str, out: Outgoing, since: datetime, msg=None) -> str | None:
        self._check()
        day = (since - timedelta(days=1)).strftime("%Y-%m-%d")
        if self.kind == "sms":
            params = {"To": address, "From": self.from_number, "DateSent>": day, "PageSize": "100"}
            resource = "Messages"
        else:
            params = {"To": address, "From": self.from_number, "StartTime>": day, "PageSize": "100"}
            resource = "Calls"
        resp = requests.get(self._url(resource), params=params, auth=(self.sid, self.token), timeout=self.timeout)
        if resp.status_code != 200:
            raise _http_error(f"{self.kind} (twilio)", resp)
        for item in resp.json().get("messages" if self.kind == "sms" else "calls", []):
            if self.kind == "sms" and f"(ref {out.ref})" in (item.get("body") or ""):
                return item.get("sid")
            if self.kind == "voice":
                created = email.utils.parsedate_to_datetime(item.get("date_created") or "")
                if created >= since - timedelta(seconds=5):
                    return item.get("sid")
        return None
