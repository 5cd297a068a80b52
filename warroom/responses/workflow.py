"""The response workflow: claim a mention, draft, lint, approve, publish.

States: draft -> submitted -> approved | rejected -> published. A rejected
or approved draft that is edited goes back to draft. Every save and submit
bumps the draft's ``revision``; approving or rejecting names the revision
the approver read and is refused if the draft has moved on since, so what is
approved is what was reviewed. The author never approves their own draft; published text is immutable (the ``responses``
table refuses updates and deletes). Each mention has a response clock from
arrival to its first published reply; ``tick`` emits
``response.clock_breached`` once per mention and pages the on-shift
approvers (through escalation) when a draft waits too long for approval.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .. import events, platforms
from ..accounts import User, has_role
from ..clock import iso, parse_iso
from ..db import Database, transaction
from ..rooms import facts, require_open
from . import lint as lintmod
from . import stock

log = logging.getLogger(__name__)

STATES = ("draft", "submitted", "approved", "rejected", "published")
MAX_TEXT = 2000


class ResponseError(ValueError):
    def __init__(self, field: str, message: str, findings: list | None = None):
        super().__init__(message)
        self.field = field
        self.findings = findings or []


@dataclass(frozen=True)
class Claim:
    mention_id: int
    room_id: int
    user_name: str
    claimed_at: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Draft:
    id: int
    room_id: int
    mention_id: int | None
    author: str
    text: str
    status: str
    fact_ids: tuple[int, ...]
    created_at: str
    updated_at: str
    submitted_at: str | None
    decided_by: str | None
    decided_at: str | None
    reject_reason: str | None
    override_by: str | None
    override_reason: str | None
    approval_paged_at: str | None
    revision: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fact_ids"] = list(self.fact_ids)
        return d


@dataclass(frozen=True)
class Response:
    id: int
    room_id: int
    draft_id: int
    mention_id: int | None
    text: str
    author: str
    approved_by: str | None
    published_by: str
    published_at: str
    clock_seconds: float | None

    def to_dict(self) -> dict:
        return asdict(self)


_DRAFT_COLS = (
    "id, room_id, mention_id, author, text, status, fact_ids, created_at, updated_at,"
    " submitted_at, decided_by, decided_at, reject_reason, override_by, override_reason,"
    " approval_paged_at, revision"
)
_RESP_COLS = (
    "id, room_id, draft_id, mention_id, text, author, approved_by, published_by, published_at,"
    " clock_seconds"
)


def _draft(row) -> Draft | None:
    if row is None:
        return None
    v = list(row)
    v[6] = tuple(json.loads(v[6] or "[]"))
    return Draft(*v)


def get_draft(db: Database, draft_id: int) -> Draft | None:
    return _draft(db.execute(f"SELECT {_DRAFT_COLS} FROM drafts WHERE id = ?", [draft_id]).fetchone())


def room_drafts(db: Database, room_id: int, statuses: tuple[str, ...] = STATES[:4]) -> list[Draft]:
    marks = ",".join("?" for _ in statuses)
    rows = db.execute(
        f"SELECT {_DRAFT_COLS} FROM drafts WHERE room_id = ? AND status IN ({marks}) ORDER BY id",
        [room_id, *statuses],
    ).fetchall()
    return [_draft(r) for r in rows]


def room_responses(db: Database, room_id: int, limit: int = 1000) -> list[Response]:
    rows = db.execute(
        f"SELECT {_RESP_COLS} FROM responses WHERE room_id = ? ORDER BY id DESC LIMIT ?",
        [room_id, limit],
    ).fetchall()
    return [Response(*r) for r in rows]


def room_claims(db: Database, room_id: int) -> list[Claim]:
    rows = db.execute(
        "SELECT mention_id, room_id, user_name, claimed_at FROM mention_claims WHERE room_id = ?"
        " ORDER BY claimed_at",
        [room_id],
    ).fetchall()
    return [Claim(*r) for r in rows]


@lru_cache(maxsize=64)
def _parsed_rules(text: str):
    from .. import playbooks

    return playbooks.parse(text).rules


def rules_for_room(db: Database, room_id: int):
    """The room's playbook rules (its snapshot), or the defaults without one.

    The lint runs on every keystroke pause, so the snapshot's parse is cached
    by its text (a snapshot never changes)."""
    row = db.execute("SELECT playbook_text FROM rooms WHERE id = ?", [room_id]).fetchone()
    if row is None or not row[0]:
        return lintmod.DEFAULT_RULES
    return _parsed_rules(row[0])


def _mention(db: Database, mention_id: int):
    """(room_id, received_at, sentiment_label, lang) of a mention, or None."""
    return db.execute(
        "SELECT room_id, received_at, sentiment_label, lang FROM mentions WHERE id = ?", [mention_id]
    ).fetchone()


# -- claims -------------------------------------------------------------------


def claim(db: Database, now: datetime, user: User, mention_id: int) -> Claim:
    """Claim a mention for ``user``. Two people can never hold one claim:
    the insert and the check run in one write transaction on a primary key."""
    with transaction(db):
        mention = _mention(db, mention_id)
        if mention is None:
            raise ResponseError("mention_id", f"no mention {mention_id}")
        room_id = mention[0]
        require_open(db, room_id)
        cur = db.execute(
            "INSERT OR IGNORE INTO mention_claims (mention_id, room_id, user_name, claimed_at)"
            " VALUES (?, ?, ?, ?)",
            [mention_id, room_id, user.name, iso(now)],
        )
        if not cur.rowcount:
            owner = db.execute(
                "SELECT user_name FROM mention_claims WHERE mention_id = ?", [mention_id]
            ).fetchone()[0]
            if owner.lower() == user.name.lower():
                raise ResponseError("mention_id", "you already hold this mention")
            raise ResponseError("mention_id", f"already claimed by {owner}")
        events.append(db, room_id, "mention.claimed", user.name, {"mention_id": mention_id}, now)
    return Claim(mention_id, room_id, user.name, iso(now))


def release(db: Database, now: datetime, user: User, mention_id: int) -> None:
    """Give a claim back; a lead may release anyone's."""
    with transaction(db):
        row = db.execute(
            "SELECT room_id, user_name FROM mention_claims WHERE mention_id = ?", [mention_id]
        ).fetchone()
        if row is None:
            raise ResponseError("mention_id", "the mention is not claimed")
        room_id, owner = row
        require_open(db, room_id)
        if owner.lower() != user.name.lower() and not has_role(user, "lead"):
            raise ResponseError("mention_id", f"claimed by {owner}; only they or a lead can release it")
        db.execute("DELETE FROM mention_claims WHERE mention_id = ?", [mention_id])
        events.append(
            db, room_id, "mention.released", user.name, {"mention_id": mention_id, "owner": owner}, now
        )


