package postgres

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// tx is what one WithinTx function sees: a READ COMMITTED transaction on
// one connection. The Lock* methods take row locks (SELECT ... FOR
// UPDATE) that other transactions wait for until this one ends; reads see
// this transaction's writes. Writes that answer only an error are queued
// and sent with the next statement that needs an answer (pipe.go).
type tx struct {
	reader
	p *pipe
	// lq runs the generated queries on the pipe's queuing face.
	lq *pgdb.Queries
}

var _ ports.Tx = (*tx)(nil)

func newTx(p *pipe) *tx {
	return &tx{reader: reader{q: pgdb.New(p.now)}, p: p, lq: pgdb.New(p.later)}
}

// later returns the queries that queue, with the next write described
// for the error it may come back with.
func (t *tx) later(op string, mustChange bool) *pgdb.Queries {
	t.p.op, t.p.mustChange = op, mustChange
	return t.lq
}

// LockAccount reads the account and locks it until the transaction ends:
// the lock that serializes everything touching one user's money.
func (t *tx) LockAccount(ctx context.Context, userID string) (domain.Account, error) {
	row, err := t.q.LockAccount(ctx, userID)
	if err != nil {
		return domain.Account{}, wrap("lock account", err)
	}
	return account(row), nil
}

// LockHolding reads the holding and locks it; domain.ErrNotFound when the
// user holds none (a concurrent first buy of the same listing is kept out
// by the account lock, which every such transaction takes first).
func (t *tx) LockHolding(ctx context.Context, userID, code string) (domain.Holding, error) {
	row, err := t.q.LockHolding(ctx, pgdb.LockHoldingParams{UserID: userID, StockCode: code})
	if err != nil {
		return domain.Holding{}, wrap("lock holding", err)
	}
	return holding(row), nil
}

// LockOrder reads the order and locks it.
func (t *tx) LockOrder(ctx context.Context, id string) (domain.Order, error) {
	row, err := t.q.LockOrder(ctx, id)
	if err != nil {
		return domain.Order{}, wrap("lock order", err)
	}
	return order(row), nil
}

// LockPayment reads the payment and locks it.
func (t *tx) LockPayment(ctx context.Context, id string) (domain.Payment, error) {
	row, err := t.q.LockPayment(ctx, id)
	if err != nil {
		return domain.Payment{}, wrap("lock payment", err)
	}
	return payment(row), nil
}

// CreateUser returns domain.ErrDuplicate when the e-mail (or id) is taken.
func (t *tx) CreateUser(ctx context.Context, u domain.User) error {
	created := orNow(u.CreatedAt)
	return t.later("create user", false).CreateUser(ctx, pgdb.CreateUserParams{
		ID:           u.ID,
		Email:        u.Email,
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: timestamptz(u.PremiumUntil),
		CreatedAt:    created,
		UpdatedAt:    orTime(u.UpdatedAt, created),
	})
}

// UpdateUser saves nickname, password hash, role and premium_until.
func (t *tx) UpdateUser(ctx context.Context, u domain.User) error {
	_, err := t.later("update user", true).UpdateUser(ctx, pgdb.UpdateUserParams{
		ID:           u.ID,
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: timestamptz(u.PremiumUntil),
		UpdatedAt:    orNow(u.UpdatedAt),
	})
	return err
}

// CreateAccount opens a user's account.
func (t *tx) CreateAccount(ctx context.Context, a domain.Account) error {
	return t.later("create account", false).CreateAccount(ctx, pgdb.CreateAccountParams{
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
	})
}

// SaveAccount writes every mutable field of the account.
func (t *tx) SaveAccount(ctx context.Context, a domain.Account) error {
	_, err := t.later("save account", true).SaveAccount(ctx, pgdb.SaveAccountParams{
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
	})
	return err
}

// SaveHolding inserts or updates the holding, and deletes it when both its
// quantity and reserved quantity are zero: a sold-out position leaves no
// row behind.
func (t *tx) SaveHolding(ctx context.Context, h domain.Holding) error {
	if h.Quantity == 0 && h.ReservedQuantity == 0 {
		return t.later("delete holding", false).DeleteHolding(ctx, pgdb.DeleteHoldingParams{UserID: h.UserID, StockCode: h.StockCode})
	}
	created := orNow(h.CreatedAt)
	return t.later("save holding", false).UpsertHolding(ctx, pgdb.UpsertHoldingParams{
		UserID:           h.UserID,
		StockCode:        h.StockCode,
		Quantity:         h.Quantity,
		ReservedQuantity: h.ReservedQuantity,
		AveragePrice:     h.AveragePrice,
		CreatedAt:        created,
		UpdatedAt:        orTime(h.UpdatedAt, created),
	})
}

// CreateOrder returns domain.ErrDuplicate when the user already has an
// order with the same non-empty client_order_id.
func (t *tx) CreateOrder(ctx context.Context, o domain.Order) error {
	created := orNow(o.CreatedAt)
	return t.later("create order", false).CreateOrder(ctx, pgdb.CreateOrderParams{
		ID:               o.ID,
		UserID:           o.UserID,
		ClientOrderID:    text(o.ClientOrderID),
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
		ExpiresAt:        timestamptz(o.ExpiresAt),
		Reason:           o.Reason,
		CreatedAt:        created,
		UpdatedAt:        orTime(o.UpdatedAt, created),
	})
}

