package sqlstore

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
)

// SnapshotEquity writes the snapshot of every account for date in one
// statement and transaction; running it again for the date rewrites it.
// The same transaction files the date among the snapshot days and counts
// the run.
func (s *Store) SnapshotEquity(ctx context.Context, date string, takenAt time.Time) (int64, error) {
	var n int64
	err := s.transact(ctx, func(ctx context.Context, t *tx) (err error) {
		n, err = exec(t, ctx, "snapshot equity", Counted, sqldb.Queries.SnapshotEquity,
			sqldb.SnapshotEquityParams{SnapDate: date, TakenAt: orNow(takenAt)})
		if err != nil {
			return err
		}
		if err = blind(t, ctx, "add snapshot day", sqldb.Queries.AddSnapshotDay, date); err != nil {
			return err
		}
		return blind(t, ctx, "count snapshot run", noArgsBlind(sqldb.Queries.CountSnapshotRun), struct{}{})
	})
	return n, err
}

// SnapshotRuns returns how many snapshot runs were ever written.
func (r reader) SnapshotRuns(ctx context.Context) (int64, error) {
	return one(r, ctx, "snapshot runs", noArgs(sqldb.Queries.SnapshotRuns), struct{}{})
}

// ListEquitySnapshots returns an account's snapshots dated from..to,
// oldest first.
func (r reader) ListEquitySnapshots(ctx context.Context, accountID, from, to string) ([]domain.EquitySnapshot, error) {
	return list(r, ctx, "list equity snapshots", sqldb.Queries.ListEquitySnapshots,
		sqldb.ListEquitySnapshotsParams{AccountID: accountID, FromDate: from, ToDate: to}, equitySnapshot)
}

// LastEquitySnapshot returns the account's newest snapshot dated at or
// before to.
func (r reader) LastEquitySnapshot(ctx context.Context, accountID, to string) (domain.EquitySnapshot, error) {
	return get(r, ctx, "last equity snapshot", sqldb.Queries.LastEquitySnapshot,
		sqldb.LastEquitySnapshotParams{AccountID: accountID, ToDate: to}, equitySnapshot)
}

func equitySnapshot(r sqldb.EquitySnapshot) domain.EquitySnapshot {
	return domain.EquitySnapshot{
		AccountID: r.AccountID,
		EquityPoint: domain.EquityPoint{
			Date: r.SnapDate, Cash: r.Cash, HoldingsValue: r.HoldingsValue, Equity: r.Equity, NetFlow: r.NetFlow,
		},
		FlowTotal: r.FlowTotal,
		Index:     r.TwrIndex,
		TakenAt:   r.TakenAt.UTC(),
	}
}
