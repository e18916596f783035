package mysql

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// reader implements ports.Reader over one set of queries: a
// transaction's for a Tx (q on the transaction's pipe, st), or the read
// pool's for the Store (live, which Migrate may swap for prepared ones).
type reader struct {
	q    *mydb.Queries
	live *atomic.Pointer[mydb.Queries]
	// st is the state of the transaction, nil outside one.
	st *txState
}

// txState is what a transaction's methods share.
type txState struct {
	// err is the first error that broke the transaction: one the server
	// answered by ending it (after a deadlock InnoDB has rolled it back,
	// and a later statement would start a new one), or a queued write's.
	// Once it is set every method refuses to run, and WithinTx rolls back
	// (and retries, when err is retryable) even if fn swallowed the
	// error.
	err error
	// p is the transaction's connection.
	p *pipe
	// locked holds the users whose account rows this transaction has
	// locked; saving such an account cannot miss its row, so the save is
	// queued.
	locked []string
}

func (r reader) qs() *mydb.Queries {
	if r.live != nil {
		return r.live.Load()
	}
	return r.q
}

// guard is the error a method of a broken transaction answers with.
func (r reader) guard() error {
	if r.st != nil && r.st.err != nil {
		return wrap("write", r.st.err)
	}
	return nil
}

// ready is guard for a read: queued writes are sent first, so that the
// read sees them.
func (r reader) ready(_ context.Context) error {
	if r.st == nil {
		return nil
	}
	if r.st.err != nil {
		return wrap("write", r.st.err)
	}
	if err := r.st.p.flush(); err != nil {
		return r.fail("write", err)
	}
	return nil
}

// fail wraps err for the caller and marks the transaction broken when the
// server ended it.
func (r reader) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if r.st != nil && r.st.err == nil && retryable(err) {
		r.st.err = err
	}
	return wrap(op, err)
}

