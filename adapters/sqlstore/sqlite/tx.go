package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// tx is what one WithinTx function sees: the write connection's IMMEDIATE
// transaction, which it may share with functions queued before or after
// it (never beside it; see writer.go). That transaction holds SQLite's
// write lock from BEGIN to COMMIT and is the only writer, so no row a
// function reads can change until the function returns: the Lock*
// methods are plain reads.
type tx struct {
	reader
	// wrote is set once the transaction may have changed a row; the
	// writer uses it to tell a failed function it can simply drop from one
	// whose changes it must undo (see runBatch).
	wrote bool
}

// track marks the transaction as written unless the write failed at the
// statement level: SQLite backs out a statement that breaks a constraint
// and keeps the rest of the transaction, and an update that matched no
// row changed nothing.
func (t *tx) track(err *error) {
	if *err == nil || !(errors.Is(*err, domain.ErrDuplicate) || errors.Is(*err, domain.ErrNotFound)) {
		t.wrote = true
	}
}

var _ ports.Tx = (*tx)(nil)

// LockAccount reads the account; the transaction's write lock guards it.
func (t *tx) LockAccount(ctx context.Context, userID string) (domain.Account, error) {
	return t.GetAccount(ctx, userID)
}

// LockHolding reads the holding; the transaction's write lock guards it.
func (t *tx) LockHolding(ctx context.Context, userID, code string) (domain.Holding, error) {
	return t.GetHolding(ctx, userID, code)
}

// LockOrder reads the order; the transaction's write lock guards it.
func (t *tx) LockOrder(ctx context.Context, id string) (domain.Order, error) {
	return t.GetOrder(ctx, id)
}

// LockPayment reads the payment; the transaction's write lock guards it.
func (t *tx) LockPayment(ctx context.Context, id string) (domain.Payment, error) {
	return t.GetPayment(ctx, id)
}

// CreateUser returns domain.ErrDuplicate when the e-mail (or id) is taken.
func (t *tx) CreateUser(ctx context.Context, u domain.User) (err error) {
	defer t.track(&err)
	created := orNow(u.CreatedAt)
	return wrap("create user", t.qs().CreateUser(t.c(ctx), sqlitedb.CreateUserParams{
		ID:           u.ID,
		Email:        u.Email,
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: nullTime(u.PremiumUntil),
		CreatedAt:    created,
		UpdatedAt:    orTime(u.UpdatedAt, created),
	}))
}

// UpdateUser saves nickname, password hash, role and premium_until.
func (t *tx) UpdateUser(ctx context.Context, u domain.User) (err error) {
	defer t.track(&err)
	n, err := t.qs().UpdateUser(t.c(ctx), sqlitedb.UpdateUserParams{
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: nullTime(u.PremiumUntil),
		UpdatedAt:    orNow(u.UpdatedAt),
		ID:           u.ID,
	})
	return changed("update user", n, err)
}

// CreateAccount opens a user's account.
func (t *tx) CreateAccount(ctx context.Context, a domain.Account) (err error) {
	defer t.track(&err)
	return wrap("create account", t.qs().CreateAccount(t.c(ctx), sqlitedb.CreateAccountParams{
		UserID:           a.UserID,
		Cash:             a.Cash,
		ReservedCash:     a.ReservedCash,
		TotalDeposits:    a.TotalDeposits,
		TotalWithdrawals: a.TotalWithdrawal,
		RealizedPnl:      a.RealizedPnL,
		TotalCommission:  a.TotalCommission,
		TotalTax:         a.TotalTax,
		BuyCount:         a.BuyCount,
		SellCount:        a.SellCount,
		WinCount:         a.WinCount,
		LossCount:        a.LossCount,
		LedgerSeq:        a.LedgerSeq,
		UpdatedAt:        orNow(a.UpdatedAt),
	}))
}

// SaveAccount writes every mutable field of the account.
func (t *tx) SaveAccount(ctx context.Context, a domain.Account) (err error) {
	defer t.track(&err)
	n, err := t.qs().SaveAccount(t.c(ctx), sqlitedb.SaveAccountParams{
		Cash:             a.Cash,
		ReservedCash:     a.ReservedCash,
		TotalDeposits:    a.TotalDeposits,
		TotalWithdrawals: a.TotalWithdrawal,
		RealizedPnl:      a.RealizedPnL,
		TotalCommission:  a.TotalCommission,
		TotalTax:         a.TotalTax,
		BuyCount:         a.BuyCount,
		SellCount:        a.SellCount,
		WinCount:         a.WinCount,
		LossCount:        a.LossCount,
		LedgerSeq:        a.LedgerSeq,
		UpdatedAt:        orNow(a.UpdatedAt),
		UserID:           a.UserID,
	})
	return changed("save account", n, err)
}

