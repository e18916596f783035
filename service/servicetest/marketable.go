package servicetest

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// quoteCode is the listing of the marketable-limit test.
const quoteCode = "068270"

// testMarketableLimit places DAY and GTC LIMIT orders that reach the quote
// on arrival, on a book 10 shares deep (bid 69,900, ask 70,100 around a
// last trade of 70,000): each takes the quote level by level up to its
// limit, and what does not fit there rests at its limit, reserved, with
// its workflow announced through the outbox; a limit at the last price
// but short of the quote only rests; an order the cash or the shares do
// not cover whole changes nothing; the rest fills later like any resting
// order, and the books balance.
func testMarketableLimit(f *fixture) {
	svc, err := service.New(service.Deps{
		Store: f.s, Clock: wallClock{}, IDs: uuidV7{}, Hasher: fakeHasher{},
	}, service.Config{
		InitialCash:    decimal.NewFromInt(10_000_000),
		Calendar:       &domain.Calendar{Always: true},
		MarketDepth:    10,
		OrderWorkflows: true,
	})
	f.must(err)
	_, err = svc.Market.Upsert(f.ctx, service.StockInput{
		Code: quoteCode, Name: "종목" + quoteCode, NameEn: "Stock " + quoteCode, Market: "KOSPI",
		Price: decimal.NewNullDecimal(decimal.NewFromInt(workloadBase)),
	})
	f.must(err)
	quote := func() {
		f.Helper()
		_, err := svc.Market.Trade(f.ctx, service.TradeInput{Code: quoteCode, Price: dec("70000"), Volume: ptr(int64(1)),
			Bid: decimal.NewNullDecimal(dec("69900")), Ask: decimal.NewNullDecimal(dec("70100"))})
		f.must(err)
	}
	quote()
	users := f.serviceUsers(svc, "quote", 2)
	trader, poor := users[0], users[1]
	fees := svc.Config().Fees
	place := func(user string, side domain.Side, tif domain.TimeInForce, limit string, qty int64) (domain.Order, error) {
		f.Helper()
		res, err := svc.Orders.Place(f.ctx, service.Personal(user), domain.OrderRequest{
			StockCode: quoteCode, Side: side, Type: domain.LimitOrder, TimeInForce: tif,
			Quantity: qty, LimitPrice: decimal.NewNullDecimal(dec(limit)),
		})
		return res.Order, err
	}
	levels := func(o domain.Order) []domain.Level {
		var out []domain.Level
		for _, e := range o.Executions {
			out = append(out, domain.Level{Price: e.Price, Quantity: e.Quantity})
		}
		return out
	}
	sameLevels := func(what string, o domain.Order, want ...domain.Level) {
		f.Helper()
		got := levels(o)
		ok := len(got) == len(want)
		for i := 0; ok && i < len(got); i++ {
			ok = got[i].Price.Equal(want[i].Price) && got[i].Quantity == want[i].Quantity
		}
		if !ok {
			f.Errorf("%s executed at %v, want %v", what, got, want)
		}
	}
	lv := func(price string, qty int64) domain.Level { return domain.Level{Price: dec(price), Quantity: qty} }
	outbox := func() map[string][]string {
		f.Helper()
		msgs, err := f.s.DueOutbox(f.ctx, time.Now().UTC().Add(time.Hour), 1000)
		f.must(err)
		kinds := map[string][]string{}
		for _, m := range msgs {
			kinds[m.Key] = append(kinds[m.Key], m.Kind)
		}
		return kinds
	}
	balance := func(user string) domain.Account {
		f.Helper()
		a, err := f.s.GetAccount(f.ctx, user)
		f.must(err)
		return a
	}

	// A buy limited two ticks through the ask that the book covers fills
	// whole, one execution a level, and is final at once: no workflow.
	full, err := place(trader, domain.Buy, domain.GTC, "70300", 25)
	f.must(err)
	if full.Status != domain.Filled || full.FilledQuantity != 25 || !full.ReservedAmount.IsZero() {
		f.Errorf("buy through the quote: %s with %d filled, %s reserved", full.Status, full.FilledQuantity, full.ReservedAmount)
	}
	sameLevels("buy through the quote", full, lv("70100", 10), lv("70200", 10), lv("70300", 5))
	f.expectOrder(svc, trader, full.ID, domain.Filled, 25, "70180")
	cost := domain.LevelsCost(levels(full), fees)
	f.sameMoney("cash after the buy through the quote", balance(trader).Cash, dec("10000000").Sub(cost))

	// A DAY buy of 25 limited at 70,200 takes the two levels up to its
	// limit and rests its last 5 shares there, holding their cash.
	part, err := place(trader, domain.Buy, domain.Day, "70200", 25)
	f.must(err)
	sameLevels("buy past its limit", part, lv("70100", 10), lv("70200", 10))
	stored := f.expectOrder(svc, trader, part.ID, domain.PartiallyFilled, 20, "70150")
	restHold := fees.BuyReservation(5, dec("70200"))
	f.sameMoney("reservation of the rest", stored.ReservedAmount, restHold)
	if stored.ExpiresAt.IsZero() || stored.Remaining() != 5 {
		f.Errorf("the resting DAY buy has expiry %s and %d remaining, want an expiry and 5", stored.ExpiresAt, stored.Remaining())
	}
	a := balance(trader)
	f.sameMoney("reserved cash with the rest resting", a.ReservedCash, restHold)
	cost = cost.Add(domain.LevelsCost(levels(part), fees))
	f.sameMoney("cash after the partial buy", a.Cash, dec("10000000").Sub(cost))

	// A buy at the last price is short of the ask: it only rests.
	atLast, err := place(trader, domain.Buy, domain.GTC, "70000", 5)
	f.must(err)
	if atLast.Status != domain.Pending || atLast.FilledQuantity != 0 || len(atLast.Executions) != 0 {
		f.Errorf("buy at the last price under the ask: %s with %d filled", atLast.Status, atLast.FilledQuantity)
	}
	f.sameMoney("reservation of the buy at the last price", atLast.ReservedAmount, fees.BuyReservation(5, dec("70000")))

	// The sell side mirrors it: through the bid it fills in levels...
	sold, err := place(trader, domain.Sell, domain.GTC, "69800", 15)
	f.must(err)
	sameLevels("sell through the quote", sold, lv("69900", 10), lv("69800", 5))
	f.expectOrder(svc, trader, sold.ID, domain.Filled, 15, "")
	// ...past its limit it rests the rest, holding those shares...
	sellPart, err := place(trader, domain.Sell, domain.Day, "69800", 25)
	f.must(err)
	sameLevels("sell past its limit", sellPart, lv("69900", 10), lv("69800", 10))
	f.expectOrder(svc, trader, sellPart.ID, domain.PartiallyFilled, 20, "69850")
	// ...and at the last price, above the bid, it only rests.
	sellAtLast, err := place(trader, domain.Sell, domain.GTC, "70000", 3)
	f.must(err)
	if sellAtLast.Status != domain.Pending || sellAtLast.FilledQuantity != 0 {
		f.Errorf("sell at the last price above the bid: %s with %d filled", sellAtLast.Status, sellAtLast.FilledQuantity)
	}
	h, err := f.s.GetHolding(f.ctx, trader, quoteCode)
	f.must(err)
	if h.Quantity != 25+20-15-20 || h.ReservedQuantity != 5+3 {
		f.Errorf("holding %d shares, %d reserved; want 10 and 8", h.Quantity, h.ReservedQuantity)
	}

	// Each order that rests has its workflow announced; the partly filled
	// ones tell it of their fills too. The filled ones have none.
	kinds := outbox()
	for _, c := range []struct {
		id   string
		want []string
	}{
		{part.ID, []string{service.OutboxOrderStart, service.OutboxOrderFilled}},
		{sellPart.ID, []string{service.OutboxOrderStart, service.OutboxOrderFilled}},
		{atLast.ID, []string{service.OutboxOrderStart}},
		{sellAtLast.ID, []string{service.OutboxOrderStart}},
		{full.ID, nil},
		{sold.ID, nil},
	} {
		got := kinds[c.id]
		slices.Sort(got)
		slices.Sort(c.want)
		ok := len(got) == len(c.want)
		for i := 0; ok && i < len(got); i++ {
			ok = got[i] == c.want[i]
		}
		if !ok {
			f.Errorf("outbox messages of order %s: %v, want %v", c.id, got, c.want)
		}
	}

	// Not covered whole, an order is refused and nothing changes: 2,000,000
	// won pays for the 20 shares the quote holds up to 70,200 (1,403,210
	// won) and the 8 more that would rest (561,684), not for 9.
	b := balance(poor)
	_, err = svc.Accounts.Withdraw(f.ctx, service.Personal(poor), b.Available().Sub(dec("2000000")))
	f.must(err)
	before := balance(poor)
	if _, err := place(poor, domain.Buy, domain.GTC, "70200", 29); !domain.IsCode(err, domain.CodeInsufficientFunds) {
		f.Errorf("a buy the cash does not cover whole: %v, want insufficient_funds", err)
	}
	if _, err := place(poor, domain.Sell, domain.GTC, "69900", 1); !domain.IsCode(err, domain.CodeInsufficientStock) {
		f.Errorf("a sell of shares not held: %v, want insufficient_quantity", err)
	}
	if _, err := place(trader, domain.Sell, domain.GTC, "69800", 3); !domain.IsCode(err, domain.CodeInsufficientStock) {
		f.Errorf("a sell of more shares than are free (2): %v, want insufficient_quantity", err)
	}
	after := balance(poor)
	if !after.Cash.Equal(before.Cash) || !after.ReservedCash.Equal(before.ReservedCash) || after.LedgerSeq != before.LedgerSeq {
		f.Errorf("a refused order changed the account: %+v, was %+v", after, before)
	}
	if h2, err := f.s.GetHolding(f.ctx, trader, quoteCode); err != nil || h2.Quantity != h.Quantity || h2.ReservedQuantity != h.ReservedQuantity || !h2.AveragePrice.Equal(h.AveragePrice) {
		f.Errorf("a refused sell changed the holding: %+v, was %+v (%v)", h2, h, err)
	}
	if orders, _, err := svc.Orders.List(f.ctx, service.Personal(poor), service.OrderQuery{}); err != nil || len(orders) != 0 {
		f.Errorf("refused orders were stored: %d (%v)", len(orders), err)
	}
	// 28 fit exactly.
	fit, err := place(poor, domain.Buy, domain.GTC, "70200", 28)
	f.must(err)
	f.expectOrder(svc, poor, fit.ID, domain.PartiallyFilled, 20, "70150")
	f.sameMoney("cash left after the order that fits", balance(poor).Available(), dec("2000000").Sub(dec("1403210")).Sub(dec("561684")))

	// The rests fill on the next trade that crosses them, at their own
	// limits, as resting orders do.
	_, err = svc.Market.Trade(f.ctx, service.TradeInput{Code: quoteCode, Price: dec("70000"), Volume: ptr(int64(100))})
	f.must(err)
	done := f.expectOrder(svc, trader, part.ID, domain.Filled, 25, "70160")
	if !done.ReservedAmount.IsZero() || len(done.Executions) != 3 {
		f.Errorf("the rest of the partial buy: %s reserved, %d executions", done.ReservedAmount, len(done.Executions))
	}
	f.expectOrder(svc, trader, sellPart.ID, domain.Filled, 25, "69840")
	f.expectOrder(svc, trader, atLast.ID, domain.Filled, 5, "70000")
	f.expectOrder(svc, trader, sellAtLast.ID, domain.Filled, 3, "70000")
	f.expectOrder(svc, poor, fit.ID, domain.Filled, 28, "")
	f.sameMoney("reserved cash after the fills", balance(trader).ReservedCash, decimal.Zero)
	f.checkBooks(svc, users)
}
