-- SnapshotEquity writes the end-of-day snapshot of every account for one
-- Seoul date in one statement, and writes it again when run twice for the
-- same date. The previous snapshot is the account's latest before that
-- date that its history still covers (taken after its opening or last
-- reset); without one the history opens here, from nothing plus the flows
-- since the opening.
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
           ON p.account_id = a.id
          AND p.snap_date = (SELECT MAX(q.snap_date) FROM equity_snapshots q
                             WHERE q.account_id = a.id AND q.snap_date < sqlc.arg(snap_date)::text)
          AND p.taken_at >= a.history_start
) x
ON CONFLICT (account_id, snap_date) DO UPDATE SET
    cash = excluded.cash,
    holdings_value = excluded.holdings_value,
    equity = excluded.equity,
    net_flow = excluded.net_flow,
    flow_total = excluded.flow_total,
    twr_index = excluded.twr_index,
    taken_at = excluded.taken_at;

-- name: ListEquitySnapshots :many
SELECT * FROM equity_snapshots
WHERE account_id = sqlc.arg(account_id)
  AND snap_date >= sqlc.arg(from_date)
  AND snap_date <= sqlc.arg(to_date)
ORDER BY snap_date;

-- LastEquitySnapshot is the account's newest snapshot up to a date.
-- name: LastEquitySnapshot :one
SELECT * FROM equity_snapshots
WHERE account_id = sqlc.arg(account_id) AND snap_date <= sqlc.arg(to_date)
ORDER BY snap_date DESC
LIMIT 1;
