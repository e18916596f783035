package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// reader implements ports.Reader over one set of queries: the pool's for
// the Store, where each read is its own statement on any connection, or a
// transaction's, where each read first sends the writes queued before it
// (see pipe.go).
type reader struct {
	q *pgdb.Queries
}

// GetUser returns domain.ErrNotFound for an unknown id.
func (r reader) GetUser(ctx context.Context, id string) (domain.User, error) {
	row, err := r.q.GetUser(ctx, id)
	if err != nil {
		return domain.User{}, wrap("get user", err)
	}
	return user(row), nil
}

// GetUserByEmail matches the e-mail exactly.
func (r reader) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	row, err := r.q.GetUserByEmail(ctx, email)
	if err != nil {
		return domain.User{}, wrap("get user by email", err)
	}
	return user(row), nil
}

// ListUserIDs pages through user ids in ascending order.
func (r reader) ListUserIDs(ctx context.Context, after string, limit int) ([]string, error) {
	ids, err := r.q.ListUserIDs(ctx, pgdb.ListUserIDsParams{After: after, Limit: lim(limit)})
	return ids, wrap("list user ids", err)
}

// GetAccount returns a user's account.
func (r reader) GetAccount(ctx context.Context, userID string) (domain.Account, error) {
	row, err := r.q.GetAccount(ctx, userID)
	if err != nil {
		return domain.Account{}, wrap("get account", err)
	}
	return account(row), nil
}

// GetStock returns a listing.
func (r reader) GetStock(ctx context.Context, code string) (domain.Stock, error) {
	row, err := r.q.GetStock(ctx, code)
	if err != nil {
		return domain.Stock{}, wrap("get stock", err)
	}
	return stock(row), nil
}

