-- rank_returns holds, during a leaderboard refresh, each ranked account's
-- returns over every period: the refresh computes them once into it, each
-- board takes its first lines from it with a sort bounded by its length,
-- and the refresh empties it again before it commits, so that outside a
-- refresh it is always empty. Ranking every account once per board (a
-- window over each period, a whole sort each) was two thirds of the
-- refresh's work.
--
-- equity has NUMERIC affinity so that it keeps the number it is given and
-- sorts as one; the returns are REAL, as they are computed.

-- +goose Up
CREATE TABLE rank_returns (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    nickname   TEXT NOT NULL,
    equity     NUMERIC NOT NULL,
    trades     INTEGER NOT NULL,
    rall       REAL NOT NULL,
    r1d        REAL NOT NULL,
    r1w        REAL NOT NULL,
    r1m        REAL NOT NULL
);

-- +goose Down
DROP TABLE rank_returns;
