-- Live sessions: the audience's questions to a session's panel, their votes, the session's chairs
-- and the chairs' live messages, and who opened a session lately (its audience).
--
-- An anonymous question stores no user id: its `author` is a keyed hash of the delegate's id
-- scoped to the session (bot/services/privacy.py, Anonymity.pseudonym), so it can be linked
-- neither to the delegate nor to their rows of other sessions or other tables without the key,
-- which is never in the database. A question asked under a name keeps the delegate's id (the
-- name is on it anyway: it is how the approval notice reaches them) and no author.
CREATE TABLE panel_questions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never given twice: old buttons stay safe
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    author          TEXT,                                -- anonymous questions only
    user_id         INTEGER REFERENCES users(user_id) ON DELETE CASCADE,  -- named ones only
    display_name    TEXT,                                -- the name shown; NULL: anonymous
    language        TEXT NOT NULL,                       -- the language it was written in
    text            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'shown', 'answered', 'hidden')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((author IS NULL) != (user_id IS NULL)),
    CHECK ((user_id IS NULL) = (display_name IS NULL))
);
CREATE INDEX panel_questions_by_session ON panel_questions(consultation_id, session_id, status);
CREATE INDEX panel_questions_by_author ON panel_questions(author, created_at);
CREATE INDEX panel_questions_by_user ON panel_questions(user_id, created_at);

-- One vote per delegate and question; the voter is the same scoped keyed hash.
CREATE TABLE panel_votes (
    question_id INTEGER NOT NULL REFERENCES panel_questions(id) ON DELETE CASCADE,
    voter       TEXT NOT NULL,
    PRIMARY KEY (question_id, voter)
) WITHOUT ROWID;
CREATE INDEX panel_votes_by_voter ON panel_votes(voter);

-- The question being asked now, shown at the top of the session's list (one per session).
CREATE TABLE panel_pins (
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    question_id     INTEGER NOT NULL REFERENCES panel_questions(id) ON DELETE CASCADE,
    pinned_at       TEXT NOT NULL,
    PRIMARY KEY (consultation_id, session_id)
) WITHOUT ROWID;

-- Whether a delegate asks under their name by default (their last choice).
CREATE TABLE panel_preferences (
    user_id INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    named   INTEGER NOT NULL CHECK (named IN (0, 1))
);

-- Chairs and moderators named with /chairs or `python -m bot chairs` (those of sessions.yaml's
-- `chairs:` come from the data). Organisers' choices: not deleted by the chair's /forget.
CREATE TABLE session_chairs (
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    user_id         INTEGER NOT NULL,
    added_at        TEXT NOT NULL,
    PRIMARY KEY (consultation_id, session_id, user_id)
) WITHOUT ROWID;

-- Each chair's live message for a session, which the outbox edits (kind panel_board), at most
-- once per few seconds, when questions arrive or votes change.
CREATE TABLE panel_boards (
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    shown           TEXT,            -- a digest of what it shows: an edit changing nothing is skipped
    opened_at       TEXT NOT NULL,
    PRIMARY KEY (consultation_id, session_id, user_id)
) WITHOUT ROWID;

-- A session's recent audience: the last time each delegate opened its card, its door QR code or
-- its questions (polls are offered to them).
CREATE TABLE session_visits (
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (consultation_id, session_id, user_id)
) WITHOUT ROWID;
CREATE INDEX session_visits_by_time ON session_visits(consultation_id, session_id, at);
CREATE INDEX session_visits_by_user ON session_visits(user_id);
