package service

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Bar windows: how far back a request reaches by default, and at most.
const (
	minuteBarsDefault = 24 * time.Hour
	minuteBarsMax     = 7 * 24 * time.Hour
	dailyBarsDefault  = 365 * 24 * time.Hour
	dailyBarsMax      = 20 * 366 * 24 * time.Hour
	// maxTapeRead bounds the trades one bar request folds.
	maxTapeRead = 1_000_000
)

// Bars returns a listing's bars of interval in [from, to), oldest first:
// minute bars folded from the trade tape; daily bars as stored (by the
// market day's close and by imports), with the days not yet stored
// folded from the tape. A zero to is now; a zero from reaches a day (1m)
// or a year (1d) back.
func (s *Market) Bars(ctx context.Context, code string, interval domain.BarInterval, from, to time.Time) ([]domain.Bar, error) {
	if interval != domain.Minute && interval != domain.Daily {
		return nil, domain.FieldErrorf(domain.CodeInvalid, "interval", "must be 1m or 1d, got %q", interval)
	}
	if _, err := s.stock(ctx, code); err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = s.clock.Now()
	}
	def, most := minuteBarsDefault, minuteBarsMax
	if interval == domain.Daily {
		def, most = dailyBarsDefault, dailyBarsMax
	}
	if from.IsZero() {
		from = to.Add(-def)
	}
	if !from.Before(to) {
		return nil, domain.FieldErrorf(domain.CodeInvalid, "from", "must be before to (%s is not before %s)", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if to.Sub(from) > most {
		return nil, domain.FieldErrorf(domain.CodeInvalid, "from", "%s bars reach at most %d days back from to", interval, int(most.Hours()/24))
	}
	if interval == domain.Minute {
		trades, err := s.store.ListTrades(ctx, code, domain.BarStart(from, domain.Minute), to, maxTapeRead)
		if err != nil {
			return nil, err
		}
		return domain.AggregateTrades(trades, domain.Minute), nil
	}
	fromDay, toDay := domain.BarStart(from, domain.Daily), domain.BarStart(to.Add(-time.Nanosecond), domain.Daily).AddDate(0, 0, 1)
	stored, err := s.store.ListDailyBars(ctx, code, domain.SeoulDate(fromDay), domain.SeoulDate(toDay), 0)
	if err != nil {
		return nil, err
	}
	// The days after the last stored bar come from the tape: today's,
	// and any the market day has not closed yet.
	tapeFrom := fromDay
	if n := len(stored); n > 0 {
		tapeFrom = stored[n-1].Start.AddDate(0, 0, 1)
	}
	if earliest := toDay.AddDate(0, 0, -7); tapeFrom.Before(earliest) {
		tapeFrom = earliest
	}
	if !tapeFrom.Before(toDay) {
		return stored, nil
	}
	trades, err := s.store.ListTrades(ctx, code, tapeFrom, toDay, maxTapeRead)
	if err != nil {
		return nil, err
	}
	return append(stored, domain.AggregateTrades(trades, domain.Daily)...), nil
}

// DailyBarsOf folds each listing's trades of a Seoul date into its daily
// bar and stores them; listings that did not trade get none. It returns
// how many it stored.
func (s *Market) DailyBarsOf(ctx context.Context, date string) (int, error) {
	day, err := time.ParseInLocation(time.DateOnly, date, domain.Seoul)
	if err != nil {
		return 0, domain.FieldErrorf(domain.CodeInvalid, "date", "%q is not a YYYY-MM-DD date", date)
	}
	stocks, err := s.store.ListStocks(ctx)
	if err != nil {
		return 0, err
	}
	var bars []domain.Bar
	for _, st := range stocks {
		trades, err := s.store.ListTrades(ctx, st.Code, day, day.AddDate(0, 0, 1), maxTapeRead)
		if err != nil {
			return 0, err
		}
		bars = append(bars, domain.AggregateTrades(trades, domain.Daily)...)
	}
	if len(bars) == 0 {
		return 0, nil
	}
	return len(bars), s.tx(ctx, func(ctx context.Context, tx ports.Tx) error { return tx.UpsertDailyBars(ctx, bars) })
}
