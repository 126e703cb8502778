-- Sign-ups for sessions with limited seats (`signup: true` and a `capacity` in sessions.yaml).
-- One row per delegate and session: a seat (seated = 1), or a place on the waiting list, whose
-- order is the order of arrival (the row id). A seat freed goes to the first waiting row in the
-- same transaction that writes the outbox row telling its delegate (one per sign-up row).
CREATE TABLE signups (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    seated          INTEGER NOT NULL CHECK (seated IN (0, 1)),
    created_at      TEXT NOT NULL,
    seated_at       TEXT,
    UNIQUE (user_id, consultation_id, session_id)
);
CREATE INDEX signups_by_session ON signups(consultation_id, session_id, seated, id);
