-- End-of-day snapshots filed by date first.
--
-- equity_snapshots was keyed (account_id, snap_date): each day's run, one
-- row per account, landed in every page of the key's index, so its cost
-- grew with the history. Keyed (snap_date, account_id), a day's keys are
-- appended together at the end, and the rows a run or a refresh reads
-- (one date, every account) sit side by side.
--
-- equity_snapshot_days lists the dates that have snapshots: an account's
-- history is read by walking them and looking up (date, account) by key,
-- and "the newest snapshot at or before a date" is one lookup in it. Every
-- run writes a row for every account, so the previous run's date is where
-- each account's previous snapshot is.
--
-- equity_snapshot_runs counts runs (one row): readers that keep histories
-- in memory compare it to know whether any date was written since.
--
-- The reference to accounts goes: rows come only from the accounts table,
-- in the statement that writes them, and its check was a trigger per row.

-- +goose Up
ALTER TABLE equity_snapshots DROP CONSTRAINT equity_snapshots_account_id_fkey;
ALTER TABLE equity_snapshots DROP CONSTRAINT equity_snapshots_pkey;
ALTER TABLE equity_snapshots ADD PRIMARY KEY (snap_date, account_id);

CREATE TABLE equity_snapshot_days (
    snap_date TEXT COLLATE "C" PRIMARY KEY
);
INSERT INTO equity_snapshot_days (snap_date) SELECT DISTINCT snap_date FROM equity_snapshots;

CREATE TABLE equity_snapshot_runs (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    runs BIGINT NOT NULL
);
INSERT INTO equity_snapshot_runs (id, runs) VALUES (1, 0);

-- Boards now keep only the lines that can be read (the first 500).
DELETE FROM leaderboard_entries WHERE place > 500;

-- +goose Down
DROP TABLE equity_snapshot_runs;
DROP TABLE equity_snapshot_days;
ALTER TABLE equity_snapshots DROP CONSTRAINT equity_snapshots_pkey;
ALTER TABLE equity_snapshots ADD PRIMARY KEY (account_id, snap_date);
ALTER TABLE equity_snapshots ADD CONSTRAINT equity_snapshots_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
