-- The programme as delegates were last told of it, one row per consultation: at start and at
-- each reload the data loaded is compared with it, and the difference is announced once (the
-- change batch, its messages and the new row are written in one transaction). A consultation
-- without a row takes the programme first seen silently: on a new database, for a new
-- consultation, and on the first start after this migration, whose data is the best account
-- left of the programme the bot ran on.
CREATE TABLE announced_programmes (
    consultation_id TEXT PRIMARY KEY,
    sessions        TEXT NOT NULL,  -- JSON list, in programme order: {id, start, end, title, room, default}
    updated_at      TEXT NOT NULL
);
