-- Server-side sessions (logout and disabling a user end them at once) and
-- failed logins, for rate limiting.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,           -- sha256 of the token kept in the cookie
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,             -- "name:<name>" or "ip:<address>"
    at TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
