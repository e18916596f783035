package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/service"
)

// TestModifyOrderBadInput sends PATCH /orders/{id} every way it must be
// refused: another user's order, an off-grid or out-of-band price, a
// quantity of 0 or at or below what has filled, a final order, garbage.
// Each answers a clear problem and changes nothing either user can see.
func TestModifyOrderBadInput(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("modify@example.com")
	other := e.signup("other@example.com")
	place := func(limit string, qty int) string {
		t.Helper()
		r := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{
			"stock_code": "005930", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": qty, "limit_price": limit,
		})
		return str(r.Body, "data.id")
	}
	open := place("60000", 10)
	part := place("69000", 6)
	done := place("61000", 1)
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+done+"/cancel", tok, nil)
	// 2 of part's 6 shares fill.
	if _, err := e.svc.Market.Trade(context.Background(), service.TradeInput{Code: "005930", Price: decimal.RequireFromString("69000"), Volume: new(int64(2))}); err != nil {
		t.Fatal(err)
	}
	if o := e.must(http.StatusOK, "GET", "/api/v1/orders/"+part, tok, nil); str(o.Body, "data.status") != "PARTIALLY_FILLED" || num(o.Body, "data.filled_quantity") != 2 {
		t.Fatalf("the partial fill: %s", o.Raw)
	}

	path := func(id string) string { return "/api/v1/orders/" + id }
	cases := []struct {
		name   string
		id     string
		token  string
		body   string
		status int
		code   string
		detail string
	}{
		{"another user's order", open, other, `{"quantity":5}`, 404, "not_found", "no order " + open},
		{"unknown order", "does-not-exist", tok, `{"quantity":5}`, 404, "not_found", "no order does-not-exist"},
		{"another account", open, tok, `{"quantity":5,"account_id":"nope"}`, 404, "not_found", "no order " + open},
		{"off-grid price", open, tok, `{"limit_price":"60050"}`, 422, "invalid", "the nearest valid prices are 60000 and 60100"},
		{"off-grid number", open, tok, `{"limit_price":60050}`, 422, "invalid", "the nearest valid prices are 60000 and 60100"},
		{"out of band", open, tok, `{"limit_price":"95000"}`, 422, "invalid", "outside today's price band 49000–91000"},
		{"quantity 0", open, tok, `{"quantity":0}`, 422, "invalid", "body.quantity: expected number >= 1"},
		{"quantity negative", open, tok, `{"quantity":-3}`, 422, "invalid", "body.quantity: expected number >= 1"},
		{"quantity too large", open, tok, `{"quantity":1000001}`, 422, "invalid", "body.quantity: expected number <= 1000000"},
		{"quantity as float", open, tok, `{"quantity":2.5}`, 422, "invalid", "quantity"},
		{"quantity as text", open, tok, `{"quantity":"5"}`, 422, "invalid", "quantity"},
		{"below filled", part, tok, `{"quantity":1}`, 422, "invalid", "must be more than the 2 shares already filled, got 1"},
		{"equal to filled", part, tok, `{"quantity":2}`, 422, "invalid", "must be more than the 2 shares already filled, got 2"},
		{"nothing to change", open, tok, `{}`, 422, "invalid", "nothing to change"},
		{"same values", open, tok, `{"quantity":10,"limit_price":"60000"}`, 422, "invalid", "nothing to change"},
		{"final order", done, tok, `{"quantity":2}`, 409, "conflict", "is already CANCELLED and can no longer be modified"},
		{"more than the cash", open, tok, `{"quantity":200}`, 422, "insufficient_funds", "available"},
		{"garbage price", open, tok, `{"limit_price":"abc"}`, 422, "invalid", "body.limit_price"},
		{"negative price", open, tok, `{"limit_price":"-60000"}`, 422, "invalid", "body.limit_price: must be a positive amount"},
		{"NUL in price", open, tok, `{"limit_price":"600\u000000"}`, 422, "invalid", "NUL character"},
		{"NUL in path", "a%00b", tok, `{"quantity":5}`, 422, "invalid", "the path must be UTF-8 text without NUL characters"},
		{"unknown field", open, tok, `{"quantity":5,"side":"SELL"}`, 422, "invalid", "body.side: unexpected property"},
		{"not JSON", open, tok, `quantity=5`, 400, "invalid", "the request body is not valid JSON"},
		{"no token", open, "", `{"quantity":5}`, 401, "unauthorized", "missing access token"},
	}
	before, beforeOther := e.snapshot(tok), e.snapshot(other)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertProblem(t, e.do("PATCH", path(c.id), c.token, c.body), c.status, c.code, c.detail)
		})
	}
	if after := e.snapshot(tok); after != before {
		t.Fatalf("refused modifies changed state:\nbefore %s\nafter  %s", before, after)
	}
	if after := e.snapshot(other); after != beforeOther {
		t.Fatalf("refused modifies changed the other user's state:\nbefore %s\nafter  %s", beforeOther, after)
	}
}

