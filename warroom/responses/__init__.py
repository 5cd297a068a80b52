"""Responses: claims, drafts through lint and approval to publication, and the
response clocks.

Owns ``mention_claims``, ``drafts``, ``responses`` (immutable),
``clock_breaches`` and, since 0050, the fact tables of ``rooms``
(``migrations/``). Face: ``claim``, ``save_draft``, ``submit``, ``approve``,
``reject``, ``publish``, ``override_lint``, ``check``, ``check_decider`` (the two-person rule), ``tick`` and the
look-ups below; ``answer_cluster`` (one approved reply published
to a whole near-duplicate cluster: each member's connector, or a list for
posting by hand); ``conversation`` (one author's mentions and our replies to
them, in time order); the submodules ``lint`` (the honesty lint, pure) and
``templates`` (the reply templates a room offers: its playbook's and its
team's, which ``team_templates`` holds since 0055); ``search_replies`` (full
text over published replies, FTS5 since 0052). Behind
the face, ``stock`` keeps each room's published replies in a MinHash LSH
index for the stock-answer rule. Routing (``routing``, 0053): ``my_channels``
(the sources a person on shift answers first, from their playbook roles),
``assign`` / ``unassign`` / ``room_assignments`` / ``assignment_of``
(a lead gives a mention to a person; ``assignments`` can hold a cluster too).
"""


from . import lint, templates
from .cluster_answer import ClusterAnswer, answer_cluster
from .conversation import conversation
from .routing import (
    AssignError,
    Assignment,
    assign,
    assignment_of,
    my_channels,
    room_assignments,
    unassign,
)
from .search import search_replies
from .workflow import (
    MAX_TEXT,
    Response,
    ResponseError,
    answered,
    approve,
    check,
    check_approvals,
    check_clocks,
    check_decider,
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
    "AssignError",
    "Assignment",
    "MAX_TEXT",
    "ClusterAnswer",
    "Response",
    "ResponseError",
    "answer_cluster",
    "answered",
    "approve",
    "assign",
    "assignment_of",
    "check",
    "check_approvals",
    "check_clocks",
    "check_decider",
    "claim",
    "conversation",
    "get_draft",
    "get_response",
    "lint",
    "my_channels",
    "override_lint",
    "publish",
    "reject",
    "release",
    "room_assignments",
    "room_claims",
    "room_drafts",
    "room_responses",
    "search_replies",
    "rules_for_room",
    "save_draft",
    "submit",
    "templates",
    "tick",
    "unassign",
]
