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

-- RankPersonalAll writes the personal board of the whole history in one
-- statement: the public users' accounts with at least one trade, ranked
-- by time-weighted return since their history's opening (sign-up or last
-- reset). The live index chains today's equity at current prices to the
-- newest snapshot the same way a snapshot chains to its predecessor. The
-- board's row (SetLeaderboardTime, first) names the period.
-- name: RankPersonalAll :execrows
INSERT INTO leaderboard_entries (contest_id, period, place, account_id, user_id, nickname, return_rate, equity, trades)
SELECT lb.contest_id, lb.period,
       ROW_NUMBER() OVER (ORDER BY r.rate DESC, r.equity DESC, r.id),
       r.id, r.user_id, r.nickname, ROUND(r.rate, 4), r.equity, r.trades
FROM (
    SELECT l.id, l.user_id, l.nickname, l.equity, l.trades,
           (l.live_index - 1.0) * 100.0 AS rate
    FROM (
        SELECT x.id, x.user_id, x.nickname, x.equity, x.trades, x.history_start,
               CASE WHEN x.s_index IS NULL THEN
                        CASE WHEN x.flow_total > 0 THEN CAST(x.equity AS REAL) / x.flow_total ELSE 1.0 END
                    WHEN x.s_equity + x.flow_total - x.s_flow > 0 THEN
                        x.s_index * x.equity / (x.s_equity + x.flow_total - x.s_flow)
                    ELSE x.s_index END AS live_index
        FROM (
            SELECT a.id, a.user_id, u.nickname, a.history_start,
                   a.buy_count + a.sell_count AS trades,
                   a.cash + COALESCE((SELECT SUM(h.quantity * st.price) FROM holdings h JOIN stocks st ON st.code = h.stock_code
                                      WHERE h.account_id = a.id), 0) AS equity,
                   a.total_deposits - a.total_withdrawals AS flow_total,
                   s.equity + 0 AS s_equity, s.flow_total + 0 AS s_flow, CAST(s.twr_index AS REAL) AS s_index
            FROM accounts a
            JOIN users u ON u.id = a.user_id
            LEFT JOIN equity_snapshots s
                   ON s.account_id = a.id
                  AND s.snap_date = (SELECT MAX(q.snap_date) FROM equity_snapshots q WHERE q.account_id = a.id)
                  AND s.taken_at >= a.history_start
            WHERE a.kind = 'PERSONAL' AND u.public AND a.buy_count + a.sell_count > 0
        ) x
    ) l
) r
JOIN leaderboards lb ON lb.contest_id = '' AND lb.period = 'all';

-- RankPersonalSince writes the board of a period from the whole-history
-- board (RankPersonalAll, in the same transaction): each account's return
-- since the period's base, its newest snapshot dated at or before
-- base_date inside its history, is its whole-history wealth over the
-- base's index (no base: the history opened within the period).
-- name: RankPersonalSince :execrows
INSERT INTO leaderboard_entries (contest_id, period, place, account_id, user_id, nickname, return_rate, equity, trades)
SELECT lb.contest_id, lb.period,
       ROW_NUMBER() OVER (ORDER BY r.rate DESC, r.equity DESC, r.account_id),
       r.account_id, r.user_id, r.nickname, ROUND(r.rate, 4), r.equity, r.trades
FROM (
    SELECT e.account_id, e.user_id, e.nickname, e.equity, e.trades, ((1.0 + e.return_rate / 100.0) / COALESCE(CAST(b.twr_index AS REAL), 1.0) - 1.0) * 100.0 AS rate
    FROM leaderboard_entries e
    JOIN accounts a ON a.id = e.account_id
    LEFT JOIN equity_snapshots b
           ON b.account_id = e.account_id
          AND b.snap_date = (SELECT MAX(q.snap_date) FROM equity_snapshots q
                             WHERE q.account_id = e.account_id AND q.snap_date <= sqlc.arg(base_date))
          AND b.taken_at >= a.history_start
    WHERE e.contest_id = '' AND e.period = 'all'
) r
JOIN leaderboards lb ON lb.contest_id = '' AND lb.period = sqlc.arg(period);

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
