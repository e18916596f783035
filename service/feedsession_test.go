package service_test

import (
	"context"
	"testing"

	"github.com/stocking-kr/stocking/domain"
)

// A feed's first trade of a session fills the orders it crosses at its own
// price; later batches of the same session fill at the orders' limits,
// and the next session's first batch opens again.
func TestFeedBatchesOpenEachSessionOnce(t *testing.T) {
	clock := &fakeClock{now: seoul(10, 10)}
	svc := newService(t, withClock(clock))
	ctx := context.Background()
	rest := func(email string) (user, order string) {
		t.Helper()
		u := trader(t, svc, email)
		res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder,
			TimeInForce: domain.GTC, Quantity: 1, LimitPrice: limit("69500")})
		if err != nil || res.Order.Status != domain.Pending {
			t.Fatalf("resting buy %+v %v", res.Order, err)
		}
		return u.UserID, res.Order.ID
	}
	batch := func(price string) []domain.Trade {
		ts := make([]domain.Trade, 5) // more than the few the batch path reads one by one
		for i := range ts {
			ts[i] = domain.Trade{Code: "005930", At: clock.Now(), Price: d(price), Volume: 100}
		}
		return ts
	}
	filledAt := func(u, id, want string) {
		t.Helper()
		o, err := svc.Orders.Get(ctx, u, id)
		if err != nil || o.Status != domain.Filled || len(o.Executions) != 1 || !o.Executions[0].Price.Equal(d(want)) {
			t.Fatalf("order %s: %+v %v; want filled at %s", id, o, err, want)
		}
	}
	// The session's first batch crosses nothing; the second crosses a
	// resting buy, which fills at its limit.
	u1, first := rest("first@example.com")
	if err := svc.Market.ApplyTrades(ctx, batch("70000")); err != nil {
		t.Fatal(err)
	}
	if err := svc.Market.ApplyTrades(ctx, batch("69000")); err != nil {
		t.Fatal(err)
	}
	filledAt(u1, first, "69500")

	// The next day's first batch opens that session: it fills at the
	// trade's price.
	if err := svc.Market.ApplyTrades(ctx, batch("70000")); err != nil {
		t.Fatal(err)
	}
	u2, second := rest("second@example.com")
	clock.set(seoul(11, 10))
	if err := svc.Market.ApplyTrades(ctx, batch("69000")); err != nil {
		t.Fatal(err)
	}
	filledAt(u2, second, "69000")
}
