package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID, Event string
	Data      map[string]any
}

// openStream connects to GET /api/v1/stream with query (ticket=...,
// codes=...) and the headers, and delivers its events on the channel
// until the test ends.
func openStream(t *testing.T, base, query string, header map[string]string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/stream?"+query, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.Data)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return out
}

// next waits for an event that matches.
func next(t *testing.T, ch <-chan sseEvent, what string, match func(sseEvent) bool) sseEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("the stream ended before %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within 10 s", what)
		}
	}
}

func orderEvent(id, status string) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		return ev.Event == "order" && ev.Data["id"] == id && ev.Data["status"] == status
	}
}

// streamAcrossProcesses runs two API processes on one database: a stream
// on A sees what is done through B.
func streamAcrossProcesses(t *testing.T, uri string) {
	a, _ := startMain(t, map[string]string{"DATABASE_URI": uri})
	b, _ := startMainWith(t, testEnv(t, map[string]string{"DATABASE_URI": uri}), Options{API: true})

	adm := admin(t, b)
	adm.must(200, "PUT", "/admin/stocks/005930", map[string]any{"price": "70000", "prev_close": "70000"})
	u := signup(t, b, "streamer@example.com")
	// A ticket from B opens a stream on A.
	ticket := u.must(200, "POST", "/stream/ticket", map[string]any{})["ticket"].(string)
	events := openStream(t, a.URL(), "ticket="+ticket+"&codes=005930", nil)
	// A ticket works once.
	if st, _ := (&apiClient{t: t, base: a.URL() + "/api/v1"}).do("GET", "/stream?ticket="+ticket, nil); st != 401 {
		t.Errorf("a used ticket: %d, want 401", st)
	}

	buy := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1})
	next(t, events, "the market buy placed through B", orderEvent(buy["id"].(string), "FILLED"))
	next(t, events, "the balance after it", func(ev sseEvent) bool { return ev.Event == "balance" && ev.Data["cash"] != "10000000" })

	limit := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 2, "limit_price": 69000})
	first := next(t, events, "the resting limit order", orderEvent(limit["id"].(string), "PENDING"))
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "69000"})
	// The quote and the fill, in either order.
	var quoted, filled bool
	next(t, events, "the quote of the tick and the fill of the limit order", func(ev sseEvent) bool {
		quoted = quoted || ev.Event == "quote" && ev.Data["code"] == "005930" && ev.Data["price"] == "69000"
		filled = filled || ev.Event == "order" && ev.Data["id"] == limit["id"] && ev.Data["filled_quantity"] == 2.0
		return quoted && filled
	})

	// Reconnecting with Last-Event-ID replays what was missed: here,
	// everything after the resting order was first seen.
	again := openStream(t, a.URL(), "", map[string]string{"Authorization": "Bearer " + u.token, "Last-Event-ID": first.ID})
	next(t, again, "the replayed fill", func(ev sseEvent) bool {
		return ev.Event == "order" && ev.Data["id"] == limit["id"] && ev.Data["filled_quantity"] == 2.0
	})
}

func TestStreamAcrossProcessesSQLite(t *testing.T) {
	streamAcrossProcesses(t, "sqlite:///"+filepath.Join(t.TempDir(), "shared.db"))
}

func TestStreamAcrossProcessesPostgres(t *testing.T) {
	u, name := freshPostgresDatabase(t)
	via := *u
	via.Path = "/" + name
	streamAcrossProcesses(t, via.String())
}
