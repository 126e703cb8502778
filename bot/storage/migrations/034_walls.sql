-- Room screens (/wall/<secret>): a projector's page of one session, or of whatever is on in one
-- room, with its audience's top questions and the open poll's results. One secret address per
-- session or room; only its SHA-256 is kept (as for calendar addresses, migration 033), so the
-- database or a backup cannot open a screen; renewing replaces the row and the old address
-- stops at once. Who asked for it is not kept: the screen belongs to the session or room.
CREATE TABLE walls (
    consultation_id TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('session', 'room')),
    target          TEXT NOT NULL,           -- the session's id, or the room's
    secret_hash     TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (consultation_id, kind, target)
) WITHOUT ROWID;
