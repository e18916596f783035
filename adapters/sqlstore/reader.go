package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// reader implements ports.Reader over the shared statements, for the Store
// and for each transaction alike.
type reader struct {
	s *Store
	t *tx // nil outside a transaction
}

// one runs a read, q.stmt(ctx, arg): in the transaction, between its
// engine's Start and Finish, or outside one within the statement timeout.
func one[A, R any](r reader, ctx context.Context, op string,
	stmt func(sqldb.Queries, context.Context, A) (R, error), arg A) (R, error) {
	var row R
	if r.t == nil {
		err := r.s.bounded(ctx, func(ctx context.Context) (err error) {
			row, err = stmt(r.s.d.Queries(), ctx, arg)
			return r.s.errs.Wrap(op, err)
		})
		return row, err
	}
	sctx, q, err := r.t.conn.Start(ctx, op, Read)
	if err == nil {
		row, err = stmt(q, sctx, arg)
		_, err = r.t.conn.Finish(Read, 0, err)
	}
	return row, r.s.errs.Wrap(op, err)
}

// noArgs adapts a statement without parameters to one.
func noArgs[R any](stmt func(sqldb.Queries, context.Context) (R, error)) func(sqldb.Queries, context.Context, struct{}) (R, error) {
	return func(q sqldb.Queries, ctx context.Context, _ struct{}) (R, error) {
		return stmt(q, ctx)
	}
}

// noArgsBlind adapts a write without parameters or answer to blind.
func noArgsBlind(stmt func(sqldb.Queries, context.Context) error) func(sqldb.Queries, context.Context, struct{}) error {
	return func(q sqldb.Queries, ctx context.Context, _ struct{}) error {
		return stmt(q, ctx)
	}
}

// get runs a read that answers one row and maps the row with conv.
func get[A, R, T any](r reader, ctx context.Context, op string,
	stmt func(sqldb.Queries, context.Context, A) (R, error), arg A, conv func(R) T) (T, error) {
	row, err := one(r, ctx, op, stmt, arg)
	if err != nil {
		var zero T
		return zero, err
	}
	return conv(row), nil
}

// list runs a statement that answers rows and maps each of them.
func list[A, R, T any](r reader, ctx context.Context, op string,
	stmt func(sqldb.Queries, context.Context, A) ([]R, error), arg A, conv func(R) T) ([]T, error) {
	return get(r, ctx, op, stmt, arg, func(rows []R) []T { return all(rows, conv) })
}

// GetUser returns domain.ErrNotFound for an unknown id.
func (r reader) GetUser(ctx context.Context, id string) (domain.User, error) {
	return get(r, ctx, "get user", sqldb.Queries.GetUser, id, user)
}

// GetUserByEmail matches the e-mail exactly.
func (r reader) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	return get(r, ctx, "get user by email", sqldb.Queries.GetUserByEmail, email, user)
}

// ListUserIDs pages through user ids in ascending order.
func (r reader) ListUserIDs(ctx context.Context, after string, n int) ([]string, error) {
	return one(r, ctx, "list user ids", sqldb.Queries.ListUserIDs, sqldb.ListUserIDsParams{After: after, Limit: limit(n)})
}

// GetAccount returns an account.
func (r reader) GetAccount(ctx context.Context, id string) (domain.Account, error) {
	return get(r, ctx, "get account", sqldb.Queries.GetAccount, id, account)
}

// ListAccounts returns a user's accounts, the personal one first.
func (r reader) ListAccounts(ctx context.Context, userID string) ([]domain.Account, error) {
	return list(r, ctx, "list accounts", sqldb.Queries.ListAccounts, userID, account)
}

// ListAccountIDs pages through account ids in ascending order.
func (r reader) ListAccountIDs(ctx context.Context, after string, n int) ([]string, error) {
	return one(r, ctx, "list account ids", sqldb.Queries.ListAccountIDs, sqldb.ListAccountIDsParams{After: after, Limit: limit(n)})
}

// GetStock returns a listing.
func (r reader) GetStock(ctx context.Context, code string) (domain.Stock, error) {
	return get(r, ctx, "get stock", sqldb.Queries.GetStock, code, stock)
}

// ListStocks returns every listing ordered by code.
func (r reader) ListStocks(ctx context.Context) ([]domain.Stock, error) {
	return list(r, ctx, "list stocks", noArgs(sqldb.Queries.ListStocks), struct{}{}, stock)
}

// ListPrices returns the newest limit prices at or after since, oldest
// first.
func (r reader) ListPrices(ctx context.Context, code string, since time.Time, n int) ([]domain.PricePoint, error) {
	out, err := list(r, ctx, "list prices", sqldb.Queries.ListPricesDesc,
		sqldb.ListPricesDescParams{StockCode: code, Since: clamp(since, timeMin), Limit: limit(n)}, pricePoint)
	// The statement reads newest first, so that LIMIT keeps the newest.
	slices.Reverse(out)
	return out, err
}

