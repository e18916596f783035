-- rank_returns holds, during a leaderboard refresh, each ranked account's
-- returns over every period: the refresh computes them once into it, each
-- board takes its first lines from it with a sort bounded by its length,
-- and the refresh empties it again before it commits, so that outside a
-- refresh it is always empty.

-- +goose Up
CREATE TABLE rank_returns (
    account_id VARCHAR(64) NOT NULL,
    user_id    VARCHAR(64) NOT NULL,
    nickname   VARCHAR(100) NOT NULL,
    equity     DECIMAL(24, 4) NOT NULL,
    trades     BIGINT NOT NULL,
    rall       DECIMAL(38, 12) NOT NULL,
    r1d        DECIMAL(38, 12) NOT NULL,
    r1w        DECIMAL(38, 12) NOT NULL,
    r1m        DECIMAL(38, 12) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE rank_returns;
