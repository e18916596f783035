package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporaltest"

	mysqlstore "github.com/stocking-kr/stocking/adapters/sqlstore/mysql"
	"github.com/stocking-kr/stocking/internal/tcpproxy"
	"github.com/stocking-kr/stocking/workflows"
)

// The outage drills run the whole process (API, Temporal worker, outbox
// relay, reconciler) against PostgreSQL or MySQL reached through a TCP
// proxy, place orders from several clients while the proxy is killed and
// then paused, and check what a user and an operator would: requests
// during the outage answer 503 `unavailable` within the database deadline,
// /readyz fails and then recovers by itself, no order the clients were
// told about is lost, every open order has a running workflow and every
// closed one a completed workflow (none failed), and the audit is clean.

const (
	drillDBTimeout = time.Second
	// drillSlack is what an answer may take beyond the deadline: rolling
	// back, closing connections, a loaded machine.
	drillSlack = 1500 * time.Millisecond
)

func TestDatabaseOutageDrillPostgres(t *testing.T) {
	u, name := freshPostgresDatabase(t)
	proxy := drillProxy(t, u, "5432")
	via := *u
	via.Host = proxy.Addr()
	via.Path = "/" + name
	outageDrill(t, via.String(), proxy)
}

// freshPostgresDatabase creates a database of the test's own on the test
// PostgreSQL server (dropped when the test ends) and returns the server's
// URL and the database's name.
func freshPostgresDatabase(t *testing.T) (*url.URL, string) {
	t.Helper()
	u := testServer(t, "STOCKING_TEST_POSTGRES_URI", "postgres")
	name := drillName()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		conn.Close(ctx)
	})
	return u, name
}

func TestDatabaseOutageDrillMySQL(t *testing.T) {
	u := testServer(t, "STOCKING_TEST_MYSQL_URI", "mysql")
	adminDSN, err := mysqlstore.DSNFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	name := drillName()
	if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		db.Close()
	})
	proxy := drillProxy(t, u, mysqlstore.DefaultPort)
	via := *u
	via.Host = proxy.Addr()
	via.Path = "/" + name
	outageDrill(t, via.String(), proxy)
}

// testServer returns the database server env names, or skips the test
// (fails it when STOCKING_TEST_REQUIRE_ENGINES names engine, as CI sets it).
func testServer(t *testing.T, env, engine string) *url.URL {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		if slices.Contains(strings.Split(os.Getenv("STOCKING_TEST_REQUIRE_ENGINES"), ","), engine) {
			t.Fatalf("%s is not set, but STOCKING_TEST_REQUIRE_ENGINES requires %s", env, engine)
		}
		t.Skipf("%s is not set: skipping %s on %s", env, t.Name(), engine)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return u
}

func drillName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "stocking_drill_" + hex.EncodeToString(b)
}

func drillProxy(t *testing.T, u *url.URL, defaultPort string) *tcpproxy.Proxy {
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
	return p
}

// drillAnswer is one HTTP exchange of the drill's clients.
type drillAnswer struct {
	status int
	code   string
	retry  string
	took   time.Duration
	body   map[string]any
	err    error
}

// drillCall sends a request without failing the test on a transport
// error: during an outage that is an answer like any other, and the
// drill decides what it allows.
func drillCall(hc *http.Client, method, url, token string, body any) drillAnswer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return drillAnswer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := drillAnswer{status: resp.StatusCode, retry: resp.Header.Get("Retry-After"), took: time.Since(start)}
	_ = json.Unmarshal(raw, &a.body)
	a.code, _ = a.body["code"].(string)
	return a
}

