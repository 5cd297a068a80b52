"""One reply to a whole near-duplicate cluster (``listening.clusters``).

A campaign pasted 5,000 times is one question: an approved draft on one of
its mentions is published to that mention as usual (``publish``: lint,
approval, the clock), and then, in the same transaction, to every other
member not yet answered: a copy of the draft and its response row each
(``responses.draft_id`` is unique), so each member's clock stops
and the board shows it answered, and, where the member came through a
platform connector, its own delivery in the outbox (sent after commit,
exactly once). Members without a connector are returned, with author and
link, for posting by hand: the reply is written once, the list says where.

The stock-answer rule counts a cluster answer once, not once per member:
the rule exists so that different people with different problems are not
given one pasted text, and the members of a cluster all sent the same text.
Its copies are recorded in ``cluster_answers`` and left out of the stock
index; a reply that goes on to separate people is still counted per person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .. import events, platforms
from ..accounts import User
from ..db import Database, transaction
from ..listening import clusters, mentions
from .workflow import Response, ResponseError, _fits_platform, get_draft, insert_response, publish

EVENT_IDS = 200


@dataclass(frozen=True)
class ClusterAnswer:
    response: Response           # to the draft's own mention
    cluster_id: int
    copies: int                  # responses to the other members
    deliveries: int              # of those, sent through a connector
    by_hand: tuple[dict, ...]    # members with no connector: {mention_id, source, author, url}

    def to_dict(self) -> dict:
        return {"response": self.response.to_dict(), "cluster_id": self.cluster_id, "copies": self.copies,
                "deliveries": self.deliveries, "by_hand": list(self.by_hand)}


def _copy_draft(db: Database, draft_id: int, mention_id: int, columns: list[str]) -> int:
    """The published draft again, for another member: a response is one draft's
    (responses.draft_id is unique), and the copy keeps its author, approver
    and review as they were."""
    cols = ", ".join(columns)
    return db.execute(f"INSERT INTO drafts (mention_id, {cols}) SELECT ?, {cols} FROM drafts WHERE id = ?",
                      [mention_id, draft_id]).lastrowid


def answer_cluster(db: Database, now: datetime, user: User, draft_id: int) -> ClusterAnswer:
    """Publish an approved draft to its mention's whole cluster; see the module docstring."""
    with transaction(db):
        draft = get_draft(db, draft_id)
        if draft is None:
            raise ResponseError("draft_id", f"no draft {draft_id}")
        if draft.mention_id is None:
            raise ResponseError("draft_id", "the draft answers no mention, so no cluster")
        cluster_id, size = clusters.of_mentions(db, [draft.mention_id]).get(draft.mention_id, (None, 1))
        if cluster_id is None or size < 2:
            raise ResponseError("draft_id", "the draft's mention has no copies to answer with it")
        lead = publish(db, now, user, draft_id)
        answered = {r[0] for r in db.execute(
            "SELECT DISTINCT mention_id FROM responses WHERE room_id = ? AND mention_id IS NOT NULL",
            [draft.room_id])}
        copy_ids, reached, deliveries, by_hand = [], [draft.mention_id], 0, []
        # The column names from an empty result: portable, where PRAGMA table_info is SQLite's.
        columns = [d[0] for d in db.execute("SELECT * FROM drafts LIMIT 0").description
                   if d[0] not in ("id", "mention_id")]
        for mention_id in clusters.members(db, cluster_id, limit=size + 1):
            if mention_id in answered:
                continue
            _fits_platform(db, mention_id, draft.text)
            copy = replace(draft, id=_copy_draft(db, draft.id, mention_id, columns), mention_id=mention_id)
            response_id, _clock, _breached = insert_response(db, now, user, copy, mention_id)
            copy_ids.append(response_id)
            reached.append(mention_id)
            if platforms.outbox.enqueue(db, now, response_id, draft.room_id, mention_id, draft.text):
                deliveries += 1
            else:
                m = mentions.get(db, mention_id)
                by_hand.append({"mention_id": m.id, "source": m.source, "author": m.author, "url": m.url})
        clusters.record_answer(db, draft.room_id, cluster_id, lead.id, copy_ids)
        events.append(db, draft.room_id, "cluster.answered", user.name, {
            "cluster_id": cluster_id, "response_id": lead.id, "draft_id": draft_id, "text": draft.text,
            "copies": len(copy_ids), "deliveries": deliveries, "by_hand": len(by_hand),
            "mention_ids": reached[:EVENT_IDS],
        }, now)
    return ClusterAnswer(lead, cluster_id, len(copy_ids), deliveries, tuple(by_hand))
