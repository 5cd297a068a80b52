"""Escalation: policies become pages with due times; pages are claimed, sent
exactly once, retried and closed by an acknowledgement.

Owns ``escalations``, ``pages``, ``page_deliveries`` and ``ack_links_used``
(0041) and (historically, in 0040) the
``notifier_cursor`` table of ``notifications`` (``migrations/``). Face:
``open_escalation``, ``issue_due_steps``, ``acknowledge``, ``manual_page``,
``get``, ``for_room``, ``open_for_room``, ``all_open``, ``Policy``,
``PolicyStep``, ``ON_CALL_POLICY``; the submodule ``paging`` (``tick``: the
claims, sends and retries; senders are handed in), ``deliveries`` (a page
to someone with notification rules, one ``page_deliveries`` row per
method; migration 0041) and
``acklinks`` (signed single-use ack links, SMS replies); ``channel_health``
(``health``: Slack missing, failed pages and deliveries, nobody to page,
connectors in error; ``HealthConfig``, ``ConnectorState``, ``Problem``).
"""


from . import acklinks, deliveries, paging
from .health import ConnectorState, HealthConfig, Problem, channel_health
from .policy import (
    ON_CALL_POLICY,
    Escalation,
    EscalationError,
    Policy,
    PolicyStep,
    acknowledge,
    all_open,
    for_room,
    get,
    issue_due_steps,
    manual_page,
    open_escalation,
    open_for_room,
)

__all__ = [
    "ConnectorState",
    "HealthConfig",
    "Problem",
    "channel_health",
    "Escalation",
    "EscalationError",
    "ON_CALL_POLICY",
    "Policy",
    "PolicyStep",
    "acklinks",
    "acknowledge",
    "all_open",
    "deliveries",
    "for_room",
    "get",
    "issue_due_steps",
    "manual_page",
    "open_escalation",
    "open_for_room",
    "paging",
]
