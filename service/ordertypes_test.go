package service_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

func withDepth(n int64) option {
	return func(_ *service.Deps, cfg *service.Config) { cfg.MarketDepth = n }
}

// levelsOf writes an order's executions as "price×qty ...".
func levelsOf(o domain.Order) string {
	var parts []string
	for _, e := range o.Executions {
		parts = append(parts, e.Price.String()+"×"+strconv.FormatInt(e.Quantity, 10))
	}
	return strings.Join(parts, " ")
}

func TestMarketOrderWalksTheDepth(t *testing.T) {
	svc := newService(t, withDepth(10))
	ctx := context.Background()
	u := trader(t, svc, "depth@example.com")
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("70000"), Bid: limit("69900"), Ask: limit("70100")}))

	// 25 shares: 10 at the ask, 10 a tick up, 5 two ticks up, each level
	// its own execution with its own commission (rounded down).
	res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 25})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Order
	if o.Status != domain.Filled || levelsOf(o) != "70100×10 70200×10 70300×5" || !o.Commission.Equal(d("262")) ||
		!o.AverageFillPrice.Decimal.Equal(d("70180")) || !o.ReservedAmount.IsZero() {
		t.Fatalf("market buy walking the depth: %s, %+v", levelsOf(o), o)
	}
	b := must(svc.Accounts.Balance(ctx, u))
	if !b.Account.Cash.Equal(d("8245238")) || !b.Account.ReservedCash.IsZero() {
		t.Fatalf("balance after the walk: cash %s reserved %s", b.Account.Cash, b.Account.ReservedCash)
	}
	// Cash is checked at what the walk costs, not at the last price: with
	// 8,245,238 won, 117 shares at 70,000 (8,190,000) would fit, but the
	// walk to 71,200 does not.
	before := must(svc.Accounts.Balance(ctx, u))
	_, err = svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 117})
	if !domain.IsCode(err, domain.CodeInsufficientFunds) || !strings.Contains(err.Error(), "70100 to 71200") {
		t.Fatalf("a walk beyond the cash: %v", err)
	}
	if after := must(svc.Accounts.Balance(ctx, u)); !after.Account.Cash.Equal(before.Account.Cash) || !after.Account.ReservedCash.IsZero() {
		t.Fatalf("a refused order changed the balance: %+v", after.Account)
	}
	// The sell takes the bid and walks down.
	res, err = svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Sell, Type: domain.MarketOrder, Quantity: 12})
	if err != nil || levelsOf(res.Order) != "69900×10 69800×2" {
		t.Fatalf("market sell: %s %v", levelsOf(res.Order), err)
	}
	got := must(svc.Orders.Get(ctx, u.UserID, res.Order.ID))
	if levelsOf(got) != "69900×10 69800×2" {
		t.Fatalf("stored executions: %s", levelsOf(got))
	}

	assertAudit(t, svc)
}

