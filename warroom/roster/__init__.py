"""The roster: shift slots and sign-ups, swaps, hand-overs, coverage, the
standing on-call rotation and the personal calendar feed.

Owns ``shift_slots``, ``shift_signups``, ``shift_swaps``, ``handover_notes``,
``roster_notices`` and ``feed_tokens`` (``migrations/``). Face: ``who_is_on``,
``people_on``, ``slots``, ``staffed``, ``sign_up``, ``withdraw``, ``assign``,
``create_slots``, ``Slot``, ``RosterError``; the submodules ``swaps``,
``handover``, ``coverage``, ``oncall`` and ``shiftfeed``.
"""


from . import coverage, handover, oncall, shiftfeed, swaps
from .shifts import (
    RosterError,
    Slot,
    Staffed,
    assign,
    create_slots,
    get_slot,
    lead_slot_role,
    on_at,
    people_on,
    sign_up,
    slot_times,
    slots,
    staffed,
    who_is_on,
    withdraw,
)

__all__ = [
    "RosterError",
    "Slot",
    "Staffed",
    "assign",
    "coverage",
    "create_slots",
    "get_slot",
    "handover",
    "lead_slot_role",
    "on_at",
    "oncall",
    "people_on",
    "shiftfeed",
    "sign_up",
    "slot_times",
    "slots",
    "staffed",
    "swaps",
    "who_is_on",
    "withdraw",
]
