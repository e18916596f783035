package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/internal/cputime"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/ports/storetest"
)

// BenchmarkMarketOrderTxParallel measures one market order's transaction
// (lock account, read stock, lock holding, create order and execution,
// save account and holding, append ledger, commit) from 16 goroutines over
// 64 users, as HTTP handlers issue it. Besides the wall-clock rate it
// reports the CPU that the test process and the server's backends spend
// per order, the steadier measures on a shared machine:
//
//	go test -run '^$' -bench MarketOrderTx -benchtime 20000x ./adapters/sqlstore/postgres/
//
// In "alone" each order is a transaction of its own; in "grouped" each
// names its trader (ports.WithTxKey), as the service does, so that
// concurrent ones share a commit (group.go).
func BenchmarkMarketOrderTxParallel(b *testing.B) {
	b.Run("alone", func(b *testing.B) { benchMarketOrderTx(b, false) })
	b.Run("grouped", func(b *testing.B) { benchMarketOrderTx(b, true) })
}

func benchMarketOrderTx(b *testing.B, grouped bool) {
	// STOCKING_BENCH_LANES sets the number of lanes (default: DefaultLanes).
	lanes, _ := strconv.Atoi(os.Getenv("STOCKING_BENCH_LANES"))
	s := openTestWith(b, Config{URL: testURI(b), Lanes: lanes})
	users := storetest.NewTraders(b, s, 64)
	next := make(chan int, len(users))
	for i := range users {
		next <- i
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	cpu := startCPU(b, s)
	b.RunParallel(func(pb *testing.PB) {
		i := <-next % len(users)
		u := users[i]
		ctx := b.Context()
		if grouped {
			ctx = ports.WithTxKey(ctx, strconv.Itoa(i))
		}
		for pb.Next() {
			if err := u.Buy(ctx, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu.report(b)
}

// cpuMeter measures the CPU time of the whole test process and of the
// server processes (backends) serving the store's connections.
type cpuMeter struct {
	s                  *Store
	start, serverStart time.Duration
}

// serverCPU sums the CPU time of the backends of the store's pooled
// connections, read from /proc (the server runs on this machine in the
// benchmark setting; elsewhere it reads as zero).
func serverCPU(ctx context.Context, s *Store) time.Duration {
	var total time.Duration
	conns := s.d.pool.AcquireAllIdle(ctx)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for _, c := range conns {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Conn().PgConn().PID()))
		if err != nil {
			continue
		}
		// Fields 14 and 15 (utime, stime) follow the parenthesised name.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+st) * (time.Second / 100)
	}
	return total
}

func startCPU(b *testing.B, s *Store) cpuMeter {
	return cpuMeter{s: s, start: cputime.Process(), serverStart: serverCPU(b.Context(), s)}
}

func (c cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64((cputime.Process()-c.start).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64((serverCPU(b.Context(), c.s)-c.serverStart).Microseconds())/float64(b.N), "server-cpu-µs/op")
}