func TestMarketOrderPastTheBand(t *testing.T) {
	svc := newService(t, withDepth(10))
	ctx := context.Background()
	u := trader(t, svc, "band@example.com")
	// Near the top of the band (49,000–91,000): the ask is 90,900 and two
	// ticks of 10 shares are left below the limit.
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("90800")}))
	place := func(typ domain.OrderType, tif domain.TimeInForce, qty int64, lim string) (service.PlaceResult, error) {
		req := domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: typ, TimeInForce: tif, Quantity: qty}
		if lim != "" {
			req.LimitPrice = limit(lim)
		}
		return svc.Orders.Place(ctx, u, req)
	}

	_, err := place(domain.MarketOrder, "", 25, "")
	if !domain.IsCode(err, domain.CodeInvalid) || !strings.Contains(err.Error(), "at most 20 shares fit") {
		t.Fatalf("market order past the band: %v", err)
	}
	if orders, _ := must2(svc.Orders.List(ctx, u, service.OrderQuery{})); len(orders) != 0 {
		t.Fatalf("a refused market order was stored: %+v", orders)
	}

	// FOK: all or nothing, recorded REJECTED with its reason.
	res, err := place(domain.MarketOrder, domain.FOK, 25, "")
	if !domain.IsCode(err, domain.CodeInvalid) || res.Order.Status != domain.Rejected || !strings.Contains(res.Order.Reason, "only 20 of 25") {
		t.Fatalf("FOK past the band: %+v %v", res.Order, err)
	}
	if got := must(svc.Orders.Get(ctx, u.UserID, res.Order.ID)); got.Status != domain.Rejected || got.FilledQuantity != 0 || !got.ReservedAmount.IsZero() {
		t.Fatalf("stored FOK: %+v", got)
	}
	if b := must(svc.Accounts.Balance(ctx, u)); !b.Account.Cash.Equal(d("10000000")) || !b.Account.ReservedCash.IsZero() {
		t.Fatalf("a rejected FOK moved money: %+v", b.Account)
	}

	// IOC: what fits, then CANCELLED for the rest, executions kept.
	res, err = place(domain.MarketOrder, domain.IOC, 25, "")
	if err != nil || res.Order.Status != domain.Cancelled || res.Order.FilledQuantity != 20 || levelsOf(res.Order) != "90900×10 91000×10" ||
		!strings.Contains(res.Order.Reason, "20 of 25") {
		t.Fatalf("IOC past the band: %s %+v %v", levelsOf(res.Order), res.Order, err)
	}
	assertAudit(t, svc)
}

func TestImmediateLimitOrders(t *testing.T) {
	svc := newService(t, withDepth(10))
	ctx := context.Background()
	u := trader(t, svc, "ioc@example.com")
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("70000"), Bid: limit("69900"), Ask: limit("70100")}))
	place := func(side domain.Side, tif domain.TimeInForce, qty int64, lim string) (domain.Order, error) {
		res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: side, Type: domain.LimitOrder, TimeInForce: tif, Quantity: qty, LimitPrice: limit(lim)})
		return res.Order, err
	}

	// IOC takes the quote up to its limit and cancels the rest.
	o, err := place(domain.Buy, domain.IOC, 30, "70200")
	if err != nil || o.Status != domain.Cancelled || levelsOf(o) != "70100×10 70200×10" || o.Remaining() != 10 || !o.ReservedAmount.IsZero() {
		t.Fatalf("IOC buy: %s %+v %v", levelsOf(o), o, err)
	}
	// An IOC limit below the ask trades nothing and rests nowhere.
	o, err = place(domain.Buy, domain.IOC, 5, "70000")
	if err != nil || o.Status != domain.Cancelled || o.FilledQuantity != 0 || len(o.Executions) != 0 {
		t.Fatalf("IOC buy under the ask: %+v %v", o, err)
	}
	// FOK fills whole when the walk stays within its limit...
	o, err = place(domain.Buy, domain.FOK, 25, "70300")
	if err != nil || o.Status != domain.Filled || levelsOf(o) != "70100×10 70200×10 70300×5" {
		t.Fatalf("FOK buy: %s %+v %v", levelsOf(o), o, err)
	}
	// ...and is rejected whole when it does not.
	o, err = place(domain.Sell, domain.FOK, 25, "69900")
	if !domain.IsCode(err, domain.CodeInvalid) || o.Status != domain.Rejected || o.FilledQuantity != 0 {
		t.Fatalf("FOK sell past its limit: %+v %v", o, err)
	}
	o, err = place(domain.Sell, domain.IOC, 25, "69800")
	if err != nil || o.Status != domain.Cancelled || levelsOf(o) != "69900×10 69800×10" {
		t.Fatalf("IOC sell: %s %+v %v", levelsOf(o), o, err)
	}
	b := must(svc.Accounts.Balance(ctx, u))
	if !b.Account.ReservedCash.IsZero() {
		t.Fatalf("immediate orders left %s reserved", b.Account.ReservedCash)
	}
	if open, _ := must2(svc.Orders.List(ctx, u, service.OrderQuery{Status: string(domain.Pending)})); len(open) != 0 {
		t.Fatalf("an immediate order rests: %+v", open)
	}
	assertAudit(t, svc)
}