# -- drafts -------------------------------------------------------------------


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ResponseError("text", "the reply is empty")
    if len(text) > MAX_TEXT:
        raise ResponseError("text", f"the reply is longer than {MAX_TEXT} characters")
    return text


def _fits_platform(db: Database, mention_id: int | None, text: str) -> None:
    """A reply to a mention that came through a connector must fit that platform."""
    try:
        platforms.store.check_length(db, mention_id, text)
    except platforms.store.TooLong as exc:
        raise ResponseError("text", str(exc)) from None


def _owned(draft: Draft | None, draft_id, user: User) -> Draft:
    if draft is None:
        raise ResponseError("draft_id", f"no draft {draft_id}")
    if draft.author.lower() != user.name.lower():
        raise ResponseError("draft_id", f"only the author ({draft.author}) can change this draft")
    return draft


def save_draft(
    db: Database, now: datetime, user: User, room_id: int, text: str,
    mention_id: int | None = None, draft_id: int | None = None, fact_ids=(),
) -> Draft:
    """Create a draft or change one. Saving on an unclaimed mention claims it;
    changing a submitted, approved or rejected draft sends it back to draft."""
    text = _check_text(text)
    try:
        fact_list = sorted({int(f) for f in (fact_ids or [])})
    except (TypeError, ValueError):
        raise ResponseError("fact_ids", "fact_ids must be a list of fact ids") from None
    with transaction(db):
        require_open(db, room_id)
        for fid in fact_list:
            fact = facts.get_fact(db, fid)
            if fact is None or fact.room_id != room_id:
                raise ResponseError("fact_ids", f"no fact {fid} in this room")
        if draft_id is not None:
            draft = _owned(get_draft(db, draft_id), draft_id, user)
            if draft.room_id != room_id:
                raise ResponseError("draft_id", f"draft {draft_id} is not in room {room_id}")
            if draft.status == "published":
                raise ResponseError("draft_id", "a published reply cannot be changed")
            mention_id = draft.mention_id
            db.execute(
                "UPDATE drafts SET text = ?, fact_ids = ?, status = 'draft', updated_at = ?,"
                " revision = revision + 1, submitted_at = NULL, decided_by = NULL, decided_at = NULL,"
                " override_by = NULL, override_reason = NULL, approval_paged_at = NULL"
                " WHERE id = ?",
                [text, json.dumps(fact_list), iso(now), draft_id],
            )
        else:
            if mention_id is not None:
                mention = _mention(db, mention_id)
                if mention is None or mention[0] != room_id:
                    raise ResponseError("mention_id", f"no mention {mention_id} in room {room_id}")
                holder = db.execute(
                    "SELECT user_name FROM mention_claims WHERE mention_id = ?", [mention_id]
                ).fetchone()
                if holder is None:
                    claim(db, now, user, mention_id)
                elif holder[0].lower() != user.name.lower():
                    raise ResponseError("mention_id", f"claimed by {holder[0]}")
            cur = db.execute(
                "INSERT INTO drafts (room_id, mention_id, author, text, status, fact_ids,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?)",
                [room_id, mention_id, user.name, text, json.dumps(fact_list), iso(now), iso(now)],
            )
            draft_id = cur.lastrowid
        _fits_platform(db, mention_id, text)
        saved = get_draft(db, draft_id)
        events.append(
            db, room_id, "draft.saved", user.name,
            {"draft_id": draft_id, "mention_id": mention_id, "text": text, "revision": saved.revision},
            now,
        )
    return saved


