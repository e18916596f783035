-- End-of-day snapshots filed by date first.
--
-- equity_snapshots was keyed (account_id, snap_date): each day's run, one
-- row per account, landed in every page of the table, so its cost grew
-- with the history. Keyed (snap_date, account_id), a day's rows are
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

-- +goose Up
ALTER TABLE equity_snapshots DROP PRIMARY KEY, ADD PRIMARY KEY (snap_date, account_id);

CREATE TABLE equity_snapshot_days (
    snap_date VARCHAR(10) NOT NULL PRIMARY KEY
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO equity_snapshot_days (snap_date) SELECT DISTINCT snap_date FROM equity_snapshots;

CREATE TABLE equity_snapshot_runs (
    id   BIGINT NOT NULL PRIMARY KEY,
    runs BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO equity_snapshot_runs (id, runs) VALUES (1, 0);

-- Boards now keep only the lines that can be read (the first 500).
DELETE FROM leaderboard_entries WHERE place > 500;

-- +goose Down
DROP TABLE equity_snapshot_runs;
DROP TABLE equity_snapshot_days;
ALTER TABLE equity_snapshots DROP PRIMARY KEY, ADD PRIMARY KEY (account_id, snap_date);
