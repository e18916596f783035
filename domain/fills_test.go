package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func levels(ls []Level) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(l.Price.String() + "×" + decimal.NewFromInt(l.Quantity).String())
	}
	return b.String()
}

func TestQuoteFor(t *testing.T) {
	band := PriceBand(d("70000"))
	withQuote := Trade{Price: d("70000"), Bid: d("69900"), Ask: d("70100"), BidSize: 300, AskSize: 500}
	bare := Trade{Price: d("70000")}
	for _, c := range []struct {
		side  Side
		last  Trade
		price string
		depth int64
	}{
		{Buy, withQuote, "70100", 500},
		{Sell, withQuote, "69900", 300},
		{Buy, bare, "70100", 1000},
		{Sell, bare, "69900", 1000},
		// At the band's edge the quote stays inside it.
		{Buy, Trade{Price: band.Upper}, band.Upper.String(), 1000},
	} {
		q := QuoteFor(c.side, c.last, band, 1000)
		if !q.Price.Equal(d(c.price)) || q.Depth != c.depth {
			t.Errorf("%s on %+v: %+v, want %s × %d", c.side, c.last, q, c.price, c.depth)
		}
	}
}

func TestMarketLevels(t *testing.T) {
	band := PriceBand(d("70000")) // 49000–91000
	for _, c := range []struct {
		name string
		side Side
		qty  int64
		q    Quote
		want string
		err  string
	}{
		{"inside the quote", Buy, 300, Quote{d("70100"), 500}, "70100×300", ""},
		{"one tick per depth", Buy, 1200, Quote{d("70100"), 500}, "70100×500 70200×500 70300×200", ""},
		{"sell walks down", Sell, 250, Quote{d("69900"), 100}, "69900×100 69800×100 69700×50", ""},
		// Across a tick boundary the step changes: 50,000 is a 100-won
		// tick, 49,950 a 50-won one.
		{"sell across a tick boundary", Sell, 3, Quote{d("50100"), 1}, "50100×1 50000×1 49950×1", ""},
		{"past the band", Buy, 10, Quote{d("90900"), 3}, "", "at most 6 shares fit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := MarketLevels(c.side, c.qty, c.q, band)
			if c.err != "" {
				if !IsCode(err, CodeInvalid) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || levels(got) != c.want {
				t.Fatalf("levels %s (%v), want %s", levels(got), err, c.want)
			}
		})
	}
	// A limit caps the walk: the rest does not fit.
	got, left := WalkBook(Buy, 1200, Quote{d("70100"), 500}, d("70200"))
	if levels(got) != "70100×500 70200×500" || left != 200 {
		t.Errorf("capped walk: %s, %d left", levels(got), left)
	}
	if cost := LevelsCost([]Level{{d("70100"), 500}, {d("70200"), 500}}, DefaultFees()); !cost.Equal(d("70160522")) {
		// 35,050,000 + 5,257 and 35,100,000 + 5,265 commission.
		t.Errorf("cost %s", cost)
	}
}

func TestAllocate(t *testing.T) {
	at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	o := func(id string, side Side, limit string, qty int64, age int) Order {
		x := limitOrder(side, qty, limit)
		x.ID, x.CreatedAt = id, at.Add(time.Duration(age)*time.Second)
		return x
	}
	orders := []Order{
		o("b-late-high", Buy, "70100", 30, 5),
		o("b-early", Buy, "70000", 50, 1),
		o("b-late", Buy, "70000", 50, 2),
		o("b-low", Buy, "69900", 10, 0), // does not cross
		o("s-low", Sell, "69900", 40, 3),
		o("s-high", Sell, "70100", 10, 0), // does not cross
	}
	trade := Trade{Code: "005930", Price: d("70000"), Volume: 100}
	got := Allocate(trade, orders, 100, decimal.NewFromInt(1), false)
	want := "b-late-high 30@70100, b-early 50@70000, b-late 20@70000, s-low 40@69900"
	if s := allocs(got); s != want {
		t.Fatalf("allocations %s, want %s", s, want)
	}
	// Half the volume, and the session's first trade fills at its price.
	got = Allocate(trade, orders, 100, d("0.5"), true)
	if s := allocs(got); s != "b-late-high 30@70000, b-early 20@70000, s-low 40@70000" {
		t.Fatalf("opening allocations %s", s)
	}
	if got := Allocate(trade, orders, 0, decimal.NewFromInt(1), false); len(got) != 0 {
		t.Fatalf("no volume filled %v", got)
	}
	// b-early was modified after b-late was placed (not a mere size
	// reduction): it queues behind it now, though it is older.
	orders[1].PriorityAt = at.Add(3 * time.Second)
	got = Allocate(trade, orders, 100, decimal.NewFromInt(1), false)
	if s := allocs(got); s != "b-late-high 30@70100, b-late 50@70000, b-early 20@70000, s-low 40@69900" {
		t.Fatalf("allocations after a modify %s", s)
	}
}

func allocs(as []Allocation) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, a.OrderID+" "+decimal.NewFromInt(a.Quantity).String()+"@"+a.Price.String())
	}
	return strings.Join(parts, ", ")
}
