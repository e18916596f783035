package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// testEnv is the environment every end-to-end test starts from: a fresh
// SQLite file, an always-open market, no simulated feed (prices move only
// when a test says so), a free port and cheap bcrypt.
func testEnv(t *testing.T, extra map[string]string) func(string) string {
	t.Helper()
	vals := map[string]string{
		"DATABASE_URI":  "sqlite:///" + filepath.Join(t.TempDir(), "stocking.db"),
		"MARKET_HOURS":  "always",
		"FEED_INTERVAL": "0s",
		"PORT":          "0",
		"LISTEN_HOST":   "127.0.0.1",
		"BCRYPT_COST":   "4",
		"LOG_LEVEL":     "error",
	}
	for k, v := range extra {
		vals[k] = v
	}
	return func(k string) string { return vals[k] }
}

// startMain runs the real Main the way `stocking dev` does, on port 0,
// without workflows.
func startMain(t *testing.T, extra map[string]string) (*Main, func(string) string) {
	t.Helper()
	return startMainWith(t, testEnv(t, extra), Options{Migrate: true, Seed: true, API: true})
}

// startMainWith runs a Main with the given environment and parts.
func startMainWith(t *testing.T, getenv func(string) string, opts Options) (*Main, func(string) string) {
	t.Helper()
	cfg, err := LoadConfig(getenv, true)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, opts)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m, getenv
}

type apiClient struct {
	t     *testing.T
	base  string
	token string
}

// do sends a JSON request and returns the status and decoded body.
func (c *apiClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// must sends a request that must answer with status want, and returns
// its data.
func (c *apiClient) must(want int, method, path string, body any) map[string]any {
	c.t.Helper()
	st, out := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: got %d, want %d: %v", method, path, st, want, out)
	}
	if d, ok := out["data"].(map[string]any); ok {
		return d
	}
	return out
}

func (c *apiClient) list(path string) []any {
	c.t.Helper()
	st, out := c.do("GET", path, nil)
	if st != 200 {
		c.t.Fatalf("GET %s: %d %v", path, st, out)
	}
	l, _ := out["data"].([]any)
	return l
}

func signup(t *testing.T, m *Main, email string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: m.URL() + "/api/v1"}
	d := c.must(201, "POST", "/auth/signup", map[string]any{"email": email, "password": "correct-horse", "nickname": strings.Split(email, "@")[0]})
	c.token = d["access_token"].(string)
	return c
}

func admin(t *testing.T, m *Main) *apiClient {
	t.Helper()
	if _, err := m.Service.Users.Create(context.Background(), service.SignupInput{Email: "admin@example.com", Password: "admin-password", Nickname: "admin"}, domain.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, base: m.URL() + "/api/v1"}
	d := c.must(200, "POST", "/auth/login", map[string]any{"email": "admin@example.com", "password": "admin-password"})
	c.token = d["access_token"].(string)
	return c
}

func dec(t *testing.T, v any) decimal.Decimal {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("money %v (%T) is not a JSON string", v, v)
	}
	return decimal.RequireFromString(s)
}

func eq(t *testing.T, what string, got any, want string) {
	t.Helper()
	if !dec(t, got).Equal(decimal.RequireFromString(want)) {
		t.Fatalf("%s = %v, want %s", what, got, want)
	}
}

func audit(t *testing.T, m *Main) {
	t.Helper()
	rep, err := m.Service.Audit.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Violations {
		t.Error("audit:", v)
	}
}

