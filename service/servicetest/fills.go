package servicetest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// fillCode is the listing of the partial-fill tests, apart from the
// others' so that its trades cross no one else's orders.
const fillCode = "051910"

// testPartialFills follows resting buys through trades smaller than the
// book: each trade fills the best price first, then the oldest, up to its
// volume, each order at its own limit; a partially filled order keeps its
// executions when cancelled, and its reservation shrinks with each fill.
func testPartialFills(f *fixture) {
	svc := f.newService()
	_, err := svc.Market.Upsert(f.ctx, service.StockInput{
		Code: fillCode, Name: "종목" + fillCode, NameEn: "Stock " + fillCode, Market: "KOSPI",
		Price: decimal.NewNullDecimal(decimal.NewFromInt(workloadBase)),
	})
	f.must(err)
	users := f.serviceUsers(svc, "fill", 3)
	// A first trade opens the session, so that the ones below fill at the
	// orders' limits.
	_, err = svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("70000"), Volume: new(int64(1))})
	f.must(err)
	place := func(user string, limit string, qty int64) domain.Order {
		f.Helper()
		res, err := svc.Orders.Place(f.ctx, service.Personal(user), domain.OrderRequest{
			StockCode: fillCode, Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC,
			Quantity: qty, LimitPrice: decimal.NewNullDecimal(dec(limit)),
		})
		f.must(err)
		return res.Order
	}
	older := place(users[0], "69000", 5)
	newer := place(users[1], "69000", 5)
	best := place(users[2], "69500", 3)
	fees := svc.Config().Fees

	// 6 shares trade at 69,000: the best bid takes 3, the older of the two
	// at 69,000 the other 3.
	n, err := svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("69000"), Volume: new(int64(6))})
	f.must(err)
	if n != 2 {
		f.Errorf("first trade made %d fills, want 2", n)
	}
	f.expectOrder(svc, best.UserID, best.ID, domain.Filled, 3, "69500")
	o := f.expectOrder(svc, older.UserID, older.ID, domain.PartiallyFilled, 3, "69000")
	f.sameMoney("reservation of the partially filled order", o.ReservedAmount, fees.BuyReservation(2, dec("69000")))
	f.expectOrder(svc, newer.UserID, newer.ID, domain.Pending, 0, "")

	// 4 more: the older order's last 2, then 2 of the newer one.
	_, err = svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("69000"), Volume: new(int64(4))})
	f.must(err)
	o = f.expectOrder(svc, older.UserID, older.ID, domain.Filled, 5, "69000")
	if len(o.Executions) != 2 {
		f.Errorf("older order has %d executions, want 2", len(o.Executions))
	}
	f.expectOrder(svc, newer.UserID, newer.ID, domain.PartiallyFilled, 2, "69000")

	// Cancelling the rest keeps the executions and releases the rest.
	c, err := svc.Orders.Cancel(f.ctx, newer.UserID, newer.ID)
	f.must(err)
	if c.Status != domain.Cancelled || c.FilledQuantity != 2 || len(c.Executions) != 1 || !c.ReservedAmount.IsZero() {
		f.Errorf("cancelled partially filled order: %s, %d filled, %d executions, %s reserved", c.Status, c.FilledQuantity, len(c.Executions), c.ReservedAmount)
	}
	a, err := f.s.GetAccount(f.ctx, newer.UserID)
	f.must(err)
	f.sameMoney("reserved cash after the cancel", a.ReservedCash, decimal.Zero)
	h, err := f.s.GetHolding(f.ctx, newer.UserID, fillCode)
	f.must(err)
	if h.Quantity != 2 {
		f.Errorf("holding after the cancel = %d shares, want 2", h.Quantity)
	}

	// An expiry of a partially filled order keeps its execution too.
	day, err := svc.Orders.Place(f.ctx, service.Personal(users[2]), domain.OrderRequest{
		StockCode: fillCode, Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.Day,
		Quantity: 4, LimitPrice: decimal.NewNullDecimal(dec("68000")),
	})
	f.must(err)
	_, err = svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("68000"), Volume: ptr(int64(1))})
	f.must(err)
	o = f.expectOrder(svc, users[2], day.Order.ID, domain.PartiallyFilled, 1, "68000")
	o.ExpiresAt = time.Now().UTC().Add(-time.Second)
	f.must(f.s.WithinTx(f.ctx, func(ctx context.Context, tx ports.Tx) error {
		_, err := tx.UpdateOrder(ctx, o, domain.PartiallyFilled)
		return err
	}))
	n, err = svc.Orders.ExpireDue(f.ctx)
	f.must(err)
	if n != 1 {
		f.Errorf("ExpireDue expired %d orders, want 1", n)
	}
	o = f.expectOrder(svc, users[2], day.Order.ID, domain.Expired, 1, "68000")
	if !o.ReservedAmount.IsZero() {
		f.Errorf("expired order still reserves %s", o.ReservedAmount)
	}
	f.checkBooks(svc, users)
}

