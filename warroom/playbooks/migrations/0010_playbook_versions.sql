-- Every playbook version this installation has seen: immutable rows (a
-- trigger refuses updates and deletes), keyed by (playbook_id, version).
-- Rooms keep their own snapshot (rooms.playbook_text), so a room never
-- depends on this table to know what it was opened with.
CREATE TABLE playbook_versions (
    id INTEGER PRIMARY KEY,
    playbook_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,             -- the file it was imported from, or "editor"
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (playbook_id, version)
);
CREATE INDEX playbook_versions_sha ON playbook_versions (playbook_id, sha256);

CREATE TRIGGER playbook_versions_no_update BEFORE UPDATE ON playbook_versions
BEGIN
    SELECT RAISE(ABORT, 'playbook versions are immutable');
END;

CREATE TRIGGER playbook_versions_no_delete BEFORE DELETE ON playbook_versions
BEGIN
    SELECT RAISE(ABORT, 'playbook versions are immutable');
END;
