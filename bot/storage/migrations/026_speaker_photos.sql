-- Speakers' photos as Telegram knows them: uploaded once, then sent by file_id. Keyed by the
-- photo's content (SHA-256), so a photo replaced in the data directory is uploaded anew.
CREATE TABLE speaker_photos (
    digest    TEXT PRIMARY KEY,
    file_id   TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
