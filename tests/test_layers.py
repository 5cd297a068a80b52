"""Domain modules import no adapters (Flask, Socket.IO, Slack, APScheduler)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "warroom"
ADAPTER_LIBS = {"flask", "flask_socketio", "socketio", "engineio", "slack_sdk", "apscheduler", "werkzeug"}
ADAPTERS = {"web", "cli", "live", "slack", "scheduler", "feeds", "app", "wsgi", "notifier", "pager"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.add(base)
            if node.level and not node.module:
                found |= {"." * node.level + a.name for a in node.names}
    return found


def domain_modules():
    for path in PACKAGE.glob("*.py"):
        if path.stem not in ADAPTERS and path.stem != "__init__":
            yield path


def test_there_are_domain_modules():
    names = {p.stem for p in domain_modules()}
    assert {"db", "events", "rooms", "accounts"} <= names


def test_domain_imports_no_adapter():
    bad = []
    for path in domain_modules():
        for name in imports_of(path):
            top = name.lstrip(".").split(".")[0]
            if name.startswith(".") and top in ADAPTERS:
                bad.append(f"{path.name}: {name}")
            elif not name.startswith(".") and (top in ADAPTER_LIBS or (top == "warroom" and name.split(".")[1:2] and name.split(".")[1] in ADAPTERS)):
                bad.append(f"{path.name}: {name}")
    assert bad == []
