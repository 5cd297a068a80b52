"""Installation roles are ordered and a disabled user has none (each rule
found missing by a planted bug in bench/mutants.py)."""

import pytest

from warroom.accounts import ROLES, User, has_role


def _user(role, disabled=False):
    return User(1, "ann", role, None, "UTC", disabled)


@pytest.mark.parametrize("role", ROLES)
def test_has_role_means_that_role_or_above(role):
    rank = ROLES.index(role)
    assert [has_role(_user(role), minimum) for minimum in ROLES] == [i <= rank for i in range(len(ROLES))]


def test_the_order_is_viewer_responder_approver_lead_admin():
    assert has_role(_user("lead"), "approver") and has_role(_user("admin"), "lead")
    assert has_role(_user("approver"), "responder") and has_role(_user("responder"), "viewer")
    assert not has_role(_user("approver"), "lead") and not has_role(_user("lead"), "admin")


@pytest.mark.parametrize("role", ROLES)
def test_a_disabled_user_has_no_role_at_all(role):
    assert not has_role(_user(role, disabled=True), "viewer")
