-- Stakeholder updates (internal or public), their e-mail deliveries, each
-- room's e-mail list and the public status page slug. Numbers 0150-0159
-- belong to the updates package.
CREATE TABLE stakeholder_updates (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    audience TEXT NOT NULL CHECK (audience IN ('internal', 'public')),
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'published')),
    is_final INTEGER NOT NULL DEFAULT 0,
    next_update_at TEXT,
    created_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    reject_reason TEXT,
    published_by TEXT,
    published_at TEXT
);
CREATE INDEX stakeholder_updates_room ON stakeholder_updates (room_id, status, id);

-- What was published stays as it was published (the status page and feed
-- readers have it).
CREATE TRIGGER stakeholder_updates_final BEFORE UPDATE ON stakeholder_updates
WHEN OLD.status = 'published'
BEGIN
    SELECT RAISE(ABORT, 'a published update cannot be changed');
END;

CREATE TABLE update_mail_lists (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id),
    addresses TEXT NOT NULL DEFAULT '[]'
);

-- One row per update and address: claimed, sent, recorded (at least once).
CREATE TABLE update_mails (
    id INTEGER PRIMARY KEY,
    update_id INTEGER NOT NULL REFERENCES stakeholder_updates (id),
    address TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0,
    claimed_at TEXT,
    sent_at TEXT,
    error TEXT,
    UNIQUE (update_id, address)
);
CREATE INDEX update_mails_state ON update_mails (state);

CREATE TABLE status_pages (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id),
    slug TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
