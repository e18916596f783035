package sqlstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Kind says what a statement answers, which decides when an engine may
// send it.
type Kind int

// The kinds of statement.
const (
	// Read answers rows, at once.
	Read Kind = iota
	// Blind writes answer only an error (inserts, upserts, deletes,
	// saves of a locked row): an engine may send one with its next
	// statement and report its failure there.
	Blind
	// MustChange writes must find their row: zero rows is
	// domain.ErrNotFound, maybe reported later like a blind write's.
	MustChange
	// Counted writes answer with their row count at once: conditional
	// updates whose count decides a race.
	Counted
)

// TxConn is one transaction attempt as its engine runs it: where each
// statement goes and when it reaches the server. The core runs each
// statement between Start and Finish and wraps their errors
// (Errors.Wrap).
type TxConn interface {
	// Start readies the transaction for a statement and returns the
	// context and queries to run it with: MySQL sends the writes it
	// holds back before a read, or holds back a blind write; SQLite drops
	// the caller's cancellation. op names the statement in errors, e.g.
	// "create order".
	Start(ctx context.Context, op string, kind Kind) (context.Context, sqldb.Queries, error)
	// Finish takes the statement's answer and returns the rows it
	// changed (for a Counted write) and its error.
	Finish(kind Kind, n int64, err error) (int64, error)
}

// tx implements ports.Tx over a TxConn: the Lock* reads, the writes and
// the building of their parameters, the same on every engine.
type tx struct {
	reader
	conn TxConn
	s    *Store
	// locked holds the accounts this transaction has locked: saving one
	// cannot miss its row, so the save is a blind write.
	locked []string
}

var _ ports.Tx = (*tx)(nil)

// exec runs a write, q.stmt(ctx, arg), and returns the rows it changed.
// It calls stmt directly rather than through a closure, which would copy
// arg to the heap on every write.
func exec[A any](t *tx, ctx context.Context, op string, kind Kind,
	stmt func(sqldb.Queries, context.Context, A) (int64, error), arg A) (int64, error) {
	sctx, q, err := t.conn.Start(ctx, op, kind)
	var n int64
	if err == nil {
		n, err = stmt(q, sctx, arg)
		n, err = t.conn.Finish(kind, n, err)
	}
	return n, t.s.errs.Wrap(op, err)
}

// blind runs a write that answers only an error, q.stmt(ctx, arg).
func blind[A any](t *tx, ctx context.Context, op string, stmt func(sqldb.Queries, context.Context, A) error, arg A) error {
	sctx, q, err := t.conn.Start(ctx, op, Blind)
	if err == nil {
		_, err = t.conn.Finish(Blind, 0, stmt(q, sctx, arg))
	}
	return t.s.errs.Wrap(op, err)
}

// LockAccount reads the account and locks it until the transaction ends:
// the lock that serializes everything touching one account's money.
func (t *tx) LockAccount(ctx context.Context, id string) (domain.Account, error) {
	a, err := get(t.reader, ctx, "lock account", sqldb.Queries.LockAccount, id, account)
	if err == nil {
		t.lockedAccount(id)
	}
	return a, err
}

// lockedAccount notes that the transaction holds the account's lock.
func (t *tx) lockedAccount(id string) {
	if !slices.Contains(t.locked, id) {
		t.locked = append(t.locked, id)
	}
}

// LockHolding reads the holding and locks it; domain.ErrNotFound when the
// account holds none (a concurrent first buy of the same listing is kept
// out by the account lock, which every such transaction takes first).
func (t *tx) LockHolding(ctx context.Context, accountID, code string) (domain.Holding, error) {
	return get(t.reader, ctx, "lock holding", sqldb.Queries.LockHolding,
		sqldb.LockHoldingParams{AccountID: accountID, StockCode: code}, holding)
}

