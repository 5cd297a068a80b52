-- Users, war rooms and the event log: the spine every other table hangs on.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'lead', 'approver', 'responder', 'viewer')),
    password_hash TEXT NOT NULL,
    slack_id TEXT UNIQUE,
    tz TEXT NOT NULL DEFAULT 'UTC',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('monitoring', 'open', 'closed')),
    is_drill INTEGER NOT NULL DEFAULT 0,
    owner_id INTEGER REFERENCES users (id),
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    -- the playbook snapshot the room was opened with (text and sha256)
    playbook_id TEXT,
    playbook_version INTEGER,
    playbook_sha256 TEXT,
    playbook_text TEXT
);

-- AUTOINCREMENT: ids are never reused, so "after=N" never skips an event.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id INTEGER REFERENCES rooms (id),
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_room_id ON events (room_id, id);
