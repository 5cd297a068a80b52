-- RSS/Atom feeds polled into a room's mentions, with the validators the
-- server gave last time (sent back as If-None-Match / If-Modified-Since).
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    url TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '',    -- extra keywords, comma-separated
    etag TEXT,
    modified TEXT,
    last_polled_at TEXT,
    last_status INTEGER,
    last_error TEXT,
    polls INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (room_id, url)
);
