package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Cursor and window bounds. Queries always bind them, so that one plan
// serves the first page and every later one.
var (
	// idMax sorts after every identifier in byte order (the id columns
	// are COLLATE "C" and ids are ASCII): the "before" cursor of a first
	// page.
	idMax = "\U0010FFFF"
	// timeMin and timeMax bound an open time window.
	timeMin = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	timeMax = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// SQLSTATE codes the store reacts to.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeLockNotAvailable     = "55P03"
)

// lim turns a port limit into a LIMIT value: zero or negative means no
// limit, which PostgreSQL spells as a bound nothing reaches (a negative
// LIMIT is an error there).
func lim(n int) int64 {
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

func text(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// timestamptz stores the zero time as NULL, the domain's "never".
func timestamptz(t time.Time) sql.NullTime {
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
// column never holds year one.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

// orTime is t in UTC, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t.UTC()
}

// priceKey is a limit price as whole won, the integer the crossing index
// orders by. Limit prices are whole won on the tick grid; Floor keeps the
// key a lower bound for any other value, and ListCrossingOrders re-checks
// every candidate with exact decimals.
func priceKey(p decimal.NullDecimal) sql.NullInt64 {
	if !p.Valid {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: p.Decimal.Floor().IntPart(), Valid: true}
}

// wrap names the failed operation and turns PostgreSQL's errors into the
// domain's: no rows is domain.ErrNotFound, a unique violation
// domain.ErrDuplicate, a foreign key violation a not-found of the row
// referred to. Other errors keep their *pgconn.PgError in the chain, so
// that WithinTx can recognise the retryable ones.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return domain.ErrDuplicate
		case codeForeignKeyViolation:
			return fmt.Errorf("postgres: %s: a referenced user, stock or order does not exist: %w", op, domain.ErrNotFound)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// retryable reports whether err means the transaction lost a race with
// another one and may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case codeSerializationFailure, codeDeadlockDetected, codeLockNotAvailable:
		return true
	}
	return false
}

func user(r pgdb.User) domain.User {
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

func account(r pgdb.Account) domain.Account {
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

func stock(r pgdb.Stock) domain.Stock {
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

func holding(r pgdb.Holding) domain.Holding {
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

func order(r pgdb.Order) domain.Order {
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

func orders(rows []pgdb.Order) []domain.Order {
	out := make([]domain.Order, len(rows))
	for i, r := range rows {
		out[i] = order(r)
	}
	return out
}

func execution(r pgdb.Execution) domain.Execution {
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

func executions(rows []pgdb.Execution) []domain.Execution {
	out := make([]domain.Execution, len(rows))
	for i, r := range rows {
		out[i] = execution(r)
	}
	return out
}

func ledgerEntry(r pgdb.Ledger) domain.LedgerEntry {
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

func payment(r pgdb.Payment) domain.Payment {
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

func outboxMessage(r pgdb.Outbox) ports.OutboxMessage {
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
