"""War rooms: opening and closing them, and each room's fact sheet.

Owns ``rooms`` (migration 0001, with the core) and the fact tables (created
by the responses migration 0050, which predates this package). Face:
``open_room`` (pins the playbook snapshot and creates the shift slots in the
same transaction), ``activate_room`` (monitoring -> open), ``close_room``, ``get_room``, ``list_rooms``, ``Room``,
``RoomError``, ``RoomClosedError`` and ``require_open`` (the closed-room
rule, in one place); the submodule ``facts`` (versioned facts, the holding
statement), ``presence`` (who views a room's board: heartbeats with expiry
in the ``presence`` table, migration 0110, shared by every worker).
"""


from . import facts, presence
from .room import (
    Room,
    RoomClosedError,
    RoomError,
    activate_room,
    close_room,
    get_room,
    list_rooms,
    open_room,
    require_open,
)

__all__ = [
    "presence",
    "Room",
    "RoomClosedError",
    "RoomError",
    "activate_room",
    "close_room",
    "facts",
    "get_room",
    "list_rooms",
    "open_room",
    "require_open",
]
