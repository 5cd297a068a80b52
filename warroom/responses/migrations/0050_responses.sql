-- The response workflow: claims on mentions, drafts through approval,
-- immutable published replies, response clocks, and the versioned fact sheet.
-- mention_id is not a foreign key: the mentions table belongs to the
-- listening module and may be migrated after this file.

-- One row per claimed mention; the primary key is what makes a claim atomic.
CREATE TABLE mention_claims (
    mention_id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    user_name TEXT NOT NULL,
    claimed_at TEXT NOT NULL
);
CREATE INDEX mention_claims_room ON mention_claims (room_id);

CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    mention_id INTEGER,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'published')),
    fact_ids TEXT NOT NULL DEFAULT '[]',      -- JSON list of fact ids the composer inserted
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    decided_by TEXT,
    decided_at TEXT,
    reject_reason TEXT,
    override_by TEXT,                         -- a lead who overrode blocking lint findings
    override_reason TEXT,
    approval_paged_at TEXT                    -- set once the approval timeout paged someone
);
CREATE INDEX drafts_room_status ON drafts (room_id, status);
CREATE INDEX drafts_mention ON drafts (mention_id);

-- Published replies: final text, who and when. Never updated or deleted.
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    draft_id INTEGER NOT NULL UNIQUE REFERENCES drafts (id),
    mention_id INTEGER,
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    approved_by TEXT,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    clock_seconds REAL                        -- mention arrival to this reply, if first
);
CREATE INDEX responses_room ON responses (room_id, id);
CREATE INDEX responses_mention ON responses (mention_id);

CREATE TRIGGER responses_immutable BEFORE UPDATE ON responses
BEGIN
    SELECT RAISE(ABORT, 'published responses are immutable');
END;

CREATE TRIGGER responses_undeletable BEFORE DELETE ON responses
BEGIN
    SELECT RAISE(ABORT, 'published responses are immutable');
END;

-- A mention's clock breached once: the row is the "once".
CREATE TABLE clock_breaches (
    mention_id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    breached_at TEXT NOT NULL
);

-- The fact sheet: confirmed facts and the holding statement, versioned.
CREATE TABLE facts (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    kind TEXT NOT NULL CHECK (kind IN ('fact', 'holding')),
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX facts_room ON facts (room_id);

CREATE TABLE fact_versions (
    fact_id INTEGER NOT NULL REFERENCES facts (id),
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (fact_id, version)
);

-- Which fact versions a published reply relied on.
CREATE TABLE response_facts (
    response_id INTEGER NOT NULL REFERENCES responses (id),
    fact_id INTEGER NOT NULL REFERENCES facts (id),
    version INTEGER NOT NULL,
    PRIMARY KEY (response_id, fact_id)
);
CREATE INDEX response_facts_fact ON response_facts (fact_id, version);
