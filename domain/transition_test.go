package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var t0 = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)

// book is an account with 1,000,000 won and a holding of 10 shares of
// 005930 at an average of 60,000, before any order reserved anything.
func book() (Account, Holding) {
	return Account{ID: "u", UserID: "u", Cash: d("1000000"), ReservedCash: decimal.Zero, LedgerSeq: 4},
		Holding{AccountID: "u", StockCode: "005930", Quantity: 10, AveragePrice: d("60000")}
}

func limitOrder(side Side, qty int64, limit string) Order {
	return Order{
		ID: "o", UserID: "u", StockCode: "005930", Side: side, Type: LimitOrder, TimeInForce: GTC,
		Quantity: qty, LimitPrice: decimal.NewNullDecimal(d(limit)), Status: Pending,
		ReservedAmount: decimal.Zero, Commission: decimal.Zero, Tax: decimal.Zero,
	}
}

// resting places o: it reserves at its limit price.
func resting(t *testing.T, o Order) Change {
	t.Helper()
	a, h := book()
	c, err := o.Reserve(a, h, o.LimitPrice.Decimal, DefaultFees())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReserve(t *testing.T) {
	a, h := book()
	for _, c := range []struct {
		name     string
		o        Order
		price    string
		reserved string // cash reserved after, for buys
		shares   int64  // shares reserved after, for sells
		err      Code
	}{
		{name: "buy at the limit", o: limitOrder(Buy, 10, "70000"), price: "70000", reserved: "700105"},
		{name: "buy at the execution price", o: limitOrder(Buy, 10, "70000"), price: "69000", reserved: "690103"},
		{name: "buy beyond cash", o: limitOrder(Buy, 15, "70000"), price: "70000", err: CodeInsufficientFunds},
		{name: "sell held shares", o: limitOrder(Sell, 4, "70000"), price: "70000", shares: 4},
		{name: "sell more than held", o: limitOrder(Sell, 11, "70000"), price: "70000", err: CodeInsufficientStock},
		{name: "sell unheld listing", o: func() Order { o := limitOrder(Sell, 1, "70000"); o.StockCode = "000660"; return o }(), price: "70000", err: CodeInsufficientStock},
	} {
		t.Run(c.name, func(t *testing.T) {
			hh := h
			if c.o.StockCode != h.StockCode {
				hh = Holding{AccountID: "u", StockCode: c.o.StockCode, AveragePrice: decimal.Zero}
			}
			ch, err := c.o.Reserve(a, hh, d(c.price), DefaultFees())
			if c.err != "" {
				if ErrorCode(err) != c.err {
					t.Fatalf("err %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.o.Side == Buy && (!ch.Account.ReservedCash.Equal(d(c.reserved)) || !ch.Order.ReservedAmount.Equal(d(c.reserved))) {
				t.Fatalf("reserved %s on the account, %s on the order, want %s", ch.Account.ReservedCash, ch.Order.ReservedAmount, c.reserved)
			}
			if c.o.Side == Sell && ch.Holding.ReservedQuantity != c.shares {
				t.Fatalf("reserved %d shares, want %d", ch.Holding.ReservedQuantity, c.shares)
			}
		})
	}
	if a2, h2 := book(); !reflect.DeepEqual(a, a2) || !reflect.DeepEqual(h, h2) {
		t.Fatal("Reserve changed its inputs")
	}
}

func TestFill(t *testing.T) {
	for _, c := range []struct {
		name  string
		order func(t *testing.T) Change // the order as it rests, with the book it reserved from
		qty   int64
		price string

		status       OrderStatus
		filled       int64
		avgFill      string
		cash         string
		reservedCash string
		reservedAmt  string
		holding      int64
		reservedQty  int64
		avgPrice     string
		commission   string
		tax          string
		realized     string
	}{
		{
			// 10 × 69,900 = 699,000 + commission 104 = 699,104 paid; the
			// reservation at the limit (700,105) is released in full.
			name: "buy fills at a better price", order: func(t *testing.T) Change { return resting(t, limitOrder(Buy, 10, "70000")) },
			qty: 10, price: "69900",
			status: Filled, filled: 10, avgFill: "69900", cash: "300896", reservedCash: "0", reservedAmt: "0",
			holding: 20, avgPrice: "64950", commission: "104", tax: "0",
		},
		{
			// 4 of 10 at 70,000: 280,042 paid; the 6 left keep
			// 6 × 70,000 + 63 = 420,063 reserved.
			name: "buy fills in part", order: func(t *testing.T) Change { return resting(t, limitOrder(Buy, 10, "70000")) },
			qty: 4, price: "70000",
			status: PartiallyFilled, filled: 4, avgFill: "70000", cash: "719958", reservedCash: "420063", reservedAmt: "420063",
			holding: 14, avgPrice: "62857.1429", commission: "42", tax: "0",
		},
		{
			// 4 × 70,000 = 280,000 − commission 42 − tax 560; P&L
			// (70,000 − 60,000) × 4 − 602 = 39,398.
			name: "sell fills in full", order: func(t *testing.T) Change { return resting(t, limitOrder(Sell, 4, "70000")) },
			qty: 4, price: "70000",
			status: Filled, filled: 4, avgFill: "70000", cash: "1279398", reservedCash: "0", reservedAmt: "0",
			holding: 6, reservedQty: 0, avgPrice: "60000", commission: "42", tax: "560", realized: "39398",
		},
		{
			name: "sell fills in part", order: func(t *testing.T) Change { return resting(t, limitOrder(Sell, 10, "70000")) },
			qty: 3, price: "71000",
			status: PartiallyFilled, filled: 3, avgFill: "71000", cash: "1212543", reservedCash: "0", reservedAmt: "0",
			holding: 7, reservedQty: 7, avgPrice: "60000", commission: "31", tax: "426", realized: "32543",
		},
		{
			// The second fill of 6 at 69,000 after 4 at 70,000: average
			// (280,000 + 414,000) / 10 = 69,400.
			name: "second fill completes a partial one", order: func(t *testing.T) Change {
				c := resting(t, limitOrder(Buy, 10, "70000"))
				c, err := c.Order.Fill(c.Account, c.Holding, 4, d("70000"), DefaultFees(), t0)
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			qty: 6, price: "69000",
			status: Filled, filled: 10, avgFill: "69400", cash: "305896", reservedCash: "0", reservedAmt: "0",
			holding: 20, avgPrice: "64700", commission: "104", tax: "0",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.order(t)
			snapshot := before
			ch, err := before.Order.Fill(before.Account, before.Holding, c.qty, d(c.price), DefaultFees(), t0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, snapshot) {
				t.Fatal("Fill changed its inputs")
			}
			o, a, h := ch.Order, ch.Account, ch.Holding
			check := func(what string, got decimal.Decimal, want string) {
				t.Helper()
				if want == "" {
					want = "0"
				}
				if !got.Equal(d(want)) {
					t.Errorf("%s = %s, want %s", what, got, want)
				}
			}
			if o.Status != c.status || o.FilledQuantity != c.filled || o.Remaining() != o.Quantity-c.filled {
				t.Errorf("order %s filled %d, want %s filled %d", o.Status, o.FilledQuantity, c.status, c.filled)
			}
			check("average fill price", o.AverageFillPrice.Decimal, c.avgFill)
			check("cash", a.Cash, c.cash)
			check("reserved cash", a.ReservedCash, c.reservedCash)
			check("order reservation", o.ReservedAmount, c.reservedAmt)
			check("order commission", o.Commission, c.commission)
			check("order tax", o.Tax, c.tax)
			check("average price", h.AveragePrice, c.avgPrice)
			check("realized P&L", ch.Execution.RealizedPnL, c.realized)
			if h.Quantity != c.holding || h.ReservedQuantity != c.reservedQty {
				t.Errorf("holding %d (reserved %d), want %d (reserved %d)", h.Quantity, h.ReservedQuantity, c.holding, c.reservedQty)
			}
			// The execution and its ledger row agree with the account.
			l, e := ch.Ledger, ch.Execution
			if e.Quantity != c.qty || !e.Price.Equal(d(c.price)) || l.Quantity != c.qty || l.OrderID != o.ID {
				t.Errorf("execution %+v, ledger %+v", e, l)
			}
			if l.Seq != before.Account.LedgerSeq+1 || a.LedgerSeq != l.Seq {
				t.Errorf("ledger seq %d, account seq %d, want %d", l.Seq, a.LedgerSeq, before.Account.LedgerSeq+1)
			}
			if !l.CashBalanceBefore.Equal(before.Account.Cash) || !l.CashBalanceAfter.Equal(a.Cash) {
				t.Errorf("ledger balance %s → %s, account %s → %s", l.CashBalanceBefore, l.CashBalanceAfter, before.Account.Cash, a.Cash)
			}
		})
	}
}

func TestFillRefuses(t *testing.T) {
	c := resting(t, limitOrder(Buy, 10, "70000"))
	filled, err := c.Order.Fill(c.Account, c.Holding, 10, d("70000"), DefaultFees(), t0)
	if err != nil {
		t.Fatal(err)
	}
	cancelled := c.Order
	cancelled.Status = Cancelled
	for _, x := range []struct {
		name  string
		o     Order
		qty   int64
		price string
		code  Code
		msg   string
	}{
		{"a filled order", filled.Order, 1, "70000", CodeConflict, "already FILLED"},
		{"a cancelled order", cancelled, 1, "70000", CodeConflict, "already CANCELLED"},
		{"more than remains", c.Order, 11, "70000", CodeInvalid, "10 remain"},
		{"nothing", c.Order, 0, "70000", CodeInvalid, "cannot fill 0 shares"},
		{"a zero price", c.Order, 1, "0", CodeInvalid, "at 0"},
	} {
		t.Run(x.name, func(t *testing.T) {
			_, err := x.o.Fill(c.Account, c.Holding, x.qty, d(x.price), DefaultFees(), t0)
			if ErrorCode(err) != x.code || !strings.Contains(err.Error(), x.msg) {
				t.Fatalf("err %v, want %s containing %q", err, x.code, x.msg)
			}
		})
	}
}

func TestClose(t *testing.T) {
	expiring := limitOrder(Buy, 10, "70000")
	expiring.TimeInForce, expiring.ExpiresAt = Day, t0.Add(time.Hour)
	partialSell := func(t *testing.T) Change {
		c := resting(t, limitOrder(Sell, 10, "70000"))
		c, err := c.Order.Fill(c.Account, c.Holding, 3, d("70000"), DefaultFees(), t0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, x := range []struct {
		name         string
		from         func(t *testing.T) Change
		status       OrderStatus
		at           time.Time
		code         Code
		reservedCash string
		reservedQty  int64
		filled       int64
	}{
		{name: "cancel a buy", from: func(t *testing.T) Change { return resting(t, limitOrder(Buy, 10, "70000")) }, status: Cancelled, at: t0, reservedCash: "0"},
		{name: "expire a DAY buy at its close", from: func(t *testing.T) Change { return resting(t, expiring) }, status: Expired, at: t0.Add(time.Hour), reservedCash: "0"},
		{name: "expire before the close", from: func(t *testing.T) Change { return resting(t, expiring) }, status: Expired, at: t0, code: CodeConflict},
		{name: "cancel a partly filled sell keeps its fill", from: partialSell, status: Cancelled, at: t0, reservedCash: "0", reservedQty: 0, filled: 3},
		{name: "reject", from: func(t *testing.T) Change { return resting(t, limitOrder(Buy, 1, "70000")) }, status: Rejected, at: t0, reservedCash: "0"},
		{name: "close as filled", from: func(t *testing.T) Change { return resting(t, limitOrder(Buy, 1, "70000")) }, status: Filled, at: t0, code: CodeInternal},
		{name: "cancel a filled order", from: func(t *testing.T) Change {
			c := resting(t, limitOrder(Buy, 1, "70000"))
			c, _ = c.Order.Fill(c.Account, c.Holding, 1, d("70000"), DefaultFees(), t0)
			return c
		}, status: Cancelled, at: t0, code: CodeConflict},
	} {
		t.Run(x.name, func(t *testing.T) {
			before := x.from(t)
			snapshot := before
			ch, err := before.Order.Close(before.Account, before.Holding, x.status, "because", x.at)
			if !reflect.DeepEqual(before, snapshot) {
				t.Fatal("Close changed its inputs")
			}
			if x.code != "" {
				if ErrorCode(err) != x.code {
					t.Fatalf("err %v, want %s", err, x.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Order.Status != x.status || ch.Order.Reason != "because" || !ch.Order.ReservedAmount.IsZero() || ch.Order.FilledQuantity != x.filled {
				t.Errorf("order after close: %+v", ch.Order)
			}
			if !ch.Account.ReservedCash.Equal(d(x.reservedCash)) || ch.Holding.ReservedQuantity != x.reservedQty {
				t.Errorf("reserved cash %s, shares %d; want %s, %d", ch.Account.ReservedCash, ch.Holding.ReservedQuantity, x.reservedCash, x.reservedQty)
			}
			if !ch.Account.Cash.Equal(before.Account.Cash) || ch.Holding.Quantity != before.Holding.Quantity {
				t.Errorf("a close moved money or shares")
			}
		})
	}
}

func TestModify(t *testing.T) {
	fees := DefaultFees()
	buy := func(t *testing.T) Change {
		o := limitOrder(Buy, 10, "70000")
		o.PriorityAt = t0
		return resting(t, o) // 700,105 reserved
	}
	partSell := func(t *testing.T) Change {
		o := limitOrder(Sell, 8, "70000")
		o.PriorityAt = t0
		c := resting(t, o)
		c, err := c.Order.Fill(c.Account, c.Holding, 3, d("70000"), fees, t0)
		if err != nil {
			t.Fatal(err)
		}
		return c // 3 of 8 filled, 5 shares reserved of 7 held
	}
	later := t0.Add(time.Minute)
	for _, x := range []struct {
		name     string
		from     func(t *testing.T) Change
		req      ModifyRequest
		code     Code
		msg      string
		reserved string // cash, for buys
		shares   int64  // reserved shares, for sells
		keeps    bool   // time priority kept
	}{
		{name: "smaller buy keeps its place", from: buy, req: ModifyRequest{Quantity: 4}, reserved: "280042", keeps: true},
		{name: "bigger buy queues anew", from: buy, req: ModifyRequest{Quantity: 12}, reserved: "840126"},
		{name: "new price queues anew", from: buy, req: ModifyRequest{LimitPrice: decimal.NewNullDecimal(d("69000"))}, reserved: "690103"},
		{name: "smaller at a new price queues anew", from: buy, req: ModifyRequest{Quantity: 5, LimitPrice: decimal.NewNullDecimal(d("69000"))}, reserved: "345051"},
		{name: "buy beyond cash", from: buy, req: ModifyRequest{Quantity: 15}, code: CodeInsufficientFunds},
		{name: "sell more of what is held", from: partSell, req: ModifyRequest{Quantity: 10}, shares: 7},
		{name: "sell more than held", from: partSell, req: ModifyRequest{Quantity: 11}, code: CodeInsufficientStock},
		{name: "below what filled", from: partSell, req: ModifyRequest{Quantity: 3}, code: CodeInvalid, msg: "more than the 3 shares already filled"},
		{name: "nothing", from: buy, req: ModifyRequest{Quantity: 10}, code: CodeInvalid, msg: "nothing to change"},
		{name: "a filled order", from: func(t *testing.T) Change {
			c := buy(t)
			c, _ = c.Order.Fill(c.Account, c.Holding, 10, d("70000"), fees, t0)
			return c
		}, req: ModifyRequest{Quantity: 5}, code: CodeConflict, msg: "already FILLED"},
	} {
		t.Run(x.name, func(t *testing.T) {
			before := x.from(t)
			snapshot := before
			reserve := x.req.LimitPrice
			if !reserve.Valid {
				reserve = before.Order.LimitPrice
			}
			ch, err := before.Order.Modify(before.Account, before.Holding, x.req, reserve.Decimal, fees, later)
			if !reflect.DeepEqual(before, snapshot) {
				t.Fatal("Modify changed its inputs")
			}
			if x.code != "" {
				if ErrorCode(err) != x.code || !strings.Contains(err.Error(), x.msg) {
					t.Fatalf("err %v, want %s %q", err, x.code, x.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if before.Order.Side == Buy && (!ch.Account.ReservedCash.Equal(d(x.reserved)) || !ch.Order.ReservedAmount.Equal(d(x.reserved))) {
				t.Errorf("reserved %s (order %s), want %s", ch.Account.ReservedCash, ch.Order.ReservedAmount, x.reserved)
			}
			if before.Order.Side == Sell && ch.Holding.ReservedQuantity != x.shares {
				t.Errorf("reserved %d shares, want %d", ch.Holding.ReservedQuantity, x.shares)
			}
			if kept := ch.Order.PriorityAt.Equal(t0); kept != x.keeps {
				t.Errorf("priority kept %v, want %v", kept, x.keeps)
			}
		})
	}
}

func TestTriggers(t *testing.T) {
	stop := func(side Side, at string) Order {
		o := limitOrder(side, 1, "70000")
		o.Type, o.LimitPrice, o.StopPrice = StopOrder, decimal.NullDecimal{}, decimal.NewNullDecimal(d(at))
		return o
	}
	for _, c := range []struct {
		o     Order
		price string
		want  bool
	}{
		{stop(Buy, "71000"), "70900", false},
		{stop(Buy, "71000"), "71000", true},
		{stop(Buy, "71000"), "72000", true},
		{stop(Sell, "69000"), "69100", false},
		{stop(Sell, "69000"), "69000", true},
		{limitOrder(Buy, 1, "70000"), "90000", false},
	} {
		if got := c.o.Triggers(d(c.price)); got != c.want {
			t.Errorf("%s %s stop %s at %s: %v", c.o.Side, c.o.Type, c.o.StopPrice.Decimal, c.price, got)
		}
	}
	o := stop(Buy, "71000")
	o.TriggeredAt = t0
	if o.Triggers(d("72000")) || o.Waiting() {
		t.Error("a triggered stop triggers again")
	}
}
