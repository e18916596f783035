package devserver

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/stocking-kr/stocking/internal/cputime"
)

const benchTaskQueue = "devserver-bench"

// benchParked records the workflows that have reached their signal wait, so
// the signal phase starts only when every workflow is parked. A map rather
// than a counter because a replayed workflow passes the same point again.
var benchParked sync.Map

var benchRound atomic.Int64

func benchWorkflow(ctx workflow.Context) error {
	benchParked.Store(workflow.GetInfo(ctx).WorkflowExecution.ID, true)
	workflow.GetSignalChannel(ctx, approveSignal).Receive(ctx, nil)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	return workflow.ExecuteActivity(ctx, benchActivity).Get(ctx, nil)
}

func benchActivity(context.Context) error { return nil }

// BenchmarkSignalActivityComplete measures the life of an order-like
// workflow: b.N workflows are started and parked on a signal (starts/s), then
// each is signalled, runs one activity and completes (completions/s, from the
// first signal to the last completion). cpu-ms/wf is the process's CPU time
// per workflow, server, worker and client together; it compares settings
// more reliably than the rates when other work shares the machine. Run it
// with a fixed count:
//
//	go test ./adapters/temporal/devserver/ -run '^$' -bench SignalActivityComplete -benchtime 500x
func BenchmarkSignalActivityComplete(b *testing.B) {
	settings := []tuning{
		{historyShards: 1, sqliteConns: 1, persistenceQPS: 0}, // the server's own QPS limits
		{historyShards: 1, sqliteConns: 1, persistenceQPS: 50_000},
		{historyShards: 4, sqliteConns: 1, persistenceQPS: 50_000},
		// Several WAL connections: SQLite then fails some writes with
		// "database is locked" (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT) because
		// the plugin's transactions start deferred, whatever busy_timeout is.
		{historyShards: 1, sqliteConns: 4, persistenceQPS: 50_000},
	}
	for _, mode := range []string{"mem", "file"} {
		for _, tune := range settings {
			if mode == "mem" && tune.sqliteConns != 1 {
				continue // in-memory mode always uses one connection
			}
			name := fmt.Sprintf("%s/shards=%d,conns=%d,qps=%d", mode, tune.historyShards, tune.sqliteConns, tune.persistenceQPS)
			b.Run(name, func(b *testing.B) {
				opts := Options{FrontendAddr: "127.0.0.1:0", Logger: testLogger(b), tuning: &tune}
				if mode == "file" {
					opts.DBPath = filepath.Join(b.TempDir(), "bench.db")
				}
				runSignalActivityComplete(b, opts)
			})
		}
	}
}

func runSignalActivityComplete(b *testing.B, opts Options) {
	s := startServer(b, opts)
	c, err := client.Dial(client.Options{HostPort: s.FrontendHostPort(), Namespace: s.Namespace(), Logger: quietSDKLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, benchTaskQueue, worker.Options{
		MaxConcurrentWorkflowTaskPollers: 4,
		MaxConcurrentActivityTaskPollers: 4,
	})
	w.RegisterWorkflow(benchWorkflow)
	w.RegisterActivityWithOptions(benchActivity, activity.RegisterOptions{Name: "benchActivity"})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// benchParked outlives a round, so every round needs IDs of its own.
	round := benchRound.Add(1)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%d-%d", round, i)
	}

	b.ResetTimer()
	cpuBefore := cputime.Process()
	began := time.Now()
	forEach(b, ids, 16, func(id string) error {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: benchTaskQueue}, benchWorkflow)
		return err
	})
	started := time.Since(began)

	for parked(ids) < len(ids) {
		if ctx.Err() != nil {
			b.Fatalf("only %d of %d workflows parked", parked(ids), len(ids))
		}
		time.Sleep(5 * time.Millisecond)
	}

	began = time.Now()
	var done atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		forEach(b, ids, 16, func(id string) error {
			return c.SignalWorkflow(ctx, id, "", approveSignal, nil)
		})
	})
	forEach(b, ids, 32, func(id string) error {
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			return err
		}
		done.Add(1)
		return nil
	})
	wg.Wait()
	completed := time.Since(began)
	cpu := cputime.Process() - cpuBefore
	b.StopTimer()

	b.ReportMetric(float64(b.N)/started.Seconds(), "starts/s")
	b.ReportMetric(float64(done.Load())/completed.Seconds(), "completions/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/wf")
	b.ReportMetric(0, "ns/op") // the rates above are the result; time per op mixes both phases
}

func parked(ids []string) int {
	n := 0
	for _, id := range ids {
		if _, ok := benchParked.Load(id); ok {
			n++
		}
	}
	return n
}

// forEach runs fn over ids with the given parallelism and fails the benchmark
// on the first error.
func forEach(b *testing.B, ids []string, parallel int, fn func(id string) error) {
	next := make(chan string)
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for id := range next {
				if err := fn(id); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Errorf("%v", *err)
	}
}
