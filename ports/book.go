package ports

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// Book names the books open orders rest in.
type Book string

// The books.
const (
	// LimitBook holds open LIMIT orders and triggered STOP_LIMIT orders,
	// partially filled ones included.
	LimitBook Book = "L"
	// StopBook holds STOP and STOP_LIMIT orders waiting for their trigger.
	StopBook Book = "S"
)

// BookReader reads the books the matcher works from.
type BookReader interface {
	// ListBookOrders returns up to limit open orders of one side of a
	// listing's book that a trade at price reaches: in the limit book, buys
	// limited at or above price and sells at or below it; in the stop book,
	// buy stops at or below price and sell stops at or above it. They come
	// best price first (the highest bid, the lowest offer; the nearest
	// stops), then by their place in the queue (PriorityAt), then by id. It
	// must use an index, so that its cost grows with the orders returned,
	// not with all open orders.
	ListBookOrders(ctx context.Context, code string, book Book, side domain.Side, price decimal.Decimal, limit int) ([]domain.Order, error)
}
