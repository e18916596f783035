package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/auth"
	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/system"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

func TestAuthFlow(t *testing.T) {
	e := newEnv(t)
	r := e.must(http.StatusCreated, "POST", "/api/v1/auth/signup", "", map[string]any{
		"email": "Trader@Example.com", "password": "correct-horse", "nickname": "개미",
	})
	d := r.Body
	if str(d, "data.token_type") != "Bearer" || num(d, "data.expires_in") != 900 ||
		str(d, "data.access_token") == "" || str(d, "data.refresh_token") == "" {
		t.Fatalf("signup tokens: %s", r.Raw)
	}
	if str(d, "data.user.email") != "trader@example.com" || str(d, "data.user.role") != "user" ||
		get(d, "data.user.is_premium") != false || str(d, "data.user.id") == "" {
		t.Fatalf("signup user: %s", r.Raw)
	}
	if v, ok := get(d, "data.user").(map[string]any)["premium_until"]; !ok || v != nil {
		t.Fatalf("premium_until must be present and null: %s", r.Raw)
	}

	login := e.must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]any{"email": "trader@example.com", "password": "correct-horse"})
	if str(login.Body, "data.user.id") != str(d, "data.user.id") {
		t.Fatalf("login user: %s", login.Raw)
	}
	refresh := e.must(http.StatusOK, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": str(login.Body, "data.refresh_token")})
	access := str(refresh.Body, "data.access_token")
	me := e.must(http.StatusOK, "GET", "/api/v1/users/me", access, nil)
	if str(me.Body, "data.nickname") != "개미" || str(me.Body, "data.created_at") == "" {
		t.Fatalf("me: %s", me.Raw)
	}

	p := e.must(http.StatusConflict, "POST", "/api/v1/auth/signup", "", map[string]any{
		"email": "trader@example.com", "password": "correct-horse", "nickname": "again",
	})
	assertProblem(t, p, http.StatusConflict, "conflict", "already registered")
	p = e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]any{"email": "trader@example.com", "password": "wrong-horse"})
	assertProblem(t, p, http.StatusUnauthorized, "unauthorized", "e-mail or password is incorrect")
	p = e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": access})
	assertProblem(t, p, http.StatusUnauthorized, "unauthorized", "access token was sent where a refresh token is required")
	p = e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/auth/signup", "", map[string]any{
		"email": "new@example.com", "password": "short", "nickname": "n",
	})
	assertProblem(t, p, http.StatusUnprocessableEntity, "invalid", "body.password: must be at least 8 characters")
	p = e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/auth/signup", "", map[string]any{"email": "new@example.com"})
	assertProblem(t, p, http.StatusUnprocessableEntity, "invalid", "expected required property password to be present")
	if bytes.Contains(p.Raw, []byte("new@example.com")) {
		t.Errorf("a missing-field problem echoes the whole body: %s", p.Raw)
	}
}

func TestStocks(t *testing.T) {
	e := newEnv(t)
	r := e.must(http.StatusOK, "GET", "/api/v1/stocks", "", nil)
	list, _ := get(r.Body, "data").([]any)
	if len(list) != 4 {
		t.Fatalf("stocks: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/stocks?market=KOSDAQ", "", nil)
	if list, _ := get(r.Body, "data").([]any); len(list) != 1 || str(r.Body, "data.0.code") != "247540" {
		t.Fatalf("market filter: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/stocks?q=hynix", "", nil)
	if list, _ := get(r.Body, "data").([]any); len(list) != 1 || str(r.Body, "data.0.code") != "000660" {
		t.Fatalf("q filter: %s", r.Raw)
	}

	// KRX's published example: base 9,980 gives the band 6,990–12,970.
	r = e.must(http.StatusOK, "GET", "/api/v1/stocks/035720", "", nil)
	want := map[string]any{
		"code": "035720", "name": "카카오", "name_en": "Kakao", "market": "KOSPI", "price": "9980",
		"prev_close": "9980", "change": "0", "change_rate": "0", "upper_limit": "12970",
		"lower_limit": "6990", "tick_size": "10",
	}
	for k, v := range want {
		if got := get(r.Body, "data."+k); got != v {
			t.Errorf("stock %s = %v, want %v", k, got, v)
		}
	}
	if _, err := time.Parse(time.RFC3339, str(r.Body, "data.updated_at")); err != nil {
		t.Errorf("updated_at: %v", err)
	}

	assertProblem(t, e.must(http.StatusNotFound, "GET", "/api/v1/stocks/999999", "", nil), 404, "not_found", "no listing 999999")
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "GET", "/api/v1/stocks/abc", "", nil), 422, "invalid", "path.code:")
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "GET", "/api/v1/stocks?market=NYSE", "", nil), 422, "invalid", "query.market")

	if _, err := e.svc.Market.Tick(context.Background(), "005930", decimal.RequireFromString("70100")); err != nil {
		t.Fatal(err)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/stocks/005930/prices?limit=10", "", nil)
	// Oldest first: the listing's first price, then the tick.
	if pts, _ := get(r.Body, "data").([]any); len(pts) != 2 || str(r.Body, "data.0.price") != "70000" || str(r.Body, "data.1.price") != "70100" || str(r.Body, "data.1.recorded_at") == "" {
		t.Fatalf("prices: %s", r.Raw)
	}

	r = e.must(http.StatusOK, "GET", "/api/v1/market/status", "", nil)
	if get(r.Body, "data.open") != true || str(r.Body, "data.status") != "OPEN" || get(r.Body, "data.always_open") != true ||
		str(r.Body, "data.timezone") != "Asia/Seoul" || str(r.Body, "data.next_close") == "" {
		t.Fatalf("market status: %s", r.Raw)
	}
	if v, ok := get(r.Body, "data").(map[string]any)["next_open"]; !ok || v != nil {
		t.Fatalf("next_open must be null while open: %s", r.Raw)
	}
}

