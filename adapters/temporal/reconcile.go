package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// Reconciler holds the database and Temporal to each other in both
// directions. It finds open orders, payments and contests (those whose
// final ranking is not frozen yet) whose workflow is not running and
// starts a new run for each: the outbox guarantees that every
// row gets its workflow started, but it cannot bring back a run that ended
// without closing its row (one that failed, was terminated by an operator,
// or timed out), and such a row would rest forever with its reservation
// held. And it finds order workflows still running for orders that are
// final in the database, whose news of the close was lost (a process
// killed between closing the row and telling the workflow), and tells them
// again, so no run waits forever for a signal that will not come. The
// worker checks at start and then on a timer; `stocking audit` reports
// both kinds.
type Reconciler struct {
	Service   *service.Service
	Client    client.Client
	TaskQueue string
	Logger    *slog.Logger
	// MinAge skips rows younger than this, whose start the relay may be
	// delivering at this very moment; zero checks every row. Rows whose
	// start still waits in the outbox (Temporal was down) are skipped
	// whatever their age: the relay will deliver them.
	MinAge time.Duration
	// Concurrency bounds the requests in flight to the frontend.
	Concurrency int
	// Now is the clock; nil is the wall clock.
	Now func() time.Time
}

// Stray is a row and a workflow that disagree: an open row whose
// workflow is not running, or a final order whose workflow still runs.
type Stray struct {
	Kind       string // "order", "payment" or "contest"
	ID         string // the order's, payment's or contest's id
	WorkflowID string
	// Status is the workflow's: RUNNING, COMPLETED, FAILED, TERMINATED,
	// TIMED_OUT, CANCELED, or MISSING when no run exists at all.
	Status string
	// Final is the row's status when the row is final and its workflow
	// still runs; empty for an open row.
	Final string
	// Repaired reports that a new run was started (open row) or the close
	// was delivered again (final row).
	Repaired bool
}

// String describes the stray for logs and the audit.
func (s Stray) String() string {
	if s.Final != "" {
		return fmt.Sprintf("%s %s is %s but its workflow %s still runs", s.Kind, s.ID, s.Final, s.WorkflowID)
	}
	return fmt.Sprintf("open %s %s has no running workflow (%s is %s)", s.Kind, s.ID, s.WorkflowID, s.Status)
}

// Report is what one pass found.
type Report struct {
	// Checked counts the open rows looked up in Temporal.
	Checked int
	// Running counts the running order workflows looked up in the
	// database.
	Running int
	Strays  []Stray
}

// maxContests bounds the contests one pass reads, latest to end first.
const maxContests = 10_000

// Check looks at every open order, payment and contest older than MinAge. With
// repair it starts a new run for each stray; without, it only reports.
func (r *Reconciler) Check(ctx context.Context, repair bool) (Report, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	conc := r.Concurrency
	if conc <= 0 {
		conc = 16
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cutoff := now().Add(-r.MinAge)
	queued, err := r.queued(ctx)
	if err != nil {
		return Report{}, err
	}

	var (
		mu   sync.Mutex
		rep  Report
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, conc)
	)
	check := func(kind, id, wfID string, start func(ctx context.Context) error) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			st, err := r.status(ctx, wfID)
			if err != nil {
				err = fmt.Errorf("describe %s: %w", wfID, err)
			}
			s := Stray{Kind: kind, ID: id, WorkflowID: wfID, Status: st}
			if err == nil && st != "RUNNING" && repair {
				if err = start(ctx); err != nil {
					err = fmt.Errorf("restart %s: %w", wfID, err)
				} else {
					s.Repaired = true
					log.Warn("restarted the workflow of an open row", "kind", kind, "id", id, "workflow_id", wfID, "was", st)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			rep.Checked++
			if err != nil {
				errs = append(errs, err)
			}
			if st != "" && st != "RUNNING" {
				rep.Strays = append(rep.Strays, s)
			}
		})
	}
	err = r.Service.Audit.OpenWork(ctx, func(o domain.Order) {
		if o.CreatedAt.After(cutoff) || queued[o.ID] {
			return
		}
		check("order", o.ID, workflows.OrderWorkflowID(o.ID), func(ctx context.Context) error {
			return r.restart(ctx, workflows.OrderWorkflowID(o.ID), workflows.OrderWorkflowName, workflows.OrderInputFor(o))
		})
	}, func(p domain.Payment) {
		if p.CreatedAt.After(cutoff) || queued[p.ID] {
			return
		}
		check("payment", p.ID, workflows.PaymentWorkflowID(p.ID), func(ctx context.Context) error {
			return r.restart(ctx, workflows.PaymentWorkflowID(p.ID), workflows.PaymentWorkflowName, paymentInput(r.Service.Payments.EventFor(p)))
		})
	})
	errs = append(errs, err)
	// A contest whose run ended before it froze its ranking would never
	// end: its open orders would rest on and its board never be final. A
	// new run picks up where the contest's clock is.
	contests, err := r.Service.Store().ListContests(ctx, maxContests)
	if err != nil {
		errs = append(errs, fmt.Errorf("listing contests: %w", err))
	}
	for _, c := range contests {
		if !c.FinalAt.IsZero() || c.CreatedAt.After(cutoff) || queued[c.ID] {
			continue
		}
		wfID := workflows.ContestWorkflowID(c.ID)
		check("contest", c.ID, wfID, func(ctx context.Context) error {
			return r.restart(ctx, wfID, workflows.ContestWorkflowName, workflows.ContestInput{ContestID: c.ID})
		})
	}
	wg.Wait()

	// The other direction: running order workflows of final rows.
	running, err := r.runningOrders(ctx, cutoff)
	if err != nil {
		errs = append(errs, err)
	}
	for _, wfID := range running {
		id := strings.TrimPrefix(wfID, workflows.OrderWorkflowID(""))
		if queued[id] {
			continue // its close is still on the way
		}
		rep.Running++
		o, err := r.Service.Store().GetOrder(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			// Not an order of this database (another deployment's
			// workflows in the same namespace): not ours to judge.
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("reading order %s: %w", id, err))
			continue
		}
		if !o.Status.Final() || o.UpdatedAt.After(cutoff) {
			// Open, or closed so lately that its close may still be on
			// the way to the workflow.
			continue
		}
		// A run with a workflow task pending has news to read, the close
		// among it most likely: after a burst of fills the cluster can
		// hold thousands of delivered closes that their runs have not
		// yet processed. Telling those again would only add to the queue.
		// A lost close leaves the run idle.
		if idle, err := r.idle(ctx, wfID); err != nil {
			errs = append(errs, err)
			continue
		} else if !idle {
			continue
		}
		s := Stray{Kind: "order", ID: id, WorkflowID: wfID, Status: "RUNNING", Final: string(o.Status)}
		if repair {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := r.Client.SignalWorkflow(sctx, wfID, "", workflows.SignalOrderClosed, workflows.OrderInputFor(o))
			cancel()
			var nf *serviceerror.NotFound
			switch {
			case errors.As(err, &nf):
				// It completed meanwhile: nothing left to repair.
				continue
			case err != nil:
				errs = append(errs, fmt.Errorf("signal %s: %w", wfID, err))
			default:
				s.Repaired = true
				log.Warn("delivered the close of a final order to its still running workflow", "id", id, "workflow_id", wfID, "status", o.Status)
			}
		}
		rep.Strays = append(rep.Strays, s)
	}
	return rep, errors.Join(errs...)
}

