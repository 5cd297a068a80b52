"""A playbook's checklist and update rhythm: their schema and validation.

Front matter shape (each ``[[checklist]]`` entry is one item, in file order;
an item's number is its position, which is stable because a room pins its
playbook version)::

    [[checklist]]
    stage = "first-hour"          # first-hour | while-it-runs | closing
    text = "Post the holding statement"
    owner = "Lead"                # a role of this playbook
    due_minutes = 15              # optional: minutes after the room opens
    command = "statement.post"    # optional: a one-click action on the board

    [[rhythm]]
    kind = "public-update"        # public-update | internal-update | briefing
    every = "30m"                 # a cadence with its unit (m or h) ...
    while_negative_share_above = 0.4   # ... optionally only while it is that bad
    owner = "Lead"                # optional: who is reminded

    [[rhythm]]
    kind = "briefing"
    at = ["09:00", "17:00"]       # ... or fixed local times
    time_zone = "Europe/Amsterdam"

``check(top, roles, c)`` is called by ``playbook._validate`` with its
checker (errors carry key paths, mapped to lines there); it returns the
parsed ``Item`` and ``Rhythm`` tuples. This module imports nothing of the
playbook module (which imports it).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STAGES = ("first-hour", "while-it-runs", "closing")
# The board offers these as one-click actions next to an item.
COMMANDS = {
    "statement.post": "post or update the holding statement",
    "facts.update": "update the fact sheet",
    "shift.open": "open the roster to fill a shift block",
    "escalation.page": "page someone",
    "update.post": "write a stakeholder update",
}
RHYTHM_KINDS = ("public-update", "internal-update", "briefing")
TOP_KEYS = {"checklist": "tables", "rhythm": "tables"}
ITEM_KEYS = {"stage": "str", "text": "str", "owner": "str", "due_minutes": "int", "command": "str"}
RHYTHM_KEYS = {"kind": "str", "every": "str", "at": "strings", "time_zone": "str",
               "while_negative_share_above": "number", "owner": "str"}
MAX_ITEMS = 100
MAX_TEXT = 300
MAX_MINUTES = 7 * 24 * 60
CADENCE_RE = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$")
UNITS = {"m": 1, "min": 1, "h": 60}
AT_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Item:
    number: int  # 1-based position in the playbook's checklist
    stage: str
    text: str
    owner: str  # a role of the playbook, as the playbook spells it
    due_minutes: int | None
    command: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Rhythm:
    number: int  # 1-based position among the [[rhythm]] entries
    kind: str
    every_minutes: int | None
    at: tuple[str, ...]  # "HH:MM" local times in time_zone
    time_zone: str
    while_negative_share_above: float | None
    owner: str | None

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["at"] = list(self.at)
        return out

    def describe(self) -> str:
        if self.every_minutes:
            m = self.every_minutes
            when = f"every {m // 60} h" if m % 60 == 0 else f"every {m} min"
            if self.while_negative_share_above is not None:
                when += f" while the negative share is above {self.while_negative_share_above:g}"
        else:
            when = "at " + ", ".join(self.at) + f" ({self.time_zone})"
        return f"{self.kind} {when}"


def _hint(word: str, choices) -> str:
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{near[0]}'?)" if near else ""


def cadence_minutes(value) -> tuple[int | None, str | None]:
    """'30m' -> 30, '2h' -> 120; (None, why) for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None, f"rhythm.every must be a cadence such as '30m' or '2h', got {value!r}"
    m = CADENCE_RE.match(str(value))
    if m is None:
        return None, f"rhythm.every must be a cadence such as '30m' or '2h', got {value!r}"
    number, unit = int(m.group(1)), m.group(2)
    if not unit:
        return None, f"rhythm.every = {value!r} has no unit: write '{number}m' or '{number}h'"
    if unit not in UNITS:
        return None, f"rhythm.every: unknown unit {unit!r} in {value!r}; use m or h"
    minutes = number * UNITS[unit]
    if not 5 <= minutes <= 24 * 60:
        return None, f"rhythm.every must be between 5m and 24h, got {value!r}"
    return minutes, None


def _role(c, path: tuple, key: str, name: str, roles: dict[str, str]) -> str | None:
    if name.strip().lower() in roles:
        return roles[name.strip().lower()]
    c.error(path + (key,), f"{path[0]}.{key}: {name!r} is not a role of this playbook"
                           f"{_hint(name, list(roles.values()))}")
    return None


