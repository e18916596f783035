package service

import (
	"context"
	"sync"
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
	s.boards.forget()
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
	n := page(limit, 50, 500)
	empty := domain.Leaderboard{ContestID: contestID, Period: period, Entries: []domain.Ranking{}}
	key := boardKey{contestID, period, n}
	// A personal board checked within boardRecheck is served as it was:
	// only a refresh rewrites it, and one in this process forgets the
	// boards kept.
	now, gen := time.Now(), s.boards.generation()
	if contestID == "" {
		if lb, ok := s.boards.recent(key, now); ok {
			return lb, nil
		}
	}
	// A board changes only when a refresh rewrites it, which restamps it:
	// while its time is the same, the lines read before are still the
	// board's.
	asOf, err := s.store.LeaderboardTime(ctx, contestID, period)
	if domain.IsCode(err, domain.CodeNotFound) {
		return empty, nil
	}
	if err != nil {
		return domain.Leaderboard{}, err
	}
	if lb, ok := s.boards.get(key, asOf, now, gen); ok {
		return lb, nil
	}
	lb, err := s.store.GetLeaderboard(ctx, contestID, period, n)
	if domain.IsCode(err, domain.CodeNotFound) {
		return empty, nil
	}
	if err == nil {
		s.boards.put(key, lb, now, gen)
	}
	return lb, err
}

// boardRecheck is how long a personal board is served from memory without
// checking its time in the database: a refresh made by another process
// (the worker's Schedule) shows at most this much later. Under load the
// check was as much work as the rest of the read.
const boardRecheck = time.Second

// boardCache keeps the boards read, each with the time it was computed
// and when that time was last checked. gen counts the refreshes in this
// process: a read that began before one does not keep what it read.
type boardCache struct {
	mu  sync.Mutex
	m   map[boardKey]cachedBoard
	gen uint64
}

type boardKey struct {
	contestID, period string
	limit             int
}

type cachedBoard struct {
	lb      domain.Leaderboard
	checked time.Time
}

// maxCachedBoards bounds the cache; when full it starts over.
const maxCachedBoards = 1024

// recent returns the board kept under key if its time was checked less
// than boardRecheck before now. Its entries are shared: callers read
// them, never modify them.
func (c *boardCache) recent(key boardKey, now time.Time) (domain.Leaderboard, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b.lb, ok && now.Sub(b.checked) < boardRecheck
}

// generation is the count of refreshes in this process so far.
func (c *boardCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// get returns the board kept under key if it was computed at asOf, and
// notes that it was checked now, unless a refresh forgot the boards since
// gen.
func (c *boardCache) get(key boardKey, asOf, now time.Time, gen uint64) (domain.Leaderboard, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	if !ok || !b.lb.AsOf.Equal(asOf) {
		return domain.Leaderboard{}, false
	}
	if gen == c.gen {
		b.checked = now
		c.m[key] = b
	}
	return b.lb, true
}

// put keeps a board read now, unless a refresh forgot the boards since
// gen.
func (c *boardCache) put(key boardKey, lb domain.Leaderboard, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= maxCachedBoards {
		clear(c.m)
	}
	c.m[key] = cachedBoard{lb: lb, checked: now}
}

// forget drops every board kept and starts a generation.
func (c *boardCache) forget() {
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
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
