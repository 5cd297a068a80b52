-- The runbook package (migrations 0120-0129): a room's checklist ticks and
-- the once-only notices of its scheduler tick.

-- One row per checklist item someone has marked; unticking deletes it (the
-- events keep the history). item is the item's number in the pinned playbook.
CREATE TABLE checklist_ticks (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    item INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('done', 'skipped')),
    by_user TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (room_id, item)
);

-- kind: 'overdue' (key: item number), 'reminder' and 'missed' (key:
-- rhythm number and due time). Inserted with the event, so each is once.
CREATE TABLE runbook_notices (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (room_id, kind, key)
);
