package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestCheckModify(t *testing.T) {
	o := limitOrder(Buy, 10, "60000")
	o.ID, o.FilledQuantity, o.Status = "o1", 4, PartiallyFilled
	price := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.RequireFromString(s)) }
	for _, c := range []struct {
		name string
		req  ModifyRequest
		code Code
	}{
		{"smaller", ModifyRequest{Quantity: 5}, ""},
		{"larger", ModifyRequest{Quantity: 50}, ""},
		{"new price", ModifyRequest{LimitPrice: price("60100")}, ""},
		{"same price and a new size", ModifyRequest{Quantity: 9, LimitPrice: price("60000")}, ""},
		{"nothing", ModifyRequest{}, CodeInvalid},
		{"same values", ModifyRequest{Quantity: 10, LimitPrice: price("60000.0")}, CodeInvalid},
		{"to the filled quantity", ModifyRequest{Quantity: 4}, CodeInvalid},
		{"below it", ModifyRequest{Quantity: 3}, CodeInvalid},
		{"negative", ModifyRequest{Quantity: -1}, CodeInvalid},
		{"too large", ModifyRequest{Quantity: MaxOrderQuantity + 1}, CodeInvalid},
	} {
		if err := o.CheckModify(c.req); ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want code %q", c.name, err, c.code)
		}
	}
	closed := o
	closed.Status = Cancelled
	if err := closed.CheckModify(ModifyRequest{Quantity: 6}); !IsCode(err, CodeConflict) {
		t.Errorf("final order: %v", err)
	}
	stop := o
	stop.Type, stop.LimitPrice = StopOrder, decimal.NullDecimal{}
	if err := stop.CheckModify(ModifyRequest{LimitPrice: price("60100")}); !IsCode(err, CodeInvalid) {
		t.Errorf("a limit price on a STOP order: %v", err)
	}

	// Applied: each field the request sets has the value it asks.
	if !o.Applied(ModifyRequest{Quantity: 10}) || !o.Applied(ModifyRequest{LimitPrice: price("60000")}) || o.Applied(ModifyRequest{Quantity: 9}) || o.Applied(ModifyRequest{Quantity: 10, LimitPrice: price("60100")}) {
		t.Error("Applied")
	}
}
