package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/ports/storetest"
	"github.com/stocking-kr/stocking/service/servicetest"
)

// testURIEnv names the server the tests use, for example
// mysql://root@127.0.0.1:3306/test. Each test store gets a database of its
// own on it, created for the test and dropped after it.
const testURIEnv = "STOCKING_TEST_MYSQL_URI"

// testServer returns the test server's URL, or skips the test (fails it
// when STOCKING_TEST_REQUIRE_ENGINES names mysql, as CI sets it).
func testServer(tb testing.TB) *url.URL {
	tb.Helper()
	raw := os.Getenv(testURIEnv)
	if raw == "" {
		if slices.Contains(strings.Split(os.Getenv("STOCKING_TEST_REQUIRE_ENGINES"), ","), "mysql") {
			tb.Fatalf("%s is not set, but STOCKING_TEST_REQUIRE_ENGINES requires mysql", testURIEnv)
		}
		tb.Skipf("%s is not set (e.g. mysql://root@127.0.0.1:3306/test): skipping the MySQL store tests", testURIEnv)
	}
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatalf("%s: %v", testURIEnv, err)
	}
	return u
}

// freshDatabase creates an empty database with a random name on the test
// server, drops it when the test ends, and returns a DSN for it.
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	server := testServer(tb)
	adminDSN, err := DSNFromURL(server)
	if err != nil {
		tb.Fatal(err)
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "stocking_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(tb.Context(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		// The test's context has ended by now.
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u := *server
	u.Path = "/" + name
	dsn, err := DSNFromURL(&u)
	if err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// openTest opens and migrates a store on a fresh database; the store
// closes, and the database goes, with the test.
func openTest(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), Config{DSN: freshDatabase(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	testServer(t)
	storetest.Run(t, func(t *testing.T) ports.Store { return openTest(t) })
}

func TestServiceConformance(t *testing.T) {
	testServer(t)
	servicetest.Run(t, func(t *testing.T) ports.Store { return openTest(t) })
}