// idle reports whether a workflow runs with nothing to do: no workflow
// task waiting or under way.
func (r *Reconciler) idle(ctx context.Context, workflowID string) (bool, error) {
	st, busy, err := r.describe(ctx, workflowID)
	if err != nil {
		return false, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	return st == "RUNNING" && !busy, nil
}

// runningOrders lists the ids of the order workflows that run and started
// before cutoff, from the cluster's visibility store.
func (r *Reconciler) runningOrders(ctx context.Context, cutoff time.Time) ([]string, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND StartTime < '%s'",
		workflows.OrderWorkflowName, cutoff.UTC().Format(time.RFC3339Nano))
	var (
		ids   []string
		token []byte
	)
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := r.Client.ListWorkflow(lctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		cancel()
		if err != nil {
			return ids, fmt.Errorf("listing running order workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}

// queued returns the keys of the outbox's undelivered messages. The outbox
// is small unless Temporal has been away, and then it is exactly the set
// of rows whose workflow is known to be on its way.
func (r *Reconciler) queued(ctx context.Context) (map[string]bool, error) {
	msgs, err := r.Service.Store().DueOutbox(ctx, time.Now().Add(100*365*24*time.Hour), 1_000_000)
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	keys := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		keys[m.Key] = true
	}
	return keys, nil
}

func paymentInput(ev service.PaymentEvent) workflows.PaymentInput {
	return workflows.PaymentInput{PaymentID: ev.PaymentID, UserID: ev.UserID, ExpiresAt: ev.ExpiresAt}
}

// status names the state of a workflow's latest run, MISSING when none
// exists.
func (r *Reconciler) status(ctx context.Context, workflowID string) (string, error) {
	st, _, err := r.describe(ctx, workflowID)
	return st, err
}

// describe returns the state of a workflow's latest run (MISSING when none
// exists) and whether a workflow task of it is waiting or under way.
func (r *Reconciler) describe(ctx context.Context, workflowID string) (status string, busy bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := r.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "MISSING", false, nil
	}
	if err != nil {
		return "", false, err
	}
	busy = d.GetPendingWorkflowTask() != nil
	st := d.GetWorkflowExecutionInfo().GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "RUNNING", busy, nil
	}
	return enumspb.WorkflowExecutionStatus_name[int32(st)][len("WORKFLOW_EXECUTION_STATUS_"):], busy, nil
}

// restart starts a new run under the row's workflow id. Unlike the relay's
// starts it allows a run after a closed one; a run that appeared meanwhile
// is joined, not duplicated.
func (r *Reconciler) restart(ctx context.Context, workflowID, name string, input any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	opts := StartOptions(workflowID, r.TaskQueue)
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	_, err := r.Client.ExecuteWorkflow(ctx, opts, name, input)
	return alreadyDone(err)
}

// Run checks and repairs at once and then every interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context, interval time.Duration) error {
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rep, err := r.Check(ctx, true)
		if err != nil && ctx.Err() == nil {
			log.Warn("reconciling open rows with their workflows", "err", err)
		} else if len(rep.Strays) > 0 {
			log.Info("reconciled rows with their workflows", "open_checked", rep.Checked, "running_checked", rep.Running, "repaired", len(rep.Strays))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
