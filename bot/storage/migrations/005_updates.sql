-- Ids of the updates already processed, so that one Telegram re-delivers after a crash is skipped.
-- Pruned after a couple of days: Telegram re-delivers within hours, never days later.
CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at TEXT NOT NULL
);
CREATE INDEX processed_updates_by_time ON processed_updates(processed_at);
