package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/stocking-kr/stocking/domain"
)

// PaymentWorkflow reconciles one payment with PortOne, the only authority
// on whether money moved. It waits for the browser's completion call (an
// update, answered with the verified payment) or a webhook (a signal);
// either makes it fetch the payment from PortOne and apply the answer,
// which fulfils a matching PAID payment exactly once. In silence it polls
// PortOne on a backoff, and when the payment window (or an issued virtual
// account) runs out it expires the payment. A payment whose amount or
// currency does not match is refunded before the workflow ends.
func PaymentWorkflow(ctx workflow.Context, in PaymentInput) (PaymentOutcome, error) {
	var a *Activities
	log := workflow.GetLogger(ctx)
	p := PaymentState{ID: in.PaymentID, Status: string(domain.PaymentPrepared)}
	out := PaymentOutcome{PaymentID: in.PaymentID}
	deadline := in.ExpiresAt
	wake := false
	retriesForever := workflow.GetVersion(ctx, changeInfraRetries, workflow.DefaultVersion, 1) >= 1
	// sync asks PortOne about the payment and applies the answer. While
	// the payment is open, a check that keeps failing gives up after a
	// few attempts and the loop tries again on its next turn; untilDone
	// keeps retrying instead, for the last check before an expiry, which
	// must not expire a payment PortOne could not be asked about.
	sync := func(ctx workflow.Context, untilDone bool) error {
		var got PaymentState
		opts := workflow.ActivityOptions{
			StartToCloseTimeout: 90 * time.Second, // PortOne asks for ≥ 60 s read timeouts
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 8,
			},
		}
		if untilDone && retriesForever {
			opts.RetryPolicy = retryInfra(time.Second, time.Minute)
			opts.ScheduleToCloseTimeout = forever
		}
		actx := workflow.WithActivityOptions(ctx, opts)
		if err := workflow.ExecuteActivity(actx, a.SyncPayment, in.PaymentID).Get(ctx, &got); err != nil {
			return err
		}
		out.Polls++
		// The completion update and the main loop may check at the same
		// time; a check that read the payment before the other one
		// fulfilled it must not reopen it.
		if got.ID != "" && (got.status().Final() || !p.status().Final()) {
			p = got
		}
		if p.status() == domain.PaymentAwaitingDeposit {
			// The account stays open longer than the card window.
			if d := workflow.Now(ctx).Add(paymentDepositWindow); d.After(deadline) {
				deadline = d
			}
		}
		return nil
	}

	if err := workflow.SetQueryHandler(ctx, QueryPaymentStatus, func() (domain.PaymentStatus, error) { return p.status(), nil }); err != nil {
		return out, err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateCompletePayment, func(ctx workflow.Context) (PaymentState, error) {
		if !p.status().Final() {
			if err := sync(ctx, false); err != nil {
				return PaymentState{}, err
			}
		}
		return p, nil
	}); err != nil {
		return out, err
	}
	hooks := workflow.GetSignalChannel(ctx, SignalPaymentWebhook)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for hooks.Receive(ctx, nil) {
			wake = true
		}
	})

	poll := paymentFirstPoll
	for !p.status().Final() {
		now := workflow.Now(ctx)
		if !now.Before(deadline) {
			if err := sync(ctx, true); err != nil {
				log.Warn("last check before expiry failed", "payment_id", in.PaymentID, "error", err)
			}
			if p.status().Final() {
				break
			}
			var got PaymentState
			actx := workflow.WithActivityOptions(ctx, activityOpts)
			if err := workflow.ExecuteActivity(actx, a.ExpirePayment, in.PaymentID).Get(ctx, &got); err != nil {
				return out, err
			}
			p = got
			break
		}
		wait := min(poll, deadline.Sub(now))
		woke, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return wake || p.status().Final() })
		if err != nil {
			return out, err
		}
		if p.status().Final() {
			break
		}
		wake = false
		if !woke {
			poll = min(2*poll, paymentMaxPoll)
		}
		if err := sync(ctx, false); err != nil {
			// PortOne kept failing; keep waiting and try on the next turn.
			log.Warn("checking payment with PortOne", "payment_id", in.PaymentID, "error", err)
		}
	}

	if p.status() == domain.PaymentMismatched {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 90 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
		})
		if err := workflow.ExecuteActivity(actx, a.RefundMismatched, in.PaymentID).Get(ctx, nil); err != nil {
			return out, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return out, err
	}
	out.Status, out.Reason = p.Status, p.Reason
	return out, nil
}
