-- Anonymous rows no longer name their delegate. Session feedback (ratings and comments),
-- recommendations, questions to the bot and helpdesk tickets are linked to their delegate by
-- `author`, a keyed hash of the delegate's id (bot/services/privacy.py) whose key is in the
-- configuration, never in the database: "one rating per delegate", /myfeedback and /forget work,
-- and the database or a backup alone names nobody. A ticket the delegate filed under their name
-- keeps their id (`user_id`): the name is on it anyway. The outbox can now also hold rows for a
-- group chat (`chat_id`), such as the edit that blanks a forgotten delegate's ticket message.
--
-- SQL cannot compute the keyed hash. Each row written before this version is listed in
-- `anonymise_pending` with its delegate's id, and gets a placeholder author; at its next start
-- the bot, which holds the key, writes the real authors, empties `anonymise_pending` and vacuums
-- the file (one transaction; see bot/storage/anonymity.py).
CREATE TABLE anonymise_pending (
    table_name TEXT NOT NULL,
    row_id     INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;

INSERT INTO anonymise_pending SELECT 'session_feedback', id, user_id FROM session_feedback;
INSERT INTO anonymise_pending SELECT 'recommendations', id, user_id FROM recommendations;
INSERT INTO anonymise_pending SELECT 'helpdesk_questions', id, user_id FROM helpdesk_questions;
INSERT INTO anonymise_pending SELECT 'helpdesk_tickets', id, user_id FROM helpdesk_tickets;

-- Which key the authors were written with (a keyed hash of a constant, not the key): a bot
-- started with another key refuses to go on, rather than losing every link without a word.
CREATE TABLE anonymity_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    since       TEXT NOT NULL
);

-- Session feedback: one row per author and session.
CREATE TABLE session_feedback_new (
    id              INTEGER PRIMARY KEY,
    author          TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    rating          INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    attended        INTEGER NOT NULL DEFAULT 1,
    comment         TEXT,
    signed          INTEGER NOT NULL DEFAULT 0,
    signer_name     TEXT,
    hidden          INTEGER NOT NULL DEFAULT 0,
    hidden_by       INTEGER,
    hidden_at       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (author, consultation_id, session_id)
);
INSERT INTO session_feedback_new (id, author, consultation_id, session_id, rating, attended,
                                  comment, signed, signer_name, hidden, hidden_by, hidden_at,
                                  created_at, updated_at)
SELECT id, 'pending:' || id, consultation_id, session_id, rating, attended, comment, signed,
       signer_name, hidden, hidden_by, hidden_at, created_at, updated_at
FROM session_feedback;
DROP TABLE session_feedback;
ALTER TABLE session_feedback_new RENAME TO session_feedback;
CREATE INDEX session_feedback_by_session ON session_feedback(consultation_id, session_id);