func TestDepositWithdraw(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("cash@example.com")
	r := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(r.Body, "data.cash") != "10000000" || str(r.Body, "data.available_cash") != "10000000" ||
		str(r.Body, "data.currency") != "KRW" || str(r.Body, "data.total_equity") != "10000000" {
		t.Fatalf("balance: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "POST", "/api/v1/balance/deposit", tok, map[string]any{"amount": "100000"})
	if str(r.Body, "data.cash") != "10100000" {
		t.Fatalf("deposit: %s", r.Raw)
	}
	// Money is taken as a JSON number as well as a string, everywhere.
	r = e.must(http.StatusOK, "POST", "/api/v1/balance/deposit", tok, `{"amount":100}`)
	if str(r.Body, "data.cash") != "10100100" {
		t.Fatalf("deposit of a number: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "POST", "/api/v1/balance/withdraw", tok, map[string]any{"amount": 100})
	if str(r.Body, "data.cash") != "10100000" {
		t.Fatalf("withdrawal of a number: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "POST", "/api/v1/balance/withdraw", tok, map[string]any{"amount": "2500000"})
	if str(r.Body, "data.cash") != "7600000" || str(r.Body, "data.available_cash") != "7600000" {
		t.Fatalf("withdraw: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/transactions?type=WITHDRAW&limit=1", tok, nil)
	if str(r.Body, "data.0.transaction_type") != "WITHDRAW" || str(r.Body, "data.0.amount") != "2500000" ||
		str(r.Body, "data.0.cash_balance_before") != "10100000" || str(r.Body, "data.0.cash_balance_after") != "7600000" {
		t.Fatalf("ledger: %s", r.Raw)
	}
	if v, ok := get(r.Body, "data.0").(map[string]any)["stock_code"]; !ok || v != nil {
		t.Fatalf("stock_code of a cash row must be null: %s", r.Raw)
	}
	// Pagination: five rows, pages of three.
	r = e.must(http.StatusOK, "GET", "/api/v1/transactions?limit=3", tok, nil)
	next := str(r.Body, "next_cursor")
	if rows, _ := get(r.Body, "data").([]any); len(rows) != 3 || next == "" {
		t.Fatalf("page 1: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/transactions?limit=3&cursor="+next, tok, nil)
	if rows, _ := get(r.Body, "data").([]any); len(rows) != 2 || get(r.Body, "next_cursor") != nil {
		t.Fatalf("page 2: %s", r.Raw)
	}
}

func TestMarketBuyCreatesHolding(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("buyer@example.com")
	r := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{
		"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 10,
	})
	// It pays the ask, one tick over the last trade of 70,000.
	o := r.Body
	if str(o, "data.status") != "FILLED" || num(o, "data.filled_quantity") != 10 || str(o, "data.average_fill_price") != "70100" ||
		str(o, "data.commission") != "105" || len(get(o, "data.executions").([]any)) != 1 {
		t.Fatalf("market buy: %s", r.Raw)
	}
	for _, k := range []string{"client_order_id", "time_in_force", "limit_price", "expires_at", "reason"} {
		if v, ok := get(o, "data").(map[string]any)[k]; !ok || v != nil {
			t.Errorf("%s must be present and null on a market order: %s", k, r.Raw)
		}
	}
	p := e.must(http.StatusOK, "GET", "/api/v1/portfolio", tok, nil)
	if str(p.Body, "data.holdings.0.stock_code") != "005930" || num(p.Body, "data.holdings.0.quantity") != 10 ||
		num(p.Body, "data.holdings.0.available_quantity") != 10 || str(p.Body, "data.holdings.0.average_price") != "70100" ||
		str(p.Body, "data.holdings.0.market_value") != "700000" || str(p.Body, "data.totals.cash") != "9298895" ||
		str(p.Body, "data.totals.total_equity") != "9998895" {
		t.Fatalf("portfolio: %s", p.Raw)
	}
	b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(b.Body, "data.holdings_value") != "700000" || str(b.Body, "data.total_equity") != "9998895" {
		t.Fatalf("balance: %s", b.Raw)
	}
	s := e.must(http.StatusOK, "GET", "/api/v1/analytics/summary", tok, nil)
	if num(s.Body, "data.total_trades") != 1 || num(s.Body, "data.buy_trades") != 1 || str(s.Body, "data.total_commission") != "105" ||
		str(s.Body, "data.net_deposits") != "10000000" || str(s.Body, "data.total_return") != "-1105" {
		t.Fatalf("summary: %s", s.Raw)
	}
	l := e.must(http.StatusOK, "GET", "/api/v1/transactions?type=BUY", tok, nil)
	if str(l.Body, "data.0.order_id") != str(o, "data.id") || num(l.Body, "data.0.quantity") != 10 || str(l.Body, "data.0.price") != "70100" {
		t.Fatalf("ledger: %s", l.Raw)
	}
}

func TestClientOrderIDReplay(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("idem@example.com")
	req := map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 3, "limit_price": "69000", "client_order_id": "c-1"}
	first := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, req)
	again := e.must(http.StatusOK, "POST", "/api/v1/orders", tok, req)
	if str(first.Body, "data.id") != str(again.Body, "data.id") || str(again.Body, "data.client_order_id") != "c-1" {
		t.Fatalf("replay answered another order:\n%s\n%s", first.Raw, again.Raw)
	}
	req["quantity"] = 4
	assertProblem(t, e.must(http.StatusConflict, "POST", "/api/v1/orders", tok, req), 409, "conflict", "body.client_order_id:")
	r := e.must(http.StatusOK, "GET", "/api/v1/orders", tok, nil)
	if rows, _ := get(r.Body, "data").([]any); len(rows) != 1 {
		t.Fatalf("replays created orders: %s", r.Raw)
	}
}

func TestLimitOrderRestsThenTickFills(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("limit@example.com")
	admin := e.admin()
	r := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{
		"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 10, "limit_price": "69000", "time_in_force": "GTC",
	})
	id := str(r.Body, "data.id")
	if str(r.Body, "data.status") != "PENDING" || str(r.Body, "data.reserved_amount") != "690103" ||
		str(r.Body, "data.time_in_force") != "GTC" || str(r.Body, "data.limit_price") != "69000" ||
		len(get(r.Body, "data.executions").([]any)) != 0 {
		t.Fatalf("resting order: %s", r.Raw)
	}
	b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(b.Body, "data.reserved_cash") != "690103" || str(b.Body, "data.available_cash") != "9309897" {
		t.Fatalf("reservation: %s", b.Raw)
	}

	// A tick above the limit fills nothing; one through the limit fills it
	// at the limit (a resting order is not the session's first trade's).
	tick := e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "69500"})
	if num(tick.Body, "data.filled_orders") != 0 || str(tick.Body, "data.stock.price") != "69500" {
		t.Fatalf("tick: %s", tick.Raw)
	}
	tick = e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "68900"})
	if num(tick.Body, "data.filled_orders") != 1 || str(tick.Body, "data.stock.change") != "-1100" {
		t.Fatalf("tick: %s", tick.Raw)
	}
	o := e.must(http.StatusOK, "GET", "/api/v1/orders/"+id, tok, nil)
	if str(o.Body, "data.status") != "FILLED" || str(o.Body, "data.average_fill_price") != "69000" ||
		str(o.Body, "data.reserved_amount") != "0" || str(o.Body, "data.executions.0.price") != "69000" ||
		num(o.Body, "data.remaining_quantity") != 0 {
		t.Fatalf("filled order: %s", o.Raw)
	}
	b = e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(b.Body, "data.reserved_cash") != "0" || str(b.Body, "data.cash") != "9309897" {
		t.Fatalf("after fill: %s", b.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/orders?status=FILLED&side=BUY&stock_code=005930", tok, nil)
	if rows, _ := get(r.Body, "data").([]any); len(rows) != 1 || get(r.Body, "next_cursor") != nil {
		t.Fatalf("filtered list: %s", r.Raw)
	}
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "68950"}),
		422, "invalid", "body.price: price 68950 is not on the KRX tick grid")
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("cancel@example.com")
	other := e.signup("other@example.com")
	r := e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{
		"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000",
	})
	id := str(r.Body, "data.id")
	if str(r.Body, "data.time_in_force") != "DAY" || str(r.Body, "data.expires_at") == "" {
		t.Fatalf("a LIMIT order is DAY by default: %s", r.Raw)
	}

	// Another user's order does not exist for them, on read and on cancel.
	assertProblem(t, e.must(http.StatusNotFound, "GET", "/api/v1/orders/"+id, other, nil), 404, "not_found", "no order")
	assertProblem(t, e.must(http.StatusNotFound, "POST", "/api/v1/orders/"+id+"/cancel", other, nil), 404, "not_found", "no order")

	c := e.must(http.StatusOK, "POST", "/api/v1/orders/"+id+"/cancel", tok, nil)
	if str(c.Body, "data.status") != "CANCELLED" || str(c.Body, "data.reserved_amount") != "0" || str(c.Body, "data.reason") == "" {
		t.Fatalf("cancel: %s", c.Raw)
	}
	assertProblem(t, e.must(http.StatusConflict, "POST", "/api/v1/orders/"+id+"/cancel", tok, nil), 409, "conflict", "already CANCELLED")
	b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil)
	if str(b.Body, "data.reserved_cash") != "0" || str(b.Body, "data.cash") != "10000000" {
		t.Fatalf("cancel left a reservation: %s", b.Raw)
	}
	assertProblem(t, e.must(http.StatusNotFound, "GET", "/api/v1/orders/nope", tok, nil), 404, "not_found", "no order nope")
}

