package servicetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// fillListing lists fillCode at the workload's base price and opens its
// session with a one-share trade, so that later trades fill resting
// orders at their own limits.
func (f *fixture) fillListing(svc *service.Service) {
	f.Helper()
	_, err := svc.Market.Upsert(f.ctx, service.StockInput{
		Code: fillCode, Name: "종목" + fillCode, NameEn: "Stock " + fillCode, Market: "KOSPI",
		Price: decimal.NewNullDecimal(decimal.NewFromInt(workloadBase)),
	})
	f.must(err)
	_, err = svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("70000"), Volume: ptr(int64(1))})
	f.must(err)
}

func (f *fixture) placeLimit(svc *service.Service, user string, side domain.Side, limit string, qty int64) domain.Order {
	f.Helper()
	res, err := svc.Orders.Place(f.ctx, service.Personal(user), domain.OrderRequest{
		StockCode: fillCode, Side: side, Type: domain.LimitOrder, TimeInForce: domain.GTC,
		Quantity: qty, LimitPrice: decimal.NewNullDecimal(dec(limit)),
	})
	f.must(err)
	return res.Order
}

func (f *fixture) trade(svc *service.Service, price string, volume int64) {
	f.Helper()
	_, err := svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec(price), Volume: ptr(volume)})
	f.must(err)
}

