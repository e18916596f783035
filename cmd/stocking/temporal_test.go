package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/workflows"
)

// temporalEnv points a Main at a real in-process Temporal server.
func temporalEnv(t *testing.T, ts *temporaltest.TestServer, extra map[string]string) func(string) string {
	t.Helper()
	vals := map[string]string{
		"TEMPORAL_ADDRESS":    ts.GetFrontendHostPort(),
		"TEMPORAL_NAMESPACE":  ts.GetDefaultNamespace(),
		"TEMPORAL_TASK_QUEUE": "stocking-test",
	}
	for k, v := range extra {
		vals[k] = v
	}
	return testEnv(t, vals)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// workflowResult waits for an order workflow to close and returns its
// outcome.
func workflowResult(t *testing.T, c client.Client, orderID string) workflows.OrderOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out workflows.OrderOutcome
	var err error
	for ctx.Err() == nil {
		err = c.GetWorkflow(ctx, workflows.OrderWorkflowID(orderID), "").Get(ctx, &out)
		if err == nil {
			return out
		}
		time.Sleep(100 * time.Millisecond) // not started yet: the relay is on its way
	}
	t.Fatalf("workflow of order %s: %v", orderID, err)
	return out
}

func TestLimitOrderLifecycleThroughTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "temporal@example.com")

	// A resting order gets its workflow; a crossing tick fills it in the
	// database and the workflow learns of it and completes.
	filled := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 2, "limit_price": "69500", "time_in_force": "GTC"})
	waitFor(t, "the order's workflow to start", 10*time.Second, func() bool {
		d, err := m.Temporal.DescribeWorkflowExecution(context.Background(), workflows.OrderWorkflowID(filled["id"].(string)), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "69400"})
	if out := workflowResult(t, m.Temporal, filled["id"].(string)); out.Status != string(domain.Filled) {
		t.Fatalf("workflow outcome %+v", out)
	}

	// A cancel goes through the workflow's update: the caller learns at
	// once that it won, the workflow completes, and a second cancel is a
	// conflict.
	dayOrder := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000"})
	id := dayOrder["id"].(string)
	waitFor(t, "the DAY order's workflow", 10*time.Second, func() bool {
		_, err := m.Temporal.DescribeWorkflowExecution(context.Background(), workflows.OrderWorkflowID(id), "")
		return err == nil
	})
	c := u.must(200, "POST", "/orders/"+id+"/cancel", nil)
	if c["status"] != "CANCELLED" {
		t.Fatalf("cancel: %v", c)
	}
	if out := workflowResult(t, m.Temporal, id); out.Status != string(domain.Cancelled) {
		t.Fatalf("workflow outcome %+v", out)
	}
	u.must(409, "POST", "/orders/"+id+"/cancel", nil)
	eq(t, "reserved cash", u.must(200, "GET", "/balance", nil)["reserved_cash"], "0")
	audit(t, m)

	// The SDK's metrics are exported beside the service's own.
	waitFor(t, "Temporal SDK metrics on /metrics", 10*time.Second, func() bool {
		resp, err := http.Get(m.URL() + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), "temporal_workflow_completed") && strings.Contains(string(b), "stocking_http_requests_total")
	})
}

// A limit order that reaches the quote and rests its rest gets a workflow
// that knows it is partly filled, and completes when the rest fills.
func TestMarketableLimitRestsThroughTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, map[string]string{"MARKET_DEPTH": "2"}), Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000", "bid": "69900", "ask": "70100"})
	u := signup(t, m, "marketable@example.com")

	// The ask holds 2 shares; the third rests at 70,100.
	o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 3, "limit_price": "70100", "time_in_force": "GTC"})
	if o["status"] != "PARTIALLY_FILLED" || o["filled_quantity"] != float64(2) || o["reserved_amount"] != "70110" {
		t.Fatalf("marketable limit past the quote: %v", o)
	}
	id := o["id"].(string)
	ctx := context.Background()
	waitFor(t, "the workflow to know the order is partly filled", 10*time.Second, func() bool {
		v, err := m.Temporal.QueryWorkflow(ctx, workflows.OrderWorkflowID(id), "", workflows.QueryOrderStatus)
		var st domain.OrderStatus
		return err == nil && v.Get(&st) == nil && st == domain.PartiallyFilled
	})
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	if out := workflowResult(t, m.Temporal, id); out.Status != string(domain.Filled) {
		t.Fatalf("workflow outcome %+v", out)
	}
	eq(t, "reserved cash", u.must(200, "GET", "/balance", nil)["reserved_cash"], "0")
	audit(t, m)
}

func TestCancelsRacingFillsThroughTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "racer@example.com")
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "69000", "time_in_force": "GTC"})
		ids[i] = o["id"].(string)
	}
	waitFor(t, "every workflow to start", 20*time.Second, func() bool {
		for _, id := range ids {
			if _, err := m.Temporal.DescribeWorkflowExecution(context.Background(), workflows.OrderWorkflowID(id), ""); err != nil {
				return false
			}
		}
		return true
	})
	var wg sync.WaitGroup
	cancels := make([]int, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cancels[i], _ = u.do("POST", "/orders/"+id+"/cancel", nil)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		adm.do("PUT", "/admin/stocks/005930/price", map[string]any{"price": "68900"})
	}()
	wg.Wait()
	for i, id := range ids {
		o := u.must(200, "GET", "/orders/"+id, nil)
		out := workflowResult(t, m.Temporal, id)
		switch {
		case cancels[i] == 200 && o["status"] == "CANCELLED" && out.Status == string(domain.Cancelled):
		case cancels[i] == 409 && o["status"] == "FILLED" && out.Status == string(domain.Filled):
		default:
			t.Errorf("order %d: cancel answered %d, row %v, workflow %s", i, cancels[i], o["status"], out.Status)
		}
	}
	audit(t, m)
}

func TestMarketOrdersWorkWhileTemporalIsUnreachable(t *testing.T) {
	// Nothing listens on this port: Temporal is "down" from the start.
	env := testEnv(t, map[string]string{"TEMPORAL_ADDRESS": freeAddr(t)})
	m, _ := startMainWith(t, env, Options{Migrate: true, Seed: true, API: true, Relay: true})
	u := signup(t, m, "offline@example.com")
	if o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1}); o["status"] != "FILLED" {
		t.Fatalf("market order while Temporal is down: %v", o)
	}
	// A limit order is accepted; its workflow start waits in the outbox.
	lo := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000"})
	// A cancel cannot reach the workflow, so the database decides it.
	if c := u.must(200, "POST", "/orders/"+lo["id"].(string)+"/cancel", nil); c["status"] != "CANCELLED" {
		t.Fatalf("cancel while Temporal is down: %v", c)
	}
	st, body := (&apiClient{t: t, base: m.URL()}).do("GET", "/readyz", nil)
	if st != 503 || fmt.Sprint(body["checks"].(map[string]any)["temporal"].(map[string]any)["status"]) == "ok" {
		t.Fatalf("/readyz with Temporal down: %d %v", st, body)
	}
	if n, err := m.Store.OutboxSize(context.Background()); err != nil || n < 2 {
		t.Fatalf("outbox holds %d messages (%v), want the start and the close", n, err)
	}
	audit(t, m)
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// devTemporal starts the embedded server on a fixed address and SQLite file,
// so that a test can stop it and start it again with its state.
func devTemporal(t *testing.T, addr, dbPath string) func() error {
	t.Helper()
	_, _, stop, err := startEmbeddedTemporal(context.Background(), addr, "", "default", dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	return stop
}

// orderWorkflowsClosed reports whether every listed order's workflow has
// completed with the order's database status.
func orderWorkflowsClosed(t *testing.T, m *Main, ids []string) bool {
	t.Helper()
	for _, id := range ids {
		d, err := m.Temporal.DescribeWorkflowExecution(context.Background(), workflows.OrderWorkflowID(id), "")
		if err != nil || d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return false
		}
	}
	return true
}

