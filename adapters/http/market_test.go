package httpapi_test

import (
	"net/http"
	"testing"
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
