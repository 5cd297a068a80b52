"""Immutable playbook versions: importing files, saving from the editor,
history, diffs.

A text is stored as a new version only when its content is new to this
installation; new content must carry a version number above every stored
one. ``classify`` is that decision, pure; ``store`` does it under the write
lock, so two processes importing at once store each version once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import events
from ..clock import iso
from ..db import Database, transaction
from .frontmatter import version_line
from .playbook import Playbook, PlaybookInvalid, parse


@dataclass(frozen=True)
class PlaybookVersion:
    id: int
    playbook_id: str
    version: int
    sha256: str
    title: str
    text: str
    source: str
    created_by: str
    created_at: str

    def to_dict(self, with_text: bool = False) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "text"}
        if with_text:
            out["text"] = self.text
        return out


class VersionError(ValueError):
    """A text cannot become a version; ``line`` is that of its version key."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class ImportReport:
    stored: list[PlaybookVersion] = field(default_factory=list)
    unchanged: list[PlaybookVersion] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_COLS = "id, playbook_id, version, sha256, title, text, source, created_by, created_at"


def classify(stored: dict[int, str], version: int, sha256: str) -> str | None:
    """Decide what a text with (version, sha256) is, given stored {version: sha256}.

    Returns "known" (this content is stored already), "new" (store it), or
    None when it cannot be stored; ``version_problem`` explains why.
    """
    if sha256 in stored.values():
        return "known"
    if not stored or version > max(stored):
        return "new"
    return None


def version_problem(stored: dict[int, str], version: int) -> str:
    top = max(stored)
    if version == top:
        return f"the content changed but version is still {version}: bump it to {top + 1}"
    return f"version goes down: {version} is below the stored version {top}; use {top + 1}"


def _row(row) -> PlaybookVersion | None:
    return PlaybookVersion(*row) if row else None


def _stored(db: Database, playbook_id: str) -> dict[int, str]:
    rows = db.execute(
        "SELECT version, sha256 FROM playbook_versions WHERE playbook_id = ?", [playbook_id]
    ).fetchall()
    return {v: s for v, s in rows}


def check(db: Database, playbook: Playbook, path: str) -> VersionError | None:
    """Would ``store`` accept this playbook? (For the editor's live validation.)"""
    stored = _stored(db, playbook.id)
    if classify(stored, playbook.version, playbook.sha256) is None:
        return VersionError(path, version_line(playbook.text), version_problem(stored, playbook.version))
    return None


def store(
    db: Database, now: datetime, playbook: Playbook, actor: str, source: str, path: str | None = None,
) -> tuple[PlaybookVersion, bool]:
    """Store a new version, or find the stored one with this content.

    Returns (version, created). Raises VersionError when new content does not
    carry a higher version number.
    """
    with transaction(db):
        stored = _stored(db, playbook.id)
        verdict = classify(stored, playbook.version, playbook.sha256)
        if verdict is None:
            raise VersionError(path or source, version_line(playbook.text),
                               version_problem(stored, playbook.version))
        if verdict == "known":
            row = db.execute(
                f"SELECT {_COLS} FROM playbook_versions WHERE playbook_id = ? AND sha256 = ?"
                " ORDER BY version DESC LIMIT 1",
                [playbook.id, playbook.sha256],
            ).fetchone()
            return _row(row), False
        cur = db.execute(
            "INSERT INTO playbook_versions (playbook_id, version, sha256, title, text, source,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [playbook.id, playbook.version, playbook.sha256, playbook.title, playbook.text,
             source, actor, iso(now)],
        )
        events.append(
            db, None, "playbook.version_stored", actor,
            {"id": playbook.id, "version": playbook.version, "sha256": playbook.sha256,
             "source": source, "previous": max(stored) if stored else None},
            now,
        )
        return get_version(db, playbook.id, playbook.version, _id=cur.lastrowid), True


