package mysql

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Retry of transactions that lost a race for locks.
const (
	// txAttempts bounds how often WithinTx runs a function whose
	// transaction deadlocked or timed out waiting for a lock.
	txAttempts = 10
	// backoffBase is the first pause; each retry doubles it up to
	// backoffMax. The pause is drawn from its upper half, so that the
	// transactions of one deadlock do not come back in step.
	backoffBase = 2 * time.Millisecond
	backoffMax  = 200 * time.Millisecond
)

// WithinTx runs fn in one transaction and commits when fn returns nil. A
// deadlock, a lock-wait timeout or a snapshot conflict rolls back and runs
// fn again after a short jittered pause, up to txAttempts times; the
// caller sees only the final outcome. A panic in fn rolls back and goes
// on to the caller.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil || !retryable(err) || attempt >= txAttempts {
			return err
		}
		s.log.Debug("mysql transaction retried", "attempt", attempt, "err", err)
		if !pause(ctx, attempt) {
			return err
		}
	}
}

// retry runs one autocommitted statement with the same retry policy as a
// transaction.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt >= txAttempts {
			return err
		}
		if !pause(ctx, attempt) {
			return err
		}
	}
}

// pause sleeps before retry number attempt; it reports false when ctx
// ends first.
func pause(ctx context.Context, attempt int) bool {
	d := backoffBase << min(attempt-1, 10)
	d = min(d, backoffMax)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// runTx is one attempt of WithinTx, on one connection of the
// transaction pool, whose sessions run with autocommit off: the first
// statement opens the transaction, and the last request carries COMMIT.
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return wrap("connect", err)
	}
	defer conn.Close()
	st := &txState{}
	st.p = &pipe{conn: conn, ctx: context.WithoutCancel(ctx), st: st}
	t := &tx{reader: reader{q: mydb.New(st.p), st: st}}
	finished := false
	defer func() {
		// fn panicked: undo, and let the panic go on.
		if !finished {
			st.p.rollback()
		}
	}()
	err = fn(ctx, t)
	finished = true
	if st.err != nil {
		// The server ended the transaction, or a queued write failed:
		// whatever fn made of that, this attempt is void.
		err = wrap("write", st.err)
	}
	if err != nil {
		st.p.rollback()
		return err
	}
	if err := st.p.commit(); err != nil {
		// A queued write failed, so COMMIT did not run (the server stops
		// a request at its first error), or COMMIT itself failed.
		st.p.rollback()
		return wrap("commit", err)
	}
	return nil
}

// tx is what one WithinTx function sees: a transaction on one connection.
// Its Lock methods take row locks (SELECT ... FOR UPDATE) held until
// commit or rollback. Writes whose answer is only an error are queued on
// the pipe and reach the server with the next read, the next write that
// reports a row count, or COMMIT; an error of theirs is returned there
// (or by WithinTx), not by the method that queued them.
type tx struct {
	reader
}

// later queues the next statement instead of sending it.
func (t *tx) later() { t.st.p.queueNext = true }

var _ ports.Tx = (*tx)(nil)

// LockAccount reads the account and locks its row.
func (t *tx) LockAccount(ctx context.Context, userID string) (domain.Account, error) {
	if err := t.ready(ctx); err != nil {
		return domain.Account{}, err
	}
	row, err := t.q.LockAccount(ctx, userID)
	if err != nil {
		return domain.Account{}, t.fail("lock account", err)
	}
	t.st.locked = append(t.st.locked, userID)
	return account(row), nil
}

// LockHolding reads the holding and locks its row. A missing holding is
// domain.ErrNotFound and locks nothing: the caller holds the account's
// lock, which every change to the user's holdings takes first.
func (t *tx) LockHolding(ctx context.Context, userID, code string) (domain.Holding, error) {
	if err := t.ready(ctx); err != nil {
		return domain.Holding{}, err
	}
	row, err := t.q.LockHolding(ctx, mydb.LockHoldingParams{UserID: userID, StockCode: code})
	if err != nil {
		return domain.Holding{}, t.fail("lock holding", err)
	}
	return holding(row), nil
}

