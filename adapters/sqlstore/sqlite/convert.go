package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Cursor and window bounds. Queries always bind them, so that one
// prepared plan serves the first page and every later one.
var (
	// idMax sorts after every identifier (UUIDs are ASCII): the "before"
	// cursor of a first page.
	idMax = "\U0010FFFF"
	// timeMin and timeMax bound an open time window.
	timeMin = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	timeMax = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// lim turns a port limit into SQLite's: zero or negative means no limit.
func lim(n int) int64 {
	if n <= 0 {
		return -1
	}
	return int64(n)
}

func before(cursor string) string {
	if cursor == "" {
		return idMax
	}
	return cursor
}

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
	return t.Time
}

// orNow fills a missing creation or update time so that a NOT NULL time
// column never holds year one.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

// priceKey is a limit price as whole won, the integer the crossing index
// orders by. Limit prices are whole won on the tick grid; Floor keeps the
// key a lower bound for any other value, and the crossing query re-checks
// every candidate with exact decimals.
func priceKey(p decimal.NullDecimal) sql.NullInt64 {
	if !p.Valid {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: p.Decimal.Floor().IntPart(), Valid: true}
}

// wrap names the failed operation and turns SQLite's errors into the
// domain's: no rows is domain.ErrNotFound, a unique or primary key
// violation domain.ErrDuplicate, a foreign key violation a not-found of the
// row referred to.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return domain.ErrDuplicate
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: a referenced user, stock or order does not exist: %w", op, domain.ErrNotFound)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// changed turns the row count of an update that must hit one row into an
// error.
func changed(op string, n int64, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

func user(r sqlitedb.User) domain.User {
	return domain.User{
		ID:           r.ID,
		Email:        r.Email,
		Nickname:     r.Nickname,
		PasswordHash: r.PasswordHash,
		Role:         domain.Role(r.Role),
		PremiumUntil: timeOf(r.PremiumUntil),
		CreatedAt:    r.CreatedAt,
		UpdatedAt:    r.UpdatedAt,
	}
}

func account(r sqlitedb.Account) domain.Account {
	return domain.Account{
		UserID:          r.UserID,
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
		UpdatedAt:       r.UpdatedAt,
	}
}

func stock(r sqlitedb.Stock) domain.Stock {
	return domain.Stock{
		Code:      r.Code,
		Name:      r.Name,
		NameEn:    r.NameEn,
		Market:    domain.Market(r.Market),
		Price:     r.Price,
		PrevClose: r.PrevClose,
		Active:    r.Active,
		UpdatedAt: r.UpdatedAt,
	}
}

func holding(r sqlitedb.Holding) domain.Holding {
	return domain.Holding{
		UserID:           r.UserID,
		StockCode:        r.StockCode,
		Quantity:         r.Quantity,
		ReservedQuantity: r.ReservedQuantity,
		AveragePrice:     r.AveragePrice,
		CreatedAt:        r.CreatedAt,
		UpdatedAt:        r.UpdatedAt,
	}
}

func order(r sqlitedb.Order) domain.Order {
	return domain.Order{
		ID:               r.ID,
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
		CreatedAt:        r.CreatedAt,
		UpdatedAt:        r.UpdatedAt,
	}
}

func orders(rows []sqlitedb.Order) []domain.Order {
	out := make([]domain.Order, len(rows))
	for i, r := range rows {
		out[i] = order(r)
	}
	return out
}

func execution(r sqlitedb.Execution) domain.Execution {
	return domain.Execution{
		ID:          r.ID,
		OrderID:     r.OrderID,
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

func executions(rows []sqlitedb.Execution) []domain.Execution {
	out := make([]domain.Execution, len(rows))
	for i, r := range rows {
		out[i] = execution(r)
	}
	return out
}

func ledgerEntry(r sqlitedb.Ledger) domain.LedgerEntry {
	return domain.LedgerEntry{
		ID:                r.ID,
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

func payment(r sqlitedb.Payment) domain.Payment {
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

func outboxMessage(r sqlitedb.Outbox) ports.OutboxMessage {
	return ports.OutboxMessage{
		ID:        r.ID,
		Kind:      r.Kind,
		Key:       r.MsgKey,
		Payload:   r.Payload,
		Attempts:  int(r.Attempts),
		NextTry:   r.NextTry,
		LastError: r.LastError,
		CreatedAt: r.CreatedAt,
	}
}
