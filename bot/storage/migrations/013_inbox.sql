-- Updates received and not yet answered. An update is stored here before Telegram learns it
-- arrived (the next getUpdates' offset, the webhook's 200 OK), so a killed process loses none;
-- it leaves when handling it sent something or ended. The body holds names and texts: it stays
-- only for that while.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,   -- the update's JSON as Telegram sent it
    received_at TEXT NOT NULL,
    interrupted INTEGER NOT NULL DEFAULT 0  -- starts whose process died before it answered
);

-- Updates refused as malformed, each recorded once: the id and why, never the content.
CREATE TABLE skipped_updates (
    update_id  INTEGER PRIMARY KEY,
    reason     TEXT NOT NULL,
    skipped_at TEXT NOT NULL
);