def check(db: Database, room_id: int, text: str, mention_id: int | None = None) -> list[lintmod.Finding]:
    """The lint as the room's rules see it (angry customer, stock answers,
    the mention's language picking the phrase tables).

    Stock answers: the room's published replies are looked up in its LSH
    index (``stock``), and the lint's exact similarity runs on the few
    candidates only, so a check costs the same with 50 or 50,000 replies."""
    negative, lang = False, None
    if mention_id is not None:
        mention = _mention(db, mention_id)
        negative = bool(mention and mention[2] == "negative")
        lang = mention[3] if mention else None
    rules = rules_for_room(db, room_id)
    published: list[str] = []
    if (text or "").strip() and getattr(rules, "stock_answer_min_recipients", 3) > 0:
        similarity = float(getattr(rules, "stock_answer_similarity", 0.8))
        published = stock.similar_published(db, room_id, text, similarity)
    return lintmod.lint(text, rules, negative=negative, published=published, lang=lang)


def override_lint(db: Database, now: datetime, user: User, draft_id: int, reason: str) -> Draft:
    """A lead lets a draft through its blocking findings; the reason is on the timeline."""
    if not has_role(user, "lead"):
        raise ResponseError("override_reason", "only a lead can override a blocking finding")
    reason = (reason or "").strip()
    if not reason:
        raise ResponseError("override_reason", "an override needs a reason")
    with transaction(db):
        draft = get_draft(db, draft_id)
        if draft is None:
            raise ResponseError("draft_id", f"no draft {draft_id}")
        require_open(db, draft.room_id)
        if draft.status != "draft":
            raise ResponseError("draft_id", f"the draft is {draft.status}, not draft")
        blocking = lintmod.blocking_findings(check(db, draft.room_id, draft.text, draft.mention_id))
        if not blocking:
            raise ResponseError("override_reason", "nothing blocks this draft")
        db.execute(
            "UPDATE drafts SET override_by = ?, override_reason = ? WHERE id = ?",
            [user.name, reason, draft_id],
        )
        events.append(
            db, draft.room_id, "lint.overridden", user.name,
            {"draft_id": draft_id, "reason": reason, "rules": sorted({f.rule for f in blocking}),
             "author": draft.author},
            now,
        )
    return get_draft(db, draft_id)


