package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/stocking-kr/stocking/domain"
)

// activity options: local activities answer an update within the same
// workflow task; the expiry runs as a regular activity so a worker crash
// mid-way hands it to another worker.
var (
	// localOpts bound a local activity whose caller is waiting (the
	// cancel update): after a few seconds of failures the update answers
	// with the error and the workflow goes on. Runs recorded before
	// changeInfraRetries also loaded the order with them.
	localOpts = workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Second, MaximumAttempts: 5},
	}
	// loadOpts load the order at the start for as long as the database
	// stays away: a workflow must not fail because of an outage.
	loadOpts = workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		// A local activity's retries end at its schedule-to-close
		// timeout, which defaults to the start-to-close one.
		ScheduleToCloseTimeout: forever,
		RetryPolicy:            retryInfra(200*time.Millisecond, 10*time.Second),
	}
	activityOpts = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         retryInfra(time.Second, time.Minute),
	}
)

// forever bounds the retries of an activity that must outlast any outage:
// a year stands for "as long as it takes".
const forever = 365 * 24 * time.Hour

// retryInfra retries an activity for as long as its failures are the
// infrastructure's (the database or the network is away), backing off to at
// most max between attempts. Domain rejections are non-retryable
// application errors (see nonRetryable) and end it at once.
func retryInfra(first, max time.Duration) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: first, BackoffCoefficient: 2, MaximumInterval: max}
}

