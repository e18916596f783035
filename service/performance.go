package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

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
	n, err := s.store.SnapshotEquity(ctx, date, now)
	s.histories.invalidate()
	return n, err
}

// EquityRow is one day of an account's performance history.
type EquityRow struct {
	domain.EquityPoint
	DailyReturn      decimal.Decimal // fraction
	CumulativeReturn decimal.Decimal // fraction, since the start of the range
	// Live marks today's point, computed now from the current balance.
	Live bool
}

// maxEquityDays bounds an equity range: ten years of days.
const maxEquityDays = 3660

// Equity returns an account's end-of-day history between from and to
// (YYYY-MM-DD, Seoul, inclusive; from defaults to the history's opening, to
// to today) with a live point for today when the range reaches it. Returns
// are time-weighted: deposits, withdrawals, paid top-ups and resets move
// equity but are not gains, dividends are. The first row's returns are
// measured from the snapshot before from (or the history's opening).
func (s *Accounts) Equity(ctx context.Context, t Target, from, to string) ([]EquityRow, error) {
	e, err := s.EquitySeries(ctx, t, from, to)
	if err != nil || e.Live == nil {
		return e.Days, err
	}
	return append(e.Days[:len(e.Days):len(e.Days)], *e.Live), nil
}

// EquitySeries is Equity in two parts: the stored days, which change only
// when a snapshot run writes (or the range or the day changes), and
// today's live point.
type EquitySeries struct {
	// Key names Days: series with the same key have the same days, so
	// what is derived from them (their JSON) can be kept under it.
	Key string
	// Days is shared between readers: read it, never modify it.
	Days []EquityRow
	// Live is today's point, or nil when the range ends before today.
	Live *EquityRow
}

// EquitySeries returns Equity's rows as the stored days (computed once per
// snapshot run and kept) and the live point (computed now).
func (s *Accounts) EquitySeries(ctx context.Context, t Target, from, to string) (EquitySeries, error) {
	e, _, err := s.equity(ctx, t, from, to, false)
	return e, err
}

func (s *Accounts) equity(ctx context.Context, t Target, from, to string, measure bool) (EquitySeries, domain.Performance, error) {
	a, err := s.account(ctx, t)
	if err != nil {
		return EquitySeries{}, domain.Performance{}, err
	}
	today := domain.SeoulDate(s.clock.Now())
	opened := domain.SeoulDate(a.HistoryStart)
	if to == "" {
		to = today
	}
	if from == "" || from < opened {
		from = opened
	}
	fromDay, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return EquitySeries{}, domain.Performance{}, domain.FieldErrorf(domain.CodeInvalid, "from", "must be a date as YYYY-MM-DD, got %q", from)
	}
	toDay, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return EquitySeries{}, domain.Performance{}, domain.FieldErrorf(domain.CodeInvalid, "to", "must be a date as YYYY-MM-DD, got %q", to)
	}
	if toDay.Before(fromDay) {
		return EquitySeries{Days: []EquityRow{}}, domain.Performance{}, nil
	}
	if toDay.Sub(fromDay) > maxEquityDays*24*time.Hour {
		return EquitySeries{}, domain.Performance{}, domain.FieldErrorf(domain.CodeInvalid, "from", "a range covers at most %d days", maxEquityDays)
	}
	h, err := s.history(ctx, a, from, to, today)
	if err != nil {
		return EquitySeries{}, domain.Performance{}, err
	}
	out := EquitySeries{Key: h.key, Days: h.rows}
	index := h.index
	if to >= today && from <= today {
		p, err := s.portfolio(ctx, a)
		if err != nil {
			return EquitySeries{}, domain.Performance{}, err
		}
		live := domain.EquityPoint{Date: today, Cash: a.Cash, HoldingsValue: p.Totals.MarketValue, Equity: p.Totals.TotalEquity}
		flowTotal := a.TotalDeposits.Sub(a.TotalWithdrawal)
		var idx decimal.Decimal
		if h.last == nil {
			live.NetFlow = flowTotal
			idx = domain.NextIndex(decimal.NewFromInt(1), decimal.Zero, flowTotal, live.Equity)
		} else {
			live.NetFlow = flowTotal.Sub(h.last.FlowTotal)
			idx = domain.NextIndex(h.last.Index, h.last.Equity, live.NetFlow, live.Equity)
		}
		daily, cumulative, _ := domain.IndexStep(h.base, h.prev, idx)
		out.Live = &EquityRow{EquityPoint: live, DailyReturn: daily, CumulativeReturn: cumulative, Live: true}
		if measure {
			index = append(index[:len(index):len(index)], idx)
		}
	}
	var perf domain.Performance
	if measure {
		perf = domain.MeasureIndex(h.base, index, s.cfg.RiskFreeRate)
	}
	return out, perf, nil
}

// equityHistory is the stored part of an equity range, measured.
type equityHistory struct {
	key   string
	rows  []EquityRow
	index []decimal.Decimal
	// base is the index where the range starts, prev the index the live
	// point's daily return is measured from.
	base, prev decimal.Decimal
	// last is the newest snapshot before today inside the history, which
	// the live point chains to; nil when there is none.
	last *domain.EquitySnapshot
}

