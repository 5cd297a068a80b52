-- Drills: a drill room's replay, and whether it may page real people.
CREATE TABLE drills (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id),
    playbook_id TEXT,
    file TEXT NOT NULL,
    speed REAL,                     -- NULL: as fast as possible
    page_real INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    mentions INTEGER NOT NULL DEFAULT 0,
    spikes INTEGER NOT NULL DEFAULT 0
);
