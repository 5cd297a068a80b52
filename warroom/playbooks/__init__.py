"""Playbooks: parsing and validating playbook files, their immutable versions
and diffs.

Owns ``playbook_versions`` (``migrations/``). Face: ``parse`` (every error as
``file:line: message``), ``Playbook``, ``PlaybookInvalid``, ``room_playbook``
(the snapshot a room pinned), ``shift_plan``, ``guidance_html``; the
submodules ``store`` (versions, import, history, diffs) and ``frontmatter``
(splitting at ``+++``, the line of every TOML key) and ``templates`` (reply
templates: their variables, validation and ``fill``, pure).
"""


from . import frontmatter, store, templates
from .playbook import (
    Playbook,
    PlaybookInvalid,
    errors_of,
    guidance_html,
    parse,
    room_playbook,
    shift_plan,
)

__all__ = [
    "Playbook",
    "PlaybookInvalid",
    "errors_of",
    "frontmatter",
    "guidance_html",
    "parse",
    "room_playbook",
    "shift_plan",
    "store",
    "templates",
]
