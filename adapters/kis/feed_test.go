package kis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// runFeed runs f against sink until the test ends.
func runFeed(t *testing.T, f *kis.Feed, sink ports.MarketSink) {
	t.Helper()
	runUntilCleanup(t, "Feed.Run", func(ctx context.Context) error { return f.Run(ctx, sink) })
}

func fixedCodes(codes ...string) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) { return codes, nil }
}

func TestFeedBatchesTradesInOrder(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	sink := newTradeSink()
	f := kis.NewFeed(e.client, kis.FeedConfig{Codes: fixedCodes("005930"), BatchSize: 100, FlushInterval: 5 * time.Millisecond})
	runFeed(t, f, sink)
	e.wait(t, "subscribed", func() bool { return e.fake.Subscribed("005930") })

	var trades []kisfake.Trade
	for i := range 250 {
		trades = append(trades, kisfake.Trade{Code: "005930", Price: dec("70000"), Volume: int64(i + 1)})
	}
	if err := e.fake.Publish(trades); err != nil {
		t.Fatal(err)
	}
	got := sink.waitFor(t, 250)
	for i, tr := range got {
		if tr.Volume != int64(i+1) {
			t.Fatalf("trade %d has volume %d: order lost", i, tr.Volume)
		}
	}
	_, batches := sink.snapshot()
	for _, b := range batches {
		if len(b) > 100 {
			t.Errorf("batch of %d trades exceeds BatchSize 100", len(b))
		}
	}
	// 250 trades in three frames: a handful of calls, not one per trade.
	if len(batches) < 3 || len(batches) > 10 {
		t.Errorf("%d ApplyTrades calls (sizes %v), want batches", len(batches), sizes(batches))
	}

	// A lone trade does not wait for company longer than FlushInterval.
	start := time.Now()
	if err := e.fake.Publish([]kisfake.Trade{{Code: "005930", Price: dec("70100"), Volume: 999}}); err != nil {
		t.Fatal(err)
	}
	if got := sink.waitFor(t, 251); got[250].Volume != 999 {
		t.Errorf("last trade = %+v", got[250])
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a lone trade took %v to reach the sink", d)
	}
	// Delivered is counted when ApplyTrades returns, which may be after
	// the sink has shown the trade to this test.
	if st := f.Stats(); st.Received != 251 || st.Dropped != 0 || st.SinkErrors != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestFeedFollowsChangingCodes(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	var codes atomic.Value
	codes.Store([]string{"005930", "000660"})
	f := kis.NewFeed(e.client, kis.FeedConfig{
		Codes:         func(context.Context) ([]string, error) { return codes.Load().([]string), nil },
		CodesInterval: 10 * time.Millisecond,
	})
	runFeed(t, f, newTradeSink())
	e.wait(t, "first codes", func() bool { return e.fake.Subscribed("005930", "000660") })
	codes.Store([]string{"000660", "035420"})
	e.wait(t, "changed codes", func() bool { return e.fake.Subscribed("000660", "035420") })
	if n := e.fake.Connects(); n != 1 {
		t.Errorf("connects = %d, want the session kept", n)
	}
	if n := e.fake.Answers("OPSP0001"); n != 1 {
		t.Errorf("unsubscribe answers = %d, want 1 (005930)", n)
	}
}

// stocksSink reports listings, for a Feed without a Codes function.
type stocksSink struct {
	*tradeSink
	stocks []domain.Stock
}

func (s stocksSink) Stocks(context.Context) ([]domain.Stock, error) { return s.stocks, nil }

func TestFeedWithoutCodesWatchesActiveListings(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	sink := stocksSink{tradeSink: newTradeSink(), stocks: []domain.Stock{
		{Code: "005930", Active: true}, {Code: "000660", Active: false}, {Code: "035420", Active: true},
	}}
	runFeed(t, kis.NewFeed(e.client, kis.FeedConfig{}), sink)
	e.wait(t, "active listings", func() bool { return e.fake.Subscribed("005930", "035420") })
}

func TestFeedDropsOldestWhenSinkFallsBehind(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	sink := newTradeSink()
	sink.hold = make(chan struct{})
	f := kis.NewFeed(e.client, kis.FeedConfig{Codes: fixedCodes("005930"), BatchSize: 5, BufferSize: 10, FlushInterval: time.Millisecond})
	runFeed(t, f, sink)
	e.wait(t, "subscribed", func() bool { return e.fake.Subscribed("005930") })

	const n = 60
	for i := range n {
		// One trade per frame, so that the reader hands them over one by one.
		if err := e.fake.Publish([]kisfake.Trade{{Code: "005930", Price: dec("70000"), Volume: int64(i + 1)}}); err != nil {
			t.Fatal(err)
		}
	}
	// The reader must get through every frame although the sink is stuck.
	deadline := time.Now().Add(5 * time.Second)
	for f.Stats().Received < n {
		if time.Now().After(deadline) {
			t.Fatalf("reader stalled behind a stuck sink: %+v", f.Stats())
		}
		time.Sleep(time.Millisecond) // the Feed has no event to wait on here
	}
	close(sink.hold)
	deadline = time.Now().Add(5 * time.Second)
	for {
		st := f.Stats()
		if st.Delivered+st.Dropped == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never settled: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	st := f.Stats()
	got, _ := sink.snapshot()
	if st.Dropped == 0 || st.Delivered > 15 {
		t.Errorf("stats = %+v: a buffer of 10 behind a stuck sink must drop", st)
	}
	if got[len(got)-1].Volume != n {
		t.Errorf("last delivered trade has volume %d, want the newest (%d)", got[len(got)-1].Volume, n)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Volume <= got[i-1].Volume {
			t.Fatalf("delivered out of order: %d after %d", got[i].Volume, got[i-1].Volume)
		}
	}
}
