-- End-of-day snapshots filed by date first.
--
-- equity_snapshots was keyed (account_id, snap_date): each day's run, one
-- row per account, landed in every page of the table, so its cost grew
-- with the history. Keyed (snap_date, account_id), a day's rows are
-- appended together at the end, and the rows a run or a refresh reads
-- (one date, every account in id order) sit side by side.
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
-- in the statement that writes them, and checking it cost a lookup per row.

-- +goose Up
CREATE TABLE equity_snapshots_by_date (
    account_id     TEXT NOT NULL,
    snap_date      TEXT NOT NULL,
    cash           TEXT NOT NULL,
    holdings_value TEXT NOT NULL,
    equity         TEXT NOT NULL,
    net_flow       TEXT NOT NULL,
    flow_total     TEXT NOT NULL,
    twr_index      TEXT NOT NULL,
    taken_at       DATETIME NOT NULL,
    PRIMARY KEY (snap_date, account_id)
) WITHOUT ROWID;
INSERT INTO equity_snapshots_by_date (account_id, snap_date, cash, holdings_value, equity, net_flow, flow_total, twr_index, taken_at)
SELECT account_id, snap_date, cash, holdings_value, equity, net_flow, flow_total, twr_index, taken_at
FROM equity_snapshots ORDER BY snap_date, account_id;
DROP TABLE equity_snapshots;
ALTER TABLE equity_snapshots_by_date RENAME TO equity_snapshots;

CREATE TABLE equity_snapshot_days (
    snap_date TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO equity_snapshot_days (snap_date) SELECT DISTINCT snap_date FROM equity_snapshots;

CREATE TABLE equity_snapshot_runs (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    runs INTEGER NOT NULL
);
INSERT INTO equity_snapshot_runs (id, runs) VALUES (1, 0);

-- Boards now keep only the lines that can be read (the first 500).
DELETE FROM leaderboard_entries WHERE place > 500;

-- +goose Down
DROP TABLE equity_snapshot_runs;
DROP TABLE equity_snapshot_days;
CREATE TABLE equity_snapshots_by_account (
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    snap_date      TEXT NOT NULL,
    cash           TEXT NOT NULL,
    holdings_value TEXT NOT NULL,
    equity         TEXT NOT NULL,
    net_flow       TEXT NOT NULL,
    flow_total     TEXT NOT NULL,
    twr_index      TEXT NOT NULL,
    taken_at       DATETIME NOT NULL,
    PRIMARY KEY (account_id, snap_date)
) WITHOUT ROWID;
INSERT INTO equity_snapshots_by_account (account_id, snap_date, cash, holdings_value, equity, net_flow, flow_total, twr_index, taken_at)
SELECT account_id, snap_date, cash, holdings_value, equity, net_flow, flow_total, twr_index, taken_at
FROM equity_snapshots ORDER BY account_id, snap_date;
DROP TABLE equity_snapshots;
ALTER TABLE equity_snapshots_by_account RENAME TO equity_snapshots;
