package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
)

// TestKISMarketData runs the real Main with MARKET_DATA=kis against the
// fake KIS over real sockets: trades published on the fake reach the
// listing's price through the WebSocket feed, and a resting order they
// cross fills.
func TestKISMarketData(t *testing.T) {
	fake := kisfake.New(kisfake.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); srv.Close() })
	addr := strings.TrimPrefix(srv.URL, "http://")
	m, _ := startMainWith(t, testEnv(t, map[string]string{
		"MARKET_DATA": "kis", "KIS_APP_KEY": "key", "KIS_APP_SECRET": "secret",
		"KIS_API_BASE": srv.URL, "KIS_WS_URL": "ws://" + addr + "/tryitout",
		"MARKET_DATA_CODES": "005930,000660",
	}), Options{Migrate: true, Seed: true, API: true, Feed: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := fake.Wait(ctx, func() bool { return fake.Subscribed("005930", "000660") }); err != nil {
		t.Fatalf("the feed did not subscribe: %v (subscriptions %v)", err, fake.Subscriptions())
	}

	u := signup(t, m, "kis@example.com")
	st := u.must(200, "GET", "/stocks/005930", nil)
	limit := dec(t, st["price"]).Sub(dec(t, st["tick_size"]))
	o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 3, "limit_price": limit.String(), "time_in_force": "GTC"})
	if o["status"] != "PENDING" {
		t.Fatalf("order %v", o)
	}

	body := `[{"code":"005930","price":"` + limit.String() + `","volume":500,"bid":"` + limit.String() + `","ask":"` + limit.Add(dec(t, st["tick_size"])).String() + `"}]`
	resp, err := http.Post(srv.URL+"/__trades", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("publishing a trade: %s", resp.Status)
	}
	waitFor(t, "the trade to reach the listing and fill the order", 10*time.Second, func() bool {
		s := u.must(200, "GET", "/stocks/005930", nil)
		got := u.must(200, "GET", "/orders/"+o["id"].(string), nil)
		return dec(t, s["price"]).Equal(limit) && got["status"] == "FILLED"
	})
	audit(t, m)
}