func TestOrderFlow(t *testing.T) {
	m, getenv := startMain(t, nil)
	adm := admin(t, m)
	u := signup(t, m, "trader@example.com")

	bal := u.must(200, "GET", "/balance", nil)
	eq(t, "initial cash", bal["cash"], "10000000")
	// The trade leaves an ask at its own price, so market buys pay 70,000.
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000", "ask": "70000"})

	// Market buy 10 at 70,000: amount 700,000, commission 105.
	o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 10})
	if o["status"] != "FILLED" {
		t.Fatalf("market buy: %v", o)
	}
	eq(t, "average fill", o["average_fill_price"], "70000")
	eq(t, "commission", o["commission"], "105")
	if ex := o["executions"].([]any); len(ex) != 1 {
		t.Fatalf("executions %v", ex)
	}
	p := u.must(200, "GET", "/portfolio", nil)
	h := p["holdings"].([]any)[0].(map[string]any)
	if h["quantity"].(float64) != 10 {
		t.Fatalf("holding %v", h)
	}
	eq(t, "average price", h["average_price"], "70000")

	// Second buy at another price averages: (700,000 + 5 × 71,000) / 15.
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "71000", "ask": "71000"})
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 5})
	h = u.must(200, "GET", "/portfolio", nil)["holdings"].([]any)[0].(map[string]any)
	eq(t, "average after second buy", h["average_price"], "70333.3333")
	eq(t, "market value", h["market_value"], "1065000")

	// A limit order that rests and is cancelled writes no ledger row.
	before := len(u.list("/transactions"))
	lo := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 3, "limit_price": "69000", "time_in_force": "GTC"})
	if lo["status"] != "PENDING" {
		t.Fatalf("limit: %v", lo)
	}
	eq(t, "reserved", lo["reserved_amount"], "207031") // 207,000 + 31 commission
	eq(t, "reserved cash", u.must(200, "GET", "/balance", nil)["reserved_cash"], "207031")
	u.must(200, "POST", "/orders/"+lo["id"].(string)+"/cancel", nil)
	u.must(409, "POST", "/orders/"+lo["id"].(string)+"/cancel", nil)
	eq(t, "reserved cash after cancel", u.must(200, "GET", "/balance", nil)["reserved_cash"], "0")
	if after := len(u.list("/transactions")); after != before {
		t.Fatalf("placing and cancelling wrote %d ledger rows", after-before)
	}

	// Sell everything at 72,000: amount 1,080,000, commission 162, tax 2,160.
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "72000", "bid": "72000"})
	s := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "SELL", "type": "MARKET", "quantity": 15})
	eq(t, "sell commission", s["commission"], "162")
	eq(t, "sell tax", s["tax"], "2160")
	if hs := u.must(200, "GET", "/portfolio", nil)["holdings"].([]any); len(hs) != 0 {
		t.Fatalf("holding not deleted after selling everything: %v", hs)
	}

	// The ledger: DEPOSIT, BUY, BUY, SELL with the balance around each.
	rows := u.list("/transactions")
	if len(rows) != 4 {
		t.Fatalf("ledger has %d rows: %v", len(rows), rows)
	}
	// Newest first.
	want := []struct{ typ, amount, commission, tax, before, after string }{
		{"SELL", "1080000", "162", "2160", "8944842", "10022520"},
		{"BUY", "355000", "53", "0", "9299895", "8944842"},
		{"BUY", "700000", "105", "0", "10000000", "9299895"},
		{"DEPOSIT", "10000000", "0", "0", "0", "10000000"},
	}
	for i, w := range want {
		r := rows[i].(map[string]any)
		if r["transaction_type"] != w.typ {
			t.Fatalf("row %d: type %v, want %s", i, r["transaction_type"], w.typ)
		}
		eq(t, fmt.Sprintf("row %d amount", i), r["amount"], w.amount)
		eq(t, fmt.Sprintf("row %d commission", i), r["commission"], w.commission)
		eq(t, fmt.Sprintf("row %d tax", i), r["tax"], w.tax)
		eq(t, fmt.Sprintf("row %d before", i), r["cash_balance_before"], w.before)
		eq(t, fmt.Sprintf("row %d after", i), r["cash_balance_after"], w.after)
	}
	eq(t, "final cash", u.must(200, "GET", "/balance", nil)["cash"], "10022520")

	// A resting limit buy fills when a trade crosses it, at its own limit
	// (the trade is not the session's first, which would fill at its price).
	lb := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 2, "limit_price": "71500"})
	if lb["status"] != "PENDING" {
		t.Fatalf("limit buy below market should rest: %v", lb)
	}
	tick := adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "71400"})
	if tick["filled_orders"].(float64) != 1 {
		t.Fatalf("tick filled %v orders", tick["filled_orders"])
	}
	got := u.must(200, "GET", "/orders/"+lb["id"].(string), nil)
	if got["status"] != "FILLED" {
		t.Fatalf("crossed order: %v", got)
	}
	eq(t, "fill price", got["average_fill_price"], "71500")
	eq(t, "reservation released", u.must(200, "GET", "/balance", nil)["reserved_cash"], "0")

	summary := u.must(200, "GET", "/analytics/summary", nil)
	if summary["total_trades"].(float64) != 4 || summary["winning_trades"].(float64) != 1 {
		t.Fatalf("summary %v", summary)
	}
	// Realized: (72,000 − 70,333.3333) × 15 − 162 − 2,160.
	eq(t, "realized pnl", summary["realized_pnl"], "22678.0005")

	audit(t, m)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"audit"}, &out, getenv); err != nil {
		t.Fatalf("audit command: %v\n%s", err, out.String())
	}
}

