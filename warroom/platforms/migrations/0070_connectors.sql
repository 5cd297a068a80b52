-- Platform connectors: an account on a platform listening into a room (or,
-- later, a standing monitor: monitor_id is left for that branch), the reply
-- reference of every mention a connector stored, and the publishing outbox.
CREATE TABLE connectors (
    id INTEGER PRIMARY KEY,
    room_id INTEGER REFERENCES rooms (id),
    monitor_id INTEGER,                       -- a standing monitor's; NULL for a room's
    platform TEXT NOT NULL,                   -- the mentions' source: mastodon, facebook, bluesky
    name TEXT NOT NULL,                       -- display name, e.g. "@brand@mastodon.social"
    settings TEXT NOT NULL DEFAULT '{}',      -- non-secret JSON (instance URL, page id, hashtags)
    secrets TEXT NOT NULL,                    -- Fernet token of the credentials' JSON (crypto.Vault)
    cursor TEXT,                              -- the platform's position after the last stored batch
    state TEXT NOT NULL DEFAULT 'connected' CHECK (state IN ('connected', 'error', 'stopped')),
    last_post_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    max_length INTEGER,                       -- the platform's reply limit, as last read from it
    limit_unit TEXT CHECK (limit_unit IN ('characters', 'graphemes')),
    posts INTEGER NOT NULL DEFAULT 0,         -- stored as mentions
    duplicates INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,       -- malformed items dropped
    errors INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL,
    CHECK (room_id IS NOT NULL OR monitor_id IS NOT NULL)
);
CREATE INDEX connectors_room ON connectors (room_id);

-- Which connector a mention came from and what it needs to reply to it.
CREATE TABLE mention_sources (
    mention_id INTEGER PRIMARY KEY,
    connector_id INTEGER NOT NULL REFERENCES connectors (id),
    reply_ref TEXT NOT NULL                   -- JSON, the Post's reply_ref
);
CREATE INDEX mention_sources_connector ON mention_sources (connector_id);

-- The outbox: one delivery per published reply whose mention has a connector.
-- The key is fixed when the row is made, before the first attempt.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL UNIQUE,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    mention_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL REFERENCES connectors (id),
    text TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'posted', 'failed', 'posted_by_hand')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claim_token TEXT,
    claimed_at TEXT,
    external_id TEXT,
    url TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    posted_at TEXT,
    marked_by TEXT                            -- the lead who marked it posted by hand
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_room ON deliveries (room_id);
