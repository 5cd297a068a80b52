-- Lessons learned, written by the lead on the board; every save is a new
-- version (never updated in place), so the post-mortem shows who wrote what when.
CREATE TABLE postmortem_lessons (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (room_id, version)
);
