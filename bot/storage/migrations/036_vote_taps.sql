-- A vote is a toggle. Its tap's update is stored with the vote, in the same transaction, so
-- that a process killed after the vote was written but before the update was marked as being
-- answered (it is then handled again after the restart) finds the tap already applied and
-- gives the same answer, instead of toggling the vote back. No delegate is named: the update
-- id and what the tap did. Rows older than a day are pruned as new taps come.
CREATE TABLE panel_vote_taps (
    update_id   INTEGER PRIMARY KEY,
    voted       INTEGER NOT NULL,
    tapped_at   TEXT NOT NULL
);
CREATE INDEX panel_vote_taps_by_time ON panel_vote_taps(tapped_at);
