-- Calendar subscriptions: a delegate's personal address of their agenda for one consultation
-- (/cal/<secret>.ics). Only the SHA-256 of the secret is kept, so the database (or a backup)
-- cannot be used to read anyone's agenda; renewing replaces the row, /forget deletes it.
CREATE TABLE calendar_feeds (
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    secret_hash     TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, consultation_id)
);
