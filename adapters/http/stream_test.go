package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
)

func TestStreamRefusals(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("refused@example.com")
	other := e.signup("other@example.com")
	otherID := str(e.must(http.StatusOK, "GET", "/api/v1/users/me", other, nil).Body, "data.id")

	assertProblem(t, e.must(http.StatusUnauthorized, "GET", "/api/v1/stream", "", nil), 401, "unauthorized", "send an Authorization: Bearer header, or a ticket")
	assertProblem(t, e.must(http.StatusUnauthorized, "GET", "/api/v1/stream?ticket=nonsense", "", nil), 401, "unauthorized", "query.ticket: is not a valid stream ticket")
	assertProblem(t, e.must(http.StatusNotFound, "GET", "/api/v1/stream?account_id="+otherID, tok, nil), 404, "not_found", "no account")
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "GET", "/api/v1/stream?codes=samsung", tok, nil), 422, "invalid", "query.codes")
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "GET", "/api/v1/stream?last_event_id=yesterday", tok, nil), 422, "invalid", "last_event_id")
	r := e.must(http.StatusOK, "POST", "/api/v1/stream/ticket", tok, nil)
	if !strings.Contains(str(r.Body, "data.ticket"), ".") || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("ticket: %s %v", r.Raw, r.Header)
	}
	e.must(http.StatusOK, "POST", "/api/v1/stream/tickets", tok, nil)
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/stream/ticket", "", nil), 401, "unauthorized", "")
}

func TestStreamHeartbeatAndEvents(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.StreamHeartbeat = 50 * time.Millisecond })
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	tok := e.signup("beat@example.com")
	ticket := str(e.must(http.StatusOK, "POST", "/api/v1/stream/ticket", tok, nil).Body, "data.ticket")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/stream?codes=005930&ticket="+ticket, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Request-ID") == "" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	sc := bufio.NewScanner(resp.Body)
	wait := func(what string, match func(string) bool) {
		t.Helper()
		for sc.Scan() {
			if match(sc.Text()) {
				return
			}
		}
		t.Fatalf("the stream ended before %s: %v", what, sc.Err())
	}
	wait("a heartbeat", func(l string) bool { return l == ": heartbeat" })
	// The ticket is used up.
	assertProblem(t, e.must(http.StatusUnauthorized, "GET", "/api/v1/stream?ticket="+ticket, "", nil), 401, "unauthorized", "was used or expired")

	e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1})
	wait("the order event", func(l string) bool { return l == "event: order" })
	wait("its data", func(l string) bool {
		return strings.HasPrefix(l, "data: {") && strings.Contains(l, `"status":"FILLED"`)
	})
	wait("the balance event", func(l string) bool { return l == "event: balance" })

	// A deposit alone changes no order; the balance still follows.
	e.must(http.StatusOK, "POST", "/api/v1/balance/deposit", tok, map[string]any{"amount": "12345"})
	cash := str(e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil).Body, "data.cash")
	wait("the deposit's balance event", func(l string) bool { return l == "event: balance" })
	wait("the balance after the deposit", func(l string) bool {
		return strings.HasPrefix(l, "data: {") && strings.Contains(l, `"cash":"`+cash+`"`)
	})
}
