-- Performance history, leaderboards and contests.
--
-- equity_snapshots holds each account's value at the end of a Seoul day,
-- written for every account at once by one INSERT ... SELECT (the market
-- day's last step). Besides cash, holdings value and equity it keeps:
--   net_flow   the external money (deposits, withdrawals, paid top-ups)
--              that came in since the account's previous snapshot;
--   flow_total the account's total_deposits − total_withdrawals when the
--              snapshot was taken, so that the flows between two instants
--              are a difference, not a scan of the ledger;
--   twr_index  the time-weighted wealth index: 1 where the account's
--              history starts (its opening or its last reset), then
--              chained day by day as equity ÷ (previous equity + flow), so
--              that the return between two snapshots is the ratio of their
--              indexes, untouched by money moved in or out.
-- Money is TEXT (exact decimal text), as everywhere in this schema. Cash
-- and prices are whole won, so the sums SQLite computes over them are
-- integer arithmetic and exact.

-- +goose Up
CREATE TABLE equity_snapshots (
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

-- A leaderboard is written whole by one refresh: the personal boards by
-- period (contest_id ''), and one board per contest (period 'contest').
CREATE TABLE leaderboards (
    contest_id TEXT NOT NULL,
    period     TEXT NOT NULL,
    as_of      DATETIME NOT NULL,
    PRIMARY KEY (contest_id, period)
) WITHOUT ROWID;

CREATE TABLE leaderboard_entries (
    contest_id  TEXT NOT NULL,
    period      TEXT NOT NULL,
    place       INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    nickname    TEXT NOT NULL,
    return_rate TEXT NOT NULL,
    equity      TEXT NOT NULL,
    trades      INTEGER NOT NULL,
    PRIMARY KEY (contest_id, period, place)
) WITHOUT ROWID;

-- listings is a comma-separated list of the codes a contest's accounts may
-- trade, '' for any. final_at is set once, when the final ranking is
-- frozen.
CREATE TABLE contests (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    starts_at    DATETIME NOT NULL,
    ends_at      DATETIME NOT NULL,
    initial_cash TEXT NOT NULL,
    listings     TEXT NOT NULL DEFAULT '',
    final_at     DATETIME,
    created_at   DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX contests_ends ON contests (ends_at, id);

-- +goose Down
DROP INDEX contests_ends;
DROP TABLE contests;
DROP TABLE leaderboard_entries;
DROP TABLE leaderboards;
DROP TABLE equity_snapshots;
