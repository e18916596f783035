package ports

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// MarketReader reads the trade tape, the bars and the market days.
type MarketReader interface {
	// ListTrades returns a listing's recorded trades in [from, to), oldest
	// first, at most limit of them.
	ListTrades(ctx context.Context, code string, from, to time.Time, limit int) ([]domain.Trade, error)
	// ListDailyBars returns a listing's stored daily bars for the Seoul
	// dates in [fromDay, toDay) (YYYY-MM-DD), oldest first.
	ListDailyBars(ctx context.Context, code, fromDay, toDay string, limit int) ([]domain.Bar, error)
	// GetMarketDay returns domain.ErrNotFound for a date never rolled.
	GetMarketDay(ctx context.Context, day string) (MarketDayRecord, error)
}

// MarketDayRecord is what happened on a Seoul date: when it was rolled,
// and when its close was processed (zero when not yet).
type MarketDayRecord struct {
	Day      string
	RolledAt time.Time
	ClosedAt time.Time
}

// MarketWriter records trades, bars and the market day's steps.
type MarketWriter interface {
	// RecordTrades appends the trades to the tape and moves each listing
	// to its latest trade (price, quotes, added volume). An unknown
	// listing is domain.ErrNotFound.
	RecordTrades(ctx context.Context, trades []domain.Trade) error
	// UpsertDailyBars stores daily bars (Start is the Seoul midnight of
	// the day), replacing those of the same listing and day.
	UpsertDailyBars(ctx context.Context, bars []domain.Bar) error
	// RollStocks makes every listing's last price its previous close and
	// starts its volume over.
	RollStocks(ctx context.Context, at time.Time) error
	// MarkRolled records that day was rolled at at, and reports whether it
	// was not before (or force was set, which rolls it again).
	MarkRolled(ctx context.Context, day string, at time.Time, force bool) (bool, error)
	// MarkClosed records that day's close was processed.
	MarkClosed(ctx context.Context, day string, at time.Time) error
}
