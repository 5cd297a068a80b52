-- Mentions (one row per post, unique per source), the per-minute series of
-- each room with the spike detector's decision, the detector's saved state,
-- and the bearer tokens that let a source post into one room.
CREATE TABLE mentions (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    lang TEXT,
    followers INTEGER,
    sentiment REAL NOT NULL,
    sentiment_label TEXT NOT NULL CHECK (sentiment_label IN ('negative', 'neutral', 'positive')),
    UNIQUE (source, external_id)
);
CREATE INDEX mentions_room_id ON mentions (room_id, id);

-- minute: the mention's created_at truncated to the minute (ISO, Z).
-- score/expected/alarm are filled when the detector closes the minute.
CREATE TABLE mention_minutes (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    minute TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    negative INTEGER NOT NULL DEFAULT 0,
    score REAL,
    expected REAL,
    alarm INTEGER,
    PRIMARY KEY (room_id, minute)
) WITHOUT ROWID;

-- open_minute: the first minute the detector has not decided yet.
CREATE TABLE spike_state (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id),
    open_minute TEXT,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ingest_tokens (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    token_hash TEXT NOT NULL UNIQUE,      -- sha256 hex of the bearer token
    rate_per_minute INTEGER,              -- NULL: [ingest] requests_per_minute
    window_start TEXT,                    -- fixed one-minute rate window
    window_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT,
    revoked_at TEXT
);
