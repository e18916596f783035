package workflows

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/stocking-kr/stocking/domain"
)

var acts *Activities // nil receiver: activities are referred to by name

// quietLogger keeps the test environment's debug chatter out of test
// output.
var quietLogger = tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

// seoulClose is 15:30 Asia/Seoul on a trading day, 2026-11-26.
var (
	placedAt   = time.Date(2026, 11, 26, 10, 0, 0, 0, domain.Seoul)
	seoulClose = time.Date(2026, 11, 26, 15, 30, 0, 0, domain.Seoul)
)

func newOrderEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger)
	env := s.NewTestWorkflowEnvironment()
	Register(env, acts)
	env.SetStartTime(placedAt)
	return env
}

func pending(id string) OrderState {
	return OrderState{ID: id, Status: string(domain.Pending)}
}

func withStatus(o OrderState, s domain.OrderStatus) OrderState {
	o.Status = string(s)
	return o
}

func dayOrder(id string) OrderInput {
	return OrderInput{OrderID: id, Side: string(domain.Buy), TimeInForce: string(domain.Day), ExpiresAt: seoulClose, Status: string(domain.Pending)}
}

func outcome(t *testing.T, env *testsuite.TestWorkflowEnvironment) OrderOutcome {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out OrderOutcome
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDayOrderExpiresAtTheClose(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o1").Return(pending("o1"), nil).Once()
	env.OnActivity(acts.ExpireOrder, mock.Anything, "o1").Return(CloseResult{Order: withStatus(pending("o1"), domain.Expired), Won: true}, nil).Once()
	var openBefore bool
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryOrderStatus)
		var s domain.OrderStatus
		openBefore = err == nil && v.Get(&s) == nil && s == domain.Pending
	}, seoulClose.Sub(placedAt)-time.Second)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o1"))
	out := outcome(t, env)
	if out.Status != string(domain.Expired) {
		t.Fatalf("status %s, want EXPIRED", out.Status)
	}
	// Nothing else waits in the workflow, so its clock stops at the expiry.
	expiredAt := env.Now()
	if !openBefore {
		t.Fatal("the order was not open a second before the close")
	}
	if expiredAt.Before(seoulClose) || expiredAt.After(seoulClose.Add(time.Second)) {
		t.Fatalf("expired at %s, want the close %s", expiredAt.In(domain.Seoul), seoulClose)
	}
	env.AssertExpectations(t)
}

func TestCancelBeforeFill(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o2").Return(pending("o2"), nil)
	env.OnActivity(acts.CancelOrder, mock.Anything, "o2").Return(CloseResult{Order: withStatus(pending("o2"), domain.Cancelled), Won: true}, nil).Once()
	var got OrderState
	var updErr error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCancelOrder, "cancel-1", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { updErr = err },
			OnComplete: func(v any, err error) { got, updErr = v.(OrderState), err },
		})
	}, time.Minute)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o2"))
	if updErr != nil || got.Status != string(domain.Cancelled) {
		t.Fatalf("cancel update: %+v %v", got, updErr)
	}
	if out := outcome(t, env); out.Status != string(domain.Cancelled) {
		t.Fatalf("status %s", out.Status)
	}
	env.AssertNotCalled(t, "ExpireOrder", mock.Anything, mock.Anything)
}

func TestCancelAfterTheFillIsRejectedByTheValidator(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o9").Return(pending("o9"), nil)
	// A first cancel is in flight (its activity is slow) when the fill
	// arrives; a second cancel then meets the validator, which knows the
	// order is final and rejects it without running anything.
	env.OnActivity(acts.CancelOrder, mock.Anything, "o9").After(time.Minute).Return(CloseResult{Order: withStatus(pending("o9"), domain.Filled), Won: false, Message: "order o9 is already FILLED"}, nil).Once()
	var second error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCancelOrder, "cancel-1", &testsuite.TestUpdateCallback{OnComplete: func(any, error) {}})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "o9", Status: string(domain.Filled)})
	}, time.Minute+10*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCancelOrder, "cancel-2", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { second = err },
			OnComplete: func(_ any, err error) { t.Errorf("the second cancel ran: %v", err) },
		})
	}, time.Minute+20*time.Second)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o9"))
	var app *temporal.ApplicationError
	if !errors.As(second, &app) || app.Type() != ErrConflict {
		t.Fatalf("second cancel: %v, want a %s rejection", second, ErrConflict)
	}
	if out := outcome(t, env); out.Status != string(domain.Filled) {
		t.Fatalf("status %s", out.Status)
	}
	env.AssertExpectations(t)
}

