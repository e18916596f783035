// Package storetest is the conformance suite every ports.Store
// implementation must pass: each engine's adapter calls Run from its own
// tests with a constructor for fresh, migrated, empty stores. The suite
// speaks only the port's language (domain types and ports), so one set of
// expectations holds SQLite, PostgreSQL and MySQL to the same behaviour,
// including the races that decide money: concurrent spends of one balance,
// concurrent sells of one holding, and a fill racing a cancel.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Run runs every conformance test as a subtest. newStore must return a
// fresh, migrated, empty store for each call and arrange its cleanup with
// t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(f *fixture)
	}{
		{"Info", testInfo},
		{"TxRollback", testTxRollback},
		{"Users", testUsers},
		{"ListUserIDs", testListUserIDs},
		{"Accounts", testAccounts},
		{"AccountsChanged", testAccountsChanged},
		{"Stocks", testStocks},
		{"Prices", testPrices},
		{"Trades", testTrades},
		{"Leases", testLeases},
		{"Holdings", testHoldings},
		{"Orders", testOrders},
		{"ClientOrderID", testClientOrderID},
		{"UpdateOrder", testUpdateOrder},
		{"ListOrders", testListOrders},
		{"Executions", testExecutions},
		{"CrossingOrders", testCrossingOrders},
		{"Book", testBook},
		{"ModifyInBook", testModifyInBook},
		{"ExpiringOrders", testExpiringOrders},
		{"OpenOrders", testOpenOrders},
		{"Ledger", testLedger},
		{"LedgerPaymentOnce", testLedgerPaymentOnce},
		{"Watchlist", testWatchlist},
		{"Payments", testPayments},
		{"Outbox", testOutbox},
		{"EquitySnapshots", testEquitySnapshots},
		{"Rankings", testRankings},
		{"OutboxClaim", testOutboxClaim},
		{"RaceSpendBalance", testRaceSpendBalance},
		{"RaceSellHolding", testRaceSellHolding},
		{"RaceFillCancel", testRaceFillCancel},
		{"RaceModifyFillCancel", testRaceModifyFillCancel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.fn(newFixture(t, s))
		})
	}
}

// fixture carries a store and a deterministic clock. Times are UTC and
// whole microseconds, the finest precision every engine keeps.
type fixture struct {
	*testing.T
	s   ports.Store
	ctx context.Context
	now time.Time
	seq int
	// ledgerSeq is the last ledger sequence handed out per user.
	ledgerSeq map[string]int64
}

func newFixture(t *testing.T, s ports.Store) *fixture {
	return &fixture{
		T:   t,
		s:   s,
		ctx: t.Context(),
		now: time.Date(2026, 3, 2, 0, 0, 0, 123456000, time.UTC),

		ledgerSeq: map[string]int64{},
	}
}

// id is a fresh UUIDv7: ids sort by creation, which cursor pagination
// relies on.
func (f *fixture) id() string {
	return uuid.Must(uuid.NewV7()).String()
}

// tick advances the clock by a second and returns it.
func (f *fixture) tick() time.Time {
	f.now = f.now.Add(time.Second)
	return f.now
}

// tx runs fn in a transaction and fails the test on error.
func (f *fixture) tx(fn func(tx ports.Tx) error) {
	f.Helper()
	if err := f.s.WithinTx(f.ctx, func(_ context.Context, tx ports.Tx) error { return fn(tx) }); err != nil {
		f.Fatalf("WithinTx: %v", err)
	}
}

