-- One cache for every file the bot uploads from the data directory (a room's map, a speaker's
-- photo, a document): the file_id Telegram gave it, by the SHA-256 of its content, so it is
-- uploaded once and a replaced file is uploaded again. It replaces the three caches each feature
-- had (025, 026, 027); the documents' were kept by name, size and time, not content: their
-- files are uploaded once more.
CREATE TABLE uploaded_files (
    digest      TEXT PRIMARY KEY,
    file_id     TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
INSERT OR IGNORE INTO uploaded_files (digest, file_id, uploaded_at)
    SELECT digest, file_id, uploaded_at FROM photo_file_ids;
INSERT OR IGNORE INTO uploaded_files (digest, file_id, uploaded_at)
    SELECT digest, file_id, stored_at FROM speaker_photos;
DROP TABLE photo_file_ids;
DROP TABLE speaker_photos;
DROP TABLE document_files;