func TestStopOrders(t *testing.T) {
	svc := newService(t, withDepth(10))
	ctx := context.Background()
	u := trader(t, svc, "stop@example.com")
	must(svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 10}))
	stop := func(side domain.Side, typ domain.OrderType, qty int64, stopPrice, lim string) (domain.Order, error) {
		req := domain.OrderRequest{StockCode: "005930", Side: side, Type: typ, Quantity: qty, StopPrice: limit(stopPrice)}
		if lim != "" {
			req.LimitPrice = limit(lim)
		}
		res, err := svc.Orders.Place(ctx, u, req)
		return res.Order, err
	}
	cashBefore := must(svc.Accounts.Balance(ctx, u)).Account.Cash

	// A STOP buy waits and holds cash at the top of the band (91,000):
	// 5 × 91,000 + 68 commission.
	buyStop, err := stop(domain.Buy, domain.StopOrder, 5, "71000", "")
	if err != nil || buyStop.Status != domain.Pending || !buyStop.ReservedAmount.Equal(d("455068")) || !buyStop.TriggeredAt.IsZero() {
		t.Fatalf("STOP buy: %+v %v", buyStop, err)
	}
	sellStop, err := stop(domain.Sell, domain.StopLimitOrder, 5, "69000", "68900")
	if err != nil || sellStop.Status != domain.Pending {
		t.Fatalf("STOP_LIMIT sell: %+v %v", sellStop, err)
	}
	// A stop already reached is refused: it would trigger at once.
	if _, err := stop(domain.Buy, domain.StopOrder, 1, "70000", ""); !domain.IsCode(err, domain.CodeInvalid) || !strings.Contains(err.Error(), "stop_price") {
		t.Fatalf("a BUY stop at the last trade: %v", err)
	}

	// Short of the stop price nothing triggers.
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("70900")}))
	if o := must(svc.Orders.Get(ctx, u.UserID, buyStop.ID)); o.Status != domain.Pending || !o.TriggeredAt.IsZero() {
		t.Fatalf("a trade under the stop triggered it: %+v", o)
	}
	// At the stop price the STOP buy executes at the ask the trade left.
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("71000"), Bid: limit("70900"), Ask: limit("71100")}))
	o := must(svc.Orders.Get(ctx, u.UserID, buyStop.ID))
	if o.Status != domain.Filled || o.TriggeredAt.IsZero() || levelsOf(o) != "71100×5" || !o.ReservedAmount.IsZero() {
		t.Fatalf("triggered STOP buy: %s %+v", levelsOf(o), o)
	}
	// 5 × 71,100 = 355,500 + 53 commission, not the 455,068 held.
	if cash := must(svc.Accounts.Balance(ctx, u)).Account.Cash; !cashBefore.Sub(cash).Equal(d("355553")) {
		t.Fatalf("the STOP buy cost %s", cashBefore.Sub(cash))
	}

	// Through the stop price, the STOP_LIMIT sell moves to the limit book
	// and the same trade (3 shares) fills it at its limit.
	three := int64(3)
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("69000"), Volume: &three}))
	o = must(svc.Orders.Get(ctx, u.UserID, sellStop.ID))
	if o.Status != domain.PartiallyFilled || o.TriggeredAt.IsZero() || levelsOf(o) != "68900×3" {
		t.Fatalf("triggered STOP_LIMIT sell: %s %+v", levelsOf(o), o)
	}
	// A waiting stop is cancelled like a limit, and gives back its hold.
	waiting, err := stop(domain.Buy, domain.StopOrder, 2, "75000", "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := svc.Orders.Cancel(ctx, u.UserID, waiting.ID); err != nil || c.Status != domain.Cancelled {
		t.Fatalf("cancel a waiting stop: %+v %v", c, err)
	}
	if c, err := svc.Orders.Cancel(ctx, u.UserID, sellStop.ID); err != nil || c.Status != domain.Cancelled || c.FilledQuantity != 3 {
		t.Fatalf("cancel the triggered stop-limit: %+v %v", c, err)
	}
	b := must(svc.Accounts.Balance(ctx, u))
	if !b.Account.ReservedCash.IsZero() {
		t.Fatalf("%s still reserved", b.Account.ReservedCash)
	}
	assertAudit(t, svc)
}

