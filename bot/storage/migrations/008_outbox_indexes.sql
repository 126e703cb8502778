-- The outbox gains the state 'skipped' (a row not worth sending when its time came: planning the
-- same key again must not bring it back, as it does a cancelled row). SQLite cannot change a
-- CHECK constraint, so the table is rebuilt. Also the indexes the delivery tick needs (it looks
-- for rows by not_before, expires_at and next_attempt_at ten times a second) and those the
-- cascades of deleting a delegate (/forget) need, so that neither scans a table.
CREATE TABLE outbox_new (
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
                        ('pending', 'sending', 'sent', 'failed', 'expired', 'cancelled',
                         'skipped', 'unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    reason          TEXT,
    sent_at         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- Rows skipped before this version were stored as cancelled, with the sender's reason.
INSERT INTO outbox_new (id, kind, key, user_id, consultation_id, subject, payload, due_at,
                        not_before, expires_at, state, attempts, next_attempt_at, reason,
                        sent_at, created_at, updated_at)
SELECT id, kind, key, user_id, consultation_id, subject, payload, due_at, not_before, expires_at,
       CASE WHEN state = 'cancelled' AND reason IN ('user gone', 'no longer relevant')
            THEN 'skipped' ELSE state END,
       attempts, next_attempt_at, reason, sent_at, created_at, updated_at
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

-- The tick: rows due (due_at), rows allowed early (not_before), the expiry sweep, the next retry.
CREATE INDEX outbox_pending ON outbox(state, due_at);
CREATE INDEX outbox_sendable ON outbox(state, not_before);
CREATE INDEX outbox_expiring ON outbox(state, expires_at);
CREATE INDEX outbox_retrying ON outbox(state, next_attempt_at);
-- Planning one delegate's rows, reading them, and the cascade when a delegate is deleted.
CREATE INDEX outbox_by_user ON outbox(user_id, kind, state);
CREATE INDEX outbox_by_kind ON outbox(kind, state);
-- Progress of a broadcast or a reminder wave.
CREATE INDEX outbox_by_subject ON outbox(subject);

-- Cascades of deleting a delegate.
CREATE INDEX IF NOT EXISTS recommendations_by_user ON recommendations(user_id, consultation_id);
CREATE INDEX IF NOT EXISTS helpdesk_questions_by_user ON helpdesk_questions(user_id);
CREATE INDEX IF NOT EXISTS helpdesk_tickets_by_user ON helpdesk_tickets(user_id);
