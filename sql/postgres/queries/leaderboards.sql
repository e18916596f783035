-- ClearLeaderboard empties a board before a refresh writes it again.
-- name: ClearLeaderboard :exec
DELETE FROM leaderboard_entries WHERE contest_id = sqlc.arg(contest_id) AND period = sqlc.arg(period);

-- name: SetLeaderboardTime :exec
INSERT INTO leaderboards (contest_id, period, as_of) VALUES (sqlc.arg(contest_id), sqlc.arg(period), sqlc.arg(as_of))
ON CONFLICT (contest_id, period) DO UPDATE SET as_of = excluded.as_of;

-- name: GetLeaderboard :one
SELECT * FROM leaderboards WHERE contest_id = sqlc.arg(contest_id) AND period = sqlc.arg(period);

-- name: ListLeaderboardEntries :many
SELECT * FROM leaderboard_entries
WHERE contest_id = sqlc.arg(contest_id) AND period = sqlc.arg(period)
ORDER BY place
LIMIT sqlc.arg('limit');

-- The personal boards are written in three steps of one transaction:
-- FillRankReturns computes every ranked account's returns once into
-- rank_returns, RankPersonal writes each board's first lines from there,
-- and ClearRankReturns empties it before the commit.

-- FillRankReturns computes the returns of the public users' accounts with
-- at least one trade over each period, and answers how many there are.
-- An account's wealth index now chains today's equity at current prices to
-- its row of the newest snapshot date, as a snapshot chains to its
-- predecessor (no row there: the history opened since, from the money put
-- in). A period's return is that index over the index of the account's
-- row of the newest snapshot date at or before the period's base date (no
-- row: the history opened within the period, from 1). Each date is found
-- once; every account is one lookup per date by key, and nothing scans
-- the history (OFFSET 0 keeps x whole, so the holdings subquery runs once
-- per account).
-- name: FillRankReturns :execrows
INSERT INTO rank_returns (account_id, user_id, nickname, equity, trades, rall, r1d, r1w, r1m)
SELECT l.id, l.user_id, l.nickname, l.equity, l.trades,
       (l.live_index - 1) * 100,
       (l.live_index / CASE WHEN l.b1d > 0 THEN l.b1d ELSE 1 END - 1) * 100,
       (l.live_index / CASE WHEN l.b1w > 0 THEN l.b1w ELSE 1 END - 1) * 100,
       (l.live_index / CASE WHEN l.b1m > 0 THEN l.b1m ELSE 1 END - 1) * 100
FROM (
    SELECT x.id, x.user_id, x.nickname, x.equity, x.trades, x.b1d, x.b1w, x.b1m,
           CASE WHEN x.s_index IS NULL THEN
                    CASE WHEN x.flow_total > 0 THEN x.equity / x.flow_total ELSE 1 END
                WHEN x.s_equity + x.flow_total - x.s_flow > 0 THEN
                    x.s_index * x.equity / (x.s_equity + x.flow_total - x.s_flow)
                ELSE x.s_index END AS live_index
    FROM (
        SELECT a.id, a.user_id, u.nickname,
               a.buy_count + a.sell_count AS trades,
               a.cash + COALESCE((SELECT SUM(h.quantity * st.price) FROM holdings h JOIN stocks st ON st.code = h.stock_code
                                  WHERE h.account_id = a.id), 0) AS equity,
               a.total_deposits - a.total_withdrawals AS flow_total,
               s.equity AS s_equity, s.flow_total AS s_flow, s.twr_index AS s_index,
               b1.twr_index AS b1d, b2.twr_index AS b1w, b3.twr_index AS b1m
        FROM accounts a
        JOIN users u ON u.id = a.user_id
        LEFT JOIN equity_snapshots s
               ON s.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d)
              AND s.account_id = a.id AND s.taken_at >= a.history_start
        LEFT JOIN equity_snapshots b1
               ON b1.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date <= sqlc.arg(base_1d)::text)
              AND b1.account_id = a.id AND b1.taken_at >= a.history_start
        LEFT JOIN equity_snapshots b2
               ON b2.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date <= sqlc.arg(base_1w)::text)
              AND b2.account_id = a.id AND b2.taken_at >= a.history_start
        LEFT JOIN equity_snapshots b3
               ON b3.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date <= sqlc.arg(base_1m)::text)
              AND b3.account_id = a.id AND b3.taken_at >= a.history_start
        WHERE a.kind = 'PERSONAL' AND u.public AND a.buy_count + a.sell_count > 0
        OFFSET 0
    ) x
) l;

