"""Accounts: users, installation roles, password hashes, server-side sessions
and login throttling.

Owns the ``users`` table (migration 0001, shared with the core), ``sessions``,
``login_failures`` and one-time passwords (``migrations/``).
Face: ``User``, ``has_role``, ``add_user``, ``authenticate``, ``start_session``,
``session_user``, ``end_session``, ``change_password`` and the look-ups below.
"""


from .users import (
    ROLES,
    AccountError,
    User,
    add_user,
    authenticate,
    change_password,
    check_password,
    count_users,
    end_session,
    find_by_slack_id,
    find_user,
    generate_password,
    get_user,
    has_role,
    list_users,
    login_blocked,
    session_user,
    set_timezone,
    start_session,
)

__all__ = [
    "AccountError",
    "ROLES",
    "User",
    "add_user",
    "authenticate",
    "change_password",
    "check_password",
    "count_users",
    "end_session",
    "find_by_slack_id",
    "find_user",
    "generate_password",
    "get_user",
    "has_role",
    "list_users",
    "login_blocked",
    "session_user",
    "set_timezone",
    "start_session",
]