func TestWatchlist(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("watch@example.com")
	r := e.must(http.StatusCreated, "POST", "/api/v1/watchlist", tok, map[string]any{"stock_code": "000660"})
	if str(r.Body, "data.stock_code") != "000660" || str(r.Body, "data.name") != "SK하이닉스" || str(r.Body, "data.added_at") == "" {
		t.Fatalf("add: %s", r.Raw)
	}
	assertProblem(t, e.must(http.StatusConflict, "POST", "/api/v1/watchlist", tok, map[string]any{"stock_code": "000660"}), 409, "conflict", "already on your watchlist")
	assertProblem(t, e.must(http.StatusNotFound, "POST", "/api/v1/watchlist", tok, map[string]any{"stock_code": "999999"}), 404, "not_found", "no listing")
	r = e.must(http.StatusOK, "GET", "/api/v1/watchlist", tok, nil)
	if list, _ := get(r.Body, "data").([]any); len(list) != 1 || str(r.Body, "data.0.price") != "180000" || str(r.Body, "data.0.market") != "KOSPI" {
		t.Fatalf("list: %s", r.Raw)
	}
	r = e.must(http.StatusNoContent, "DELETE", "/api/v1/watchlist/000660", tok, nil)
	if len(r.Raw) != 0 {
		t.Fatalf("204 with a body: %s", r.Raw)
	}
	assertProblem(t, e.must(http.StatusNotFound, "DELETE", "/api/v1/watchlist/000660", tok, nil), 404, "not_found", "not on your watchlist")
	r = e.must(http.StatusOK, "GET", "/api/v1/watchlist", tok, nil)
	if list, ok := get(r.Body, "data").([]any); !ok || len(list) != 0 {
		t.Fatalf("an empty watchlist is []: %s", r.Raw)
	}
}

