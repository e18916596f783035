package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// contestBoard is the period under which a contest's board is filed.
const contestBoard = "contest"

// allBoard is the personal board of the whole history, which the other
// periods are computed from.
const allBoard = "all"

// BoardLines is how many lines a personal board keeps: the most a read
// asks for. The rest of a ranking is never served, and writing it made
// the refresh as slow as the accounts are many. The statements that write
// the boards (RankPersonal) hold the same number.
const BoardLines = 500

// RankPersonal rewrites the personal boards in one transaction: each
// requested board emptied and stamped, every ranked account's returns
// computed once into rank_returns (one INSERT ... SELECT), each board's
// first lines written from there (one more), and rank_returns emptied
// before the commit.
func (s *Store) RankPersonal(ctx context.Context, bases map[string]string, asOf time.Time) (int64, error) {
	periods := []string{allBoard}
	for p := range bases {
		if p != allBoard {
			periods = append(periods, p)
		}
	}
	slices.Sort(periods[1:])
	var arg sqldb.FillRankReturnsParams
	for _, p := range periods {
		date := bases[p]
		switch p {
		case allBoard:
			continue
		case "1d":
			arg.Base1d = date
		case "1w":
			arg.Base1w = date
		case "1m":
			arg.Base1m = date
		default:
			return 0, domain.Errorf(domain.CodeInvalid, "no personal board for the period %q", p)
		}
		if date == "" {
			return 0, domain.Errorf(domain.CodeInvalid, "the period %q needs a base date", p)
		}
	}
	var n int64
	err := s.transact(ctx, func(ctx context.Context, t *tx) (err error) {
		for _, p := range periods {
			if err := t.resetBoard(ctx, "", p, asOf); err != nil {
				return err
			}
		}
		emptyReturns := func() error {
			return blind(t, ctx, "clear rank returns", noArgsBlind(sqldb.Queries.ClearRankReturns), struct{}{})
		}
		if err = emptyReturns(); err != nil {
			return err
		}
		if n, err = exec(t, ctx, "compute rank returns", Counted, sqldb.Queries.FillRankReturns, arg); err != nil {
			return err
		}
		if _, err = exec(t, ctx, "rank personal", Counted, sqldb.Queries.RankPersonal, sqldb.RankPersonalParams(arg)); err != nil {
			return err
		}
		return emptyReturns()
	})
	return n, err
}

// RankContest rewrites a contest's board in one transaction.
func (s *Store) RankContest(ctx context.Context, contestID string, asOf time.Time) (int64, error) {
	var n int64
	err := s.transact(ctx, func(ctx context.Context, t *tx) (err error) {
		n, err = t.rankContest(ctx, contestID, asOf)
		return err
	})
	return n, err
}

// FreezeContest ranks the contest a last time and sets its final_at, in
// one transaction, unless it is final already.
func (s *Store) FreezeContest(ctx context.Context, contestID string, at time.Time) (bool, error) {
	var done bool
	err := s.transact(ctx, func(ctx context.Context, t *tx) error {
		n, err := exec(t, ctx, "finalize contest", Counted, sqldb.Queries.FinalizeContest,
			sqldb.FinalizeContestParams{FinalAt: nullTime(orNow(at)), ID: contestID})
		if err != nil || n == 0 {
			return err
		}
		done = true
		_, err = t.rankContest(ctx, contestID, at)
		return err
	})
	return done, err
}

func (t *tx) rankContest(ctx context.Context, contestID string, asOf time.Time) (int64, error) {
	return t.rank(ctx, contestID, contestBoard, asOf, func() (int64, error) {
		return exec(t, ctx, "rank contest", Counted, sqldb.Queries.RankContest, contestID)
	})
}

// rank empties a board, stamps its time and fills it with write.
func (t *tx) rank(ctx context.Context, contestID, period string, asOf time.Time, write func() (int64, error)) (int64, error) {
	if err := t.resetBoard(ctx, contestID, period, asOf); err != nil {
		return 0, err
	}
	return write()
}