// expectOrder reads an order through the service and checks its status,
// filled quantity and average fill price ("" for none).
func (f *fixture) expectOrder(svc *service.Service, user, id string, status domain.OrderStatus, filled int64, avg string) domain.Order {
	f.Helper()
	o, err := svc.Orders.Get(f.ctx, user, id)
	f.must(err)
	if o.Status != status || o.FilledQuantity != filled {
		f.Errorf("order %s is %s with %d filled, want %s with %d", id, o.Status, o.FilledQuantity, status, filled)
	}
	var sum int64
	for _, e := range o.Executions {
		sum += e.Quantity
	}
	if sum != filled {
		f.Errorf("order %s has executions for %d shares, want %d", id, sum, filled)
	}
	if avg != "" && (!o.AverageFillPrice.Valid || !o.AverageFillPrice.Decimal.Equal(dec(avg))) {
		f.Errorf("order %s average fill price %v, want %s", id, o.AverageFillPrice, avg)
	}
	return o
}

// testPartialFillRace races trades that fill a resting order in parts
// against its cancel, many times over: the order ends either FILLED or
// CANCELLED with whatever filled before the cancel, its executions add up
// to its filled quantity, and the books stay balanced.
func testPartialFillRace(f *fixture) {
	const rounds = 20
	svc := f.newService()
	_, err := svc.Market.Upsert(f.ctx, service.StockInput{
		Code: fillCode, Name: "종목" + fillCode, NameEn: "Stock " + fillCode, Market: "KOSPI",
		Price: decimal.NewNullDecimal(decimal.NewFromInt(workloadBase)),
	})
	f.must(err)
	user := f.serviceUsers(svc, "partial", 1)[0]
	limit := dec("69000")
	_, err = svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("70000"), Volume: ptr(int64(1))})
	f.must(err)
	outcomes := map[string]int{}
	for round := range rounds {
		// The last trade goes back above the limit, so that the order
		// rests instead of filling in full on arrival.
		f.trade(svc, "69200", 1)
		placed, err := svc.Orders.Place(f.ctx, service.Personal(user), domain.OrderRequest{
			StockCode: fillCode, Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC,
			Quantity: 6, LimitPrice: decimal.NewNullDecimal(limit),
		})
		f.must(err)
		id := placed.Order.ID
		var tradeErr, cancelErr error
		var cancelled bool
		// The cancel sets off after 0, 1 or 2 of the three trades, so it
		// races a different fill each round.
		start, after := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			defer func() {
				select {
				case <-after:
				default:
					close(after)
				}
			}()
			for i := range 3 {
				if i == round%3 {
					close(after)
				}
				if _, err := svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: limit, Volume: ptr(int64(2))}); err != nil {
					tradeErr = err
					return
				}
			}
		})
		wg.Go(func() {
			<-after
			_, cancelErr = svc.Orders.Cancel(f.ctx, user, id)
			cancelled = cancelErr == nil
			if domain.IsCode(cancelErr, domain.CodeConflict) {
				cancelErr = nil // the last fill won
			}
		})
		close(start)
		wg.Wait()
		if tradeErr != nil || cancelErr != nil {
			f.Fatalf("round %d: trade error %v, cancel error %v", round, tradeErr, cancelErr)
		}
		o, err := svc.Orders.Get(f.ctx, user, id)
		f.must(err)
		var sum int64
		for _, e := range o.Executions {
			sum += e.Quantity
		}
		switch {
		case cancelled && o.Status == domain.Cancelled && o.FilledQuantity < 6 && o.FilledQuantity%2 == 0:
		case !cancelled && o.Status == domain.Filled && o.FilledQuantity == 6:
		default:
			f.Fatalf("round %d: cancel won = %v, order %s with %d of 6 filled", round, cancelled, o.Status, o.FilledQuantity)
		}
		if sum != o.FilledQuantity || !o.ReservedAmount.IsZero() {
			f.Fatalf("round %d: %d filled, executions for %d, %s still reserved", round, o.FilledQuantity, sum, o.ReservedAmount)
		}
		outcomes[fmt.Sprintf("%s/%d", o.Status, o.FilledQuantity)]++
	}
	f.Logf("partial fill vs cancel outcomes: %v", outcomes)
	f.checkBooks(svc, []string{user})
}

func ptr[T any](v T) *T { return &v }
