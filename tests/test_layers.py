"""The layout is the architecture, and these rules keep it so.

- Domain packages and the core modules import no adapter library (Flask,
  Socket.IO, Slack, APScheduler, Werkzeug) and no adapter module (web, cli,
  live, slack, scheduler, jobs, app, wsgi): the domain is handed its senders,
  as it is handed ``now``.
- Outside a package, code reaches it only through its face: the package
  itself or a name in its ``__init__``'s ``__all__``, and never a ``_private``
  name.
- No import cycles, between packages or between modules (lazy imports inside
  functions count: they are how cycles hide).

Each rule is a function over (module name, source), so the tests at the end
show it failing on a deliberate bad import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "warroom"
ADAPTER_LIBS = {"flask", "flask_socketio", "socketio", "engineio", "slack_sdk", "apscheduler", "werkzeug"}
ADAPTERS = {"web", "cli", "live", "election", "slack", "scheduler", "jobs", "app", "wsgi"}
CORE = {"backup", "clock", "config", "db", "dbcopy", "dialect", "events", "pg", "validate"}
DOMAIN = {"accounts", "playbooks", "rooms", "roster", "listening", "platforms", "escalation",
          "notifications", "responses", "postmortem", "privacy", "roomchat", "runbook", "updates"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, str]:
    """Every module of the package: dotted name -> source."""
    return {module_name(p): p.read_text() for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str, source: str, is_package: bool = False) -> list[tuple[str, str | None]]:
    """(absolute module, imported name or None) for every import, lazy ones too."""
    here = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found += [(target, a.name) for a in node.names]
    return found


def _unit(module: str) -> str:
    """The layer unit a module belongs to: warroom.<package or top module>."""
    return ".".join(module.split(".")[:2])


def adapter_violations(module: str, source: str, is_package: bool = False) -> list[str]:
    if _unit(module).split(".")[-1] not in DOMAIN | CORE:
        return []
    bad = []
    for target, name in imports_of(module, source, is_package):
        top = target.split(".")[0]
        unit = target.split(".")[1] if top == "warroom" and "." in target else None
        if target == "warroom":
            unit = name
        if top in ADAPTER_LIBS or unit in ADAPTERS:
            bad.append(f"{module}: imports {target}")
    return bad


def face_of(package: str, modules: dict[str, str]) -> set[str]:
    """The names in a package's ``__all__``."""
    for node in ast.parse(modules[package]).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def face_violations(module: str, source: str, modules: dict[str, str], is_package: bool = False) -> list[str]:
    bad = []
    for target, name in imports_of(module, source, is_package):
        parts = target.split(".")
        if parts[0] != "warroom" or len(parts) < 2 or parts[1] not in DOMAIN:
            continue
        package = ".".join(parts[:2])
        if _unit(module) == package:
            continue  # inside its own package anything goes
        face = face_of(package, modules)
        if len(parts) > 2 and parts[2] not in face:
            bad.append(f"{module}: reaches {target}, which is not in {package}'s face")
        if name and name.startswith("_"):
            bad.append(f"{module}: imports private {target}.{name}")
        elif name and len(parts) == 2 and name not in face:
            bad.append(f"{module}: imports {package}.{name}, which is not in its face")
    return bad


def import_graph(modules: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the package modules it imports (a submodule when the name is one)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, source in modules.items():
        is_package = (PACKAGE.parent / (module.replace(".", "/") + "/__init__.py")).exists()
        for target, name in imports_of(module, source, is_package):
            if name and f"{target}.{name}" in modules:
                target = f"{target}.{name}"
            if target in modules and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for module, targets in graph.items():
        units.setdefault(_unit(module), set()).update(_unit(t) for t in targets if _unit(t) != _unit(module))
    return units


# -- the rules, on the real tree ----------------------------------------------


def test_every_domain_package_has_a_face_with_a_docstring():
    modules = all_modules()
    for name in DOMAIN:
        package = f"warroom.{name}"
        assert package in modules, f"{package} is missing"
        assert ast.get_docstring(ast.parse(modules[package])), f"{package}/__init__.py says nothing"
        assert face_of(package, modules), f"{package} has no __all__"


def test_domain_imports_no_adapter():
    bad = []
    for module, source in all_modules().items():
        bad += adapter_violations(module, source, module.count(".") == 1 and module.split(".")[1] in DOMAIN)
    assert bad == []


def test_packages_are_reached_through_their_faces():
    modules = all_modules()
    bad = []
    for module, source in modules.items():
        bad += face_violations(module, source, modules, module.split(".")[-1] in DOMAIN)
    assert bad == []


def test_no_import_cycles_between_modules():
    assert cycles(import_graph(all_modules())) == []


def test_no_import_cycles_between_packages():
    assert cycles(package_graph(import_graph(all_modules()))) == []


def test_faces_name_only_what_exists():
    import importlib

    for name in DOMAIN:
        package = importlib.import_module(f"warroom.{name}")
        missing = [n for n in package.__all__ if not hasattr(package, n)]
        assert missing == [], f"warroom.{name}.__all__ names {missing}"


# -- each rule fails on a deliberate bad import --------------------------------


@pytest.mark.parametrize("line", [
    "import flask",
    "from flask import request",
    "from slack_sdk import WebClient",
    "from apscheduler.schedulers.background import BackgroundScheduler",
    "from ..web import board",
    "from .. import jobs",
])
def test_adapter_rule_catches_a_bad_import(line):
    assert adapter_violations("warroom.roster.swaps", line + "\n") != []


def test_adapter_rule_lets_adapters_import_adapters():
    assert adapter_violations("warroom.web.board", "import flask\nfrom .. import live\n") == []


@pytest.mark.parametrize("line", [
    "from ..roster.shifts import _slot",   # private name
    "from ..roster import _slot",           # private name at the face
    "from ..roster.shifts import Slot",     # a module that is not in the face
    "from ..roster import not_in_face",     # a name that is not in the face
])
def test_face_rule_catches_a_bad_import(line):
    assert face_violations("warroom.escalation.policy", line + "\n", all_modules()) != []


def test_face_rule_allows_the_face_and_own_package():
    modules = all_modules()
    assert face_violations("warroom.escalation.policy", "from ..roster import Slot, swaps\n", modules) == []
    assert face_violations("warroom.roster.swaps", "from .shifts import _slot\n", modules) == []


def test_cycle_rule_catches_a_cycle():
    graph = {"warroom.cli.core": {"warroom.cli.playbooks"}, "warroom.cli.playbooks": {"warroom.cli.core"},
             "warroom.db": set()}
    assert cycles(graph) == [["warroom.cli.core", "warroom.cli.playbooks"]]
    assert cycles(package_graph({"warroom.rooms.room": {"warroom.roster.shifts"},
                                 "warroom.roster.shifts": {"warroom.rooms.facts"}})) != []
