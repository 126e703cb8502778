-- Delegates and their choices, personal agendas, and roles granted from the command line.
CREATE TABLE users (
    user_id         INTEGER PRIMARY KEY,
    language        TEXT,
    consultation_id TEXT,
    first_name      TEXT NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE bookmarks (
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, consultation_id, session_id)
);
CREATE INDEX bookmarks_by_session ON bookmarks(consultation_id, session_id);

CREATE TABLE roles (
    user_id    INTEGER NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('organiser', 'moderator')),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
