package service

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Leaderboards ranks traders. Each board is computed whole, set-based, in
// the database, by Refresh (a Temporal Schedule runs it, admins can run
// it now); reads serve the stored board.
type Leaderboards struct{ *core }

// Periods are the personal boards, in the order they are refreshed.
var Periods = []string{"1d", "1w", "1m", "all"}

// baseDate is the date whose snapshot a period's return starts from: the
// last snapshot at or before it (yesterday's close for 1d); "" for all,
// which starts at each account's opening or last reset.
func baseDate(period string, now time.Time) string {
	today := now.In(domain.Seoul)
	switch period {
	case "1d":
		return today.AddDate(0, 0, -1).Format(time.DateOnly)
	case "1w":
		return today.AddDate(0, 0, -7).Format(time.DateOnly)
	case "1m":
		return today.AddDate(0, -1, 0).Format(time.DateOnly)
	}
	return ""
}

func validPeriod(period string) error {
	for _, p := range Periods {
		if p == period {
			return nil
		}
	}
	return domain.FieldErrorf(domain.CodeInvalid, "period", "must be one of 1d, 1w, 1m, all, got %q", period)
}

// RefreshResult says what a refresh ranked.
type RefreshResult struct {
	AsOf     time.Time
	Ranked   map[string]int64 // accounts per personal period
	Contests int              // running contests re-ranked
}

// Refresh recomputes every personal board and the board of every running
// contest.
func (s *Leaderboards) Refresh(ctx context.Context) (RefreshResult, error) {
	now := s.clock.Now().UTC()
	res := RefreshResult{AsOf: now, Ranked: map[string]int64{}}
	bases := map[string]string{}
	for _, p := range Periods {
		bases[p] = baseDate(p, now)
	}
	n, err := s.store.RankPersonal(ctx, bases, now)
	if err != nil {
		return res, err
	}
	for _, p := range Periods {
		res.Ranked[p] = n
	}
	cs, err := s.store.ListContests(ctx, 200)
	if err != nil {
		return res, err
	}
	for _, c := range cs {
		if c.StatusAt(now) != domain.ContestRunning || !c.FinalAt.IsZero() {
			continue
		}
		if _, err := s.store.RankContest(ctx, c.ID, now); err != nil {
			return res, err
		}
		res.Contests++
	}
	return res, nil
}

// Get returns the first limit lines (default 50, at most 500) of a
// personal board. A board never computed is empty, with no time.
func (s *Leaderboards) Get(ctx context.Context, period string, limit int) (domain.Leaderboard, error) {
	if period == "" {
		period = "1d"
	}
	if err := validPeriod(period); err != nil {
		return domain.Leaderboard{}, err
	}
	return s.board(ctx, "", period, limit)
}

func (s *core) board(ctx context.Context, contestID, period string, limit int) (domain.Leaderboard, error) {
	lb, err := s.store.GetLeaderboard(ctx, contestID, period, page(limit, 50, 500))
	if domain.IsCode(err, domain.CodeNotFound) {
		return domain.Leaderboard{ContestID: contestID, Period: period, Entries: []domain.Ranking{}}, nil
	}
	return lb, err
}

// SetPublic shows the user's nickname on the leaderboards, or hides it
// (the next refresh applies it).
func (s *Users) SetPublic(ctx context.Context, userID string, public bool) (domain.User, error) {
	var u domain.User
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, userID); err != nil {
			return err
		}
		u.Public, u.UpdatedAt = public, s.clock.Now().UTC()
		return tx.UpdateUser(ctx, u)
	})
	return u, err
}
