-- The moderators' web view (/mod/): one-time links sent by /dashboard, and the browser
-- sessions they open. Only the SHA-256 of each secret is kept, so the database (or a backup)
-- opens no one's view; a delegate's rows go with their users row (/forget).
CREATE TABLE moderator_web_links (
    token_hash      TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX moderator_web_links_user ON moderator_web_links (user_id);

CREATE TABLE moderator_web_sessions (
    session_hash    TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX moderator_web_sessions_user ON moderator_web_sessions (user_id);
