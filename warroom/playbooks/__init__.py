"""Playbooks: parsing and validating playbook files, their immutable versions
and diffs.

Owns ``playbook_versions`` (``migrations/``). Face: ``parse`` (every error as
``file:line: message``), ``Playbook``, ``CHANNELS`` (the sources a role's
``channels`` may name), ``PlaybookInvalid``, ``DEMO_STORMS`` (what ``demo_storm`` may name), ``room_playbook``
(the snapshot a room pinned), ``shift_plan``, ``guidance_html``; the
submodules ``checklist`` (the ``[[checklist]]`` and ``[[rhythm]]``
schema, and their changes between versions), ``templates`` (reply
templates: their variables, validation and ``fill``, pure), ``store``
(versions, import, history, diffs) and ``frontmatter`` (splitting at
``+++``, the line of every TOML key).
"""


from . import checklist, frontmatter, store, templates
from .playbook import (
    CHANNELS,
    DEMO_STORMS,
    Playbook,
    PlaybookInvalid,
    errors_of,
    guidance_html,
    parse,
    room_playbook,
    shift_plan,
)

__all__ = [
    "CHANNELS",
    "DEMO_STORMS",
    "Playbook",
    "PlaybookInvalid",
    "checklist",
    "errors_of",
    "frontmatter",
    "guidance_html",
    "parse",
    "room_playbook",
    "shift_plan",
    "store",
    "templates",
]
