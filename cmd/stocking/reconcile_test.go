package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporaltest"

	temporaladapter "github.com/stocking-kr/stocking/adapters/temporal"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/workflows"
)

// TestOpenOrdersWithoutAWorkflowAreFoundAndRepaired plays what an outage
// could leave behind before workflows stopped failing for infrastructure
// reasons: a resting order whose workflow run ended without closing it
// (terminated here) and one whose start was delivered to nobody (its
// outbox message gone, no run at all). The audit reports both; the
// reconciler starts a new run for each, after which the audit is clean and
// the orders behave: one expires at its close, the other is cancelled
// through its workflow.
func TestOpenOrdersWithoutAWorkflowAreFoundAndRepaired(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	getenv := temporalEnv(t, ts, map[string]string{"RECONCILE_INTERVAL": "0s", "RECONCILE_MIN_AGE": "0s"})
	// No relay in the Main: the test delivers the outbox itself, so that
	// it can lose a start on purpose.
	m, _ := startMainWith(t, getenv, Options{Migrate: true, Seed: true, API: true, Worker: true})
	relay := temporaladapter.NewRelay(m.Store, m.Temporal, m.Config.TemporalTaskQueue, "test", nil)
	ctx := context.Background()
	deliver := func(lose string) {
		t.Helper()
		msgs, err := m.Store.DueOutbox(ctx, time.Now().Add(time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range msgs {
			if msg.Key == lose {
				if _, err := m.Store.DeleteOutbox(ctx, []string{msg.ID}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := relay.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "strays@example.com")
	place := func(tif string) string {
		o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000", "time_in_force": tif})
		return o["id"].(string)
	}
	terminated, missing, healthy := place("DAY"), place("GTC"), place("GTC")
	deliver(missing)
	running := func(id string) bool {
		d, err := m.Temporal.DescribeWorkflowExecution(ctx, workflows.OrderWorkflowID(id), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	waitFor(t, "the workflows to start", 10*time.Second, func() bool { return running(terminated) && running(healthy) })
	if err := m.Temporal.TerminateWorkflow(ctx, workflows.OrderWorkflowID(terminated), "", "operator mistake (test)"); err != nil {
		t.Fatal(err)
	}

	// The audit command reports exactly the two strays and fails.
	var out bytes.Buffer
	err := run(ctx, []string{"audit"}, &out, getenv)
	var code exitError
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("audit: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"open order " + terminated + " has no running workflow (order-" + terminated + " is TERMINATED)",
		"open order " + missing + " has no running workflow (order-" + missing + " is MISSING)",
		"checked the workflows of 3 open orders, payments and contests and the orders of ",
		"running workflows: 2 disagree",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("audit output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), healthy) {
		t.Errorf("audit reports the healthy order:\n%s", out.String())
	}

	// The reconciler restarts both; a second pass finds nothing.
	rep, err := m.Reconciler.Check(ctx, true)
	if err != nil || len(rep.Strays) != 2 || !rep.Strays[0].Repaired || !rep.Strays[1].Repaired {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	waitFor(t, "the restarted workflows", 10*time.Second, func() bool { return running(terminated) && running(missing) })
	if rep, err := m.Reconciler.Check(ctx, false); err != nil || len(rep.Strays) != 0 || rep.Checked != 3 {
		t.Fatalf("after repair: %+v %v", rep, err)
	}
	out.Reset()
	if err := run(ctx, []string{"audit"}, &out, getenv); err != nil {
		t.Fatalf("audit after repair: %v\n%s", err, out.String())
	}

	// The restarted runs own their orders again: a cancel goes through
	// the workflow's update, and a DAY order past its close expires.
	c := u.must(200, "POST", "/orders/"+missing+"/cancel", nil)
	if c["status"] != "CANCELLED" {
		t.Fatalf("cancel: %v", c)
	}
	if out := workflowResult(t, m.Temporal, missing); out.Status != string(domain.Cancelled) {
		t.Fatalf("restarted workflow: %+v", out)
	}
	o, err := m.Store.GetOrder(ctx, terminated)
	if err != nil {
		t.Fatal(err)
	}
	o.ExpiresAt = time.Now().UTC().Add(-time.Second)
	if err := m.Store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		_, err := tx.UpdateOrder(ctx, o, domain.Pending)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The run restarted earlier still holds the old close; a run started
	// from the row as it is now expires it at once.
	if err := m.Temporal.TerminateWorkflow(ctx, workflows.OrderWorkflowID(terminated), "", "test: move the close"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reconciler.Check(ctx, true); err != nil {
		t.Fatal(err)
	}
	if out := workflowResult(t, m.Temporal, terminated); out.Status != string(domain.Expired) {
		t.Fatalf("restarted DAY order: %+v", out)
	}
	eq(t, "reserved cash", u.must(200, "GET", "/balance", nil)["reserved_cash"], "60009")
	audit(t, m)
}

// TestFinalOrdersWithARunningWorkflowAreFoundAndRepaired plays the other
// disagreement: an order closed in the database while its workflow never
// heard of it (the process that closed it died before telling it). The
// audit reports the order; the reconciler delivers the close again, the
// workflow completes with the row's status, and the audit is clean.
func TestFinalOrdersWithARunningWorkflowAreFoundAndRepaired(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	getenv := temporalEnv(t, ts, map[string]string{"RECONCILE_INTERVAL": "0s", "RECONCILE_MIN_AGE": "0s"})
	m, _ := startMainWith(t, getenv, Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	ctx := context.Background()
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "deaf@example.com")
	place := func() string {
		o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000", "time_in_force": "GTC"})
		return o["id"].(string)
	}
	deaf, healthy := place(), place()
	running := func(id string) bool {
		d, err := m.Temporal.DescribeWorkflowExecution(ctx, workflows.OrderWorkflowID(id), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	waitFor(t, "the workflows to start", 10*time.Second, func() bool { return running(deaf) && running(healthy) })

	// Close one behind its workflow's back, as a workflow's own activity
	// does (no message to the workflow).
	if _, err := m.Service.Orders.Close(ctx, deaf, domain.Cancelled, "cancelled by user"); err != nil {
		t.Fatal(err)
	}
	var rep temporaladapter.Report
	waitFor(t, "the reconciler to see the stray", 10*time.Second, func() bool {
		var err error
		rep, err = m.Reconciler.Check(ctx, false)
		return err == nil && len(rep.Strays) == 1
	})
	if s := rep.Strays[0]; s.ID != deaf || s.Final != string(domain.Cancelled) || s.Status != "RUNNING" || s.Repaired || rep.Running != 2 {
		t.Fatalf("stray: %+v (report %+v)", s, rep)
	}
	if !running(deaf) {
		t.Fatal("a check without repair changed the workflow")
	}
	var out bytes.Buffer
	err := run(ctx, []string{"audit"}, &out, getenv)
	var code exitError
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("audit: %v\n%s", err, out.String())
	}
	want := "order " + deaf + " is CANCELLED but its workflow order-" + deaf + " still runs"
	if !strings.Contains(out.String(), want) || strings.Contains(out.String(), healthy) {
		t.Fatalf("audit output lacks %q or names the healthy order:\n%s", want, out.String())
	}

	rep, err = m.Reconciler.Check(ctx, true)
	if err != nil || len(rep.Strays) != 1 || !rep.Strays[0].Repaired {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	if out := workflowResult(t, m.Temporal, deaf); out.Status != string(domain.Cancelled) {
		t.Fatalf("repaired workflow: %+v", out)
	}
	if !running(healthy) {
		t.Fatal("the repair touched the healthy order's workflow")
	}
	waitFor(t, "a clean pass", 10*time.Second, func() bool {
		rep, err := m.Reconciler.Check(ctx, false)
		return err == nil && len(rep.Strays) == 0 && rep.Running == 1
	})
	out.Reset()
	if err := run(ctx, []string{"audit"}, &out, getenv); err != nil {
		t.Fatalf("audit after repair: %v\n%s", err, out.String())
	}
	audit(t, m)
}

// TestContestWithoutAWorkflowIsRestarted: a contest whose run was
// terminated before it froze its ranking is reported by the audit and
// given a new run by the reconciler, which then ends the contest on time.
func TestContestWithoutAWorkflowIsRestarted(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	getenv := temporalEnv(t, ts, map[string]string{"RECONCILE_INTERVAL": "0s", "RECONCILE_MIN_AGE": "0s"})
	m, _ := startMainWith(t, getenv, Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	ctx := context.Background()
	adm := admin(t, m)
	now := time.Now().UTC()
	c := adm.must(201, "POST", "/contests", map[string]any{"name": "중단된 리그", "starts_at": now.Add(2 * time.Second), "ends_at": now.Add(4 * time.Second), "initial_cash": "1000000"})
	id := c["id"].(string)
	wfID := workflows.ContestWorkflowID(id)
	status := func() enumspb.WorkflowExecutionStatus {
		d, err := m.Temporal.DescribeWorkflowExecution(ctx, wfID, "")
		if err != nil {
			return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
		}
		return d.WorkflowExecutionInfo.Status
	}
	waitFor(t, "the contest's workflow", 10*time.Second, func() bool { return status() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING })
	if err := m.Temporal.TerminateWorkflow(ctx, wfID, "", "operator mistake (test)"); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	err := run(ctx, []string{"audit"}, &out, getenv)
	var code exitError
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("audit: %v\n%s", err, out.String())
	}
	if want := "open contest " + id + " has no running workflow (" + wfID + " is TERMINATED)"; !strings.Contains(out.String(), want) {
		t.Fatalf("audit output lacks %q:\n%s", want, out.String())
	}

	rep, err := m.Reconciler.Check(ctx, true)
	if err != nil || len(rep.Strays) != 1 || rep.Strays[0].Kind != "contest" || !rep.Strays[0].Repaired {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	// The new run ends the contest: the ranking is frozen and the run
	// completes.
	waitFor(t, "the restarted contest to end", 30*time.Second, func() bool {
		return status() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	got := adm.must(200, "GET", "/contests/"+id, nil)
	if got["final"] != true {
		t.Fatalf("contest after its restarted run: %v", got)
	}
	if rep, err := m.Reconciler.Check(ctx, false); err != nil || len(rep.Strays) != 0 {
		t.Fatalf("after the contest ended: %+v %v", rep, err)
	}
}