// history returns the stored days of the range from..to, measured, from
// the cache while no snapshot run has happened since they were.
func (s *Accounts) history(ctx context.Context, a domain.Account, from, to, today string) (*equityHistory, error) {
	runs, err := s.snapshotRuns(ctx)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%d|%s|%s|%s|%d", a.ID, a.HistoryStart.UnixNano(), from, to, today, runs)
	if h := s.histories.get(key); h != nil {
		return h, nil
	}
	all, err := s.store.ListEquitySnapshots(ctx, a.ID, minDate, maxDate)
	if err != nil {
		return nil, err
	}
	inHistory := func(sn domain.EquitySnapshot) bool { return !sn.TakenAt.Before(a.HistoryStart) }
	// The base: the index where the range starts, the newest snapshot
	// before it inside the history.
	h := &equityHistory{key: key, base: decimal.NewFromInt(1)}
	var snaps []domain.EquitySnapshot
	for i, sn := range all {
		if sn.Date >= from {
			snaps = all[i:]
			break
		}
		if inHistory(sn) {
			h.base = sn.Index
		}
	}
	for i, sn := range snaps {
		if sn.Date > to {
			snaps = snaps[:i]
			break
		}
	}
	points := make([]domain.EquityPoint, 0, len(snaps))
	h.index = make([]decimal.Decimal, 0, len(snaps)+1)
	for i := range snaps {
		sn := snaps[i]
		if !inHistory(sn) || (sn.Date == today && to >= today) {
			continue
		}
		points = append(points, sn.EquityPoint)
		h.index = append(h.index, sn.Index)
		h.last = &snaps[i]
	}
	if h.last == nil {
		// The newest snapshot before today, which may predate from.
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].Date < today {
				if inHistory(all[i]) {
					h.last = &all[i]
				}
				break
			}
		}
	}
	perf := domain.MeasureIndex(h.base, h.index, s.cfg.RiskFreeRate)
	h.rows = make([]EquityRow, len(points))
	h.prev = h.base
	if !h.prev.IsPositive() {
		h.prev = decimal.NewFromInt(1)
	}
	for i, pt := range points {
		h.rows[i] = EquityRow{EquityPoint: pt, DailyReturn: perf.DailyReturn[i], CumulativeReturn: perf.CumulativeReturn[i]}
		_, _, h.prev = domain.IndexStep(h.base, h.prev, h.index[i])
	}
	s.histories.put(key, h)
	return h, nil
}

// snapshotRuns returns the count of snapshot runs, from memory when it was
// read less than runsRecheck ago (a run in this process forgets it).
func (s *Accounts) snapshotRuns(ctx context.Context) (int64, error) {
	now := time.Now()
	runs, gen, ok := s.histories.recentRuns(now)
	if ok {
		return runs, nil
	}
	runs, err := s.store.SnapshotRuns(ctx)
	if err == nil {
		s.histories.noteRuns(runs, now, gen)
	}
	return runs, err
}

// runsRecheck is how long the count of snapshot runs is trusted without
// reading it again: a run made by another process (the worker's market
// day) shows in equity histories at most this much later.
const runsRecheck = time.Second

// Performance is the whole history's time-weighted statistics.
type Performance struct {
	TWR         decimal.Decimal // fraction
	MaxDrawdown decimal.Decimal // fraction, positive
	Volatility  decimal.Decimal // annualized
	Sharpe      decimal.Decimal
}

// Performance measures the account's history since its opening or last
// reset, up to now.
func (s *Accounts) Performance(ctx context.Context, t Target) (Performance, error) {
	_, p, err := s.equity(ctx, t, "", "", true)
	if err != nil {
		return Performance{}, err
	}
	return Performance{TWR: p.TWR, MaxDrawdown: p.MaxDrawdown, Volatility: p.Volatility, Sharpe: p.Sharpe}, nil
}

// historyCache keeps measured equity histories between reads: a history
// of years is thousands of rows and as many divisions, while a day adds
// one row. An entry's key holds the count of snapshot runs, so a run by
// any process retires every entry; a run in this process also empties
// the cache at once.
type historyCache struct {
	mu      sync.Mutex
	entries map[string]*equityHistory
	// runs is the count of snapshot runs read at runsRead (zero: none
	// read since the last run in this process); gen counts the runs in
	// this process, so that a count read before one is not kept.
	runs     int64
	runsRead time.Time
	gen      uint64
}

// recentRuns returns the count of snapshot runs and true if it was read
// less than runsRecheck before now, and the generation to note a count
// read now under.
func (c *historyCache) recentRuns(now time.Time) (int64, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs, c.gen, !c.runsRead.IsZero() && now.Sub(c.runsRead) < runsRecheck
}

// noteRuns keeps a count of runs read at now, unless a run in this process
// happened since gen.
func (c *historyCache) noteRuns(runs int64, now time.Time, gen uint64) {
	c.mu.Lock()
	if gen == c.gen {
		c.runs, c.runsRead = runs, now
	}
	c.mu.Unlock()
}

// maxCachedHistories bounds the cache; when full it starts over.
const maxCachedHistories = 4096

func (c *historyCache) get(key string) *equityHistory {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key]
}

func (c *historyCache) put(key string, h *equityHistory) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedHistories {
		clear(c.entries)
	}
	c.entries[key] = h
}

// invalidate forgets every entry and the count of runs.
func (c *historyCache) invalidate() {
	c.mu.Lock()
	clear(c.entries)
	c.runsRead = time.Time{}
	c.gen++
	c.mu.Unlock()
}

// The widest range of snapshot dates.
const (
	minDate = "0000-01-01"
	maxDate = "9999-12-31"
)
