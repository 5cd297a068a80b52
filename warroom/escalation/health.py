"""Channel health: is every way Warroom reaches people working? One pure
question asked by the board's banner (``channel_health``): Slack missing
from the configuration, pages and contact-method deliveries that failed (or
went only to the server log) in the last ``window_minutes``, steps that found
nobody to page, and platform connectors in error. Each problem says what to
do about it.

The connectors' rows belong to ``platforms`` (which imports this package),
so the adapter hands their state in as ``ConnectorState``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..clock import iso
from ..db import Database


@dataclass(frozen=True)
class HealthConfig:
    slack_configured: bool
    window_minutes: int = 60


@dataclass(frozen=True)
class ConnectorState:
    name: str
    platform: str
    state: str                # connected | error | stopped
    last_error: str | None = None


@dataclass(frozen=True)
class Problem:
    channel: str              # "slack", "email", "role:Lead", "mastodon:@brand@..."
    severity: str             # "error": people are not being reached; "warning": degraded
    message: str              # what is wrong
    action: str               # what to do about it
    count: int = 1
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"channel": self.channel, "severity": self.severity, "message": self.message,
                "action": self.action, "count": self.count, "examples": self.examples}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def channel_health(db: Database, now: datetime, config: HealthConfig, room_id: int | None = None,
                   connectors: list[ConnectorState] | tuple = ()) -> list[Problem]:
    """The problems of the channels that reach people, worst first
    (``room_id`` None: the whole installation)."""
    since = iso(now - timedelta(minutes=config.window_minutes))
    where, args = ("", []) if room_id is None else (" AND room_id = ?", [room_id])
    out: list[Problem] = []
    log_only = db.execute(
        "SELECT COUNT(*) FROM pages WHERE via = 'log' AND state IN ('sent', 'bundled') AND sent_at >= ?" + where,
        [since, *args]).fetchone()[0]
    if not config.slack_configured:
        out.append(Problem(
            "slack", "error",
            "Slack is not configured: pages reach people only on this board"
            + (f" ({_plural(log_only, 'page')} in the last {config.window_minutes} min went to the server log)."
               if log_only else "."),
            "An admin sets SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET for buttons) and restarts the server;"
            " until then keep this board open, or add a contact method under \u201cHow I am paged\u201d.",
            count=log_only))
    failed = db.execute(
        "SELECT last_error, recipient FROM pages WHERE state = 'failed' AND recipient != 'nobody'"
        " AND COALESCE(claimed_at, created_at) >= ?" + where + " ORDER BY id DESC", [since, *args]).fetchall()
    if failed:
        out.append(Problem(
            "slack", "error",
            f"{_plural(len(failed), 'page')} failed in the last {config.window_minutes} min"
            f" (latest: {(failed[0][0] or 'no error recorded')[:160]}).",
            "Check the Slack token and that the bot is in the channel (the escalation panel shows each page's"
            " error); the escalation keeps climbing to the next step meanwhile.",
            count=len(failed), examples=sorted({r[1] for r in failed})[:5]))
    nobody = db.execute(
        "SELECT target, COUNT(*) FROM pages WHERE state = 'failed' AND recipient = 'nobody' AND created_at >= ?"
        + where + " GROUP BY target ORDER BY target", [since, *args]).fetchall()
    for target, n in nobody:
        out.append(Problem(
            target, "error", f"Nobody to page for {target} ({_plural(n, 'step')} in the last"
                             f" {config.window_minutes} min).",
            "Put someone on the shift for that role in the roster, or set an on-call rotation.", count=n))
    methods = db.execute(
        "SELECT kind, COUNT(*), MAX(last_error) FROM page_deliveries WHERE state = 'failed'"
        " AND COALESCE(claimed_at, created_at) >= ?" + where + " GROUP BY kind ORDER BY kind",
        [since, *args]).fetchall()
    for kind, n, error in methods:
        out.append(Problem(
            kind, "warning", f"{_plural(n, kind + ' delivery')} failed in the last {config.window_minutes} min"
                             f" ({(error or 'no error recorded')[:160]}).",
            f"Check the server's {kind} settings ([notify] in config.toml) and the person's address;"
            " Warroom tries their next method meanwhile.", count=n))
    for c in connectors:
        if c.state == "error":
            out.append(Problem(
                f"{c.platform}:{c.name}", "warning",
                f"{c.platform} connector {c.name} is failing ({(c.last_error or 'no error recorded')[:160]}):"
                " mentions from it are not coming in and replies are not posted.",
                "A lead opens Platforms for this room and reconnects it (new credentials if they expired).",
                ))
    return sorted(out, key=lambda p: p.severity != "error")
