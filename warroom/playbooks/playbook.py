"""Playbooks: Markdown files with TOML front matter between ``+++`` lines.

``parse(text, path)`` returns a frozen ``Playbook`` or raises
``PlaybookInvalid`` carrying every error at once as ``path:line: message``,
the line being that of the offending key in the front matter (tomllib gives
no positions for keys, so ``key_lines`` finds them with a small scanner).
Stored versions, imports and diffs live in ``playbooks.store``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass

import markdown
import nh3

from ..db import Database
from . import checklist
from . import templates as templates_mod
from .frontmatter import SplitError, key_lines, line_of, normalise, sha256_of, split

LINT_RULES = (
    "banned-phrase", "defensive", "deflection", "stock-answer", "non-apology",
    "no-next-step", "hide-critics",
)
DEFAULT_BLOCKING = ("banned-phrase", "defensive", "deflection", "non-apology", "hide-critics")
APPROVALS = ("two-person", "lead")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CHANNEL_RE = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
TARGET_FORMS = ("role:NAME", "room-owner", "user:NAME", "channel:#NAME", "on-call")
# The storms `drill PLAYBOOK` can replay (listening.drills.STORMS says what
# each one is; a test keeps the two the same).
DEMO_STORMS = ("activist", "airline", "recall")
# What a role's ``channels`` may name: the mention sources Warroom knows (its
# connectors' platforms, RSS, and the networks that come in by token or
# replay). A typo would silently route nothing, so an unknown name is an error.
CHANNELS = ("bluesky", "email", "facebook", "instagram", "linkedin", "mastodon", "news", "reddit", "rss",
            "threads", "tiktok", "twitter", "web", "youtube")


@dataclass(frozen=True)
class Role:
    name: str
    count: int
    channel: str | None
    description: str
    channels: tuple[str, ...] = ()  # mention sources this role answers first (routing)


@dataclass(frozen=True)
class Shifts:
    hours: int
    volunteers: bool


@dataclass(frozen=True)
class Step:
    after_minutes: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    first_response_minutes: int
    approval: str  # "two-person" | "lead"
    approval_timeout_minutes: int
    banned_phrases: tuple[str, ...]
    blocking: tuple[str, ...]  # lint rule ids whose findings block publication
    stock_answer_similarity: float = 0.8
    stock_answer_min_recipients: int = 3
    require_next_step: bool = True


@dataclass(frozen=True)
class Playbook:
    id: str
    version: int
    title: str
    based_on: str
    keywords: tuple[str, ...]
    roles: tuple[Role, ...]
    shifts: Shifts
    escalation: tuple[Step, ...]
    escalation_repeat: int  # times the policy restarts from the top after its last step
    slack_channel: str | None
    rules: Rules
    body: str  # markdown guidance
    text: str  # the whole file
    sha256: str
    listening: tuple[tuple[str, float], ...] = ()  # spike detector settings, as (key, value)
    checklist: tuple[checklist.Item, ...] = ()
    rhythm: tuple[checklist.Rhythm, ...] = ()
    demo_storm: str | None = None  # the storm a drill of this playbook replays (DEMO_STORMS)
    templates: tuple[templates_mod.Template, ...] = ()  # reply templates (playbooks.templates)

    def role(self, name: str) -> Role | None:
        for role in self.roles:
            if role.name.lower() == name.lower():
                return role
        return None


class PlaybookInvalid(ValueError):
    """``errors``: every problem, each ``path:line: message``."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# -- validation ----------------------------------------------------------------

_KINDS = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "number": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "strings": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
    "table": ("a table", lambda v: isinstance(v, dict)),
    "tables": ("an array of tables ([[...]])", lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v)),
}

TOP_KEYS = {
    "id": "str", "version": "int", "title": "str", "based_on": "str", "keywords": "strings",
    "roles": "tables", "shifts": "table", "escalation": "tables", "escalation_repeat": "int",
    "slack_channel": "str", "rules": "table", "listening": "table", "demo_storm": "str",
    "templates": "tables",
}
TOP_KEYS.update(checklist.TOP_KEYS)  # [[checklist]] and [[rhythm]]: checked in checklist.py
# [listening]: what the brand normally looks like, for the spike detector's
# cold start and its sensitivity (listening/surge.py argues each rule).
LISTENING_KEYS = {"normal_per_hour": "number", "min_storm_posts": "number",
                  "false_alarms_per_day": "number", "normal_negative_share": "number"}
