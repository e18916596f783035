package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// BenchmarkPlaceOrder measures what the HTTP layer adds to placing an
// order. Each iteration places one market order by calling the service
// directly and one through the handler (router, metrics, bearer check,
// decoding, validation, service, encoding), over the same SQLite store;
// interleaving the two keeps load from other processes from favouring
// either side. It reports the time of each path per order and their
// difference. Buys and sells of one share alternate on both paths so the
// position stays bounded.
func BenchmarkPlaceOrder(b *testing.B) {
	e := newEnv(b)
	tok := e.signup("bench@example.com")
	ctx := context.Background()
	uid := str(e.must(http.StatusOK, "GET", "/api/v1/users/me", tok, nil).Body, "data.id")
	if _, err := e.svc.Accounts.Deposit(ctx, service.Personal(uid), decimal.NewFromInt(1_000_000_000_000)); err != nil {
		b.Fatal(err)
	}
	e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1}`)

	direct := [2]domain.OrderRequest{
		{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 1},
		{StockCode: "005930", Side: domain.Sell, Type: domain.MarketOrder, Quantity: 1},
	}
	bodies := [2]string{
		`{"stock_code":"005930","side":"SELL","type":"MARKET","quantity":1}`,
		`{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1}`,
	}
	auth := "Bearer " + tok
	var viaService, viaHTTP time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := e.svc.Orders.Place(ctx, service.Personal(uid), direct[i%2]); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/orders", strings.NewReader(bodies[i%2]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		viaHTTP += time.Since(t1)
		viaService += t1.Sub(t0)
		i++
	}
	n := float64(i)
	b.ReportMetric(float64(viaService.Nanoseconds())/n, "service-ns/order")
	b.ReportMetric(float64(viaHTTP.Nanoseconds())/n, "http-ns/order")
	b.ReportMetric(float64((viaHTTP-viaService).Nanoseconds())/n, "overhead-ns/order")
}

// BenchmarkRejectedOrder is POST /orders failing Huma's validation: the
// HTTP layer alone (router, metrics, JWT check, decoding, validation,
// problem encoding) with no database work.
func BenchmarkRejectedOrder(b *testing.B) {
	e := newEnv(b)
	tok := e.signup("bench@example.com")
	auth := "Bearer " + tok
	body := `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":0}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/orders", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusUnprocessableEntity {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHealthz is the floor: router and metrics middleware around a
// Huma operation that does nothing.
func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkPlaceOrderParallel is POST /orders from many users at once, the
// shape of real load; orders/s is the throughput of the whole stack on
// this machine.
func BenchmarkPlaceOrderParallel(b *testing.B) {
	e := newEnv(b)
	const users = 32
	tokens := make([]string, users)
	for i := range tokens {
		tokens[i] = "Bearer " + e.signup(fmt.Sprintf("p%d@example.com", i))
		e.must(http.StatusCreated, "POST", "/api/v1/orders", tokens[i][len("Bearer "):], `{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1}`)
	}
	bodies := [2]string{
		`{"stock_code":"005930","side":"BUY","type":"MARKET","quantity":1}`,
		`{"stock_code":"005930","side":"SELL","type":"MARKET","quantity":1}`,
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		auth := tokens[next.Add(1)%users]
		i := 0
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/orders", strings.NewReader(bodies[i%2]))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}