// UpdateOrder saves the order's mutable fields only if its stored status
// is still from, and reports whether it did. It goes to the server at
// once: its answer decides a race.
func (t *tx) UpdateOrder(ctx context.Context, o domain.Order, from domain.OrderStatus) (bool, error) {
	n, err := t.q.UpdateOrder(ctx, pgdb.UpdateOrderParams{
		Status:           string(o.Status),
		FilledQuantity:   o.FilledQuantity,
		AverageFillPrice: o.AverageFillPrice,
		ReservedAmount:   o.ReservedAmount,
		Commission:       o.Commission,
		Tax:              o.Tax,
		ExpiresAt:        timestamptz(o.ExpiresAt),
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
func (t *tx) CreateExecution(ctx context.Context, e domain.Execution) error {
	return t.later("create execution", false).CreateExecution(ctx, pgdb.CreateExecutionParams{
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
	})
}

// AppendLedger adds a ledger row. A second row for the same payment, or
// for the same place in the user's ledger, is domain.ErrDuplicate.
func (t *tx) AppendLedger(ctx context.Context, e domain.LedgerEntry) error {
	return t.later("append ledger", false).AppendLedger(ctx, pgdb.AppendLedgerParams{
		ID:                e.ID,
		UserID:            e.UserID,
		Seq:               e.Seq,
		Type:              string(e.Type),
		StockCode:         text(e.StockCode),
		OrderID:           text(e.OrderID),
		PaymentID:         text(e.PaymentID),
		Quantity:          e.Quantity,
		Price:             e.Price,
		Amount:            e.Amount,
		Commission:        e.Commission,
		Tax:               e.Tax,
		CashBalanceBefore: e.CashBalanceBefore,
		CashBalanceAfter:  e.CashBalanceAfter,
		Memo:              e.Memo,
		CreatedAt:         orNow(e.CreatedAt),
	})
}

// UpsertStock creates or updates a listing.
func (t *tx) UpsertStock(ctx context.Context, s domain.Stock) error {
	return t.later("upsert stock", false).UpsertStock(ctx, pgdb.UpsertStockParams{
		Code:      s.Code,
		Name:      s.Name,
		NameEn:    s.NameEn,
		Market:    string(s.Market),
		Price:     s.Price,
		PrevClose: s.PrevClose,
		Active:    s.Active,
		UpdatedAt: orNow(s.UpdatedAt),
	})
}

// RecordPrice sets a listing's last price and appends it to its history,
// both in the next round trip. An unknown listing is domain.ErrNotFound.
func (t *tx) RecordPrice(ctx context.Context, code string, price decimal.Decimal, at time.Time) error {
	at = orNow(at)
	if _, err := t.later("record price", true).SetStockPrice(ctx, pgdb.SetStockPriceParams{Price: price, UpdatedAt: at, Code: code}); err != nil {
		return err
	}
	return t.later("record price", false).InsertPrice(ctx, pgdb.InsertPriceParams{StockCode: code, Price: price, RecordedAt: at})
}

// AddWatch returns domain.ErrDuplicate when the entry exists.
func (t *tx) AddWatch(ctx context.Context, w domain.WatchItem) error {
	return t.later("add watch", false).AddWatch(ctx, pgdb.AddWatchParams{UserID: w.UserID, StockCode: w.StockCode, CreatedAt: orNow(w.CreatedAt)})
}

// RemoveWatch reports whether an entry was removed.
func (t *tx) RemoveWatch(ctx context.Context, userID, code string) (bool, error) {
	n, err := t.q.RemoveWatch(ctx, pgdb.RemoveWatchParams{UserID: userID, StockCode: code})
	if err != nil {
		return false, wrap("remove watch", err)
	}
	return n > 0, nil
}

// CreatePayment records a prepared payment.
func (t *tx) CreatePayment(ctx context.Context, p domain.Payment) error {
	created := orNow(p.CreatedAt)
	return t.later("create payment", false).CreatePayment(ctx, pgdb.CreatePaymentParams{
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
		FulfilledAt:   timestamptz(p.FulfilledAt),
		CreatedAt:     created,
		UpdatedAt:     orTime(p.UpdatedAt, created),
	})
}

// UpdatePayment saves the payment's mutable fields only if its stored
// status is still from, and reports whether it did.
func (t *tx) UpdatePayment(ctx context.Context, p domain.Payment, from domain.PaymentStatus) (bool, error) {
	n, err := t.q.UpdatePayment(ctx, pgdb.UpdatePaymentParams{
		Status:        string(p.Status),
		PaidAmount:    p.PaidAmount,
		PaidCurrency:  p.PaidCurrency,
		TransactionID: p.TransactionID,
		Reason:        p.Reason,
		FulfilledAt:   timestamptz(p.FulfilledAt),
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
func (t *tx) Enqueue(ctx context.Context, m ports.OutboxMessage) error {
	created := orNow(m.CreatedAt)
	return t.later("enqueue", false).Enqueue(ctx, pgdb.EnqueueParams{
		ID:        m.ID,
		Kind:      m.Kind,
		MsgKey:    m.Key,
		Payload:   m.Payload,
		Attempts:  int64(m.Attempts),
		NextTry:   orTime(m.NextTry, created),
		LastError: m.LastError,
		CreatedAt: created,
	})
}
