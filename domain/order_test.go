package domain

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestValidateShape(t *testing.T) {
	lp := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }
	ok := OrderRequest{StockCode: "005930", Side: Buy, Type: LimitOrder, Quantity: 10, LimitPrice: lp("70000")}
	for _, c := range []struct {
		name  string
		mut   func(*OrderRequest)
		field string // "" = valid
	}{
		{"valid limit", func(*OrderRequest) {}, ""},
		{"valid market", func(r *OrderRequest) { r.Type, r.LimitPrice = MarketOrder, decimal.NullDecimal{} }, ""},
		{"lower-case side", func(r *OrderRequest) { r.Side = "sell" }, ""},
		{"zero quantity", func(r *OrderRequest) { r.Quantity = 0 }, "quantity"},
		{"negative quantity", func(r *OrderRequest) { r.Quantity = -1 }, "quantity"},
		{"huge quantity", func(r *OrderRequest) { r.Quantity = 1_000_000_000_000 }, "quantity"},
		{"bad side", func(r *OrderRequest) { r.Side = "HOLD" }, "side"},
		{"bad type", func(r *OrderRequest) { r.Type = "ICEBERG" }, "type"},
		{"valid stop", func(r *OrderRequest) {
			r.Type, r.LimitPrice, r.StopPrice = StopOrder, decimal.NullDecimal{}, lp("71000")
		}, ""},
		{"valid stop limit", func(r *OrderRequest) { r.Type, r.StopPrice = StopLimitOrder, lp("71000") }, ""},
		{"valid market IOC", func(r *OrderRequest) { r.Type, r.LimitPrice, r.TimeInForce = MarketOrder, decimal.NullDecimal{}, IOC }, ""},
		{"valid limit FOK", func(r *OrderRequest) { r.TimeInForce = FOK }, ""},
		{"stop price on a limit", func(r *OrderRequest) { r.StopPrice = lp("71000") }, "stop_price"},
		{"stop without stop price", func(r *OrderRequest) { r.Type, r.LimitPrice = StopOrder, decimal.NullDecimal{} }, "stop_price"},
		{"stop with a limit price", func(r *OrderRequest) { r.Type, r.StopPrice = StopOrder, lp("71000") }, "limit_price"},
		{"stop limit without limit price", func(r *OrderRequest) {
			r.Type, r.LimitPrice, r.StopPrice = StopLimitOrder, decimal.NullDecimal{}, lp("71000")
		}, "limit_price"},
		{"IOC on a stop", func(r *OrderRequest) {
			r.Type, r.LimitPrice, r.StopPrice, r.TimeInForce = StopOrder, decimal.NullDecimal{}, lp("71000"), IOC
		}, "time_in_force"},
		{"GTC on a market order", func(r *OrderRequest) { r.Type, r.LimitPrice, r.TimeInForce = MarketOrder, decimal.NullDecimal{}, GTC }, "time_in_force"},
		{"fractional stop", func(r *OrderRequest) { r.Type, r.StopPrice = StopLimitOrder, lp("71000.5") }, "stop_price"},
		{"limit without price", func(r *OrderRequest) { r.LimitPrice = decimal.NullDecimal{} }, "limit_price"},
		{"market with price", func(r *OrderRequest) { r.Type = MarketOrder }, "limit_price"},
		{"negative price", func(r *OrderRequest) { r.LimitPrice = lp("-70000") }, "limit_price"},
		{"fractional price", func(r *OrderRequest) { r.LimitPrice = lp("70000.0000000001") }, "limit_price"},
		{"bad tif", func(r *OrderRequest) { r.TimeInForce = "GTD" }, "time_in_force"},
		{"long client id", func(r *OrderRequest) { r.ClientOrderID = strings.Repeat("x", 65) }, "client_order_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ok
			c.mut(&r)
			r.Normalize()
			err := r.ValidateShape()
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var e *Error
			if err == nil || !asError(err, &e) || e.Field != c.field || e.Code != CodeInvalid {
				t.Fatalf("got %v, want invalid %s", err, c.field)
			}
		})
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}

func TestNormalizeDefaults(t *testing.T) {
	r := OrderRequest{Type: "limit", Side: "buy"}
	r.Normalize()
	if r.TimeInForce != Day || r.Type != LimitOrder || r.Side != Buy {
		t.Fatalf("%+v", r)
	}
	m := OrderRequest{Type: "MARKET"}
	m.Normalize()
	if m.TimeInForce != "" {
		t.Fatalf("market order given time in force %q", m.TimeInForce)
	}
	st := OrderRequest{Type: "stop_limit"}
	st.Normalize()
	if st.TimeInForce != Day || st.Type != StopLimitOrder {
		t.Fatalf("%+v", st)
	}
}

func TestCrosses(t *testing.T) {
	if !Crosses(Buy, d("70000"), d("69900")) || !Crosses(Buy, d("70000"), d("70000")) || Crosses(Buy, d("70000"), d("70100")) {
		t.Fatal("buy crossing")
	}
	if !Crosses(Sell, d("70000"), d("70100")) || !Crosses(Sell, d("70000"), d("70000")) || Crosses(Sell, d("70000"), d("69900")) {
		t.Fatal("sell crossing")
	}
}

// FuzzValidateOrder feeds arbitrary requests through normalization and
// validation: it must never panic, and whatever it accepts must be
// executable (positive bounded quantity, a grid price inside the band).
func FuzzValidateOrder(f *testing.F) {
	f.Add("BUY", "LIMIT", "DAY", int64(10), "70000", "70000")
	f.Add("SELL", "MARKET", "", int64(1), "", "70000")
	f.Add("buy", "limit", "gtc", int64(1_000_001), "70050", "9980")
	f.Add("BUY", "LIMIT", "DAY", int64(-5), "1e3", "1000")
	f.Fuzz(func(t *testing.T, side, typ, tif string, qty int64, price, base string) {
		r := OrderRequest{StockCode: "005930", Side: Side(side), Type: OrderType(typ), TimeInForce: TimeInForce(tif), Quantity: qty}
		if price != "" {
			p, err := ParseMoney("limit_price", price)
			if err != nil {
				return
			}
			r.LimitPrice = decimal.NewNullDecimal(p)
		}
		r.Normalize()
		if r.ValidateShape() != nil {
			return
		}
		if r.Quantity <= 0 || r.Quantity > MaxOrderQuantity {
			t.Fatalf("accepted quantity %d", r.Quantity)
		}
		if r.Type != LimitOrder {
			return
		}
		b, err := decimal.NewFromString(base)
		if err != nil || !OnTickGrid(b) || b.GreaterThan(decimal.NewFromInt(10_000_000)) {
			return
		}
		if ValidateLimitPrice(r.LimitPrice.Decimal, b) == nil {
			if !OnTickGrid(r.LimitPrice.Decimal) || !PriceBand(b).Contains(r.LimitPrice.Decimal) {
				t.Fatalf("accepted %s against base %s", r.LimitPrice.Decimal, b)
			}
		}
	})
}