TOP_REQUIRED = ("id", "version", "title", "keywords", "roles", "shifts", "escalation", "rules")
ROLE_KEYS = {"name": "str", "count": "int", "channel": "str", "description": "str", "channels": "strings"}
SHIFT_KEYS = {"hours": "int", "volunteers": "bool"}
STEP_KEYS = {"after_minutes": "int", "notify": "strings"}
RULE_KEYS = {
    "first_response_minutes": "int", "approval": "str", "approval_timeout_minutes": "int",
    "banned_phrases": "strings", "blocking": "strings", "stock_answer_similarity": "number",
    "stock_answer_min_recipients": "int", "require_next_step": "bool",
}
RULES_REQUIRED = ("first_response_minutes", "approval", "banned_phrases")


def _hint(word: str, choices) -> str:
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{near[0]}'?)" if near else ""


def _shown(value) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value) if not isinstance(value, bool) else str(value).lower()


class _Checker:
    def __init__(self):
        self.errors: list[tuple[tuple, str]] = []

    def error(self, path: tuple, message: str) -> None:
        self.errors.append((path, message))

    def table(self, data: dict, path: tuple, name: str, spec: dict, required=()) -> dict:
        """Type-checked values of one table; unknown and missing keys reported."""
        out = {}
        for key, value in data.items():
            if key not in spec:
                self.error(path + (key,), f"unknown key {name}{key}{_hint(key, spec)}")
                continue
            label, ok = _KINDS[spec[key]]
            if not ok(value):
                self.error(path + (key,), f"{name}{key} must be {label}, got {_shown(value)}")
                continue
            out[key] = value
        for key in required:
            if key not in data:
                where = f" in [{name.rstrip('.')}]" if name else ""
                self.error(path, f"missing required key {name}{key}{where}")
        return out


def _check_target(c: _Checker, target: str, path: tuple, role_names: dict[str, str]) -> None:
    if target in ("room-owner", "on-call"):
        return
    kind, _, rest = target.partition(":")
    if kind == "role" and rest:
        if rest.lower() not in role_names:
            c.error(path, f"escalation.notify: role:{rest} is not a role of this playbook"
                          f"{_hint(rest, list(role_names.values()))}")
        return
    if kind == "user" and rest.strip():
        return
    if kind == "channel" and CHANNEL_RE.match(rest):
        return
    if kind == "channel":
        c.error(path, f"escalation.notify: {target!r} is not a channel: use channel:#name (lower case)")
        return
    c.error(path, f"escalation.notify: {target!r} is not a target; use one of "
                  f"{', '.join(TARGET_FORMS)}{_hint(target, ('room-owner', 'on-call'))}")