def submit(
    db: Database, now: datetime, user: User, draft_id: int, override_reason: str | None = None
) -> Draft:
    """Send a draft for approval. Blocking lint findings stop it unless a lead
    overrode them (here with ``override_reason``, or before via override_lint)."""
    with transaction(db):
        draft = _owned(get_draft(db, draft_id), draft_id, user)
        require_open(db, draft.room_id)
        if draft.status != "draft":
            raise ResponseError("draft_id", f"the draft is {draft.status}, not draft")
        _fits_platform(db, draft.mention_id, draft.text)
        findings = check(db, draft.room_id, draft.text, draft.mention_id)
        blocking = lintmod.blocking_findings(findings)
        if blocking and override_reason:
            draft = override_lint(db, now, user, draft_id, override_reason)
        if blocking and not draft.override_by:
            raise ResponseError(
                "text",
                "blocked by the honesty lint: " + "; ".join(f"{f.rule}: {f.reason}" for f in blocking),
                findings=[f.to_dict() for f in blocking],
            )
        db.execute(
            "UPDATE drafts SET status = 'submitted', submitted_at = ?, updated_at = ?,"
            " revision = revision + 1 WHERE id = ?",
            [iso(now), iso(now), draft_id],
        )
        events.append(
            db, draft.room_id, "draft.submitted", user.name,
            {"draft_id": draft_id, "mention_id": draft.mention_id, "text": draft.text,
             "revision": draft.revision + 1, "findings": [f.rule for f in findings]},
            now,
        )
    return get_draft(db, draft_id)


def _revision(revision) -> int:
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise ResponseError("revision", "name the revision of the draft you reviewed")
    return revision


def _decidable(db: Database, user: User, draft_id: int, revision: int) -> Draft:
    """The submitted draft at exactly ``revision`` (the one the approver read)."""
    draft = get_draft(db, draft_id)
    if draft is None:
        raise ResponseError("draft_id", f"no draft {draft_id}")
    require_open(db, draft.room_id)
    if draft.revision != revision:
        raise ResponseError(
            "revision",
            f"the draft changed since you read it (you reviewed revision {revision},"
            f" it is now revision {draft.revision}); read it again before deciding",
        )
    if draft.status != "submitted":
        raise ResponseError("draft_id", f"the draft is {draft.status}, not submitted")
    check_decider(db, user, draft.room_id, draft.author, approving=False)
    return draft


def check_decider(db: Database, user: User, room_id: int, author: str, approving: bool = True,
                  noun: str = "draft") -> None:
    """The two-person rule, in one place (replies here, stakeholder updates in
    ``updates``): the author never decides on their own text, deciding needs
    the approver role, and approving in a room whose playbook says
    ``approval = "lead"`` needs a lead. ``noun`` names what is decided on
    (the refusal blames ``<noun>_id``)."""
    if author.lower() == user.name.lower():
        raise ResponseError(f"{noun}_id", f"the author cannot approve or reject their own {noun}")
    if not has_role(user, "approver"):
        raise ResponseError("user", "approving needs the approver role")
    if approving and getattr(rules_for_room(db, room_id), "approval", "two-person") == "lead" \
            and not has_role(user, "lead"):
        raise ResponseError("user", "this playbook needs a lead to approve replies")


def approve(db: Database, now: datetime, user: User, draft_id: int, revision: int) -> Draft:
    """Approve the draft as of ``revision``; refused if it changed since."""
    revision = _revision(revision)
    with transaction(db):
        draft = _decidable(db, user, draft_id, revision)
        check_decider(db, user, draft.room_id, draft.author, approving=True)
        db.execute(
            "UPDATE drafts SET status = 'approved', decided_by = ?, decided_at = ?, updated_at = ?"
            " WHERE id = ?",
            [user.name, iso(now), iso(now), draft_id],
        )
        events.append(
            db, draft.room_id, "draft.approved", user.name,
            {"draft_id": draft_id, "mention_id": draft.mention_id, "author": draft.author,
             "revision": revision}, now,
        )
    return get_draft(db, draft_id)


