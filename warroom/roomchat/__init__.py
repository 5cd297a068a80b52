"""Room chat: each open war room's own chat channel (Slack, as incident.io
and Dispatch do), kept by ``sync(db, now, api)`` with the HTTP handed in.

Owns ``room_channels`` and ``room_channel_invites`` (``migrations/``). Face:
``sync`` and ``SyncResult``; ``channel_name`` (pure naming within Slack's
rules); ``describe`` (pure: which events the channel hears, and how);
``get_channel``, ``room_of_channel``, ``invited``; the ``ChatApi`` the
adapter implements with ``Post``/``Approval`` and the errors it raises
(``ChatError``, ``NameTaken``, ``AlreadyIn``); ``WAKE_ON``, ``POSTED``,
``STALE_SECONDS``. The rules (who is invited when, what is posted, crash
recovery) are in ``channels``' docstring.
"""


from .channels import (
    POSTED,
    STALE_SECONDS,
    WAKE_ON,
    AlreadyIn,
    Approval,
    ChatApi,
    ChatError,
    NameTaken,
    Post,
    RoomChannel,
    SyncResult,
    channel_name,
    describe,
    get_channel,
    invited,
    room_of_channel,
    sync,
)

__all__ = [
    "POSTED",
    "STALE_SECONDS",
    "WAKE_ON",
    "AlreadyIn",
    "Approval",
    "ChatApi",
    "ChatError",
    "NameTaken",
    "Post",
    "RoomChannel",
    "SyncResult",
    "channel_name",
    "describe",
    "get_channel",
    "invited",
    "room_of_channel",
    "sync",
]
