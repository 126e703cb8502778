-- A discarded draft's number is never given again: its card may still be in the organiser's
-- chat, and its buttons (bc:<id>:…) must not act on the draft that took its place. SQLite gives
-- max(id) + 1 without AUTOINCREMENT (a table rebuild); the highest number ever given is kept here.
CREATE TABLE broadcast_last_id (id INTEGER NOT NULL);
INSERT INTO broadcast_last_id (id) SELECT COALESCE(MAX(id), 0) FROM broadcasts;
CREATE TRIGGER broadcasts_remember_ids AFTER DELETE ON broadcasts
BEGIN
    UPDATE broadcast_last_id SET id = MAX(id, OLD.id);
END;