func TestOrdersPlacedWhileTemporalIsDownGetTheirWorkflows(t *testing.T) {
	addr := freeAddr(t)
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	stop := devTemporal(t, addr, dbPath)
	env := testEnv(t, map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_NAMESPACE": "default", "TEMPORAL_TASK_QUEUE": "stocking-outage"})
	m, _ := startMainWith(t, env, Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "outage@example.com")

	// Temporal goes away.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 6 {
		limit := "69500"
		if i%2 == 1 {
			limit = "60000" // will not be crossed
		}
		o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": limit, "time_in_force": "GTC"})
		ids = append(ids, o["id"].(string))
	}
	if o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1}); o["status"] != "FILLED" {
		t.Fatalf("market order during the outage: %v", o)
	}
	// The tick fills half of them in the database; one of the others is
	// cancelled there too, since no workflow can answer.
	if r := adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "69400"}); r["filled_orders"].(float64) != 3 {
		t.Fatalf("tick during the outage: %v", r)
	}
	u.must(200, "POST", "/orders/"+ids[1]+"/cancel", nil)
	if n, _ := m.Store.OutboxSize(context.Background()); n == 0 {
		t.Fatal("nothing waits in the outbox during the outage")
	}

	// Temporal comes back with its state; the relay catches up.
	stop = devTemporal(t, addr, dbPath)
	t.Cleanup(func() { stop() })
	waitFor(t, "every order's workflow to start and close", 60*time.Second, func() bool {
		n, err := m.Store.OutboxSize(context.Background())
		return err == nil && n == 0 && orderWorkflowsClosed(t, m, []string{ids[0], ids[1], ids[2], ids[4]})
	})
	// The two orders still resting have running workflows that own them:
	// a cancel now goes through the update.
	for _, id := range []string{ids[3], ids[5]} {
		waitFor(t, "a resting order's workflow", 20*time.Second, func() bool {
			d, err := m.Temporal.DescribeWorkflowExecution(context.Background(), workflows.OrderWorkflowID(id), "")
			return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		})
		if c := u.must(200, "POST", "/orders/"+id+"/cancel", nil); c["status"] != "CANCELLED" {
			t.Fatalf("cancel after the outage: %v", c)
		}
	}
	waitFor(t, "every workflow to close", 30*time.Second, func() bool { return orderWorkflowsClosed(t, m, ids) })
	for _, id := range ids {
		o := u.must(200, "GET", "/orders/"+id, nil)
		out := workflowResult(t, m.Temporal, id)
		if string(out.Status) != o["status"] {
			t.Errorf("order %s: row %v, workflow %s", id, o["status"], out.Status)
		}
	}
	audit(t, m)
}

func TestWorkerCrashInTheMiddleOfAFillBurst(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	env := temporalEnv(t, ts, nil)
	api, _ := startMainWith(t, env, Options{Migrate: true, Seed: true, API: true, Relay: true})
	startWorker := func() *Main {
		cfg, err := LoadConfig(env, true)
		if err != nil {
			t.Fatal(err)
		}
		w := NewMain(cfg, Options{Worker: true})
		if err := w.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1 := startWorker()
	adm := admin(t, api)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	var users []*apiClient
	for i := range 4 {
		users = append(users, signup(t, api, fmt.Sprintf("burst%d@example.com", i)))
	}
	const n = 120
	ids := make([]string, n)
	for i := range ids {
		o := users[i%len(users)].must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "69500", "time_in_force": "GTC"})
		ids[i] = o["id"].(string)
	}
	ns := ts.GetDefaultNamespace()
	running := fmt.Sprintf("WorkflowType='%s' AND ExecutionStatus='Running'", workflows.OrderWorkflowName)
	waitFor(t, "every workflow to start", 60*time.Second, func() bool {
		c, err := countWorkflows(context.Background(), api.Temporal, ns, running)
		return err == nil && c == n
	})

	// One tick fills all of them; the worker dies while the workflows are
	// closing.
	if r := adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "69400"}); r["filled_orders"].(float64) != n {
		t.Fatalf("tick: %v", r)
	}
	waitFor(t, "some workflows to close", 30*time.Second, func() bool {
		c, err := countWorkflows(context.Background(), api.Temporal, ns, running)
		return err == nil && c < n
	})
	if err := w1.Close(); err != nil {
		t.Fatal(err)
	}
	left, _ := countWorkflows(context.Background(), api.Temporal, ns, running)
	t.Logf("worker stopped with %d of %d workflows still open", left, n)
	w2 := startWorker()
	t.Cleanup(func() { w2.Close() })
	waitFor(t, "every workflow to close after the restart", 90*time.Second, func() bool {
		c, err := countWorkflows(context.Background(), api.Temporal, ns, running)
		return err == nil && c == 0
	})
	for i, id := range ids {
		o := users[i%len(users)].must(200, "GET", "/orders/"+id, nil)
		out := workflowResult(t, api.Temporal, id)
		if o["status"] != "FILLED" || out.Status != string(domain.Filled) || len(o["executions"].([]any)) != 1 {
			t.Errorf("order %s: row %v with %d executions, workflow %s", id, o["status"], len(o["executions"].([]any)), out.Status)
		}
	}
	audit(t, api)
}
