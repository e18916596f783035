package mysql

import (
	"testing"
	"time"

	"github.com/stocking-kr/stocking/internal/cputime"
	"github.com/stocking-kr/stocking/ports/storetest"
)

// BenchmarkMarketOrderTx measures one market order's transaction (lock
// account, read stock, lock holding, create order and execution, save
// account and holding, append ledger, commit) against the server named by
// STOCKING_TEST_MYSQL_URI. cpu-µs/op counts this process only; the
// server's work shows in ns/op.
//
//	STOCKING_TEST_MYSQL_URI=mysql://root@127.0.0.1:3306/test \
//	  go test -run '^$' -bench MarketOrderTx -benchtime 5000x ./adapters/sqlstore/mysql/
func BenchmarkMarketOrderTx(b *testing.B) {
	s := openTest(b)
	users := storetest.NewTraders(b, s, 1)
	ctx := b.Context()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := users[0].Buy(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkMarketOrderTxParallel is the same transaction from many
// goroutines and users at once, as HTTP handlers issue it.
func BenchmarkMarketOrderTxParallel(b *testing.B) {
	s := openTest(b)
	users := storetest.NewTraders(b, s, 64)
	ctx := b.Context()
	next := make(chan int, len(users))
	for i := range users {
		next <- i
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		u := users[<-next%len(users)]
		for pb.Next() {
			if err := u.Buy(ctx, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu.report(b)
}

// cpuMeter measures the CPU time this process spends, a steadier measure
// of the client side's cost than ns/op on a shared machine.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: cputime.Process()} }

func (c cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64((cputime.Process()-c.start).Microseconds())/float64(b.N), "cpu-µs/op")
}
