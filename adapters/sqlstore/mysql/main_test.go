package mysql

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMain skips the whole package, visibly, when no server is
// configured: the notice ends in go test's own "no tests to run" warning,
// so the package's summary line reads "ok ... [no tests to run]" rather
// than a plain "ok" that would look like a pass. CI sets
// STOCKING_TEST_REQUIRE_ENGINES, and then the tests run and fail instead.
func TestMain(m *testing.M) {
	if os.Getenv(testURIEnv) == "" && !slices.Contains(strings.Split(os.Getenv("STOCKING_TEST_REQUIRE_ENGINES"), ","), "mysql") {
		fmt.Printf("MySQL tests skipped: set %s (e.g. mysql://root@127.0.0.1:3306/test)\n", testURIEnv)
		fmt.Println("testing: warning: no tests to run")
		os.Exit(0)
	}
	os.Exit(m.Run())
}