// testModify modifies resting orders through the service on the store
// under test: the reservation follows the new size and price in the same
// transaction, a pure size reduction keeps the order's place in the queue
// and any other change sends it to the back (which the next trade's
// allocation shows), a sell's reserved shares follow its size, and a
// modified order fills and is cancelled like any other.
func testModify(f *fixture) {
	svc := f.newService()
	f.fillListing(svc)
	users := f.serviceUsers(svc, "modify", 2)
	fees := svc.Config().Fees
	req := func(qty int64, limit string) domain.ModifyRequest {
		r := domain.ModifyRequest{Quantity: qty}
		if limit != "" {
			r.LimitPrice = decimal.NewNullDecimal(dec(limit))
		}
		return r
	}

	// Three buys at 69,000, oldest first: a, b, c.
	a := f.placeLimit(svc, users[0], domain.Buy, "69000", 5)
	b := f.placeLimit(svc, users[1], domain.Buy, "69000", 5)
	c := f.placeLimit(svc, users[0], domain.Buy, "69000", 5)
	// a shrinks and keeps its place (as stored: engines keep
	// microseconds); b grows and goes behind c.
	a, err := f.s.GetOrder(f.ctx, a.ID)
	f.must(err)
	m, err := svc.Orders.Modify(f.ctx, service.Personal(users[0]), a.ID, req(3, ""))
	f.must(err)
	if m.Quantity != 3 || !m.PriorityAt.Equal(a.PriorityAt) {
		f.Errorf("size reduction: %d shares, priority %s, want 3 and %s", m.Quantity, m.PriorityAt, a.PriorityAt)
	}
	f.sameMoney("reservation after the reduction", m.ReservedAmount, fees.BuyReservation(3, dec("69000")))
	m, err = svc.Orders.Modify(f.ctx, service.Personal(users[1]), b.ID, req(7, ""))
	f.must(err)
	if !m.PriorityAt.After(c.PriorityAt) {
		f.Errorf("size increase kept priority %s, not after %s", m.PriorityAt, c.PriorityAt)
	}
	f.sameMoney("reservation after the increase", m.ReservedAmount, fees.BuyReservation(7, dec("69000")))
	// 5 shares trade at 69,000: a's 3, then c's first 2; b waits.
	f.trade(svc, "69000", 5)
	f.expectOrder(svc, users[0], a.ID, domain.Filled, 3, "69000")
	f.expectOrder(svc, users[0], c.ID, domain.PartiallyFilled, 2, "69000")
	f.expectOrder(svc, users[1], b.ID, domain.Pending, 0, "")

	// c, partially filled, moves its price up: it now outbids b, and its
	// remaining 3 shares are reserved at the new limit.
	m, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), c.ID, req(0, "69500"))
	f.must(err)
	if m.Status != domain.PartiallyFilled || m.FilledQuantity != 2 || m.Quantity != 5 {
		f.Errorf("price change of a partially filled order: %s with %d of %d filled", m.Status, m.FilledQuantity, m.Quantity)
	}
	f.sameMoney("reservation after the price change", m.ReservedAmount, fees.BuyReservation(3, dec("69500")))
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), c.ID, req(2, ""))
	if !domain.IsCode(err, domain.CodeInvalid) {
		f.Errorf("modify to the filled quantity: %v, want invalid", err)
	}
	f.trade(svc, "69000", 4)
	f.expectOrder(svc, users[0], c.ID, domain.Filled, 5, "")
	f.expectOrder(svc, users[1], b.ID, domain.PartiallyFilled, 1, "69000")
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), c.ID, req(9, ""))
	if !domain.IsCode(err, domain.CodeConflict) {
		f.Errorf("modify of a filled order: %v, want conflict", err)
	}
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), b.ID, req(9, ""))
	if !domain.IsCode(err, domain.CodeNotFound) {
		f.Errorf("modify of another user's order: %v, want not found", err)
	}
	// More than the cash allows is refused and changes nothing.
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[1]), b.ID, req(100_000, ""))
	if !domain.IsCode(err, domain.CodeInsufficientFunds) {
		f.Errorf("modify past the cash: %v, want insufficient funds", err)
	}
	o := f.expectOrder(svc, users[1], b.ID, domain.PartiallyFilled, 1, "69000")
	f.sameMoney("reservation after a refused modify", o.ReservedAmount, fees.BuyReservation(6, dec("69000")))
	cancelled, err := svc.Orders.Cancel(f.ctx, users[1], b.ID)
	f.must(err)
	if cancelled.FilledQuantity != 1 || len(cancelled.Executions) != 1 || !cancelled.ReservedAmount.IsZero() {
		f.Errorf("cancel of the modified order: %d filled, %d executions, %s reserved", cancelled.FilledQuantity, len(cancelled.Executions), cancelled.ReservedAmount)
	}

	// A sell of users[0]'s 8 shares: its reserved shares follow its size.
	s := f.placeLimit(svc, users[0], domain.Sell, "75000", 4)
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), s.ID, req(8, ""))
	f.must(err)
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), s.ID, req(9, ""))
	if !domain.IsCode(err, domain.CodeInsufficientStock) {
		f.Errorf("sell modify past the holding: %v, want insufficient quantity", err)
	}
	h, err := f.s.GetHolding(f.ctx, users[0], fillCode)
	f.must(err)
	if h.Quantity != 8 || h.ReservedQuantity != 8 {
		f.Errorf("holding %d shares, %d reserved; want 8 and 8", h.Quantity, h.ReservedQuantity)
	}
	_, err = svc.Orders.Modify(f.ctx, service.Personal(users[0]), s.ID, req(2, "74000"))
	f.must(err)
	h, err = f.s.GetHolding(f.ctx, users[0], fillCode)
	f.must(err)
	if h.ReservedQuantity != 2 {
		f.Errorf("holding reserves %d shares after the sell shrank to 2, want 2", h.ReservedQuantity)
	}
	f.checkBooks(svc, users)
}

