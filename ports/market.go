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
	// ListDividendsToRecord returns the dividends whose record date is at
	// or before day and whose holders are not kept yet.
	ListDividendsToRecord(ctx context.Context, day string) ([]domain.Dividend, error)
	// ListDividendsDue returns the recorded, unpaid dividends whose pay
	// date is at or before day.
	ListDividendsDue(ctx context.Context, day string) ([]domain.Dividend, error)
	// ListUnpaidHolders returns up to limit holders of a dividend not yet
	// paid, by account id.
	ListUnpaidHolders(ctx context.Context, dividendID string, limit int) ([]domain.DividendHolder, error)
	// GetLease returns domain.ErrNotFound when nobody holds the lease.
	GetLease(ctx context.Context, name string) (Lease, error)
}

// Lease says who drives a market feed until when.
type Lease struct {
	Name      string
	Owner     string
	ExpiresAt time.Time
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
	// TakeLease gives the lease to owner until expires when owner holds
	// it or it expired before now, and reports whether it did. Taking a
	// lease nobody ever held may instead fail with domain.ErrDuplicate
	// when another owner took it first.
	TakeLease(ctx context.Context, name, owner string, now, expires time.Time) (bool, error)
	// UpsertDividend adds a dividend, or restates the pay date and amount
	// of one (same listing and record date) not yet paid.
	UpsertDividend(ctx context.Context, d domain.Dividend) error
	// RecordDividendHolders keeps the accounts holding the listing now as
	// the dividend's holders of record, once: false when it was done.
	RecordDividendHolders(ctx context.Context, d domain.Dividend, at time.Time) (bool, error)
	// SetHolderPaid marks a holder paid, once: false when it was.
	SetHolderPaid(ctx context.Context, dividendID, accountID string, at time.Time) (bool, error)
	// SetDividendPaid marks a dividend paid to every holder.
	SetDividendPaid(ctx context.Context, id string, at time.Time) error
	// ReleaseLease gives up owner's lease, if owner still holds it.
	ReleaseLease(ctx context.Context, name, owner string) error
}
