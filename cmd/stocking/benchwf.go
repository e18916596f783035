package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	temporaladapter "github.com/stocking-kr/stocking/adapters/temporal"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// runBenchWorkflows measures the order lifecycle on a real Temporal server
// and database, in-process:
//
//	(a) N resting limit orders of Q shares across U users, one trade that
//	    crosses them all with a volume covering a share C of them (C×N×Q−1
//	    shares): price-time priority fills the first orders in full, the
//	    next one in part, and leaves the rest resting; time until the fills
//	    are in the database, and until every filled order's workflow has
//	    closed and the partial one has heard its fill;
//	(b) the server's own ceiling: W workflows that wait for a signal, run
//	    one activity and complete, all signalled at once;
//	(c) the cost of a tick that crosses none of R resting orders.
func runBenchWorkflows(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-workflows", flag.ContinueOnError)
	orders := fs.Int("orders", 10000, "(a) resting limit orders crossed by one tick")
	qty := fs.Int64("qty", 2, "(a) shares in each resting order")
	cover := fs.Float64("cover", 0.5, "(a) share of the resting orders the trade's volume covers, up to 1")
	noWorkflows := fs.Bool("no-workflows", false, "(a) without Temporal: time the fills in the database alone")
	users := fs.Int("users", 100, "(a) users the orders are spread over")
	ceiling := fs.Int("ceiling", 2000, "(b) signal → activity → complete workflows")
	idle := fs.Int("idle-orders", 100000, "(c) resting orders a tick does not cross")
	ticks := fs.Int("ticks", 200, "(c) ticks to time")
	dir := fs.String("dir", "", "directory for the databases (default: a temporary one, removed afterwards)")
	temporalAddr := fs.String("temporal", "", "an existing Temporal frontend instead of the embedded server")
	fileTemporal := fs.Bool("temporal-file", true, "embedded server on SQLite files in -dir, as `stocking dev` runs it; false: in memory")
	only := fs.String("only", "abc", "which parts to run")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "stocking-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	env := func(k string) string {
		switch k {
		case "DATABASE_URI":
			return "sqlite:///" + filepath.Join(*dir, "bench.db")
		case "MARKET_HOURS":
			return "always"
		case "FEED_INTERVAL":
			return "0s"
		case "LOG_LEVEL":
			return "warn"
		case "BCRYPT_COST":
			return "4"
		case "TEMPORAL_TASK_QUEUE":
			return "stocking-bench"
		case "TEMPORAL_EMBED_ADDRESS":
			return "127.0.0.1:0"
		case "TEMPORAL_UI_ADDRESS":
			return ""
		}
		return getenv(k)
	}

	if *noWorkflows && strings.ContainsRune(*only, 'a') {
		base := env
		dbEnv := func(k string) string {
			if k == "TEMPORAL_ADDRESS" {
				return "off"
			}
			return base(k)
		}
		if err := benchFills(ctx, dbEnv, *orders, *qty, *cover, *users, out); err != nil {
			return fmt.Errorf("(a): %w", err)
		}
		*only = strings.ReplaceAll(*only, "a", "")
	}
	if strings.ContainsRune(*only, 'a') || strings.ContainsRune(*only, 'b') {
		addr := *temporalAddr
		if addr == "" {
			dbPath := ""
			if *fileTemporal {
				dbPath = filepath.Join(*dir, "temporal.db")
			}
			front, _, stop, err := startEmbeddedTemporal(ctx, "127.0.0.1:0", "", "default", dbPath, logger)
			if err != nil {
				return err
			}
			defer stop()
			addr = front
			fmt.Fprintf(out, "embedded Temporal server at %s (%s)\n", addr, map[bool]string{true: "SQLite file", false: "in memory"}[*fileTemporal])
		}
		base := env
		env = func(k string) string {
			if k == "TEMPORAL_ADDRESS" {
				return addr
			}
			return base(k)
		}
	}
	if strings.ContainsRune(*only, 'a') {
		if err := benchFills(ctx, env, *orders, *qty, *cover, *users, out); err != nil {
			return fmt.Errorf("(a): %w", err)
		}
	}
	if strings.ContainsRune(*only, 'b') {
		if err := benchCeiling(ctx, env, *ceiling, out); err != nil {
			return fmt.Errorf("(b): %w", err)
		}
	}
	if strings.ContainsRune(*only, 'c') {
		idleEnv := func(k string) string {
			switch k {
			case "DATABASE_URI":
				return "sqlite:///" + filepath.Join(*dir, "idle.db")
			case "TEMPORAL_ADDRESS":
				return "off"
			}
			return env(k)
		}
		if err := benchIdleTick(ctx, idleEnv, *idle, *ticks, out); err != nil {
			return fmt.Errorf("(c): %w", err)
		}
	}
	return nil
}

