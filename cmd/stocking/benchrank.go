package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/system"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/internal/cputime"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// runBenchRankings measures performance history and leaderboards on an
// in-process server over the configured database (a temporary SQLite file
// unless -database or DATABASE_URI names PostgreSQL or MySQL, whose
// database must be empty): the equity history of accounts with years of snapshots, the
// end-of-day snapshot and the leaderboard refresh of many accounts with a
// month of history, and GET /leaderboards and GET /analytics/equity under
// concurrent clients.
func runBenchRankings(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-rankings", flag.ContinueOnError)
	accounts := fs.Int("accounts", 100_000, "traders with history to rank")
	days := fs.Int("days", 30, "days of snapshots for the ranked traders")
	years := fs.Int("years", 5, "years of daily snapshots for the equity readers")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	dur := fs.Duration("duration", 10*time.Second, "how long each read load runs")
	database := fs.String("database", "", "an empty PostgreSQL or MySQL database to measure on (DATABASE_URI's form); default DATABASE_URI, else a temporary SQLite file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the HTTP read loads to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *database != "" {
		outer := getenv
		getenv = func(k string) string {
			if k == "DATABASE_URI" {
				return *database
			}
			return outer(k)
		}
	}
	dir, err := os.MkdirTemp("", "stocking-bench-rankings-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := func(k string) string {
		switch k {
		case "DATABASE_URI":
			if v := getenv(k); v != "" && !strings.HasPrefix(v, "sqlite") {
				return v
			}
			return "sqlite:///" + filepath.Join(dir, "bench.db")
		case "TEMPORAL_ADDRESS":
			return "off"
		case "FEED_INTERVAL":
			return "0s"
		case "MARKET_HOURS":
			return "always"
		case "PORT":
			return "0"
		case "LISTEN_HOST":
			return "127.0.0.1"
		case "DB_TIMEOUT":
			// The snapshot and the refresh are each one statement over
			// every account.
			if v := getenv(k); v != "" {
				return v
			}
			return "120s"
		case "LOG_LEVEL":
			return "warn"
		case "BCRYPT_COST":
			return "4"
		}
		return getenv(k)
	}
	m, err := openBenchMain(ctx, env, Options{Migrate: true, Seed: true, API: true})
	if err != nil {
		return err
	}
	defer m.Close()
	svc := m.Service
	st := svc.Store()
	stocks, err := st.ListStocks(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database: %s\n", strings.SplitN(env("DATABASE_URI"), ":", 2)[0])
	today := time.Now().In(domain.Seoul)

	// Equity readers: a few accounts with years of daily snapshots, taken
	// while nobody else exists so that each snapshot run is small.
	const readers = 16
	span := *years * 365
	readerIDs := make([]string, readers)
	opened := today.AddDate(0, 0, -span-1)
	for i := range readerIDs {
		u, err := svc.Users.Create(ctx, service.SignupInput{Email: fmt.Sprintf("reader-%d@bench.stocking.dev", i), Password: "bench-password", Nickname: fmt.Sprintf("reader%d", i)}, domain.RoleUser)
		if err != nil {
			return err
		}
		readerIDs[i] = u.ID
		if err := st.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			a, err := tx.LockAccount(ctx, u.ID)
			if err != nil {
				return err
			}
			a.HistoryStart = opened
			return tx.SaveAccount(ctx, a)
		}); err != nil {
			return err
		}
		if _, err := svc.Orders.Place(ctx, service.Personal(u.ID), domain.OrderRequest{StockCode: stocks[i%len(stocks)].Code, Side: domain.Buy, Type: domain.MarketOrder, Quantity: 10}); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	wiggle := func() error {
		return st.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			for _, s := range stocks {
				p := s.PrevClose.Mul(decimal.NewFromFloat(0.9 + 0.2*r.Float64())).Round(0)
				if err := tx.RecordPrice(ctx, s.Code, p, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
	}
	t0 := time.Now()
	for d := span; d >= 1; d-- {
		day := today.AddDate(0, 0, -d)
		if d%20 == 0 {
			if err := wiggle(); err != nil {
				return err
			}
		}
		if _, err := st.SnapshotEquity(ctx, day.Format(time.DateOnly), time.Date(day.Year(), day.Month(), day.Day(), 16, 0, 0, 0, domain.Seoul)); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "equity history: %d accounts × %d daily snapshots written in %s\n", readers, span, time.Since(t0).Round(time.Millisecond))

	// Ranked traders, inserted in batches.
	t0 = time.Now()
	start := today.AddDate(0, 0, -*days-1)
	const batch = 1000
	for i := 0; i < *accounts; i += batch {
		err := st.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			for j := i; j < min(i+batch, *accounts); j++ {
				id := system.IDs{}.NewID()
				u := domain.User{ID: id, Email: fmt.Sprintf("ranked-%d@bench.stocking.dev", j), Nickname: fmt.Sprintf("trader%d", j),
					PasswordHash: "-", Role: domain.RoleUser, Public: true, CreatedAt: start, UpdatedAt: start}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				s := stocks[r.IntN(len(stocks))]
				qty := int64(1 + r.IntN(20))
				cash := decimal.NewFromInt(10_000_000).Sub(s.PrevClose.Mul(decimal.NewFromInt(qty)))
				a := domain.Account{ID: id, UserID: id, Kind: domain.PersonalAccount, Cash: cash, TotalDeposits: decimal.NewFromInt(10_000_000),
					BuyCount: 1, HistoryStart: start, CreatedAt: start, UpdatedAt: start}
				if err := tx.CreateAccount(ctx, a); err != nil {
					return err
				}
				if err := tx.SaveHolding(ctx, domain.Holding{AccountID: id, StockCode: s.Code, Quantity: qty, AveragePrice: s.PrevClose, CreatedAt: start, UpdatedAt: start}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "ranked traders: %d accounts inserted in %s\n", *accounts, time.Since(t0).Round(time.Millisecond))
	// Besides the wall time, the CPU time this process spent (user and
	// system): on a shared machine the wall time is mostly the wait for a
	// core, while the CPU time is the work (SQLite's, in process; on a
	// server engine most of the work is the server's, not counted).
	var snaps, snapCPU []time.Duration
	for d := *days; d >= 0; d-- {
		if err := wiggle(); err != nil {
			return err
		}
		day := today.AddDate(0, 0, -d)
		t, c := time.Now(), cputime.Process()
		if _, err := st.SnapshotEquity(ctx, day.Format(time.DateOnly), time.Date(day.Year(), day.Month(), day.Day(), 16, 0, 0, 0, domain.Seoul)); err != nil {
			return err
		}
		snaps, snapCPU = append(snaps, time.Since(t)), append(snapCPU, cputime.Process()-c)
	}
	slices.Sort(snaps)
	slices.Sort(snapCPU)
	fmt.Fprintf(out, "end-of-day snapshot of %d accounts: median %s, max %s (%d days); CPU median %s\n", *accounts+readers,
		snaps[len(snaps)/2].Round(time.Millisecond), snaps[len(snaps)-1].Round(time.Millisecond), len(snaps), snapCPU[len(snapCPU)/2].Round(time.Millisecond))
	if err := wiggle(); err != nil {
		return err
	}
	if err := analyzeBenchDB(ctx, env("DATABASE_URI"), out); err != nil {
		return err
	}
	for i := range 3 {
		t, c := time.Now(), cputime.Process()
		res, err := svc.Leaderboards.Refresh(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "leaderboard refresh %d (4 periods, %d accounts each): %s; CPU %s\n", i+1, res.Ranked["all"],
			time.Since(t).Round(time.Millisecond), (cputime.Process() - c).Round(time.Millisecond))
	}

	// Reads over HTTP.
	tokens := make([]string, readers)
	api := &bencher{hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}}, base: m.URL()}
	for i := range tokens {
		var auth struct {
			Data struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
		}
		if _, err := api.call(ctx, "POST", "/api/v1/auth/login", "", map[string]any{"email": fmt.Sprintf("reader-%d@bench.stocking.dev", i), "password": "bench-password"}, &auth, 200); err != nil {
			return err
		}
		tokens[i] = auth.Data.AccessToken
	}
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
	for _, path := range []string{"/api/v1/leaderboards?period=1w&limit=50", "/api/v1/analytics/equity"} {
		// The first read of each reader computes and keeps what later
		// reads serve (until the next snapshot run or refresh); it is
		// reported apart from the steady load.
		t := time.Now()
		var cold []time.Duration
		for _, tok := range tokens {
			t1 := time.Now()
			if _, err := api.call(ctx, "GET", path, tok, nil, nil, 200); err != nil {
				return err
			}
			cold = append(cold, time.Since(t1))
		}
		slices.Sort(cold)
		fmt.Fprintf(out, "GET %s, first read of each of %d readers, one at a time: median %s, max %s (%s in all)\n",
			strings.TrimPrefix(path, "/api/v1"), len(tokens), cold[len(cold)/2].Round(10*time.Microsecond), cold[len(cold)-1].Round(10*time.Microsecond), time.Since(t).Round(time.Millisecond))
		lat, failed, err := readLoad(ctx, api, path, tokens, *clients, *dur)
		if err != nil {
			return err
		}
		n := len(lat)
		if n == 0 {
			return fmt.Errorf("GET %s: no successful request (%d failed)", path, failed)
		}
		p := func(q float64) time.Duration { return lat[min(n-1, int(float64(n)*q))].Round(10 * time.Microsecond) }
		fmt.Fprintf(out, "GET %s, %d clients for %s: %d requests (%.0f/s), p50 %s, p99 %s, max %s, %d failed\n",
			strings.TrimPrefix(path, "/api/v1"), *clients, *dur, n, float64(n)/dur.Seconds(), p(0.5), p(0.99), lat[n-1].Round(10*time.Microsecond), failed)
	}
	return nil
}

// readLoad sends GET path from clients goroutines for d and returns the
// sorted latencies of the successful requests and how many failed.
func readLoad(ctx context.Context, b *bencher, path string, tokens []string, clients int, d time.Duration) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var all []time.Duration
	failed := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := 0; time.Now().Before(deadline); i++ {
				t := time.Now()
				if err := b.get(ctx, path, tokens[(c+i)%len(tokens)]); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			failed += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return all, failed, ctx.Err()
}

// get sends GET path and reads the body through, wanting 200. Unlike call
// it keeps no copy of the body: the clients run in the measured process,
// and copying large answers would be their cost counted as the server's.
// It asks for gzip, as browsers do, and reads what the server sends as it
// comes: the time measured ends with the last byte; unpacking the body
// is the reader's work, not the server's.
func (b *bencher) get(ctx context.Context, path, token string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", b.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return nil
}

// analyzeBenchDB vacuums PostgreSQL's tables and gathers their planner
// statistics after the bulk load, as autovacuum does on a server with its
// defaults within a minute of such a load (since PostgreSQL 13 inserts
// alone start a vacuum). Without statistics (a server run with autovacuum
// off, as test servers often are) the planner sizes the refresh for
// tables of a few dozen rows; without the vacuum the first statement to
// read the fresh rows writes their pages again to mark them committed.
// SQLite and MySQL are left as they are.
func analyzeBenchDB(ctx context.Context, uri string, out io.Writer) error {
	t, err := parseDatabaseURI(uri)
	if err != nil || t.Engine != enginePostgres {
		return err
	}
	conn, err := pgx.Connect(ctx, t.URL.String())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	start := time.Now()
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return fmt.Errorf("VACUUM (ANALYZE): %w", err)
	}
	fmt.Fprintf(out, "VACUUM (ANALYZE) (as autovacuum would after the load): %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
