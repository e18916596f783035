package storetest

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// testModifyInBook checks what a modify writes through UpdateOrder: the
// new quantity, limit price, reservation and place in the queue are
// stored, and the limit book the matcher reads follows them at once (the
// new price decides which trades reach the order, the new PriorityAt its
// place among the orders at its price). A size reduction that keeps the
// order's PriorityAt keeps its place.
func testModifyInBook(f *fixture) {
	u := f.user("1000000000")
	f.stock("005930", "70000")
	a := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	b := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	c := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	f.createOrders(a, b, c)
	update := func(o domain.Order) {
		f.Helper()
		var ok bool
		f.tx(func(tx ports.Tx) error {
			var err error
			ok, err = tx.UpdateOrder(f.ctx, o, o.Status)
			return err
		})
		if !ok {
			f.Fatalf("UpdateOrder(%s) did not apply", o.ID)
		}
		got, err := f.s.GetOrder(f.ctx, o.ID)
		f.must(err)
		f.same("modified order "+o.ID, got, o)
	}
	book := func(what, price string, want ...domain.Order) {
		f.Helper()
		got, err := f.s.ListBookOrders(f.ctx, "005930", ports.LimitBook, domain.Buy, dec(price), 10)
		f.must(err)
		f.same(what, orderIDs(got), orderIDs(want))
	}

	// a shrinks and keeps its place.
	a.Quantity, a.ReservedAmount, a.UpdatedAt = 4, dec("280000"), f.tick()
	update(a)
	book("after a size reduction", "70000", a, b, c)

	// a grows: behind c.
	a.Quantity, a.ReservedAmount, a.UpdatedAt = 12, dec("840000"), f.tick()
	a.PriorityAt = a.UpdatedAt
	update(a)
	book("after a size increase", "70000", b, c, a)

	// b moves its price up: it leads the book and alone reaches a trade
	// at 70,100.
	b.LimitPrice, b.ReservedAmount, b.UpdatedAt = nullDec("70100"), dec("701000"), f.tick()
	b.PriorityAt = b.UpdatedAt
	update(b)
	book("after a price increase", "70000", b, c, a)
	book("at the new price", "70100", b)

	// c moves its price down, out of reach of a trade at 70,000.
	c.LimitPrice, c.ReservedAmount, c.UpdatedAt = nullDec("69900"), dec("699000"), f.tick()
	c.PriorityAt = c.UpdatedAt
	update(c)
	book("after a price decrease", "70000", b, a)
	book("at the lower price", "69900", b, a, c)
}

// testRaceModifyFillCancel races a fill, a cancel and a modify of one
// resting order, each the way the core writes it: lock the account, then
// the order, check that it is open, and update it on the condition that
// its status is still the one read. A fill and a modify may both apply
// (the order stays open after a partial fill); once a fill completes it or
// the cancel closes it, nothing else applies. The account's reservation
// equals the order's afterwards, whatever the order of the racers.
func testRaceModifyFillCancel(f *fixture) {
	const rounds = 12
	u := f.user("100000000")
	f.stock("005930", "70000")
	reserve := func(qty int64) decimal.Decimal { return dec("70000").Mul(decimal.NewFromInt(qty)) }
	for round := range rounds {
		o := f.limitOrder(u, "005930", domain.Buy, "70000", 4)
		f.createOrders(o)
		f.tx(func(tx ports.Tx) error {
			a, err := tx.LockAccount(f.ctx, u.ID)
			if err != nil {
				return err
			}
			if err := a.Reserve(o.ReservedAmount); err != nil {
				return err
			}
			return tx.SaveAccount(f.ctx, a)
		})
		racers := []func(ctx context.Context, tx ports.Tx, a *domain.Account, cur domain.Order) domain.Order{
			// fill: 2 shares (a partial fill) or all 4, in turn.
			func(_ context.Context, _ ports.Tx, a *domain.Account, cur domain.Order) domain.Order {
				qty := min(int64(2+2*(round%2)), cur.Remaining())
				next := cur
				next.FilledQuantity += qty
				next.AverageFillPrice = nullDec("70000")
				keep := reserve(next.Remaining())
				a.Release(cur.ReservedAmount.Sub(keep))
				a.Cash = a.Cash.Sub(reserve(qty))
				next.ReservedAmount = keep
				next.Status = domain.PartiallyFilled
				if next.Remaining() == 0 {
					next.Status = domain.Filled
				}
				return next
			},
			// cancel
			func(_ context.Context, _ ports.Tx, a *domain.Account, cur domain.Order) domain.Order {
				next := cur
				a.Release(cur.ReservedAmount)
				next.ReservedAmount, next.Status, next.Reason = decimal.Zero, domain.Cancelled, "cancelled"
				return next
			},
			// modify: 8 shares, queued anew.
			func(_ context.Context, _ ports.Tx, a *domain.Account, cur domain.Order) domain.Order {
				next := cur
				next.Quantity = 8
				a.Release(cur.ReservedAmount)
				next.ReservedAmount = reserve(next.Remaining())
				if err := a.Reserve(next.ReservedAmount); err != nil {
					f.Errorf("round %d: modify: %v", round, err)
				}
				next.PriorityAt = cur.UpdatedAt.Add(time.Second)
				return next
			},
		}
		applied := make([]bool, len(racers))
		errs := f.race(len(racers), func(i int, ctx context.Context, tx ports.Tx) error {
			applied[i] = false
			a, err := tx.LockAccount(ctx, u.ID)
			if err != nil {
				return err
			}
			cur, err := tx.LockOrder(ctx, o.ID)
			if err != nil {
				return err
			}
			if cur.Status.Final() {
				return nil
			}
			next := racers[i](ctx, tx, &a, cur)
			next.UpdatedAt = cur.UpdatedAt.Add(time.Millisecond)
			ok, err := tx.UpdateOrder(ctx, next, cur.Status)
			if err != nil || !ok {
				return err
			}
			applied[i] = true
			return tx.SaveAccount(ctx, a)
		})
		for i, err := range errs {
			if err != nil {
				f.Fatalf("round %d: racer %d: %v", round, i, err)
			}
		}
		got, err := f.s.GetOrder(f.ctx, o.ID)
		f.must(err)
		a, err := f.s.GetAccount(f.ctx, u.ID)
		f.must(err)
		if applied[2] != (got.Quantity == 8) {
			f.Fatalf("round %d: modify applied %v, stored quantity %d", round, applied[2], got.Quantity)
		}
		if applied[1] != (got.Status == domain.Cancelled) {
			f.Fatalf("round %d: cancel applied %v, stored status %s", round, applied[1], got.Status)
		}
		if got.Open() {
			f.same("reservation of the open order", got.ReservedAmount, reserve(got.Remaining()))
		} else if !got.ReservedAmount.IsZero() {
			f.Fatalf("round %d: %s order still reserves %s", round, got.Status, got.ReservedAmount)
		}
		f.same("reserved cash", a.ReservedCash, got.ReservedAmount)
		// Leave the account with nothing reserved for the next round.
		if got.Open() {
			f.tx(func(tx ports.Tx) error {
				a, err := tx.LockAccount(f.ctx, u.ID)
				if err != nil {
					return err
				}
				a.Release(got.ReservedAmount)
				next := got
				next.ReservedAmount, next.Status = decimal.Zero, domain.Cancelled
				if _, err := tx.UpdateOrder(f.ctx, next, got.Status); err != nil {
					return err
				}
				return tx.SaveAccount(f.ctx, a)
			})
		}
	}
}
