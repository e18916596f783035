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

-- +goose Up
CREATE TABLE equity_snapshots (
    account_id     TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    snap_date      TEXT COLLATE "C" NOT NULL,
    cash           NUMERIC(24, 4) NOT NULL,
    holdings_value NUMERIC(24, 4) NOT NULL,
    equity         NUMERIC(24, 4) NOT NULL,
    net_flow       NUMERIC(24, 4) NOT NULL,
    flow_total     NUMERIC(24, 4) NOT NULL,
    twr_index      NUMERIC(24, 12) NOT NULL,
    taken_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, snap_date)
);

-- A leaderboard is written whole by one refresh: the personal boards by
-- period (contest_id ''), and one board per contest (period 'contest').
CREATE TABLE leaderboards (
    contest_id TEXT COLLATE "C" NOT NULL,
    period     TEXT COLLATE "C" NOT NULL,
    as_of      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (contest_id, period)
);

CREATE TABLE leaderboard_entries (
    contest_id  TEXT COLLATE "C" NOT NULL,
    period      TEXT COLLATE "C" NOT NULL,
    place       BIGINT NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    nickname    TEXT NOT NULL,
    return_rate NUMERIC(24, 4) NOT NULL,
    equity      NUMERIC(24, 4) NOT NULL,
    trades      BIGINT NOT NULL,
    PRIMARY KEY (contest_id, period, place)
);

-- listings is a comma-separated list of the codes a contest's accounts may
-- trade, '' for any. final_at is set once, when the final ranking is
-- frozen.
CREATE TABLE contests (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL,
    initial_cash NUMERIC(24, 4) NOT NULL,
    listings     TEXT NOT NULL DEFAULT '',
    final_at     TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX contests_ends ON contests (ends_at, id);

-- +goose Down
DROP TABLE contests;
DROP TABLE leaderboard_entries;
DROP TABLE leaderboards;
DROP TABLE equity_snapshots;
