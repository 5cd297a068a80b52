"""Alerts on the board: which committed events concern one person directly
(they are paged, a lead put them on a shift or gave them a mention), so that their open boards
can raise an alert, a sound and a browser notification for them alone.

Pure: the live adapter asks ``personal`` for each event it publishes and
sends what comes back to that person's own sockets, after the access rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import events

# The kinds that can concern a person; everything else is room news.
KINDS = ("page.sent", "page.failed", "roster.assigned", "mention.assigned")


@dataclass(frozen=True)
class Alert:
    user: str      # the user's name
    kind: str      # "paged", "assigned" (a shift) or "mention" (a mention given to them)
    title: str
    body: str

    def to_dict(self) -> dict:
        return {"user": self.user, "kind": self.kind, "title": self.title, "body": self.body}


def _user_of(recipient) -> str | None:
    """A page's recipient is "user:NAME" for a person (channels and "nobody" are not)."""
    if isinstance(recipient, str) and recipient.startswith("user:") and len(recipient) > 5:
        return recipient[5:]
    return None


def personal(event: events.Event, room_title: str) -> list[Alert]:
    """The alerts one event deserves (none for most kinds)."""
    d = event.data
    where = room_title or f"room {event.room}"
    if event.kind in ("page.sent", "page.failed"):
        name = _user_of(d.get("recipient"))
        if name is None:
            return []
        # A page that failed outside (Slack down, no method) still pages the
        # person: the board is then the only place that tells them.
        how = "" if event.kind == "page.sent" else " (it could not reach you outside the board)"
        return [Alert(name, "paged", f"You are paged: {where}",
                      f"Escalation #{d.get('escalation')} needs you{how}. Open the room and acknowledge.")]
    if event.kind == "roster.assigned":
        name = d.get("user")
        if not isinstance(name, str) or not name or name == event.actor:
            return []
        return [Alert(name, "assigned", f"You are on a shift: {where}",
                      f"{event.actor} put you on {d.get('role')} from {d.get('starts_at')} to {d.get('ends_at')}.")]
    if event.kind == "mention.assigned":
        # The assignee only; a lead who takes a mention themselves needs no alert.
        name = d.get("user")
        if not isinstance(name, str) or not name or name == event.actor:
            return []
        return [Alert(name, "mention", f"A mention for you: {where}",
                      f"{event.actor} assigned mention #{d.get('mention_id')} to you.")]
    return []