// SaveHolding inserts or updates the holding, and deletes it when both its
// quantity and reserved quantity are zero: a sold-out position leaves no
// row behind.
func (t *tx) SaveHolding(ctx context.Context, h domain.Holding) (err error) {
	defer t.track(&err)
	if h.Quantity == 0 && h.ReservedQuantity == 0 {
		return wrap("delete holding", t.qs().DeleteHolding(t.c(ctx), sqlitedb.DeleteHoldingParams{UserID: h.UserID, StockCode: h.StockCode}))
	}
	created := orNow(h.CreatedAt)
	return wrap("save holding", t.qs().UpsertHolding(t.c(ctx), sqlitedb.UpsertHoldingParams{
		UserID:           h.UserID,
		StockCode:        h.StockCode,
		Quantity:         h.Quantity,
		ReservedQuantity: h.ReservedQuantity,
		AveragePrice:     h.AveragePrice,
		CreatedAt:        created,
		UpdatedAt:        orTime(h.UpdatedAt, created),
	}))
}

// CreateOrder returns domain.ErrDuplicate when the user already has an
// order with the same non-empty client_order_id.
func (t *tx) CreateOrder(ctx context.Context, o domain.Order) (err error) {
	defer t.track(&err)
	created := orNow(o.CreatedAt)
	return wrap("create order", t.qs().CreateOrder(t.c(ctx), sqlitedb.CreateOrderParams{
		ID:               o.ID,
		UserID:           o.UserID,
		ClientOrderID:    nullString(o.ClientOrderID),
		StockCode:        o.StockCode,
		Side:             string(o.Side),
		Type:             string(o.Type),
		TimeInForce:      string(o.TimeInForce),
		Quantity:         o.Quantity,
		LimitPrice:       o.LimitPrice,
		PriceKey:         priceKey(o.LimitPrice),
		Status:           string(o.Status),
		FilledQuantity:   o.FilledQuantity,
		AverageFillPrice: o.AverageFillPrice,
		ReservedAmount:   o.ReservedAmount,
		Commission:       o.Commission,
		Tax:              o.Tax,
		ExpiresAt:        nullTime(o.ExpiresAt),
		Reason:           o.Reason,
		CreatedAt:        created,
		UpdatedAt:        orTime(o.UpdatedAt, created),
	}))
}

// UpdateOrder saves the order's mutable fields only if its stored status
// is still from, and reports whether it did.
func (t *tx) UpdateOrder(ctx context.Context, o domain.Order, from domain.OrderStatus) (_ bool, err error) {
	defer t.track(&err)
	n, err := t.qs().UpdateOrder(t.c(ctx), sqlitedb.UpdateOrderParams{
		Status:           string(o.Status),
		FilledQuantity:   o.FilledQuantity,
		AverageFillPrice: o.AverageFillPrice,
		ReservedAmount:   o.ReservedAmount,
		Commission:       o.Commission,
		Tax:              o.Tax,
		ExpiresAt:        nullTime(o.ExpiresAt),
		Reason:           o.Reason,
		UpdatedAt:        orNow(o.UpdatedAt),
		ID:               o.ID,
		FromStatus:       string(from),
	})
	if err != nil {
		return false, wrap("update order", err)
	}
	return n == 1, nil
}

// CreateExecution records a fill.
func (t *tx) CreateExecution(ctx context.Context, e domain.Execution) (err error) {
	defer t.track(&err)
	return wrap("create execution", t.qs().CreateExecution(t.c(ctx), sqlitedb.CreateExecutionParams{
		ID:          e.ID,
		OrderID:     e.OrderID,
		UserID:      e.UserID,
		StockCode:   e.StockCode,
		Side:        string(e.Side),
		Quantity:    e.Quantity,
		Price:       e.Price,
		Amount:      e.Amount,
		Commission:  e.Commission,
		Tax:         e.Tax,
		RealizedPnl: e.RealizedPnL,
		ExecutedAt:  orNow(e.ExecutedAt),
	}))
}

// AppendLedger adds a ledger row. A second row for the same payment is
// domain.ErrDuplicate, so a payment is credited at most once.
func (t *tx) AppendLedger(ctx context.Context, e domain.LedgerEntry) (err error) {
	defer t.track(&err)
	return wrap("append ledger", t.qs().AppendLedger(t.c(ctx), sqlitedb.AppendLedgerParams{
		ID:                e.ID,
		UserID:            e.UserID,
		Seq:               e.Seq,
		Type:              string(e.Type),
		StockCode:         nullString(e.StockCode),
		OrderID:           nullString(e.OrderID),
		PaymentID:         nullString(e.PaymentID),
		Quantity:          e.Quantity,
		Price:             e.Price,
		Amount:            e.Amount,
		Commission:        e.Commission,
		Tax:               e.Tax,
		CashBalanceBefore: e.CashBalanceBefore,
		CashBalanceAfter:  e.CashBalanceAfter,
		Memo:              e.Memo,
		CreatedAt:         orNow(e.CreatedAt),
	}))
}

