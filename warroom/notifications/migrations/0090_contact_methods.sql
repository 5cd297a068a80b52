-- Each person's ways of being reached, the rules that say which of them a
-- page uses at which minute, and quiet hours (which never hold back a page).
CREATE TABLE contact_methods (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('slack', 'email', 'ntfy', 'teams', 'webhook', 'sms', 'voice')),
    address TEXT NOT NULL,              -- Slack user id, e-mail address, ntfy topic, URL or E.164 number
    label TEXT NOT NULL DEFAULT '',
    verified_at TEXT,                   -- NULL: not usable by a rule yet
    code_hash TEXT,                     -- sha256 of the pending verification code
    code_expires_at TEXT,
    code_tries INTEGER NOT NULL DEFAULT 0,
    last_test_at TEXT,
    last_test_outcome TEXT,             -- "ok" or the error
    created_at TEXT NOT NULL,
    UNIQUE (user_id, kind, address)
);

CREATE TABLE notification_rules (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    method_id INTEGER NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
    after_minutes INTEGER NOT NULL CHECK (after_minutes BETWEEN 0 AND 1440),
    created_at TEXT NOT NULL,
    UNIQUE (user_id, method_id, after_minutes)
);
CREATE INDEX notification_rules_user ON notification_rules (user_id, after_minutes);

CREATE TABLE notification_prefs (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    quiet_start TEXT,                   -- "HH:MM" in the person's time zone, or NULL
    quiet_end TEXT
);
