package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

func TestTickWithVolumeAndQuotes(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	r := e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil)
	if get(r.Body, "data.bid") != nil || get(r.Body, "data.ask") != nil {
		t.Fatalf("a listing without quotes shows null bid and ask: %s", r.Raw)
	}
	before := get(r.Body, "data.volume").(float64)

	r = e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/005930/price", admin,
		map[string]any{"price": "70100", "volume": 250, "bid": "70000", "ask": "70100"})
	if str(r.Body, "data.stock.bid") != "70000" || str(r.Body, "data.stock.ask") != "70100" || get(r.Body, "data.stock.volume") != before+250 {
		t.Fatalf("tick with quotes: %s", r.Raw)
	}
	// Without a volume the trade counts MARKET_DEPTH shares (1,000 by
	// default); without quotes the listing shows none.
	r = e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "70200"})
	if get(r.Body, "data.stock.volume") != before+1250 || get(r.Body, "data.stock.bid") != nil {
		t.Fatalf("tick without volume: %s", r.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil)
	if str(r.Body, "data.price") != "70200" || get(r.Body, "data.volume") != before+1250 {
		t.Fatalf("listing after ticks: %s", r.Raw)
	}

	snap := string(e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil).Raw)
	for _, c := range []struct {
		name   string
		body   map[string]any
		detail string
	}{
		{"negative volume", map[string]any{"price": "70100", "volume": -1}, "volume"},
		{"bid off the grid", map[string]any{"price": "70100", "bid": "70050"}, "body.bid: 70050 is not a positive price on the KRX tick grid"},
		{"crossed quotes", map[string]any{"price": "70100", "bid": "70200", "ask": "70100"}, "body.bid: 70200 is above the ask 70100"},
		{"ask not a number", map[string]any{"price": "70100", "ask": "x"}, "ask"},
	} {
		assertProblem(t, e.must(http.StatusUnprocessableEntity, "PUT", "/api/v1/admin/stocks/005930/price", admin, c.body), 422, "invalid", c.detail)
	}
	if got := string(e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil).Raw); got != snap {
		t.Fatalf("refused ticks changed the listing:\n%s\n%s", snap, got)
	}
}

func TestBars(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Two minutes of trades yesterday (Seoul) and one today.
	now := time.Now()
	y := domain.BarStart(now, domain.Daily).AddDate(0, 0, -1).Add(10 * time.Hour)
	p := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	trades := []domain.Trade{
		{Code: "005930", At: y, Price: p("70000"), Volume: 10},
		{Code: "005930", At: y.Add(10 * time.Second), Price: p("70300"), Volume: 5},
		{Code: "005930", At: y.Add(20 * time.Second), Price: p("69900"), Volume: 1},
		{Code: "005930", At: y.Add(70 * time.Second), Price: p("70100"), Volume: 2},
		{Code: "005930", At: now.Add(-time.Second), Price: p("70200"), Volume: 7},
	}
	if err := e.svc.Market.ApplyTrades(ctx, trades); err != nil {
		t.Fatal(err)
	}
	from := y.Format(time.RFC3339)
	r := e.must(http.StatusOK, "GET", "/api/v1/stocks/005930/bars?interval=1m&from="+url.QueryEscape(from)+"&to="+url.QueryEscape(y.Add(2*time.Minute).Format(time.RFC3339)), "", nil)
	bars := get(r.Body, "data").([]any)
	if len(bars) != 2 {
		t.Fatalf("minute bars: %s", r.Raw)
	}
	b0 := bars[0].(map[string]any)
	if b0["open"] != "70000" || b0["high"] != "70300" || b0["low"] != "69900" || b0["close"] != "69900" || b0["volume"] != 16.0 {
		t.Fatalf("first minute: %s", r.Raw)
	}
	// Yesterday's daily bar is folded from the tape until the market day
	// stores it; storing it changes nothing visible.
	yday := domain.SeoulDate(y)
	path := "/api/v1/stocks/005930/bars?interval=1d&from=" + yday
	before := e.must(http.StatusOK, "GET", path, "", nil)
	if n, err := e.svc.Market.DailyBarsOf(ctx, yday); err != nil || n != 1 {
		t.Fatalf("DailyBarsOf: %d, %v", n, err)
	}
	after := e.must(http.StatusOK, "GET", path, "", nil)
	days := get(after.Body, "data").([]any)
	if string(before.Raw) != string(after.Raw) || len(days) != 2 {
		t.Fatalf("daily bars before and after storing:\n%s\n%s", before.Raw, after.Raw)
	}
	if d0 := days[0].(map[string]any); d0["open"] != "70000" || d0["close"] != "70100" || d0["volume"] != 18.0 || d0["high"] != "70300" {
		t.Fatalf("yesterday: %s", after.Raw)
	}

	for _, c := range []struct{ query, detail string }{
		{"interval=5m", "interval"},
		{"interval=1m&from=2026-03-03&to=2026-03-02", "must be before to"},
		{"interval=1m&from=2026-01-01&to=2026-03-01", "1m bars reach at most 7 days back"},
		{"interval=1d&from=yesterday", "is neither an RFC 3339 time nor a YYYY-MM-DD date"},
	} {
		assertProblem(t, e.must(http.StatusUnprocessableEntity, "GET", "/api/v1/stocks/005930/bars?"+c.query, "", nil), 422, "invalid", c.detail)
	}
	assertProblem(t, e.must(http.StatusNotFound, "GET", "/api/v1/stocks/999999/bars", "", nil), 404, "not_found", "no listing 999999")
}

func TestRoll(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "80000", "volume": 10})
	assertProblem(t, e.must(http.StatusForbidden, "POST", "/api/v1/admin/market/roll", e.signup("u@example.com"), nil), 403, "forbidden", "is for administrators")

	r := e.must(http.StatusOK, "POST", "/api/v1/admin/market/roll", admin, nil)
	if get(r.Body, "data.rolled") != true || str(r.Body, "data.date") != domain.SeoulDate(time.Now()) {
		t.Fatalf("first roll: %s", r.Raw)
	}
	st := e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil)
	if str(st.Body, "data.prev_close") != "80000" || str(st.Body, "data.upper_limit") != "104000" || get(st.Body, "data.volume") != 0.0 {
		t.Fatalf("after the roll the band moves and the volume starts over: %s", st.Raw)
	}
	// Once per date: a second roll changes nothing, unless forced.
	e.must(http.StatusOK, "PUT", "/api/v1/admin/stocks/005930/price", admin, map[string]any{"price": "81000"})
	if r := e.must(http.StatusOK, "POST", "/api/v1/admin/market/roll", admin, map[string]any{}); get(r.Body, "data.rolled") != false {
		t.Fatalf("second roll: %s", r.Raw)
	}
	if st := e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil); str(st.Body, "data.prev_close") != "80000" {
		t.Fatalf("an unforced second roll moved the band: %s", st.Raw)
	}
	if r := e.must(http.StatusOK, "POST", "/api/v1/admin/market/roll", admin, map[string]any{"force": true}); get(r.Body, "data.rolled") != true {
		t.Fatalf("forced roll: %s", r.Raw)
	}
	if st := e.must(http.StatusOK, "GET", "/api/v1/stocks/005930", "", nil); str(st.Body, "data.prev_close") != "81000" {
		t.Fatalf("a forced roll: %s", st.Raw)
	}
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/admin/market/roll", admin, map[string]any{"force": "yes"}), 422, "invalid", "force")
}
