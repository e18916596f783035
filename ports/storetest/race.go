package storetest

import (
	"context"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// race starts n goroutines together and waits for them. Each runs fn in
// its own transaction; the returned slice holds each one's error.
func (f *fixture) race(n int, fn func(i int, ctx context.Context, tx ports.Tx) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f.s.WithinTx(f.ctx, func(ctx context.Context, tx ports.Tx) error { return fn(i, ctx, tx) })
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// testRaceSpendBalance: 50 buyers race for a balance that covers exactly
// 10 of them. Exactly 10 win, the others see insufficient funds (never
// another error), and the reservation is exactly 10 × cost.
func testRaceSpendBalance(f *fixture) {
	const racers, affordable = 50, 10
	cost := dec("70010.5")
	u := f.user(cost.Mul(decimal.NewFromInt(affordable)).String())

	errs := f.race(racers, func(_ int, ctx context.Context, tx ports.Tx) error {
		a, err := tx.LockAccount(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := a.Reserve(cost); err != nil {
			return err
		}
		return tx.SaveAccount(ctx, a)
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case domain.IsCode(err, domain.CodeInsufficientFunds):
		default:
			f.Errorf("racer failed with %v, want success or insufficient funds", err)
		}
	}
	if won != affordable {
		f.Errorf("%d of %d spends succeeded, want exactly %d", won, racers, affordable)
	}
	a, err := f.s.GetAccount(f.ctx, u.ID)
	f.must(err)
	f.same("reserved cash", a.ReservedCash, cost.Mul(decimal.NewFromInt(affordable)))
	if !a.Available().IsZero() {
		f.Errorf("available cash = %s, want 0", a.Available())
	}
}

// testRaceSellHolding: 20 sellers race for a holding of 10 shares, one
// share each. Exactly 10 reserve a share and the holding is never
// oversold.
func testRaceSellHolding(f *fixture) {
	const racers, shares = 20, 10
	u := f.user("0")
	f.stock("005930", "70000")
	f.tx(func(tx ports.Tx) error {
		return tx.SaveHolding(f.ctx, domain.Holding{AccountID: u.ID, StockCode: "005930", Quantity: shares, AveragePrice: dec("69000"), CreatedAt: f.now, UpdatedAt: f.now})
	})

	errs := f.race(racers, func(_ int, ctx context.Context, tx ports.Tx) error {
		h, err := tx.LockHolding(ctx, u.ID, "005930")
		if err != nil {
			return err
		}
		if err := h.ReserveShares(1); err != nil {
			return err
		}
		return tx.SaveHolding(ctx, h)
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case domain.IsCode(err, domain.CodeInsufficientStock):
		default:
			f.Errorf("racer failed with %v, want success or insufficient quantity", err)
		}
	}
	if won != shares {
		f.Errorf("%d of %d sells reserved a share, want exactly %d", won, racers, shares)
	}
	h, err := f.s.GetHolding(f.ctx, u.ID, "005930")
	f.must(err)
	if h.Quantity != shares || h.ReservedQuantity != shares {
		f.Errorf("holding = %d shares, %d reserved; want %d and %d", h.Quantity, h.ReservedQuantity, shares, shares)
	}
}

// testRaceFillCancel: a fill, a cancel and an expiry of one PENDING order
// race through the conditional UpdateOrder; exactly one wins, and the
// stored status is the winner's. Repeated so that each gets a chance to
// come first.
func testRaceFillCancel(f *fixture) {
	const rounds = 10
	u := f.user("100000000")
	f.stock("005930", "70000")
	outcomes := []domain.OrderStatus{domain.Filled, domain.Cancelled, domain.Expired}
	for range rounds {
		o := f.limitOrder(u, "005930", domain.Buy, "70000", 1)
		f.createOrders(o)
		// won[i] is set by every attempt of racer i, so after a retried
		// transaction it holds what the committed attempt saw.
		won := make([]bool, len(outcomes))
		errs := f.race(len(outcomes), func(i int, ctx context.Context, tx ports.Tx) error {
			locked, err := tx.LockOrder(ctx, o.ID)
			if err != nil {
				return err
			}
			next := locked
			next.Status = outcomes[i]
			next.ReservedAmount = decimal.Zero
			if outcomes[i] == domain.Filled {
				next.FilledQuantity = next.Quantity
				next.AverageFillPrice = decimal.NewNullDecimal(dec("70000"))
			}
			won[i], err = tx.UpdateOrder(ctx, next, domain.Pending)
			return err
		})
		winners := 0
		var winner domain.OrderStatus
		for i, err := range errs {
			if err != nil {
				f.Fatalf("%s failed: %v", outcomes[i], err)
			}
			if won[i] {
				winners++
				winner = outcomes[i]
			}
		}
		if winners != 1 {
			f.Fatalf("%d of %v won, want exactly 1", winners, outcomes)
		}
		got, err := f.s.GetOrder(f.ctx, o.ID)
		f.must(err)
		if got.Status != winner {
			f.Fatalf("stored status %s, but %s won", got.Status, winner)
		}
	}
}
