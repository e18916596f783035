package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// levels writes an order's executions as "price×qty ...".
func levels(order any) string {
	var parts []string
	for _, e := range get(order, "data.executions").([]any) {
		parts = append(parts, str(e, "price")+"×"+strconv.FormatFloat(num(e, "quantity"), 'f', -1, 64))
	}
	return strings.Join(parts, " ")
}

func TestOrderTypes(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("types@example.com")
	admin := e.admin()
	// 035720 trades at 7,000 (tick 10) with a quote of 6,990 / 7,010.
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035720/price", admin, map[string]any{"price": "7000", "bid": "6990", "ask": "7010"})
	order := func(want int, body map[string]any) resp {
		t.Helper()
		body["stock_code"] = "035720"
		return e.must(want, "POST", "/api/v1/orders", tok, body)
	}

	// A market buy of 1,200 takes the 1,000 shares at the ask and 200 a
	// tick higher: two executions in the answer.
	r := order(http.StatusCreated, map[string]any{"side": "BUY", "type": "MARKET", "quantity": 1200})
	if str(r.Body, "data.status") != "FILLED" || levels(r.Body) != "7010×1000 7020×200" || str(r.Body, "data.commission") != "1261" {
		t.Fatalf("market buy over two levels: %s", r.Raw)
	}
	if got := e.must(http.StatusOK, "GET", "/api/v1/orders/"+str(r.Body, "data.id"), tok, nil); levels(got.Body) != "7010×1000 7020×200" {
		t.Fatalf("stored executions: %s", got.Raw)
	}

	// FOK that cannot trade whole: 422, and the order is on record as
	// REJECTED with its reason.
	r = order(http.StatusUnprocessableEntity, map[string]any{"side": "BUY", "type": "MARKET", "quantity": 1000000, "time_in_force": "FOK"})
	assertProblem(t, r, 422, "invalid", "was REJECTED: fill or kill: only 597000 of 1000000 shares can trade now")
	rej := e.must(http.StatusOK, "GET", "/api/v1/orders?status=REJECTED", tok, nil)
	if n := len(get(rej.Body, "data").([]any)); n != 1 || !strings.Contains(str(rej.Body, "data.0.reason"), "fill or kill") || num(rej.Body, "data.0.filled_quantity") != 0 {
		t.Fatalf("rejected FOK: %s", rej.Raw)
	}

	// IOC limit: what the quote gives up to the limit, the rest cancelled.
	r = order(http.StatusCreated, map[string]any{"side": "SELL", "type": "LIMIT", "quantity": 1100, "limit_price": "6990", "time_in_force": "IOC"})
	if str(r.Body, "data.status") != "CANCELLED" || levels(r.Body) != "6990×1000" || num(r.Body, "data.filled_quantity") != 1000 {
		t.Fatalf("IOC limit sell: %s", r.Raw)
	}
	p := e.must(http.StatusOK, "GET", "/api/v1/portfolio", tok, nil)
	if num(p.Body, "data.holdings.0.quantity") != 200 || num(p.Body, "data.holdings.0.available_quantity") != 200 {
		t.Fatalf("the IOC sell holds shares: %s", p.Raw)
	}

	// A STOP sell waits for a trade at or under 6,990 (the band's floor),
	// then sells at the bid that trade left, which the band holds at 6,990.
	r = order(http.StatusCreated, map[string]any{"side": "SELL", "type": "STOP", "quantity": 100, "stop_price": "6990"})
	id := str(r.Body, "data.id")
	if str(r.Body, "data.status") != "PENDING" || str(r.Body, "data.stop_price") != "6990" || get(r.Body, "data.triggered_at") != nil {
		t.Fatalf("STOP sell: %s", r.Raw)
	}
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035720/price", admin, map[string]any{"price": "7000"})
	if got := e.must(http.StatusOK, "GET", "/api/v1/orders/"+id, tok, nil); str(got.Body, "data.status") != "PENDING" {
		t.Fatalf("a trade above the stop triggered it: %s", got.Raw)
	}
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035720/price", admin, map[string]any{"price": "6990"})
	got := e.must(http.StatusOK, "GET", "/api/v1/orders/"+id, tok, nil)
	if str(got.Body, "data.status") != "FILLED" || get(got.Body, "data.triggered_at") == nil || levels(got.Body) != "6990×100" {
		t.Fatalf("triggered STOP sell: %s", got.Raw)
	}
	b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(b.Body, "data.reserved_cash") != "0" {
		t.Fatalf("balance: %s", b.Raw)
	}
}

