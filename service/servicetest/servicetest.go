// Package servicetest is the conformance suite of the use cases over a
// store: each engine's adapter runs it from its own tests, beside the
// port-level suite of ports/storetest, so that what the race tests there
// check one store method at a time is also checked through the service
// the API and the market feed call — a randomized workload of orders,
// fills, cancels and cash movements followed by the audit, a fill racing
// a cancel, and a payment fulfilled exactly once under concurrent
// completions.
package servicetest

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/ports"
)

// Run runs every test as a subtest. newStore must return a fresh,
// migrated, empty store for each call and arrange its cleanup with
// t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(f *fixture)
	}{
		{"Workload", testWorkload},
		{"PaymentFulfilOnce", testPaymentFulfilOnce},
		{"RelaysShareTheOutbox", testRelaysShareTheOutbox},
		{"PartialFills", testPartialFills},
		{"PartialFillRace", testPartialFillRace},
		{"Modify", testModify},
		{"ModifyRace", testModifyRace},
		{"MarketableLimit", testMarketableLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(&fixture{T: t, s: newStore(t), ctx: t.Context()})
		})
	}
}

// fixture carries the store under test.
type fixture struct {
	*testing.T
	s   ports.Store
	ctx context.Context
}

func (f *fixture) must(err error) {
	f.Helper()
	if err != nil {
		f.Fatal(err)
	}
}

func (f *fixture) sameMoney(what string, got, want decimal.Decimal) {
	f.Helper()
	if !got.Equal(want) {
		f.Errorf("%s = %s, want %s", what, got, want)
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