// LockOrder reads the order and locks its row.
func (t *tx) LockOrder(ctx context.Context, id string) (domain.Order, error) {
	if err := t.ready(ctx); err != nil {
		return domain.Order{}, err
	}
	row, err := t.q.LockOrder(ctx, id)
	if err != nil {
		return domain.Order{}, t.fail("lock order", err)
	}
	return order(row), nil
}

// LockPayment reads the payment and locks its row.
func (t *tx) LockPayment(ctx context.Context, id string) (domain.Payment, error) {
	if err := t.ready(ctx); err != nil {
		return domain.Payment{}, err
	}
	row, err := t.q.LockPayment(ctx, id)
	if err != nil {
		return domain.Payment{}, t.fail("lock payment", err)
	}
	return payment(row), nil
}

// CreateUser returns domain.ErrDuplicate when the e-mail (or id) is taken.
func (t *tx) CreateUser(ctx context.Context, u domain.User) error {
	if err := t.guard(); err != nil {
		return err
	}
	created := orNow(u.CreatedAt)
	t.later()
	return t.fail("create user", t.q.CreateUser(ctx, mydb.CreateUserParams{
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
func (t *tx) UpdateUser(ctx context.Context, u domain.User) error {
	if err := t.guard(); err != nil {
		return err
	}
	n, err := t.q.UpdateUser(ctx, mydb.UpdateUserParams{
		Nickname:     u.Nickname,
		PasswordHash: u.PasswordHash,
		Role:         string(u.Role),
		PremiumUntil: nullTime(u.PremiumUntil),
		UpdatedAt:    orNow(u.UpdatedAt),
		ID:           u.ID,
	})
	return t.changed("update user", n, err)
}

// CreateAccount opens a user's account.
func (t *tx) CreateAccount(ctx context.Context, a domain.Account) error {
	if err := t.guard(); err != nil {
		return err
	}
	t.later()
	return t.fail("create account", t.q.CreateAccount(ctx, mydb.CreateAccountParams{
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
func (t *tx) SaveAccount(ctx context.Context, a domain.Account) error {
	if err := t.guard(); err != nil {
		return err
	}
	if slices.Contains(t.st.locked, a.UserID) {
		// The row is there and locked by this transaction: the save
		// cannot miss it, and goes with the next request.
		t.later()
	}
	n, err := t.q.SaveAccount(ctx, mydb.SaveAccountParams{
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
	return t.changed("save account", n, err)
}

// SaveHolding inserts or updates the holding in one statement, and
// deletes it when both its quantity and reserved quantity are zero: a
// sold-out position leaves no row behind.
func (t *tx) SaveHolding(ctx context.Context, h domain.Holding) error {
	if err := t.guard(); err != nil {
		return err
	}
	if h.Quantity == 0 && h.ReservedQuantity == 0 {
		t.later()
		return t.fail("delete holding", t.q.DeleteHolding(ctx, mydb.DeleteHoldingParams{UserID: h.UserID, StockCode: h.StockCode}))
	}
	created := orNow(h.CreatedAt)
	t.later()
	return t.fail("save holding", t.q.UpsertHolding(ctx, mydb.UpsertHoldingParams{
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
func (t *tx) CreateOrder(ctx context.Context, o domain.Order) error {
	if err := t.guard(); err != nil {
		return err
	}
	created := orNow(o.CreatedAt)
	t.later()
	return t.fail("create order", t.q.CreateOrder(ctx, mydb.CreateOrderParams{
		ID:               o.ID,
		UserID:           o.UserID,
		ClientOrderID:    nullString(o.ClientOrderID),
		StockCode:        o.StockCode,
		Side:             string(o.Side),
		Type:             string(o.Type),
		TimeInForce:      string(o.TimeInForce),
		Quantity:         o.Quantity,
		LimitPrice:       o.LimitPrice,
		PriceKey:         priceKey(o.Side, o.LimitPrice),
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
// is still from, and reports whether it did. The update locks the row, so
// of several transactions updating from the same status exactly one
// matches; the others wait for it and then find the new status.
func (t *tx) UpdateOrder(ctx context.Context, o domain.Order, from domain.OrderStatus) (bool, error) {
	if err := t.guard(); err != nil {
		return false, err
	}
	n, err := t.q.UpdateOrder(ctx, mydb.UpdateOrderParams{
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
		return false, t.fail("update order", err)
	}
	return n == 1, nil
}

// CreateExecution records a fill.
func (t *tx) CreateExecution(ctx context.Context, e domain.Execution) error {
	if err := t.guard(); err != nil {
		return err
	}
	t.later()
	return t.fail("create execution", t.q.CreateExecution(ctx, mydb.CreateExecutionParams{
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

// AppendLedger adds a ledger row. A second row for the same payment, or
// for the same place in the user's ledger, is domain.ErrDuplicate.
func (t *tx) AppendLedger(ctx context.Context, e domain.LedgerEntry) error {
	if err := t.guard(); err != nil {
		return err
	}
	t.later()
	return t.fail("append ledger", t.q.AppendLedger(ctx, mydb.AppendLedgerParams{
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
func (t *tx) UpsertStock(ctx context.Context, s domain.Stock) error {
	if err := t.guard(); err != nil {
		return err
	}
	t.later()
	return t.fail("upsert stock", t.q.UpsertStock(ctx, mydb.UpsertStockParams{
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
func (t *tx) RecordPrice(ctx context.Context, code string, price decimal.Decimal, at time.Time) error {
	if err := t.guard(); err != nil {
		return err
	}
	at = orNow(at)
	n, err := t.q.SetStockPrice(ctx, mydb.SetStockPriceParams{Price: price, UpdatedAt: at, Code: code})
	if err := t.changed("record price", n, err); err != nil {
		return err
	}
	t.later()
	return t.fail("record price", t.q.InsertPrice(ctx, mydb.InsertPriceParams{StockCode: code, Price: price, RecordedAt: at}))
}

// AddWatch returns domain.ErrDuplicate when the entry exists.
func (t *tx) AddWatch(ctx context.Context, w domain.WatchItem) error {
	if err := t.guard(); err != nil {
		return err
	}
	t.later()
	return t.fail("add watch", t.q.AddWatch(ctx, mydb.AddWatchParams{UserID: w.UserID, StockCode: w.StockCode, CreatedAt: orNow(w.CreatedAt)}))
}

// RemoveWatch reports whether an entry was removed.
func (t *tx) RemoveWatch(ctx context.Context, userID, code string) (bool, error) {
	if err := t.guard(); err != nil {
		return false, err
	}
	n, err := t.q.RemoveWatch(ctx, mydb.RemoveWatchParams{UserID: userID, StockCode: code})
	if err != nil {
		return false, t.fail("remove watch", err)
	}
	return n > 0, nil
}

// CreatePayment records a prepared payment.
func (t *tx) CreatePayment(ctx context.Context, p domain.Payment) error {
	if err := t.guard(); err != nil {
		return err
	}
	created := orNow(p.CreatedAt)
	t.later()
	return t.fail("create payment", t.q.CreatePayment(ctx, mydb.CreatePaymentParams{
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
func (t *tx) UpdatePayment(ctx context.Context, p domain.Payment, from domain.PaymentStatus) (bool, error) {
	if err := t.guard(); err != nil {
		return false, err
	}
	n, err := t.q.UpdatePayment(ctx, mydb.UpdatePaymentParams{
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
		return false, t.fail("update payment", err)
	}
	return n == 1, nil
}

// Enqueue adds a message to the outbox. A message without a next try is
// due at once.
func (t *tx) Enqueue(ctx context.Context, m ports.OutboxMessage) error {
	if err := t.guard(); err != nil {
		return err
	}
	created := orNow(m.CreatedAt)
	t.later()
	return t.fail("enqueue", t.q.Enqueue(ctx, mydb.EnqueueParams{
		ID:        m.ID,
		Kind:      m.Kind,
		MsgKey:    m.Key,
		Payload:   payload(m.Payload),
		Attempts:  int64(m.Attempts),
		NextTry:   orTime(m.NextTry, created),
		LastError: truncate(m.LastError, maxLastError),
		CreatedAt: created,
	}))
}
