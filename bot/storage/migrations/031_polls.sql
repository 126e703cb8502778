-- Quick polls during a live session: a chair writes the question and its options in one or more
-- languages, opens the poll to the session's recent audience (one outbox row each), and closes
-- it by a button or after a number of minutes. Delegates answer with buttons.
CREATE TABLE polls (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id     TEXT NOT NULL,
    session_id          TEXT NOT NULL,
    created_by          INTEGER,
    kind                TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'scale')),
    -- The first language written: readers of a language without a text get this one.
    language            TEXT NOT NULL,
    state               TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
    -- The language whose text the chair's next message is (while composing), and until when.
    awaiting            TEXT,
    awaiting_until      TEXT,
    close_after_minutes INTEGER,
    close_at            TEXT,
    created_at          TEXT NOT NULL,
    opened_at           TEXT,
    closed_at           TEXT
);
CREATE INDEX polls_by_session ON polls(consultation_id, session_id, id);
CREATE INDEX polls_closing ON polls(state, close_at);

-- The question and the options' labels (a JSON array; none for a 1–5 scale) in one language;
-- every language has as many options as the first.
CREATE TABLE poll_texts (
    poll_id  INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    question TEXT NOT NULL,
    options  TEXT NOT NULL,
    PRIMARY KEY (poll_id, language)
);

-- Who the poll was sent to (the audience when it opened), the message it arrived as (to show
-- the results in it when it closes), and whether they answered (multiple choice: tapped Done).
CREATE TABLE poll_recipients (
    poll_id    INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    message_id INTEGER,
    answered   INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    PRIMARY KEY (poll_id, user_id)
) WITHOUT ROWID;

-- One row per option chosen: the key makes a tap counted once, however many arrive at once.
CREATE TABLE poll_answers (
    poll_id     INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    option      INTEGER NOT NULL CHECK (option >= 0),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (poll_id, user_id, option)
) WITHOUT ROWID;
CREATE INDEX poll_answers_by_user ON poll_answers(user_id);
CREATE INDEX poll_recipients_by_user ON poll_recipients(user_id);
