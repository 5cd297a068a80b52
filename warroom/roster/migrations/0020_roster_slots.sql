-- Shift slots per room and playbook role, and who signed up for them.
CREATE TABLE shift_slots (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    role TEXT NOT NULL,               -- a playbook role, e.g. "Tweep"
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 1),
    UNIQUE (room_id, role, starts_at)
);
CREATE INDEX shift_slots_room_time ON shift_slots (room_id, starts_at);

CREATE TABLE shift_signups (
    id INTEGER PRIMARY KEY,
    slot_id INTEGER NOT NULL REFERENCES shift_slots (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    assigned_by TEXT,                 -- NULL when the volunteer signed up
    created_at TEXT NOT NULL,
    UNIQUE (slot_id, user_id)
);
CREATE INDEX shift_signups_user ON shift_signups (user_id);