func TestCancelLosingToAFillInTheDatabase(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o4").Return(pending("o4"), nil)
	// The matcher filled the row an instant before the cancel's activity
	// ran: the database says FILLED, the cancel lost.
	env.OnActivity(acts.CancelOrder, mock.Anything, "o4").Return(CloseResult{Order: withStatus(pending("o4"), domain.Filled), Won: false, Message: "order o4 is already FILLED"}, nil)
	var updErr error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCancelOrder, "cancel-race", &testsuite.TestUpdateCallback{
			OnComplete: func(_ any, err error) { updErr = err },
		})
	}, time.Minute)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o4"))
	var app *temporal.ApplicationError
	if !errors.As(updErr, &app) || app.Type() != ErrConflict {
		t.Fatalf("cancel that lost: %v", updErr)
	}
	if out := outcome(t, env); out.Status != string(domain.Filled) {
		t.Fatalf("status %s, want FILLED", out.Status)
	}
}

func TestDuplicateFillSignalsCompleteOnce(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o5").Return(pending("o5"), nil)
	env.RegisterDelayedCallback(func() {
		ev := OrderInput{OrderID: "o5", Status: string(domain.Filled)}
		env.SignalWorkflow(SignalOrderClosed, ev)
		env.SignalWorkflow(SignalOrderClosed, ev)
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "o5", Status: string(domain.Cancelled)})
	}, time.Minute)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o5"))
	if out := outcome(t, env); out.Status != string(domain.Filled) {
		t.Fatalf("status %s: the first final status must stick", out.Status)
	}
	env.AssertNotCalled(t, "ExpireOrder", mock.Anything, mock.Anything)
}

func TestGTCOrderHasNoExpiry(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o6").Return(pending("o6"), nil)
	ev := dayOrder("o6")
	ev.TimeInForce, ev.ExpiresAt = string(domain.GTC), time.Time{}
	var stillOpen bool
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryOrderStatus)
		var s domain.OrderStatus
		if err == nil && v.Get(&s) == nil {
			stillOpen = s == domain.Pending
		}
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "o6", Status: string(domain.Filled)})
	}, 90*24*time.Hour)
	env.ExecuteWorkflow(OrderWorkflowName, ev)
	if !stillOpen {
		t.Fatal("a GTC order was not resting after 90 days")
	}
	if out := outcome(t, env); out.Status != string(domain.Filled) {
		t.Fatalf("status %s", out.Status)
	}
}

func TestLateStartOfAnAlreadyFinalOrder(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o7").Return(withStatus(pending("o7"), domain.Filled), nil)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o7"))
	if out := outcome(t, env); out.Status != string(domain.Filled) {
		t.Fatalf("status %s", out.Status)
	}
	if !env.Now().Before(seoulClose) {
		t.Fatal("the workflow waited for the close although the order was already filled")
	}
}

func TestExpiryRetriesWhenTheDatabaseClockIsBehind(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o8").Return(pending("o8"), nil)
	env.OnActivity(acts.ExpireOrder, mock.Anything, "o8").Return(CloseResult{Order: pending("o8"), Won: false, Message: "does not expire yet"}, nil).Once()
	env.OnActivity(acts.ExpireOrder, mock.Anything, "o8").Return(CloseResult{Order: withStatus(pending("o8"), domain.Expired), Won: true}, nil).Once()
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o8"))
	if out := outcome(t, env); out.Status != string(domain.Expired) {
		t.Fatalf("status %s", out.Status)
	}
	env.AssertExpectations(t)
}