// changed is fail for an update that must hit one row: no row is
// domain.ErrNotFound.
func (r reader) changed(op string, n int64, err error) error {
	if err != nil {
		return r.fail(op, err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// GetUser returns domain.ErrNotFound for an unknown id.
func (r reader) GetUser(ctx context.Context, id string) (domain.User, error) {
	if err := r.ready(ctx); err != nil {
		return domain.User{}, err
	}
	row, err := r.qs().GetUser(ctx, id)
	if err != nil {
		return domain.User{}, r.fail("get user", err)
	}
	return user(row), nil
}

// GetUserByEmail matches the e-mail exactly.
func (r reader) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	if err := r.ready(ctx); err != nil {
		return domain.User{}, err
	}
	row, err := r.qs().GetUserByEmail(ctx, email)
	if err != nil {
		return domain.User{}, r.fail("get user by email", err)
	}
	return user(row), nil
}

// ListUserIDs pages through user ids in ascending order.
func (r reader) ListUserIDs(ctx context.Context, after string, limit int) ([]string, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	ids, err := r.qs().ListUserIDs(ctx, mydb.ListUserIDsParams{After: after, Limit: lim(limit)})
	return ids, r.fail("list user ids", err)
}

// GetAccount returns a user's account.
func (r reader) GetAccount(ctx context.Context, userID string) (domain.Account, error) {
	if err := r.ready(ctx); err != nil {
		return domain.Account{}, err
	}
	row, err := r.qs().GetAccount(ctx, userID)
	if err != nil {
		return domain.Account{}, r.fail("get account", err)
	}
	return account(row), nil
}

// GetStock returns a listing.
func (r reader) GetStock(ctx context.Context, code string) (domain.Stock, error) {
	if err := r.ready(ctx); err != nil {
		return domain.Stock{}, err
	}
	row, err := r.qs().GetStock(ctx, code)
	if err != nil {
		return domain.Stock{}, r.fail("get stock", err)
	}
	return stock(row), nil
}

// ListStocks returns every listing ordered by code.
func (r reader) ListStocks(ctx context.Context) ([]domain.Stock, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListStocks(ctx)
	if err != nil {
		return nil, r.fail("list stocks", err)
	}
	out := make([]domain.Stock, len(rows))
	for i, row := range rows {
		out[i] = stock(row)
	}
	return out, nil
}

// ListPrices returns the newest limit prices at or after since, oldest
// first.
func (r reader) ListPrices(ctx context.Context, code string, since time.Time, limit int) ([]domain.PricePoint, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	if since.Before(timeMin) {
		since = timeMin
	}
	rows, err := r.qs().ListPricesDesc(ctx, mydb.ListPricesDescParams{StockCode: code, Since: since.UTC(), Limit: lim(limit)})
	if err != nil {
		return nil, r.fail("list prices", err)
	}
	out := make([]domain.PricePoint, len(rows))
	for i, row := range rows {
		out[len(rows)-1-i] = domain.PricePoint{StockCode: row.StockCode, Price: row.Price, At: row.RecordedAt}
	}
	return out, nil
}

// GetHolding returns domain.ErrNotFound when the user holds none.
func (r reader) GetHolding(ctx context.Context, userID, code string) (domain.Holding, error) {
	if err := r.ready(ctx); err != nil {
		return domain.Holding{}, err
	}
	row, err := r.qs().GetHolding(ctx, mydb.GetHoldingParams{UserID: userID, StockCode: code})
	if err != nil {
		return domain.Holding{}, r.fail("get holding", err)
	}
	return holding(row), nil
}

// ListHoldings returns the user's holdings ordered by stock code.
func (r reader) ListHoldings(ctx context.Context, userID string) ([]domain.Holding, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListHoldings(ctx, userID)
	if err != nil {
		return nil, r.fail("list holdings", err)
	}
	out := make([]domain.Holding, len(rows))
	for i, row := range rows {
		out[i] = holding(row)
	}
	return out, nil
}

// GetOrder returns the order without executions.
func (r reader) GetOrder(ctx context.Context, id string) (domain.Order, error) {
	if err := r.ready(ctx); err != nil {
		return domain.Order{}, err
	}
	row, err := r.qs().GetOrder(ctx, id)
	if err != nil {
		return domain.Order{}, r.fail("get order", err)
	}
	return order(row), nil
}

// GetOrderByClientID finds a user's order by its client_order_id.
func (r reader) GetOrderByClientID(ctx context.Context, userID, clientOrderID string) (domain.Order, error) {
	if err := r.ready(ctx); err != nil {
		return domain.Order{}, err
	}
	if clientOrderID == "" {
		// An empty id is stored as NULL and never matches.
		return domain.Order{}, domain.ErrNotFound
	}
	row, err := r.qs().GetOrderByClientID(ctx, mydb.GetOrderByClientIDParams{UserID: userID, ClientOrderID: nullString(clientOrderID)})
	if err != nil {
		return domain.Order{}, r.fail("get order by client id", err)
	}
	return order(row), nil
}

// ListOrders returns a user's orders, newest first.
func (r reader) ListOrders(ctx context.Context, f ports.OrderFilter) ([]domain.Order, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListOrders(ctx, mydb.ListOrdersParams{
		UserID:    f.UserID,
		Before:    before(f.Before),
		Status:    string(f.Status),
		StockCode: f.StockCode,
		Side:      string(f.Side),
		Limit:     lim(f.Limit),
	})
	if err != nil {
		return nil, r.fail("list orders", err)
	}
	return orders(rows), nil
}

// ListExecutions returns the executions of the given orders, oldest first.
func (r reader) ListExecutions(ctx context.Context, orderIDs []string) ([]domain.Execution, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	if len(orderIDs) == 0 {
		return []domain.Execution{}, nil
	}
	rows, err := r.qs().ListExecutions(ctx, orderIDs)
	if err != nil {
		return nil, r.fail("list executions", err)
	}
	return executions(rows), nil
}

// ListUserExecutions pages through a user's executions in id order.
func (r reader) ListUserExecutions(ctx context.Context, userID, after string, limit int) ([]domain.Execution, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListUserExecutions(ctx, mydb.ListUserExecutionsParams{UserID: userID, After: after, Limit: lim(limit)})
	if err != nil {
		return nil, r.fail("list user executions", err)
	}
	return executions(rows), nil
}

// ListCrossingOrders returns up to limit PENDING limit orders on code that
// a trade at price fills: the buys first, then the sells, each side in
// price-time priority (best limit first, then oldest). One statement
// reads both sides as two ranges of orders_resting in index order and
// stops at limit rows, so the cost grows with the orders returned. The
// integer price_key narrows the candidates; the exact decision is made
// here with decimals.
func (r reader) ListCrossingOrders(ctx context.Context, code string, price decimal.Decimal, limit int) ([]domain.Order, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	// The statement negates the key for the buys (see the query).
	rows, err := r.qs().ListCrossingOrders(ctx, mydb.ListCrossingOrdersParams{
		StockCode: code,
		PriceKey:  sql.NullInt64{Int64: wholeWon(price), Valid: true},
		Limit:     lim(limit),
	})
	if err != nil {
		return nil, r.fail("list crossing orders", err)
	}
	out := make([]domain.Order, 0, len(rows))
	for _, row := range rows {
		o := order(row)
		if o.LimitPrice.Valid && domain.Crosses(o.Side, o.LimitPrice.Decimal, price) {
			out = append(out, o)
		}
	}
	return out, nil
}

// ListExpiringOrders returns up to limit PENDING orders whose expiry is at
// or before t, the earliest expiry first.
func (r reader) ListExpiringOrders(ctx context.Context, t time.Time, limit int) ([]domain.Order, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListExpiringOrders(ctx, mydb.ListExpiringOrdersParams{UntilTime: nullTime(t), Limit: lim(limit)})
	if err != nil {
		return nil, r.fail("list expiring orders", err)
	}
	return orders(rows), nil
}

// ListOpenOrders returns a user's PENDING orders, oldest first.
func (r reader) ListOpenOrders(ctx context.Context, userID string) ([]domain.Order, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListOpenOrders(ctx, userID)
	if err != nil {
		return nil, r.fail("list open orders", err)
	}
	return orders(rows), nil
}

// ListLedger returns a user's ledger rows, newest first.
func (r reader) ListLedger(ctx context.Context, f ports.LedgerFilter) ([]domain.LedgerEntry, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	from, to := timeMin, timeMax
	if !f.From.IsZero() && f.From.After(timeMin) {
		from = f.From.UTC()
	}
	if !f.To.IsZero() && f.To.Before(timeMax) {
		to = f.To.UTC()
	}
	rows, err := r.qs().ListLedger(ctx, mydb.ListLedgerParams{
		UserID:    f.UserID,
		Before:    before(f.Before),
		Type:      string(f.Type),
		StockCode: sql.NullString{String: f.StockCode, Valid: true},
		FromTime:  from,
		ToTime:    to,
		Limit:     lim(f.Limit),
	})
	if err != nil {
		return nil, r.fail("list ledger", err)
	}
	out := make([]domain.LedgerEntry, len(rows))
	for i, row := range rows {
		out[i] = ledgerEntry(row)
	}
	return out, nil
}

// ListWatchlist returns a user's watchlist in the order it was built.
func (r reader) ListWatchlist(ctx context.Context, userID string) ([]domain.WatchItem, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListWatchlist(ctx, userID)
	if err != nil {
		return nil, r.fail("list watchlist", err)
	}
	out := make([]domain.WatchItem, len(rows))
	for i, row := range rows {
		out[i] = domain.WatchItem{UserID: row.UserID, StockCode: row.StockCode, CreatedAt: row.CreatedAt}
	}
	return out, nil
}

// GetPayment returns a payment by its PortOne payment id.
func (r reader) GetPayment(ctx context.Context, id string) (domain.Payment, error) {
	if err := r.ready(ctx); err != nil {
		return domain.Payment{}, err
	}
	row, err := r.qs().GetPayment(ctx, id)
	if err != nil {
		return domain.Payment{}, r.fail("get payment", err)
	}
	return payment(row), nil
}

// ListPayments returns a user's payments, newest first.
func (r reader) ListPayments(ctx context.Context, userID, beforeID string, limit int) ([]domain.Payment, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := r.qs().ListPayments(ctx, mydb.ListPaymentsParams{UserID: userID, Before: before(beforeID), Limit: lim(limit)})
	if err != nil {
		return nil, r.fail("list payments", err)
	}
	out := make([]domain.Payment, len(rows))
	for i, row := range rows {
		out[i] = payment(row)
	}
	return out, nil
}
