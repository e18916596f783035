-- SnapshotEquity writes the end-of-day snapshot of every account for one
-- Seoul date in one statement, and writes it again when run twice for the
-- same date. The previous snapshot is the account's row of the newest
-- earlier date (every run writes every account, so an account that has
-- none there was opened since), if its history still covers it (taken
-- after its opening or last reset); without one the history opens here,
-- from nothing plus the flows since the opening. The previous date is
-- found once, and nothing older than its rows is touched.
-- name: SnapshotEquity :execrows
INSERT INTO equity_snapshots (
    account_id, snap_date, cash, holdings_value, equity, net_flow, flow_total, twr_index, taken_at
)
SELECT x.id, x.snap_date, x.cash, x.hv, x.cash + x.hv,
       x.flow_total - x.prev_flow_total, x.flow_total,
       CASE WHEN x.prev_equity + x.flow_total - x.prev_flow_total > 0
            THEN ROUND(x.prev_index * (x.cash + x.hv) / (x.prev_equity + x.flow_total - x.prev_flow_total), 12)
            ELSE x.prev_index END,
       x.taken_at
FROM (
    SELECT a.id AS id,
           sqlc.arg(snap_date)::text AS snap_date,
           a.cash AS cash,
           COALESCE((SELECT SUM(h.quantity * s.price) FROM holdings h JOIN stocks s ON s.code = h.stock_code
                     WHERE h.account_id = a.id), 0) AS hv,
           a.total_deposits - a.total_withdrawals AS flow_total,
           COALESCE(p.equity, 0) AS prev_equity,
           COALESCE(p.flow_total, 0) AS prev_flow_total,
           COALESCE(p.twr_index, 1) AS prev_index,
           sqlc.arg(taken_at)::timestamptz AS taken_at
    FROM accounts a
    LEFT JOIN equity_snapshots p
           ON p.snap_date = (SELECT MAX(d.snap_date) FROM equity_snapshot_days d WHERE d.snap_date < sqlc.arg(snap_date)::text)
          AND p.account_id = a.id
          AND p.taken_at >= a.history_start
    -- No limit: it keeps x from being merged into the outer select, which
    -- would copy the holdings subquery into every expression using hv.
    OFFSET 0
) x
ON CONFLICT (snap_date, account_id) DO UPDATE SET
    cash = excluded.cash,
    holdings_value = excluded.holdings_value,
    equity = excluded.equity,
    net_flow = excluded.net_flow,
    flow_total = excluded.flow_total,
    twr_index = excluded.twr_index,
    taken_at = excluded.taken_at;

-- AddSnapshotDay files a date as having snapshots and counts the run.
-- name: AddSnapshotDay :exec
INSERT INTO equity_snapshot_days (snap_date) VALUES (sqlc.arg(snap_date))
ON CONFLICT (snap_date) DO NOTHING;

-- name: CountSnapshotRun :exec
UPDATE equity_snapshot_runs SET runs = runs + 1 WHERE id = 1;

-- SnapshotRuns is how many snapshot runs were ever written.
-- name: SnapshotRuns :one
SELECT runs FROM equity_snapshot_runs WHERE id = 1;

-- ListEquitySnapshots walks the snapshot dates in the range and looks up
-- the account's row of each by key.
-- name: ListEquitySnapshots :many
SELECT s.account_id, s.snap_date, s.cash, s.holdings_value, s.equity, s.net_flow, s.flow_total, s.twr_index, s.taken_at
FROM equity_snapshot_days d
JOIN equity_snapshots s ON s.snap_date = d.snap_date
WHERE d.snap_date >= sqlc.arg(from_date)
  AND d.snap_date <= sqlc.arg(to_date)
  AND s.account_id = sqlc.arg(account_id)
ORDER BY d.snap_date;

-- LastEquitySnapshot is the account's newest snapshot up to a date: the
-- dates are walked newest first until one has the account's row.
-- name: LastEquitySnapshot :one
SELECT s.account_id, s.snap_date, s.cash, s.holdings_value, s.equity, s.net_flow, s.flow_total, s.twr_index, s.taken_at
FROM equity_snapshot_days d
JOIN equity_snapshots s ON s.snap_date = d.snap_date
WHERE d.snap_date <= sqlc.arg(to_date)
  AND s.account_id = sqlc.arg(account_id)
ORDER BY d.snap_date DESC
LIMIT 1;
