package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/internal/cputime"
	"github.com/stocking-kr/stocking/ports"
)

// runBenchFeed measures the market-data path end to end: trades published
// by the fake KIS over a real WebSocket, parsed and batched by the KIS
// adapter, recorded (tape, quotes, volume) and matched against resting
// orders that they do not cross, then, with -snapshot, the end-of-day
// equity snapshot of every account. DATABASE_URI picks the engine (a
// fresh SQLite file by default).
func runBenchFeed(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-feed", flag.ContinueOnError)
	trades := fs.Int("trades", 200_000, "trades to publish")
	orders := fs.Int("orders", 100_000, "resting orders that no trade crosses")
	accounts := fs.Int("accounts", 1_000, "accounts holding the resting orders")
	codes := fs.Int("codes", 20, "listings the trades spread over")
	snapshot := fs.Bool("snapshot", true, "also time the end-of-day equity snapshot of every account")
	rate := fs.Int("rate", 0, "publish this many trades per second, evenly in 10 ms steps (a sustained market); 0 publishes them all at once (a flood)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the feed phase to this file")
	memProfile := fs.String("memprofile", "", "write a profile of the memory allocated to this file, and one of what the setup allocated to the same name with .base added")
	timeline := fs.Duration("timeline", 0, "also print, for each window of this length, the trades recorded in it and their slowest and median latency (0: no timeline)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	tuneFeedGC(getenv)
	dir, err := os.MkdirTemp("", "stocking-bench-feed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := func(k string) string {
		switch k {
		case "DATABASE_URI":
			if v := getenv(k); v != "" {
				return v
			}
			return "sqlite:///" + filepath.Join(dir, "bench.db")
		case "MARKET_HOURS":
			return "always"
		case "LOG_LEVEL":
			return "warn"
		case "TEMPORAL_ADDRESS":
			return "off"
		}
		return getenv(k)
	}
	m, err := openOnly(ctx, env, Options{Migrate: true, Seed: true})
	if err != nil {
		return err
	}
	defer m.Close()
	stocks, err := m.Service.Market.Stocks(ctx)
	if err != nil {
		return err
	}
	stocks = stocks[:min(*codes, len(stocks))]
	list := make([]string, len(stocks))
	for i, st := range stocks {
		list[i] = st.Code
	}
	info, err := m.Store.Info(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "engine %s, %d listings, %d accounts, %d resting orders\n", info.Engine, len(stocks), *accounts, *orders)

	t0 := time.Now()
	if err := benchRestingOrders(ctx, m.Store, stocks, *accounts, *orders); err != nil {
		return err
	}
	fmt.Fprintf(out, "resting orders written in %s\n", time.Since(t0).Round(time.Millisecond))

	fake := kisfake.New(kisfake.Options{AppKey: "bench-key", AppSecret: "bench-secret"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	defer fake.Close()
	client, err := kis.NewClient(kis.Config{
		AppKey: "bench-key", AppSecret: "bench-secret", RESTBase: srv.URL,
		WSURL:  "ws" + strings.TrimPrefix(srv.URL, "http") + "/tryitout",
		Logger: slog.New(slog.DiscardHandler), SubscribeInterval: -1,
	})
	if err != nil {
		return err
	}
	sink := &benchSink{MarketSink: m.Service.Market, published: make([]int64, *trades), want: *trades}
	feed := kis.NewFeed(client, kis.FeedConfig{Codes: func(context.Context) ([]string, error) { return list, nil }})
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go feed.Run(fctx, sink)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := fake.Wait(wctx, func() bool { return fake.Subscribed(list...) }); err != nil {
		return fmt.Errorf("the feed did not subscribe: %w", err)
	}
	// Each trade prints at its listing's previous close, which crosses no
	// resting order; Volume carries the trade's sequence number.
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		// The profile counts from the start of the process; the feed's
		// share is the difference from this one (pprof -diff_base).
		if f, err := os.Create(*memProfile + ".base"); err == nil {
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	var gcBefore runtime.MemStats
	runtime.ReadMemStats(&gcBefore)
	cpuBefore := cputime.Process()
	start := time.Now()
	sink.start = start
	burst, step := 400, time.Duration(0)
	if *rate > 0 {
		// One slice of the second every 10 ms, each due at its own time
		// (not 10 ms after the last one went), so a slow publish does not
		// slow the market down.
		burst, step = max(1, *rate/100), 10*time.Millisecond*time.Duration(max(1, *rate/100))*100/time.Duration(*rate)
	}
	for i := 0; i < *trades; i += burst {
		if step > 0 {
			if wait := time.Until(start.Add(time.Duration(i/burst) * step)); wait > 0 {
				time.Sleep(wait)
			}
		}
		n := min(burst, *trades-i)
		batch := make([]kisfake.Trade, n)
		now := time.Now().UnixNano()
		for j := range batch {
			seq := i + j
			st := stocks[seq%len(stocks)]
			sink.published[seq] = now
			tick := domain.TickSize(st.PrevClose)
			batch[j] = kisfake.Trade{Code: st.Code, Price: st.PrevClose, Volume: int64(seq), Bid: st.PrevClose.Sub(tick), Ask: st.PrevClose, BidSize: 10, AskSize: 10}
		}
		if err := fake.Publish(batch); err != nil {
			return err
		}
	}
	publishedIn := time.Since(start)
	// Wait until every trade is recorded, or until nothing more arrives
	// for three seconds (the adapter drops trades it cannot hand over
	// when the sink falls behind; Stats counts them).
	last, lastAt := 0, time.Now()
	for n := sink.count(); n < *trades && time.Since(lastAt) < 3*time.Second; n = sink.count() {
		if n != last {
			last, lastAt = n, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	recorded := sink.count()
	elapsed := sink.lastAt().Sub(start)
	cpu := cputime.Process() - cpuBefore
	var gcAfter runtime.MemStats
	runtime.ReadMemStats(&gcAfter)
	cancel()
	if sink.err != nil {
		return sink.err
	}
	if *rate > 0 {
		fmt.Fprintf(out, "published at %d trades/s in %s\n", *rate, publishedIn.Round(time.Millisecond))
	}
	fmt.Fprintf(out, "feed: %d of %d trades recorded and matched in %s: %.0f trades/s; trade to recorded p50 %s, p99 %s, max %s (%d batches, %d dropped by the adapter)\n",
		recorded, *trades, elapsed.Round(time.Millisecond), float64(recorded)/elapsed.Seconds(),
		sink.percentile(0.50).Round(10*time.Microsecond), sink.percentile(0.99).Round(10*time.Microsecond),
		sink.percentile(1).Round(10*time.Microsecond), feed.Stats().Batches, feed.Stats().Dropped)
	fmt.Fprintf(out, "process during the feed: %s of CPU (%.1f µs a trade), %d collections, %s stopped in all, %.1f KiB allocated a trade, heap %d MiB after\n",
		cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(max(1, recorded)),
		gcAfter.NumGC-gcBefore.NumGC, time.Duration(gcAfter.PauseTotalNs-gcBefore.PauseTotalNs).Round(10*time.Microsecond),
		float64(gcAfter.TotalAlloc-gcBefore.TotalAlloc)/1024/float64(max(1, recorded)), gcAfter.HeapAlloc>>20)
	if *timeline > 0 {
		sink.printTimeline(out, *timeline)
	}

	if *snapshot {
		t1 := time.Now()
		// As the market day's activity runs it: a bulk step, bounded by
		// its own timeout rather than DB_TIMEOUT.
		n, err := m.Service.Accounts.SnapshotEquity(ports.WithBulkTimeout(ctx, 10*time.Minute), domain.SeoulDate(time.Now()))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "end-of-day snapshot: %d accounts in %s\n", n, time.Since(t1).Round(time.Millisecond))
	}
	return nil
}

// benchRestingOrders opens accounts and rests buy orders at the bottom of
// each listing's band, where no trade at the previous close reaches them.
// The bench writes them straight into the store: their reservations are
// not booked, so the bench database fails the audit.
func benchRestingOrders(ctx context.Context, st ports.Store, stocks []domain.Stock, accounts, orders int) error {
	now := time.Now().UTC()
	ids := make([]string, accounts)
	for lo := 0; lo < accounts; lo += 500 {
		err := st.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			for i := lo; i < min(lo+500, accounts); i++ {
				id := newBenchID()
				ids[i] = id
				u := domain.User{ID: id, Email: "bench-" + id + "@example.com", Nickname: "bench", PasswordHash: "-", Role: domain.RoleUser, Public: true, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				cash := decimal.NewFromInt(1_000_000_000)
				if err := tx.CreateAccount(ctx, domain.Account{
					ID: id, UserID: id, Kind: domain.PersonalAccount, Cash: cash, ReservedCash: decimal.Zero, TotalDeposits: cash,
					TotalWithdrawal: decimal.Zero, RealizedPnL: decimal.Zero, TotalCommission: decimal.Zero, TotalTax: decimal.Zero,
					FreeDeposited: decimal.Zero, HistoryStart: now, CreatedAt: now, UpdatedAt: now,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for lo := 0; lo < orders; lo += 1000 {
		err := st.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			for i := lo; i < min(lo+1000, orders); i++ {
				s := stocks[i%len(stocks)]
				limit := domain.PriceBand(s.PrevClose).Lower
				acct := ids[i%len(ids)]
				if err := tx.CreateOrder(ctx, domain.Order{
					ID: newBenchID(), AccountID: acct, UserID: acct, StockCode: s.Code, Side: domain.Buy, Type: domain.LimitOrder,
					TimeInForce: domain.GTC, Quantity: 1, LimitPrice: decimal.NewNullDecimal(limit), Status: domain.Pending,
					ReservedAmount: limit, Commission: decimal.Zero, Tax: decimal.Zero, CreatedAt: now, UpdatedAt: now,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// benchSink records trades through the service and measures, for each,
// the time from before its publication to the end of its recording.
type benchSink struct {
	ports.MarketSink
	published []int64
	want      int

	start time.Time

	mu        sync.Mutex
	n         int
	latencies []time.Duration
	// batches holds, for each call, when it returned (since start) and
	// where its trades' latencies end in latencies.
	batches []benchBatch
	last    time.Time
	err     error
}

type benchBatch struct {
	at  time.Duration
	end int
}

func (s *benchSink) ApplyTrades(ctx context.Context, ts []domain.Trade) error {
	err := s.MarketSink.ApplyTrades(ctx, ts)
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		if t.Volume >= 0 && int(t.Volume) < len(s.published) {
			s.latencies = append(s.latencies, time.Duration(now-s.published[t.Volume]))
		}
	}
	if err != nil && s.err == nil {
		s.err = err
	}
	s.n += len(ts)
	s.last = time.Now()
	s.batches = append(s.batches, benchBatch{at: s.last.Sub(s.start), end: len(s.latencies)})
	return err
}

// printTimeline prints, per window of the run, the trades recorded in it,
// the batches that recorded them and their median and slowest latency: a
// tail that comes back at a fixed period points at something periodic
// (checkpoints, collections), one that grows at a queue.
func (s *benchSink) printTimeline(out io.Writer, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(out, "%8s %7s %7s %9s %9s\n", "window", "trades", "batches", "p50", "max")
	lo, bi := 0, 0
	for w := time.Duration(0); bi < len(s.batches); w += window {
		hi, n := lo, 0
		for bi < len(s.batches) && s.batches[bi].at < w+window {
			hi = s.batches[bi].end
			bi, n = bi+1, n+1
		}
		if hi == lo {
			continue
		}
		l := slices.Clone(s.latencies[lo:hi])
		slices.Sort(l)
		fmt.Fprintf(out, "%8s %7d %7d %9s %9s\n", w+window, hi-lo, n,
			l[len(l)/2].Round(100*time.Microsecond), l[len(l)-1].Round(100*time.Microsecond))
		lo = hi
	}
}

func (s *benchSink) lastAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *benchSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *benchSink) percentile(p float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.latencies) == 0 {
		return 0
	}
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(p*float64(len(l))))]
}

func newBenchID() string { return uuid.Must(uuid.NewV7()).String() }
