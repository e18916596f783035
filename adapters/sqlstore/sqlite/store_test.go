package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/ports/storetest"
	"github.com/stocking-kr/stocking/service/servicetest"
)

// openTest opens and migrates a store that closes with the test.
func openTest(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), Config{Path: path})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformanceFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store {
		return openTest(t, filepath.Join(t.TempDir(), "stocking.db"))
	})
}

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store {
		return openTest(t, MemoryPath)
	})
}

func TestServiceConformance(t *testing.T) {
	servicetest.Run(t, func(t *testing.T) ports.Store {
		return openTest(t, filepath.Join(t.TempDir(), "stocking.db"))
	})
}

// TestMemoryStoresArePrivate checks that two in-memory stores do not share
// a database.
func TestMemoryStoresArePrivate(t *testing.T) {
	a := openTest(t, MemoryPath)
	b, err := Open(t.Context(), Config{Path: MemoryPath})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	info, err := b.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Migrations {
		if m.Applied {
			t.Fatalf("a fresh in-memory store sees migration %d applied by another", m.Version)
		}
	}
	if _, err := a.ListStocks(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateTwice checks that migrating an up-to-date file is a no-op and
// that a reopened file keeps its data and settings.
func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stocking.db")
	s := openTest(t, path)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.d.wconn.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var fk int
	if err := s.d.rdb.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 1 {
		t.Errorf("foreign_keys on the read pool = %d, want 1", fk)
	}
	// The read pool refuses writes.
	if _, err := s.d.rdb.ExecContext(t.Context(), "DELETE FROM users"); err == nil {
		t.Error("a read connection accepted a write")
	}
}

// TestCrossingUsesIndex checks that the matcher's query is a range scan
// of the partial index orders_book in priority order, not a scan of the
// orders table, nor a sort.
func TestCrossingUsesIndex(t *testing.T) {
	s := openTest(t, MemoryPath)
	plan := explain(t, s, sqlitedb.PlannedQueries["ListBookOrders"], "005930", "L", "BUY", -70000, 10)
	if !strings.Contains(plan, "USING INDEX orders_book (stock_code=? AND book=? AND side=? AND book_key<?)") {
		t.Errorf("ListBookOrders plan does not range-scan orders_book:\n%s", plan)
	}
	if strings.Contains(plan, "SCAN orders") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("ListBookOrders plan scans the orders table or sorts:\n%s", plan)
	}
	// Expiry and open-order lookups use their indexes too.
	plan = explain(t, s, sqlitedb.PlannedQueries["ListExpiringOrders"], "2026-03-02 00:00:00+00:00", 10)
	if !strings.Contains(plan, "orders_expiry") {
		t.Errorf("expiring plan does not use orders_expiry:\n%s", plan)
	}
}

func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.d.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
