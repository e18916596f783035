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

// ListTrades returns a listing's tape in [from, to), oldest first.
func (r reader) ListTrades(ctx context.Context, code string, from, to time.Time, n int) ([]domain.Trade, error) {
	return list(r, ctx, "list trades", sqldb.Queries.ListTrades, sqldb.ListTradesParams{
		StockCode: code, FromTime: clamp(from, timeMin), ToTime: clamp(to, timeMax), Limit: limit(n),
	}, trade)
}

// ListDailyBars returns the stored daily bars of the dates in [fromDay,
// toDay), oldest first.
func (r reader) ListDailyBars(ctx context.Context, code, fromDay, toDay string, n int) ([]domain.Bar, error) {
	if toDay == "" {
		toDay = "9999-12-31"
	}
	return list(r, ctx, "list daily bars", sqldb.Queries.ListDailyBars, sqldb.ListDailyBarsParams{
		StockCode: code, FromDay: fromDay, ToDay: toDay, Limit: limit(n),
	}, dailyBar)
}

// GetMarketDay returns domain.ErrNotFound for a date never rolled.
func (r reader) GetMarketDay(ctx context.Context, day string) (ports.MarketDayRecord, error) {
	return get(r, ctx, "get market day", sqldb.Queries.GetMarketDay, day, marketDay)
}

// RecordTrades appends every trade to the tape and moves each listing once,
// to its last trade in the batch with the batch's volume added. Listings
// are updated in code order, so two batches never wait on each other in a
// cycle.
func (t *tx) RecordTrades(ctx context.Context, trades []domain.Trade) error {
	type move struct {
		last   domain.Trade
		volume int64
	}
	moves := make(map[string]*move, 4)
	for _, tr := range trades {
		at := orNow(tr.At)
		if err := blind(t, ctx, "record trade", sqldb.Queries.InsertTrade, sqldb.InsertTradeParams{
			StockCode: tr.Code, Price: tr.Price, RecordedAt: at, Volume: tr.Volume,
			Bid: quote(tr.Bid), Ask: quote(tr.Ask),
		}); err != nil {
			return err
		}
		tr.At = at
		if m, ok := moves[tr.Code]; ok {
			m.last, m.volume = tr, m.volume+tr.Volume
		} else {
			moves[tr.Code] = &move{last: tr, volume: tr.Volume}
		}
	}
	codes := make([]string, 0, len(moves))
	for c := range moves {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, strings.Compare)
	for _, c := range codes {
		m := moves[c]
		if _, err := exec(t, ctx, "record trade", MustChange, sqldb.Queries.RecordTrade, sqldb.RecordTradeParams{
			Price: m.last.Price, Bid: quote(m.last.Bid), Ask: quote(m.last.Ask),
			Volume: m.volume, UpdatedAt: m.last.At, Code: c,
		}); err != nil {
			return err
		}
	}
	return nil
}

// RollStocks makes each last price the previous close and zeroes the
// volumes.
func (t *tx) RollStocks(ctx context.Context, at time.Time) error {
	_, err := exec(t, ctx, "roll stocks", Counted, sqldb.Queries.RollStocks, orNow(at))
	return err
}

// MarkRolled records the roll of day; it reports false when the day was
// rolled before and force is not set.
func (t *tx) MarkRolled(ctx context.Context, day string, at time.Time, force bool) (bool, error) {
	_, err := t.GetMarketDay(ctx, day)
	switch {
	case domain.IsCode(err, domain.CodeNotFound):
		return true, blind(t, ctx, "mark rolled", sqldb.Queries.InsertMarketDay,
			sqldb.InsertMarketDayParams{Day: day, RolledAt: orNow(at)})
	case err != nil:
		return false, err
	case !force:
		return false, nil
	}
	_, err = exec(t, ctx, "mark rolled", Counted, sqldb.Queries.SetMarketDayRolled,
		sqldb.SetMarketDayRolledParams{RolledAt: orNow(at), Day: day})
	return err == nil, err
}

// MarkClosed records that day's close was processed.
func (t *tx) MarkClosed(ctx context.Context, day string, at time.Time) error {
	_, err := exec(t, ctx, "mark closed", MustChange, sqldb.Queries.SetMarketDayClosed,
		sqldb.SetMarketDayClosedParams{ClosedAt: nullTime(orNow(at)), Day: day})
	return err
}

// UpsertDailyBars stores daily bars keyed by listing and Seoul date.
func (t *tx) UpsertDailyBars(ctx context.Context, bars []domain.Bar) error {
	for _, b := range bars {
		if err := blind(t, ctx, "upsert daily bar", sqldb.Queries.UpsertDailyBar, sqldb.UpsertDailyBarParams{
			StockCode: b.Code, Day: b.Start.In(domain.Seoul).Format(time.DateOnly),
			Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume,
		}); err != nil {
			return err
		}
	}
	return nil
}