// UpsertStock creates or updates a listing.
func (t *tx) UpsertStock(ctx context.Context, s domain.Stock) (err error) {
	defer t.track(&err)
	return wrap("upsert stock", t.qs().UpsertStock(t.c(ctx), sqlitedb.UpsertStockParams{
		Code:      s.Code,
		Name:      s.Name,
		NameEn:    s.NameEn,
		Market:    string(s.Market),
		Price:     s.Price,
		PrevClose: s.PrevClose,
		Active:    s.Active,
		UpdatedAt: orNow(s.UpdatedAt),
	}))
}

// RecordPrice sets a listing's last price and appends it to its history.
// It returns domain.ErrNotFound for an unknown listing.
func (t *tx) RecordPrice(ctx context.Context, code string, price decimal.Decimal, at time.Time) (err error) {
	defer t.track(&err)
	at = orNow(at)
	n, err := t.qs().SetStockPrice(t.c(ctx), sqlitedb.SetStockPriceParams{Price: price, UpdatedAt: at, Code: code})
	if err := changed("record price", n, err); err != nil {
		return err
	}
	return wrap("record price", t.qs().InsertPrice(t.c(ctx), sqlitedb.InsertPriceParams{StockCode: code, Price: price, RecordedAt: at}))
}

// AddWatch returns domain.ErrDuplicate when the entry exists.
func (t *tx) AddWatch(ctx context.Context, w domain.WatchItem) (err error) {
	defer t.track(&err)
	return wrap("add watch", t.qs().AddWatch(t.c(ctx), sqlitedb.AddWatchParams{UserID: w.UserID, StockCode: w.StockCode, CreatedAt: orNow(w.CreatedAt)}))
}

// RemoveWatch reports whether an entry was removed.
func (t *tx) RemoveWatch(ctx context.Context, userID, code string) (_ bool, err error) {
	defer t.track(&err)
	n, err := t.qs().RemoveWatch(t.c(ctx), sqlitedb.RemoveWatchParams{UserID: userID, StockCode: code})
	if err != nil {
		return false, wrap("remove watch", err)
	}
	return n > 0, nil
}

// CreatePayment records a prepared payment.
func (t *tx) CreatePayment(ctx context.Context, p domain.Payment) (err error) {
	defer t.track(&err)
	created := orNow(p.CreatedAt)
	return wrap("create payment", t.qs().CreatePayment(t.c(ctx), sqlitedb.CreatePaymentParams{
		ID:            p.ID,
		UserID:        p.UserID,
		Product:       string(p.Product),
		OrderName:     p.OrderName,
		Amount:        p.Amount,
		Currency:      p.Currency,
		Status:        string(p.Status),
		CreditAmount:  p.CreditAmount,
		PremiumDays:   int64(p.PremiumDays),
		PaidAmount:    p.PaidAmount,
		PaidCurrency:  p.PaidCurrency,
		TransactionID: p.TransactionID,
		Reason:        p.Reason,
		FulfilledAt:   nullTime(p.FulfilledAt),
		CreatedAt:     created,
		UpdatedAt:     orTime(p.UpdatedAt, created),
	}))
}

// UpdatePayment saves the payment's mutable fields only if its stored
// status is still from, and reports whether it did.
func (t *tx) UpdatePayment(ctx context.Context, p domain.Payment, from domain.PaymentStatus) (_ bool, err error) {
	defer t.track(&err)
	n, err := t.qs().UpdatePayment(t.c(ctx), sqlitedb.UpdatePaymentParams{
		Status:        string(p.Status),
		PaidAmount:    p.PaidAmount,
		PaidCurrency:  p.PaidCurrency,
		TransactionID: p.TransactionID,
		Reason:        p.Reason,
		FulfilledAt:   nullTime(p.FulfilledAt),
		UpdatedAt:     orNow(p.UpdatedAt),
		ID:            p.ID,
		FromStatus:    string(from),
	})
	if err != nil {
		return false, wrap("update payment", err)
	}
	return n == 1, nil
}

// Enqueue adds a message to the outbox. A message without a next try is
// due at once.
func (t *tx) Enqueue(ctx context.Context, m ports.OutboxMessage) (err error) {
	defer t.track(&err)
	created := orNow(m.CreatedAt)
	return wrap("enqueue", t.qs().Enqueue(t.c(ctx), sqlitedb.EnqueueParams{
		ID:        m.ID,
		Kind:      m.Kind,
		MsgKey:    m.Key,
		Payload:   m.Payload,
		Attempts:  int64(m.Attempts),
		NextTry:   orTime(m.NextTry, created),
		LastError: m.LastError,
		CreatedAt: created,
	}))
}

// orTime is t in UTC, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t.UTC()
}