func TestFiftyConcurrentBuysOfTenAffordable(t *testing.T) {
	// One share at the ask of 70,000 costs 70,010 with commission; cash
	// for exactly 10.
	m, _ := startMain(t, map[string]string{"INITIAL_CASH": "700100"})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000", "ask": "70000"})
	u := signup(t, m, "buyer@example.com")
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = u.do("POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1})
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[201] != 10 || count[422] != 40 {
		t.Fatalf("statuses %v, want 10 × 201 and 40 × 422", count)
	}
	bal := u.must(200, "GET", "/balance", nil)
	eq(t, "cash", bal["cash"], "0")
	audit(t, m)
}

func TestTwentyConcurrentSellsNeverOversell(t *testing.T) {
	m, _ := startMain(t, nil)
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "seller@example.com")
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 10})
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"stock_code": "005930", "side": "SELL", "type": "MARKET", "quantity": 1}
			if i%2 == 1 { // half rest as limit sells, reserving shares
				body = map[string]any{"stock_code": "005930", "side": "SELL", "type": "LIMIT", "quantity": 1, "limit_price": "80000"}
			}
			codes[i], _ = u.do("POST", "/orders", body)
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 201:
			ok++
		case 422:
		default:
			t.Fatalf("unexpected status %d", c)
		}
	}
	if ok != 10 {
		t.Fatalf("%d sells accepted of 10 shares", ok)
	}
	p := u.must(200, "GET", "/portfolio", nil)
	if hs := p["holdings"].([]any); len(hs) == 1 {
		h := hs[0].(map[string]any)
		if h["quantity"].(float64) < h["reserved_quantity"].(float64) || h["quantity"].(float64) < 0 {
			t.Fatalf("oversold: %v", h)
		}
	}
	audit(t, m)
}

func TestOtherUsersOrderIsNotFound(t *testing.T) {
	m, _ := startMain(t, nil)
	alice := signup(t, m, "alice@example.com")
	bob := signup(t, m, "bob@example.com")
	o := alice.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000", "time_in_force": "GTC"})
	id := o["id"].(string)
	if st, _ := bob.do("GET", "/orders/"+id, nil); st != 404 {
		t.Fatalf("bob read alice's order: %d", st)
	}
	if st, _ := bob.do("POST", "/orders/"+id+"/cancel", nil); st != 404 {
		t.Fatalf("bob cancelled alice's order: %d", st)
	}
	if got := alice.must(200, "GET", "/orders/"+id, nil); got["status"] != "PENDING" {
		t.Fatalf("alice's order changed: %v", got)
	}
}