-- RankPersonal writes the personal boards from rank_returns, each keeping
-- its first 500 lines (the most a read asks for; sqlstore.BoardLines),
-- taken by a bounded sort. A period whose base date is '' is not written
-- (all always is).
-- name: RankPersonal :execrows
INSERT INTO leaderboard_entries (contest_id, period, place, account_id, user_id, nickname, return_rate, equity, trades)
SELECT '', 'all', ROW_NUMBER() OVER (ORDER BY t.rall DESC, t.equity DESC, t.account_id), t.account_id, t.user_id, t.nickname, ROUND(t.rall, 4), t.equity, t.trades
FROM (SELECT * FROM rank_returns k ORDER BY k.rall DESC, k.equity DESC, k.account_id LIMIT 500) t
UNION ALL
SELECT '', '1d', ROW_NUMBER() OVER (ORDER BY t.r1d DESC, t.equity DESC, t.account_id), t.account_id, t.user_id, t.nickname, ROUND(t.r1d, 4), t.equity, t.trades
FROM (SELECT * FROM rank_returns k WHERE sqlc.arg(base_1d)::text <> '' ORDER BY k.r1d DESC, k.equity DESC, k.account_id LIMIT 500) t
UNION ALL
SELECT '', '1w', ROW_NUMBER() OVER (ORDER BY t.r1w DESC, t.equity DESC, t.account_id), t.account_id, t.user_id, t.nickname, ROUND(t.r1w, 4), t.equity, t.trades
FROM (SELECT * FROM rank_returns k WHERE sqlc.arg(base_1w)::text <> '' ORDER BY k.r1w DESC, k.equity DESC, k.account_id LIMIT 500) t
UNION ALL
SELECT '', '1m', ROW_NUMBER() OVER (ORDER BY t.r1m DESC, t.equity DESC, t.account_id), t.account_id, t.user_id, t.nickname, ROUND(t.r1m, 4), t.equity, t.trades
FROM (SELECT * FROM rank_returns k WHERE sqlc.arg(base_1m)::text <> '' ORDER BY k.r1m DESC, k.equity DESC, k.account_id LIMIT 500) t;

-- ClearRankReturns empties rank_returns. TRUNCATE leaves no dead rows
-- behind; its lock also keeps two refreshes from filling it at once.
-- name: ClearRankReturns :exec
TRUNCATE rank_returns;

-- RankContest writes a contest's board: every account in it, ranked by
-- equity at current prices (contest accounts take no deposits or
-- withdrawals, so the return is equity over the initial cash).
-- name: RankContest :execrows
INSERT INTO leaderboard_entries (contest_id, period, place, account_id, user_id, nickname, return_rate, equity, trades)
SELECT x.contest_id, 'contest', ROW_NUMBER() OVER (ORDER BY x.equity DESC, x.id),
       x.id, x.user_id, x.nickname,
       ROUND((x.equity - x.initial_cash) * 100 / x.initial_cash, 4), x.equity, x.trades
FROM (
    SELECT a.id, a.user_id, a.contest_id, u.nickname, c.initial_cash AS initial_cash,
           a.buy_count + a.sell_count AS trades,
           a.cash + COALESCE((SELECT SUM(h.quantity * st.price) FROM holdings h JOIN stocks st ON st.code = h.stock_code
                              WHERE h.account_id = a.id), 0) AS equity
    FROM accounts a
    JOIN users u ON u.id = a.user_id
    JOIN contests c ON c.id = a.contest_id
    WHERE a.contest_id = sqlc.arg(contest_id)
) x;