def _validate(data: dict, body: str, c: _Checker) -> dict:
    top = c.table(data, (), "", TOP_KEYS, TOP_REQUIRED)
    if "id" in top and not ID_RE.match(top["id"]):
        c.error(("id",), f"id must be lower-case letters, digits and '-', got {top['id']!r}")
    if "version" in top and top["version"] < 1:
        c.error(("version",), f"version must be 1 or more, got {top['version']}")
    if "title" in top and not top["title"].strip():
        c.error(("title",), "title must not be empty")
    if "keywords" in top:
        if not top["keywords"]:
            c.error(("keywords",), "keywords must name at least one word to listen for")
        if any(not k.strip() for k in top["keywords"]):
            c.error(("keywords",), "keywords must not contain empty strings")
    if "escalation_repeat" in top and not 0 <= top["escalation_repeat"] <= 10:
        c.error(("escalation_repeat",), "escalation_repeat must be between 0 and 10")
    if "slack_channel" in top and not CHANNEL_RE.match(top["slack_channel"]):
        c.error(("slack_channel",), f"slack_channel must look like '#crisis', got {top['slack_channel']!r}")
    if "demo_storm" in top and top["demo_storm"] not in DEMO_STORMS:
        c.error(("demo_storm",), f"demo_storm must be one of {', '.join(DEMO_STORMS)}, got {top['demo_storm']!r}")

    roles = []
    seen: dict[str, str] = {}  # lower-case name -> name as written
    for i, raw in enumerate(top.get("roles", [])):
        path = ("roles", i)
        role = c.table(raw, path, "roles.", ROLE_KEYS, ("name", "count"))
        if "name" in role:
            if not role["name"].strip():
                c.error(path + ("name",), "roles.name must not be empty")
            elif role["name"].lower() in seen:
                c.error(path + ("name",), f"role {role['name']!r} is listed twice")
            seen[role["name"].lower()] = role["name"].strip()
        if "count" in role and not 1 <= role["count"] <= 100:
            c.error(path + ("count",), f"roles.count must be between 1 and 100, got {role['count']}")
        if "channel" in role and not CHANNEL_RE.match(role["channel"]):
            c.error(path + ("channel",), f"roles.channel must look like '#tweeps', got {role['channel']!r}")
        for name in role.get("channels", []):
            if name not in CHANNELS:
                c.error(path + ("channels",), f"roles.channels: {name!r} is not a known source{_hint(name, CHANNELS)};"
                                              f" use {', '.join(CHANNELS)}")
        roles.append(role)
    if "roles" in top and not top["roles"]:
        c.error(("roles",), "a playbook needs at least one role")

    shifts = c.table(top.get("shifts", {}), ("shifts",), "shifts.", SHIFT_KEYS,
                     SHIFT_KEYS if "shifts" in top else ())
    if "hours" in shifts and not 1 <= shifts["hours"] <= 24:
        c.error(("shifts", "hours"), f"shifts.hours must be between 1 and 24, got {shifts['hours']}")

    steps = []
    last = -1
    for i, raw in enumerate(top.get("escalation", [])):
        path = ("escalation", i)
        step = c.table(raw, path, "escalation.", STEP_KEYS, ("after_minutes", "notify"))
        if "after_minutes" in step:
            if step["after_minutes"] < 0:
                c.error(path + ("after_minutes",), "escalation.after_minutes must not be negative")
            elif step["after_minutes"] < last:
                c.error(path + ("after_minutes",),
                        f"escalation steps must be in time order: {step['after_minutes']} comes after {last}")
            last = max(last, step["after_minutes"])
        if "notify" in step:
            if not step["notify"]:
                c.error(path + ("notify",), "escalation.notify must name at least one target")
            for target in step["notify"]:
                _check_target(c, target, path + ("notify",), seen)
        steps.append(step)
    if "escalation" in top and not top["escalation"]:
        c.error(("escalation",), "a playbook needs at least one escalation step")

    rules = c.table(top.get("rules", {}), ("rules",), "rules.", RULE_KEYS,
                    RULES_REQUIRED if "rules" in top else ())
    if "first_response_minutes" in rules and not 1 <= rules["first_response_minutes"] <= 7 * 24 * 60:
        c.error(("rules", "first_response_minutes"), "rules.first_response_minutes must be between 1 and 10080")
    if "approval" in rules and rules["approval"] not in APPROVALS:
        c.error(("rules", "approval"), f"rules.approval must be one of {', '.join(APPROVALS)}, "
                                       f"got {rules['approval']!r}{_hint(rules['approval'], APPROVALS)}")
    if "approval_timeout_minutes" in rules and rules["approval_timeout_minutes"] < 1:
        c.error(("rules", "approval_timeout_minutes"), "rules.approval_timeout_minutes must be 1 or more")
    for rule in rules.get("blocking", []):
        if rule not in LINT_RULES:
            c.error(("rules", "blocking"), f"rules.blocking: {rule!r} is not a lint rule{_hint(rule, LINT_RULES)}")
    if "stock_answer_similarity" in rules and not 0 < rules["stock_answer_similarity"] <= 1:
        c.error(("rules", "stock_answer_similarity"), "rules.stock_answer_similarity must be in (0, 1]")
    if "stock_answer_min_recipients" in rules and rules["stock_answer_min_recipients"] < 2:
        c.error(("rules", "stock_answer_min_recipients"), "rules.stock_answer_min_recipients must be 2 or more")
    if any(not p.strip() for p in rules.get("banned_phrases", [])):
        c.error(("rules", "banned_phrases"), "rules.banned_phrases must not contain empty strings")
    listening = c.table(top.get("listening", {}), ("listening",), "listening.", LISTENING_KEYS, ())
    for key, value in listening.items():
        share = key == "normal_negative_share"
        if value < 0 or (key in ("min_storm_posts", "false_alarms_per_day") and value <= 0) or (share and value >= 1):
            c.error(("listening", key), f"listening.{key} must be {'in [0, 1)' if share else 'positive'}, got {value}")
    runs = checklist.check(top, seen, c)
    parts_templates = templates_mod.validate(c, top.get("templates", []))
    if not body.strip():
        c.error(("<body>",), "the guidance (Markdown after the closing +++) is empty")
    return {"top": top, "roles": roles, "shifts": shifts, "steps": steps, "rules": rules, "listening": listening,
            "templates": parts_templates, **runs}