// testModifyRace races, on one resting buy, trades that fill it in parts,
// its cancel and a modify (smaller, larger, or at another price, in turn),
// many times over. Whatever wins, the order's executions add up to its
// filled quantity, it never fills past its quantity, a refused modify
// changed nothing, and the audit of the books holds.
func testModifyRace(f *fixture) {
	const rounds = 27
	svc := f.newService()
	f.fillListing(svc)
	// A user per round: each round buys up to 9 shares.
	users := f.serviceUsers(svc, "modrace", rounds)
	fees := svc.Config().Fees
	mods := []domain.ModifyRequest{
		{Quantity: 4},
		{Quantity: 9},
		{LimitPrice: decimal.NewNullDecimal(dec("69100"))},
	}
	outcomes := map[string]int{}
	for round := range rounds {
		user := users[round]
		// The last trade is above the order, so that it rests instead of
		// filling on arrival.
		f.trade(svc, "69200", 1)
		o := f.placeLimit(svc, user, domain.Buy, "69000", 6)
		mod := mods[round%len(mods)]
		var tradeErr, cancelErr, modErr error
		// The modify sets off after 0, 1 or 2 of the three trades and the
		// cancel after another 0, 1 or 2, so that over the rounds each
		// races each fill and the other.
		start := make(chan struct{})
		gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
		modAt, cancelAt := round%3, (round/3)%3
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			defer func() {
				for _, g := range gates {
					select {
					case <-g:
					default:
						close(g)
					}
				}
			}()
			for i := range 3 {
				close(gates[i])
				// A moment for the racers let through to get going: on
				// an engine that runs one transaction at a time the
				// trades would otherwise all go first.
				time.Sleep(2 * time.Millisecond)
				if _, err := svc.Market.Trade(f.ctx, service.TradeInput{Code: fillCode, Price: dec("69000"), Volume: ptr(int64(2))}); err != nil {
					tradeErr = err
					return
				}
			}
		})
		wg.Go(func() {
			<-gates[cancelAt]
			_, cancelErr = svc.Orders.Cancel(f.ctx, user, o.ID)
		})
		wg.Go(func() {
			<-gates[modAt]
			_, modErr = svc.Orders.Modify(f.ctx, service.Personal(user), o.ID, mod)
		})
		close(start)
		wg.Wait()
		if tradeErr != nil {
			f.Fatalf("round %d: trade: %v", round, tradeErr)
		}
		// A cancel or modify may lose to a fill or to each other
		// (conflict), and a smaller size may fall to the filled quantity
		// (invalid); nothing else.
		for what, err := range map[string]error{"cancel": cancelErr, "modify": modErr} {
			if err != nil && !domain.IsCode(err, domain.CodeConflict) && !domain.IsCode(err, domain.CodeInvalid) {
				f.Fatalf("round %d: %s: %v", round, what, err)
			}
		}
		got, err := svc.Orders.Get(f.ctx, user, o.ID)
		f.must(err)
		var sum int64
		for _, e := range got.Executions {
			sum += e.Quantity
		}
		if sum != got.FilledQuantity || got.FilledQuantity > got.Quantity {
			f.Fatalf("round %d: %s with %d of %d filled, executions for %d", round, got.Status, got.FilledQuantity, got.Quantity, sum)
		}
		modified := got.Quantity != 6 || !got.LimitPrice.Decimal.Equal(dec("69000"))
		if modified != (modErr == nil) {
			f.Fatalf("round %d: modify answered %v but the order is %d × %s", round, modErr, got.Quantity, got.LimitPrice.Decimal)
		}
		if (cancelErr == nil) != (got.Status == domain.Cancelled) {
			f.Fatalf("round %d: cancel answered %v but the order is %s", round, cancelErr, got.Status)
		}
		if got.Open() {
			f.sameMoney(fmt.Sprintf("round %d: reservation of the open order", round), got.ReservedAmount, fees.BuyReservation(got.Remaining(), got.LimitPrice.Decimal))
			_, err := svc.Orders.Cancel(f.ctx, user, o.ID)
			f.must(err)
		} else if !got.ReservedAmount.IsZero() {
			f.Fatalf("round %d: %s order still reserves %s", round, got.Status, got.ReservedAmount)
		}
		outcomes[fmt.Sprintf("%s %d/%d modify=%s", got.Status, got.FilledQuantity, got.Quantity, domain.ErrorCode(modErr))]++
	}
	f.Logf("fill vs cancel vs modify outcomes: %v", outcomes)
	f.checkBooks(svc, users)
}