// LimitOrderWorkflow owns one resting limit order from acceptance to a
// final status: it accepts the order, waits for a fill (signalled by the
// matcher, which fills in the database; a partial fill is signalled too,
// and the order rests on as PARTIALLY_FILLED), a cancel (an update, so the caller
// learns at once who won) or its expiry (a timer at the DAY close; GTC
// orders have none), and completes. Stop orders run it too: the matcher
// signals their trigger, which the workflow records and returns; a
// triggered STOP_LIMIT rests on as a limit, a triggered STOP closes at once.
func LimitOrderWorkflow(ctx workflow.Context, in OrderInput) (OrderOutcome, error) {
	var a *Activities
	log := workflow.GetLogger(ctx)
	status := domain.Pending
	reason := ""
	// filled is the shares filled so far, as the latest fill signal told.
	var filled int64
	// triggeredAt is when a stop order's trigger was reached, once told.
	var triggeredAt time.Time
	settle := func(o OrderState) {
		if o.final() && !status.Final() {
			status, reason = domain.OrderStatus(o.Status), o.Reason
		}
	}

	if err := workflow.SetQueryHandler(ctx, QueryOrderStatus, func() (domain.OrderStatus, error) { return status, nil }); err != nil {
		return OrderOutcome{}, err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancelOrder,
		func(ctx workflow.Context) (OrderState, error) {
			var res CloseResult
			lctx := workflow.WithLocalActivityOptions(ctx, localOpts)
			if err := workflow.ExecuteLocalActivity(lctx, a.CancelOrder, in.OrderID).Get(ctx, &res); err != nil {
				return OrderState{}, err
			}
			settle(res.Order)
			if !res.Won {
				return OrderState{}, temporal.NewApplicationError(res.Message, ErrConflict)
			}
			return res.Order, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context) error {
			// Rejected updates leave no trace in the history, so a cancel
			// after the end costs nothing.
			if status.Final() {
				return temporal.NewApplicationError(fmt.Sprintf("order %s is already %s and can no longer be cancelled", in.OrderID, status), ErrConflict)
			}
			return nil
		}})
	if err != nil {
		return OrderOutcome{}, err
	}

	// Stop orders hear of their trigger; runs recorded before
	// changeStopTriggers never did. It is read here, before the closed
	// signal's handler starts, so that both know whether to record it.
	stops := workflow.GetVersion(ctx, changeStopTriggers, workflow.DefaultVersion, 1) >= 1
	trigger := func(ev OrderInput) {
		if stops && triggeredAt.IsZero() && !ev.TriggeredAt.IsZero() {
			triggeredAt = ev.TriggeredAt
			log.Info("stop order triggered", "order_id", in.OrderID, "triggered_at", triggeredAt)
		}
	}

	// Fills arrive as signals; duplicates and late ones change nothing.
	closed := workflow.GetSignalChannel(ctx, SignalOrderClosed)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev OrderInput
			if !closed.Receive(ctx, &ev) {
				return
			}
			trigger(ev)
			if st := domain.OrderStatus(ev.Status); st.Final() && !status.Final() {
				status, reason = st, "closed outside the workflow"
			}
		}
	})
	if stops {
		triggers := workflow.GetSignalChannel(ctx, SignalOrderTriggered)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var ev OrderInput
				if !triggers.Receive(ctx, &ev) {
					return
				}
				trigger(ev)
			}
		})
	}

	// view is the order's size as the workflow knows it, kept since
	// changeModify; nil in runs recorded before it.
	var view *orderView

	// Partial fills arrive as signals too, one per fill: each carries the
	// shares filled so far, so a duplicate or a late one changes nothing.
	// Runs recorded before changePartialFills never listened for them.
	if workflow.GetVersion(ctx, changePartialFills, workflow.DefaultVersion, 1) >= 1 {
		fills := workflow.GetSignalChannel(ctx, SignalOrderFilled)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var ev OrderInput
				if !fills.Receive(ctx, &ev) {
					return
				}
				if view != nil {
					view.learnInput(ev)
				}
				if !status.Final() && ev.FilledQuantity > filled {
					filled, status = ev.FilledQuantity, domain.PartiallyFilled
					log.Info("order partially filled", "order_id", in.OrderID, "filled_quantity", filled)
				}
			}
		})
	}

	// A resting order can be modified (quantity, limit price) through an
	// update. Runs recorded before changeModify had no such update.
	if workflow.GetVersion(ctx, changeModify, workflow.DefaultVersion, 1) >= 1 {
		view = &orderView{}
		if err := handleModify(ctx, in, view, func() domain.OrderStatus { return status }, settle); err != nil {
			return OrderOutcome{}, err
		}
	}

	// Accept: the row may already be final when the workflow starts late
	// (the engine was down while the order was placed and filled).
	var cur OrderState
	load := loadOpts
	if workflow.GetVersion(ctx, changeInfraRetries, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		load = localOpts
	}
	lctx := workflow.WithLocalActivityOptions(ctx, load)
	if err := workflow.ExecuteLocalActivity(lctx, a.LoadOrder, in.OrderID).Get(ctx, &cur); err != nil {
		return OrderOutcome{}, err
	}
	settle(cur)
	if view != nil {
		view.learn(cur)
	}

	timerCtx, stopTimer := workflow.WithCancel(ctx)
	if domain.TimeInForce(in.TimeInForce) == domain.Day && !in.ExpiresAt.IsZero() && !status.Final() {
		workflow.Go(timerCtx, func(ctx workflow.Context) {
			for !status.Final() {
				wait := in.ExpiresAt.Sub(workflow.Now(ctx))
				if wait > 0 {
					if err := workflow.NewTimer(ctx, wait).Get(ctx, nil); err != nil {
						return // cancelled: the order closed first
					}
				}
				if status.Final() {
					return
				}
				var res CloseResult
				actx := workflow.WithActivityOptions(ctx, activityOpts)
				if err := workflow.ExecuteActivity(actx, a.ExpireOrder, in.OrderID).Get(ctx, &res); err != nil {
					log.Error("expiring order", "order_id", in.OrderID, "error", err)
					return
				}
				settle(res.Order)
				if !status.Final() {
					// The database clock is behind the timer; try again shortly.
					_ = workflow.Sleep(ctx, 5*time.Second)
				}
			}
		})
	}

	if err := workflow.Await(ctx, func() bool { return status.Final() }); err != nil {
		return OrderOutcome{}, err
	}
	stopTimer()
	// Let an update that is still answering its caller finish first.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return OrderOutcome{}, err
	}
	return OrderOutcome{OrderID: in.OrderID, Status: string(status), Reason: reason, TriggeredAt: triggeredAt}, nil
}
