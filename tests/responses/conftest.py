"""Fixtures of the responses tests: the people of a review and their room."""

from __future__ import annotations

import pytest

from warroom import rooms

from ..conftest import make_user


@pytest.fixture
def people(db):
    return {
        "vol": make_user(db, "vol", "responder"),
        "vol2": make_user(db, "vol2", "responder"),
        "appr": make_user(db, "appr", "approver"),
        "lead": make_user(db, "lead", "lead"),
    }


@pytest.fixture
def room(db, now, people):
    return rooms.open_room(db, now, people["lead"], "Ash cloud")
