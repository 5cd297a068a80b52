-- Near-duplicate clusters (listening/clusters.py). Every mention of a room
-- is in exactly one cluster (cluster_members, one row per mention). A
-- variant is one distinct normalised text with its MinHash signature
-- (uint32 x 64, 256 bytes): exact copies share a variant, and the LSH index
-- is rebuilt from these rows after a restart. first_at is the earliest
-- created_at among the members (the campaign's first post); reach is the
-- sum of the members' followers.
CREATE TABLE mention_clusters (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    first_mention_id INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    reach INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mention_clusters_room ON mention_clusters (room_id, size);

CREATE TABLE cluster_variants (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    cluster_id INTEGER NOT NULL REFERENCES mention_clusters (id),
    key TEXT NOT NULL,                    -- sha1 hex of the normalised text
    signature BLOB NOT NULL,
    UNIQUE (room_id, key)
);

CREATE TABLE cluster_members (
    mention_id INTEGER PRIMARY KEY,       -- mentions.id (no FK: mentions was rebuilt by 0033)
    room_id INTEGER NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES mention_clusters (id)
);
CREATE INDEX cluster_members_cluster ON cluster_members (cluster_id, mention_id);
