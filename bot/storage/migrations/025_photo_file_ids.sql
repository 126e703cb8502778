-- The file_id Telegram gave each picture the bot uploaded (a room's map), by the SHA-256 of the
-- picture's content: sent again by file_id, without uploading it; a changed picture is a new row.
CREATE TABLE photo_file_ids (
    digest      TEXT PRIMARY KEY,
    file_id     TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
