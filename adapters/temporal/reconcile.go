package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// Reconciler finds open orders and payments whose workflow is not running
// and starts a new run for each. The outbox guarantees that every row gets
// its workflow started; it cannot bring back a run that ended without
// closing its row: one that failed (a bug, or an older version that gave
// up during an outage), was terminated by an operator, or timed out. Such a
// row would rest forever with its reservation held, so the worker checks
// at start and then on a timer, and `stocking audit` reports them.
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

// Stray is an open row whose workflow is not running.
type Stray struct {
	Kind       string // "order" or "payment"
	ID         string // the order or payment id
	WorkflowID string
	// Status is the workflow's: COMPLETED, FAILED, TERMINATED, TIMED_OUT,
	// CANCELED, or MISSING when no run exists at all.
	Status string
	// Restarted reports that a new run was started.
	Restarted bool
}

// String describes the stray for logs and the audit.
func (s Stray) String() string {
	return fmt.Sprintf("open %s %s has no running workflow (%s is %s)", s.Kind, s.ID, s.WorkflowID, s.Status)
}

// Report is what one pass found.
type Report struct {
	Checked int
	Strays  []Stray
}

// Check looks at every open order and payment older than MinAge. With
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
					s.Restarted = true
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
	wg.Wait()
	return rep, errors.Join(append([]error{err}, errs...)...)
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
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := r.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "MISSING", nil
	}
	if err != nil {
		return "", err
	}
	st := d.GetWorkflowExecutionInfo().GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "RUNNING", nil
	}
	return enumspb.WorkflowExecutionStatus_name[int32(st)][len("WORKFLOW_EXECUTION_STATUS_"):], nil
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
			log.Info("reconciled open rows with their workflows", "checked", rep.Checked, "restarted", len(rep.Strays))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
