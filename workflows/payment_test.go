package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/stocking-kr/stocking/domain"
)

var preparedAt = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func newPaymentEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger)
	env := s.NewTestWorkflowEnvironment()
	Register(env, acts)
	env.SetStartTime(preparedAt)
	return env
}

func pay(id string, s domain.PaymentStatus) PaymentState {
	return PaymentState{ID: id, Status: string(s)}
}

func paymentIn(id string) PaymentInput {
	return PaymentInput{PaymentID: id, UserID: "u1", ExpiresAt: preparedAt.Add(30 * time.Minute)}
}

func paymentOutcome(t *testing.T, env *testsuite.TestWorkflowEnvironment) PaymentOutcome {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("payment workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out PaymentOutcome
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompletionCallVerifiesAndAnswers(t *testing.T) {
	env := newPaymentEnv(t)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p1").Return(pay("p1", domain.PaymentPaid), nil).Once()
	var answer PaymentState
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCompletePayment, "complete-1", &testsuite.TestUpdateCallback{
			OnComplete: func(v any, err error) {
				if err != nil {
					t.Errorf("complete: %v", err)
					return
				}
				answer = v.(PaymentState)
			},
		})
	}, 5*time.Second)
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p1"))
	if answer.Status != string(domain.PaymentPaid) {
		t.Fatalf("completion answered %+v", answer)
	}
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentPaid) || out.Polls != 1 {
		t.Fatalf("outcome %+v", out)
	}
	env.AssertExpectations(t)
}

func TestWebhookWakesTheWorkflow(t *testing.T) {
	env := newPaymentEnv(t)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p2").Return(pay("p2", domain.PaymentPaid), nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPaymentWebhook, nil) }, 3*time.Second)
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p2"))
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentPaid) {
		t.Fatalf("outcome %+v", out)
	}
	if got := env.Now().Sub(preparedAt); got > 10*time.Second {
		t.Fatalf("the webhook was handled after %s instead of at once", got)
	}
}

func TestRepeatedWebhooksAndCompletionsSyncWhileOpen(t *testing.T) {
	env := newPaymentEnv(t)
	// PortOne first says READY (nothing to do), then PAID.
	env.OnActivity(acts.SyncPayment, mock.Anything, "p3").Return(pay("p3", domain.PaymentPrepared), nil).Once()
	env.OnActivity(acts.SyncPayment, mock.Anything, "p3").Return(pay("p3", domain.PaymentPaid), nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPaymentWebhook, nil) }, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPaymentWebhook, nil)
		env.SignalWorkflow(SignalPaymentWebhook, nil)
	}, 2*time.Second)
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p3"))
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentPaid) || out.Polls != 2 {
		t.Fatalf("outcome %+v", out)
	}
	env.AssertExpectations(t)
}

func TestSilencePollsOnABackoffThenExpires(t *testing.T) {
	env := newPaymentEnv(t)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p4").Return(pay("p4", domain.PaymentPrepared), nil)
	env.OnActivity(acts.ExpirePayment, mock.Anything, "p4").Return(pay("p4", domain.PaymentExpired), nil).Once()
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p4"))
	out := paymentOutcome(t, env)
	if out.Status != string(domain.PaymentExpired) {
		t.Fatalf("outcome %+v", out)
	}
	// 30 s, 1 m, 2 m, 4 m, 8 m, then the 30-minute window closes (with
	// one last check): a handful of polls, not one per second.
	if out.Polls < 4 || out.Polls > 8 {
		t.Fatalf("%d polls in 30 minutes", out.Polls)
	}
	if got := env.Now().Sub(preparedAt); got < 30*time.Minute || got > 31*time.Minute {
		t.Fatalf("expired after %s, want the 30-minute window", got)
	}
	env.AssertExpectations(t)
}

func TestVirtualAccountWaitsForTheDeposit(t *testing.T) {
	env := newPaymentEnv(t)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p5").Return(pay("p5", domain.PaymentAwaitingDeposit), nil).Times(2)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p5").Return(pay("p5", domain.PaymentPaid), nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPaymentWebhook, nil) }, time.Minute)  // account issued
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPaymentWebhook, nil) }, 20*time.Hour) // deposit
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p5"))
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentPaid) {
		t.Fatalf("outcome %+v: an issued account must outlive the 30-minute card window", out)
	}
	env.AssertNotCalled(t, "ExpirePayment", mock.Anything, mock.Anything)
}

