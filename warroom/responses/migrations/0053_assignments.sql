-- A lead gives a mention to a person (issue 14: routing and assignment).
-- The target is a mention or, later, a near-duplicate cluster: cluster_id is
-- here so that clusters can be assigned without another table; it is not a
-- foreign key (the clusters table belongs to listening and may be migrated
-- after this file), and nothing writes it yet. Exactly one target per row,
-- and at most one assignee per target (the partial unique indexes).
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    mention_id INTEGER,
    cluster_id INTEGER,
    user_id INTEGER NOT NULL REFERENCES users (id),
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    CHECK ((mention_id IS NULL) <> (cluster_id IS NULL))
);
CREATE UNIQUE INDEX assignments_mention ON assignments (mention_id) WHERE mention_id IS NOT NULL;
CREATE UNIQUE INDEX assignments_cluster ON assignments (cluster_id) WHERE cluster_id IS NOT NULL;
CREATE INDEX assignments_room ON assignments (room_id);
CREATE INDEX assignments_user ON assignments (user_id);
