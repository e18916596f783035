package kis_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
)

// BenchmarkFeedEndToEnd measures the whole path a trade takes through the
// adapter: the fake renders it as an H0STCNT0 record and writes it to a real
// socket, the Stream reads and parses it, the Feed buffers and batches it,
// and a sink that only counts receives it. The fake runs in the same
// process and on the same cores, so the figures are a floor for the
// adapter. Trades go out as fast as the fake can send them; trades/s is the
// throughput, and the latencies include the queueing that flooding causes.
//
//	go test -run '^$' -bench FeedEndToEnd -benchtime 200000x ./adapters/kis/
func BenchmarkFeedEndToEnd(b *testing.B) { benchFeed(b, 0) }

// BenchmarkFeedAt20k sends trades at the product's target rate, 20,000 a
// second, in bursts every 5 ms, and reports the latency from publication to
// the sink at that rate.
//
//	go test -run '^$' -bench FeedAt20k -benchtime 100000x ./adapters/kis/
func BenchmarkFeedAt20k(b *testing.B) { benchFeed(b, 20_000) }

// benchFeed publishes b.N trades over 40 listings, at rate trades a second
// (0: as fast as possible), and waits until the sink has them all.
func benchFeed(b *testing.B, rate int) {
	fake := kisfake.New(kisfake.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	defer fake.Close()
	client, err := kis.NewClient(kis.Config{
		AppKey: testKey, AppSecret: testSecret,
		RESTBase:          srv.URL,
		WSURL:             "ws" + strings.TrimPrefix(srv.URL, "http") + "/tryitout",
		Logger:            slog.New(slog.DiscardHandler),
		SubscribeInterval: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	codes := make([]string, 40)
	for i := range codes {
		codes[i] = fmt.Sprintf("%06d", 100000+i*10)
	}
	sink := &latencySink{published: make([]int64, b.N), want: b.N, done: make(chan struct{})}
	feed := kis.NewFeed(client, kis.FeedConfig{Codes: fixedCodes(codes...)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go feed.Run(ctx, sink)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.Wait(wctx, func() bool { return fake.Subscribed(codes...) }); err != nil {
		b.Fatal(err)
	}

	// Trades go out in bursts, ten per listing when flooding, the way a
	// busy market delivers them: several records per frame.
	burst, tick := 400, time.Duration(0)
	if rate > 0 {
		tick = 5 * time.Millisecond
		burst = rate * int(tick) / int(time.Second)
	}
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i += burst {
		if tick > 0 {
			// Pace against the schedule, not the previous burst, so
			// that a slow burst does not lower the rate.
			if d := time.Until(start.Add(time.Duration(i/burst) * tick)); d > 0 {
				time.Sleep(d)
			}
		}
		n := min(burst, b.N-i)
		trades := make([]kisfake.Trade, n)
		now := time.Now().UnixNano()
		for j := range trades {
			seq := i + j
			sink.published[seq] = now
			trades[j] = kisfake.Trade{Code: codes[seq%len(codes)], Price: dec("70000"), Volume: int64(seq),
				Bid: dec("69900"), Ask: dec("70000"), BidSize: 10, AskSize: 10}
		}
		if err := fake.Publish(trades); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-sink.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("sink got %d of %d trades", sink.count(), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	st := feed.Stats()
	if st.Dropped != 0 {
		b.Errorf("%d trades dropped", st.Dropped)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "trades/s")
	b.ReportMetric(float64(sink.percentile(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(sink.percentile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(st.Batches), "batches")
}

// latencySink counts trades and measures, for each, the time from before
// its publication to its arrival. Volume carries the trade's sequence number.
type latencySink struct {
	published []int64 // unix nanos, written before the trade is published
	want      int

	mu        sync.Mutex
	n         int
	latencies []time.Duration
	done      chan struct{}
	closed    bool
}

func (s *latencySink) Stocks(context.Context) ([]domain.Stock, error) { return nil, nil }

func (s *latencySink) ApplyTrades(_ context.Context, ts []domain.Trade) error {
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		s.latencies = append(s.latencies, time.Duration(now-s.published[t.Volume]))
	}
	s.n += len(ts)
	if s.n >= s.want && !s.closed {
		close(s.done)
		s.closed = true
	}
	return nil
}

func (s *latencySink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *latencySink) percentile(p float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.latencies) == 0 {
		return 0
	}
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(p*float64(len(l))))]
}