// ListStocks returns every listing ordered by code.
func (r reader) ListStocks(ctx context.Context) ([]domain.Stock, error) {
	rows, err := r.q.ListStocks(ctx)
	if err != nil {
		return nil, wrap("list stocks", err)
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
	rows, err := r.q.ListPricesDesc(ctx, pgdb.ListPricesDescParams{StockCode: code, Since: since.UTC(), Limit: lim(limit)})
	if err != nil {
		return nil, wrap("list prices", err)
	}
	out := make([]domain.PricePoint, len(rows))
	for i, row := range rows {
		out[len(rows)-1-i] = domain.PricePoint{StockCode: row.StockCode, Price: row.Price, At: row.RecordedAt}
	}
	return out, nil
}

// GetHolding returns domain.ErrNotFound when the user holds none.
func (r reader) GetHolding(ctx context.Context, userID, code string) (domain.Holding, error) {
	row, err := r.q.GetHolding(ctx, pgdb.GetHoldingParams{UserID: userID, StockCode: code})
	if err != nil {
		return domain.Holding{}, wrap("get holding", err)
	}
	return holding(row), nil
}

// ListHoldings returns the user's holdings ordered by stock code.
func (r reader) ListHoldings(ctx context.Context, userID string) ([]domain.Holding, error) {
	rows, err := r.q.ListHoldings(ctx, userID)
	if err != nil {
		return nil, wrap("list holdings", err)
	}
	out := make([]domain.Holding, len(rows))
	for i, row := range rows {
		out[i] = holding(row)
	}
	return out, nil
}

// GetOrder returns the order without executions.
func (r reader) GetOrder(ctx context.Context, id string) (domain.Order, error) {
	row, err := r.q.GetOrder(ctx, id)
	if err != nil {
		return domain.Order{}, wrap("get order", err)
	}
	return order(row), nil
}

// GetOrderByClientID finds a user's order by its client_order_id.
func (r reader) GetOrderByClientID(ctx context.Context, userID, clientOrderID string) (domain.Order, error) {
	if clientOrderID == "" {
		// An empty id is stored as NULL and never matches.
		return domain.Order{}, domain.ErrNotFound
	}
	row, err := r.q.GetOrderByClientID(ctx, pgdb.GetOrderByClientIDParams{UserID: userID, ClientOrderID: text(clientOrderID)})
	if err != nil {
		return domain.Order{}, wrap("get order by client id", err)
	}
	return order(row), nil
}

// ListOrders returns a user's orders, newest first.
func (r reader) ListOrders(ctx context.Context, f ports.OrderFilter) ([]domain.Order, error) {
	rows, err := r.q.ListOrders(ctx, pgdb.ListOrdersParams{
		UserID:    f.UserID,
		Before:    before(f.Before),
		Status:    string(f.Status),
		StockCode: f.StockCode,
		Side:      string(f.Side),
		Limit:     lim(f.Limit),
	})
	if err != nil {
		return nil, wrap("list orders", err)
	}
	return orders(rows), nil
}

// ListExecutions returns the executions of the given orders, oldest first.
func (r reader) ListExecutions(ctx context.Context, orderIDs []string) ([]domain.Execution, error) {
	if len(orderIDs) == 0 {
		return []domain.Execution{}, nil
	}
	rows, err := r.q.ListExecutions(ctx, orderIDs)
	if err != nil {
		return nil, wrap("list executions", err)
	}
	return executions(rows), nil
}

// ListUserExecutions pages through a user's executions in id order.
func (r reader) ListUserExecutions(ctx context.Context, userID, after string, limit int) ([]domain.Execution, error) {
	rows, err := r.q.ListUserExecutions(ctx, pgdb.ListUserExecutionsParams{UserID: userID, After: after, Limit: lim(limit)})
	if err != nil {
		return nil, wrap("list user executions", err)
	}
	return executions(rows), nil
}

// ListCrossingOrders returns up to limit PENDING limit orders on code that
// a trade at price fills: the buys first, then the sells, each side in
// price-time priority (best limit first, then oldest). One statement
// range-scans the partial index orders_resting once per side, so the cost
// grows with the orders returned. The integer price_key narrows the
// candidates; the exact decision is made here with decimals.
func (r reader) ListCrossingOrders(ctx context.Context, code string, price decimal.Decimal, limit int) ([]domain.Order, error) {
	rows, err := r.q.ListCrossingOrders(ctx, pgdb.ListCrossingOrdersParams{
		StockCode: code,
		PriceKey:  priceKey(decimal.NewNullDecimal(price)),
		Limit:     lim(limit),
	})
	if err != nil {
		return nil, wrap("list crossing orders", err)
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
	rows, err := r.q.ListExpiringOrders(ctx, pgdb.ListExpiringOrdersParams{UntilTime: timestamptz(t), Limit: lim(limit)})
	if err != nil {
		return nil, wrap("list expiring orders", err)
	}
	return orders(rows), nil
}

// ListOpenOrders returns a user's PENDING orders, oldest first.
func (r reader) ListOpenOrders(ctx context.Context, userID string) ([]domain.Order, error) {
	rows, err := r.q.ListOpenOrders(ctx, userID)
	if err != nil {
		return nil, wrap("list open orders", err)
	}
	return orders(rows), nil
}

// ListLedger returns a user's ledger rows, newest first.
func (r reader) ListLedger(ctx context.Context, f ports.LedgerFilter) ([]domain.LedgerEntry, error) {
	from, to := timeMin, timeMax
	if !f.From.IsZero() {
		from = f.From.UTC()
	}
	if !f.To.IsZero() {
		to = f.To.UTC()
	}
	rows, err := r.q.ListLedger(ctx, pgdb.ListLedgerParams{
		UserID:    f.UserID,
		Before:    before(f.Before),
		Type:      string(f.Type),
		StockCode: sql.NullString{String: f.StockCode, Valid: true},
		FromTime:  from,
		ToTime:    to,
		Limit:     lim(f.Limit),
	})
	if err != nil {
		return nil, wrap("list ledger", err)
	}
	out := make([]domain.LedgerEntry, len(rows))
	for i, row := range rows {
		out[i] = ledgerEntry(row)
	}
	return out, nil
}

// ListWatchlist returns a user's watchlist in the order it was built.
func (r reader) ListWatchlist(ctx context.Context, userID string) ([]domain.WatchItem, error) {
	rows, err := r.q.ListWatchlist(ctx, userID)
	if err != nil {
		return nil, wrap("list watchlist", err)
	}
	out := make([]domain.WatchItem, len(rows))
	for i, row := range rows {
		out[i] = domain.WatchItem{UserID: row.UserID, StockCode: row.StockCode, CreatedAt: row.CreatedAt}
	}
	return out, nil
}

// GetPayment returns a payment by its PortOne payment id.
func (r reader) GetPayment(ctx context.Context, id string) (domain.Payment, error) {
	row, err := r.q.GetPayment(ctx, id)
	if err != nil {
		return domain.Payment{}, wrap("get payment", err)
	}
	return payment(row), nil
}

// ListPayments returns a user's payments, newest first.
func (r reader) ListPayments(ctx context.Context, userID, beforeID string, limit int) ([]domain.Payment, error) {
	rows, err := r.q.ListPayments(ctx, pgdb.ListPaymentsParams{UserID: userID, Before: before(beforeID), Limit: lim(limit)})
	if err != nil {
		return nil, wrap("list payments", err)
	}
	out := make([]domain.Payment, len(rows))
	for i, row := range rows {
		out[i] = payment(row)
	}
	return out, nil
}