// openBenchMain opens a Main with the worker and relay in-process.
func openBenchMain(ctx context.Context, env func(string) string, opts Options) (*Main, error) {
	cfg, err := LoadConfig(env, true)
	if err != nil {
		return nil, err
	}
	m := NewMain(cfg, opts)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// fundedUsers signs up n users with plenty of cash.
func fundedUsers(ctx context.Context, svc *service.Service, n int, tag string) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		u, err := svc.Users.Create(ctx, service.SignupInput{Email: fmt.Sprintf("%s-%d@bench.stocking.dev", tag, i), Password: "bench-password", Nickname: fmt.Sprintf("%s%d", tag, i)}, domain.RoleUser)
		if err != nil {
			return nil, err
		}
		if _, err := svc.Accounts.Grant(ctx, u.ID, decimal.New(1, 11)); err != nil {
			return nil, err
		}
		ids[i] = u.ID
	}
	return ids, nil
}

// placeResting places n resting limit buys at limit across users, 16 at
// a time.
func placeResting(ctx context.Context, svc *service.Service, userIDs []string, n int, qty int64, code string, limit decimal.Decimal, tif domain.TimeInForce) error {
	return parallel(ctx, n, 16, func(i int) error {
		_, err := svc.Orders.Place(ctx, service.Personal(userIDs[i%len(userIDs)]), domain.OrderRequest{
			StockCode: code, Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: tif,
			Quantity: qty, LimitPrice: decimal.NewNullDecimal(limit),
		})
		return err
	})
}

// countWorkflows counts the workflows the visibility store lists for
// query. While thousands of visibility records wait to be written, a count
// can wait longer than the call's deadline; it is asked again, up to a
// minute in all.
func countWorkflows(ctx context.Context, c client.Client, ns, query string) (int64, error) {
	give := time.Now().Add(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		resp, err := c.CountWorkflow(cctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns, Query: query})
		cancel()
		if err == nil {
			return resp.GetCount(), nil
		}
		if ctx.Err() != nil || time.Now().After(give) {
			return 0, fmt.Errorf("counting workflows (%s): %w", query, err)
		}
		time.Sleep(time.Second)
	}
}

// waitIdleQueue waits until the task queue has had no workflow task
// waiting for a worker for three checks in a row, a second apart (the
// server's backlog count is approximate and refreshed every few seconds).
func waitIdleQueue(ctx context.Context, c client.Client, ns, queue string) error {
	for quiet := 0; quiet < 3; {
		resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: ns, TaskQueue: &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW, ReportStats: true,
		})
		if err != nil {
			return fmt.Errorf("describing task queue %s: %w", queue, err)
		}
		if resp.GetStats().GetApproximateBacklogCount() == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil
}

