package servicetest

import (
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
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
