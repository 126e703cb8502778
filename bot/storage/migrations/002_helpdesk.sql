-- Free-text questions, answer votes and the organisers' helpdesk tickets with relayed replies.
CREATE TABLE helpdesk_questions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    language        TEXT NOT NULL,
    question        TEXT NOT NULL,
    answer_id       TEXT,            -- FAQ id, topic:<id>, session:<id>; NULL when the bot abstained
    kind            TEXT NOT NULL,   -- faq | topic | sessions | none | direct
    score           REAL NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
CREATE INDEX helpdesk_questions_by_kind ON helpdesk_questions(consultation_id, kind, created_at);

CREATE TABLE helpdesk_votes (
    question_id INTEGER PRIMARY KEY REFERENCES helpdesk_questions(id) ON DELETE CASCADE,
    helpful     INTEGER NOT NULL,
    voted_at    TEXT NOT NULL
);

CREATE TABLE helpdesk_tickets (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id      INTEGER NOT NULL UNIQUE REFERENCES helpdesk_questions(id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
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
    answered_by_name TEXT
);
CREATE INDEX helpdesk_tickets_open ON helpdesk_tickets(status, created_at);
CREATE UNIQUE INDEX helpdesk_tickets_by_message ON helpdesk_tickets(group_chat_id, group_message_id);

CREATE TABLE helpdesk_replies (
    group_chat_id    INTEGER NOT NULL,
    group_message_id INTEGER NOT NULL,
    ticket_id        INTEGER NOT NULL REFERENCES helpdesk_tickets(id) ON DELETE CASCADE,
    organiser_id     INTEGER NOT NULL,
    organiser_name   TEXT NOT NULL DEFAULT '',
    text             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (group_chat_id, group_message_id)
);
