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
	// account's snapshot of the newest earlier date, when that was taken
	// since its history started. Every run writes every account, so runs
	// in date order chain each account day by day; a date filled in later
	// chains to the date before it, and the dates after it keep theirs.
	SnapshotEquity(ctx context.Context, date string, takenAt time.Time) (int64, error)
	// SnapshotRuns returns how many snapshot runs were ever written: a
	// reader that keeps histories in memory knows they are current while
	// it is unchanged.
	SnapshotRuns(ctx context.Context) (int64, error)
	// ListEquitySnapshots returns an account's snapshots dated from..to
	// (inclusive, YYYY-MM-DD), oldest first.
	ListEquitySnapshots(ctx context.Context, accountID, from, to string) ([]domain.EquitySnapshot, error)
	// LastEquitySnapshot returns the account's newest snapshot dated at or
	// before to, or domain.ErrNotFound.
	LastEquitySnapshot(ctx context.Context, accountID, to string) (domain.EquitySnapshot, error)
}

// Rankings is the store's side of leaderboards and contests. A board is
// computed whole, set-based, by one statement, and read back page by
// page.
type Rankings interface {
	// RankPersonal rewrites the personal leaderboards in one transaction,
	// one per period of bases (period → base date): public users'
	// personal accounts with at least one trade, ranked by time-weighted
	// return from their newest snapshot dated at or before the base date
	// (or their history's opening; "all" always starts there) to their
	// equity at current prices. A board keeps its first lines only (as
	// many as a read may ask for). It reports how many accounts it ranked.
	RankPersonal(ctx context.Context, bases map[string]string, asOf time.Time) (int64, error)
	// RankContest rewrites a contest's board: every account in it, ranked
	// by equity at current prices.
	RankContest(ctx context.Context, contestID string, asOf time.Time) (int64, error)
	// FreezeContest ranks the contest one last time and marks it final,
	// in one transaction; false when it was already final (nothing
	// changes then).
	FreezeContest(ctx context.Context, contestID string, at time.Time) (bool, error)
	// GetLeaderboard returns the first limit lines of a board
	// (contestID "" for the personal boards, period "contest" for a
	// contest's), or domain.ErrNotFound when it was never computed.
	GetLeaderboard(ctx context.Context, contestID, period string, limit int) (domain.Leaderboard, error)
	// LeaderboardTime returns when a board was last computed, or
	// domain.ErrNotFound when it never was: a reader that keeps a board
	// in memory knows it is current while this is unchanged.
	LeaderboardTime(ctx context.Context, contestID, period string) (time.Time, error)

	// CreateContest stores a new contest and, in the same transaction,
	// enqueues start, the message that starts its workflow.
	CreateContest(ctx context.Context, c domain.Contest, start OutboxMessage) error
	// GetContest returns domain.ErrNotFound for an unknown id.
	GetContest(ctx context.Context, id string) (domain.Contest, error)
	// ListContests returns up to limit contests, the latest to end first.
	ListContests(ctx context.Context, limit int) ([]domain.Contest, error)
	// ListContestAccountIDs returns the ids of a contest's accounts.
	ListContestAccountIDs(ctx context.Context, contestID string) ([]string, error)
}
