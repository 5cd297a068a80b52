-- Standing monitors: a brand watched all the time, outside any war room. Its
-- own mentions, per-minute series and detector state accumulate here, so a
-- room it opens starts warm. keywords/sources/oncall are JSON.
CREATE TABLE monitors (
    id INTEGER PRIMARY KEY,
    brand TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '[]',
    sources TEXT NOT NULL DEFAULT '[]',
    playbook_id TEXT NOT NULL,            -- the latest version is pinned when a room opens
    oncall TEXT,                          -- a rotation table (roster.oncall); NULL: [oncall]
    open_room TEXT NOT NULL CHECK (open_room IN ('auto', 'offer')),
    status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE monitor_mentions (
    id INTEGER PRIMARY KEY,
    monitor_id INTEGER NOT NULL REFERENCES monitors (id),
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
    UNIQUE (monitor_id, source, external_id)
);
CREATE INDEX monitor_mentions_created ON monitor_mentions (monitor_id, created_at);

CREATE TABLE monitor_minutes (
    monitor_id INTEGER NOT NULL REFERENCES monitors (id),
    minute TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    negative INTEGER NOT NULL DEFAULT 0,
    score REAL,
    alarm INTEGER,
    PRIMARY KEY (monitor_id, minute)
) WITHOUT ROWID;

-- open_minute: the first minute the monitor's detector has not decided yet.
CREATE TABLE monitor_state (
    monitor_id INTEGER PRIMARY KEY REFERENCES monitors (id),
    open_minute TEXT,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per alarm: the room it opened ('opened'), the offer a lead may
-- accept ('offered' -> 'accepted'; the room waits in status 'monitoring'), or
-- the room of this storm still open, which it joined ('joined').
CREATE TABLE monitor_alarms (
    id INTEGER PRIMARY KEY,
    monitor_id INTEGER NOT NULL REFERENCES monitors (id),
    minute TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    room_id INTEGER REFERENCES rooms (id),
    status TEXT NOT NULL CHECK (status IN ('opened', 'offered', 'accepted', 'joined')),
    created_at TEXT NOT NULL,
    accepted_by TEXT,
    accepted_at TEXT
);
