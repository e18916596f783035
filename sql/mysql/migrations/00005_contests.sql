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
    account_id     VARCHAR(64) NOT NULL,
    snap_date      VARCHAR(10) NOT NULL,
    cash           DECIMAL(24, 4) NOT NULL,
    holdings_value DECIMAL(24, 4) NOT NULL,
    equity         DECIMAL(24, 4) NOT NULL,
    net_flow       DECIMAL(24, 4) NOT NULL,
    flow_total     DECIMAL(24, 4) NOT NULL,
    twr_index      DECIMAL(24, 12) NOT NULL,
    taken_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (account_id, snap_date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A leaderboard is written whole by one refresh: the personal boards by
-- period (contest_id ''), and one board per contest (period 'contest').
CREATE TABLE leaderboards (
    contest_id VARCHAR(64) NOT NULL,
    period     VARCHAR(16) NOT NULL,
    as_of      DATETIME(6) NOT NULL,
    PRIMARY KEY (contest_id, period)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE leaderboard_entries (
    contest_id  VARCHAR(64) NOT NULL,
    period      VARCHAR(16) NOT NULL,
    place      BIGINT NOT NULL,
    account_id  VARCHAR(64) NOT NULL,
    user_id     VARCHAR(64) NOT NULL,
    nickname    VARCHAR(100) NOT NULL,
    return_rate DECIMAL(24, 4) NOT NULL,
    equity      DECIMAL(24, 4) NOT NULL,
    trades      BIGINT NOT NULL,
    PRIMARY KEY (contest_id, period, place)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- listings is a comma-separated list of the codes a contest's accounts may
-- trade, '' for any. final_at is set once, when the final ranking is
-- frozen.
CREATE TABLE contests (
    id           VARCHAR(64) NOT NULL,
    name         VARCHAR(320) NOT NULL,
    starts_at    DATETIME(6) NOT NULL,
    ends_at      DATETIME(6) NOT NULL,
    initial_cash DECIMAL(24, 4) NOT NULL,
    listings     VARCHAR(2048) NOT NULL DEFAULT '',
    final_at     DATETIME(6) NULL,
    created_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY contests_ends (ends_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE contests;
DROP TABLE leaderboard_entries;
DROP TABLE leaderboards;
DROP TABLE equity_snapshots;