def folder_files(folder: str | Path) -> list[Path]:
    """The playbook files of a folder (*.md), in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if p.is_file())


def import_files(db: Database, now: datetime, paths: list[str | Path], actor: str) -> ImportReport:
    """Parse and store each file; every problem is a ``file:line: message`` line.

    A bad file never stops the others.
    """
    report = ImportReport()
    for path in paths:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.errors.append(f"{name}:0: cannot read: {getattr(exc, 'strerror', None) or exc}")
            continue
        try:
            playbook = parse(text, name)
            version, created = store(db, now, playbook, actor, source=name, path=name)
        except PlaybookInvalid as exc:
            report.errors.extend(exc.errors)
            continue
        except VersionError as exc:
            report.errors.append(str(exc))
            continue
        (report.stored if created else report.unchanged).append(version)
    return report


def get_version(db: Database, playbook_id: str, version: int, _id: int | None = None) -> PlaybookVersion | None:
    if _id is not None:
        return _row(db.execute(f"SELECT {_COLS} FROM playbook_versions WHERE id = ?", [_id]).fetchone())
    if not 1 <= version <= 2**63 - 1:  # a version from a URL may not fit SQLite's integer
        return None
    return _row(db.execute(
        f"SELECT {_COLS} FROM playbook_versions WHERE playbook_id = ? AND version = ?",
        [playbook_id, version],
    ).fetchone())


def latest(db: Database, playbook_id: str) -> PlaybookVersion | None:
    return _row(db.execute(
        f"SELECT {_COLS} FROM playbook_versions WHERE playbook_id = ? ORDER BY version DESC LIMIT 1",
        [playbook_id],
    ).fetchone())


def latest_playbook(db: Database, playbook_id: str) -> Playbook | None:
    found = latest(db, playbook_id)
    return parse(found.text, f"{playbook_id} v{found.version}") if found else None


def history(db: Database, playbook_id: str) -> list[PlaybookVersion]:
    """Every stored version, oldest first."""
    rows = db.execute(
        f"SELECT {_COLS} FROM playbook_versions WHERE playbook_id = ? ORDER BY version", [playbook_id]
    ).fetchall()
    return [_row(r) for r in rows]


def list_latest(db: Database) -> list[tuple[PlaybookVersion, int]]:
    """(latest version, number of versions) per playbook id, by id."""
    rows = db.execute(
        f"SELECT {', '.join('p.' + c.strip() for c in _COLS.split(','))}, n.count"
        " FROM playbook_versions p JOIN ("
        "   SELECT playbook_id, MAX(version) AS top, COUNT(*) AS count"
        "   FROM playbook_versions GROUP BY playbook_id"
        " ) n ON n.playbook_id = p.playbook_id AND n.top = p.version"
        " ORDER BY p.playbook_id"
    ).fetchall()
    return [(PlaybookVersion(*r[:-1]), r[-1]) for r in rows]


def unified_diff(old_text: str, new_text: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
        fromfile=old_name, tofile=new_name,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff(db: Database, playbook_id: str, v1: int, v2: int) -> str:
    """Unified diff from version v1 to v2; KeyError naming a missing version."""
    a, b = get_version(db, playbook_id, v1), get_version(db, playbook_id, v2)
    for number, found in ((v1, a), (v2, b)):
        if found is None:
            raise KeyError(f"{playbook_id} has no version {number}")
    return unified_diff(a.text, b.text, f"{playbook_id} v{v1}", f"{playbook_id} v{v2}")


def template_changes(old_text: str, new_text: str) -> list[str]:
    """What changed in the reply templates between two texts, one line each:
    ``templates: + name``, ``templates: - name``, ``templates: ~ name (text)``."""
    def of(text: str) -> dict:
        try:
            return {t.name: t for t in parse(text).templates}
        except PlaybookInvalid:  # the editor's unsaved text may be broken
            return {}

    a, b = of(old_text), of(new_text)
    out = [f"templates: - {n}" for n in a if n not in b]
    out += [f"templates: + {n}" for n in b if n not in a]
    for n in a.keys() & b.keys():
        what = [f for f in ("text", "description") if getattr(a[n], f) != getattr(b[n], f)]
        if what:
            out.append(f"templates: ~ {n} ({', '.join(what)})")
    return sorted(out, key=lambda line: line.split(" ", 2)[2])


def template_diff(db: Database, playbook_id: str, v1: int, v2: int) -> list[str]:
    """``template_changes`` between two stored versions; KeyError naming a missing one."""
    a, b = get_version(db, playbook_id, v1), get_version(db, playbook_id, v2)
    for number, found in ((v1, a), (v2, b)):
        if found is None:
            raise KeyError(f"{playbook_id} has no version {number}")
    return template_changes(a.text, b.text)


def bumped(text: str, to_version: int) -> str:
    """The text with its ``version = N`` line set to ``to_version`` (the editor's bump)."""
    line_no = version_line(text)
    lines = text.split("\n")
    if 1 <= line_no <= len(lines) and lines[line_no - 1].lstrip().startswith("version"):
        head, _, _rest = lines[line_no - 1].partition("=")
        lines[line_no - 1] = f"{head.rstrip()} = {to_version}"
    return "\n".join(lines)


def folder_of(settings) -> Path:
    """The configured playbooks folder, relative paths taken from the config file's folder."""
    p = Path(settings.playbooks.path)
    return p if p.is_absolute() else Path(settings.base_dir) / p
