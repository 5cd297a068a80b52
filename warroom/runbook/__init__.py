"""Running a playbook: a room's checklist and its update rhythm.

Owns ``checklist_ticks`` and ``runbook_notices`` (``migrations/``, numbers
0120-0129). Reads the room's pinned playbook (``playbooks.room_playbook``):
a room runs the checklist and rhythm of the version it was opened with.

Face: ``room_checklist``, ``mark`` (done, skipped with a reason, or open
again; ``checklist.item_*`` events), ``overdue`` (pure decision over the
database at ``now``), ``ItemState``, ``RunbookError``; ``updates_posted``
(what counts as an update, see ``rhythm``), ``schedule``, ``room_rhythm``,
``Schedule``, ``negative_share``; ``tick(db, now)`` for the scheduler
(``checklist.item_overdue``, ``rhythm.reminder``, ``rhythm.missed``, each
once); ``summary`` for the post-mortem.
"""

from __future__ import annotations

from datetime import datetime

from ..db import Database
from . import checklists, rhythm
from .checklists import ItemState, RunbookError, mark, overdue, room_checklist
from .report import summary
from .rhythm import REMIND_BEFORE, Schedule, negative_share, room_rhythm, schedule, updates_posted


def tick(db: Database, now: datetime) -> dict:
    """Overdue items, update reminders and missed updates (each once)."""
    return {"overdue": checklists.tick(db, now), **rhythm.tick(db, now)}


__all__ = [
    "REMIND_BEFORE",
    "ItemState",
    "RunbookError",
    "Schedule",
    "mark",
    "negative_share",
    "overdue",
    "room_checklist",
    "room_rhythm",
    "schedule",
    "summary",
    "tick",
    "updates_posted",
]
