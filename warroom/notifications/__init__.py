"""Notifications: which committed events people hear about outside the board,
and delivering them through a sender that is handed in (Slack today).

Reads the event stream with its own cursor (``notifier_cursor``), so each
event is told at most once. Face: ``decide`` (pure: the notices an event
deserves), ``notify(db, sender, default_channel)``, ``Notice``, ``WAKE_ON``.
"""


from .notices import (
    WAKE_ON,
    Notice,
    decide,
    notify,
)

__all__ = [
    "Notice",
    "WAKE_ON",
    "decide",
    "notify",
]