// txErr runs fn in a transaction and returns its error.
func (f *fixture) txErr(fn func(tx ports.Tx) error) error {
	return f.s.WithinTx(f.ctx, func(_ context.Context, tx ports.Tx) error { return fn(tx) })
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nullDec(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }

// user creates a user with an account holding cash.
func (f *fixture) user(cash string) domain.User {
	f.Helper()
	f.seq++
	now := f.tick()
	u := domain.User{
		ID:           f.id(),
		Email:        fmt.Sprintf("user%d@example.com", f.seq),
		Nickname:     fmt.Sprintf("투자자%d", f.seq),
		PasswordHash: "$2a$10$hash",
		Role:         domain.RoleUser,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	a := domain.Account{
		ID:              u.ID,
		UserID:          u.ID,
		Kind:            domain.PersonalAccount,
		Cash:            dec(cash),
		ReservedCash:    decimal.Zero,
		TotalDeposits:   dec(cash),
		TotalWithdrawal: decimal.Zero,
		RealizedPnL:     decimal.Zero,
		TotalCommission: decimal.Zero,
		TotalTax:        decimal.Zero,
		UpdatedAt:       now,
	}
	f.tx(func(tx ports.Tx) error {
		if err := tx.CreateUser(f.ctx, u); err != nil {
			return err
		}
		return tx.CreateAccount(f.ctx, a)
	})
	return u
}

// stock lists code at price.
func (f *fixture) stock(code, price string) domain.Stock {
	f.Helper()
	s := domain.Stock{
		Code:      code,
		Name:      "종목" + code,
		NameEn:    "Stock " + code,
		Market:    domain.KOSPI,
		Price:     dec(price),
		PrevClose: dec(price),
		Active:    true,
		UpdatedAt: f.tick(),
	}
	f.tx(func(tx ports.Tx) error { return tx.UpsertStock(f.ctx, s) })
	return s
}

// limitOrder builds a resting DAY limit order (not yet stored).
func (f *fixture) limitOrder(u domain.User, code string, side domain.Side, price string, qty int64) domain.Order {
	now := f.tick()
	o := domain.Order{
		ID:             f.id(),
		AccountID:      u.ID,
		UserID:         u.ID,
		StockCode:      code,
		Side:           side,
		Type:           domain.LimitOrder,
		TimeInForce:    domain.Day,
		Quantity:       qty,
		LimitPrice:     nullDec(price),
		Status:         domain.Pending,
		ReservedAmount: decimal.Zero,
		Commission:     decimal.Zero,
		Tax:            decimal.Zero,
		ExpiresAt:      now.Add(6 * time.Hour),
		PriorityAt:     now,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if side == domain.Buy {
		o.ReservedAmount = dec(price).Mul(decimal.NewFromInt(qty))
	}
	return o
}

// marketOrder builds a filled market order (not yet stored).
func (f *fixture) marketOrder(u domain.User, code string, side domain.Side, price string, qty int64) domain.Order {
	now := f.tick()
	return domain.Order{
		ID:               f.id(),
		AccountID:        u.ID,
		UserID:           u.ID,
		StockCode:        code,
		Side:             side,
		Type:             domain.MarketOrder,
		Quantity:         qty,
		Status:           domain.Filled,
		FilledQuantity:   qty,
		AverageFillPrice: nullDec(price),
		ReservedAmount:   decimal.Zero,
		Commission:       dec("15"),
		Tax:              decimal.Zero,
		PriorityAt:       now,
		CreatedAt:        now,
		UpdatedAt:        now,
	}
}

func (f *fixture) createOrders(os ...domain.Order) {
	f.Helper()
	f.tx(func(tx ports.Tx) error {
		for _, o := range os {
			if err := tx.CreateOrder(f.ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
}

// must fails the test on err.
func (f *fixture) must(err error) {
	f.Helper()
	if err != nil {
		f.Fatal(err)
	}
}

// wantErr checks that err is (or wraps) target.
func (f *fixture) wantErr(what string, err, target error) {
	f.Helper()
	if !errors.Is(err, target) {
		f.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// same compares got with want field by field: decimals by value (70000
// equals 70000.0000), times by instant, nil and empty slices alike. It
// reports every difference.
func (f *fixture) same(what string, got, want any) {
	f.Helper()
	var diffs []string
	compare(&diffs, what, reflect.ValueOf(got), reflect.ValueOf(want))
	if len(diffs) > 0 {
		f.Errorf("%s differs:\n  %s", what, strings.Join(diffs, "\n  "))
	}
}

var (
	decimalType     = reflect.TypeFor[decimal.Decimal]()
	nullDecimalType = reflect.TypeFor[decimal.NullDecimal]()
	timeType        = reflect.TypeFor[time.Time]()
)

func compare(diffs *[]string, path string, got, want reflect.Value) {
	if got.Type() != want.Type() {
		*diffs = append(*diffs, fmt.Sprintf("%s: type %s, want %s", path, got.Type(), want.Type()))
		return
	}
	switch got.Type() {
	case decimalType:
		g, w := got.Interface().(decimal.Decimal), want.Interface().(decimal.Decimal)
		if !g.Equal(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %s, want %s", path, g, w))
		}
		return
	case nullDecimalType:
		g, w := got.Interface().(decimal.NullDecimal), want.Interface().(decimal.NullDecimal)
		if g.Valid != w.Valid || (g.Valid && !g.Decimal.Equal(w.Decimal)) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %v, want %v", path, fmtNull(g), fmtNull(w)))
		}
		return
	case timeType:
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %s, want %s", path, g, w))
		}
		return
	}
	switch got.Kind() {
	case reflect.Struct:
		for i := range got.NumField() {
			compare(diffs, path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))
		}
	case reflect.Slice:
		if got.Len() != want.Len() {
			*diffs = append(*diffs, fmt.Sprintf("%s: %d elements, want %d", path, got.Len(), want.Len()))
			return
		}
		for i := range got.Len() {
			compare(diffs, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %v, want %v", path, got.Interface(), want.Interface()))
		}
	}
}

func fmtNull(d decimal.NullDecimal) string {
	if !d.Valid {
		return "NULL"
	}
	return d.Decimal.String()
}

func orderIDs(os []domain.Order) []string {
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	return ids
}