func TestStopPastTheBandFillsWhatFits(t *testing.T) {
	svc := newService(t, withDepth(10))
	ctx := context.Background()
	u := trader(t, svc, "stopband@example.com")
	res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.StopOrder, Quantity: 25, StopPrice: limit("90800")})
	if err != nil {
		t.Fatal(err)
	}
	// The trade at 90,800 leaves an ask of 90,900: two ticks of 10 shares
	// fit under the band's 91,000, and the rest cannot be refused any
	// more, so it is cancelled.
	must(svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("90800")}))
	o := must(svc.Orders.Get(ctx, u.UserID, res.Order.ID))
	if o.Status != domain.Cancelled || levelsOf(o) != "90900×10 91000×10" || !strings.Contains(o.Reason, "20 of 25") {
		t.Fatalf("STOP past the band: %s %+v", levelsOf(o), o)
	}
	if b := must(svc.Accounts.Balance(ctx, u)); !b.Account.ReservedCash.IsZero() {
		t.Fatalf("%s still reserved", b.Account.ReservedCash)
	}
	assertAudit(t, svc)
}

func TestStopThatItsHoldNoLongerCoversIsCancelled(t *testing.T) {
	svc := newService(t, withDepth(10))
	ctx := context.Background()
	u := trader(t, svc, "stophold@example.com")
	res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.StopOrder, Quantity: 5, StopPrice: limit("71000")})
	if err != nil || !res.Order.ReservedAmount.Equal(d("455068")) {
		t.Fatalf("STOP buy: %+v %v", res.Order, err)
	}
	// Nearly all the free cash goes, and a new day's band reaches far
	// above the one the hold was sized for (91,000).
	b := must(svc.Accounts.Balance(ctx, u))
	must(svc.Accounts.Withdraw(ctx, u, b.Account.Available().Sub(d("1000"))))
	must(svc.Market.Upsert(ctx, service.StockInput{Code: "005930", PrevClose: limit("100000")}))
	// 5 × 120,100 is more than the hold and the 1,000 won left: the stop
	// is cancelled, not left to fail the trade's matching.
	if _, err := svc.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: d("120000")}); err != nil {
		t.Fatalf("the trade failed: %v", err)
	}
	o := must(svc.Orders.Get(ctx, u.UserID, res.Order.ID))
	if o.Status != domain.Cancelled || o.FilledQuantity != 0 || o.TriggeredAt.IsZero() || !strings.Contains(o.Reason, "could not execute") {
		t.Fatalf("stop past its hold: %+v", o)
	}
	if b := must(svc.Accounts.Balance(ctx, u)); !b.Account.ReservedCash.IsZero() || !b.Account.Available().Equal(d("456068")) {
		t.Fatalf("balance: %+v", b.Account)
	}
	assertAudit(t, svc)
}

func TestClientOrderIDOfAStopOrder(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u := trader(t, svc, "stopretry@example.com")
	req := domain.OrderRequest{ClientOrderID: "s-1", StockCode: "005930", Side: domain.Buy, Type: domain.StopOrder, Quantity: 1, StopPrice: limit("71000")}
	first := must(svc.Orders.Place(ctx, u, req))
	again := must(svc.Orders.Place(ctx, u, req))
	if !first.Created || again.Created || again.Order.ID != first.Order.ID {
		t.Fatalf("retry: %+v / %+v", first, again)
	}
	req.StopPrice = limit("72000")
	if _, err := svc.Orders.Place(ctx, u, req); !domain.IsCode(err, domain.CodeConflict) {
		t.Fatalf("the same client_order_id for another stop price: %v", err)
	}
}
