package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// stmt is one statement on an engine's queries.
type stmt = func(ctx context.Context, q sqldb.Queries) error

// reads runs one read: the Store's on a pooled connection within the
// statement timeout, a transaction's by its engine's rules.
type reads interface {
	read(ctx context.Context, op string, s stmt) error
}

// reader implements ports.Reader over the shared statements, for the Store
// and for each transaction. The engine decides where a read runs; the
// statements and the mapping of their rows are the same everywhere.
type reader struct{ reads reads }

// get runs a statement that answers one row, and maps the row.
func get[R, T any](r reader, ctx context.Context, op string, conv func(R) T, s func(context.Context, sqldb.Queries) (R, error)) (T, error) {
	var row R
	err := r.reads.read(ctx, op, func(ctx context.Context, q sqldb.Queries) (err error) {
		row, err = s(ctx, q)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return conv(row), nil
}

// list runs a statement that answers rows, and maps each row.
func list[R, T any](r reader, ctx context.Context, op string, conv func(R) T, s func(context.Context, sqldb.Queries) ([]R, error)) ([]T, error) {
	var rows []R
	err := r.reads.read(ctx, op, func(ctx context.Context, q sqldb.Queries) (err error) {
		rows, err = s(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	return all(rows, conv), nil
}

// GetUser returns domain.ErrNotFound for an unknown id.
func (r reader) GetUser(ctx context.Context, id string) (domain.User, error) {
	return get(r, ctx, "get user", user, func(ctx context.Context, q sqldb.Queries) (sqldb.User, error) {
		return q.GetUser(ctx, id)
	})
}

// GetUserByEmail matches the e-mail exactly.
func (r reader) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	return get(r, ctx, "get user by email", user, func(ctx context.Context, q sqldb.Queries) (sqldb.User, error) {
		return q.GetUserByEmail(ctx, email)
	})
}

// ListUserIDs pages through user ids in ascending order.
func (r reader) ListUserIDs(ctx context.Context, after string, n int) (ids []string, err error) {
	err = r.reads.read(ctx, "list user ids", func(ctx context.Context, q sqldb.Queries) error {
		ids, err = q.ListUserIDs(ctx, sqldb.ListUserIDsParams{After: after, Limit: limit(n)})
		return err
	})
	return ids, err
}

// GetAccount returns a user's account.
func (r reader) GetAccount(ctx context.Context, userID string) (domain.Account, error) {
	return get(r, ctx, "get account", account, func(ctx context.Context, q sqldb.Queries) (sqldb.Account, error) {
		return q.GetAccount(ctx, userID)
	})
}

// GetStock returns a listing.
func (r reader) GetStock(ctx context.Context, code string) (domain.Stock, error) {
	return get(r, ctx, "get stock", stock, func(ctx context.Context, q sqldb.Queries) (sqldb.Stock, error) {
		return q.GetStock(ctx, code)
	})
}

// ListStocks returns every listing ordered by code.
func (r reader) ListStocks(ctx context.Context) ([]domain.Stock, error) {
	return list(r, ctx, "list stocks", stock, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Stock, error) {
		return q.ListStocks(ctx)
	})
}

// ListPrices returns the newest limit prices at or after since, oldest
// first.
func (r reader) ListPrices(ctx context.Context, code string, since time.Time, n int) ([]domain.PricePoint, error) {
	out, err := list(r, ctx, "list prices", pricePoint, func(ctx context.Context, q sqldb.Queries) ([]sqldb.ListPricesDescRow, error) {
		return q.ListPricesDesc(ctx, sqldb.ListPricesDescParams{StockCode: code, Since: clamp(since, timeMin), Limit: limit(n)})
	})
	// The statement reads newest first, so that LIMIT keeps the newest.
	slices.Reverse(out)
	return out, err
}

// GetHolding returns domain.ErrNotFound when the user holds none.
func (r reader) GetHolding(ctx context.Context, userID, code string) (domain.Holding, error) {
	return get(r, ctx, "get holding", holding, func(ctx context.Context, q sqldb.Queries) (sqldb.Holding, error) {
		return q.GetHolding(ctx, sqldb.GetHoldingParams{UserID: userID, StockCode: code})
	})
}

// ListHoldings returns the user's holdings ordered by stock code.
func (r reader) ListHoldings(ctx context.Context, userID string) ([]domain.Holding, error) {
	return list(r, ctx, "list holdings", holding, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Holding, error) {
		return q.ListHoldings(ctx, userID)
	})
}

// GetOrder returns the order without executions.
func (r reader) GetOrder(ctx context.Context, id string) (domain.Order, error) {
	return get(r, ctx, "get order", order, func(ctx context.Context, q sqldb.Queries) (sqldb.Order, error) {
		return q.GetOrder(ctx, id)
	})
}

// GetOrderByClientID finds a user's order by its client_order_id.
func (r reader) GetOrderByClientID(ctx context.Context, userID, clientOrderID string) (domain.Order, error) {
	if clientOrderID == "" {
		// An empty id is stored as NULL and never matches.
		return domain.Order{}, domain.ErrNotFound
	}
	return get(r, ctx, "get order by client id", order, func(ctx context.Context, q sqldb.Queries) (sqldb.Order, error) {
		return q.GetOrderByClientID(ctx, sqldb.GetOrderByClientIDParams{UserID: userID, ClientOrderID: nullString(clientOrderID)})
	})
}

// ListOrders returns a user's orders, newest first.
func (r reader) ListOrders(ctx context.Context, f ports.OrderFilter) ([]domain.Order, error) {
	return list(r, ctx, "list orders", order, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Order, error) {
		return q.ListOrders(ctx, sqldb.ListOrdersParams{
			UserID:    f.UserID,
			Before:    before(f.Before),
			Status:    string(f.Status),
			StockCode: f.StockCode,
			Side:      string(f.Side),
			Limit:     limit(f.Limit),
		})
	})
}

// ListExecutions returns the executions of the given orders, oldest first.
func (r reader) ListExecutions(ctx context.Context, orderIDs []string) ([]domain.Execution, error) {
	if len(orderIDs) == 0 {
		return []domain.Execution{}, nil
	}
	return list(r, ctx, "list executions", execution, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Execution, error) {
		return q.ListExecutions(ctx, orderIDs)
	})
}