def _items(c, raw_items: list, roles: dict[str, str]) -> tuple[Item, ...]:
    items = []
    if len(raw_items) > MAX_ITEMS:
        c.error(("checklist",), f"a checklist has at most {MAX_ITEMS} items, got {len(raw_items)}")
    for i, raw in enumerate(raw_items):
        path = ("checklist", i)
        item = c.table(raw, path, "checklist.", ITEM_KEYS, ("stage", "text", "owner"))
        ok = True
        if "stage" in item and item["stage"] not in STAGES:
            c.error(path + ("stage",), f"checklist.stage must be one of {', '.join(STAGES)}, "
                                       f"got {item['stage']!r}{_hint(item['stage'], STAGES)}")
            ok = False
        if "text" in item and not item["text"].strip():
            c.error(path + ("text",), "checklist.text must not be empty")
            ok = False
        elif "text" in item and len(item["text"]) > MAX_TEXT:
            c.error(path + ("text",), f"checklist.text must be at most {MAX_TEXT} characters")
            ok = False
        owner = _role(c, path, "owner", item["owner"], roles) if "owner" in item else None
        due = item.get("due_minutes")
        if due is not None and not 0 <= due <= MAX_MINUTES:
            c.error(path + ("due_minutes",), f"checklist.due_minutes must be between 0 and {MAX_MINUTES}, got {due}")
            ok = False
        command = item.get("command")
        if command is not None and command not in COMMANDS:
            c.error(path + ("command",), f"checklist.command must be one of {', '.join(COMMANDS)}, "
                                         f"got {command!r}{_hint(command, COMMANDS)}")
            ok = False
        if ok and owner and "stage" in item and "text" in item:
            items.append(Item(i + 1, item["stage"], item["text"].strip(), owner, due, command))
    return tuple(items)


def _rhythms(c, raw_rhythms: list, roles: dict[str, str]) -> tuple[Rhythm, ...]:
    out = []
    for i, raw in enumerate(raw_rhythms):
        path = ("rhythm", i)
        every_raw = raw.get("every")
        rest = {k: v for k, v in raw.items() if k != "every"}
        r = c.table(rest, path, "rhythm.", RHYTHM_KEYS, ("kind",))
        ok = True
        if "kind" in r and r["kind"] not in RHYTHM_KINDS:
            c.error(path + ("kind",), f"rhythm.kind must be one of {', '.join(RHYTHM_KINDS)}, "
                                      f"got {r['kind']!r}{_hint(r['kind'], RHYTHM_KINDS)}")
            ok = False
        every = None
        if "every" in raw:
            every, why = cadence_minutes(every_raw)
            if why:
                c.error(path + ("every",), why)
                ok = False
        at = tuple(r.get("at", ()))
        if "every" in raw and "at" in r:
            c.error(path + ("at",), "a rhythm has either every or at, not both")
            ok = False
        elif "every" not in raw and "at" not in r:
            c.error(path, "a rhythm needs every (a cadence such as '30m') or at (times such as '09:00')")
            ok = False
        for t in at:
            if not AT_RE.match(t):
                c.error(path + ("at",), f"rhythm.at: {t!r} is not a time of day (HH:MM, 24-hour)")
                ok = False
        if "at" in r and not at:
            c.error(path + ("at",), "rhythm.at must name at least one time")
            ok = False
        zone = r.get("time_zone", "UTC")
        if "time_zone" in r:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                c.error(path + ("time_zone",), f"rhythm.time_zone: {zone!r} is not a time zone (e.g. 'Europe/London')")
                ok = False
        if "at" in r and "time_zone" not in r:
            c.error(path + ("at",), "rhythm.at needs a time_zone (e.g. 'Europe/Amsterdam')")
            ok = False
        share = r.get("while_negative_share_above")
        if share is not None:
            if "every" not in raw:
                c.error(path + ("while_negative_share_above",),
                        "rhythm.while_negative_share_above applies to a cadence (every), not to fixed times")
                ok = False
            elif not 0 <= share < 1:
                c.error(path + ("while_negative_share_above",),
                        f"rhythm.while_negative_share_above must be in [0, 1), got {share}")
                ok = False
        owner = _role(c, path, "owner", r["owner"], roles) if "owner" in r else None
        if "owner" in r and owner is None:
            ok = False
        if ok and "kind" in r:
            out.append(Rhythm(i + 1, r["kind"], every, tuple(sorted(set(at))), zone,
                              float(share) if share is not None else None, owner))
    return tuple(out)


def check(top: dict, roles: dict[str, str], c) -> dict:
    """Validate ``top['checklist']`` and ``top['rhythm']``; ``roles`` maps
    lower-case role names to names as written. Returns the parsed tuples."""
    return {"checklist": _items(c, top.get("checklist", []), roles),
            "rhythm": _rhythms(c, top.get("rhythm", []), roles)}


def changes(old, new) -> list[str]:
    """What changed in the checklist and rhythm between two playbooks, one
    line each ('+ ...' added, '- ...' removed); for ``playbooks diff``."""
    def items(pb):
        return [(i.stage, i.text, i.owner, i.due_minutes, i.command) for i in pb.checklist]

    def show_item(t):
        stage, text, owner, due, command = t
        extra = (f", due {due} min" if due is not None else "") + (f", command {command}" if command else "")
        return f"checklist [{stage}] {text} ({owner}{extra})"

    out = []
    a, b = items(old), items(new)
    for t in a:
        if t not in b:
            out.append("- " + show_item(t))
    for t in b:
        if t not in a:
            out.append("+ " + show_item(t))
    ra = [r.describe() + (f" (owner {r.owner})" if r.owner else "") for r in old.rhythm]
    rb = [r.describe() + (f" (owner {r.owner})" if r.owner else "") for r in new.rhythm]
    out += ["- rhythm " + r for r in ra if r not in rb]
    out += ["+ rhythm " + r for r in rb if r not in ra]
    return out
