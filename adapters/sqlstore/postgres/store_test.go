package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/ports/storetest"
	"github.com/stocking-kr/stocking/service/servicetest"
)

// uriEnv names the server the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const uriEnv = "STOCKING_TEST_POSTGRES_URI"

// testURI returns the test server's URI, or skips the test when none is
// configured (and fails it when STOCKING_TEST_REQUIRE_ENGINES names
// postgres, as CI does, so that a missing server cannot pass unseen).
func testURI(tb testing.TB) string {
	tb.Helper()
	uri := os.Getenv(uriEnv)
	if uri != "" {
		return uri
	}
	if slices.Contains(strings.Split(os.Getenv("STOCKING_TEST_REQUIRE_ENGINES"), ","), "postgres") {
		tb.Fatalf("%s is not set, but STOCKING_TEST_REQUIRE_ENGINES requires postgres", uriEnv)
	}
	tb.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", uriEnv)
	return ""
}

// openTest opens and migrates a store in a fresh schema of its own, and
// drops the schema when the test ends, so that runs never see each
// other's rows and leave nothing behind.
func openTest(tb testing.TB) *Store {
	tb.Helper()
	return openTestWith(tb, Config{URL: testURI(tb)})
}

// openTestWith is openTest with the settings of cfg, whose URL may lead
// to the test server through a proxy.
func openTestWith(tb testing.TB, cfg Config) *Store {
	tb.Helper()
	uri := testURI(tb)
	b := make([]byte, 6)
	rand.Read(b)
	name := "stocking_test_" + hex.EncodeToString(b)
	cfg.Schema = name
	s, err := Open(tb.Context(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, uri)
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store { return openTest(t) })
}

func TestServiceConformance(t *testing.T) {
	servicetest.Run(t, func(t *testing.T) ports.Store { return openTest(t) })
}

// TestMigrateTwice checks that migrating an up-to-date schema is a no-op
// and that Info reports it.
func TestMigrateTwice(t *testing.T) {
	s := openTest(t)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Engine != "postgres" || !strings.HasPrefix(info.Version, "1") {
		t.Errorf("Info = %+v", info)
	}
}

// TestSchemasAreSeparate checks that two stores in different schemas of
// one database do not share rows.
func TestSchemasAreSeparate(t *testing.T) {
	a, b := openTest(t), openTest(t)
	err := a.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		return tx.UpsertStock(ctx, domain.Stock{Code: "005930", Name: "삼성전자", Market: domain.KOSPI, Price: decimal.NewFromInt(70000), PrevClose: decimal.NewFromInt(70000), Active: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := b.ListStocks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("a store in another schema sees %d listings", len(list))
	}
}

// TestCrossingUsesIndex fills the orders table with many final orders and
// a few resting ones, then checks that the matcher's query is an index
// scan of the partial index orders_book in priority order, on both sides,
// not a scan of the table.
func TestCrossingUsesIndex(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	const users, perUser = 20, 500
	_, err := s.d.pool.Exec(ctx, `
		INSERT INTO stocks (code, name, name_en, market, price, prev_close, updated_at)
		SELECT lpad(g::text, 6, '0'), 'S' || g, 'S' || g, 'KOSPI', 70000, 70000, now()
		FROM generate_series(1, 50) g;
		INSERT INTO users (id, email, nickname, password_hash, created_at, updated_at)
		SELECT 'u' || lpad(g::text, 5, '0'), 'u' || g || '@example.com', 'n', 'h', now(), now()
		FROM generate_series(1, `+fmt.Sprint(users)+`) g;
		INSERT INTO orders (id, user_id, stock_code, side, type, time_in_force, quantity,
		    limit_price, price_key, status, reserved_amount, commission, tax, expires_at, created_at, updated_at,
		    priority_at, book, book_key)
		SELECT 'o' || lpad(g::text, 9, '0'),
		       'u' || lpad((1 + g % `+fmt.Sprint(users)+`)::text, 5, '0'),
		       lpad((1 + g % 50)::text, 6, '0'),
		       CASE WHEN g % 2 = 0 THEN 'BUY' ELSE 'SELL' END, 'LIMIT', 'DAY', 1,
		       60000 + (g % 200) * 100, 60000 + (g % 200) * 100,
		       CASE WHEN g % 97 = 0 THEN 'PENDING' ELSE 'FILLED' END,
		       0, 0, 0, now() + interval '1 hour', now(), now(), now(),
		       CASE WHEN g % 97 = 0 THEN 'L' END,
		       CASE WHEN g % 2 = 0 THEN -1 ELSE 1 END * (60000 + (g % 200) * 100)
		FROM generate_series(1, `+fmt.Sprint(users*perUser)+`) g;
		ANALYZE stocks; ANALYZE users; ANALYZE orders;`)
	if err != nil {
		t.Fatal(err)
	}
	// The plan of the statement exactly as the adapter sends it, with
	// parameters bound the way pgx binds them.
	plan := func(query string, args ...any) string {
		t.Helper()
		rows, err := s.d.pool.Query(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	for _, side := range []struct {
		name string
		key  int64
	}{{"BUY", -70000}, {"SELL", 70000}} {
		got := plan(pgdb.PlannedQueries["ListBookOrders"], "000007", "L", side.name, side.key, int32(200))
		t.Logf("ListBookOrders %s plan:\n%s", side.name, got)
		if !strings.Contains(got, "Index Scan using orders_book") || strings.Contains(got, "Sort") {
			t.Errorf("ListBookOrders %s does not read orders_book in order:\n%s", side.name, got)
		}
		if strings.Contains(got, "Seq Scan") {
			t.Errorf("ListBookOrders %s scans the orders table:\n%s", side.name, got)
		}
	}
	got := plan(pgdb.PlannedQueries["ListExpiringOrders"], time.Now().Add(2*time.Hour), int32(100))
	if !strings.Contains(got, "orders_expiry") || strings.Contains(got, "Seq Scan") {
		t.Errorf("ListExpiringOrders does not use orders_expiry:\n%s", got)
	}

	// And the adapter's answer on that table is right: every resting
	// order of the listing that crosses, and nothing else.
	var code string
	var want int
	err = s.d.pool.QueryRow(ctx, `SELECT stock_code, count(*) FROM orders
		WHERE status = 'PENDING' AND ((side = 'BUY' AND limit_price >= 70000) OR (side = 'SELL' AND limit_price <= 70000))
		GROUP BY stock_code ORDER BY count(*) DESC, stock_code LIMIT 1`).Scan(&code, &want)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListCrossingOrders(ctx, code, decimal.NewFromInt(70000), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != want {
		t.Errorf("ListCrossingOrders(%s at 70000) = %d orders, want %d", code, len(list), want)
	}
	for _, o := range list {
		if o.Status != domain.Pending || o.StockCode != code || !domain.Crosses(o.Side, o.LimitPrice.Decimal, decimal.NewFromInt(70000)) {
			t.Errorf("ListCrossingOrders returned %+v", o)
		}
	}
}

// The store's connections run without JIT compilation unless the URL asks
// for it.
func TestJITIsOffUnlessAsked(t *testing.T) {
	jit := func(s *Store) string {
		var v string
		if err := s.d.pool.QueryRow(t.Context(), "SHOW jit").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := jit(openTest(t)); got != "off" {
		t.Errorf("jit = %q by default, want off", got)
	}
	uri := testURI(t)
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	if got := jit(openTestWith(t, Config{URL: uri + sep + "jit=on"})); got != "on" {
		t.Errorf("jit = %q with jit=on in the URL, want on", got)
	}
}
