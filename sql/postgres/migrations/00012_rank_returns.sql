-- rank_returns holds, during a leaderboard refresh, each ranked account's
-- returns over every period: the refresh computes them once into it, each
-- board takes its first lines from it with a sort bounded by its length,
-- and the refresh empties it again before it commits, so that outside a
-- refresh it is always empty. It is UNLOGGED: its rows never outlive the
-- transaction that writes them, so they need no write-ahead log.

-- +goose Up
CREATE UNLOGGED TABLE rank_returns (
    account_id TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    nickname   TEXT NOT NULL,
    equity     NUMERIC NOT NULL,
    trades     BIGINT NOT NULL,
    rall       NUMERIC NOT NULL,
    r1d        NUMERIC NOT NULL,
    r1w        NUMERIC NOT NULL,
    r1m        NUMERIC NOT NULL
);

-- +goose Down
DROP TABLE rank_returns;
