package sqlstore

import (
	"database/sql"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Cursor and window bounds. Queries always bind them, so that one
// statement (and one plan) serves the first page and every later one.
var (
	// idMax sorts after every (ASCII) id in the byte order every engine
	// compares ids in: the "before" cursor of a first page.
	idMax = "\U0010FFFF"
	// timeMin and timeMax bound an open time window inside the range
	// every engine stores (MySQL's DATETIME starts at year 1000).
	timeMin = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	timeMax = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// maxLastError bounds outbox.last_error (VARCHAR(2048) in MySQL): a long
// delivery error is recorded shortened instead of failing the write.
const maxLastError = 2048

// maxOwner bounds outbox.claimed_by (VARCHAR(64) in MySQL).
const maxOwner = 64

// limit turns a port limit into a LIMIT value: zero or negative means a
// bound nothing reaches (PostgreSQL refuses a negative LIMIT).
func limit(n int) int64 {
	if n <= 0 || n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int64(n)
}

func before(cursor string) string {
	if cursor == "" {
		return idMax
	}
	return cursor
}

// clamp keeps a window bound inside [timeMin, timeMax]; zero is unbounded.
func clamp(t, unbounded time.Time) time.Time {
	switch {
	case t.IsZero():
		return unbounded
	case t.Before(timeMin):
		return timeMin
	case t.After(timeMax):
		return timeMax
	}
	return t.UTC()
}

// nullString stores the empty string as NULL: no client order id, no
// stock or order on a ledger row.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullTime stores the zero time as NULL, the domain's "never".
func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// orNow fills a missing creation or update time so that a NOT NULL time
// column never holds a made-up date.
func orNow(t time.Time) time.Time { return orTime(t, time.Now().UTC()) }

// orTime is t in UTC, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t.UTC()
}

// wholeWon is a price in whole won rounded down, the integer price_key
// that resting orders are indexed by: exact for limits on the tick grid,
// a bound for anything else (candidates are re-checked with decimals).
func wholeWon(p decimal.Decimal) int64 { return p.Floor().IntPart() }

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// payload stores a missing payload as empty bytes: MySQL's column is NOT
// NULL. outboxMessage reads empty bytes back as no payload.
func payload(p []byte) []byte {
	if p == nil {
		return []byte{}
	}
	return p
}

// all maps every row.
func all[R, T any](rows []R, conv func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out
}

func user(r sqldb.User) domain.User {
	return domain.User{
		ID:           r.ID,
		Email:        r.Email,
		Nickname:     r.Nickname,
		PasswordHash: r.PasswordHash,
		Role:         domain.Role(r.Role),
		PremiumUntil: timeOf(r.PremiumUntil),
		Public:       r.Public,
		CreatedAt:    r.CreatedAt,
		UpdatedAt:    r.UpdatedAt,
	}
}

func account(r sqldb.Account) domain.Account {
	return domain.Account{
		ID:              r.ID,
		UserID:          r.UserID,
		Kind:            domain.AccountKind(r.Kind),
		ContestID:       r.ContestID,
		Cash:            r.Cash,
		ReservedCash:    r.ReservedCash,
		TotalDeposits:   r.TotalDeposits,
		TotalWithdrawal: r.TotalWithdrawals,
		RealizedPnL:     r.RealizedPnl,
		TotalCommission: r.TotalCommission,
		TotalTax:        r.TotalTax,
		BuyCount:        r.BuyCount,
		SellCount:       r.SellCount,
		WinCount:        r.WinCount,
		LossCount:       r.LossCount,
		LedgerSeq:       r.LedgerSeq,
		FreeDepositDay:  r.FreeDepositDay,
		FreeDeposited:   r.FreeDeposited,
		HistoryStart:    r.HistoryStart,
		CreatedAt:       r.CreatedAt,
		UpdatedAt:       r.UpdatedAt,
	}
}

func stock(r sqldb.Stock) domain.Stock {
	return domain.Stock{
		Code:      r.Code,
		Name:      r.Name,
		NameEn:    r.NameEn,
		Market:    domain.Market(r.Market),
		Price:     r.Price,
		PrevClose: r.PrevClose,
		Bid:       r.Bid.Decimal,
		Ask:       r.Ask.Decimal,
		Volume:    r.Volume,
		Active:    r.Active,
		UpdatedAt: r.UpdatedAt,
	}
}

func pricePoint(r sqldb.ListPricesDescRow) domain.PricePoint {
	return domain.PricePoint{StockCode: r.StockCode, Price: r.Price, At: r.RecordedAt}
}

func holding(r sqldb.Holding) domain.Holding {
	return domain.Holding{
		AccountID:        r.AccountID,
		StockCode:        r.StockCode,
		Quantity:         r.Quantity,
		ReservedQuantity: r.ReservedQuantity,
		AveragePrice:     r.AveragePrice,
		CreatedAt:        r.CreatedAt,
		UpdatedAt:        r.UpdatedAt,
	}
}

func position(r sqldb.ListPositionsRow) ports.Position {
	return ports.Position{
		Holding: holding(sqldb.Holding{AccountID: r.AccountID, StockCode: r.StockCode, Quantity: r.Quantity,
			ReservedQuantity: r.ReservedQuantity, AveragePrice: r.AveragePrice, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}),
		Stock: stock(sqldb.Stock{Code: r.StockCode, Name: r.Name, NameEn: r.NameEn, Market: r.Market, Price: r.Price,
			PrevClose: r.PrevClose, Active: r.Active, UpdatedAt: r.StockUpdatedAt, Bid: r.Bid, Ask: r.Ask, Volume: r.Volume}),
	}
}

func order(r sqldb.Order) domain.Order {
	return domain.Order{
		ID:               r.ID,
		AccountID:        r.AccountID,
		UserID:           r.UserID,
		ClientOrderID:    r.ClientOrderID.String,
		StockCode:        r.StockCode,
		Side:             domain.Side(r.Side),
		Type:             domain.OrderType(r.Type),
		TimeInForce:      domain.TimeInForce(r.TimeInForce),
		Quantity:         r.Quantity,
		LimitPrice:       r.LimitPrice,
		Status:           domain.OrderStatus(r.Status),
		FilledQuantity:   r.FilledQuantity,
		AverageFillPrice: r.AverageFillPrice,
		ReservedAmount:   r.ReservedAmount,
		Commission:       r.Commission,
		Tax:              r.Tax,
		ExpiresAt:        timeOf(r.ExpiresAt),
		Reason:           r.Reason,
		StopPrice:        r.StopPrice,
		TriggeredAt:      timeOf(r.TriggeredAt),
		PriorityAt:       orTime(timeOf(r.PriorityAt), r.CreatedAt),
		CreatedAt:        r.CreatedAt,
		UpdatedAt:        r.UpdatedAt,
	}
}

func execution(r sqldb.Execution) domain.Execution {
	return domain.Execution{
		ID:          r.ID,
		OrderID:     r.OrderID,
		AccountID:   r.AccountID,
		UserID:      r.UserID,
		StockCode:   r.StockCode,
		Side:        domain.Side(r.Side),
		Quantity:    r.Quantity,
		Price:       r.Price,
		Amount:      r.Amount,
		Commission:  r.Commission,
		Tax:         r.Tax,
		RealizedPnL: r.RealizedPnl,
		ExecutedAt:  r.ExecutedAt,
	}
}

func ledgerEntry(r sqldb.Ledger) domain.LedgerEntry {
	return domain.LedgerEntry{
		ID:                r.ID,
		AccountID:         r.AccountID,
		UserID:            r.UserID,
		Seq:               r.Seq,
		Type:              domain.TxType(r.Type),
		StockCode:         r.StockCode.String,
		OrderID:           r.OrderID.String,
		PaymentID:         r.PaymentID.String,
		Quantity:          r.Quantity,
		Price:             r.Price,
		Amount:            r.Amount,
		Commission:        r.Commission,
		Tax:               r.Tax,
		CashBalanceBefore: r.CashBalanceBefore,
		CashBalanceAfter:  r.CashBalanceAfter,
		Memo:              r.Memo,
		CreatedAt:         r.CreatedAt,
	}
}

func watchItem(r sqldb.Watchlist) domain.WatchItem {
	return domain.WatchItem{UserID: r.UserID, StockCode: r.StockCode, CreatedAt: r.CreatedAt}
}

func payment(r sqldb.Payment) domain.Payment {
	return domain.Payment{
		ID:            r.ID,
		UserID:        r.UserID,
		Product:       domain.Product(r.Product),
		OrderName:     r.OrderName,
		Amount:        r.Amount,
		Currency:      r.Currency,
		Status:        domain.PaymentStatus(r.Status),
		CreditAmount:  r.CreditAmount,
		PremiumDays:   int(r.PremiumDays),
		PaidAmount:    r.PaidAmount,
		PaidCurrency:  r.PaidCurrency,
		TransactionID: r.TransactionID,
		Reason:        r.Reason,
		FulfilledAt:   timeOf(r.FulfilledAt),
		CreatedAt:     r.CreatedAt,
		UpdatedAt:     r.UpdatedAt,
	}
}

func outboxMessage(r sqldb.Outbox) ports.OutboxMessage {
	m := ports.OutboxMessage{
		ID:        r.ID,
		Kind:      r.Kind,
		Key:       r.MsgKey,
		Attempts:  int(r.Attempts),
		NextTry:   r.NextTry,
		LastError: r.LastError,
		CreatedAt: r.CreatedAt,
	}
	if len(r.Payload) > 0 {
		m.Payload = r.Payload
	}
	return m
}

func trade(r sqldb.ListTradesRow) domain.Trade {
	return domain.Trade{
		Code: r.StockCode, At: r.RecordedAt, Price: r.Price, Volume: r.Volume,
		Bid: r.Bid.Decimal, Ask: r.Ask.Decimal,
	}
}

func dailyBar(r sqldb.DailyBar) domain.Bar {
	start, _ := time.ParseInLocation(time.DateOnly, r.Day, domain.Seoul)
	return domain.Bar{
		Code: r.StockCode, Interval: domain.Daily, Start: start.UTC(),
		Open: r.Open, High: r.High, Low: r.Low, Close: r.Close, Volume: r.Volume,
	}
}

func marketDay(r sqldb.MarketDay) ports.MarketDayRecord {
	return ports.MarketDayRecord{Day: r.Day, RolledAt: r.RolledAt, ClosedAt: r.ClosedAt.Time}
}

// quote is a quote for a nullable column: zero is none.
func quote(d decimal.Decimal) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: d, Valid: !d.IsZero()}
}