def reject(db: Database, now: datetime, user: User, draft_id: int, revision: int, reason: str) -> Draft:
    """Reject the draft as of ``revision`` with a reason; refused if it changed since."""
    revision = _revision(revision)
    reason = (reason or "").strip()
    if not reason:
        raise ResponseError("reason", "a rejection needs a reason")
    with transaction(db):
        draft = _decidable(db, user, draft_id, revision)
        db.execute(
            "UPDATE drafts SET status = 'rejected', decided_by = ?, decided_at = ?, updated_at = ?,"
            " reject_reason = ? WHERE id = ?",
            [user.name, iso(now), iso(now), reason, draft_id],
        )
        events.append(
            db, draft.room_id, "draft.rejected", user.name,
            {"draft_id": draft_id, "mention_id": draft.mention_id, "author": draft.author,
             "reason": reason, "revision": revision},
            now,
        )
    return get_draft(db, draft_id)


def insert_response(db: Database, now: datetime, user: User, draft: Draft,
                    mention_id: int | None) -> tuple[int, float | None, bool]:
    """Inside a publishing transaction: the response row of ``draft`` to
    ``mention_id`` -> (id, clock seconds, breached). The clock is the
    mention's first answer's only."""
    clock = None
    breached = False
    if mention_id is not None:
        first = db.execute("SELECT 1 FROM responses WHERE mention_id = ?", [mention_id]).fetchone()
        mention = _mention(db, mention_id)
        if first is None and mention is not None:
            clock = max(0.0, (now - parse_iso(mention[1])).total_seconds())
            limit = getattr(rules_for_room(db, draft.room_id), "first_response_minutes", 60)
            breached = clock > limit * 60
    cur = db.execute(
        "INSERT INTO responses (room_id, draft_id, mention_id, text, author, approved_by,"
        " published_by, published_at, clock_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [draft.room_id, draft.id, mention_id, draft.text, draft.author,
         draft.decided_by, user.name, iso(now), clock],
    )
    return cur.lastrowid, clock, breached


def publish(db: Database, now: datetime, user: User, draft_id: int) -> Response:
    """Record the approved text as published (who, when, facts relied on) and
    stop the mention's clock. The notifier posts it after commit; a mention
    that came through a platform connector also gets its delivery (the
    outbox posts it there, exactly once)."""
    with transaction(db):
        draft = get_draft(db, draft_id)
        if draft is None:
            raise ResponseError("draft_id", f"no draft {draft_id}")
        if draft.status != "approved":
            raise ResponseError("draft_id", f"the draft is {draft.status}, not approved")
        if draft.author.lower() != user.name.lower() and not has_role(user, "lead"):
            raise ResponseError("user", "only the author or a lead can publish")
        require_open(db, draft.room_id)
        _fits_platform(db, draft.mention_id, draft.text)
        response_id, clock, breached = insert_response(db, now, user, draft, draft.mention_id)
        cited = facts.current_versions(db, list(draft.fact_ids), draft.room_id)
        for fid, version in cited:
            db.execute(
                "INSERT INTO response_facts (response_id, fact_id, version) VALUES (?, ?, ?)",
                [response_id, fid, version],
            )
        db.execute(
            "UPDATE drafts SET status = 'published', updated_at = ? WHERE id = ?", [iso(now), draft_id]
        )
        # Its delivery to the platform, key fixed now; sent after commit by the outbox.
        delivery = platforms.outbox.enqueue(db, now, response_id, draft.room_id, draft.mention_id, draft.text)
        events.append(
            db, draft.room_id, "response.published", user.name,
            {"response_id": response_id, "draft_id": draft_id, "mention_id": draft.mention_id,
             "text": draft.text, "author": draft.author, "approved_by": draft.decided_by,
             "clock_seconds": clock, "breached": breached, "delivery_id": delivery,
             "facts": [{"id": f, "version": v} for f, v in cited]},
            now,
        )
    return get_response(db, response_id)


def get_response(db: Database, response_id: int) -> Response | None:
    row = db.execute(f"SELECT {_RESP_COLS} FROM responses WHERE id = ?", [response_id]).fetchone()
    return Response(*row) if row else None


