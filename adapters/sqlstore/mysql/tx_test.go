package mysql

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/ports/storetest"
)

// newUsers creates n users with accounts.
func newUsers(tb testing.TB, s *Store, n int) []string {
	tb.Helper()
	now := time.Now().UTC()
	ids := make([]string, n)
	for i := range ids {
		id := uuid.Must(uuid.NewV7()).String()
		err := s.WithinTx(tb.Context(), func(ctx context.Context, tx ports.Tx) error {
			if err := tx.CreateUser(ctx, domain.User{ID: id, Email: id + "@example.com", Nickname: "u", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			cash := decimal.NewFromInt(1000000)
			return tx.CreateAccount(ctx, domain.Account{ID: id, UserID: id, Kind: domain.PersonalAccount, Cash: cash, TotalDeposits: cash, UpdatedAt: now})
		})
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// TestDeadlockIsRetried makes two transactions lock two accounts in
// opposite orders, a real deadlock: InnoDB rolls one back, and WithinTx
// runs it again, so both callers succeed and both changes are kept.
func TestDeadlockIsRetried(t *testing.T) {
	s := openTest(t)
	ids := newUsers(t, s, 2)
	// Both transactions hold their first lock before either asks for
	// its second; only the first attempts wait for each other.
	var holding sync.WaitGroup
	holding.Add(2)
	var attempts [2]atomic.Int32
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			first, second := ids[i], ids[1-i]
			errs[i] = s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
				n := attempts[i].Add(1)
				a, err := tx.LockAccount(ctx, first)
				if err != nil {
					return err
				}
				if n == 1 {
					holding.Done()
					holding.Wait()
				}
				b, err := tx.LockAccount(ctx, second)
				if err != nil {
					return err
				}
				a.Cash = a.Cash.Sub(decimal.NewFromInt(1))
				b.Cash = b.Cash.Add(decimal.NewFromInt(1))
				if err := tx.SaveAccount(ctx, a); err != nil {
					return err
				}
				return tx.SaveAccount(ctx, b)
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if n := attempts[0].Load() + attempts[1].Load(); n < 3 {
		t.Errorf("%d attempts in all, want a retried deadlock (at least 3)", n)
	}
	for _, id := range ids {
		a, err := s.GetAccount(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Cash.Equal(decimal.NewFromInt(1000000)) {
			t.Errorf("cash %s after one won out and one won in, want 1000000", a.Cash)
		}
	}
}

// TestBrokenTxRefusesStatements makes a deadlock whose victim swallows
// the error: once the server has ended a transaction, the attempt refuses
// further statements, so nothing runs outside the transaction, and
// WithinTx runs the function again instead of committing.
func TestBrokenTxRefusesStatements(t *testing.T) {
	s := openTest(t)
	ids := newUsers(t, s, 2)
	var holding sync.WaitGroup
	holding.Add(2)
	var attempts, swallowed atomic.Int32
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			n := 0
			errs[i] = s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
				attempts.Add(1)
				n++
				a, err := tx.LockAccount(ctx, ids[i])
				if err != nil {
					return err
				}
				if n == 1 {
					holding.Done()
					holding.Wait()
				}
				if _, err := tx.LockAccount(ctx, ids[1-i]); err != nil {
					swallowed.Add(1)
					if _, err := tx.GetAccount(ctx, ids[i]); err == nil {
						t.Error("a broken transaction ran a statement")
					}
					return nil
				}
				a.Cash = a.Cash.Add(decimal.NewFromInt(1))
				return tx.SaveAccount(ctx, a)
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if swallowed.Load() != 1 || attempts.Load() != 3 {
		t.Errorf("%d swallowed deadlocks in %d attempts, want 1 in 3", swallowed.Load(), attempts.Load())
	}
	for _, id := range ids {
		a, err := s.GetAccount(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Cash.Equal(decimal.NewFromInt(1000001)) {
			t.Errorf("cash %s, want 1000001: each transaction committed exactly once", a.Cash)
		}
	}
}

// TestUpdateOrderSameValues checks that a conditional update that writes
// the values already stored still reports its row (found rows, not
// changed rows).
func TestUpdateOrderSameValues(t *testing.T) {
	s := openTest(t)
	ids := newUsers(t, s, 1)
	now := time.Now().UTC().Truncate(time.Microsecond)
	o := domain.Order{
		ID: uuid.Must(uuid.NewV7()).String(), UserID: ids[0], StockCode: "005930", Side: domain.Buy,
		Type: domain.LimitOrder, TimeInForce: domain.GTC, Quantity: 1,
		LimitPrice: decimal.NewNullDecimal(decimal.NewFromInt(70000)), Status: domain.Pending,
		ReservedAmount: decimal.NewFromInt(70011), Commission: decimal.Zero, Tax: decimal.Zero,
		CreatedAt: now, UpdatedAt: now,
	}
	var ok bool
	err := s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		if err := tx.CreateOrder(ctx, o); err != nil {
			return err
		}
		var err error
		ok, err = tx.UpdateOrder(ctx, o, domain.Pending)
		return err
	})
	if err != nil || !ok {
		t.Fatalf("UpdateOrder(unchanged) = %v, %v; want true", ok, err)
	}
}

// TestSessionSettings checks what every transaction connection is set up
// with: autocommit off (the pipe ends every transaction itself), READ
// COMMITTED, UTC and strict mode; and that read connections autocommit.
func TestSessionSettings(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	conn, err := s.d.wdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var autocommit int
	var zone, mode string
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.autocommit, @@SESSION.time_zone, @@SESSION.sql_mode").Scan(&autocommit, &zone, &mode); err != nil {
		t.Fatal(err)
	}
	// MySQL 8 names the level transaction_isolation, MariaDB 10.11
	// tx_isolation.
	var level string
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.transaction_isolation").Scan(&level); err != nil {
		if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.tx_isolation").Scan(&level); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if autocommit != 0 || zone != "+00:00" || !strings.Contains(mode, "STRICT_ALL_TABLES") || (s.d.readCommitted && level != "READ-COMMITTED") {
		t.Errorf("transaction session: autocommit=%d time_zone=%s isolation=%s sql_mode=%s", autocommit, zone, level, mode)
	}
	if err := s.d.db.QueryRowContext(ctx, "SELECT @@SESSION.autocommit").Scan(&autocommit); err != nil {
		t.Fatal(err)
	}
	if autocommit != 1 {
		t.Errorf("read session: autocommit=%d, want 1", autocommit)
	}
}

// requests counts the requests sent over connections dialled through
// the "stocking-counted" network (each request is one write).
var requests atomic.Int64

type countedConn struct{ net.Conn }

func (c countedConn) Write(b []byte) (int, error) {
	requests.Add(1)
	return c.Conn.Write(b)
}

func init() {
	gomysql.RegisterDialContext("stocking-counted", func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return countedConn{c}, nil
	})
}

// TestMarketOrderRoundTrips counts the requests of a market order's
// transaction: lock the account, read the listing, lock the holding, then
// the five writes and COMMIT together.
func TestMarketOrderRoundTrips(t *testing.T) {
	dsn := freshDatabase(t)
	if !strings.Contains(dsn, "@tcp(") {
		t.Skipf("the test server is not reached over TCP: %s", dsn)
	}
	s, err := Open(t.Context(), Config{DSN: strings.Replace(dsn, "@tcp(", "@stocking-counted(", 1), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	m := storetest.NewTraders(t, s, 1)[0]
	// The first order opens the transaction connection (and sets up its
	// session); the next ones show the steady cost.
	if err := m.Buy(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		before := requests.Load()
		if err := m.Buy(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		if got := requests.Load() - before; got != 4 {
			t.Errorf("a market order took %d requests, want 4", got)
		}
	}
}
