package ports

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// Performance is the store's side of performance history: the end-of-day
// equity snapshots, each written for every account at once.
type Performance interface {
	// SnapshotEquity writes the snapshot of every account for date
	// (YYYY-MM-DD, Seoul) as the accounts and prices stand at takenAt, in
	// one set-based statement, and reports how many accounts it wrote.
	// Running it again for the same date rewrites that date's snapshots
	// (idempotent once the market is closed). Each snapshot chains to the
	// account's latest earlier one taken since its history started.
	SnapshotEquity(ctx context.Context, date string, takenAt time.Time) (int64, error)
	// ListEquitySnapshots returns an account's snapshots dated from..to
	// (inclusive, YYYY-MM-DD), oldest first.
	ListEquitySnapshots(ctx context.Context, accountID, from, to string) ([]domain.EquitySnapshot, error)
	// LastEquitySnapshot returns the account's newest snapshot dated at or
	// before to, or domain.ErrNotFound.
	LastEquitySnapshot(ctx context.Context, accountID, to string) (domain.EquitySnapshot, error)
}
