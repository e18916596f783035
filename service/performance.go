package service

import (
	"context"
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
	equityCache.invalidate()
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
	rows, _, err := s.equity(ctx, t, from, to)
	return rows, err
}

func (s *Accounts) equity(ctx context.Context, t Target, from, to string) ([]EquityRow, domain.Performance, error) {
	a, err := s.account(ctx, t)
	if err != nil {
		return nil, domain.Performance{}, err
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
		return nil, domain.Performance{}, domain.FieldErrorf(domain.CodeInvalid, "from", "must be a date as YYYY-MM-DD, got %q", from)
	}
	toDay, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, domain.Performance{}, domain.FieldErrorf(domain.CodeInvalid, "to", "must be a date as YYYY-MM-DD, got %q", to)
	}
	if toDay.Before(fromDay) {
		return []EquityRow{}, domain.Performance{}, nil
	}
	if toDay.Sub(fromDay) > maxEquityDays*24*time.Hour {
		return nil, domain.Performance{}, domain.FieldErrorf(domain.CodeInvalid, "from", "a range covers at most %d days", maxEquityDays)
	}
	inHistory := func(sn domain.EquitySnapshot) bool { return !sn.TakenAt.Before(a.HistoryStart) }
	all, err := s.snapshots(ctx, a.ID)
	if err != nil {
		return nil, domain.Performance{}, err
	}
	// The base: the index where the range starts, the newest snapshot
	// before it inside the history.
	base := decimal.NewFromInt(1)
	var snaps []domain.EquitySnapshot
	for i, sn := range all {
		switch {
		case sn.Date < from:
			if inHistory(sn) {
				base = sn.Index
			}
		case sn.Date <= to:
			snaps = all[i:]
		}
		if snaps != nil {
			break
		}
	}
	for i, sn := range snaps {
		if sn.Date > to {
			snaps = snaps[:i]
			break
		}
	}
	points := make([]domain.EquityPoint, 0, len(snaps)+1)
	index := make([]decimal.Decimal, 0, len(snaps)+1)
	var last *domain.EquitySnapshot
	for i := range snaps {
		sn := snaps[i]
		if !inHistory(sn) || (sn.Date == today && to >= today) {
			continue
		}
		points = append(points, sn.EquityPoint)
		index = append(index, sn.Index)
		last = &snaps[i]
	}
	if to >= today && from <= today {
		if last == nil {
			// The newest snapshot before today, which may predate from.
			for i := len(all) - 1; i >= 0; i-- {
				if all[i].Date < today {
					if inHistory(all[i]) {
						last = &all[i]
					}
					break
				}
			}
		}
		p, err := s.portfolio(ctx, a)
		if err != nil {
			return nil, domain.Performance{}, err
		}
		live := domain.EquityPoint{Date: today, Cash: a.Cash, HoldingsValue: p.Totals.MarketValue, Equity: p.Totals.TotalEquity}
		flowTotal := a.TotalDeposits.Sub(a.TotalWithdrawal)
		var idx decimal.Decimal
		if last == nil {
			live.NetFlow = flowTotal
			idx = domain.NextIndex(decimal.NewFromInt(1), decimal.Zero, flowTotal, live.Equity)
		} else {
			live.NetFlow = flowTotal.Sub(last.FlowTotal)
			idx = domain.NextIndex(last.Index, last.Equity, live.NetFlow, live.Equity)
		}
		points = append(points, live)
		index = append(index, idx)
	}
	perf := domain.MeasureIndex(base, index, s.cfg.RiskFreeRate)
	out := make([]EquityRow, len(points))
	for i, pt := range points {
		out[i] = EquityRow{EquityPoint: pt, DailyReturn: perf.DailyReturn[i], CumulativeReturn: perf.CumulativeReturn[i],
			Live: pt.Date == today && i == len(points)-1 && to >= today}
	}
	return out, perf, nil
}

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
	_, p, err := s.equity(ctx, t, "", "")
	if err != nil {
		return Performance{}, err
	}
	return Performance{TWR: p.TWR, MaxDrawdown: p.MaxDrawdown, Volatility: p.Volatility, Sharpe: p.Sharpe}, nil
}

// snapshotCache keeps each account's snapshots between equity reads: a
// history of years is thousands of rows, while a day adds one. An entry
// is good while the account's newest snapshot is the one it ends with (a
// snapshot run adds a row or rewrites the newest) and no snapshot run in
// this process has happened since it was read.
type snapshotCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cachedSnapshots
}

type cachedSnapshots struct {
	gen   uint64
	snaps []domain.EquitySnapshot
}

// maxCachedAccounts bounds the cache; when full it starts over.
const maxCachedAccounts = 4096

var equityCache = &snapshotCache{entries: map[string]cachedSnapshots{}}

// invalidate forgets every entry: a snapshot run may have rewritten any
// date.
func (c *snapshotCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// snapshots returns every snapshot of an account, oldest first, from the
// cache when it is current.
func (s *Accounts) snapshots(ctx context.Context, accountID string) ([]domain.EquitySnapshot, error) {
	last, err := s.store.LastEquitySnapshot(ctx, accountID, maxDate)
	if domain.IsCode(err, domain.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := equityCache
	c.mu.Lock()
	e, ok := c.entries[accountID]
	gen := c.gen
	c.mu.Unlock()
	if ok && e.gen == gen && len(e.snaps) > 0 {
		if n := e.snaps[len(e.snaps)-1]; n.Date == last.Date && n.TakenAt.Equal(last.TakenAt) {
			return e.snaps, nil
		}
	}
	snaps, err := s.store.ListEquitySnapshots(ctx, accountID, minDate, maxDate)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.entries) >= maxCachedAccounts {
			clear(c.entries)
		}
		c.entries[accountID] = cachedSnapshots{gen: gen, snaps: snaps}
	}
	c.mu.Unlock()
	return snaps, nil
}

// The widest range of snapshot dates.
const (
	minDate = "0000-01-01"
	maxDate = "9999-12-31"
)