// ReadBatcher is a TxConn that can send several reads in one round trip.
type ReadBatcher interface {
	// Batch sends the reads together, after anything the transaction has
	// held back. Each read runs exactly one statement, whose arguments do
	// not depend on another read's answer, on the queries it is given,
	// and keeps its answer and error; it is called twice, first to learn
	// its statement (its answer then is to be ignored), then to read the
	// answer. Batch returns what failed the round trip itself.
	Batch(ctx context.Context, reads ...func(context.Context, sqldb.Queries)) error
}

// LockOrderRows locks the account, reads the listing and locks the
// holding: in one round trip on an engine that batches reads, else one
// after the other.
func (t *tx) LockOrderRows(ctx context.Context, accountID, code string) (ports.OrderRows, error) {
	b, ok := t.conn.(ReadBatcher)
	if !ok {
		return t.lockOrderRows(ctx, accountID, code)
	}
	var (
		a                sqldb.Account
		st               sqldb.Stock
		h                sqldb.Holding
		aErr, sErr, hErr error
	)
	err := b.Batch(ctx,
		func(ctx context.Context, q sqldb.Queries) { a, aErr = q.LockAccount(ctx, accountID) },
		func(ctx context.Context, q sqldb.Queries) { st, sErr = q.GetStock(ctx, code) },
		func(ctx context.Context, q sqldb.Queries) {
			h, hErr = q.LockHolding(ctx, sqldb.LockHoldingParams{AccountID: accountID, StockCode: code})
		})
	if err != nil {
		return ports.OrderRows{}, t.s.errs.Wrap("lock order rows", err)
	}
	if aErr != nil {
		return ports.OrderRows{}, t.s.errs.Wrap("lock account", aErr)
	}
	t.lockedAccount(accountID)
	rows := ports.OrderRows{Account: account(a)}
	if rows.Listed, err = found(t.s.errs.Wrap("get stock", sErr)); err != nil {
		return ports.OrderRows{}, err
	}
	if rows.Held, err = found(t.s.errs.Wrap("lock holding", hErr)); err != nil {
		return ports.OrderRows{}, err
	}
	if rows.Listed {
		rows.Stock = stock(st)
	}
	if rows.Held {
		rows.Holding = holding(h)
	}
	return rows, nil
}

// lockOrderRows is LockOrderRows one statement at a time.
func (t *tx) lockOrderRows(ctx context.Context, accountID, code string) (ports.OrderRows, error) {
	var rows ports.OrderRows
	var err error
	if rows.Account, err = t.LockAccount(ctx, accountID); err != nil {
		return ports.OrderRows{}, err
	}
	rows.Stock, err = t.GetStock(ctx, code)
	if rows.Listed, err = found(err); err != nil {
		return ports.OrderRows{}, err
	}
	rows.Holding, err = t.LockHolding(ctx, accountID, code)
	if rows.Held, err = found(err); err != nil {
		return ports.OrderRows{}, err
	}
	return rows, nil
}

