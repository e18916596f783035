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
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- RankPersonal writes the personal boards in one statement: the public
-- users' accounts with at least one trade, ranked by time-weighted return
-- over each period, each board keeping its first 500 lines (the most a
-- read asks for; sqlstore.BoardLines).
-- An account's wealth index now chains today's equity at current prices to
-- its row of the newest snapshot date, as a snapshot chains to its
-- predecessor (no row there: the history opened since, from the money put
-- in). A period's return is that index over the index of the account's
-- row of the newest snapshot date at or before the period's base date (no
-- row: the history opened within the period, from 1). Each date is found
-- once; every account is one lookup per date by key, and nothing scans
-- the history. A period whose base date is '' is not written (all always
-- is). The boards' rows (SetLeaderboardTime) are written first: they
-- name the periods. CROSS JOIN keeps the ranking (r) the outer loop, so
-- that it is computed once, not once per board.
-- name: RankPersonal :execrows
INSERT INTO leaderboard_entries (contest_id, period, place, account_id, user_id, nickname, return_rate, equity, trades)
SELECT '', p.period,
       CASE p.period WHEN '1d' THEN r.n1d WHEN '1w' THEN r.n1w WHEN '1m' THEN r.n1m ELSE r.nall END,
       r.id, r.user_id, r.nickname,
       ROUND(CASE p.period WHEN '1d' THEN r.r1d WHEN '1w' THEN r.r1w WHEN '1m' THEN r.r1m ELSE r.rall END, 4),
       r.equity, r.trades
FROM (
    SELECT k.*,
           ROW_NUMBER() OVER (ORDER BY k.rall DESC, k.equity DESC, k.id) AS nall,
           ROW_NUMBER() OVER (ORDER BY k.r1d DESC, k.equity DESC, k.id) AS n1d,
           ROW_NUMBER() OVER (ORDER BY k.r1w DESC, k.equity DESC, k.id) AS n1w,
           ROW_NUMBER() OVER (ORDER BY k.r1m DESC, k.equity DESC, k.id) AS n1m
    FROM (
        SELECT l.id, l.user_id, l.nickname, l.equity, l.trades,
               (l.live_index - 1.0) * 100.0 AS rall,
               (l.live_index / CASE WHEN l.b1d > 0 THEN l.b1d ELSE 1.0 END - 1.0) * 100.0 AS r1d,
               (l.live_index / CASE WHEN l.b1w > 0 THEN l.b1w ELSE 1.0 END - 1.0) * 100.0 AS r1w,
               (l.live_index / CASE WHEN l.b1m > 0 THEN l.b1m ELSE 1.0 END - 1.0) * 100.0 AS r1m
        FROM (
            SELECT x.id, x.user_id, x.nickname, x.equity, x.trades, x.b1d, x.b1w, x.b1m,
                   CASE WHEN x.s_index IS NULL THEN
                            CASE WHEN x.flow_total > 0 THEN CAST(x.equity AS REAL) / x.flow_total ELSE 1.0 END
                        WHEN x.s_equity + x.flow_total - x.s_flow > 0 THEN
                            x.s_index * x.equity / (x.s_equity + x.flow_total - x.s_flow)
                        ELSE x.s_index END AS live_index
            FROM (
                SELECT a.id, a.user_id, u.nickname,
                       a.buy_count + a.sell_count AS trades,
                       a.cash + COALESCE((SELECT SUM(h.quantity * st.price) FROM holdings h JOIN stocks st ON st.code = h.stock_code
                                          WHERE h.account_id = a.id), 0) AS equity,
                       a.total_deposits - a.total_withdrawals AS flow_total,
                       s.equity + 0 AS s_equity, s.flow_total + 0 AS s_flow, CAST(s.twr_index AS REAL) AS s_index,
                       CAST(b1.twr_index AS REAL) AS b1d, CAST(b2.twr_index AS REAL) AS b1w, CAST(b3.twr_index AS REAL) AS b1m
                FROM accounts a
                JOIN users u ON u.id = a.user_id
                LEFT JOIN equity_snapshots s
                       ON s.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d)
                      AND s.account_id = a.id AND s.taken_at >= a.history_start
                LEFT JOIN equity_snapshots b1
                       ON b1.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date <= sqlc.arg(base_1d))
                      AND b1.account_id = a.id AND b1.taken_at >= a.history_start
                LEFT JOIN equity_snapshots b2
                       ON b2.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date <= sqlc.arg(base_1w))
                      AND b2.account_id = a.id AND b2.taken_at >= a.history_start
                LEFT JOIN equity_snapshots b3
                       ON b3.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date <= sqlc.arg(base_1m))
                      AND b3.account_id = a.id AND b3.taken_at >= a.history_start
                WHERE a.kind = 'PERSONAL' AND u.public AND a.buy_count + a.sell_count > 0
                -- No limit: it keeps SQLite from flattening x into the
                -- levels above, which would copy its holdings subquery
                -- into every expression that uses the equity.
                LIMIT -1 OFFSET 0
            ) x
        ) l
    ) k
) r
CROSS JOIN leaderboards p
WHERE p.contest_id = '' AND p.period IN ('all', '1d', '1w', '1m')
  AND CASE p.period WHEN '1d' THEN r.n1d WHEN '1w' THEN r.n1w WHEN '1m' THEN r.n1m ELSE r.nall END <= 500
  AND (p.period = 'all'
       OR (p.period = '1d' AND sqlc.arg(base_1d) <> '')
       OR (p.period = '1w' AND sqlc.arg(base_1w) <> '')
       OR (p.period = '1m' AND sqlc.arg(base_1m) <> ''));

-- CountRankable is how many accounts the personal boards rank.
-- name: CountRankable :one
SELECT COUNT(*) FROM accounts a
JOIN users u ON u.id = a.user_id
WHERE a.kind = 'PERSONAL' AND u.public AND a.buy_count + a.sell_count > 0;

-- RankContest writes a contest's board: every account in it, ranked by
-- equity at current prices (contest accounts take no deposits or
-- withdrawals, so the return is equity over the initial cash).
-- name: RankContest :execrows
INSERT INTO leaderboard_entries (contest_id, period, place, account_id, user_id, nickname, return_rate, equity, trades)
SELECT x.contest_id, 'contest', ROW_NUMBER() OVER (ORDER BY x.equity DESC, x.id),
       x.id, x.user_id, x.nickname,
       ROUND((x.equity - x.initial_cash) * 100.0 / x.initial_cash, 4), x.equity, x.trades
FROM (
    SELECT a.id, a.user_id, a.contest_id, u.nickname, c.initial_cash + 0 AS initial_cash,
           a.buy_count + a.sell_count AS trades,
           a.cash + COALESCE((SELECT SUM(h.quantity * st.price) FROM holdings h JOIN stocks st ON st.code = h.stock_code
                              WHERE h.account_id = a.id), 0) AS equity
    FROM accounts a
    JOIN users u ON u.id = a.user_id
    JOIN contests c ON c.id = a.contest_id
    WHERE a.contest_id = sqlc.arg(contest_id)
) x;
