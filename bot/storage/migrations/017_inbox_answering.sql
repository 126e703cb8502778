-- An update's handling marks its inbox row just before its first reply goes to Telegram. A row
-- a killed process left so marked may or may not have been answered: it is not handled again
-- (that could answer twice) but recorded here, by id only, and dropped from the inbox.
ALTER TABLE inbox ADD COLUMN answering_since TEXT;  -- NULL: nothing sent for it yet

CREATE TABLE unknown_updates (
    update_id       INTEGER PRIMARY KEY,
    answering_since TEXT NOT NULL,  -- when its first reply went to Telegram
    recorded_at     TEXT NOT NULL
);
