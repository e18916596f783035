package sqlstore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// bookOf is the book an order rests in and its key there (see the fills
// migration): nothing for a final order or one that never rests; the stop
// book for a stop order waiting for its trigger; the limit book for any
// other open order with a limit price. Keys are whole won, negated where
// that makes "a trade at p reaches the order" read key <= bound (buys in
// the limit book, sells in the stop book), on every engine.
func bookOf(o domain.Order) (sql.NullString, sql.NullInt64) {
	if !o.Open() {
		return sql.NullString{}, sql.NullInt64{}
	}
	switch {
	case o.Waiting() && o.StopPrice.Valid:
		return bookKey(ports.StopBook, o.Side == domain.Sell, o.StopPrice.Decimal)
	case o.Type != domain.MarketOrder && o.LimitPrice.Valid:
		return bookKey(ports.LimitBook, o.Side == domain.Buy, o.LimitPrice.Decimal)
	}
	return sql.NullString{}, sql.NullInt64{}
}

func bookKey(b ports.Book, negate bool, p decimal.Decimal) (sql.NullString, sql.NullInt64) {
	k := wholeWon(p)
	if negate {
		k = -k
	}
	return sql.NullString{String: string(b), Valid: true}, sql.NullInt64{Int64: k, Valid: true}
}

// ListBookOrders returns up to n open orders of one side of a listing's
// book that a trade at price reaches, in priority order. The integer keys
// narrow the candidates in the index; decimals decide here.
func (r reader) ListBookOrders(ctx context.Context, code string, book ports.Book, side domain.Side, price decimal.Decimal, n int) ([]domain.Order, error) {
	negate := book == ports.LimitBook && side == domain.Buy || book == ports.StopBook && side == domain.Sell
	b, bound := bookKey(book, negate, price)
	candidates, err := list(r, ctx, "list book orders", sqldb.Queries.ListBookOrders, sqldb.ListBookOrdersParams{
		StockCode: code, Book: b, Side: string(side), MaxKey: bound, Limit: limit(n),
	}, order)
	return slices.DeleteFunc(candidates, func(o domain.Order) bool {
		if book == ports.StopBook {
			return !o.Triggers(price)
		}
		return !o.LimitPrice.Valid || !domain.Crosses(o.Side, o.LimitPrice.Decimal, price)
	}), err
}

// ListCrossingOrders returns up to n open orders of code's limit book that
// a trade at price reaches: the buys first, then the sells, each in
// priority order.
func (r reader) ListCrossingOrders(ctx context.Context, code string, price decimal.Decimal, n int) ([]domain.Order, error) {
	n = int(limit(n))
	buys, err := r.ListBookOrders(ctx, code, ports.LimitBook, domain.Buy, price, n)
	if err != nil || len(buys) >= n {
		return buys[:min(len(buys), n)], err
	}
	sells, err := r.ListBookOrders(ctx, code, ports.LimitBook, domain.Sell, price, n-len(buys))
	return append(buys, sells...), err
}