func outageDrill(t *testing.T, databaseURI string, proxy *tcpproxy.Proxy) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	getenv := temporalEnv(t, ts, map[string]string{
		"DATABASE_URI":       databaseURI,
		"DB_TIMEOUT":         drillDBTimeout.String(),
		"RECONCILE_INTERVAL": "2s",
		"RECONCILE_MIN_AGE":  "5s",
	})
	m, _ := startMainWith(t, getenv, Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	hc := &http.Client{Timeout: 30 * time.Second}
	api := m.URL() + "/api/v1"

	// Four traders place resting orders without pause, before, during and
	// after the outage; every 201 they see is remembered.
	const traders = 4
	var (
		mu       sync.Mutex
		placed   = map[string]bool{}
		answers  = map[string]int{}
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		clients  []*apiClient
		slowest  time.Duration
		problems []string
	)
	for i := range traders {
		clients = append(clients, signup(t, m, fmt.Sprintf("drill%d@example.com", i)))
	}
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				body := map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000", "time_in_force": "GTC"}
				a := drillCall(hc, "POST", api+"/orders", c.token, body)
				mu.Lock()
				switch {
				case a.err != nil:
					problems = append(problems, fmt.Sprintf("trader %d: %v", i, a.err))
				case a.status == 201:
					placed[a.body["data"].(map[string]any)["id"].(string)] = true
				case a.status == 503 && a.code == "unavailable" && a.retry != "":
				default:
					problems = append(problems, fmt.Sprintf("trader %d: %d %v", i, a.status, a.body))
				}
				answers[fmt.Sprint(a.status)]++
				slowest = max(slowest, a.took)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	countPlaced := func() int { mu.Lock(); defer mu.Unlock(); return len(placed) }
	waitFor(t, "orders before the outage", 20*time.Second, func() bool { return countPlaced() >= 20 })

	// During the outage a read, a write and /readyz answer 503 within the
	// deadline, whether the server is gone (connections reset, new ones
	// refused) or silent (a paused proxy: connections open, no bytes).
	within := func(what string) {
		t.Helper()
		for _, req := range []struct{ method, path string }{{"GET", api + "/stocks/005930"}, {"GET", api + "/balance"}, {"POST", api + "/orders"}} {
			a := drillCall(hc, req.method, req.path, clients[0].token, map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000"})
			if req.method == "GET" {
				a = drillCall(hc, req.method, req.path, clients[0].token, nil)
			}
			if a.status != 503 || a.code != "unavailable" || a.retry == "" {
				t.Errorf("%s: %s %s answered %d %v (Retry-After %q), want 503 unavailable", what, req.method, req.path, a.status, a.body, a.retry)
			}
			if a.took > drillDBTimeout+drillSlack {
				t.Errorf("%s: %s %s took %s, more than the %s deadline", what, req.method, req.path, a.took, drillDBTimeout)
			}
		}
		a := drillCall(hc, "GET", m.URL()+"/readyz", "", nil)
		if a.status != 503 || a.took > drillDBTimeout+drillSlack {
			t.Errorf("%s: /readyz answered %d in %s, want 503 within the deadline", what, a.status, a.took)
		}
	}
	proxy.Kill()
	time.Sleep(2 * time.Second)
	within("database gone")
	time.Sleep(4 * time.Second)
	if err := proxy.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/readyz after the kill", 20*time.Second, func() bool {
		return drillCall(hc, "GET", m.URL()+"/readyz", "", nil).status == 200
	})
	before := countPlaced()
	waitFor(t, "orders between the outages", 20*time.Second, func() bool { return countPlaced() >= before+10 })

	proxy.Pause()
	time.Sleep(time.Second)
	within("database silent")
	time.Sleep(4 * time.Second)
	proxy.Resume()
	waitFor(t, "/readyz after the pause", 20*time.Second, func() bool {
		return drillCall(hc, "GET", m.URL()+"/readyz", "", nil).status == 200
	})
	before = countPlaced()
	waitFor(t, "orders after the outages", 20*time.Second, func() bool { return countPlaced() >= before+10 })
	close(stop)
	wg.Wait()

	mu.Lock()
	t.Logf("answers %v, slowest %s, %d orders placed", answers, slowest, len(placed))
	if answers["503"] == 0 {
		t.Error("no request answered 503 during the outages")
	}
	for _, p := range problems {
		t.Error(p)
	}
	// A client's own 30 s timeout never fired (that would be a problem
	// above), but an order answer may wait for the write path's deadline
	// plus a retry; nothing waits for the outage to end.
	if slowest > 3*drillDBTimeout+drillSlack {
		t.Errorf("slowest order answer %s: a request waited for the outage", slowest)
	}
	mu.Unlock()

	// Nothing the clients were told about is lost, and each order's
	// workflow is where its row says: open orders have a running one,
	// closed ones (cancelled below) a completed one. The cancels go
	// through the workflows, which therefore must be alive.
	ctx := context.Background()
	status := func(id string) enumspb.WorkflowExecutionStatus {
		d, err := m.Temporal.DescribeWorkflowExecution(ctx, workflows.OrderWorkflowID(id), "")
		if err != nil {
			return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
		}
		return d.WorkflowExecutionInfo.Status
	}
	for id := range placed {
		o, err := m.Store.GetOrder(ctx, id)
		if err != nil {
			t.Fatalf("order %s answered 201 but reads back %v", id, err)
		}
		if o.Status.Final() {
			t.Errorf("order %s is %s; nothing closed it", id, o.Status)
		}
	}
	waitFor(t, "every open order's workflow to run", 60*time.Second, func() bool {
		for id := range placed {
			if status(id) != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return false
			}
		}
		return true
	})
	var out bytes.Buffer
	if err := run(ctx, []string{"audit"}, &out, getenv); err != nil {
		t.Fatalf("audit after the drill: %v\n%s", err, out.String())
	}
	audit(t, m)
	n := 0
	for id := range placed {
		if n == 10 {
			break
		}
		n++
		owner := clients[0]
		for _, c := range clients {
			if st, _ := c.do("GET", "/orders/"+id, nil); st == 200 {
				owner = c
				break
			}
		}
		owner.must(200, "POST", "/orders/"+id+"/cancel", nil)
		waitFor(t, "a cancelled order's workflow to complete", 20*time.Second, func() bool {
			return status(id) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
		})
	}
	audit(t, m)
}
