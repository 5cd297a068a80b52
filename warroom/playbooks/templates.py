"""Reply templates: their schema in a playbook's front matter, their
variables, and filling them (pure).

```
[[templates]]
name = "rebooking"
description = "a stranded passenger asks how to rebook"   # optional
text = "Hi {customer}, ... {fact:rebooking_url} ... next update {next_update}"
```

Variables come from a closed set (``VARIABLES``): ``{customer}`` (the
mention's author), ``{case}`` (the room's title: what this storm is),
``{next_update}`` (when the next stakeholder update is due) and
``{fact:KEY}`` (the room's fact-sheet entry with that key). ``{{`` and
``}}`` are literal braces. Anything else in braces is a validation error at
the line of the template's ``text``, so a typo is caught by ``playbooks
check`` rather than sent to a customer.

A filled template is only a start: the composer lints it like any reply,
and the stock-answer rule counts near-identical sends whatever their origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VARIABLES = ("customer", "case", "next_update")
FACT_PREFIX = "fact:"
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TEMPLATE_KEYS = {"name": "str", "text": "str", "description": "str"}
MAX_TEXT = 2000  # a reply's limit (responses.MAX_TEXT)
MAX_TEMPLATES = 50
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    description: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "text": self.text, "description": self.description,
                "variables": list(variables(self.text))}


@dataclass(frozen=True)
class Filled:
    text: str
    missing: tuple[str, ...]  # variables with no value: left as [name] for the writer

    def to_dict(self) -> dict:
        return {"text": self.text, "missing": list(self.missing)}


def problems(text: str) -> list[str]:
    """What is wrong with a template text (empty when it is fine)."""
    out = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok in ("{{", "}}"):
            continue
        if m.group(1) is None:
            out.append(f"unbalanced '{tok}' at character {m.start() + 1}: write {tok}{tok} for a literal brace")
            continue
        name = m.group(1).strip()
        if name.startswith(FACT_PREFIX):
            key = name[len(FACT_PREFIX):]
            if not KEY_RE.match(key):
                out.append(f"{{{name}}}: a fact key is lower-case letters, digits and '_'")
        elif name not in VARIABLES:
            near = [v for v in VARIABLES if v.startswith(name[:3])] if name else []
            hint = f" (did you mean '{{{near[0]}}}'?)" if near else ""
            out.append(f"unknown variable {{{name}}}{hint}; use one of "
                       + ", ".join(f"{{{v}}}" for v in VARIABLES) + ", {fact:KEY}")
    return out


def variables(text: str) -> tuple[str, ...]:
    """The variables a (valid) text uses, in order of first use."""
    seen: dict[str, None] = {}
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None:
            seen[m.group(1).strip()] = None
    return tuple(seen)


def fill(text: str, values: dict[str, str]) -> Filled:
    """Pure: the text with each variable replaced by its value; a variable
    without a (non-empty) value stays visible as ``[name]`` for the writer."""
    missing: dict[str, None] = {}

    def one(m: re.Match) -> str:
        tok = m.group(0)
        if tok in ("{{", "}}"):
            return tok[0]
        if m.group(1) is None:
            return tok
        name = m.group(1).strip()
        value = (values.get(name) or "").strip()
        if not value:
            missing[name] = None
            return f"[{name}]"
        return value

    return Filled(_TOKEN.sub(one, text), tuple(missing))


def check_one(name: str, text: str, description: str = "") -> list[tuple[str, str]]:
    """(field, message) for a template outside a playbook (a team's)."""
    out = []
    if not NAME_RE.match(name or ""):
        out.append(("name", "a template name is lower-case letters, digits and '-' (at most 40)"))
    if not (text or "").strip():
        out.append(("text", "a template needs text"))
    elif len(text) > MAX_TEXT:
        out.append(("text", f"a template is at most {MAX_TEXT} characters"))
    out.extend(("text", p) for p in problems(text or ""))
    if len(description or "") > 200:
        out.append(("description", "a description is at most 200 characters"))
    return out


def validate(c, raw_list: list) -> list[Template]:
    """The playbook's ``[[templates]]``, checked into ``c`` (the parser's
    checker: ``c.table`` and ``c.error`` with key paths for line numbers)."""
    out: list[Template] = []
    seen: set[str] = set()
    if len(raw_list) > MAX_TEMPLATES:
        c.error(("templates",), f"a playbook has at most {MAX_TEMPLATES} templates")
    for i, raw in enumerate(raw_list):
        path = ("templates", i)
        t = c.table(raw, path, "templates.", TEMPLATE_KEYS, ("name", "text"))
        if "name" in t:
            if not NAME_RE.match(t["name"]):
                c.error(path + ("name",), f"templates.name must be lower-case letters, digits and '-', "
                                          f"got {t['name']!r}")
            elif t["name"] in seen:
                c.error(path + ("name",), f"template {t['name']!r} is listed twice")
            seen.add(t["name"])
        if "text" in t:
            if not t["text"].strip():
                c.error(path + ("text",), "templates.text must not be empty")
            elif len(t["text"]) > MAX_TEXT:
                c.error(path + ("text",), f"templates.text is at most {MAX_TEXT} characters")
            for message in problems(t["text"]):
                c.error(path + ("text",), f"templates.text: {message}")
        if "name" in t and "text" in t:
            out.append(Template(t["name"], t["text"].strip(), t.get("description", "").strip()))
    return out
