"""Reply templates a room offers: its playbook snapshot's ``[[templates]]``
and those its team keeps (``team_templates``, managed by the team's leads
and admins). Their schema, variables and filling are ``playbooks.templates``;
a team's template passes the same checks, naming the field.

A room without a team offers its playbook's templates only. Names are
unique per source; the room's list says where each came from
(``playbook`` or ``team``), and a team's template of the same name as the
playbook's is shown after it, never instead of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from .. import accounts, events, playbooks
from ..accounts import User, has_role
from ..clock import iso
from ..db import Database, transaction

check_template = playbooks.templates.check_one


class TemplateError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TeamTemplate:
    id: int
    team_id: int
    name: str
    text: str
    description: str
    updated_by: str
    updated_at: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["variables"] = list(playbooks.templates.variables(self.text))
        return d


_COLS = "id, team_id, name, text, description, updated_by, updated_at"


def team_templates(db: Database, team_id: int) -> list[TeamTemplate]:
    return [TeamTemplate(*r) for r in db.execute(
        f"SELECT {_COLS} FROM team_templates WHERE team_id = ? ORDER BY name", [team_id])]


def get_team_template(db: Database, template_id: int) -> TeamTemplate | None:
    row = db.execute(f"SELECT {_COLS} FROM team_templates WHERE id = ?", [template_id]).fetchone()
    return TeamTemplate(*row) if row else None


def may_manage(db: Database, user: User | None, team_id: int) -> bool:
    """Admins, and leads who belong to the team."""
    if user is None or user.disabled:
        return False
    if user.role == "admin":
        return True
    return has_role(user, "lead") and team_id in accounts.user_team_ids(db, user.id)


def save_team_template(db: Database, now: datetime, user: User, team_id: int, name: str, text: str,
                       description: str = "", template_id: int | None = None) -> TeamTemplate:
    """Add a team's template, or change one (``template_id``)."""
    if not may_manage(db, user, team_id):
        raise TemplateError("team", "only an admin or a lead of this team can change its templates")
    name, text, description = (name or "").strip(), (text or "").strip(), (description or "").strip()
    for field, message in check_template(name, text, description):
        raise TemplateError(field, message)
    with transaction(db):
        clash = db.execute("SELECT id FROM team_templates WHERE team_id = ? AND name = ?",
                           [team_id, name]).fetchone()
        if clash is not None and clash[0] != template_id:
            raise TemplateError("name", f"the team already has a template {name!r}")
        if template_id is None:
            template_id = db.execute(
                "INSERT INTO team_templates (team_id, name, text, description, updated_by, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", [team_id, name, text, description, user.name, iso(now)],
            ).lastrowid
        else:
            old = get_team_template(db, template_id)
            if old is None or old.team_id != team_id:
                raise TemplateError("template_id", f"no template {template_id} in this team")
            db.execute("UPDATE team_templates SET name = ?, text = ?, description = ?, updated_by = ?,"
                       " updated_at = ? WHERE id = ?",
                       [name, text, description, user.name, iso(now), template_id])
        # room-less: a team's setting, in the audit view, not a room's timeline
        events.append(db, None, "template.saved", user.name,
                      {"template_id": template_id, "team_id": team_id, "name": name}, now)
    return get_team_template(db, template_id)


def delete_team_template(db: Database, now: datetime, user: User, template_id: int) -> None:
    with transaction(db):
        old = get_team_template(db, template_id)
        if old is None or not may_manage(db, user, old.team_id):
            raise TemplateError("template_id", f"no template {template_id} of yours")
        db.execute("DELETE FROM team_templates WHERE id = ?", [template_id])
        events.append(db, None, "template.deleted", user.name,
                      {"template_id": template_id, "team_id": old.team_id, "name": old.name}, now)


def room_templates(db: Database, room_id: int) -> list[dict]:
    """What the room's composer offers: ``{source, name, text, description, variables}``."""
    out = []
    pb = playbooks.room_playbook(db, room_id)
    for t in (pb.templates if pb else ()):
        out.append({"source": "playbook", **t.to_dict()})
    team = accounts.team_of(db, "room", room_id)
    if team is not None:
        for t in team_templates(db, team):
            out.append({"source": "team", "name": t.name, "text": t.text, "description": t.description,
                        "variables": list(playbooks.templates.variables(t.text))})
    return out


def find_room_template(db: Database, room_id: int, name: str, source: str = "playbook") -> dict | None:
    for t in room_templates(db, room_id):
        if t["name"] == name and t["source"] == source:
            return t
    return None