func TestMismatchIsRefunded(t *testing.T) {
	env := newPaymentEnv(t)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p6").Return(pay("p6", domain.PaymentMismatched), nil).Once()
	env.OnActivity(acts.RefundMismatched, mock.Anything, "p6").Return(errors.New("PortOne is down")).Once()
	env.OnActivity(acts.RefundMismatched, mock.Anything, "p6").Return(nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPaymentWebhook, nil) }, time.Second)
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p6"))
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentMismatched) {
		t.Fatalf("outcome %+v", out)
	}
	env.AssertExpectations(t)
}

func TestPortOneOutageDoesNotLoseThePayment(t *testing.T) {
	env := newPaymentEnv(t)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p7").Return(PaymentState{}, errors.New("connection refused")).Times(8)
	env.OnActivity(acts.SyncPayment, mock.Anything, "p7").Return(pay("p7", domain.PaymentPaid), nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPaymentWebhook, nil) }, time.Second)
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p7"))
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentPaid) {
		t.Fatalf("outcome %+v", out)
	}
}

func TestALateStalePollDoesNotReopenAPaidPayment(t *testing.T) {
	env := newPaymentEnv(t)
	// The first poll reads PortOne before the payment and answers late,
	// after the completion call's check saw it PAID and fulfilled it.
	env.OnActivity(acts.SyncPayment, mock.Anything, "p9").After(10*time.Second).Return(pay("p9", domain.PaymentPrepared), nil).Once()
	env.OnActivity(acts.SyncPayment, mock.Anything, "p9").Return(pay("p9", domain.PaymentPaid), nil).Once()
	env.OnActivity(acts.SyncPayment, mock.Anything, "p9").Return(pay("p9", domain.PaymentPaid), nil).Maybe()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCompletePayment, "complete-9", &testsuite.TestUpdateCallback{
			OnComplete: func(v any, err error) {
				if err != nil || v.(PaymentState).Status != string(domain.PaymentPaid) {
					t.Errorf("complete: %v %v", v, err)
				}
			},
		})
	}, paymentFirstPoll+2*time.Second)
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p9"))
	out := paymentOutcome(t, env)
	if out.Status != string(domain.PaymentPaid) || out.Polls != 2 {
		t.Fatalf("outcome %+v, want PAID after 2 checks", out)
	}
	if got := env.Now().Sub(preparedAt); got > paymentFirstPoll+15*time.Second {
		t.Fatalf("the workflow ended %s after the start: the stale answer reopened the payment", got)
	}
}

// TestExpiryWaitsForPortOne checks that a payment is not expired while
// PortOne cannot be asked about it: the last check before the expiry keeps
// trying, and a payment that turns out paid is fulfilled, not expired.
func TestExpiryWaitsForPortOne(t *testing.T) {
	env := newPaymentEnv(t)
	deadline := paymentIn("p9").ExpiresAt
	failures := 0
	// While the window is open PortOne has nothing yet; from the deadline
	// on it is away for 17 attempts, then says PAID: the loop's own check
	// at the deadline gives up after 8, the last check must go on (the
	// test environment caps an unlimited retry at 10 attempts, the real
	// server does not).
	env.OnActivity(acts.SyncPayment, mock.Anything, "p9").Return(func(context.Context, string) (PaymentState, error) {
		switch {
		case env.Now().Before(deadline):
			return pay("p9", domain.PaymentPrepared), nil
		case failures < 17:
			failures++
			return PaymentState{}, errors.New("GET /payments/p9: dial tcp: connection refused")
		}
		return pay("p9", domain.PaymentPaid), nil
	})
	env.ExecuteWorkflow(PaymentWorkflowName, paymentIn("p9"))
	if out := paymentOutcome(t, env); out.Status != string(domain.PaymentPaid) || failures != 17 {
		t.Fatalf("outcome %+v after %d failures, want PAID after 17", out, failures)
	}
	env.AssertNotCalled(t, "ExpirePayment", mock.Anything, mock.Anything)
}