def answered(db: Database, room_id: int) -> dict[int, tuple[str, float | None]]:
    """mention id -> (first published_at, clock seconds) for answered mentions."""
    rows = db.execute(
        "SELECT mention_id, MIN(published_at), MIN(clock_seconds) FROM responses"
        " WHERE room_id = ? AND mention_id IS NOT NULL GROUP BY mention_id",
        [room_id],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


# -- the clocks (scheduler tick) ---------------------------------------------

IDS_IN_EVENT = 200


def check_clocks(db: Database, now: datetime) -> list[events.Event]:
    """Mark every unanswered mention past ``first_response_minutes`` as breached,
    once, with one ``response.clock_breached`` event per room and tick."""
    out = []
    open_rooms = [r[0] for r in db.execute("SELECT id FROM rooms WHERE status != 'closed'")]
    for room_id in open_rooms:
        minutes = getattr(rules_for_room(db, room_id), "first_response_minutes", 60)
        cutoff = iso(now - timedelta(minutes=minutes))
        due_sql = (
            "SELECT m.id FROM mentions m WHERE m.room_id = ? AND m.received_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.mention_id = m.id)"
            " AND NOT EXISTS (SELECT 1 FROM clock_breaches b WHERE b.mention_id = m.id)"
            " ORDER BY m.id"
        )
        # Look first without the write lock: most ticks find nothing to do.
        if db.execute(due_sql + " LIMIT 1", [room_id, cutoff]).fetchone() is None:
            continue
        with transaction(db):
            ids = [r[0] for r in db.execute(due_sql, [room_id, cutoff])]
            if not ids:
                continue
            db.conn.executemany(
                "INSERT INTO clock_breaches (mention_id, room_id, breached_at) VALUES (?, ?, ?)",
                [(i, room_id, iso(now)) for i in ids],
            )
            out.append(events.append(
                db, room_id, "response.clock_breached", None,
                {"count": len(ids), "mention_ids": ids[:IDS_IN_EVENT],
                 "first_response_minutes": minutes},
                now,
            ))
    return out


def _on_shift_approvers(db: Database, room_id: int, now: datetime) -> list[str]:
    """Names of people on shift in the room who may approve."""
    from .. import playbooks, roster

    playbook = playbooks.room_playbook(db, room_id)
    names: dict[str, None] = {}
    for role in (playbook.roles if playbook else ()):
        for person in roster.who_is_on(db, room_id, role.name, now):
            if has_role(person, "approver"):
                names[person.name] = None
    return list(names)


def check_approvals(db: Database, now: datetime) -> list[int]:
    """Page (through escalation) for every draft waiting for approval longer
    than the playbook allows; each draft pages once per submission."""
    from .. import escalation

    paged = []
    rows = db.execute(
        "SELECT d.id, d.room_id FROM drafts d JOIN rooms r ON r.id = d.room_id"
        " WHERE d.status = 'submitted' AND d.approval_paged_at IS NULL AND r.status != 'closed'"
        " ORDER BY d.id"
    ).fetchall()
    for draft_id, room_id in rows:
        timeout = getattr(rules_for_room(db, room_id), "approval_timeout_minutes", 15)
        with transaction(db):
            draft = get_draft(db, draft_id)
            if draft.status != "submitted" or draft.approval_paged_at is not None:
                continue
            waited = (now - parse_iso(draft.submitted_at)).total_seconds() / 60
            if waited <= timeout:  # "longer than" the timeout, like the response clock
                continue
            approvers = _on_shift_approvers(db, room_id, now)
            detail = {"draft_id": draft_id, "mention_id": draft.mention_id, "author": draft.author,
                      "waiting_minutes": round(waited, 1), "approval_timeout_minutes": timeout,
                      "approvers": approvers}
            escalation.open_escalation(db, now, room_id, reason="approval", detail=detail, actor=None,
                                       notify_first=tuple(f"user:{name}" for name in approvers))
            db.execute("UPDATE drafts SET approval_paged_at = ? WHERE id = ?", [iso(now), draft_id])
            events.append(db, room_id, "draft.approval_overdue", None, detail, now)
            paged.append(draft_id)
    return paged


def tick(db: Database, now: datetime) -> None:
    check_clocks(db, now)
    try:
        check_approvals(db, now)
    except ImportError:
        log.warning("approval paging is off: warroom.escalation is not installed")