func TestAuditCommandFindsCorruption(t *testing.T) {
	m, getenv := startMain(t, nil)
	signup(t, m, "victim@example.com")
	path := strings.TrimPrefix(getenv("DATABASE_URI"), "sqlite:///")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE accounts SET cash = '10000001'`); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"audit"}, &out, getenv)
	if err != exitError(1) {
		t.Fatalf("audit on a corrupted ledger: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "cash-sum") || !strings.Contains(out.String(), "cash-last") {
		t.Fatalf("audit output does not name the broken invariants:\n%s", out.String())
	}
}

func TestConfigRefusesDefaultSecretInProduction(t *testing.T) {
	_, err := LoadConfig(func(k string) string { return map[string]string{"STOCKING_ENV": "production"}[k] }, false)
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET_KEY") {
		t.Fatalf("production without a secret: %v", err)
	}
	_, err = LoadConfig(func(k string) string {
		return map[string]string{"STOCKING_ENV": "production", "JWT_SECRET_KEY": devJWTSecret}[k]
	}, false)
	if err == nil {
		t.Fatal("production accepted the development secret")
	}
	for k, v := range map[string]string{"PORT": "x", "MARKET_HOURS": "sometimes", "COMMISSION_RATE": "2", "INITIAL_CASH": "-1"} {
		if _, err := LoadConfig(func(key string) string { return map[string]string{k: v}[key] }, false); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

func TestDatabaseURIForms(t *testing.T) {
	for uri, want := range map[string]string{
		"sqlite:///stocking.db":                  "sqlite stocking.db",
		"sqlite:////var/lib/stocking.db":         "sqlite /var/lib/stocking.db",
		"sqlite:///:memory:":                     "sqlite :memory:",
		"postgres://u:p@localhost:5432/stocking": "postgres localhost:5432",
		"postgresql://u@db/stocking":             "postgres db",
		"mysql://root:@127.0.0.1:3306/stocking":  "mysql 127.0.0.1:3306",
		"mysql+pymysql://u:p@db:3306/stocking":   "mysql db:3306",
	} {
		tgt, err := parseDatabaseURI(uri)
		if err != nil {
			t.Errorf("%s: %v", uri, err)
			continue
		}
		got := tgt.Engine + " " + tgt.Path
		if tgt.URL != nil {
			got = tgt.Engine + " " + tgt.URL.Host
		}
		if got != want {
			t.Errorf("%s → %q, want %q", uri, got, want)
		}
	}
	for _, bad := range []string{"stocking.db", "oracle://x/y", "postgres://host-only", "sqlite://", "mysql://u@h/"} {
		_, err := parseDatabaseURI(bad)
		if err == nil || !strings.Contains(err.Error(), "accepted DATABASE_URI forms") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestCommandLineErrorsSayWhatToDo runs the one-shot commands the way a
// newcomer does and checks that mistakes get a way out rather than an
// engine's error, and that nothing is left behind.
func TestCommandLineErrorsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "fresh.db")
	getenv := testEnv(t, map[string]string{"DATABASE_URI": "sqlite:///" + dbPath})
	var out bytes.Buffer

	// A database that does not exist is not created by a command that
	// cannot use an empty one.
	err := run(ctx, []string{"user", "create", "admin@example.com", "--password", "long-password"}, &out, getenv)
	if err == nil || !strings.Contains(err.Error(), "stocking db migrate") {
		t.Fatalf("user create on no database: %v", err)
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("user create left a file behind: %v", err)
	}
	if err := run(ctx, []string{"audit"}, &out, getenv); err == nil || !strings.Contains(err.Error(), "stocking db migrate") {
		t.Fatalf("audit on no database: %v", err)
	}

	if err := run(ctx, []string{"db", "migrate"}, &out, getenv); err != nil {
		t.Fatal(err)
	}
	// Flags before or after the e-mail.
	out.Reset()
	if err := run(ctx, []string{"user", "create", "--admin", "admin@example.com", "--password", "long-password"}, &out, getenv); err != nil {
		t.Fatalf("flags before the e-mail: %v", err)
	}
	if !strings.Contains(out.String(), "created admin@example.com (admin)") {
		t.Fatalf("user create said %q", out.String())
	}
	if err := run(ctx, []string{"user", "create", "two@example.com", "three@example.com", "--password", "long-password"}, &out, getenv); err == nil || !strings.Contains(err.Error(), "takes one e-mail address") {
		t.Fatalf("two e-mails: %v", err)
	}
	if err := run(ctx, []string{"user", "create", "x@example.com", "--colour", "red"}, &out, getenv); err == nil || !strings.Contains(err.Error(), "usage: stocking user create") {
		t.Fatalf("unknown flag: %v", err)
	}

	// Help is help, not an attempt at a URL.
	out.Reset()
	if err := run(ctx, []string{"healthcheck", "-h"}, &out, getenv); err != nil || !strings.Contains(out.String(), "usage: stocking healthcheck") {
		t.Fatalf("healthcheck -h: %v %q", err, out.String())
	}
}

// TestEmbeddedTemporalPortInUse checks that `stocking dev` names the
// setting to change when its Temporal port is taken, before it creates or
// migrates anything.
func TestEmbeddedTemporalPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dbPath := filepath.Join(t.TempDir(), "dev.db")
	getenv := testEnv(t, map[string]string{"DATABASE_URI": "sqlite:///" + dbPath, "TEMPORAL_EMBED_ADDRESS": ln.Addr().String()})
	err = run(context.Background(), []string{"dev"}, io.Discard, getenv)
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_EMBED_ADDRESS") {
		t.Fatalf("dev with a busy Temporal port: %v", err)
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dev created the database before failing: %v", err)
	}
}