// TestBadInputChangesNothing sends every kind of bad request and checks
// that each answers a 4xx problem that says what to fix, and that none of
// them moved money, shares or orders.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("careful@example.com")
	uid := str(e.must(http.StatusOK, "GET", "/api/v1/users/me", tok, nil).Body, "data.id")
	e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 5})
	e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 2, "limit_price": "65000"})
	ordersCursor := str(e.must(http.StatusOK, "GET", "/api/v1/orders?limit=1", tok, nil).Body, "next_cursor")

	expiredIssuer, err := auth.NewJWT(testSecret, time.Minute, time.Hour, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	pair, err := expiredIssuer.Issue(domain.User{ID: uid, Role: domain.RoleUser}, ports.SessionRef{})
	if err != nil {
		t.Fatal(err)
	}
	expired := pair.AccessToken
	parts := strings.Split(tok, ".")
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)

	order := func(kv ...any) string {
		m := map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "70000"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
				continue
			}
			m[kv[i].(string)] = kv[i+1]
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code, detail                    string
	}{
		{"malformed JSON", "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY",`, 400, "invalid", "the request body is not valid JSON"},
		{"not an object", "POST", "/api/v1/orders", tok, `[1,2]`, 422, "invalid", "expected object"},
		{"empty body", "POST", "/api/v1/orders", tok, ``, 400, "invalid", "request body is required"},
		{"quantity 0", "POST", "/api/v1/orders", tok, order("quantity", 0), 422, "invalid", "body.quantity: expected number >= 1"},
		{"quantity -1", "POST", "/api/v1/orders", tok, order("quantity", -1), 422, "invalid", "body.quantity: expected number >= 1"},
		{"quantity 1.5", "POST", "/api/v1/orders", tok, order("quantity", 1.5), 422, "invalid", "body.quantity: expected integer"},
		{"quantity abc", "POST", "/api/v1/orders", tok, order("quantity", "abc"), 422, "invalid", "body.quantity: expected integer"},
		{"quantity huge", "POST", "/api/v1/orders", tok, order("quantity", 1000000000000), 422, "invalid", "body.quantity: expected number <= 1000000"},
		{"quantity missing", "POST", "/api/v1/orders", tok, order("quantity", nil), 422, "invalid", "expected required property quantity to be present"},
		{"bad side", "POST", "/api/v1/orders", tok, order("side", "HOLD"), 422, "invalid", "body.side: expected value to be one of"},
		{"unknown field", "POST", "/api/v1/orders", tok, order("limit_prise", "70000"), 422, "invalid", "body.limit_prise: unexpected property"},
		{"limit off grid", "POST", "/api/v1/orders", tok, order("limit_price", "70050"), 422, "invalid", "body.limit_price: 70050 is not on the tick grid (tick 100 won at this price); the nearest valid prices are 70000 and 70100"},
		{"limit above band", "POST", "/api/v1/orders", tok, order("limit_price", "95000"), 422, "invalid", "body.limit_price: 95000 is outside today's price band 49000–91000"},
		{"limit below band", "POST", "/api/v1/orders", tok, order("limit_price", "1000"), 422, "invalid", "the nearest valid price is 49000"},
		{"limit negative", "POST", "/api/v1/orders", tok, order("limit_price", "-5"), 422, "invalid", "body.limit_price: must be a positive amount written without a sign"},
		{"limit plus sign", "POST", "/api/v1/orders", tok, order("limit_price", "+70000"), 422, "invalid", `body.limit_price: must be a decimal number such as "70000"`},
		{"limit trailing point", "POST", "/api/v1/orders", tok, order("limit_price", "70000."), 422, "invalid", `body.limit_price: must be a decimal number such as "70000"`},
		{"limit absurd precision", "POST", "/api/v1/orders", tok, order("limit_price", "70000.0000000001"), 422, "invalid", "body.limit_price: must be a whole number of won on the tick grid"},
		{"limit exponent", "POST", "/api/v1/orders", tok, order("limit_price", "7e4"), 422, "invalid", `body.limit_price: must be a decimal number such as "70000" or "1234.5" (digits, at most one point between digits, no sign or exponent), got "7e4"`},
		{"limit abc", "POST", "/api/v1/orders", tok, order("limit_price", "abc"), 422, "invalid", "body.limit_price: must be a decimal number"},
		{"limit absurd length", "POST", "/api/v1/orders", tok, order("limit_price", strings.Repeat("9", 31)+".1"), 422, "invalid", "body.limit_price: is too long"},
		{"limit as number off grid", "POST", "/api/v1/orders", tok, order("limit_price", 70050), 422, "invalid", "body.limit_price: 70050 is not on the tick grid"},
		{"limit as number with exponent", "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY","type":"LIMIT","quantity":1,"limit_price":7e4}`, 422, "invalid", "body.limit_price: must be a positive amount written with digits and at most one point, such as 70000 or \"70000\" (no sign or exponent), got 7e4"},
		{"limit as negative number", "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY","type":"LIMIT","quantity":1,"limit_price":-70000}`, 422, "invalid", "body.limit_price: must be a positive amount"},
		{"limit as bool", "POST", "/api/v1/orders", tok, order("limit_price", true), 422, "invalid", "body.limit_price"},
		{"quantity 1.0", "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1.0}`, 422, "invalid", "body.quantity: must be a whole number written as an integer, such as 10, got 1.0"},
		{"time_in_force on MARKET", "POST", "/api/v1/orders", tok, order("type", "MARKET", "limit_price", nil, "time_in_force", "DAY"), 422, "invalid", "body.time_in_force: a MARKET order executes at once"},
		{"stop_price on LIMIT", "POST", "/api/v1/orders", tok, order("stop_price", "71000"), 422, "invalid", "body.stop_price: is only for STOP and STOP_LIMIT orders, not LIMIT"},
		{"stop_price on MARKET", "POST", "/api/v1/orders", tok, order("type", "MARKET", "limit_price", nil, "stop_price", "71000"), 422, "invalid", "body.stop_price: is only for STOP and STOP_LIMIT orders, not MARKET"},
		{"limit missing on STOP_LIMIT", "POST", "/api/v1/orders", tok, order("type", "STOP_LIMIT", "limit_price", nil, "stop_price", "71000"), 422, "invalid", "body.limit_price: is required for STOP_LIMIT orders"},
		{"limit on STOP", "POST", "/api/v1/orders", tok, order("type", "STOP", "stop_price", "71000"), 422, "invalid", "body.limit_price: must be omitted for STOP orders"},
		{"stop_price missing on STOP", "POST", "/api/v1/orders", tok, order("type", "STOP", "limit_price", nil), 422, "invalid", "body.stop_price: is required for STOP orders"},
		{"IOC on STOP", "POST", "/api/v1/orders", tok, order("type", "STOP", "limit_price", nil, "stop_price", "71000", "time_in_force", "IOC"), 422, "invalid", "body.time_in_force: STOP orders wait for their trigger: DAY or GTC"},
		{"FOK on STOP_LIMIT", "POST", "/api/v1/orders", tok, order("type", "STOP_LIMIT", "stop_price", "71000", "time_in_force", "FOK"), 422, "invalid", "body.time_in_force: STOP_LIMIT orders wait for their trigger"},
		{"quantity 0 on STOP", "POST", "/api/v1/orders", tok, order("type", "STOP", "limit_price", nil, "stop_price", "71000", "quantity", 0), 422, "invalid", "body.quantity: expected number >= 1"},
		{"stop off grid", "POST", "/api/v1/orders", tok, order("type", "STOP", "limit_price", nil, "stop_price", "71050"), 422, "invalid", "body.stop_price: 71050 is not on the tick grid (tick 100 won at this price); the nearest valid prices are 71000 and 71100"},
		{"stop above band", "POST", "/api/v1/orders", tok, order("type", "STOP", "limit_price", nil, "stop_price", "95000"), 422, "invalid", "body.stop_price: 95000 is outside today's price band"},
		{"stop already reached", "POST", "/api/v1/orders", tok, order("type", "STOP", "limit_price", nil, "stop_price", "69000"), 422, "invalid", "body.stop_price: a BUY stop must be above the last trade 70000"},
		{"sell stop already reached", "POST", "/api/v1/orders", tok, order("type", "STOP", "side", "SELL", "limit_price", nil, "stop_price", "70000"), 422, "invalid", "body.stop_price: a SELL stop must be below the last trade 70000"},
		{"bad type", "POST", "/api/v1/orders", tok, order("type", "TRAILING"), 422, "invalid", "body.type: expected value to be one of"},
		{"market past the band", "POST", "/api/v1/orders", tok, order("type", "MARKET", "limit_price", nil, "quantity", 1000000), 422, "invalid", "body.quantity: 1000000 shares would trade past today's price band (49000–91000): the book from 70100 holds 1000 shares per tick, so at most 210000 shares fit in one order now"},
		{"cursor garbled", "GET", "/api/v1/orders?cursor=zzz", tok, "", 422, "invalid", "query.cursor: is not a cursor of GET /orders"},
		{"cursor of another list", "GET", "/api/v1/transactions?cursor=" + ordersCursor, tok, "", 422, "invalid", "query.cursor: is not a cursor of GET /transactions"},
		{"cursor raw id", "GET", "/api/v1/payments?cursor=01a23271-84d3-747e-b296-3ca678dc5485", tok, "", 422, "invalid", "query.cursor: is not a cursor of GET /payments"},
		{"limit missing", "POST", "/api/v1/orders", tok, order("limit_price", nil), 422, "invalid", "body.limit_price: is required for LIMIT orders"},
		{"limit on market", "POST", "/api/v1/orders", tok, order("type", "MARKET"), 422, "invalid", "body.limit_price: must be omitted for MARKET orders"},
		{"unknown stock", "POST", "/api/v1/orders", tok, order("stock_code", "999999"), 422, "invalid", "body.stock_code: unknown or inactive stock code 999999"},
		{"malformed stock", "POST", "/api/v1/orders", tok, order("stock_code", "samsung"), 422, "invalid", "is not a six-character KRX code"},
		{"client_order_id too long", "POST", "/api/v1/orders", tok, order("client_order_id", strings.Repeat("x", 65)), 422, "invalid", "body.client_order_id: expected length <= 64"},
		{"buy more than cash", "POST", "/api/v1/orders", tok, order("quantity", 200), 422, "insufficient_funds", "only 9519429 won is available"},
		{"sell more than held", "POST", "/api/v1/orders", tok, order("side", "SELL", "quantity", 6), 422, "insufficient_quantity", "cannot sell 6 shares of 005930: only 5 are available"},
		{"market sell more than held", "POST", "/api/v1/orders", tok, order("side", "SELL", "type", "MARKET", "limit_price", nil, "quantity", 6), 422, "insufficient_quantity", "only 5 are available"},
		{"sell unheld", "POST", "/api/v1/orders", tok, order("side", "SELL", "stock_code", "000660", "limit_price", "180000"), 422, "insufficient_quantity", "body.quantity: you hold no shares of 000660 to sell"},
		{"missing token", "POST", "/api/v1/orders", "", order(), 401, "unauthorized", "missing access token"},
		{"expired token", "POST", "/api/v1/orders", expired, order(), 401, "unauthorized", "the access token expired at"},
		{"tampered token", "POST", "/api/v1/orders", tampered, order(), 401, "unauthorized", "bad signature"},
		{"garbage token", "POST", "/api/v1/balance/deposit", "garbage", `{"amount":"100"}`, 401, "unauthorized", "malformed"},
		{"withdraw more than available", "POST", "/api/v1/balance/withdraw", tok, `{"amount":"9519430"}`, 422, "insufficient_funds", "cannot withdraw 9519430 won: only 9519429 won is available"},
		{"withdraw abc", "POST", "/api/v1/balance/withdraw", tok, `{"amount":"abc"}`, 422, "invalid", `body.amount: must be a decimal number such as "70000" or "1234.5"`},
		{"withdraw negative", "POST", "/api/v1/balance/withdraw", tok, `{"amount":"-5"}`, 422, "invalid", "body.amount: must be a positive amount written without a sign"},
		{"deposit plus sign", "POST", "/api/v1/balance/deposit", tok, `{"amount":"+1000"}`, 422, "invalid", `body.amount: must be a decimal number such as "70000"`},
		{"deposit trailing point", "POST", "/api/v1/balance/deposit", tok, `{"amount":"1000."}`, 422, "invalid", `body.amount: must be a decimal number such as "70000"`},
		{"deposit duplicate key", "POST", "/api/v1/balance/deposit", tok, `{"amount":"1000","amount":"2000"}`, 422, "invalid", `field amount appears more than once`},
		{"deposit wrong case", "POST", "/api/v1/balance/deposit", tok, `{"Amount":"1000"}`, 422, "invalid", `"Amount" is not a field of this request`},
		{"deposit unknown field", "POST", "/api/v1/balance/deposit", tok, `{"amount":"1000","memo":"x"}`, 422, "invalid", `body.memo: unexpected property`},
		{"order NUL", "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1,"client_order_id":"a\u0000b"}`, 422, "invalid", `NUL character`},
		{"order invalid UTF-8", "POST", "/api/v1/orders", tok, "{\"stock_code\":\"005930\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":1,\"client_order_id\":\"a\xffb\"}", 422, "invalid", `field client_order_id is not valid UTF-8`},
		{"cursor NUL", "GET", "/api/v1/orders?cursor=%00", tok, "", 422, "invalid", `query.cursor: must be UTF-8 text without NUL characters`},
		{"cursor invalid UTF-8", "GET", "/api/v1/transactions?cursor=%ff", tok, "", 422, "invalid", `query.cursor: must be UTF-8 text without NUL characters`},
		{"path NUL", "GET", "/api/v1/orders/a%00b", tok, "", 422, "invalid", `path: the path must be UTF-8 text without NUL characters`},
		{"quantity as float", "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1.5}`, 422, "invalid", `quantity`},
		{"deposit fraction", "POST", "/api/v1/balance/deposit", tok, `{"amount":"100.5"}`, 422, "invalid", "body.amount: must be a whole number of won"},
		{"deposit exponent", "POST", "/api/v1/balance/deposit", tok, `{"amount":"1e5"}`, 422, "invalid", "body.amount: must be a decimal number"},
		{"deposit absurd length", "POST", "/api/v1/balance/deposit", tok, `{"amount":"` + strings.Repeat("1", 40) + `"}`, 422, "invalid", "body.amount: is too long (at most 32 characters)"},
		{"deposit too much", "POST", "/api/v1/balance/deposit", tok, `{"amount":"1000000000001"}`, 422, "invalid", "body.amount: must be at most 1000000000000 won"},
		{"deposit empty", "POST", "/api/v1/balance/deposit", tok, `{"amount":""}`, 422, "invalid", "body.amount: is required"},
		{"deposit number with exponent", "POST", "/api/v1/balance/deposit", tok, `{"amount":1e5}`, 422, "invalid", "body.amount: must be a positive amount written with digits"},
		{"deposit number fraction", "POST", "/api/v1/balance/deposit", tok, `{"amount":100.5}`, 422, "invalid", "body.amount: must be a whole number of won"},
		{"deposit null", "POST", "/api/v1/balance/deposit", tok, `{"amount":null}`, 422, "invalid", "body.amount"},
		{"body too large", "POST", "/api/v1/balance/deposit", tok, `{"amount":"1","pad":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large", "the request body is too large"},
		{"cancel unknown", "POST", "/api/v1/orders/does-not-exist/cancel", tok, "", 404, "not_found", "no order does-not-exist"},
		{"bad list filter", "GET", "/api/v1/orders?status=DONE", tok, "", 422, "invalid", "query.status: expected value to be one of"},
		{"bad limit", "GET", "/api/v1/transactions?limit=0", tok, "", 422, "invalid", "query.limit: expected number >= 1"},
		{"bad time", "GET", "/api/v1/transactions?from=yesterday", tok, "", 422, "invalid", "query.from"},
		{"user on admin route", "PUT", "/api/v1/admin/stocks/005930/price", tok, `{"price":"10"}`, 403, "forbidden", "is for administrators"},
	}

	before := e.snapshot(tok)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := e.do(c.method, c.path, c.token, body)
			assertProblem(t, r, c.status, c.code, c.detail)
		})
	}
	if after := e.snapshot(tok); after != before {
		t.Fatalf("bad requests changed state:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot is the user's balance, orders and ledger as the API shows them.
func (e *env) snapshot(tok string) string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"/api/v1/balance", "/api/v1/orders?limit=200", "/api/v1/transactions?limit=200", "/api/v1/portfolio"} {
		b.Write(e.must(http.StatusOK, "GET", p, tok, nil).Raw)
	}
	return b.String()
}

func TestAdmin(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("user@example.com")
	admin := e.admin()
	body := map[string]any{"name": "NAVER", "name_en": "NAVER", "market": "KOSPI", "price": "200000", "prev_close": "200000"}
	assertProblem(t, e.must(http.StatusForbidden, "PUT", "/api/v1/admin/stocks/035420", tok, body), 403, "forbidden", "is for administrators")
	assertProblem(t, e.must(http.StatusForbidden, "PUT", "/api/v1/admin/stocks/005930/price", tok, map[string]any{"price": "70100"}), 403, "forbidden", "is for administrators")
	assertProblem(t, e.must(http.StatusUnauthorized, "PUT", "/api/v1/admin/stocks/035420", "", body), 401, "unauthorized", "missing access token")

	r := e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035420", admin, body)
	if str(r.Body, "data.code") != "035420" || str(r.Body, "data.upper_limit") != "260000" || get(r.Body, "data.active") != true {
		t.Fatalf("upsert: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/035420", admin, map[string]any{"active": false})
	if get(r.Body, "data.active") != false || str(r.Body, "data.name") != "NAVER" {
		t.Fatalf("partial update: %s", r.Raw)
	}
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "PUT", "/api/v1/admin/stocks/111111", admin, map[string]any{"name": "X"}), 422, "invalid", "body.price: is required for a new listing")
	assertProblem(t, e.must(http.StatusNotFound, "PUT", "/api/v1/admin/stocks/111111/price", admin, map[string]any{"price": "1000"}), 404, "not_found", "no listing 111111")
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "100000"}), 422, "invalid", "outside today's band")
}

func TestOps(t *testing.T) {
	e := newEnv(t)
	r := e.must(http.StatusOK, "GET", "/healthz", "", nil)
	if str(r.Body, "status") != "ok" {
		t.Fatalf("healthz: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/readyz", "", nil)
	if str(r.Body, "status") != "ok" || str(r.Body, "checks.database.status") != "ok" {
		t.Fatalf("readyz: %s", r.Raw)
	}

	var logs bytes.Buffer
	failing := newEnv(t, func(o *httpapi.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.Checks = map[string]func(context.Context) error{
			"database": func(context.Context) error { return nil },
			"temporal": func(context.Context) error { return errors.New("dial tcp 127.0.0.1:7233: connection refused") },
		}
	})
	r = failing.must(http.StatusServiceUnavailable, "GET", "/readyz", "", nil)
	if str(r.Body, "status") != "unavailable" || str(r.Body, "checks.database.status") != "ok" ||
		str(r.Body, "checks.temporal.status") != "failing" {
		t.Fatalf("readyz failing: %s", r.Raw)
	}
	// Anyone may read /readyz: the cause, which can name hosts and users,
	// goes to the log only.
	if bytes.Contains(r.Raw, []byte("127.0.0.1")) || bytes.Contains(r.Raw, []byte("refused")) {
		t.Fatalf("readyz shows the cause: %s", r.Raw)
	}
	if !strings.Contains(logs.String(), "connection refused") || !strings.Contains(logs.String(), "check=temporal") {
		t.Fatalf("the failing check was not logged: %s", logs.String())
	}

	// Traffic for the metrics, including an id in a path.
	tok := e.signup("metrics@example.com")
	e.must(http.StatusNotFound, "GET", "/api/v1/orders/0190c0de-0000-7000-8000-000000000001", tok, nil)
	e.must(http.StatusNotFound, "GET", "/no/such/route", "", nil)
	m := e.must(http.StatusOK, "GET", "/metrics", "", nil)
	text := string(m.Raw)
	for _, want := range []string{
		"stocking_http_requests_total", "stocking_http_request_duration_seconds_bucket", "stocking_http_requests_in_flight",
		`route="/api/v1/orders/{id}"`, `route="/api/v1/auth/signup",status="201"`, `route="unmatched"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "0190c0de") {
		t.Error("/metrics labels a raw path")
	}

	r = e.must(http.StatusOK, "GET", "/openapi.json", "", nil)
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type, Scheme string
			} `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Components.SecuritySchemes["bearer"].Scheme != "bearer" {
		t.Fatalf("openapi.json: version %q, schemes %+v", doc.OpenAPI, doc.Components.SecuritySchemes)
	}
	if len(doc.Paths["/api/v1/orders"]["post"].Security) == 0 || len(doc.Paths["/api/v1/stocks"]["get"].Security) != 0 {
		t.Errorf("security requirements: orders %v, stocks %v", doc.Paths["/api/v1/orders"]["post"].Security, doc.Paths["/api/v1/stocks"]["get"].Security)
	}
	offline, err := httpapi.OpenAPI(httpapi.Options{})
	if err != nil || !json.Valid(offline) || !bytes.Contains(offline, []byte(`"/api/v1/orders/{id}/cancel"`)) {
		t.Fatalf("OpenAPI(): %v", err)
	}

	r = e.must(http.StatusOK, "GET", "/docs", "", nil)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !bytes.Contains(r.Raw, []byte("swagger-ui")) || !bytes.Contains(r.Raw, []byte("/openapi.json")) {
		t.Fatalf("docs: %s %s", r.Header.Get("Content-Type"), r.Raw)
	}

	assertProblem(t, e.must(http.StatusMethodNotAllowed, "DELETE", "/api/v1/orders", tok, nil), 405, "method_not_allowed", "DELETE is not allowed")
}

// TestInternalErrorsAreLoggedNotShown breaks the database under the
// service and checks the client gets a generic 500 while the log gets the
// cause.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(o *httpapi.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	tok := e.signup("broken@example.com")
	e.store.Close()
	r := e.do("GET", "/api/v1/balance", tok, nil)
	assertProblem(t, r, http.StatusInternalServerError, "internal", "an unexpected error occurred")
	inst := str(r.Body, "instance")
	if !strings.HasPrefix(inst, "urn:stocking:error:") {
		t.Fatalf("no instance: %s", r.Raw)
	}
	if bytes.Contains(r.Raw, []byte("sql")) || bytes.Contains(r.Raw, []byte("closed")) {
		t.Fatalf("the cause leaked: %s", r.Raw)
	}
	if !strings.Contains(logs.String(), inst) || !strings.Contains(logs.String(), "closed") {
		t.Fatalf("the cause was not logged with the instance: %s", logs.String())
	}
}

// TestMount checks that routes added by cmd share the error handling and
// the bearer scheme.
func TestMount(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) {
		o.Mount = func(r chi.Router, api huma.API) {
			r.Get("/dev/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
			huma.Register(api, huma.Operation{
				OperationID: "whoami", Method: http.MethodGet, Path: "/api/v1/whoami",
				Security: []map[string][]string{{httpapi.SecurityScheme: {}}},
			}, func(ctx context.Context, _ *struct{}) (*struct{ Body map[string]string }, error) {
				c, _ := httpapi.Claims(ctx)
				return &struct{ Body map[string]string }{map[string]string{"user_id": c.UserID}}, nil
			})
			huma.Register(api, huma.Operation{
				OperationID: "mounted-error", Method: http.MethodGet, Path: "/api/v1/mounted-error",
			}, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
				return nil, httpapi.ProblemFor(domain.Errorf(domain.CodeMarketClosed, "the market is closed"))
			})
			huma.Register(api, huma.Operation{
				OperationID: "mounted-outage", Method: http.MethodGet, Path: "/api/v1/mounted-outage",
			}, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
				return nil, httpapi.ProblemFor(fmt.Errorf("postgres: lock account: %w: %w", domain.ErrUnavailable, errors.New("dial tcp 10.0.0.5:5432: connect: connection refused")))
			})
		}
	})
	assertProblem(t, e.do("GET", "/dev/panic", "", nil), 500, "internal", "an unexpected error occurred")
	assertProblem(t, e.do("GET", "/api/v1/whoami", "", nil), 401, "unauthorized", "missing access token")
	tok := e.signup("mount@example.com")
	r := e.must(http.StatusOK, "GET", "/api/v1/whoami", tok, nil)
	if str(r.Body, "user_id") == "" {
		t.Fatalf("whoami: %s", r.Raw)
	}
	assertProblem(t, e.do("GET", "/api/v1/mounted-error", "", nil), 409, "market_closed", "the market is closed")

	// An unreachable dependency is a 503 that says when to come back, and
	// shows nothing of the cause.
	r = e.do("GET", "/api/v1/mounted-outage", "", nil)
	assertProblem(t, r, 503, "unavailable", "temporarily unavailable; try again")
	if r.Header.Get("Retry-After") == "" || bytes.Contains(r.Raw, []byte("10.0.0.5")) {
		t.Fatalf("outage answer: %v %s", r.Header, r.Raw)
	}
}

// TestUnavailableIsLoggedOncePerInterval checks that an outage's flood of
// 503 answers makes one log line per interval, through the process's
// throttled handler, not one per request.
func TestUnavailableIsLoggedOncePerInterval(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(o *httpapi.Options) {
		o.Logger = slog.New(system.NewThrottledHandler(slog.NewTextHandler(&logs, nil), time.Minute))
		o.Mount = func(_ chi.Router, api huma.API) {
			huma.Register(api, huma.Operation{
				OperationID: "mounted-outage", Method: http.MethodGet, Path: "/api/v1/mounted-outage",
			}, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
				return nil, httpapi.ProblemFor(fmt.Errorf("lock account: %w: %w", domain.ErrUnavailable, errors.New("connection refused")))
			})
		}
	})
	for range 200 {
		assertProblem(t, e.do("GET", "/api/v1/mounted-outage", "", nil), 503, "unavailable", "try again")
	}
	if n := strings.Count(logs.String(), "answering 503"); n != 1 {
		t.Fatalf("%d log lines for 200 answers:\n%s", n, logs.String())
	}
}

// TestTokenOfAMissingUser checks that a validly signed token whose user
// does not exist (deleted since, or never there) is refused, not answered
// with someone's empty data.
func TestTokenOfAMissingUser(t *testing.T) {
	e := newEnv(t)
	tokens, err := auth.NewJWT(e.secret, 15*time.Minute, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	ghost, err := tokens.Issue(domain.User{ID: "0190c0de-0000-7000-8000-00000000dead", Role: domain.RoleUser}, ports.SessionRef{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/balance", "/api/v1/users/me", "/api/v1/orders", "/api/v1/portfolio"} {
		assertProblem(t, e.do("GET", path, ghost.AccessToken, nil), 401, "unauthorized", "no longer exists")
	}
}

// assertProblem checks an RFC 9457 answer: status, content type, code and
// a detail that says what to fix.
func assertProblem(t testing.TB, r resp, status int, code, detail string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q: %s", ct, r.Raw)
	}
	if got := num(r.Body, "status"); int(got) != status {
		t.Errorf("status field %v: %s", got, r.Raw)
	}
	if str(r.Body, "type") == "" || str(r.Body, "title") == "" {
		t.Errorf("type and title are required: %s", r.Raw)
	}
	if got := str(r.Body, "code"); got != code {
		t.Errorf("code %q, want %q: %s", got, code, r.Raw)
	}
	if got := str(r.Body, "detail"); !strings.Contains(got, detail) {
		t.Errorf("detail %q does not contain %q", got, detail)
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %v", r.Header)
	}
}

// TestAccounts checks the account list and that account_id selects an
// account of the caller's only.
func TestAccounts(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("accounts@example.com")
	other := e.signup("other-accounts@example.com")
	r := e.must(http.StatusOK, "GET", "/api/v1/accounts", tok, nil)
	list, _ := r.Body["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("accounts: %s", r.Raw)
	}
	me := list[0].(map[string]any)
	if me["kind"] != "PERSONAL" || me["contest_id"] != nil || me["cash"] != "10000000" || me["equity"] != "10000000" {
		t.Fatalf("personal account: %v", me)
	}
	id := me["id"].(string)
	// Naming one's own personal account is the same as naming none.
	b := e.must(http.StatusOK, "GET", "/api/v1/balance?account_id="+id, tok, nil)
	if str(b.Body, "data.cash") != "10000000" {
		t.Fatalf("balance of the named account: %s", b.Raw)
	}
	// Another user's account is not found, for reads and writes alike,
	// and nothing changes.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/balance?account_id=" + id, ""},
		{"GET", "/api/v1/portfolio?account_id=" + id, ""},
		{"GET", "/api/v1/orders?account_id=" + id, ""},
		{"GET", "/api/v1/transactions?account_id=" + id, ""},
		{"GET", "/api/v1/analytics/summary?account_id=" + id, ""},
		{"POST", "/api/v1/balance/deposit", `{"amount":"1000","account_id":"` + id + `"}`},
		{"POST", "/api/v1/orders", `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1,"account_id":"` + id + `"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		assertProblem(t, e.do(c.method, c.path, other, body), 404, "not_found", "no account "+id)
	}
	if got := str(e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil).Body, "data.cash"); got != "10000000" {
		t.Fatalf("another user's requests changed the balance: %s", got)
	}
}
