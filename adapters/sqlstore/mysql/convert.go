package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Server error numbers the adapter reacts to.
const (
	errDupEntry        = 1062 // ER_DUP_ENTRY: a unique or primary key exists
	errNoReferencedRow = 1452 // ER_NO_REFERENCED_ROW_2: a foreign key's parent is missing
	errLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	errLockDeadlock    = 1213 // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back
	// errCheckRead is MariaDB's "record has changed since last read",
	// raised under its snapshot-isolation checks; like a deadlock it
	// means the transaction must start over.
	errCheckRead = 1020
)

// Cursor and window bounds. Queries always bind them, so one statement
// shape (and one plan) serves the first page and every later one.
var (
	// idMax sorts after every identifier under utf8mb4_bin: the "before"
	// cursor of a first page.
	idMax = "\U0010FFFF"
	// timeMin and timeMax bound an open time window inside DATETIME's
	// range (years 1000 to 9999).
	timeMin = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	timeMax = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// maxLastError bounds outbox.last_error (VARCHAR(2048)), so that a long
// delivery error is recorded shortened instead of failing the update.
const maxLastError = 2048

// lim turns a port limit into a LIMIT value: zero or negative means no
// limit, which MySQL spells as a very large one.
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
// column never holds a made-up date.
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

// wholeWon is a price as whole won, rounded down. Limit prices sit on the
// KRX tick grid, so this is exact for them; for anything else rounding
// down keeps the key a bound, and the matcher re-checks every candidate
// with exact decimals.
func wholeWon(p decimal.Decimal) int64 { return p.Floor().IntPart() }

// priceKey is an order's position in orders_resting: the limit in whole
// won for a sell and its negation for a buy, so that ascending order is
// price priority on both sides. Market orders have none.
func priceKey(side domain.Side, limit decimal.NullDecimal) sql.NullInt64 {
	if !limit.Valid {
		return sql.NullInt64{}
	}
	k := wholeWon(limit.Decimal)
	if side == domain.Buy {
		k = -k
	}
	return sql.NullInt64{Int64: k, Valid: true}
}

// serverError returns the server's error number, or 0.
func serverError(err error) uint16 {
	var e *gomysql.MySQLError
	if errors.As(err, &e) {
		return e.Number
	}
	return 0
}

// retryable reports whether err means the transaction lost a race for
// locks and may simply run again: a deadlock (InnoDB has rolled it back),
// a lock wait that timed out, or a row changed under a snapshot.
func retryable(err error) bool {
	switch serverError(err) {
	case errLockDeadlock, errLockWaitTimeout, errCheckRead:
		return true
	}
	return false
}

// wrap names the failed operation and turns the server's errors into the
// domain's: no rows is domain.ErrNotFound, a duplicate key
// domain.ErrDuplicate, a missing foreign-key parent a not-found of the row
// referred to. Retryable errors keep their *mysql.MySQLError in the chain
// so that WithinTx recognises them.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	switch serverError(err) {
	case errDupEntry:
		return domain.ErrDuplicate
	case errNoReferencedRow:
		return fmt.Errorf("mysql: %s: a referenced user or order does not exist: %w", op, domain.ErrNotFound)
	}
	return fmt.Errorf("mysql: %s: %w", op, err)
}

// changed turns the row count of an update that must hit one row into an
// error. The connection counts found rows, so an update that writes the
// values already stored still counts.
func changed(op string, n int64, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

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

func user(r mydb.User) domain.User {
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

func account(r mydb.Account) domain.Account {
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

func stock(r mydb.Stock) domain.Stock {
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

func holding(r mydb.Holding) domain.Holding {
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

func order(r mydb.Order) domain.Order {
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

func orders(rows []mydb.Order) []domain.Order {
	out := make([]domain.Order, len(rows))
	for i, r := range rows {
		out[i] = order(r)
	}
	return out
}

func execution(r mydb.Execution) domain.Execution {
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

func executions(rows []mydb.Execution) []domain.Execution {
	out := make([]domain.Execution, len(rows))
	for i, r := range rows {
		out[i] = execution(r)
	}
	return out
}

func ledgerEntry(r mydb.Ledger) domain.LedgerEntry {
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

func payment(r mydb.Payment) domain.Payment {
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

func outboxMessage(r mydb.Outbox) ports.OutboxMessage {
	m := ports.OutboxMessage{
		ID:        r.ID,
		Kind:      r.Kind,
		Key:       r.MsgKey,
		Attempts:  int(r.Attempts),
		NextTry:   r.NextTry,
		LastError: r.LastError,
		CreatedAt: r.CreatedAt,
	}
	// The column is NOT NULL (see the schema): an empty payload is no
	// payload.
	if len(r.Payload) > 0 {
		m.Payload = r.Payload
	}
	return m
}

// payload stores a missing payload as empty bytes: the column is NOT NULL.
func payload(p []byte) []byte {
	if p == nil {
		return []byte{}
	}
	return p
}
