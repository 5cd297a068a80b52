-- A page to a person with notification rules becomes one delivery per rule:
-- each method claimed, sent, recorded and looked up after a crash on its own.
-- due -> sending -> sent | due (retry with back-off) | failed; due -> cancelled (ack)
CREATE TABLE page_deliveries (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages (id),
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    recipient TEXT NOT NULL,              -- "user:NAME"
    method_id INTEGER NOT NULL,           -- contact_methods.id when expanded (kind and address are snapshots)
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    after_minutes INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('due', 'sending', 'sent', 'failed', 'cancelled')),
    due_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    send_key TEXT NOT NULL UNIQUE,        -- carried in the message where the service lets us look it up
    claim_token TEXT,
    claimed_at TEXT,
    sent_at TEXT,
    ref TEXT,                             -- the service's id for the message (Slack "channel ts", Twilio sid...)
    last_error TEXT,
    loop_state TEXT,                      -- NULL | 'pending' | 'done': told who acknowledged
    created_at TEXT NOT NULL,
    UNIQUE (page_id, method_id, after_minutes)
);
CREATE INDEX page_deliveries_state_due ON page_deliveries (state, due_at);
CREATE INDEX page_deliveries_page ON page_deliveries (page_id);
CREATE INDEX page_deliveries_recipient ON page_deliveries (recipient, state);

-- A short code per page, for acknowledging by SMS reply.
ALTER TABLE pages ADD COLUMN ack_code TEXT;
CREATE INDEX pages_ack_code ON pages (ack_code);

-- Signed ack links are single-use: the page of a link once used.
CREATE TABLE ack_links_used (
    page_id INTEGER PRIMARY KEY REFERENCES pages (id),
    used_at TEXT NOT NULL,
    outcome TEXT NOT NULL
);