// resetBoard empties a board and stamps its time.
func (t *tx) resetBoard(ctx context.Context, contestID, period string, asOf time.Time) error {
	if err := blind(t, ctx, "clear leaderboard", sqldb.Queries.ClearLeaderboard,
		sqldb.ClearLeaderboardParams{ContestID: contestID, Period: period}); err != nil {
		return err
	}
	return blind(t, ctx, "set leaderboard time", sqldb.Queries.SetLeaderboardTime,
		sqldb.SetLeaderboardTimeParams{ContestID: contestID, Period: period, AsOf: orNow(asOf)})
}

// GetLeaderboard returns a board's time and its first limit lines.
func (r reader) GetLeaderboard(ctx context.Context, contestID, period string, n int) (domain.Leaderboard, error) {
	lb, err := get(r, ctx, "get leaderboard", sqldb.Queries.GetLeaderboard,
		sqldb.GetLeaderboardParams{ContestID: contestID, Period: period}, func(row sqldb.Leaderboard) domain.Leaderboard {
			return domain.Leaderboard{ContestID: row.ContestID, Period: row.Period, AsOf: row.AsOf.UTC()}
		})
	if err != nil {
		return lb, err
	}
	lb.Entries, err = list(r, ctx, "list leaderboard", sqldb.Queries.ListLeaderboardEntries,
		sqldb.ListLeaderboardEntriesParams{ContestID: contestID, Period: period, Limit: limit(n)}, ranking)
	return lb, err
}

// LeaderboardTime returns when a board was last computed.
func (r reader) LeaderboardTime(ctx context.Context, contestID, period string) (time.Time, error) {
	return get(r, ctx, "get leaderboard", sqldb.Queries.GetLeaderboard,
		sqldb.GetLeaderboardParams{ContestID: contestID, Period: period}, func(row sqldb.Leaderboard) time.Time {
			return row.AsOf.UTC()
		})
}

func ranking(r sqldb.LeaderboardEntry) domain.Ranking {
	return domain.Ranking{
		Rank: int(r.Place), AccountID: r.AccountID, UserID: r.UserID, Nickname: r.Nickname,
		ReturnRate: r.ReturnRate, Equity: r.Equity, Trades: r.Trades,
	}
}

// CreateContest stores a new contest; its listings are kept as one
// comma-separated column.
func (s *Store) CreateContest(ctx context.Context, c domain.Contest, start ports.OutboxMessage) error {
	created := orNow(c.CreatedAt)
	return s.transact(ctx, func(ctx context.Context, t *tx) error {
		err := blind(t, ctx, "create contest", sqldb.Queries.CreateContest, sqldb.CreateContestParams{
			ID: c.ID, Name: c.Name, StartsAt: c.StartsAt.UTC(), EndsAt: c.EndsAt.UTC(), InitialCash: c.InitialCash,
			Listings: strings.Join(c.Listings, ","), FinalAt: nullTime(c.FinalAt), CreatedAt: created,
		})
		if err != nil || start.ID == "" {
			return err
		}
		return t.Enqueue(ctx, start)
	})
}

// GetContest returns a contest.
func (r reader) GetContest(ctx context.Context, id string) (domain.Contest, error) {
	return get(r, ctx, "get contest", sqldb.Queries.GetContest, id, contest)
}

// ListContests returns contests, the latest to end first.
func (r reader) ListContests(ctx context.Context, n int) ([]domain.Contest, error) {
	return list(r, ctx, "list contests", sqldb.Queries.ListContests, limit(n), contest)
}

// ListContestAccountIDs returns the ids of a contest's accounts.
func (r reader) ListContestAccountIDs(ctx context.Context, contestID string) ([]string, error) {
	return one(r, ctx, "list contest accounts", sqldb.Queries.ListContestAccountIDs, contestID)
}

func contest(r sqldb.Contest) domain.Contest {
	c := domain.Contest{
		ID: r.ID, Name: r.Name, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), InitialCash: r.InitialCash,
		FinalAt: timeOf(r.FinalAt), CreatedAt: r.CreatedAt.UTC(),
	}
	if r.Listings != "" {
		c.Listings = strings.Split(r.Listings, ",")
	}
	return c
}
