-- Organisers' announcements. A row is first a draft (composed in the chat, step by step), then
-- scheduled (a time is set, or "now" from the command line), then sending (its recipients are in
-- the outbox, one row each, written in the same transaction as this state), then done; or
-- cancelled at any point before done. Texts are Telegram HTML, one per language.
CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    created_by          INTEGER,            -- the organiser; NULL from the command line
    origin              TEXT NOT NULL DEFAULT 'chat' CHECK (origin IN ('chat', 'cli')),
    consultation_id     TEXT,               -- NULL: every consultation
    texts               TEXT NOT NULL DEFAULT '{}',
    fallback            TEXT,               -- the language of those who read none of the texts
    media_kind          TEXT CHECK (media_kind IN ('photo', 'document')),
    media_file_id       TEXT,
    audience            TEXT NOT NULL DEFAULT '{"kind": "consultation"}',
    state               TEXT NOT NULL DEFAULT 'draft' CHECK (state IN
                            ('draft', 'scheduled', 'sending', 'done', 'cancelled')),
    awaiting            TEXT,               -- what the organiser's next message is for
    awaiting_until      TEXT,
    scheduled_at        TEXT,
    recipients          INTEGER,
    progress_chat_id    INTEGER,
    progress_message_id INTEGER,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    started_at          TEXT,
    finished_at         TEXT
);
CREATE INDEX broadcasts_by_state ON broadcasts(state, scheduled_at);
CREATE INDEX broadcasts_by_author ON broadcasts(created_by, state);