// GetHolding returns domain.ErrNotFound when the account holds none.
func (r reader) GetHolding(ctx context.Context, accountID, code string) (domain.Holding, error) {
	return get(r, ctx, "get holding", sqldb.Queries.GetHolding,
		sqldb.GetHoldingParams{AccountID: accountID, StockCode: code}, holding)
}

// ListHoldings returns the account's holdings ordered by stock code.
func (r reader) ListHoldings(ctx context.Context, accountID string) ([]domain.Holding, error) {
	return list(r, ctx, "list holdings", sqldb.Queries.ListHoldings, accountID, holding)
}

// ListPositions returns the account's holdings of at least one share with
// their listings, in one statement.
func (r reader) ListPositions(ctx context.Context, accountID string) ([]ports.Position, error) {
	return list(r, ctx, "list positions", sqldb.Queries.ListPositions, accountID, position)
}

// GetOrder returns the order without executions.
func (r reader) GetOrder(ctx context.Context, id string) (domain.Order, error) {
	return get(r, ctx, "get order", sqldb.Queries.GetOrder, id, order)
}

// GetOrderByClientID finds a user's order by its client_order_id.
func (r reader) GetOrderByClientID(ctx context.Context, userID, clientOrderID string) (domain.Order, error) {
	if clientOrderID == "" {
		// An empty id is stored as NULL and never matches.
		return domain.Order{}, domain.ErrNotFound
	}
	return get(r, ctx, "get order by client id", sqldb.Queries.GetOrderByClientID,
		sqldb.GetOrderByClientIDParams{UserID: userID, ClientOrderID: nullString(clientOrderID)}, order)
}

// ListOrders returns an account's orders, newest first.
func (r reader) ListOrders(ctx context.Context, f ports.OrderFilter) ([]domain.Order, error) {
	return list(r, ctx, "list orders", sqldb.Queries.ListOrders, sqldb.ListOrdersParams{
		AccountID: f.AccountID,
		Before:    before(f.Before),
		Status:    string(f.Status),
		StockCode: f.StockCode,
		Side:      string(f.Side),
		Limit:     limit(f.Limit),
	}, order)
}

// ListExecutions returns the executions of the given orders, oldest first.
func (r reader) ListExecutions(ctx context.Context, orderIDs []string) ([]domain.Execution, error) {
	if len(orderIDs) == 0 {
		return []domain.Execution{}, nil
	}
	return list(r, ctx, "list executions", sqldb.Queries.ListExecutions, orderIDs, execution)
}

// ListAccountExecutions pages through an account's executions in id
// order.
func (r reader) ListAccountExecutions(ctx context.Context, accountID, after string, n int) ([]domain.Execution, error) {
	return list(r, ctx, "list account executions", sqldb.Queries.ListAccountExecutions,
		sqldb.ListAccountExecutionsParams{AccountID: accountID, After: after, Limit: limit(n)}, execution)
}

// ListExpiringOrders returns up to n open orders whose expiry is at or
// before t, the earliest expiry first.
func (r reader) ListExpiringOrders(ctx context.Context, t time.Time, n int) ([]domain.Order, error) {
	return list(r, ctx, "list expiring orders", sqldb.Queries.ListExpiringOrders,
		sqldb.ListExpiringOrdersParams{UntilTime: nullTime(t), Limit: limit(n)}, order)
}

// ListOpenOrders returns an account's open orders, oldest first.
func (r reader) ListOpenOrders(ctx context.Context, accountID string) ([]domain.Order, error) {
	return list(r, ctx, "list open orders", sqldb.Queries.ListOpenOrders, accountID, order)
}

// ListLedger returns an account's ledger rows, newest first.
func (r reader) ListLedger(ctx context.Context, f ports.LedgerFilter) ([]domain.LedgerEntry, error) {
	return list(r, ctx, "list ledger", sqldb.Queries.ListLedger, sqldb.ListLedgerParams{
		AccountID: f.AccountID,
		Before:    before(f.Before),
		Type:      string(f.Type),
		StockCode: sql.NullString{String: f.StockCode, Valid: true},
		FromTime:  clamp(f.From, timeMin),
		ToTime:    clamp(f.To, timeMax),
		Limit:     limit(f.Limit),
	}, ledgerEntry)
}

// ListWatchlist returns a user's watchlist in the order it was built.
func (r reader) ListWatchlist(ctx context.Context, userID string) ([]domain.WatchItem, error) {
	return list(r, ctx, "list watchlist", sqldb.Queries.ListWatchlist, userID, watchItem)
}

// GetPayment returns a payment by its PortOne payment id.
func (r reader) GetPayment(ctx context.Context, id string) (domain.Payment, error) {
	return get(r, ctx, "get payment", sqldb.Queries.GetPayment, id, payment)
}

// ListPayments returns a user's payments, newest first.
func (r reader) ListPayments(ctx context.Context, userID, beforeID string, n int) ([]domain.Payment, error) {
	return list(r, ctx, "list payments", sqldb.Queries.ListPayments,
		sqldb.ListPaymentsParams{UserID: userID, Before: before(beforeID), Limit: limit(n)}, payment)
}