// GetLease returns a feed lease.
func (r reader) GetLease(ctx context.Context, name string) (ports.Lease, error) {
	return get(r, ctx, "get lease", sqldb.Queries.GetLease, name, func(l sqldb.FeedLease) ports.Lease {
		return ports.Lease{Name: l.Name, Owner: l.Owner, ExpiresAt: l.ExpiresAt}
	})
}

// TakeLease renews or takes over a lease, or creates it.
func (t *tx) TakeLease(ctx context.Context, name, owner string, now, expires time.Time) (bool, error) {
	n, err := exec(t, ctx, "take lease", Counted, sqldb.Queries.TakeLease,
		sqldb.TakeLeaseParams{Owner: owner, ExpiresAt: expires.UTC(), Name: name, Now: now.UTC()})
	if err != nil || n == 1 {
		return n == 1, err
	}
	if _, err := t.GetLease(ctx, name); !domain.IsCode(err, domain.CodeNotFound) {
		return false, err
	}
	return true, blind(t, ctx, "take lease", sqldb.Queries.InsertLease,
		sqldb.InsertLeaseParams{Name: name, Owner: owner, ExpiresAt: expires.UTC()})
}

// ReleaseLease deletes owner's lease.
func (t *tx) ReleaseLease(ctx context.Context, name, owner string) error {
	_, err := exec(t, ctx, "release lease", Counted, sqldb.Queries.ReleaseLease,
		sqldb.ReleaseLeaseParams{Name: name, Owner: owner})
	return err
}

func dividend(r sqldb.Dividend) domain.Dividend {
	return domain.Dividend{
		ID: r.ID, StockCode: r.StockCode, RecordDate: r.RecordDate, PayDate: r.PayDate, PerShare: r.PerShare,
		RecordedAt: timeOf(r.RecordedAt), PaidAt: timeOf(r.PaidAt), CreatedAt: r.CreatedAt,
	}
}

// ListDividendsToRecord returns the dividends whose holders are due to be
// kept.
func (r reader) ListDividendsToRecord(ctx context.Context, day string) ([]domain.Dividend, error) {
	return list(r, ctx, "list dividends to record", sqldb.Queries.ListDividendsToRecord, day, dividend)
}

// ListDividendsDue returns the dividends due to be paid.
func (r reader) ListDividendsDue(ctx context.Context, day string) ([]domain.Dividend, error) {
	return list(r, ctx, "list dividends due", sqldb.Queries.ListDividendsDue, day, dividend)
}

// ListUnpaidHolders returns a dividend's unpaid holders.
func (r reader) ListUnpaidHolders(ctx context.Context, dividendID string, n int) ([]domain.DividendHolder, error) {
	return list(r, ctx, "list unpaid holders", sqldb.Queries.ListUnpaidHolders,
		sqldb.ListUnpaidHoldersParams{DividendID: dividendID, Limit: limit(n)},
		func(h sqldb.DividendHolder) domain.DividendHolder {
			return domain.DividendHolder{DividendID: h.DividendID, AccountID: h.AccountID, Quantity: h.Quantity}
		})
}

// UpsertDividend adds or restates a dividend.
func (t *tx) UpsertDividend(ctx context.Context, d domain.Dividend) error {
	return blind(t, ctx, "upsert dividend", sqldb.Queries.UpsertDividend, sqldb.UpsertDividendParams{
		ID: d.ID, StockCode: d.StockCode, RecordDate: d.RecordDate, PayDate: d.PayDate,
		PerShare: d.PerShare, CreatedAt: orNow(d.CreatedAt),
	})
}

// RecordDividendHolders keeps the holders of record once.
func (t *tx) RecordDividendHolders(ctx context.Context, d domain.Dividend, at time.Time) (bool, error) {
	n, err := exec(t, ctx, "record dividend holders", Counted, sqldb.Queries.SetDividendRecorded,
		sqldb.SetDividendRecordedParams{RecordedAt: nullTime(orNow(at)), ID: d.ID})
	if err != nil || n == 0 {
		return false, err
	}
	return true, blind(t, ctx, "record dividend holders", sqldb.Queries.RecordDividendHolders,
		sqldb.RecordDividendHoldersParams{DividendID: d.ID, StockCode: d.StockCode})
}

// SetHolderPaid marks a holder paid once.
func (t *tx) SetHolderPaid(ctx context.Context, dividendID, accountID string, at time.Time) (bool, error) {
	n, err := exec(t, ctx, "set holder paid", Counted, sqldb.Queries.SetHolderPaid,
		sqldb.SetHolderPaidParams{PaidAt: nullTime(orNow(at)), DividendID: dividendID, AccountID: accountID})
	return n == 1, err
}

// SetDividendPaid marks a dividend paid.
func (t *tx) SetDividendPaid(ctx context.Context, id string, at time.Time) error {
	_, err := exec(t, ctx, "set dividend paid", Counted, sqldb.Queries.SetDividendPaid,
		sqldb.SetDividendPaidParams{PaidAt: nullTime(orNow(at)), ID: id})
	return err
}