// TestModifyOrder changes resting orders through PATCH /orders/{id}: a
// buy's reservation follows its new size and price, its place in the
// queue is kept only by a pure size reduction, a sell reserves more or
// fewer shares, and a modified order that fills in part is cancelled with
// what filled.
func TestModifyOrder(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("modify@example.com")
	fees := e.svc.Config().Fees
	r := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{
		"stock_code": "005930", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": 10, "limit_price": "60000",
	})
	id := str(r.Body, "data.id")
	placedPriority := str(r.Body, "data.priority_at")
	reserved := func(want decimal.Decimal) {
		t.Helper()
		o := e.must(http.StatusOK, "GET", "/api/v1/orders/"+id, tok, nil)
		b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
		if str(o.Body, "data.reserved_amount") != want.String() || str(b.Body, "data.reserved_cash") != want.String() {
			t.Fatalf("reserved %s by the order, %s in the balance; want %s", str(o.Body, "data.reserved_amount"), str(b.Body, "data.reserved_cash"), want)
		}
	}
	reserved(fees.BuyReservation(10, decimal.NewFromInt(60000)))

	// A smaller size at the same price keeps the order's place.
	time.Sleep(5 * time.Millisecond)
	m := e.must(http.StatusOK, "PATCH", "/api/v1/orders/"+id, tok, map[string]any{"quantity": 4})
	if num(m.Body, "data.quantity") != 4 || str(m.Body, "data.status") != "PENDING" || str(m.Body, "data.priority_at") != placedPriority {
		t.Fatalf("size reduction: %s (placed with priority %s)", m.Raw, placedPriority)
	}
	reserved(fees.BuyReservation(4, decimal.NewFromInt(60000)))

	// A new price (a number, like the other money inputs take) queues it
	// anew and reserves at that price.
	time.Sleep(5 * time.Millisecond)
	m = e.must(http.StatusOK, "PATCH", "/api/v1/orders/"+id, tok, `{"limit_price":61000}`)
	if str(m.Body, "data.limit_price") != "61000" || num(m.Body, "data.quantity") != 4 || str(m.Body, "data.priority_at") <= placedPriority {
		t.Fatalf("price change: %s", m.Raw)
	}
	requeued := str(m.Body, "data.priority_at")
	reserved(fees.BuyReservation(4, decimal.NewFromInt(61000)))

	// A larger size queues it anew too.
	time.Sleep(5 * time.Millisecond)
	m = e.must(http.StatusOK, "PATCH", "/api/v1/orders/"+id, tok, map[string]any{"quantity": 6})
	if num(m.Body, "data.quantity") != 6 || str(m.Body, "data.priority_at") <= requeued {
		t.Fatalf("size increase: %s", m.Raw)
	}
	reserved(fees.BuyReservation(6, decimal.NewFromInt(61000)))

	// A trade fills 2 at the new limit: then 5 leaves 3 to fill, and the
	// cancel says 2 of 5 filled, keeps the execution and releases the rest.
	if _, err := e.svc.Market.Trade(context.Background(), service.TradeInput{Code: "005930", Price: decimal.RequireFromString("61000"), Volume: new(int64(2))}); err != nil {
		t.Fatal(err)
	}
	m = e.must(http.StatusOK, "PATCH", "/api/v1/orders/"+id, tok, map[string]any{"quantity": 5})
	if str(m.Body, "data.status") != "PARTIALLY_FILLED" || num(m.Body, "data.filled_quantity") != 2 || num(m.Body, "data.remaining_quantity") != 3 {
		t.Fatalf("after a partial fill: %s", m.Raw)
	}
	if execs, _ := get(m.Body, "data.executions").([]any); len(execs) != 1 {
		t.Fatalf("the modified order's executions: %s", m.Raw)
	}
	reserved(fees.BuyReservation(3, decimal.NewFromInt(61000)))
	c := e.must(http.StatusOK, "POST", "/api/v1/orders/"+id+"/cancel", tok, nil)
	if str(c.Body, "data.status") != "CANCELLED" || num(c.Body, "data.filled_quantity") != 2 || str(c.Body, "data.reason") != "cancelled by user after 2 of 5 shares filled" {
		t.Fatalf("cancel of the partially filled order: %s", c.Raw)
	}
	reserved(decimal.Zero)

	// A sell reserves more or fewer shares, never more than are held.
	e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{"stock_code": "000660", "side": "BUY", "type": "MARKET", "quantity": 10})
	s := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{
		"stock_code": "000660", "side": "SELL", "type": "LIMIT", "quantity": 5, "limit_price": "200000",
	})
	sell := str(s.Body, "data.id")
	heldReserved := func(want float64) {
		t.Helper()
		p := e.must(http.StatusOK, "GET", "/api/v1/portfolio", tok, nil)
		for _, h := range get(p.Body, "data.holdings").([]any) {
			if str(h, "stock_code") == "000660" && num(h, "reserved_quantity") == want {
				return
			}
		}
		t.Fatalf("reserved shares of 000660 are not %v: %s", want, p.Raw)
	}
	heldReserved(5)
	e.must(http.StatusOK, "PATCH", "/api/v1/orders/"+sell, tok, map[string]any{"quantity": 10, "limit_price": "199000"})
	heldReserved(10)
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "PATCH", "/api/v1/orders/"+sell, tok, map[string]any{"quantity": 11}), 422, "insufficient_quantity", "only")
	heldReserved(10)
	e.must(http.StatusOK, "PATCH", "/api/v1/orders/"+sell, tok, map[string]any{"quantity": 3})
	heldReserved(3)
	rep, err := e.svc.Audit.Run(context.Background())
	if err != nil || len(rep.Violations) > 0 {
		t.Fatalf("audit: %v %v", err, rep.Violations)
	}
}
