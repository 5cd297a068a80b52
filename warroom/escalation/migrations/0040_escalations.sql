-- Escalations (one open per room at a time), the pages they send, and the
-- notifier's cursor over the event log.
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    reason TEXT NOT NULL,                 -- "spike", "manual", ...
    detail TEXT NOT NULL DEFAULT '{}',    -- JSON: the numbers of the latest alarm
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'exhausted')),
    policy TEXT NOT NULL,                 -- JSON snapshot: steps and repeat
    opened_by TEXT,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    alarms INTEGER NOT NULL DEFAULT 1,
    -- the next step to issue: cycle (0..repeat), index, and when it is due
    next_cycle INTEGER NOT NULL DEFAULT 0,
    next_step INTEGER NOT NULL DEFAULT 0,
    next_at TEXT,                         -- NULL: no step left to issue
    cycle_started_at TEXT NOT NULL,
    acked_by TEXT,
    acked_at TEXT
);
CREATE INDEX escalations_room_state ON escalations (room_id, state);
CREATE INDEX escalations_next ON escalations (state, next_at);

-- One row per recipient of a step. States:
-- due -> sending -> sent | due (retry with back-off) | failed
-- due -> held (per-person throttle) -> due/bundled; due|held -> cancelled (ack)
-- bundled: carried by the message of page `bundled_into`.
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    cycle INTEGER NOT NULL,
    step INTEGER NOT NULL,
    target TEXT NOT NULL,                 -- the policy's spec, e.g. "role:Lead"
    recipient TEXT NOT NULL,              -- "user:NAME", "channel:#NAME" or "nobody"
    slack_dest TEXT,                      -- Slack user id or channel name/id
    state TEXT NOT NULL CHECK (state IN
        ('due', 'sending', 'sent', 'failed', 'held', 'bundled', 'cancelled')),
    due_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    send_key TEXT NOT NULL UNIQUE,        -- carried in the Slack message metadata
    claim_token TEXT,
    claimed_at TEXT,
    sent_at TEXT,
    via TEXT,                             -- "slack" or "log"
    slack_channel TEXT,
    slack_ts TEXT,
    bundled_into INTEGER REFERENCES pages (id),
    last_error TEXT,
    loop_state TEXT,                      -- NULL | 'pending' | 'done': ack told to this page
    created_at TEXT NOT NULL
);
CREATE INDEX pages_state_due ON pages (state, due_at);
CREATE INDEX pages_escalation ON pages (escalation_id);
CREATE INDEX pages_recipient ON pages (recipient, claimed_at);

CREATE TABLE notifier_cursor (
    name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
