package kis_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
)

const (
	testKey    = "PSapp-key-for-tests"
	testSecret = "app-secret-for-tests"
)

// env is a kisfake server on a real socket and a Client pointed at it.
type env struct {
	fake   *kisfake.Server
	srv    *httptest.Server
	client *kis.Client
	cfg    kis.Config
	logs   *syncBuffer
}

// newEnv starts a fake with opts and a client whose Config mod may adjust.
// The client's pauses are shortened so tests run in milliseconds.
func newEnv(t *testing.T, opts kisfake.Options, mod func(*kis.Config)) *env {
	t.Helper()
	opts.AppKey, opts.AppSecret = testKey, testSecret
	fake := kisfake.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(func() {
		fake.Close()
		srv.Close()
	})
	logs := &syncBuffer{}
	cfg := kis.Config{
		AppKey:            testKey,
		AppSecret:         testSecret,
		RESTBase:          srv.URL,
		WSURL:             "ws" + strings.TrimPrefix(srv.URL, "http") + "/tryitout",
		Logger:            slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RateLimitBackoff:  time.Millisecond,
		ReconnectMin:      5 * time.Millisecond,
		ReconnectMax:      50 * time.Millisecond,
		SubscribeInterval: -1,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := kis.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, srv: srv, client: c, cfg: cfg, logs: logs}
}

// runUntilCleanup runs run until the test ends, then checks that it returns
// nil soon after its context ends.
func runUntilCleanup(t *testing.T, name string, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s did not return after its context ended", name)
		}
	})
}

// testCtx is a test context that ends well before the test binary's deadline.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wait blocks until cond holds on the fake, or fails the test.
func (e *env) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.fake.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v (subscriptions %v, connects %d)", what, err, e.fake.Subscriptions(), e.fake.Connects())
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func listing(t *testing.T, f *kisfake.Server, code, name, prevClose string, bars ...kisfake.Bar) {
	t.Helper()
	if err := f.SetListing(kisfake.Listing{Code: code, Name: name, PrevClose: dec(prevClose), Bars: bars}); err != nil {
		t.Fatal(err)
	}
}

// fakeClock is a settable clock shared by a client and a fake.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, domain.Seoul)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log destination tests can read while goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tradeSink collects what a handler or a Feed delivers and lets a test
// wait for a count.
type tradeSink struct {
	mu      sync.Mutex
	trades  []domain.Trade
	batches [][]domain.Trade
	changed chan struct{}
	// hold, when not nil, blocks ApplyTrades until it is closed.
	hold chan struct{}
}

func newTradeSink() *tradeSink { return &tradeSink{changed: make(chan struct{})} }

func (s *tradeSink) add(ts []domain.Trade) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := append([]domain.Trade(nil), ts...)
	s.batches = append(s.batches, cp)
	s.trades = append(s.trades, cp...)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *tradeSink) Stocks(context.Context) ([]domain.Stock, error) { return nil, nil }

func (s *tradeSink) ApplyTrades(ctx context.Context, ts []domain.Trade) error {
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.add(ts)
	return nil
}

func (s *tradeSink) snapshot() ([]domain.Trade, [][]domain.Trade) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]domain.Trade(nil), s.trades...), append([][]domain.Trade(nil), s.batches...)
}

// waitFor blocks until at least n trades arrived.
func (s *tradeSink) waitFor(t *testing.T, n int) []domain.Trade {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		got, ch := len(s.trades), s.changed
		s.mu.Unlock()
		if got >= n {
			trades, _ := s.snapshot()
			return trades
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited for %d trades, got %d", n, got)
		}
	}
}
