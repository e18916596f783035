package service

import (
	"context"
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
	return s.store.SnapshotEquity(ctx, date, now)
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
	// The base: the index where the range starts.
	base := decimal.NewFromInt(1)
	if prev, err := s.store.LastEquitySnapshot(ctx, a.ID, fromDay.AddDate(0, 0, -1).Format(time.DateOnly)); err == nil && inHistory(prev) {
		base = prev.Index
	} else if err != nil && !domain.IsCode(err, domain.CodeNotFound) {
		return nil, domain.Performance{}, err
	}
	snaps, err := s.store.ListEquitySnapshots(ctx, a.ID, from, to)
	if err != nil {
		return nil, domain.Performance{}, err
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
			prev, err := s.store.LastEquitySnapshot(ctx, a.ID, s.clock.Now().In(domain.Seoul).AddDate(0, 0, -1).Format(time.DateOnly))
			if err == nil && inHistory(prev) && prev.Date < today {
				last = &prev
			} else if err != nil && !domain.IsCode(err, domain.CodeNotFound) {
				return nil, domain.Performance{}, err
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
