-- Documents of the data files (`documents:` with a `file`) are uploaded to Telegram once, then
-- sent by the file_id Telegram gave them. `fingerprint` (the file's path, size and modification
-- time when it was uploaded) tells a file replaced since: it is uploaded again.
CREATE TABLE document_files (
    consultation_id TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    PRIMARY KEY (consultation_id, document_id)
);
