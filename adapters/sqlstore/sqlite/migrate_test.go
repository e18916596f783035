package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	schema "github.com/stocking-kr/stocking/sql"
)

// TestAccountsMigrationKeepsTheBooks builds a database as the first schema
// left it, with a user who has traded, then migrates it: the user's money,
// holding, orders and ledger now belong to the personal account, whose id
// is the user's, and the books still add up.
func TestAccountsMigrationKeepsTheBooks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Sub(schema.SQLite, "sqlite/migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	const at = "2026-11-30 01:00:00+00:00"
	for _, stmt := range []string{
		`INSERT INTO users VALUES ('u1', 'old@example.com', 'old', 'hash', 'user', NULL, '` + at + `', '` + at + `')`,
		`INSERT INTO accounts VALUES ('u1', '9299895', '0', '10000000', '0', '0', '105', '0', 1, 0, 0, 0, 2, '` + at + `')`,
		`INSERT INTO stocks VALUES ('005930', '삼성전자', 'Samsung Electronics', 'KOSPI', '70000', '70000', 1, '` + at + `')`,
		`INSERT INTO holdings VALUES ('u1', '005930', 10, 0, '70000', '` + at + `', '` + at + `')`,
		`INSERT INTO orders (id, user_id, stock_code, side, type, time_in_force, quantity, status, filled_quantity, average_fill_price, reserved_amount, commission, tax, created_at, updated_at)
		 VALUES ('o1', 'u1', '005930', 'BUY', 'MARKET', '', 10, 'FILLED', 10, '70000', '0', '105', '0', '` + at + `', '` + at + `')`,
		`INSERT INTO executions VALUES ('e1', 'o1', 'u1', '005930', 'BUY', 10, '70000', '700000', '105', '0', '0', '` + at + `')`,
		`INSERT INTO ledger (id, user_id, seq, type, amount, commission, tax, cash_balance_before, cash_balance_after, created_at)
		 VALUES ('l1', 'u1', 1, 'DEPOSIT', '10000000', '0', '0', '0', '10000000', '` + at + `')`,
		`INSERT INTO ledger (id, user_id, seq, type, stock_code, order_id, quantity, price, amount, commission, tax, cash_balance_before, cash_balance_after, created_at)
		 VALUES ('l2', 'u1', 2, 'BUY', '005930', 'o1', 10, '70000', '700000', '105', '0', '10000000', '9299895', '` + at + `')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()

	s, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	as, err := s.ListAccounts(ctx, "u1")
	if err != nil || len(as) != 1 {
		t.Fatalf("accounts %+v %v", as, err)
	}
	a := as[0]
	if a.ID != "u1" || a.UserID != "u1" || a.Kind != domain.PersonalAccount || a.ContestID != "" || a.LedgerSeq != 2 ||
		!a.Cash.Equal(decimal.RequireFromString("9299895")) || a.HistoryStart.IsZero() || a.CreatedAt.IsZero() {
		t.Fatalf("personal account %+v", a)
	}
	h, err := s.GetHolding(ctx, "u1", "005930")
	if err != nil || h.Quantity != 10 || h.AccountID != "u1" {
		t.Fatalf("holding %+v %v", h, err)
	}
	orders, err := s.ListOrders(ctx, ports.OrderFilter{AccountID: "u1"})
	if err != nil || len(orders) != 1 || orders[0].AccountID != "u1" || orders[0].UserID != "u1" {
		t.Fatalf("orders %+v %v", orders, err)
	}
	exs, err := s.ListAccountExecutions(ctx, "u1", "", 10)
	if err != nil || len(exs) != 1 || exs[0].AccountID != "u1" {
		t.Fatalf("executions %+v %v", exs, err)
	}
	ledger, err := s.ListLedger(ctx, ports.LedgerFilter{AccountID: "u1"})
	if err != nil || len(ledger) != 2 || ledger[0].AccountID != "u1" {
		t.Fatalf("ledger %+v %v", ledger, err)
	}
	u, err := s.GetUser(ctx, "u1")
	if err != nil || !u.Public {
		t.Fatalf("user %+v %v", u, err)
	}
}
