"""Planted bugs: does each domain package's fast test suite notice them?

Each mutant is one small deliberate bug in a rule that matters (a boundary
flipped, a negation dropped, a wrong field, an off-by-one, a check removed,
arguments swapped). The script applies one mutant at a time to the file in
place, runs the FAST tests of that file's package (``-m "not e2e" -x -q
tests/<package>`` plus the mutant's extra test files) with a timeout, and
restores the file in a ``finally`` (also on Ctrl-C or SIGTERM), checking the
bytes are back. A mutant is *killed* when the tests fail (or time out), and
*survives* when they pass. A mutant whose old snippet does not occur exactly
once is refused before anything runs, so the list stays true as the code
changes.

Equivalent mutants (no behaviour can tell them from the real code) say why
in ``equivalent``; they are run like the others and reported apart.

Byte-code: the tests run with a private ``PYTHONPYCACHEPREFIX`` whose
``warroom`` part is wiped after each mutant, so a same-size edit written in
the same second can never be served from a stale ``.pyc`` (and the tree's
own ``__pycache__`` is never written).

    .venv/bin/python bench/mutants.py [--only ID ...] [--list] [--timeout 180]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # relative to the repository root
    old: str
    new: str
    rule: str  # the rule the bug breaks
    extra: tuple[str, ...] = ()  # more test files to run
    equivalent: str = ""  # why no behaviour can tell it apart (then it is expected to survive)

    @property
    def package(self) -> str:
        return Path(self.file).parts[1]


M = Mutant
W = "warroom/responses/workflow.py"
LINT = "warroom/responses/lint.py"
LINT_LANG = "warroom/responses/lint_lang.py"
SH = "warroom/roster/shifts.py"
SW = "warroom/roster/swaps.py"
OC = "warroom/roster/oncall.py"
POL = "warroom/escalation/policy.py"
PG = "warroom/escalation/paging.py"
SP = "warroom/listening/spikes.py"
TOK = "warroom/listening/tokens.py"
VOL = "warroom/listening/volume.py"
MEN = "warroom/listening/mentions.py"
ROOM = "warroom/rooms/room.py"
USERS = "warroom/accounts/users.py"
REP = "warroom/postmortem/report.py"

MUTANTS: list[Mutant] = [
    # -- responses: the workflow ------------------------------------------------
    M("resp-own-approve", W,
      'if author.lower() == user.name.lower():\n        raise ResponseError(f"{noun}_id", f"the author cannot',
      'if author.lower() != user.name.lower():\n        raise ResponseError(f"{noun}_id", f"the author cannot',
      "the author cannot approve or reject their own draft (negation)"),
    M("resp-approver-role", W,
      'if not has_role(user, "approver"):\n        raise ResponseError("user", "approving needs',
      'if not has_role(user, "responder"):\n        raise ResponseError("user", "approving needs',
      "approving needs the approver role (wrong role)"),
    M("resp-lead-approval", W,
      'and not has_role(user, "lead"):\n        raise ResponseError("user", "this playbook needs a lead',
      'and not has_role(user, "approver"):\n        raise ResponseError("user", "this playbook needs a lead',
      "a playbook with approval = lead needs a lead to approve (wrong role)"),
    M("resp-revision-check", W,
      "if draft.revision != revision:",
      "if draft.revision < revision:",
      "approving names the revision read; an older revision is refused (boundary)"),
    M("resp-publish-approved", W,
      'if draft.status != "approved":',
      'if draft.status not in ("approved", "submitted"):',
      "only an approved draft is published (two-person rule)"),
    M("resp-publish-who", W,
      'if draft.author.lower() != user.name.lower() and not has_role(user, "lead"):',
      'if draft.author.lower() != user.name.lower() and not has_role(user, "responder"):',
      "only the author or a lead publishes (wrong role)"),
    M("resp-edit-reopens", W,
      "\"UPDATE drafts SET text = ?, fact_ids = ?, status = 'draft', updated_at = ?,\"",
      "\"UPDATE drafts SET text = ?, fact_ids = ?, updated_at = ?,\"",
      "editing an approved/submitted draft sends it back to draft (dropped)"),
    M("resp-edit-revision", W,
      '" revision = revision + 1, submitted_at = NULL',
      '" revision = revision, submitted_at = NULL',
      "every save bumps the revision, so an approval of the old text is refused (dropped)"),
    M("resp-lint-blocks", W,
      "if blocking and not draft.override_by:",
      "if blocking and draft.override_by:",
      "blocking findings stop a submit unless a lead overrode them (negation)"),
    M("resp-override-lead", W,
      'if not has_role(user, "lead"):\n        raise ResponseError("override_reason"',
      'if not has_role(user, "approver"):\n        raise ResponseError("override_reason"',
      "only a lead overrides the lint (wrong role)"),
    M("resp-release-lead", W,
      'if owner.lower() != user.name.lower() and not has_role(user, "lead"):',
      'if owner.lower() != user.name.lower() and not has_role(user, "responder"):',
      "only the holder or a lead releases a claim (wrong role)"),
    M("resp-foreign-claim", W,
      "elif holder[0].lower() != user.name.lower():",
      "elif holder[0] != user.name:",
      "a draft on a mention someone else holds is refused, names case-insensitively (dropped casefold)",
      equivalent="users.name is UNIQUE COLLATE NOCASE and every User comes from that row, and the"
                 " claim stores user.name, so the holder's name and the same user's name never"
                 " differ in case: the exact and the case-insensitive comparison always agree"),
    M("resp-clock-cutoff", W,
      "m.received_at < ?",
      "m.received_at <= ?",
      "a mention exactly first_response_minutes old is not breached yet (boundary)"),
    M("resp-clock-breached", W,
      "breached = clock > limit * 60",
      "breached = clock >= limit * 60",
      "a reply published exactly at the limit is within it (boundary)"),
    M("resp-approval-timeout", W,
      "if waited <= timeout:",
      "if waited < timeout:",
      "an approval pages only once it has waited LONGER than approval_timeout_minutes (boundary)"),
    M("resp-approval-once", W,
      'db.execute("UPDATE drafts SET approval_paged_at = ? WHERE id = ?", [iso(now), draft_id])',
      "pass",
      "an overdue approval pages once per submission (dropped)"),
    M("resp-max-text", W,
      "if len(text) > MAX_TEXT:",
      "if len(text) >= MAX_TEXT:",
      "a reply of exactly MAX_TEXT characters is allowed (boundary)"),
    # -- responses: the lint -------------------------------------------------------
    M("lint-owns", LINT,
      'if not anywhere("owns"):',
      'if anywhere("owns"):',
      "a redirect is fine when the reply owns the problem (negation)"),
    M("lint-apology", LINT,
      'if negative and not non_apologies and text.strip() and not anywhere("apology"):',
      "if negative and not non_apologies and text.strip():",
      "an angry customer needs an apology, and a real one satisfies it (dropped)"),
    M("lint-blocking", LINT,
      "reason or REASONS[rule], rule in blocking))",
      "reason or REASONS[rule], rule not in blocking))",
      "findings of blocking rules block (negation)"),
    M("lint-banned-case", LINT,
      "for m in re.finditer(re.escape(p), low):",
      "for m in re.finditer(re.escape(p), text):",
      "banned phrases match in any case (wrong field)"),
    M("lint-stock-min", LINT,
      "if alike >= minimum:",
      "if alike > minimum:",
      "stock-answer fires at exactly stock_answer_min_recipients (boundary)"),
    M("lint-next-step-rule", LINT,
      'if _rule(rules, "require_next_step") and text.strip()',
      "if text.strip()",
      "require_next_step = false turns the no-next-step finding off (dropped)"),
    M("lint-hide-passive", LINT_LANG,
      'r"deleted|removed|hidden|blocked|banned|muted|censored", gap=3, stem=False),',
      'r"deleted|removed|blocked|banned|muted|censored", gap=3, stem=False),',
      "hiding critics in the passive voice is found (pattern)"),
    M("lint-hide-negation", LINT,
      "return not (table.negation.search(clause) or table.unhide.search(text))",
      "return not table.unhide.search(text)",
      "a promise never to delete comments is not hiding critics (dropped)"),
    M("lint-lang-mention", LINT_LANG,
      "picked = [c for c in dict.fromkeys((code, guess(text) or \"\")) if c in TABLES]",
      "picked = [c for c in dict.fromkeys((guess(text) or \"\",)) if c in TABLES]",
      "the mention's language picks its phrase tables (dropped)"),
    # -- roster ---------------------------------------------------------------------
    M("roster-contains-end", SH,
      "return self.starts_at <= iso(at) < self.ends_at",
      "return self.starts_at <= iso(at) <= self.ends_at",
      "a slot is [starts_at, ends_at): its end is not in it (boundary)"),
    M("roster-contains-start", SH,
      "return self.starts_at <= iso(at) < self.ends_at",
      "return self.starts_at < iso(at) < self.ends_at",
      "a slot is [starts_at, ends_at): its start is in it (boundary)"),
    M("roster-who-end", SH,
      "t.starts_at <= ? AND t.ends_at > ?",
      "t.starts_at <= ? AND t.ends_at >= ?",
      "who_is_on at a shift's end is the next shift's people (boundary)"),
    M("roster-who-start", SH,
      "t.starts_at <= ? AND t.ends_at > ?",
      "t.starts_at < ? AND t.ends_at > ?",
      "who_is_on at a shift's start includes its people (boundary)"),
    M("roster-who-disabled", SH,
      "return [u for u in users if u is not None and not u.disabled]",
      "return [u for u in users if u is not None]",
      "disabled users are never on shift (dropped)"),
    M("roster-capacity", SH,
      "if taken >= slot.capacity:",
      "if taken > slot.capacity:",
      "a full shift takes nobody more (off-by-one)"),
    M("roster-clash-adjacent", SH,
      '" AND t.starts_at < ? AND t.ends_at > ? LIMIT 1",',
      '" AND t.starts_at <= ? AND t.ends_at >= ? LIMIT 1",',
      "back-to-back shifts do not clash; only overlapping ones do (boundary)"),
    M("roster-over", SH,
      "if slot.ends_at <= iso(now):",
      "if slot.ends_at < iso(now):",
      "a shift that ended exactly now is over (boundary)"),
    M("roster-withdraw-lead", SH,
      'if user.id != actor.id and not accounts.has_role(actor, "lead"):',
      'if user.id != actor.id and not accounts.has_role(actor, "responder"):',
      "only a lead takes someone else off a shift (wrong role)"),
    M("swap-target-clash", SW,
      "if clash(db, b.id, slot, ignore=[other.id] if other else []) is not None:",
      "if clash(db, a.id, slot, ignore=[other.id] if other else []) is not None:",
      "a swap onto a shift that overlaps one of the taker's is refused (wrong person)"),
    M("swap-proposer-clash", SW,
      "if clash(db, a.id, other, ignore=[slot.id]) is not None:",
      "if clash(db, b.id, other, ignore=[slot.id]) is not None:",
      "the proposer cannot receive a shift overlapping another of theirs (wrong person)"),
    M("swap-accept-target", SW,
      "if swap.target != user.name:",
      "if swap.proposer != user.name:",
      "only the person asked accepts a swap (wrong field)"),
    M("swap-disabled", SW,
      'if b.disabled or not accounts.has_role(b, "responder"):',
      'if not accounts.has_role(b, "responder"):',
      "a disabled user cannot take a swapped shift (dropped)",
      equivalent="has_role() is False for a disabled user, so `b.disabled or` is redundant:"
                 " the same users are refused with the same error"),
    M("oncall-override-end", OC,
      "if o.starts <= at < o.ends:",
      "if o.starts <= at <= o.ends:",
      "an override is [from, to): at its end the rotation is back (boundary)"),
    M("oncall-handoff", OC,
      "if at < _handoff_at(rotation, local_day):",
      "if at <= _handoff_at(rotation, local_day):",
      "the next person is on call from exactly the hand-off time (boundary)"),
    # -- escalation: the policy -----------------------------------------------------
    M("esc-due-at", POL,
      "if parse_iso(escalation.next_at) > now:",
      "if parse_iso(escalation.next_at) >= now:",
      "a step is issued at exactly its after_minutes (boundary)"),
    M("esc-next-step", POL,
      "if step + 1 < len(policy.steps):",
      "if step + 1 < len(policy.steps) - 1:",
      "every step of a three-step policy is issued, the last one too (off-by-one)"),
    M("esc-repeat", POL,
      "if cycle < policy.repeat:",
      "if cycle <= policy.repeat:",
      "escalation_repeat cycles after the first, no more (off-by-one)"),
    M("esc-last-gap", POL,
      "timedelta(minutes=last - policy.steps[-2].after_minutes)",
      "timedelta(minutes=last - policy.steps[0].after_minutes)",
      "a new cycle starts one last gap (between the last two steps) after the last step (wrong field)"),
    M("esc-cycle-length", POL,
      "return timedelta(minutes=last) + gap",
      "return gap",
      "a cycle lasts the last step's offset plus the last gap (dropped)"),
    M("esc-ack-cancels", POL,
      "\" AND state IN ('due', 'held', 'bundled')\", [esc.id],",
      "\" AND state IN ('held', 'bundled')\", [esc.id],",
      "acknowledging cancels every page not sent yet (dropped)"),
    M("esc-ack-twice", POL,
      'if esc.state == "acknowledged":',
      'if esc.state == "exhausted":',
      "an escalation is acknowledged once (wrong value)"),
    M("esc-fallback", POL,
      'if not found and spec != "on-call":',
      'if not found and spec == "on-call":',
      "a target that resolves to nobody falls back to the on-call person (negation)"),
    M("esc-nobody-climbs", POL,
      "if reached == 0 and due > now:",
      "if reached < 0 and due > now:",
      "a step that reaches nobody moves the climb on at once (dropped)"),
    M("esc-second-alarm", POL,
      'events.append(db, room_id, "escalation.updated", actor, {\n                "escalation": current.id,',
      'pass\n            events.append(db, room_id, "escalation.updated", actor, {\n                "escalation": current.id,',
      "control: a no-op edit must survive (checks the harness itself)",
      equivalent="control mutant: `pass` before the statement changes nothing; it shows a"
                 " surviving mutant is reported as such"),
    # -- escalation: paging ---------------------------------------------------------
    M("page-claim-due", PG,
      "p.due_at <= ? AND e.state = 'open'",
      "p.due_at < ? AND e.state = 'open'",
      "a page due exactly now is claimed this tick (boundary)"),
    M("page-claim-guard", PG,
      "\" WHERE id = ? AND state IN ('due', 'held')\",\n                    [token, iso(now), page_id],",
      "\" WHERE id = ?\",\n                    [token, iso(now), page_id],",
      "claim atomicity: only a due/held row is claimed (dropped)",
      equivalent="claim_due selects the due/held rows and updates them inside one BEGIN IMMEDIATE"
                 " transaction, and each page id is in exactly one of alone/carrier; no other"
                 " writer can change a row in between, so the guard never filters anything"
                 " (it is defence in depth)"),
    M("page-sent-token", PG,
      "\" last_error = NULL WHERE id = ? AND state = 'sending' AND claim_token = ?\",\n"
      "            [iso(now), via, channel, ts, page_id, token],",
      "\" last_error = NULL WHERE id = ? AND state = 'sending' AND ? IS NOT NULL\",\n"
      "            [iso(now), via, channel, ts, page_id, token],",
      "a claimer whose claim was taken over cannot record the page as sent (stale token guard)"),
    M("page-failure-token", PG,
      "\" WHERE id = ? AND state = 'sending' AND claim_token = ?\", [page_id, token],",
      "\" WHERE id = ? AND state = 'sending' AND ? IS NOT NULL\", [page_id, token],",
      "a claimer whose claim was taken over cannot record a failure (stale token guard)"),
    M("page-recover-guard", PG,
      "\"UPDATE pages SET claim_token = ? WHERE id = ? AND state = 'sending' AND claim_token = ?\",",
      "\"UPDATE pages SET claim_token = ? WHERE id = ? AND state = 'sending' AND (claim_token = ? OR 1)\",",
      "two recoverers cannot both take over one stale claim (concurrent recovery guard)"),
    M("page-recover-own", PG,
      "if old == token or alive(old, stale):",
      "if alive(old, stale):",
      "a tick never recovers its own claims (dropped)",
      equivalent="tick() adds its token to _LIVE_TOKENS before recover_stale, and claimer_alive"
                 " (the production check) answers True for a token of this host and pid that is"
                 " in _LIVE_TOKENS, so the tick's own claims are skipped either way; only a test"
                 " that passes another alive() could tell"),
    M("page-backoff", PG,
      "cfg.backoff_seconds * (2 ** (attempts - 1))",
      "cfg.backoff_seconds * (2 ** attempts)",
      "retry back-off is backoff_seconds, then doubles (off-by-one)"),
    M("page-max-tries", PG,
      "if attempts < cfg.max_tries and not permanent:",
      "if attempts <= cfg.max_tries and not permanent:",
      "a page is tried max_tries times, then fails (off-by-one)"),
    M("page-permanent", PG,
      "if attempts < cfg.max_tries and not permanent:",
      "if attempts < cfg.max_tries:",
      "a permanent error fails the page at once (dropped)"),
    M("page-bundle-split", PG,
      "alone = pending[: free - 1]\n    rest = pending[free - 1:]",
      "alone = pending[: free]\n    rest = pending[free:]",
      "the bundle goes out in the LAST free message of the window (off-by-one)"),
    M("page-throttle-fits", PG,
      "if len(pending) <= free:",
      "if len(pending) < free:",
      "exactly as many pending pages as free messages go out alone (boundary)"),
    M("page-throttle-window", PG,
      "AND state IN ('sending', 'sent') AND claimed_at > ?",
      "AND state IN ('sending', 'sent') AND claimed_at >= ?",
      "a message sent exactly 15 minutes ago is out of the throttle window (boundary)"),
    M("page-throttle-bundled", PG,
      "WHERE recipient = ? AND bundled_into IS NULL",
      "WHERE recipient = ?",
      "pages bundled into a carrier are not separate messages for the throttle (dropped)"),
    # -- listening ---------------------------------------------------------------------
    M("listen-source-case", MEN,
      'source = _text_field(rec, "source", row, limits.source).lower()',
      'source = _text_field(rec, "source", row, limits.source)',
      "dedupe on (source, external_id) ignores the source's case (dropped)"),
    M("listen-closed-room", MEN,
      'if room.status == "closed":\n        raise RoomNotListening',
      'if room.status == "monitoring":\n        raise RoomNotListening',
      "a closed room no longer listens; a monitoring one does (wrong value)"),
    M("listen-bucket-field", VOL,
      "substr(created_at, 1, 16)",
      "substr(received_at, 1, 16)",
      "minutes are the mentions' own created_at, so a replay keeps its shape (wrong field)"),
    M("listen-first-minute", VOL,
      '" WHERE room_id = ? AND minute >= ? AND minute < ?",',
      '" WHERE room_id = ? AND minute > ? AND minute < ?",',
      "the first undecided minute's count is fed to the detector (boundary)"),
    M("listen-skew", VOL,
      "min(parse_iso(head), minute_of(now))",
      "parse_iso(head)",
      "a post stamped ahead of now does not close the current minute (dropped)"),
    M("spike-armed", SP,
      "if self.armed and self.n and big:",
      "if self.n and big:",
      "one page per spike: no alarm while disarmed (dropped)"),
    M("spike-rearm", SP,
      "if since >= p.refractory_minutes and z < p.rearm_z and onset.storm_over(covered):",
      "if since >= p.refractory_minutes:",
      "the detector re-arms only once the residual is back near normal (dropped)"),
    M("spike-warmup", SP,
      ">= p.warmup_minutes",
      ">= p.warmup_minutes / 10",
      "no alarm during the warm-up (threshold)"),
    M("spike-floor", "warroom/listening/tail.py",
      "return max(floor, self.start + self.excess / self.clusters * math.log(expected))",
      "return self.start + self.excess / self.clusters * math.log(expected)",
      "an adaptive threshold never drops below its floor (dropped)"),
    M("spike-decluster", SP,
      "hit = 1.0 if above and not self.burst_above else 0.0",
      "hit = 1.0 if above else 0.0",
      "a run of surprising buckets counts once for the burst test (dropped)"),
    M("token-limit", TOK,
      "if window_count >= limit:",
      "if window_count > limit:",
      "a token makes at most rate_per_minute requests a minute (off-by-one)"),
    M("token-window-reset", TOK,
      "if window_start is None or window_start != start:",
      "if window_start is None:",
      "a new minute starts a new window (dropped)"),
    M("token-retry-after", TOK,
      "int((start + timedelta(minutes=1) - now).total_seconds() + 0.999)",
      "int((start + timedelta(minutes=1) - now).total_seconds())",
      "Retry-After rounds up to the window's end (off-by-one)"),
    # -- rooms ----------------------------------------------------------------------------
    M("room-require-open", ROOM,
      'if room.status == "closed":\n        raise RoomClosedError()',
      'if room.status == "open" and False:\n        raise RoomClosedError()',
      "nothing changes a closed room's record (dropped)"),
    M("room-close-twice", ROOM,
      'if room.status == "closed":\n            raise RoomError("room", "the room is already closed")',
      'if room.status == "monitoring":\n            raise RoomError("room", "the room is already closed")',
      "a room closes once (wrong value)"),
    M("room-open-status", ROOM,
      'if status not in ("monitoring", "open"):',
      'if status not in ("monitoring", "open", "closed"):',
      "a room opens as open or monitoring, never closed (widened)"),
    # -- accounts --------------------------------------------------------------------------
    M("acct-session-expiry", USERS,
      '"SELECT user_id, csrf FROM sessions WHERE id = ? AND expires_at > ?",',
      '"SELECT user_id, csrf FROM sessions WHERE id = ? AND expires_at >= ?",',
      "a session is dead at exactly its expiry (boundary)"),
    M("acct-session-disabled", USERS,
      "if user is None or user.disabled:\n        return None\n    return user, row[1]",
      "if user is None:\n        return None\n    return user, row[1]",
      "a disabled user's session no longer works (dropped)"),
    M("acct-role-rank", USERS,
      "ROLE_RANK[user.role] >= ROLE_RANK[minimum]",
      "ROLE_RANK[user.role] > ROLE_RANK[minimum]",
      "has_role(u, r) means r or above (boundary)"),
    M("acct-role-disabled", USERS,
      "return user is not None and not user.disabled and ROLE_RANK",
      "return user is not None and ROLE_RANK",
      "a disabled user has no role (dropped)"),
    M("acct-role-order", USERS,
      'ROLES = ("viewer", "responder", "approver", "lead", "admin")',
      'ROLES = ("viewer", "responder", "lead", "approver", "admin")',
      "role order admin > lead > approver > responder > viewer (swapped)"),
    M("acct-login-limit", USERS,
      "if n >= limit:",
      "if n > limit:",
      "login is blocked after exactly `limit` failures (off-by-one)"),
    M("acct-login-disabled", USERS,
      "ok = row is not None and not row[2] and matches",
      "ok = row is not None and matches",
      "a disabled user cannot log in (dropped)"),
    # -- postmortem ----------------------------------------------------------------------
    M("pm-percentile", REP,
      "rank = max(1, math.ceil(p / 100 * len(ordered)))",
      "rank = max(1, math.floor(p / 100 * len(ordered)))",
      "p90 is the nearest-rank ceil(0.9 n)-th value (rounding)"),
    M("pm-median", REP,
      "float(statistics.median(values))",
      "float(statistics.median_low(values))",
      "the median of an even count is the mean of the two middle values (wrong function)"),
    M("pm-bundled-sent", REP,
      "COALESCE(p.sent_at, c.sent_at)",
      "p.sent_at",
      "a bundled page counts as sent when its carrier was (wrong field)",
      equivalent="record_sent writes sent_at on the bundled members in the same transaction that"
                 " marks the carrier sent, and nothing else sets a carrier's sent_at, so a member"
                 " has sent_at exactly when its carrier has: the COALESCE never falls through"
                 " (it keeps rows written by older versions right)"),
    M("pm-failed-count", REP,
      '"pages_failed": sum(p["status"] == "failed" for p in pages),',
      '"pages_failed": sum(p["status"] in ("failed", "cancelled") for p in pages),',
      "pages failed counts failed pages, not ones cancelled by the ack (widened)"),
    M("pm-within-target", REP,
      "s <= target * 60)",
      "s < target * 60)",
      "a reply exactly at the target is within it (boundary)"),
    M("pm-histogram", REP,
      'minutes < b["to_minutes"]',
      'minutes <= b["to_minutes"]',
      "histogram bins are [from, to) (boundary)"),
    M("pm-updates", REP,
      '"updates": max(0, (alarms or 1) - 1),',
      '"updates": max(0, (alarms or 1)),',
      "updates are the alarms after the first (off-by-one)"),
    M("pm-breaches", REP,
      'breaches += int(d.get("count") or len(d.get("mention_ids") or []) or 1)',
      "breaches += 1",
      "clock breaches count mentions, not breach events (wrong field)"),
]


# -- the runner -----------------------------------------------------------------------


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def check(mutants: list[Mutant]) -> list[str]:
    """Problems with the list: duplicate ids, files missing, snippets not found exactly once."""
    problems = []
    seen = set()
    for m in mutants:
        if m.id in seen:
            problems.append(f"{m.id}: duplicate id")
        seen.add(m.id)
        path = ROOT / m.file
        if not path.is_file():
            problems.append(f"{m.id}: no file {m.file}")
            continue
        n = path.read_text(encoding="utf-8").count(m.old)
        if n != 1:
            problems.append(f"{m.id}: the old snippet occurs {n} times in {m.file} (must be once)")
        if m.old == m.new:
            problems.append(f"{m.id}: old and new are the same")
    return problems


def run_one(m: Mutant, timeout: float, pycache: Path) -> tuple[str, float]:
    """Apply ``m``, run its package's fast tests, restore. Returns (outcome, seconds)."""
    path = ROOT / m.file
    original = path.read_bytes()
    text = original.decode("utf-8")
    tests = [f"tests/{m.package}", *m.extra]
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "not e2e", "-x", "-q",
           "--no-header", *tests]
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(pycache))
    start = time.monotonic()
    proc = None
    try:
        path.write_text(text.replace(m.old, m.new, 1), encoding="utf-8")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.communicate(timeout=timeout)
            outcome = "survived" if proc.returncode == 0 else "killed"
            if proc.returncode in (2, 3, 4):  # interrupted, internal error, usage error
                outcome = f"killed (pytest exit {proc.returncode})"
            if proc.returncode == 5:
                outcome = "error: no tests collected"
        except subprocess.TimeoutExpired:
            outcome = "killed (timeout)"
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        path.write_bytes(original)
        if path.read_bytes() != original:
            raise SystemExit(f"could not restore {m.file}!")
        # no stale byte-code of the mutated module for the next run
        shutil.rmtree(pycache / str(ROOT).lstrip(os.sep) / "warroom", ignore_errors=True)
    return outcome, time.monotonic() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant (default 180)")
    args = ap.parse_args(argv)

    chosen = MUTANTS
    if args.only:
        known = {m.id for m in MUTANTS}
        unknown = [i for i in args.only if i not in known]
        if unknown:
            print(f"unknown mutant ids: {', '.join(unknown)}", file=sys.stderr)
            return 2
        chosen = [m for m in MUTANTS if m.id in args.only]
    problems = check(chosen)
    if problems:
        print("refusing to run; fix the list first:", *problems, sep="\n  ", file=sys.stderr)
        return 2
    if args.list:
        for m in chosen:
            print(f"{m.id:24} {m.file:34} {m.rule}" + ("  [equivalent]" if m.equivalent else ""))
        return 0

    signal.signal(signal.SIGTERM, _sigterm)
    # also when started with SIGINT ignored (a background job): Ctrl-C restores too
    signal.signal(signal.SIGINT, signal.default_int_handler)
    killed, survived, equivalent_survived = [], [], []
    with tempfile.TemporaryDirectory(prefix="mutants-pyc-") as tmp:
        try:
            for i, m in enumerate(chosen, 1):
                outcome, secs = run_one(m, args.timeout, Path(tmp))
                if outcome.startswith("error"):
                    print(f"[{i}/{len(chosen)}] {m.id}: {outcome}", file=sys.stderr)
                    return 2
                tag = "KILLED  " if outcome.startswith("killed") else "SURVIVED"
                note = "  (equivalent: expected)" if m.equivalent and tag == "SURVIVED" else ""
                print(f"[{i:>2}/{len(chosen)}] {tag} {m.id:24} {secs:5.1f}s  {m.rule}{note}", flush=True)
                if tag == "KILLED  ":
                    killed.append(m)
                elif m.equivalent:
                    equivalent_survived.append(m)
                else:
                    survived.append(m)
        except KeyboardInterrupt:
            print("\ninterrupted; the tree is restored", file=sys.stderr)
            return 130
    total = len(chosen)
    eq = len(equivalent_survived)
    print(f"\nscore: {len(killed)}/{total} killed ({100 * len(killed) / total:.1f}%);"
          f" {eq} equivalent; {len(killed)}/{total - eq} of the non-equivalent"
          f" ({100 * len(killed) / max(total - eq, 1):.1f}%)")
    if survived:
        print("survivors:", " ".join(m.id for m in survived))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
