"""Notifications: which committed events people hear about outside the board,
each person's contact methods and notification rules, and the senders that
reach them.

Reads the event stream with its own cursor (``notifier_cursor``), so each
event is told at most once. Owns ``contact_methods``, ``notification_rules``
and ``notification_prefs`` (``migrations/``). Face: ``decide`` (pure: the
notices an event deserves), ``notify(db, sender, default_channel)``,
``Notice``, ``WAKE_ON``; contact methods and rules (``add_method``,
``start_verification``, ``confirm_verification``, ``add_rule``,
``rules_for``, ``set_quiet_hours``, ``is_quiet``, ``notice_methods``
and ``set_notice_methods`` (which methods carry reminders) ...); ``local_time``; the senders
(``EmailSender``, ``NtfySender``, ``WebhookSender``, ``TwilioSender``) with
``Outgoing`` and ``SendFailed``; ``personal`` (pure: the board alerts an
event raises for the one person it concerns, ``Alert``, ``ALERT_KINDS``).
"""


from .alerts import KINDS as ALERT_KINDS
from .alerts import Alert, personal
from .contacts import (
    KINDS,
    ContactError,
    ContactMethod,
    QuietHours,
    Rule,
    add_method,
    add_rule,
    confirm_verification,
    get_method,
    is_quiet,
    methods_for,
    notice_methods,
    quiet_hours,
    record_test,
    remove_method,
    remove_rule,
    rules_for,
    set_notice_methods,
    set_quiet_hours,
    start_verification,
    user_of,
    verified_with_address,
)
from .notices import (
    WAKE_ON,
    Notice,
    decide,
    local_time,
    notify,
)
from .senders import EmailSender, NtfySender, Outgoing, SendFailed, TwilioSender, WebhookSender

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "KINDS",
    "ContactError",
    "ContactMethod",
    "EmailSender",
    "Notice",
    "NtfySender",
    "Outgoing",
    "QuietHours",
    "Rule",
    "SendFailed",
    "TwilioSender",
    "WAKE_ON",
    "WebhookSender",
    "add_method",
    "add_rule",
    "confirm_verification",
    "decide",
    "get_method",
    "is_quiet",
    "local_time",
    "methods_for",
    "notice_methods",
    "notify",
    "personal",
    "quiet_hours",
    "record_test",
    "remove_method",
    "remove_rule",
    "rules_for",
    "set_notice_methods",
    "set_quiet_hours",
    "start_verification",
    "user_of",
    "verified_with_address",
]
