package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/internal/cputime"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/ports/storetest"
)

// BenchmarkMarketOrderTx measures one market order's transaction (lock
// account, read stock, lock holding, create order and execution, save
// account and holding, append ledger, commit) on a WAL file database,
// the production configuration.
//
//	go test -run '^$' -bench MarketOrderTx -benchtime 20000x ./adapters/sqlstore/sqlite/
func BenchmarkMarketOrderTx(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
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
// goroutines and users at once, as HTTP handlers issue it: they queue for
// the single write connection.
func BenchmarkMarketOrderTxParallel(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
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

// cpuMeter measures the CPU time the whole process spends (every thread:
// the transactions, the checkpointer, the garbage collector). On a shared
// machine it is a steadier measure of a transaction's cost than the
// wall-clock ns/op, which also counts time spent waiting for a core.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: cputime.Process()} }

func (c cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64((cputime.Process()-c.start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkRecordTrades measures the recording of a feed's batch: 256
// trades spread over 20 listings, on the tape (one row and one entry in
// the listing-and-time index each) and on the listings, in one
// transaction. The index grows at 20 places, so its pages split in the
// middle of the tree, which is what borrows SQLite's page-sized scratch
// buffers (see pagebuf.go).
//
//	go test -run '^$' -bench RecordTrades -benchtime 400x ./adapters/sqlstore/sqlite/
func BenchmarkRecordTrades(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	const codes, batch = 20, 256
	now := time.Now().UTC()
	for i := range codes {
		st := domain.Stock{Code: fmt.Sprintf("%06d", 100+i), Name: "bench", NameEn: "bench", Market: domain.KOSPI,
			Price: decimal.NewFromInt(50_000), PrevClose: decimal.NewFromInt(50_000), Active: true, UpdatedAt: now}
		if err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error { return tx.UpsertStock(ctx, st) }); err != nil {
			b.Fatal(err)
		}
	}
	trades := make([]domain.Trade, batch)
	b.ReportAllocs()
	cpu := startCPU()
	for n := 0; b.Loop(); n++ {
		for i := range trades {
			trades[i] = domain.Trade{Code: fmt.Sprintf("%06d", 100+i%codes), At: now.Add(time.Duration(n*batch+i) * time.Millisecond),
				Price: decimal.NewFromInt(50_000), Volume: 10, Bid: decimal.NewFromInt(49_950), Ask: decimal.NewFromInt(50_000)}
		}
		if err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error { return tx.RecordTrades(ctx, trades) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "trades/s")
	b.ReportMetric(float64((cputime.Process()-cpu.start).Microseconds())/float64(b.N*batch), "cpu-µs/trade")
}
