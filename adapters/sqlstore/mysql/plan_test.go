package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// restingBook fills a store with orders the way a busy day leaves them:
// mostly filled market orders, and resting limit orders on both sides of
// two listings around 70000 won. It returns the user.
func restingBook(t *testing.T, s *Store, n int) string {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	userID := uuid.Must(uuid.NewV7()).String()
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.CreateUser(ctx, domain.User{ID: userID, Email: "book@example.com", Nickname: "book", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for _, code := range []string{"005930", "000660"} {
			p := decimal.NewFromInt(70000)
			if err := tx.UpsertStock(ctx, domain.Stock{Code: code, Name: code, Market: domain.KOSPI, Price: p, PrevClose: p, Active: true, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const batch = 500
	for start := 0; start < n; start += batch {
		err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				o := domain.Order{
					ID: uuid.Must(uuid.NewV7()).String(), UserID: userID, StockCode: []string{"005930", "000660"}[i%2],
					Side: []domain.Side{domain.Buy, domain.Sell}[(i/2)%2], Quantity: 1,
					ReservedAmount: decimal.Zero, Commission: decimal.Zero, Tax: decimal.Zero,
					CreatedAt: now, UpdatedAt: now,
				}
				if i%3 == 0 {
					o.Type, o.Status, o.FilledQuantity = domain.MarketOrder, domain.Filled, 1
					o.AverageFillPrice = decimal.NewNullDecimal(decimal.NewFromInt(70000))
				} else {
					o.Type, o.Status, o.TimeInForce = domain.LimitOrder, domain.Pending, domain.Day
					o.LimitPrice = decimal.NewNullDecimal(decimal.NewFromInt(int64(60000 + 10*(i%2000))))
					o.ExpiresAt = now.Add(time.Duration(i%7) * time.Hour)
				}
				if err := tx.CreateOrder(ctx, o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.d.db.ExecContext(ctx, "ANALYZE TABLE orders"); err != nil {
		t.Fatal(err)
	}
	return userID
}

// TestCrossingUsesIndex checks on a populated book that the matcher's
// query is a range scan of orders_book in index order (no filesort),
// and that it reads about as many index entries as it returns, however
// many orders cross; and that the expiry sweep and the order history use
// their indexes too.
func TestCrossingUsesIndex(t *testing.T) {
	s := openTest(t)
	userID := restingBook(t, s, 6000)
	ctx := t.Context()

	crossing := mydb.PlannedQueries["ListBookOrders"]
	args := []any{"005930", "L", "BUY", int64(-70000), int64(10)}
	for _, row := range explain(t, s, crossing, args...) {
		if row["table"] != "orders" {
			continue
		}
		if row["key"] != "orders_book" || row["type"] != "range" {
			t.Errorf("ListBookOrders does not range-scan orders_book: %v", row)
		}
		if strings.Contains(row["Extra"], "filesort") {
			t.Errorf("ListBookOrders sorts instead of reading in index order: %v", row)
		}
	}

	// About a thousand orders cross 70000 on each side; ten are asked for.
	got, err := s.ListCrossingOrders(ctx, "005930", decimal.NewFromInt(70000), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("ListCrossingOrders returned %d orders, want 10", len(got))
	}
	if reads := handlerReads(t, s, crossing, args...); reads > 30 {
		t.Errorf("ListBookOrders(limit 10) read %d index entries: it does not stop at the limit", reads)
	}

	for _, row := range explain(t, s, mydb.PlannedQueries["ListExpiringOrders"], time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), int64(10)) {
		if row["key"] != "orders_book_expiry" {
			t.Errorf("ListExpiringOrders does not read orders_book_expiry: %v", row)
		}
	}
	for _, row := range explain(t, s, mydb.PlannedQueries["ListOrders"], userID, "\U0010FFFF", "", "", "", "", "", "", int64(20)) {
		if row["key"] != "orders_account" || strings.Contains(row["Extra"], "filesort") {
			t.Errorf("ListOrders does not read orders_account in order: %v", row)
		}
	}
}

// explain returns EXPLAIN's rows as column → value maps; MySQL and
// MariaDB differ in the columns they add, not in these.
func explain(t *testing.T, s *Store, query string, args ...any) []map[string]string {
	t.Helper()
	rows, err := s.d.db.QueryContext(t.Context(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = vals[i].String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("EXPLAIN returned no rows")
	}
	t.Logf("EXPLAIN %s\n  %v", firstLine(query), out)
	return out
}

// handlerReads runs query on one connection and returns how many rows
// the storage engine handed over (the session's Handler_read_* counters).
func handlerReads(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	ctx := t.Context()
	conn, err := s.d.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "FLUSH STATUS"); err != nil {
		t.Skipf("cannot reset the session's status counters: %v", err)
	}
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	stats, err := conn.QueryContext(ctx, "SHOW SESSION STATUS LIKE 'Handler_read%'")
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	total := 0
	var detail []string
	for stats.Next() {
		var name, value string
		if err := stats.Scan(&name, &value); err != nil {
			t.Fatal(err)
		}
		v, _ := strconv.Atoi(value)
		total += v
		if v > 0 {
			detail = append(detail, fmt.Sprintf("%s=%d", name, v))
		}
	}
	t.Logf("%d rows returned, engine reads: %s", n, strings.Join(detail, " "))
	return total
}

func firstLine(q string) string {
	q, _, _ = strings.Cut(strings.TrimSpace(q), "\n")
	return q
}
