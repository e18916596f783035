package storetest

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

func testOrders(f *fixture) {
	u := f.user("10000000")
	f.stock("005930", "70000")
	limit := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	limit.ClientOrderID = "c-1"
	market := f.marketOrder(u, "005930", domain.Sell, "70100", 3)
	gtc := f.limitOrder(u, "005930", domain.Sell, "71000", 1)
	gtc.TimeInForce, gtc.ExpiresAt = domain.GTC, time.Time{}
	f.createOrders(limit, market, gtc)

	for _, want := range []domain.Order{limit, market, gtc} {
		got, err := f.s.GetOrder(f.ctx, want.ID)
		f.must(err)
		f.same("GetOrder "+string(want.Type), got, want)
	}
	got, err := f.s.GetOrderByClientID(f.ctx, u.ID, "c-1")
	f.must(err)
	f.same("GetOrderByClientID", got, limit)

	_, err = f.s.GetOrder(f.ctx, f.id())
	f.wantErr("GetOrder(unknown)", err, domain.ErrNotFound)
	_, err = f.s.GetOrderByClientID(f.ctx, u.ID, "c-unknown")
	f.wantErr("GetOrderByClientID(unknown)", err, domain.ErrNotFound)

	f.tx(func(tx ports.Tx) error {
		locked, err := tx.LockOrder(f.ctx, limit.ID)
		if err != nil {
			return err
		}
		f.same("LockOrder", locked, limit)
		// Checks inside a transaction report with Errorf: Fatal would end
		// the goroutine with the transaction still open.
		if _, err = tx.LockOrder(f.ctx, f.id()); !errors.Is(err, domain.ErrNotFound) {
			f.Errorf("LockOrder(unknown) = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testClientOrderID(f *fixture) {
	u := f.user("10000000")
	other := f.user("10000000")
	f.stock("005930", "70000")
	a := f.marketOrder(u, "005930", domain.Buy, "70000", 1)
	a.ClientOrderID = "same"
	f.createOrders(a)

	b := f.marketOrder(u, "005930", domain.Buy, "70000", 1)
	b.ClientOrderID = "same"
	err := f.txErr(func(tx ports.Tx) error { return tx.CreateOrder(f.ctx, b) })
	f.wantErr("CreateOrder(same client id)", err, domain.ErrDuplicate)

	// The key is per user, and orders without one never collide.
	c := f.marketOrder(other, "005930", domain.Buy, "70000", 1)
	c.ClientOrderID = "same"
	d := f.marketOrder(u, "005930", domain.Buy, "70000", 1)
	e := f.marketOrder(u, "005930", domain.Buy, "70000", 1)
	f.createOrders(c, d, e)

	got, err := f.s.GetOrderByClientID(f.ctx, other.ID, "same")
	f.must(err)
	f.same("GetOrderByClientID(other user)", got, c)
	got, err = f.s.GetOrder(f.ctx, d.ID)
	f.must(err)
	if got.ClientOrderID != "" {
		f.Errorf("ClientOrderID = %q, want empty", got.ClientOrderID)
	}
}

func testUpdateOrder(f *fixture) {
	u := f.user("10000000")
	f.stock("005930", "70000")
	o := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	f.createOrders(o)

	filled := o
	filled.Status = domain.Filled
	filled.FilledQuantity = 10
	filled.AverageFillPrice = decimal.NewNullDecimal(dec("69900"))
	filled.ReservedAmount = decimal.Zero
	filled.Commission = dec("104")
	filled.Tax = dec("0")
	filled.UpdatedAt = f.tick()
	cancelled := o
	cancelled.Status = domain.Cancelled
	cancelled.Reason = "cancelled by the user"
	cancelled.ReservedAmount = decimal.Zero

	var first, second bool
	f.tx(func(tx ports.Tx) error {
		var err error
		first, err = tx.UpdateOrder(f.ctx, filled, domain.Pending)
		return err
	})
	f.tx(func(tx ports.Tx) error {
		var err error
		second, err = tx.UpdateOrder(f.ctx, cancelled, domain.Pending)
		return err
	})
	if !first || second {
		f.Fatalf("UpdateOrder from PENDING = %v then %v, want true then false", first, second)
	}
	got, err := f.s.GetOrder(f.ctx, o.ID)
	f.must(err)
	f.same("order after fill", got, filled)

	// An unknown order changes nothing and is no error.
	var ok bool
	f.tx(func(tx ports.Tx) error {
		ghost := o
		ghost.ID = f.id()
		var err error
		ok, err = tx.UpdateOrder(f.ctx, ghost, domain.Pending)
		return err
	})
	if ok {
		f.Error("UpdateOrder(unknown) reported a change")
	}
}

func testListOrders(f *fixture) {
	u := f.user("100000000")
	other := f.user("100000000")
	f.stock("005930", "70000")
	f.stock("000660", "180000")
	var all []domain.Order // oldest first
	add := func(o domain.Order) {
		f.createOrders(o)
		all = append(all, o)
	}
	add(f.limitOrder(u, "005930", domain.Buy, "69000", 1))
	add(f.marketOrder(u, "005930", domain.Buy, "70000", 2))
	add(f.limitOrder(u, "000660", domain.Sell, "190000", 3))
	f.createOrders(f.limitOrder(other, "005930", domain.Buy, "69000", 1))
	add(f.marketOrder(u, "000660", domain.Sell, "180000", 4))
	add(f.limitOrder(u, "005930", domain.Sell, "71000", 5))
	add(f.marketOrder(u, "005930", domain.Buy, "70000", 6))
	add(f.limitOrder(u, "005930", domain.Buy, "68000", 7))
	newest := slices.Clone(all)
	slices.Reverse(newest)

	list, err := f.s.ListOrders(f.ctx, ports.OrderFilter{AccountID: u.ID, Limit: 100})
	f.must(err)
	f.same("ListOrders(all)", orderIDs(list), orderIDs(newest))
	f.same("ListOrders rows", list, newest)

	// Pages of three, newest first, each continuing below the last id.
	var paged []domain.Order
	cursor := ""
	for page := 0; ; page++ {
		list, err := f.s.ListOrders(f.ctx, ports.OrderFilter{AccountID: u.ID, Before: cursor, Limit: 3})
		f.must(err)
		if len(list) > 3 {
			f.Fatalf("page of %d orders, limit 3", len(list))
		}
		paged = append(paged, list...)
		if len(list) < 3 {
			break
		}
		cursor = list[len(list)-1].ID
		if page > 5 {
			f.Fatal("pagination does not end")
		}
	}
	f.same("ListOrders pages", orderIDs(paged), orderIDs(newest))

	filter := func(keep func(domain.Order) bool) []string {
		var ids []string
		for _, o := range newest {
			if keep(o) {
				ids = append(ids, o.ID)
			}
		}
		return ids
	}
	cases := []struct {
		name string
		f    ports.OrderFilter
		keep func(domain.Order) bool
	}{
		{"status", ports.OrderFilter{Status: domain.Pending}, func(o domain.Order) bool { return o.Status == domain.Pending }},
		{"stock", ports.OrderFilter{StockCode: "000660"}, func(o domain.Order) bool { return o.StockCode == "000660" }},
		{"side", ports.OrderFilter{Side: domain.Sell}, func(o domain.Order) bool { return o.Side == domain.Sell }},
		{"all three", ports.OrderFilter{Status: domain.Pending, StockCode: "005930", Side: domain.Buy}, func(o domain.Order) bool {
			return o.Status == domain.Pending && o.StockCode == "005930" && o.Side == domain.Buy
		}},
	}
	for _, c := range cases {
		c.f.AccountID, c.f.Limit = u.ID, 100
		list, err := f.s.ListOrders(f.ctx, c.f)
		f.must(err)
		f.same("ListOrders("+c.name+")", orderIDs(list), filter(c.keep))
	}

	// Filters and the cursor together.
	pending := filter(func(o domain.Order) bool { return o.Status == domain.Pending })
	list, err = f.s.ListOrders(f.ctx, ports.OrderFilter{AccountID: u.ID, Status: domain.Pending, Before: pending[0], Limit: 2})
	f.must(err)
	f.same("ListOrders(status, page 2)", orderIDs(list), pending[1:3])
}

func testExecutions(f *fixture) {
	u := f.user("100000000")
	other := f.user("100000000")
	f.stock("005930", "70000")
	o1 := f.limitOrder(u, "005930", domain.Buy, "70000", 10)
	o2 := f.marketOrder(u, "005930", domain.Sell, "70000", 5)
	o3 := f.marketOrder(other, "005930", domain.Buy, "70000", 1)
	f.createOrders(o1, o2, o3)
	exec := func(o domain.Order, qty int64, price string) domain.Execution {
		p := dec(price)
		q := decimal.NewFromInt(qty)
		return domain.Execution{
			ID: f.id(), OrderID: o.ID, AccountID: o.AccountID, UserID: o.UserID, StockCode: o.StockCode, Side: o.Side,
			Quantity: qty, Price: p, Amount: p.Mul(q), Commission: dec("10"), Tax: dec("0"),
			RealizedPnL: dec("-12.5"), ExecutedAt: f.tick(),
		}
	}
	e1 := exec(o1, 4, "70000")
	e2 := exec(o2, 5, "70100")
	e3 := exec(o1, 6, "69900")
	e4 := exec(o3, 1, "70000")
	f.tx(func(tx ports.Tx) error {
		for _, e := range []domain.Execution{e1, e2, e3, e4} {
			if err := tx.CreateExecution(f.ctx, e); err != nil {
				return err
			}
		}
		return nil
	})

	got, err := f.s.ListExecutions(f.ctx, []string{o1.ID, o2.ID})
	f.must(err)
	f.same("ListExecutions(o1, o2)", got, []domain.Execution{e1, e2, e3})
	got, err = f.s.ListExecutions(f.ctx, []string{o1.ID})
	f.must(err)
	f.same("ListExecutions(o1)", got, []domain.Execution{e1, e3})
	got, err = f.s.ListExecutions(f.ctx, nil)
	f.must(err)
	if len(got) != 0 {
		f.Errorf("ListExecutions(none) = %d executions", len(got))
	}

	var paged []domain.Execution
	after := ""
	for page := 0; ; page++ {
		list, err := f.s.ListAccountExecutions(f.ctx, u.ID, after, 2)
		f.must(err)
		if len(list) == 0 {
			break
		}
		paged = append(paged, list...)
		after = list[len(list)-1].ID
		if page > 5 {
			f.Fatal("pagination does not end")
		}
	}
	f.same("ListUserExecutions pages", paged, []domain.Execution{e1, e2, e3})
}

func testCrossingOrders(f *fixture) {
	u := f.user("1000000000")
	f.stock("005930", "70000")
	f.stock("000660", "70000")
	buy := func(price string) domain.Order { return f.limitOrder(u, "005930", domain.Buy, price, 1) }
	sell := func(price string) domain.Order { return f.limitOrder(u, "005930", domain.Sell, price, 1) }

	b70500old := buy("70500")
	b70000 := buy("70000")
	b70500new := buy("70500")
	b71000 := buy("71000")
	bBelow := buy("69900")
	s69000 := sell("69000")
	s70000 := sell("70000")
	s68000 := sell("68000")
	sAbove := sell("70100")
	// Orders that must never come back: final ones, market orders and
	// another listing's.
	filled := buy("72000")
	filled.Status, filled.FilledQuantity = domain.Filled, 1
	cancelled := sell("60000")
	cancelled.Status = domain.Cancelled
	market := f.marketOrder(u, "005930", domain.Buy, "70000", 1)
	otherStock := f.limitOrder(u, "000660", domain.Buy, "80000", 1)
	f.createOrders(b70500old, b70000, b70500new, b71000, bBelow, s69000, s70000, s68000, sAbove,
		filled, cancelled, market, otherStock)

	got, err := f.s.ListCrossingOrders(f.ctx, "005930", dec("70000"), 100)
	f.must(err)
	var buys, sells []string
	for _, o := range got {
		if o.Status != domain.Pending || o.StockCode != "005930" || o.Type != domain.LimitOrder {
			f.Errorf("ListCrossingOrders returned %s %s %s", o.Status, o.StockCode, o.Type)
		}
		if o.Side == domain.Buy {
			buys = append(buys, o.ID)
		} else {
			sells = append(sells, o.ID)
		}
	}
	// Within a side: best limit first, then oldest.
	f.same("crossing buys", buys, orderIDs([]domain.Order{b71000, b70500old, b70500new, b70000}))
	f.same("crossing sells", sells, orderIDs([]domain.Order{s68000, s69000, s70000}))

	// The limit caps the answer, and every order returned crosses.
	got, err = f.s.ListCrossingOrders(f.ctx, "005930", dec("70000"), 3)
	f.must(err)
	if len(got) != 3 {
		f.Fatalf("ListCrossingOrders(limit 3) = %d orders", len(got))
	}
	for _, o := range got {
		if !domain.Crosses(o.Side, o.LimitPrice.Decimal, dec("70000")) {
			f.Errorf("order %s %s does not cross 70000", o.Side, o.LimitPrice.Decimal)
		}
	}

	// Another listing: its one resting buy (80000) crosses a tick at or
	// below its limit only.
	got, err = f.s.ListCrossingOrders(f.ctx, "000660", dec("90000"), 100)
	f.must(err)
	if len(got) != 0 {
		f.Errorf("ListCrossingOrders(000660 at 90000) = %d orders, want 0", len(got))
	}
	got, err = f.s.ListCrossingOrders(f.ctx, "000660", dec("80000"), 100)
	f.must(err)
	f.same("ListCrossingOrders(000660 at 80000)", orderIDs(got), []string{otherStock.ID})
}

func testExpiringOrders(f *fixture) {
	u := f.user("1000000000")
	f.stock("005930", "70000")
	base := f.now.Add(24 * time.Hour)
	at := func(o domain.Order, t time.Time) domain.Order { o.ExpiresAt = t; return o }
	o1 := at(f.limitOrder(u, "005930", domain.Buy, "70000", 1), base.Add(2*time.Minute))
	o2 := at(f.limitOrder(u, "005930", domain.Buy, "70000", 1), base)
	o3 := at(f.limitOrder(u, "005930", domain.Buy, "70000", 1), base.Add(time.Hour))
	gtc := at(f.limitOrder(u, "005930", domain.Buy, "70000", 1), time.Time{})
	gtc.TimeInForce = domain.GTC
	done := at(f.limitOrder(u, "005930", domain.Buy, "70000", 1), base.Add(-time.Hour))
	done.Status = domain.Cancelled
	f.createOrders(o1, o2, o3, gtc, done)

	got, err := f.s.ListExpiringOrders(f.ctx, base.Add(2*time.Minute), 100)
	f.must(err)
	f.same("ListExpiringOrders", orderIDs(got), []string{o2.ID, o1.ID})
	got, err = f.s.ListExpiringOrders(f.ctx, base.Add(48*time.Hour), 2)
	f.must(err)
	f.same("ListExpiringOrders(limit 2)", orderIDs(got), []string{o2.ID, o1.ID})
	got, err = f.s.ListExpiringOrders(f.ctx, base.Add(-time.Second), 100)
	f.must(err)
	if len(got) != 0 {
		f.Errorf("ListExpiringOrders(before all) = %d orders", len(got))
	}
}

func testOpenOrders(f *fixture) {
	u := f.user("1000000000")
	other := f.user("1000000000")
	f.stock("005930", "70000")
	open1 := f.limitOrder(u, "005930", domain.Buy, "70000", 1)
	open2 := f.limitOrder(u, "005930", domain.Sell, "71000", 1)
	closed := f.limitOrder(u, "005930", domain.Buy, "70000", 1)
	closed.Status = domain.Expired
	market := f.marketOrder(u, "005930", domain.Buy, "70000", 1)
	theirs := f.limitOrder(other, "005930", domain.Buy, "70000", 1)
	f.createOrders(open1, closed, market, open2, theirs)

	got, err := f.s.ListOpenOrders(f.ctx, u.ID)
	f.must(err)
	slices.SortFunc(got, func(a, b domain.Order) int { return strings.Compare(a.ID, b.ID) })
	f.same("ListOpenOrders", got, []domain.Order{open1, open2})
}
