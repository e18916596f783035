package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql"
	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/internal/tcpproxy"
	"github.com/stocking-kr/stocking/ports"
)

// The outage tests put a TCP proxy between a store and its server and
// cut the connection the two ways real outages do. The store's deadline
// is short so that they stay quick.
const (
	timeout = time.Second
	// slack is what an answer may take beyond the deadline: rolling
	// back, closing the connection, a loaded machine.
	slack = 750 * time.Millisecond
)

// server returns the test server named by env, or skips the test (fails
// it when STOCKING_TEST_REQUIRE_ENGINES names engine, as CI sets it).
func server(t *testing.T, env, engine string) *url.URL {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		if slices.Contains(strings.Split(os.Getenv("STOCKING_TEST_REQUIRE_ENGINES"), ","), engine) {
			t.Fatalf("%s is not set, but STOCKING_TEST_REQUIRE_ENGINES requires %s", env, engine)
		}
		t.Skipf("%s is not set: skipping the %s outage tests", env, engine)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return u
}

// proxied starts a proxy to u's server and returns it with u rewritten to
// go through it.
func proxied(t *testing.T, u *url.URL, defaultPort string) (*tcpproxy.Proxy, *url.URL) {
	t.Helper()
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	p, err := tcpproxy.Start(net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	via := *u
	via.Host = p.Addr()
	return p, &via
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "stocking_outage_" + hex.EncodeToString(b)
}

// openPostgres opens a store in a schema of its own through a proxy.
func openPostgres(t *testing.T) (*postgres.Store, *tcpproxy.Proxy) {
	u := server(t, "STOCKING_TEST_POSTGRES_URI", "postgres")
	proxy, via := proxied(t, u, "5432")
	name := randomName()
	s, err := postgres.Open(t.Context(), postgres.Config{URL: via.String(), Schema: name, StatementTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, u.String())
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, proxy
}

// openMySQL opens a store on a database of its own through a proxy.
func openMySQL(t *testing.T) (*mysql.Store, *tcpproxy.Proxy) {
	u := server(t, "STOCKING_TEST_MYSQL_URI", "mysql")
	adminDSN, err := mysql.DSNFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	name := randomName()
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	proxy, via := proxied(t, u, mysql.DefaultPort)
	via.Path = "/" + name
	dsn, err := mysql.DSNFromURL(via)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mysql.Open(t.Context(), mysql.Config{DSN: dsn, StatementTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, proxy
}

func TestOutagePostgres(t *testing.T) {
	s, proxy := openPostgres(t)
	outage(t, s, proxy)
}

func TestOutageMySQL(t *testing.T) {
	s, proxy := openMySQL(t)
	outage(t, s, proxy)
}

// outage runs the drills on a store whose connections go through proxy.
func outage(t *testing.T, s ports.Store, proxy *tcpproxy.Proxy) {
	id := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC()
	err := s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		if err := tx.CreateUser(ctx, domain.User{ID: id, Email: id + "@example.com", Nickname: "n", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateAccount(ctx, domain.Account{ID: id, UserID: id, Kind: domain.PersonalAccount, Cash: decimal.NewFromInt(1000), TotalDeposits: decimal.NewFromInt(1000), UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(ctx context.Context) error {
		_, err := s.GetAccount(ctx, id)
		return err
	}
	lock := func(ctx context.Context) error {
		return s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			_, err := tx.LockAccount(ctx, id)
			return err
		})
	}
	works := func(what string) {
		t.Helper()
		if err := read(t.Context()); err != nil {
			t.Errorf("read %s: %v", what, err)
		}
		if err := lock(t.Context()); err != nil {
			t.Errorf("transaction %s: %v", what, err)
		}
	}
	// unavailable runs op and checks that it answers CodeUnavailable
	// within max.
	unavailable := func(what string, max time.Duration, op func(context.Context) error) {
		t.Helper()
		start := time.Now()
		err := op(t.Context())
		took := time.Since(start)
		if !domain.IsCode(err, domain.CodeUnavailable) {
			t.Errorf("%s: %v (code %q), want unavailable", what, err, domain.ErrorCode(err))
		}
		if took > max {
			t.Errorf("%s took %s, want at most %s", what, took, max)
		}
	}

	t.Run("Paused", func(t *testing.T) {
		proxy.Pause()
		unavailable("read from a paused server", timeout+slack, read)
		unavailable("transaction on a paused server", timeout+slack, lock)

		// The caller that gives up first gets its own cancellation.
		ctx, cancel := context.WithTimeout(t.Context(), timeout/4)
		defer cancel()
		if err := read(ctx); !errors.Is(err, context.DeadlineExceeded) || domain.IsCode(err, domain.CodeUnavailable) {
			t.Errorf("read with the caller's shorter deadline: %v, want the caller's deadline", err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		time.AfterFunc(timeout/4, cancel)
		if err := lock(ctx); !errors.Is(err, context.Canceled) || domain.IsCode(err, domain.CodeUnavailable) {
			t.Errorf("transaction cancelled by its caller: %v, want context.Canceled", err)
		}

		proxy.Resume()
		works("after the server resumed")
	})

	t.Run("Bulk", func(t *testing.T) {
		// A bulk operation (an end-of-day step) carries its own bound: a
		// silence longer than the request bound delays it, and it
		// completes once the server answers again, where a request
		// fails at the request bound (above).
		proxy.Pause()
		resumed := time.AfterFunc(timeout+timeout/2, proxy.Resume)
		defer resumed.Stop()
		bctx := ports.WithBulkTimeout(t.Context(), 5*timeout)
		start := time.Now()
		if err := lock(bctx); err != nil {
			t.Errorf("bulk transaction across a pause longer than the request bound: %v", err)
		}
		if took := time.Since(start); took < timeout {
			t.Errorf("bulk transaction took %s: it cannot have waited for the paused server", took)
		}
		if err := read(bctx); err != nil {
			t.Errorf("bulk read after the pause: %v", err)
		}
		works("after a bulk operation")
	})

	t.Run("CommitUnknown", func(t *testing.T) {
		// The server stops answering once COMMIT is on its way: the
		// transaction may have been committed, so it is neither retried
		// nor reported as undone.
		runs := 0
		err := s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
			runs++
			a, err := tx.LockAccount(ctx, id)
			if err != nil {
				return err
			}
			a.Cash = a.Cash.Add(decimal.NewFromInt(1))
			if err := tx.SaveAccount(ctx, a); err != nil {
				return err
			}
			proxy.Pause()
			return nil
		})
		if !domain.IsCode(err, domain.CodeUnavailable) || !errors.Is(err, sqlstore.ErrCommitUnknown) {
			t.Errorf("commit into a paused server: %v, want unavailable with ErrCommitUnknown", err)
		}
		if runs != 1 {
			t.Errorf("the function ran %d times, want once", runs)
		}
		proxy.Resume()
		works("after an unknown commit")
	})

	t.Run("Killed", func(t *testing.T) {
		proxy.Kill()
		unavailable("read from a killed server", slack, read)
		unavailable("transaction on a killed server", slack, lock)
		if err := proxy.Restart(); err != nil {
			t.Fatal(err)
		}
		works("after the server restarted")

		// Connections broken under an idle pool are replaced, not
		// reported.
		proxy.Kill()
		if err := proxy.Restart(); err != nil {
			t.Fatal(err)
		}
		if err := lock(t.Context()); err != nil {
			t.Errorf("transaction over connections broken while idle: %v", err)
		}
	})
}
