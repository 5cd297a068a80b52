"""Responses: claims, drafts through lint and approval to publication, and the
response clocks.

Owns ``mention_claims``, ``drafts``, ``responses`` (immutable),
``clock_breaches`` and, since 0050, the fact tables of ``rooms``
(``migrations/``). Face: ``claim``, ``save_draft``, ``submit``, ``approve``,
``reject``, ``publish``, ``override_lint``, ``check``, ``tick`` and the
look-ups below; ``conversation`` (one author's mentions and our replies to
them, in time order); the submodule ``lint`` (the honesty lint, pure). Behind
the face, ``stock`` keeps each room's published replies in a MinHash LSH
index for the stock-answer rule.
"""


from . import lint
from .conversation import conversation
from .workflow import (
    MAX_TEXT,
    Response,
    ResponseError,
    answered,
    approve,
    check,
    check_approvals,
    check_clocks,
    claim,
    get_draft,
    get_response,
    override_lint,
    publish,
    reject,
    release,
    room_claims,
    room_drafts,
    room_responses,
    rules_for_room,
    save_draft,
    submit,
    tick,
)

__all__ = [
    "MAX_TEXT",
    "Response",
    "ResponseError",
    "answered",
    "approve",
    "check",
    "check_approvals",
    "check_clocks",
    "claim",
    "conversation",
    "get_draft",
    "get_response",
    "lint",
    "override_lint",
    "publish",
    "reject",
    "release",
    "room_claims",
    "room_drafts",
    "room_responses",
    "rules_for_room",
    "save_draft",
    "submit",
    "tick",
]