// found turns domain.ErrNotFound into false.
func found(err error) (bool, error) {
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// LockOrder reads the order and locks it.
func (t *tx) LockOrder(ctx context.Context, id string) (domain.Order, error) {
	return get(t.reader, ctx, "lock order", sqldb.Queries.LockOrder, id, order)
}

// LockPayment reads the payment and locks it.
func (t *tx) LockPayment(ctx context.Context, id string) (domain.Payment, error) {
	return get(t.reader, ctx, "lock payment", sqldb.Queries.LockPayment, id, payment)
}

// CreateUser returns domain.ErrDuplicate when the e-mail (or id) is taken.
func (t *tx) CreateUser(ctx context.Context, u domain.User) error {
	created := orNow(u.CreatedAt)
	return blind(t, ctx, "create user", sqldb.Queries.CreateUser, sqldb.CreateUserParams{
		ID:           u.ID,
		Email:        u.Email,
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: nullTime(u.PremiumUntil),
		CreatedAt:    created,
		UpdatedAt:    orTime(u.UpdatedAt, created),
		Public:       u.Public,
	})
}

// UpdateUser saves nickname, password hash, role and premium_until.
func (t *tx) UpdateUser(ctx context.Context, u domain.User) error {
	_, err := exec(t, ctx, "update user", MustChange, sqldb.Queries.UpdateUser, sqldb.UpdateUserParams{
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: nullTime(u.PremiumUntil),
		UpdatedAt:    orNow(u.UpdatedAt),
		Public:       u.Public,
		ID:           u.ID,
	})
	return err
}

// CreateAccount opens an account. A second personal account of a user,
// or a second account in one contest, is domain.ErrDuplicate.
func (t *tx) CreateAccount(ctx context.Context, a domain.Account) error {
	created := orNow(a.CreatedAt)
	return blind(t, ctx, "create account", sqldb.Queries.CreateAccount, sqldb.CreateAccountParams{
		ID:               a.ID,
		UserID:           a.UserID,
		Kind:             string(a.Kind),
		ContestID:        a.ContestID,
		FreeDepositDay:   a.FreeDepositDay,
		FreeDeposited:    a.FreeDeposited,
		HistoryStart:     orTime(a.HistoryStart, created),
		CreatedAt:        created,
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
	kind := MustChange
	if slices.Contains(t.locked, a.ID) {
		kind = Blind
	}
	_, err := exec(t, ctx, "save account", kind, sqldb.Queries.SaveAccount, sqldb.SaveAccountParams{
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
		FreeDepositDay:   a.FreeDepositDay,
		FreeDeposited:    a.FreeDeposited,
		HistoryStart:     orNow(a.HistoryStart),
		UpdatedAt:        orNow(a.UpdatedAt),
		ID:               a.ID,
	})
	return err
}

// SaveHolding inserts or updates the holding, and deletes it when both its
// quantity and reserved quantity are zero: a sold-out position leaves no
// row behind.
func (t *tx) SaveHolding(ctx context.Context, h domain.Holding) error {
	if h.Quantity == 0 && h.ReservedQuantity == 0 {
		return blind(t, ctx, "delete holding", sqldb.Queries.DeleteHolding,
			sqldb.DeleteHoldingParams{AccountID: h.AccountID, StockCode: h.StockCode})
	}
	created := orNow(h.CreatedAt)
	return blind(t, ctx, "save holding", sqldb.Queries.UpsertHolding, sqldb.UpsertHoldingParams{
		AccountID:        h.AccountID,
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
	book, key := bookOf(o)
	return blind(t, ctx, "create order", sqldb.Queries.CreateOrder, sqldb.CreateOrderParams{
		ID:               o.ID,
		UserID:           o.UserID,
		ClientOrderID:    nullString(o.ClientOrderID),
		StockCode:        o.StockCode,
		Side:             string(o.Side),
		Type:             string(o.Type),
		TimeInForce:      string(o.TimeInForce),
		Quantity:         o.Quantity,
		LimitPrice:       o.LimitPrice,
		PriceKey:         t.s.priceKey(o.Side, o.LimitPrice),
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
		AccountID:        o.AccountID,
		StopPrice:        o.StopPrice,
		TriggeredAt:      nullTime(o.TriggeredAt),
		PriorityAt:       nullTime(orTime(o.PriorityAt, created)),
		Book:             book,
		BookKey:          key,
	})
}

// UpdateOrder saves the order's mutable fields only if its stored status
// is still from, and reports whether it did. It goes to the server at
// once: its answer decides a race between a fill, a cancel and an expiry.
func (t *tx) UpdateOrder(ctx context.Context, o domain.Order, from domain.OrderStatus) (bool, error) {
	book, key := bookOf(o)
	n, err := exec(t, ctx, "update order", Counted, sqldb.Queries.UpdateOrder, sqldb.UpdateOrderParams{
		Status:           string(o.Status),
		Quantity:         o.Quantity,
		LimitPrice:       o.LimitPrice,
		PriceKey:         t.s.priceKey(o.Side, o.LimitPrice),
		TriggeredAt:      nullTime(o.TriggeredAt),
		PriorityAt:       nullTime(orTime(o.PriorityAt, o.CreatedAt)),
		Book:             book,
		BookKey:          key,
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
	return n == 1, err
}

// CreateExecution records a fill.
func (t *tx) CreateExecution(ctx context.Context, e domain.Execution) error {
	return blind(t, ctx, "create execution", sqldb.Queries.CreateExecution, sqldb.CreateExecutionParams{
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
		AccountID:   e.AccountID,
	})
}

// AppendLedger adds a ledger row. A second row for the same payment, or
// for the same place in the account's ledger, is domain.ErrDuplicate.
func (t *tx) AppendLedger(ctx context.Context, e domain.LedgerEntry) error {
	return blind(t, ctx, "append ledger", sqldb.Queries.AppendLedger, sqldb.AppendLedgerParams{
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
		AccountID:         e.AccountID,
	})
}

// UpsertStock creates or updates a listing.
func (t *tx) UpsertStock(ctx context.Context, s domain.Stock) error {
	return blind(t, ctx, "upsert stock", sqldb.Queries.UpsertStock, sqldb.UpsertStockParams{
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

// RecordPrice sets a listing's last price and appends it to its history.
// It returns domain.ErrNotFound for an unknown listing.
func (t *tx) RecordPrice(ctx context.Context, code string, price decimal.Decimal, at time.Time) error {
	at = orNow(at)
	_, err := exec(t, ctx, "record price", MustChange, sqldb.Queries.SetStockPrice,
		sqldb.SetStockPriceParams{Price: price, UpdatedAt: at, Code: code})
	if err != nil {
		return err
	}
	return blind(t, ctx, "record price", sqldb.Queries.InsertPrice,
		sqldb.InsertPriceParams{StockCode: code, Price: price, RecordedAt: at})
}

// AddWatch returns domain.ErrDuplicate when the entry exists.
func (t *tx) AddWatch(ctx context.Context, w domain.WatchItem) error {
	return blind(t, ctx, "add watch", sqldb.Queries.AddWatch,
		sqldb.AddWatchParams{UserID: w.UserID, StockCode: w.StockCode, CreatedAt: orNow(w.CreatedAt)})
}

// RemoveWatch reports whether an entry was removed.
func (t *tx) RemoveWatch(ctx context.Context, userID, code string) (bool, error) {
	n, err := exec(t, ctx, "remove watch", Counted, sqldb.Queries.RemoveWatch,
		sqldb.RemoveWatchParams{UserID: userID, StockCode: code})
	return n > 0, err
}

// CreatePayment records a prepared payment.
func (t *tx) CreatePayment(ctx context.Context, p domain.Payment) error {
	created := orNow(p.CreatedAt)
	return blind(t, ctx, "create payment", sqldb.Queries.CreatePayment, sqldb.CreatePaymentParams{
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
	})
}

// UpdatePayment saves the payment's mutable fields only if its stored
// status is still from, and reports whether it did.
func (t *tx) UpdatePayment(ctx context.Context, p domain.Payment, from domain.PaymentStatus) (bool, error) {
	n, err := exec(t, ctx, "update payment", Counted, sqldb.Queries.UpdatePayment, sqldb.UpdatePaymentParams{
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
	return n == 1, err
}

// Enqueue adds a message to the outbox. A message without a next try is
// due at once.
func (t *tx) Enqueue(ctx context.Context, m ports.OutboxMessage) error {
	created := orNow(m.CreatedAt)
	return blind(t, ctx, "enqueue", sqldb.Queries.Enqueue, sqldb.EnqueueParams{
		ID:        m.ID,
		Kind:      m.Kind,
		MsgKey:    m.Key,
		Payload:   payload(m.Payload),
		Attempts:  int64(m.Attempts),
		NextTry:   orTime(m.NextTry, created),
		LastError: truncate(m.LastError, maxLastError),
		CreatedAt: created,
	})
}
