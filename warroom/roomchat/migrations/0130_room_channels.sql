-- Each war room's own Slack channel, who was invited to it, and how far the
-- room's events have been posted there (a per-room cursor with a claim, so a
-- post cut off by a crash is looked up before it is sent again).
CREATE TABLE room_channels (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id),
    channel_id TEXT NOT NULL,
    name TEXT NOT NULL,
    how TEXT NOT NULL CHECK (how IN ('created', 'linked')),
    linked_at TEXT NOT NULL,
    posted_through INTEGER NOT NULL DEFAULT 0,  -- the room's last event id handled
    pending_event INTEGER,                      -- claimed: maybe sent, not yet recorded
    pending_token TEXT,
    pending_at TEXT,
    last_error TEXT
);

CREATE TABLE room_channel_invites (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    slack_id TEXT NOT NULL,
    invited_at TEXT NOT NULL,
    outcome TEXT NOT NULL,                      -- "invited", "already in channel" or the error
    PRIMARY KEY (room_id, user_id)
);
