-- The last event id the publisher has sent to Socket.IO, written after each
-- send. On PostgreSQL the host that holds the publisher lock resumes from it
-- when it takes over from a dead one (warroom/election.py). SQLite's single
-- publisher starts from the newest event and leaves this table empty.
CREATE TABLE publisher_cursor (
    name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