func benchFills(ctx context.Context, env func(string) string, n int, qty int64, cover float64, nUsers int, out io.Writer) error {
	if qty < 1 || cover <= 0 || cover > 1 || n < 1 {
		return fmt.Errorf("need -orders and -qty of at least 1 and -cover in (0, 1]")
	}
	withWorkflows := env("TEMPORAL_ADDRESS") != "off"
	m, err := openBenchMain(ctx, env, Options{Migrate: true, Seed: true, Worker: withWorkflows, Relay: withWorkflows})
	if err != nil {
		return err
	}
	defer m.Close()
	svc := m.Service
	const code = "005930"
	if _, err := svc.Market.Upsert(ctx, service.StockInput{Code: code, Price: decimal.NewNullDecimal(decimal.NewFromInt(70000)), PrevClose: decimal.NewNullDecimal(decimal.NewFromInt(70000))}); err != nil {
		return err
	}
	users, err := fundedUsers(ctx, svc, nUsers, "fill")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "(a) placing %d resting limit orders of %d shares across %d users ...\n", n, qty, nUsers)
	start := time.Now()
	if err := placeResting(ctx, svc, users, n, qty, code, decimal.NewFromInt(69000), domain.GTC); err != nil {
		return err
	}
	placed := time.Since(start)
	ns := m.Config.TemporalNamespace
	running := fmt.Sprintf("WorkflowType='%s' AND ExecutionStatus='Running'", workflows.OrderWorkflowName)
	for withWorkflows {
		size, err := m.Store.OutboxSize(ctx)
		if err != nil {
			return err
		}
		c, err := countWorkflows(ctx, m.Temporal, ns, running)
		if err != nil {
			return err
		}
		if size == 0 && c >= int64(n) {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(200 * time.Millisecond)
	}
	started := time.Since(start)
	if withWorkflows {
		fmt.Fprintf(out, "    placed in %s (%.0f orders/s); all %d workflows running after %s (%.0f starts/s)\n",
			placed.Round(time.Millisecond), float64(n)/placed.Seconds(), n, started.Round(time.Millisecond), float64(n)/started.Seconds())
		// A started workflow has yet to run its first task, which loads
		// the order: the orders rest, as they would before a trade in the
		// middle of the day, once the task queue has nothing waiting.
		if err := waitIdleQueue(ctx, m.Temporal, ns, m.Config.TemporalTaskQueue); err != nil {
			return err
		}
		fmt.Fprintf(out, "    every workflow idle, waiting for its order's fill, after %s\n", time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Fprintf(out, "    placed in %s (%.0f orders/s), no workflows\n", placed.Round(time.Millisecond), float64(n)/placed.Seconds())
	}

	// A first trade opens the session, so that the measured one fills at
	// the orders' limits, as a trade in the middle of the day does.
	if _, err := svc.Market.Trade(ctx, service.TradeInput{Code: code, Price: decimal.NewFromInt(69500), Volume: new(int64(1))}); err != nil {
		return err
	}
	volume := int64(cover*float64(int64(n)*qty)) - 1
	if volume < 1 {
		return fmt.Errorf("-cover %v of %d orders of %d shares is no volume", cover, n, qty)
	}
	// Price-time priority: the first volume/qty orders fill in full, the
	// next one gets the rest of the volume, the others wait.
	full, part := volume/qty, volume%qty
	want := int(full)
	if part > 0 {
		want++
	}
	t0 := time.Now()
	filled, err := svc.Market.Trade(ctx, service.TradeInput{Code: code, Price: decimal.NewFromInt(68900), Volume: new(int64(volume))})
	if err != nil {
		return err
	}
	fillTime := time.Since(t0)
	if filled != want {
		return fmt.Errorf("the trade of %d shares made %d fills, want %d", volume, filled, want)
	}
	open, err := m.Store.ListCrossingOrders(ctx, code, decimal.NewFromInt(68900), n)
	if err != nil || int64(len(open)) != int64(n)-full || part > 0 && open[0].FilledQuantity != part {
		return fmt.Errorf("%d orders still resting after the trade, want %d with the first %d shares filled (%v)", len(open), int64(n)-full, part, err)
	}
	fmt.Fprintf(out, "    a trade of %d shares filled %d orders (%d in full, %d in part; %d rest on) in the database in %s: %.0f fills/s\n",
		volume, filled, full, min(part, 1), int64(n)-int64(filled), fillTime.Round(time.Millisecond), float64(filled)/fillTime.Seconds())
	stillOpen := int64(len(open))
	if !withWorkflows {
		return benchAudit(ctx, svc, out)
	}
	// Every ten seconds, how far the catch-up has come: messages still
	// in the outbox (fill signals not yet delivered) and workflows still
	// running (those whose close the visibility store has not yet seen).
	report := time.Now().Add(10 * time.Second)
	for {
		c, err := countWorkflows(ctx, m.Temporal, ns, running)
		if err != nil {
			return err
		}
		size, err := m.Store.OutboxSize(ctx)
		if err != nil {
			return err
		}
		if c == stillOpen && size == 0 {
			break
		}
		if time.Now().After(report) {
			fmt.Fprintf(out, "    %s: %d messages in the outbox, %d workflows running (%d will rest on)\n", time.Since(t0).Round(time.Second), size, c, stillOpen)
			report = report.Add(10 * time.Second)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(250 * time.Millisecond)
	}
	closed := time.Since(t0)
	done, err := countWorkflows(ctx, m.Temporal, ns, fmt.Sprintf("WorkflowType='%s' AND ExecutionStatus='Completed'", workflows.OrderWorkflowName))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    every filled order's workflow closed and every fill signalled %s after the trade (%d completed, %.0f fills/s end to end)\n", closed.Round(time.Millisecond), done, float64(filled)/closed.Seconds())
	return benchAudit(ctx, svc, out)
}

// benchAudit runs the audit and fails on any violation.
func benchAudit(ctx context.Context, svc *service.Service, out io.Writer) error {
	rep, err := svc.Audit.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    audit: %d accounts, %d violations\n", rep.Accounts, len(rep.Violations))
	if len(rep.Violations) > 0 {
		return errors.New("audit failed")
	}
	return nil
}

// ceilingWorkflow is the plain shape of (b): wait for a signal, run one
// activity, complete.
func ceilingWorkflow(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(actx, "CeilingActivity").Get(ctx, nil)
}

func ceilingActivity(ctx context.Context) error {
	_ = activity.GetInfo(ctx)
	return nil
}

func benchCeiling(ctx context.Context, env func(string) string, n int, out io.Writer) error {
	cfg, err := LoadConfig(env, true)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := temporaladapter.Dial(temporaladapter.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, Logger: quiet})
	if err != nil {
		return err
	}
	defer c.Close()
	const queue = "stocking-bench-ceiling"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(ceilingWorkflow, workflow.RegisterOptions{Name: "CeilingWorkflow"})
	w.RegisterActivityWithOptions(ceilingActivity, activity.RegisterOptions{Name: "CeilingActivity"})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	fmt.Fprintf(out, "(b) starting %d signal → activity → complete workflows ...\n", n)
	runs := make([]client.WorkflowRun, n)
	start := time.Now()
	if err := parallel(ctx, n, 32, func(i int) error {
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("ceiling-%s-%d", run, i), TaskQueue: queue}, "CeilingWorkflow")
		runs[i] = r
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "    started in %s (%.0f starts/s)\n", time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	time.Sleep(2 * time.Second) // let every first workflow task run
	start = time.Now()
	if err := parallel(ctx, n, 32, func(i int) error {
		return c.SignalWorkflow(ctx, runs[i].GetID(), "", "go", nil)
	}); err != nil {
		return err
	}
	signalled := time.Since(start)
	if err := parallel(ctx, n, 64, func(i int) error { return runs[i].Get(ctx, nil) }); err != nil {
		return err
	}
	total := time.Since(start)
	fmt.Fprintf(out, "    signalled in %s; all completed in %s: %.0f completions/s\n", signalled.Round(time.Millisecond), total.Round(time.Millisecond), float64(n)/total.Seconds())
	return nil
}

// parallel runs fn for 0..n-1 with at most c at a time and returns the
// first error.
func parallel(ctx context.Context, n, c int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func benchIdleTick(ctx context.Context, env func(string) string, n, ticks int, out io.Writer) error {
	m, err := openBenchMain(ctx, env, Options{Migrate: true, Seed: true})
	if err != nil {
		return err
	}
	defer m.Close()
	svc := m.Service
	const code = "000660"
	users, err := fundedUsers(ctx, svc, 100, "idle")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "(c) placing %d resting limit orders that the ticks will not cross ...\n", n)
	start := time.Now()
	if err := placeResting(ctx, svc, users, n, 1, code, decimal.NewFromInt(150000), domain.GTC); err != nil {
		return err
	}
	fmt.Fprintf(out, "    placed in %s (%.0f orders/s)\n", time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	prices := []decimal.Decimal{decimal.NewFromInt(190000), decimal.NewFromInt(190100)}
	lat := make([]time.Duration, ticks)
	for i := range ticks {
		t0 := time.Now()
		filled, err := svc.Market.Tick(ctx, code, prices[i%2])
		lat[i] = time.Since(t0)
		if err != nil {
			return err
		}
		if filled != 0 {
			return fmt.Errorf("a tick at %s filled %d orders", prices[i%2], filled)
		}
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	fmt.Fprintf(out, "    %d ticks that cross none of %d resting orders: mean %s, p50 %s, p99 %s, max %s\n", ticks, n,
		(sum / time.Duration(ticks)).Round(time.Microsecond), lat[ticks/2].Round(time.Microsecond), lat[ticks*99/100].Round(time.Microsecond), lat[ticks-1].Round(time.Microsecond))
	return nil
}

func ptr[T any](v T) *T { return &v }