def parse(text: str, path: str = "<playbook>") -> Playbook:
    """Parse and validate one playbook file; all errors at once."""
    text = normalise(text)
    try:
        front, body, start, end = split(text)
    except SplitError as exc:
        raise PlaybookInvalid([f"{path}:{exc.line}: {exc.message}"]) from None
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)$", msg)
        line = start + int(m.group(1)) if m else start
        if m:
            msg = msg[: m.start()].strip() + f" (column {m.group(2)})"
        raise PlaybookInvalid([f"{path}:{line}: invalid TOML: {msg}"]) from None
    checker = _Checker()
    parts = _validate(data, body, checker)
    if checker.errors:
        lines = key_lines(front)
        out = []
        for key_path, message in checker.errors:
            if key_path == ("<body>",):
                line = end
            else:
                line = start + line_of(lines, key_path) if line_of(lines, key_path) else start
            out.append((line, f"{path}:{line}: {message}"))
        out.sort(key=lambda pair: pair[0])
        raise PlaybookInvalid([m for _, m in out])
    top, rules = parts["top"], parts["rules"]
    return Playbook(
        id=top["id"],
        version=top["version"],
        title=top["title"].strip(),
        based_on=top.get("based_on", ""),
        keywords=tuple(k.strip() for k in top["keywords"]),
        roles=tuple(
            Role(r["name"].strip(), r["count"], r.get("channel"), r.get("description", ""),
                 tuple(dict.fromkeys(r.get("channels", ()))))
            for r in parts["roles"]
        ),
        shifts=Shifts(parts["shifts"]["hours"], parts["shifts"]["volunteers"]),
        escalation=tuple(Step(s["after_minutes"], tuple(s["notify"])) for s in parts["steps"]),
        escalation_repeat=top.get("escalation_repeat", 0),
        slack_channel=top.get("slack_channel"),
        rules=Rules(
            first_response_minutes=rules["first_response_minutes"],
            approval=rules["approval"],
            approval_timeout_minutes=rules.get("approval_timeout_minutes", 30),
            banned_phrases=tuple(rules["banned_phrases"]),
            blocking=tuple(rules.get("blocking", DEFAULT_BLOCKING)),
            stock_answer_similarity=float(rules.get("stock_answer_similarity", 0.8)),
            stock_answer_min_recipients=rules.get("stock_answer_min_recipients", 3),
            require_next_step=rules.get("require_next_step", True),
        ),
        body=body.strip("\n"),
        text=text,
        sha256=sha256_of(text),
        listening=tuple(sorted((k, float(v)) for k, v in parts["listening"].items())),
        checklist=parts["checklist"],
        rhythm=parts["rhythm"],
        demo_storm=top.get("demo_storm"),
        templates=tuple(parts["templates"]),
    )


def errors_of(text: str, path: str = "<playbook>") -> list[str]:
    """The validator's messages for a text (empty when valid)."""
    try:
        parse(text, path)
    except PlaybookInvalid as exc:
        return exc.errors
    return []


# -- what rooms and pages need ---------------------------------------------------


def room_playbook(db: Database, room_id: int) -> Playbook | None:
    """The snapshot a room was opened with (never a later version)."""
    row = db.execute("SELECT playbook_text FROM rooms WHERE id = ?", [room_id]).fetchone()
    if row is None or not row[0]:
        return None
    return parse(row[0], f"room {room_id} snapshot")


def shift_count(playbook: Playbook, span_hours: int = 24) -> int:
    return -(-span_hours // playbook.shifts.hours)


def shift_plan(playbook: Playbook, span_hours: int = 24) -> str:
    """'Lead x1, Tweep x4, ... per 4-hour shift (13 people), 6 shifts in 24 h, volunteers sign up'."""
    roles = ", ".join(f"{r.name} x{r.count}" for r in playbook.roles)
    people = sum(r.count for r in playbook.roles)
    shifts = shift_count(playbook, span_hours)
    who = "volunteers sign up" if playbook.shifts.volunteers else "the lead assigns people"
    return (f"{roles} per {playbook.shifts.hours}-hour shift ({people} people), "
            f"{shifts} shift{'s' if shifts != 1 else ''} in {span_hours} h; {who}")


_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}


def guidance_html(body: str) -> str:
    """Markdown -> HTML, then sanitised: no script, no event handlers, no javascript: links.

    Playbooks are edited in the browser, so the body is untrusted text.
    """
    html = markdown.markdown(body, extensions=["tables", "sane_lists"])
    return nh3.clean(
        html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
    )