CREATE TABLE recommendations_new (
    id              INTEGER PRIMARY KEY,
    author          TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    theme_id        TEXT NOT NULL,
    text            TEXT NOT NULL,
    signed          INTEGER NOT NULL DEFAULT 0,
    signer_name     TEXT,
    hidden          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
INSERT INTO recommendations_new (id, author, consultation_id, theme_id, text, signed,
                                 signer_name, hidden, created_at)
SELECT id, 'pending:' || id, consultation_id, theme_id, text, signed, signer_name, hidden,
       created_at
FROM recommendations;
DROP TABLE recommendations;
ALTER TABLE recommendations_new RENAME TO recommendations;
CREATE INDEX recommendations_by_consultation ON recommendations(consultation_id, theme_id);
CREATE INDEX recommendations_by_author ON recommendations(author, consultation_id);

-- Questions and tickets keep their numbers (AUTOINCREMENT: a number is never given twice, so an
-- old button or ticket number never leads to another delegate's question).
CREATE TABLE helpdesk_questions_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    author          TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    language        TEXT NOT NULL,
    question        TEXT NOT NULL,
    question_key    TEXT NOT NULL DEFAULT '',
    answer_id       TEXT,            -- FAQ id, topic:<id>, session:<id>; NULL when the bot abstained
    kind            TEXT NOT NULL,   -- faq | topic | sessions | none | direct
    score           REAL NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
INSERT INTO sqlite_sequence (name, seq)
SELECT 'helpdesk_questions_new', seq FROM sqlite_sequence WHERE name = 'helpdesk_questions';
INSERT INTO helpdesk_questions_new (id, author, consultation_id, language, question,
                                    question_key, answer_id, kind, score, created_at)
SELECT id, 'pending:' || id, consultation_id, language, question, question_key, answer_id, kind,
       score, created_at
FROM helpdesk_questions;
DROP TABLE helpdesk_questions;
ALTER TABLE helpdesk_questions_new RENAME TO helpdesk_questions;
CREATE INDEX helpdesk_questions_by_kind ON helpdesk_questions(consultation_id, kind, created_at);
CREATE INDEX helpdesk_questions_by_author ON helpdesk_questions(author);

-- user_id: only on a ticket filed under the delegate's name (the relay reaches them by it);
-- an anonymous ticket's delegate is found again through the key (see Helpdesk.reply).
CREATE TABLE helpdesk_tickets_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id      INTEGER NOT NULL UNIQUE REFERENCES helpdesk_questions(id) ON DELETE CASCADE,
    author           TEXT NOT NULL,
    user_id          INTEGER REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id  TEXT NOT NULL,
    language         TEXT NOT NULL,
    question         TEXT NOT NULL,
    display_name     TEXT,           -- NULL: the delegate chose to stay anonymous
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    group_chat_id    INTEGER,
    group_message_id INTEGER,
    created_at       TEXT NOT NULL,
    answered_at      TEXT,
    answered_by      INTEGER,
    answered_by_name TEXT,
    CHECK (user_id IS NULL OR display_name IS NOT NULL)
);
INSERT INTO sqlite_sequence (name, seq)
SELECT 'helpdesk_tickets_new', seq FROM sqlite_sequence WHERE name = 'helpdesk_tickets';
INSERT INTO helpdesk_tickets_new (id, question_id, author, user_id, consultation_id, language,
                                  question, display_name, status, group_chat_id,
                                  group_message_id, created_at, answered_at, answered_by,
                                  answered_by_name)
SELECT id, question_id, 'pending:' || id,
       CASE WHEN display_name IS NULL THEN NULL ELSE user_id END,
       consultation_id, language, question, display_name, status, group_chat_id,
       group_message_id, created_at, answered_at, answered_by, answered_by_name
FROM helpdesk_tickets;
DROP TABLE helpdesk_tickets;
ALTER TABLE helpdesk_tickets_new RENAME TO helpdesk_tickets;
CREATE INDEX helpdesk_tickets_open ON helpdesk_tickets(status, created_at);
CREATE UNIQUE INDEX helpdesk_tickets_by_message
    ON helpdesk_tickets(group_chat_id, group_message_id);
CREATE INDEX helpdesk_tickets_by_user ON helpdesk_tickets(user_id);
CREATE INDEX helpdesk_tickets_by_author ON helpdesk_tickets(author);

-- The outbox: a row goes to a delegate (user_id, deleted with them) or to a group (chat_id).
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL UNIQUE,
    user_id         INTEGER REFERENCES users(user_id) ON DELETE CASCADE,
    chat_id         INTEGER,
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
    updated_at      TEXT NOT NULL,
    CHECK ((user_id IS NULL) != (chat_id IS NULL))
);
INSERT INTO outbox_new (id, kind, key, user_id, consultation_id, subject, payload, due_at,
                        not_before, expires_at, state, attempts, next_attempt_at, reason,
                        sent_at, created_at, updated_at)
SELECT id, kind, key, user_id, consultation_id, subject, payload, due_at, not_before, expires_at,
       state, attempts, next_attempt_at, reason, sent_at, created_at, updated_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(state, due_at);
CREATE INDEX outbox_sendable ON outbox(state, not_before);
CREATE INDEX outbox_expiring ON outbox(state, expires_at);
CREATE INDEX outbox_retrying ON outbox(state, next_attempt_at);
CREATE INDEX outbox_by_user ON outbox(user_id, kind, state);
CREATE INDEX outbox_by_kind ON outbox(kind, state);
CREATE INDEX outbox_by_subject ON outbox(subject);
