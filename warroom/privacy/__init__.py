"""Privacy: personal data kept only as long as needed, and data-subject requests.

Owns the ``teams.retention_days`` column and the ``erased_at`` columns of
``mentions``, ``monitor_mentions`` and ``responses`` (with the trigger that
lets an erasure make its one change to a published reply); migrations
0100-0109 (``migrations/``). The rules are in ``rules``'s docstring.
Face: ``export_author``, ``erase_author``, ``retention_sweep`` (the
scheduler's job calls it with ``now``), ``set_retention``, ``retention_of``,
``scrub``, ``PrivacyError``, ``RetentionResult``, ``ERASED``.
"""

from .rules import (
    ERASED,
    PrivacyError,
    RetentionResult,
    erase_author,
    export_author,
    retention_of,
    retention_sweep,
    scrub,
    set_retention,
)

__all__ = [
    "ERASED",
    "PrivacyError",
    "RetentionResult",
    "erase_author",
    "export_author",
    "retention_of",
    "retention_sweep",
    "scrub",
    "set_retention",
]