// ListUserExecutions pages through a user's executions in id order.
func (r reader) ListUserExecutions(ctx context.Context, userID, after string, n int) ([]domain.Execution, error) {
	return list(r, ctx, "list user executions", execution, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Execution, error) {
		return q.ListUserExecutions(ctx, sqldb.ListUserExecutionsParams{UserID: userID, After: after, Limit: limit(n)})
	})
}

// ListCrossingOrders returns up to n PENDING limit orders on code that a
// trade at price fills: the buys first, then the sells, each side in
// price-time priority (best limit first, then oldest). Each engine's
// statement reads the partial index orders_resting in ranges that stop
// after n rows, so the cost grows with the orders returned. The integer
// price_key narrows the candidates; the exact decision is made here with
// decimals.
func (r reader) ListCrossingOrders(ctx context.Context, code string, price decimal.Decimal, n int) ([]domain.Order, error) {
	candidates, err := list(r, ctx, "list crossing orders", order, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Order, error) {
		return q.ListCrossingOrders(ctx, sqldb.ListCrossingOrdersParams{
			StockCode: code,
			PriceKey:  sql.NullInt64{Int64: wholeWon(price), Valid: true},
			Limit:     limit(n),
		})
	})
	return slices.DeleteFunc(candidates, func(o domain.Order) bool {
		return !o.LimitPrice.Valid || !domain.Crosses(o.Side, o.LimitPrice.Decimal, price)
	}), err
}

// ListExpiringOrders returns up to n PENDING orders whose expiry is at or
// before t, the earliest expiry first.
func (r reader) ListExpiringOrders(ctx context.Context, t time.Time, n int) ([]domain.Order, error) {
	return list(r, ctx, "list expiring orders", order, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Order, error) {
		return q.ListExpiringOrders(ctx, sqldb.ListExpiringOrdersParams{UntilTime: nullTime(t), Limit: limit(n)})
	})
}

// ListOpenOrders returns a user's PENDING orders, oldest first.
func (r reader) ListOpenOrders(ctx context.Context, userID string) ([]domain.Order, error) {
	return list(r, ctx, "list open orders", order, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Order, error) {
		return q.ListOpenOrders(ctx, userID)
	})
}

// ListLedger returns a user's ledger rows, newest first.
func (r reader) ListLedger(ctx context.Context, f ports.LedgerFilter) ([]domain.LedgerEntry, error) {
	return list(r, ctx, "list ledger", ledgerEntry, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Ledger, error) {
		return q.ListLedger(ctx, sqldb.ListLedgerParams{
			UserID:    f.UserID,
			Before:    before(f.Before),
			Type:      string(f.Type),
			StockCode: sql.NullString{String: f.StockCode, Valid: true},
			FromTime:  clamp(f.From, timeMin),
			ToTime:    clamp(f.To, timeMax),
			Limit:     limit(f.Limit),
		})
	})
}

// ListWatchlist returns a user's watchlist in the order it was built.
func (r reader) ListWatchlist(ctx context.Context, userID string) ([]domain.WatchItem, error) {
	return list(r, ctx, "list watchlist", watchItem, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Watchlist, error) {
		return q.ListWatchlist(ctx, userID)
	})
}

// GetPayment returns a payment by its PortOne payment id.
func (r reader) GetPayment(ctx context.Context, id string) (domain.Payment, error) {
	return get(r, ctx, "get payment", payment, func(ctx context.Context, q sqldb.Queries) (sqldb.Payment, error) {
		return q.GetPayment(ctx, id)
	})
}

// ListPayments returns a user's payments, newest first.
func (r reader) ListPayments(ctx context.Context, userID, beforeID string, n int) ([]domain.Payment, error) {
	return list(r, ctx, "list payments", payment, func(ctx context.Context, q sqldb.Queries) ([]sqldb.Payment, error) {
		return q.ListPayments(ctx, sqldb.ListPaymentsParams{UserID: userID, Before: before(beforeID), Limit: limit(n)})
	})
}
