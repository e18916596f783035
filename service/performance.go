package service

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// SnapshotEquity writes the end-of-day equity snapshot of every account
// for date (YYYY-MM-DD, a Seoul day; "" is today) as accounts and prices
// stand now, in one set-based statement, and reports how many accounts it
// wrote. The market day runs it after the close; running it again for the
// same date rewrites that date's snapshots, so a retry is harmless.
func (s *Accounts) SnapshotEquity(ctx context.Context, date string) (int64, error) {
	now := s.clock.Now().UTC()
	if date == "" {
		date = domain.SeoulDate(now)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return 0, domain.FieldErrorf(domain.CodeInvalid, "date", "must be a date as YYYY-MM-DD, got %q", date)
	}
	return s.store.SnapshotEquity(ctx, date, now)
}