// TestErrorMapping keeps the one table between the core's errors and
// Temporal's honest: rejections are final and come back as themselves,
// outages are retried.
func TestErrorMapping(t *testing.T) {
	for _, c := range []struct {
		err       error
		final     bool
		roundTrip domain.Code
	}{
		{domain.Errorf(domain.CodeNotFound, "no order o1"), true, domain.CodeNotFound},
		{domain.Errorf(domain.CodeConflict, "already FILLED"), true, domain.CodeConflict},
		{domain.Errorf(domain.CodeInvalid, "bad"), true, domain.CodeInvalid},
		{fmt.Errorf("lock account: %w: %w", domain.ErrUnavailable, errors.New("connection refused")), false, ""},
		{errors.New("dial tcp: i/o timeout"), false, ""},
	} {
		got := ToTemporal(c.err)
		var app *temporal.ApplicationError
		isFinal := errors.As(got, &app) && app.NonRetryable()
		if isFinal != c.final {
			t.Errorf("%v: final %v, want %v", c.err, isFinal, c.final)
		}
		back := FromTemporal(got)
		if c.roundTrip == "" {
			if back != nil {
				t.Errorf("%v came back as %v", c.err, back)
			}
			continue
		}
		if back == nil || back.Code != c.roundTrip || !strings.Contains(back.Message, c.err.(*domain.Error).Message) {
			t.Errorf("%v came back as %v", c.err, back)
		}
	}
	if got := FromTemporal(temporal.NewApplicationError("order o1 is already FILLED", ErrConflict)); got == nil || got.Code != domain.CodeConflict {
		t.Errorf("a lost update race came back as %v", got)
	}
}

// TestLoadingSurvivesAnOutage checks that a database that stays away for
// minutes when the workflow starts delays it instead of failing it: the
// workflow keeps trying to load its order, then runs as usual.
func TestLoadingSurvivesAnOutage(t *testing.T) {
	env := newOrderEnv(t)
	outage := fmt.Errorf("load order: %w: %w", domain.ErrUnavailable, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	env.OnActivity(acts.LoadOrder, mock.Anything, "o10").Return(OrderState{}, outage).Times(30)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o10").Return(pending("o10"), nil).Once()
	env.OnActivity(acts.ExpireOrder, mock.Anything, "o10").Return(CloseResult{Order: withStatus(pending("o10"), domain.Expired), Won: true}, nil).Once()
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o10"))
	if out := outcome(t, env); out.Status != string(domain.Expired) {
		t.Fatalf("status %s, want EXPIRED at the close", out.Status)
	}
	env.AssertExpectations(t)
}

// TestAMissingOrderFailsTheWorkflow keeps domain rejections final: a
// workflow for an order that does not exist is a bug, not an outage, and
// must not retry forever.
func TestAMissingOrderFailsTheWorkflow(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "o11").Return(OrderState{}, ToTemporal(domain.ErrNotFound)).Once()
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("o11"))
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil {
		t.Fatal("the workflow of a missing order did not fail")
	}
	env.AssertExpectations(t)
}

func TestStopOrderRecordsItsTrigger(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "s1").Return(pending("s1"), nil)
	at := placedAt.Add(time.Hour).UTC()
	var stillOpen bool
	env.RegisterDelayedCallback(func() {
		// A STOP_LIMIT order triggered: it rests on as a limit.
		env.SignalWorkflow(SignalOrderTriggered, OrderInput{OrderID: "s1", Status: string(domain.Pending), TriggeredAt: at})
		// A repeated trigger does not move the time recorded.
		env.SignalWorkflow(SignalOrderTriggered, OrderInput{OrderID: "s1", Status: string(domain.Pending), TriggeredAt: at.Add(time.Minute)})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryOrderStatus)
		var s domain.OrderStatus
		stillOpen = err == nil && v.Get(&s) == nil && s == domain.Pending
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "s1", Status: string(domain.Filled), TriggeredAt: at})
	}, 2*time.Hour)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("s1"))
	if !stillOpen {
		t.Fatal("the triggered order did not rest on")
	}
	if out := outcome(t, env); out.Status != string(domain.Filled) || !out.TriggeredAt.Equal(at) {
		t.Fatalf("outcome %+v, want FILLED triggered at %s", out, at)
	}
}

func TestStopOrderTriggeredAndFilledByOneSignal(t *testing.T) {
	env := newOrderEnv(t)
	env.OnActivity(acts.LoadOrder, mock.Anything, "s2").Return(pending("s2"), nil)
	at := placedAt.Add(time.Minute).UTC()
	env.RegisterDelayedCallback(func() {
		// A STOP order executes when triggered: its order-closed signal
		// may come before the order-triggered one, and carries the time.
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "s2", Status: string(domain.Filled), TriggeredAt: at})
	}, time.Minute)
	env.ExecuteWorkflow(OrderWorkflowName, dayOrder("s2"))
	if out := outcome(t, env); out.Status != string(domain.Filled) || !out.TriggeredAt.Equal(at) {
		t.Fatalf("outcome %+v, want FILLED triggered at %s", out, at)
	}
}
