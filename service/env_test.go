package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/auth"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite"
	"github.com/stocking-kr/stocking/adapters/system"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

type option func(*service.Deps, *service.Config)

func withHasher(h ports.PasswordHasher) option {
	return func(d *service.Deps, _ *service.Config) { d.Hasher = h }
}

// newService builds the service over a migrated in-memory SQLite store,
// with the market always open.
func newService(t testing.TB, opts ...option) *service.Service {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: sqlite.MemoryPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewJWT(testSecret, 15*time.Minute, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps := service.Deps{Store: store, Clock: system.Clock{}, IDs: system.IDs{}, Tokens: tokens, Hasher: auth.Bcrypt{Cost: 4}}
	cfg := service.Config{InitialCash: decimal.NewFromInt(10_000_000), Calendar: &domain.Calendar{Always: true}}
	for _, o := range opts {
		o(&deps, &cfg)
	}
	svc, err := service.New(deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
