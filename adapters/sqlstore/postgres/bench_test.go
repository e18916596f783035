package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// marketOrderBench is a user and a listing ready for market orders.
type marketOrderBench struct {
	s      *Store
	userID string
	code   string
	fees   domain.Fees
}

func newMarketOrderBench(b testing.TB, s *Store, users int) []marketOrderBench {
	b.Helper()
	ctx := b.Context()
	now := time.Now().UTC()
	code := "005930"
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		return tx.UpsertStock(ctx, domain.Stock{Code: code, Name: "삼성전자", Market: domain.KOSPI,
			Price: decimal.NewFromInt(70000), PrevClose: decimal.NewFromInt(70000), Active: true, UpdatedAt: now})
	})
	if err != nil {
		b.Fatal(err)
	}
	out := make([]marketOrderBench, users)
	for i := range out {
		id := uuid.Must(uuid.NewV7()).String()
		err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			if err := tx.CreateUser(ctx, domain.User{ID: id, Email: id + "@example.com", Nickname: "bench", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			cash := decimal.New(1, 15)
			return tx.CreateAccount(ctx, domain.Account{UserID: id, Cash: cash, TotalDeposits: cash, UpdatedAt: now})
		})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = marketOrderBench{s: s, userID: id, code: code, fees: domain.DefaultFees()}
	}
	return out
}

// buy runs the transaction of one market buy: the same statements the
// order service issues, in the same order.
func (m marketOrderBench) buy(ctx context.Context, qty int64) error {
	return m.s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := time.Now().UTC()
		a, err := tx.LockAccount(ctx, m.userID)
		if err != nil {
			return err
		}
		st, err := tx.GetStock(ctx, m.code)
		if err != nil {
			return err
		}
		h, err := tx.LockHolding(ctx, m.userID, m.code)
		if errors.Is(err, domain.ErrNotFound) {
			h = domain.Holding{UserID: m.userID, StockCode: m.code, CreatedAt: now}
		} else if err != nil {
			return err
		}
		set := m.fees.Settle(domain.Buy, qty, st.Price, h.AveragePrice)
		o := domain.Order{
			ID: uuid.Must(uuid.NewV7()).String(), UserID: m.userID, StockCode: m.code,
			Side: domain.Buy, Type: domain.MarketOrder, Quantity: qty, Status: domain.Filled,
			FilledQuantity: qty, AverageFillPrice: decimal.NewNullDecimal(st.Price),
			Commission: set.Commission, Tax: set.Tax, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.CreateExecution(ctx, domain.Execution{
			ID: uuid.Must(uuid.NewV7()).String(), OrderID: o.ID, UserID: m.userID, StockCode: m.code,
			Side: domain.Buy, Quantity: qty, Price: st.Price, Amount: set.Amount,
			Commission: set.Commission, Tax: set.Tax, ExecutedAt: now,
		}); err != nil {
			return err
		}
		before := a.Cash
		a.ApplySettlement(set)
		a.LedgerSeq++
		a.UpdatedAt = now
		if err := tx.SaveAccount(ctx, a); err != nil {
			return err
		}
		h.ApplyBuy(qty, st.Price)
		h.UpdatedAt = now
		if err := tx.SaveHolding(ctx, h); err != nil {
			return err
		}
		return tx.AppendLedger(ctx, domain.LedgerEntry{
			ID: uuid.Must(uuid.NewV7()).String(), UserID: m.userID, Seq: a.LedgerSeq, Type: domain.TxBuy,
			StockCode: m.code, OrderID: o.ID, Quantity: qty, Price: decimal.NewNullDecimal(st.Price),
			Amount: set.Amount, Commission: set.Commission, Tax: set.Tax,
			CashBalanceBefore: before, CashBalanceAfter: a.Cash, CreatedAt: now,
		})
	})
}

// BenchmarkMarketOrderTxParallel measures one market order's transaction
// (lock account, read stock, lock holding, create order and execution,
// save account and holding, append ledger, commit) from 16 goroutines over
// 64 users, as HTTP handlers issue it. Besides the wall-clock rate it
// reports the CPU that the test process and the server's backends spend
// per order, the steadier measures on a shared machine:
//
//	go test -run '^$' -bench MarketOrderTx -benchtime 20000x ./adapters/sqlstore/postgres/
func BenchmarkMarketOrderTxParallel(b *testing.B) {
	s := openTest(b)
	users := newMarketOrderBench(b, s, 64)
	ctx := b.Context()
	next := make(chan int, len(users))
	for i := range users {
		next <- i
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	cpu := startCPU(b, s)
	b.RunParallel(func(pb *testing.PB) {
		u := users[<-next%len(users)]
		for pb.Next() {
			if err := u.buy(ctx, 1); err != nil {
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

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU sums the CPU time of the backends of the store's pooled
// connections, read from /proc (the server runs on this machine in the
// benchmark setting; elsewhere it reads as zero).
func serverCPU(ctx context.Context, s *Store) time.Duration {
	var total time.Duration
	conns := s.pool.AcquireAllIdle(ctx)
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
	return cpuMeter{s: s, start: processCPU(), serverStart: serverCPU(b.Context(), s)}
}

func (c cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64((processCPU()-c.start).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64((serverCPU(b.Context(), c.s)-c.serverStart).Microseconds())/float64(b.N), "server-cpu-µs/op")
}