// A DAY or GTC LIMIT order that reaches the quote takes it up to its limit
// and rests the rest; one at the last price but short of the quote only
// rests; one the cash does not cover whole is refused and changes nothing.
func TestMarketableLimitOrder(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("marketable@example.com")
	admin := e.admin()
	// 035720 trades at 7,000 with a quote of 6,990 / 7,010, 1,000 shares
	// a tick.
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035720/price", admin, map[string]any{"price": "7000", "bid": "6990", "ask": "7010"})
	order := func(want int, body map[string]any) resp {
		t.Helper()
		body["stock_code"], body["type"] = "035720", "LIMIT"
		return e.must(want, "POST", "/api/v1/orders", tok, body)
	}

	// 1,200 at 7,010: the ask holds 1,000; the other 200 rest at 7,010,
	// holding 1,402,000 + 210 commission.
	r := order(http.StatusCreated, map[string]any{"side": "BUY", "quantity": 1200, "limit_price": "7010"})
	if str(r.Body, "data.status") != "PARTIALLY_FILLED" || levels(r.Body) != "7010×1000" || num(r.Body, "data.remaining_quantity") != 200 ||
		str(r.Body, "data.reserved_amount") != "1402210" || get(r.Body, "data.expires_at") == nil {
		t.Fatalf("marketable limit buy past the quote: %s", r.Raw)
	}
	partID := str(r.Body, "data.id")
	// 7,010,000 + 1,051 commission paid; the rest's hold reserved.
	b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(b.Body, "data.cash") != "2988949" || str(b.Body, "data.reserved_cash") != "1402210" {
		t.Fatalf("balance after the marketable buy: %s", b.Raw)
	}

	// At the last price, under the ask: it rests and trades nothing.
	r = order(http.StatusCreated, map[string]any{"side": "BUY", "quantity": 10, "limit_price": "7000", "time_in_force": "GTC"})
	if str(r.Body, "data.status") != "PENDING" || len(get(r.Body, "data.executions").([]any)) != 0 || str(r.Body, "data.reserved_amount") != "70010" {
		t.Fatalf("limit buy at the last price: %s", r.Raw)
	}

	// 400 more at 7,010 would cost 2,804,420 at the ask; only 1,516,729
	// is free. Refused, and nothing moved.
	before := e.snapshot(tok)
	r = order(http.StatusUnprocessableEntity, map[string]any{"side": "BUY", "quantity": 400, "limit_price": "7010"})
	assertProblem(t, r, 422, "insufficient_funds", "only 1516729 won is available")
	// A sell at the bid of more than is held is refused too.
	r = order(http.StatusUnprocessableEntity, map[string]any{"side": "SELL", "quantity": 1001, "limit_price": "6990"})
	assertProblem(t, r, 422, "insufficient_quantity", "cannot sell 1001 shares of 035720")
	if after := e.snapshot(tok); after != before {
		t.Fatalf("refused orders changed state:\nbefore %s\nafter  %s", before, after)
	}

	// A sell through the bid fills in levels and is final.
	r = order(http.StatusCreated, map[string]any{"side": "SELL", "quantity": 600, "limit_price": "6990"})
	if str(r.Body, "data.status") != "FILLED" || levels(r.Body) != "6990×600" {
		t.Fatalf("marketable limit sell: %s", r.Raw)
	}
	// The rest of the buy fills on the next trade that crosses it, at its
	// limit.
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035720/price", admin, map[string]any{"price": "7000"})
	got := e.must(http.StatusOK, "GET", "/api/v1/orders/"+partID, tok, nil)
	if str(got.Body, "data.status") != "FILLED" || levels(got.Body) != "7010×1000 7010×200" || str(got.Body, "data.reserved_amount") != "0" {
		t.Fatalf("the rest of the marketable buy: %s", got.Raw)
	}
}
