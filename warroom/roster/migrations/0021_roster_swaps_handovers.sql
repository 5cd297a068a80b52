-- Roster: swap proposals, hand-over notes, once-only notices (reminders and
-- hand-over prompts survive restarts without repeating), calendar feed tokens.
CREATE TABLE shift_swaps (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    slot_id INTEGER NOT NULL REFERENCES shift_slots (id) ON DELETE CASCADE,
    proposer_id INTEGER NOT NULL REFERENCES users (id),
    target_id INTEGER NOT NULL REFERENCES users (id),
    -- NULL: the target simply takes the proposer's place (cover)
    target_slot_id INTEGER REFERENCES shift_slots (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'declined', 'cancelled')),
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX shift_swaps_target ON shift_swaps (target_id, status);

CREATE TABLE handover_notes (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    slot_id INTEGER NOT NULL REFERENCES shift_slots (id) ON DELETE CASCADE,
    -- the next shift of the same role, whose people read it first
    for_slot_id INTEGER REFERENCES shift_slots (id) ON DELETE SET NULL,
    author_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    open_items TEXT NOT NULL DEFAULT '[]',   -- JSON list of strings
    promises TEXT NOT NULL DEFAULT '[]',     -- JSON list of strings
    created_at TEXT NOT NULL
);
CREATE INDEX handover_notes_for ON handover_notes (for_slot_id);
CREATE INDEX handover_notes_room ON handover_notes (room_id, created_at);

CREATE TABLE roster_notices (
    kind TEXT NOT NULL,              -- 'reminder' | 'handover' | 'oncall'
    key TEXT NOT NULL,               -- slot id, or the turn start for on-call
    user_id INTEGER NOT NULL REFERENCES users (id),
    sent_at TEXT NOT NULL,
    PRIMARY KEY (kind, key, user_id)
);

CREATE TABLE feed_tokens (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,  -- sha256 of the secret in the feed URL
    created_at TEXT NOT NULL
);
