"""Workflow rules at their edges, one rule per test (each one found missing by
a planted bug in bench/mutants.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom import responses
from warroom.responses import ResponseError

from ..conftest import GOOD, rev


def _submitted(db, now, people, room, author="vol"):
    draft = responses.save_draft(db, now, people[author], room.id, GOOD)
    return responses.submit(db, now, people[author], draft.id)


def test_a_submitted_draft_is_not_published_before_someone_approves_it(db, now, people, room):
    draft = _submitted(db, now, people, room)
    with pytest.raises(ResponseError) as err:
        responses.publish(db, now, people["vol"], draft.id)
    assert err.value.field == "draft_id" and "not approved" in str(err.value)
    assert responses.room_responses(db, room.id) == []


def test_only_the_author_or_a_lead_publishes_an_approved_draft(db, now, people, room):
    draft = _submitted(db, now, people, room)
    responses.approve(db, now, people["appr"], draft.id, rev(db, draft.id))
    for outsider in ("vol2", "appr"):  # another responder, even the approver
        with pytest.raises(ResponseError) as err:
            responses.publish(db, now, people[outsider], draft.id)
        assert err.value.field == "user"
    assert responses.publish(db, now, people["lead"], draft.id).published_by == "lead"


def test_an_approval_pages_only_once_it_has_waited_longer_than_the_timeout(db, now, people, room):
    draft = _submitted(db, now, people, room)
    exactly = now + timedelta(minutes=15)  # the default approval_timeout_minutes
    assert responses.check_approvals(db, exactly) == []
    assert responses.get_draft(db, draft.id).approval_paged_at is None
    assert responses.check_approvals(db, exactly + timedelta(seconds=1)) == [draft.id]
