-- Session feedback (rating and optional comment), the card-open log used to find who attended,
-- prompts already sent (exactly once), what a delegate is typing, the end-of-consultation survey
-- and the recommendations box.
CREATE TABLE session_feedback (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
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
    UNIQUE (user_id, consultation_id, session_id)
);
CREATE INDEX session_feedback_by_session ON session_feedback(consultation_id, session_id);

CREATE TABLE card_opens (
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, consultation_id, session_id)
);
CREATE INDEX card_opens_by_session ON card_opens(consultation_id, session_id);

-- kind 'session' (target: session id) or 'survey' (target: ''); a row is claimed before sending.
CREATE TABLE feedback_prompts (
    kind            TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    target          TEXT NOT NULL,
    user_id         INTEGER NOT NULL,
    claimed_at      TEXT NOT NULL,
    sent_at         TEXT,
    outcome         TEXT,
    PRIMARY KEY (kind, consultation_id, target, user_id)
);

-- Sessions and surveys whose prompts have all been claimed: the tick skips them.
CREATE TABLE feedback_dispatched (
    kind            TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    target          TEXT NOT NULL,
    done_at         TEXT NOT NULL,
    PRIMARY KEY (kind, consultation_id, target)
);

-- The next text message of this delegate is a comment, a survey answer or a recommendation.
CREATE TABLE feedback_awaiting (
    user_id         INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    target          TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);

CREATE TABLE survey_answers (
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    question_id     TEXT NOT NULL,
    answer          TEXT NOT NULL,
    answered_at     TEXT NOT NULL,
    PRIMARY KEY (user_id, consultation_id, question_id)
);

CREATE TABLE recommendations (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    theme_id        TEXT NOT NULL,
    text            TEXT NOT NULL,
    signed          INTEGER NOT NULL DEFAULT 0,
    signer_name     TEXT,
    hidden          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
CREATE INDEX recommendations_by_consultation ON recommendations(consultation_id, theme_id);
