// Package temporal connects StocKing to a Temporal cluster: the client the
// API uses to route cancels and payment completions through workflows, the
// outbox relay that starts and signals workflows, the worker that runs
// them, and the SDK's metrics. The embedded development server lives in
// the devserver subpackage so that production binaries need not link it.
package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/workflows"
)

// Options configure a client connection.
type Options struct {
	HostPort  string
	Namespace string
	Logger    *slog.Logger
	Metrics   client.MetricsHandler
}

// Dial returns a lazy client: it connects on first use and reconnects by
// itself, so the API starts (and keeps taking market orders) while the
// cluster is down.
func Dial(o Options) (client.Client, error) {
	opts := client.Options{HostPort: o.HostPort, Namespace: o.Namespace}
	if o.Logger != nil {
		opts.Logger = tlog.NewStructuredLogger(o.Logger.With("component", "temporal"))
	}
	if o.Metrics != nil {
		opts.MetricsHandler = o.Metrics
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", o.HostPort, err)
	}
	return c, nil
}

// Engine is ports.Workflows over a Temporal client.
type Engine struct {
	Client client.Client
	// CallTimeout bounds how long a request waits for the cluster before
	// the core decides it in the database instead.
	CallTimeout time.Duration
}

var _ ports.Workflows = (*Engine)(nil)

func (e *Engine) timeout() time.Duration {
	if e.CallTimeout <= 0 {
		// An update normally answers in tens of milliseconds; a user
		// waiting on a cancel while the cluster is down should not wait
		// long before the database decides instead.
		return 5 * time.Second
	}
	return e.CallTimeout
}

// CancelOrder sends the cancel update to the order's workflow and waits for
// its verdict.
func (e *Engine) CancelOrder(ctx context.Context, orderID string) error {
	var o workflows.OrderState
	return e.update(ctx, workflows.OrderWorkflowID(orderID), workflows.UpdateCancelOrder, &o)
}

// ModifyOrder sends the modify update to the order's workflow and waits
// for its verdict. A workflow started before modify existed has no such
// update, and one whose modify failed for want of the database gives no
// verdict: both are left to the core, which decides in the database.
func (e *Engine) ModifyOrder(ctx context.Context, orderID string, req domain.ModifyRequest) error {
	var o workflows.OrderState
	err := e.update(ctx, workflows.OrderWorkflowID(orderID), workflows.UpdateModifyOrder, &o, workflows.ModifyInputFor(req))
	var app *temporal.ApplicationError
	if err != nil && workflows.FromTemporal(err) == nil && errors.As(err, &app) {
		return fmt.Errorf("%w: %v", ports.ErrWorkflowUnavailable, err)
	}
	return err
}

// CompletePayment sends the completion update to the payment's workflow.
func (e *Engine) CompletePayment(ctx context.Context, paymentID string) error {
	var p workflows.PaymentState
	return e.update(ctx, workflows.PaymentWorkflowID(paymentID), workflows.UpdateCompletePayment, &p)
}

// PaymentWebhook signals the payment's workflow. Once Temporal accepted the
// signal it is durable, so the webhook can be acknowledged.
func (e *Engine) PaymentWebhook(ctx context.Context, paymentID string) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	err := e.Client.SignalWorkflow(ctx, workflows.PaymentWorkflowID(paymentID), "", workflows.SignalPaymentWebhook, nil)
	return mapError(err)
}

// Ready checks that the frontend answers.
func (e *Engine) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := e.Client.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

func (e *Engine) update(ctx context.Context, workflowID, name string, out any, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	for attempt := 1; ; attempt++ {
		h, err := e.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflowID, UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, out)
		}
		// The server aborts an update it had handed to a workflow task
		// that it then failed (for instance because a signal arrived while
		// the workflow was completing); the update never ran, and asking
		// again meets the workflow in its new state.
		var notReady *serviceerror.WorkflowNotReady
		if errors.As(err, &notReady) && attempt < 5 && ctx.Err() == nil {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
			continue
		}
		return mapError(err)
	}
}

// mapError turns Temporal's errors into the core's: a lost race is a
// domain conflict; a missing or finished workflow and an unreachable
// cluster are ports.ErrWorkflowUnavailable, which makes the core decide in
// the database.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if de := workflows.FromTemporal(err); de != nil {
		return de
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return fmt.Errorf("workflow: %w", err)
	}
	var nf *serviceerror.NotFound
	var notReady *serviceerror.WorkflowNotReady
	if errors.As(err, &nf) || errors.As(err, &notReady) {
		return fmt.Errorf("%w: %v", ports.ErrWorkflowUnavailable, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || isUnavailable(err) {
		return fmt.Errorf("%w: %v", ports.ErrWorkflowUnavailable, err)
	}
	return err
}

func isUnavailable(err error) bool {
	var u *serviceerror.Unavailable
	var de *serviceerror.DeadlineExceeded
	if errors.As(err, &u) || errors.As(err, &de) {
		return true
	}
	// FromError looks through wrapping itself.
	if s, ok := status.FromError(err); ok {
		return s.Code() == codes.Unavailable || s.Code() == codes.DeadlineExceeded
	}
	return false
}
