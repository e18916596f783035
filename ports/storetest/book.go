package storetest

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// testBook checks the books the matcher reads: a partially filled order
// stays in the limit book (and among the open and expiring orders), the
// queue at one price follows PriorityAt, and stop orders wait in the stop
// book until their trigger, a STOP_LIMIT then resting in the limit book.
func testBook(f *fixture) {
	u := f.user("1000000000")
	f.stock("005930", "70000")
	first := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	second := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	// Modified after second was placed: it lost its place in the queue.
	requeued := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	requeued.CreatedAt = first.CreatedAt.Add(-time.Second)
	requeued.PriorityAt = second.PriorityAt.Add(time.Second)
	stopBuy := f.limitOrder(u, "005930", domain.Buy, "71000", 5)
	stopBuy.Type, stopBuy.LimitPrice, stopBuy.StopPrice = domain.StopOrder, decimal.NullDecimal{}, nullDec("71000")
	stopSell := f.limitOrder(u, "005930", domain.Sell, "68000", 5)
	stopSell.Type, stopSell.StopPrice = domain.StopLimitOrder, nullDec("69000")
	f.createOrders(first, second, requeued, stopBuy, stopSell)

	// first fills in part: it stays where it was.
	part := first
	part.Status, part.FilledQuantity = domain.PartiallyFilled, 4
	part.AverageFillPrice = nullDec("70000")
	part.UpdatedAt = f.tick()
	var ok bool
	f.tx(func(tx ports.Tx) error {
		var err error
		ok, err = tx.UpdateOrder(f.ctx, part, domain.Pending)
		return err
	})
	if !ok {
		f.Fatalf("UpdateOrder(PENDING → PARTIALLY_FILLED) did not apply")
	}
	got, err := f.s.ListBookOrders(f.ctx, "005930", ports.LimitBook, domain.Buy, dec("70000"), 10)
	f.must(err)
	f.same("limit book at 70000", orderIDs(got), orderIDs([]domain.Order{first, second, requeued}))
	if len(got) > 0 {
		f.same("partially filled order in the book", got[0], part)
	}
	got, err = f.s.ListBookOrders(f.ctx, "005930", ports.LimitBook, domain.Buy, dec("70000"), 2)
	f.must(err)
	f.same("limit book at 70000, limit 2", orderIDs(got), orderIDs([]domain.Order{first, second}))
	open, err := f.s.ListOpenOrders(f.ctx, u.ID)
	f.must(err)
	if len(open) != 5 {
		f.Errorf("ListOpenOrders = %d orders, want 5 (the partially filled one included)", len(open))
	}
	due, err := f.s.ListExpiringOrders(f.ctx, f.now.Add(24*time.Hour), 10)
	f.must(err)
	if len(due) != 5 {
		f.Errorf("ListExpiringOrders = %d orders, want 5 (the partially filled one included)", len(due))
	}
	// The stop orders wait outside the limit book.
	got, err = f.s.ListBookOrders(f.ctx, "005930", ports.LimitBook, domain.Sell, dec("70000"), 10)
	f.must(err)
	f.same("sell side of the limit book", orderIDs(got), orderIDs(nil))

	// Stops trigger at or through their stop price.
	for _, c := range []struct {
		side  domain.Side
		price string
		want  []domain.Order
	}{
		{domain.Buy, "70900", nil},
		{domain.Buy, "71000", []domain.Order{stopBuy}},
		{domain.Buy, "72000", []domain.Order{stopBuy}},
		{domain.Sell, "69100", nil},
		{domain.Sell, "69000", []domain.Order{stopSell}},
		{domain.Sell, "60000", []domain.Order{stopSell}},
	} {
		got, err = f.s.ListBookOrders(f.ctx, "005930", ports.StopBook, c.side, dec(c.price), 10)
		f.must(err)
		f.same("stop book "+string(c.side)+" at "+c.price, orderIDs(got), orderIDs(c.want))
	}

	// A triggered STOP_LIMIT rests in the limit book at its limit.
	trig := stopSell
	trig.TriggeredAt = f.tick()
	trig.PriorityAt = trig.TriggeredAt
	f.tx(func(tx ports.Tx) error {
		var err error
		ok, err = tx.UpdateOrder(f.ctx, trig, domain.Pending)
		return err
	})
	got, err = f.s.ListBookOrders(f.ctx, "005930", ports.StopBook, domain.Sell, dec("60000"), 10)
	f.must(err)
	f.same("stop book after the trigger", orderIDs(got), orderIDs(nil))
	got, err = f.s.ListBookOrders(f.ctx, "005930", ports.LimitBook, domain.Sell, dec("68000"), 10)
	f.must(err)
	f.same("limit book after the trigger", orderIDs(got), orderIDs([]domain.Order{trig}))
	if len(got) == 1 {
		f.same("triggered order", got[0], trig)
	}
}
