-- An ingestion token posts into one room or one monitor. room_id becomes
-- nullable, so the table is rebuilt (as 0033 did for mentions) with its ids.
CREATE TABLE ingest_tokens_new (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    room_id INTEGER REFERENCES rooms (id),
    monitor_id INTEGER REFERENCES monitors (id),
    token_hash TEXT NOT NULL UNIQUE,
    rate_per_minute INTEGER,
    window_start TEXT,
    window_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT,
    revoked_at TEXT,
    CHECK ((room_id IS NULL) != (monitor_id IS NULL))
);
INSERT INTO ingest_tokens_new (id, source, room_id, token_hash, rate_per_minute, window_start,
                               window_count, created_at, created_by, revoked_at)
SELECT id, source, room_id, token_hash, rate_per_minute, window_start, window_count,
       created_at, created_by, revoked_at
FROM ingest_tokens;
DROP TABLE ingest_tokens;
ALTER TABLE ingest_tokens_new RENAME TO ingest_tokens;
