-- Delivery: the outbox of messages the bot sends on its own (reminders, countdowns, digests,
-- agenda changes, later broadcasts), each delegate's reminder settings, and the change log.

-- One row per message and recipient. `key` makes planning idempotent: planning the same
-- reminder twice finds the row already there. State: pending -> sending -> sent | failed |
-- expired | cancelled, and unknown for a row a crash left in `sending` (never resent).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL UNIQUE,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT,
    subject         TEXT,
    payload         TEXT NOT NULL DEFAULT '{}',
    due_at          TEXT NOT NULL,
    not_before      TEXT NOT NULL,
    expires_at      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
                        ('pending', 'sending', 'sent', 'failed', 'expired', 'cancelled', 'unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    reason          TEXT,
    sent_at         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox(state, due_at);
CREATE INDEX outbox_by_kind ON outbox(kind, state);
CREATE INDEX outbox_by_subject ON outbox(subject);

-- Reminder lead in minutes (0: off; no row: the default), and the morning digest.
CREATE TABLE user_settings (
    user_id       INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    reminder_lead INTEGER,
    digest        INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL
);

-- Each reload that changed a consultation's programme, and what changed per session.
CREATE TABLE change_batches (
    id              INTEGER PRIMARY KEY,
    consultation_id TEXT NOT NULL,
    source          TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX change_batches_by_consultation ON change_batches(consultation_id, id);

CREATE TABLE session_changes (
    batch_id   INTEGER NOT NULL REFERENCES change_batches(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    kinds      TEXT NOT NULL,
    old        TEXT,
    new        TEXT,
    PRIMARY KEY (batch_id, session_id)
);
