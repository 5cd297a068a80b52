-- Who is viewing a room's board: one row per (room, person), refreshed by the
-- board's heartbeat and expired by age. In the database (not in a process)
-- so that every worker behind the load balancer answers the same.
CREATE TABLE presence (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    user_name TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (room_id, user_name)
);
